/** A duration: milliseconds as a number, or a string such as "500ms", "30s", "10m", "2h", "1d". */
export type Duration = number | `${number}${"ms" | "s" | "m" | "h" | "d"}`;

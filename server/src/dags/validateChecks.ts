import { CHECK_SEVERITIES, expectationName, type Expectation, type ExpectationKind } from "../sdk/checks";
import type { CheckSpec } from "../sdk/defineDag";
import { parseDuration, type Duration } from "../sdk/duration";

/** The fields each expectation kind takes besides `kind` and `name`; a field not listed is a typo. */
const FIELDS: Record<ExpectationKind, { required: readonly string[]; optional: readonly string[] }> = {
  rowCount: { required: [], optional: ["min", "max"] },
  nullRatio: { required: ["column", "max"], optional: [] },
  unique: { required: ["columns"], optional: [] },
  valueRange: { required: ["column"], optional: ["min", "max"] },
  allowedValues: { required: ["column", "values"], optional: [] },
  freshness: { required: ["column", "within"], optional: [] },
  volumeAnomaly: { required: ["window", "k"], optional: ["minHistory"] },
  distributionShift: { required: ["column", "window", "k"], optional: ["minHistory"] },
};
const KINDS = Object.keys(FIELDS) as ExpectationKind[];

/** `schema.table` or `table`, plain SQL identifiers (what the warehouse accepts). */
const TABLE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** What `checkStats.ts` uses for the history window: the minHistory default. */
const DEFAULT_MIN_HISTORY = 3;

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object" && value !== null) return "an object";
  return String(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/** The problems of one expectation, each starting with `where` (e.g. `expect[2] (nullRatio(customer_id)): `). */
function expectationProblems(e: Record<string, unknown>, where: string): string[] {
  const p: string[] = [];
  const kind = e.kind as ExpectationKind;
  const { required, optional } = FIELDS[kind];
  for (const key of Object.keys(e)) {
    if (key !== "kind" && key !== "name" && !required.includes(key) && !optional.includes(key) && e[key] !== undefined) {
      p.push(`${where}unknown field "${key}" for kind ${kind} (takes ${[...required, ...optional].join(", ") || "nothing else"})`);
    }
  }
  for (const key of required) if (e[key] === undefined) p.push(`${where}missing ${key}`);
  if (e.name !== undefined && !isNonEmptyString(e.name)) p.push(`${where}name must be a non-empty string, got ${show(e.name)}`);
  if ("column" in e && e.column !== undefined && !isNonEmptyString(e.column)) p.push(`${where}column must be a column name, got ${show(e.column)}`);

  const bounds = (allowNegative: boolean): void => {
    const { min, max } = e;
    for (const [key, value] of [["min", min], ["max", max]] as const) {
      if (value === undefined) continue;
      if (!isNumber(value)) p.push(`${where}${key} must be a number, got ${show(value)}`);
      else if (!allowNegative && value < 0) p.push(`${where}${key} must not be negative, got ${value}`);
    }
    if (min === undefined && max === undefined) p.push(`${where}needs min, max or both`);
    if (isNumber(min) && isNumber(max) && min > max) p.push(`${where}min (${min}) is greater than max (${max})`);
  };
  const history = (): void => {
    const { window, k, minHistory } = e;
    if (window !== undefined && !(Number.isInteger(window) && (window as number) >= 1)) p.push(`${where}window must be an integer of at least 1, got ${show(window)}`);
    if (k !== undefined && !(isNumber(k) && k > 0)) p.push(`${where}k must be a number greater than 0, got ${show(k)}`);
    if (minHistory !== undefined && !(Number.isInteger(minHistory) && (minHistory as number) >= 1)) {
      p.push(`${where}minHistory must be an integer of at least 1, got ${show(minHistory)}`);
    }
    const needed = minHistory === undefined ? DEFAULT_MIN_HISTORY : minHistory;
    if (Number.isInteger(window) && Number.isInteger(needed) && (needed as number) > (window as number)) {
      p.push(`${where}minHistory (${String(needed)}${minHistory === undefined ? ", the default" : ""}) is greater than window (${String(window)}): it would never have enough history`);
    }
  };

  switch (kind) {
    case "rowCount":
      bounds(false);
      break;
    case "valueRange":
      bounds(true);
      break;
    case "nullRatio":
      if (e.max !== undefined && !(isNumber(e.max) && e.max >= 0 && e.max <= 1)) p.push(`${where}max must be a ratio from 0 to 1, got ${show(e.max)}`);
      break;
    case "unique": {
      const cols = e.columns;
      if (cols === undefined) break;
      if (!Array.isArray(cols) || cols.length === 0) p.push(`${where}columns must be a non-empty array of column names, got ${show(cols)}`);
      else if (cols.some((c) => !isNonEmptyString(c))) p.push(`${where}columns must hold column names (non-empty strings)`);
      break;
    }
    case "allowedValues": {
      const values = e.values;
      if (values === undefined) break;
      if (!Array.isArray(values) || values.length === 0) p.push(`${where}values must be a non-empty array, got ${show(values)}`);
      else if (values.some((v) => !["string", "number", "boolean"].includes(typeof v))) p.push(`${where}values must hold strings, numbers or booleans`);
      break;
    }
    case "freshness":
      if (e.within !== undefined) {
        try {
          parseDuration(e.within as Duration, `${where}within`);
        } catch (err) {
          p.push(err instanceof Error ? err.message : String(err));
        }
      }
      break;
    case "volumeAnomaly":
    case "distributionShift":
      history();
      break;
  }
  return p;
}

/**
 * Everything wrong with a `dag.check` definition: its dataset, partition column and severity, and
 * each expectation (unknown kind, missing, unknown or wrong-typed fields, min > max, a ratio
 * outside 0..1, a window below 1, k <= 0, an unreadable freshness duration, empty column lists,
 * two expectations with one name). Pure; every problem names the expectation it is about.
 */
export function checkProblems(check: CheckSpec): string[] {
  const p: string[] = [];
  if (typeof check.dataset !== "string" || !TABLE.test(check.dataset)) {
    p.push(`dataset must be "schema.table" or "table" (plain SQL identifiers), got ${show(check.dataset)}`);
  }
  if (typeof check.partitionColumn !== "string" || !IDENTIFIER.test(check.partitionColumn)) {
    p.push(`partitionColumn must be a plain column name, got ${show(check.partitionColumn)}`);
  }
  if (!(CHECK_SEVERITIES as readonly unknown[]).includes(check.severity)) p.push(`severity must be "error" or "warn", got ${show(check.severity)}`);
  if (!Array.isArray(check.expect) || check.expect.length === 0) {
    p.push("expect must be a non-empty array of expectations");
    return p;
  }
  const names = new Map<string, number>();
  check.expect.forEach((raw: unknown, i) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      p.push(`expect[${i}]: must be an expectation object such as { kind: "rowCount", min: 1 }, got ${show(raw)}`);
      return;
    }
    const e = raw as Record<string, unknown>;
    if (!KINDS.includes(e.kind as ExpectationKind)) {
      p.push(`expect[${i}]: unknown kind ${show(e.kind)} (one of ${KINDS.join(", ")})`);
      return;
    }
    const label = isNonEmptyString(e.name) ? `"${e.name}"` : (e.kind as string);
    const own = expectationProblems(e, `expect[${i}] (${label}): `);
    p.push(...own);
    if (own.length > 0) return;
    const name = expectationName(e as Expectation);
    const first = names.get(name);
    if (first !== undefined) p.push(`expect[${i}]: has the same name "${name}" as expect[${first}]; give one a name`);
    else names.set(name, i);
  });
  return p;
}

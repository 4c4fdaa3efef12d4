import { describe, expect, it } from "vitest";
import { isDagFileName } from "../../src/dags/dagFolder";
import { describeLoadError } from "../../src/dags/describeLoadError";

describe("isDagFileName", () => {
  it.each(["hello.ts", "orders.mts", "legacy.js", "legacy.mjs", "customer_analytics.ts"])("loads %s", (name) => {
    expect(isDagFileName(name)).toBe(true);
  });
  it.each(["types.d.ts", "types.d.mts", "orders.test.ts", "orders.spec.ts", "_helpers.ts", ".hidden.ts", "notes.md", "data.json", "x.tsx", "x.cjs"])(
    "skips %s",
    (name) => {
      expect(isDagFileName(name)).toBe(false);
    },
  );
});

describe("describeLoadError", () => {
  const file = "/srv/dags/orders.ts";

  it("keeps esbuild's file:line message for a compile error, without the banner", () => {
    const err = Object.assign(new Error(`Transform failed with 1 error:\n${file}:3:9: ERROR: Expected ")" but found ";"`), { name: "TransformError" });
    expect(describeLoadError(err, file)).toBe(`Compile error: ${file}:3:9: ERROR: Expected ")" but found ";"`);
  });

  it("gives the message and the first location in the DAG's folder, dropping tsx's namespace query", () => {
    const err = new TypeError("x is not a function");
    err.stack = [
      "TypeError: x is not a function",
      "    at helper (file:///srv/node_modules/lib/index.js:1:1)",
      "    at build (file:///srv/dags/lib/util.ts?tsx-namespace=1234-abcd:7:11)",
      `    at file://${file}?tsx-namespace=1234-abcd:3:1`,
    ].join("\n");
    expect(describeLoadError(err, file)).toBe("TypeError: x is not a function\n    at /srv/dags/lib/util.ts:7:11");
  });

  it("omits the name of a plain Error and describes thrown non-errors", () => {
    const err = new Error("boom");
    err.stack = "Error: boom\n    at somewhere (node:internal/x:1:1)";
    expect(describeLoadError(err, file)).toBe("boom");
    expect(describeLoadError("bad", file)).toBe('threw "bad"');
    expect(describeLoadError(42, file)).toBe("threw 42");
  });

  it("clips long messages to a few lines", () => {
    const text = describeLoadError(new Error(Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n")), file);
    expect(text.split("\n")).toHaveLength(13);
    expect(text).toMatch(/\.\.\. \(38 more lines\)$/);
  });
});

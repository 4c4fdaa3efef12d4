import { describe, expect, it } from "vitest";
import { LOAD_PARAM, ROOT_PARAM, encodeRoot, reloadUrl } from "../../src/dags/reloadHooks.mjs";

const root = encodeRoot("/srv/dags");
const parent = `file:///srv/dags/orders.ts?${ROOT_PARAM}=${root}&${LOAD_PARAM}=tok1&tsx-namespace=runnel-dags`;

describe("reloadUrl", () => {
  it("gives modules inside the DAG folder the loading file's token", () => {
    const url = new URL(reloadUrl("file:///srv/dags/lib/naming.ts?tsx-namespace=runnel-dags", parent));
    expect(url.pathname).toBe("/srv/dags/lib/naming.ts");
    expect(url.searchParams.get(LOAD_PARAM)).toBe("tok1");
    expect(url.searchParams.get(ROOT_PARAM)).toBe(root);
    expect(root).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(url.searchParams.get("tsx-namespace")).toBe("runnel-dags");
  });

  it.each([
    ["a module outside the folder", "file:///srv/server/src/sdk/index.ts"],
    ["a package under the folder's node_modules", "file:///srv/dags/node_modules/zod/index.js"],
    ["a folder whose name only starts like the root", "file:///srv/dags2/x.ts"],
    ["a builtin", "node:fs"],
  ])("leaves %s alone", (_what, url) => {
    expect(reloadUrl(url, parent)).toBe(url);
  });

  it("does nothing for imports from modules that were not loaded as DAG files", () => {
    expect(reloadUrl("file:///srv/dags/lib/x.ts", "file:///srv/dags/orders.ts")).toBe("file:///srv/dags/lib/x.ts");
    expect(reloadUrl("file:///srv/dags/lib/x.ts", undefined)).toBe("file:///srv/dags/lib/x.ts");
  });
});

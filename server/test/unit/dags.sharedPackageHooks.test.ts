import { describe, expect, it } from "vitest";
import { resolveSync, sharedPackage } from "../../src/dags/sharedPackageHooks.mjs";

const PKG = "file:///repo/node_modules/.pnpm/zod@4.6.7/node_modules/zod/index.js";

describe("sharedPackage: ES-module packages leave tsx's namespace", () => {
  it("drops the namespace of an ES module inside node_modules, keeping other parameters", () => {
    expect(sharedPackage({ url: `${PKG}?tsx-namespace=runnel-dags`, format: "module" })).toEqual({ url: PKG, format: "module" });
    expect(sharedPackage({ url: `${PKG}?a=1&tsx-namespace=runnel-dags`, format: "module" }).url).toBe(`${PKG}?a=1`);
  });

  it("keeps it for CommonJS packages, TypeScript files, files outside node_modules and unknown formats", () => {
    for (const r of [
      { url: `file:///repo/node_modules/pg/lib/index.js?tsx-namespace=runnel-dags`, format: "commonjs" },
      { url: `file:///repo/node_modules/some-ts-pkg/index.ts?tsx-namespace=runnel-dags`, format: "module" },
      { url: `file:///repo/dags/lib/helpers.js?tsx-namespace=runnel-dags`, format: "module" },
      { url: `file:///repo/server/src/sdk/index.ts?tsx-namespace=runnel-dags`, format: "module" },
      { url: `${PKG}?tsx-namespace=runnel-dags`, format: undefined },
      { url: "node:fs", format: "builtin" },
    ]) {
      expect(sharedPackage(r)).toEqual(r);
    }
  });

  it("applies to what the next hook resolved", () => {
    expect(resolveSync("zod", { parentURL: "file:///repo/dags/a.ts" }, () => ({ url: `${PKG}?tsx-namespace=x`, format: "module" })).url).toBe(PKG);
  });
});

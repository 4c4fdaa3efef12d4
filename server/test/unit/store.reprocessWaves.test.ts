import { describe, expect, it } from "vitest";
import { layerRuns } from "../../src/store/reprocessWaves";

const edges = (pairs: Array<[number, number[]]>) => new Map(pairs.map(([r, from]) => [r, new Set(from)]));

describe("layerRuns (the waves of a reprocess)", () => {
  it("puts runs that read nothing impacted first and each reader after everything it reads", () => {
    // 1 -> 2 -> 4, 1 -> 3 -> 4, and 5 on its own.
    const waves = layerRuns([1, 2, 3, 4, 5], edges([[2, [1]], [3, [1]], [4, [2, 3]]]));
    expect(Object.fromEntries(waves)).toEqual({ 1: 0, 2: 1, 3: 1, 4: 2, 5: 0 });
  });

  it("takes the longest path: a run read both directly and through another comes after both", () => {
    // 3 reads 1 and 2; 2 reads 1.
    expect(Object.fromEntries(layerRuns([3, 2, 1], edges([[3, [1, 2]], [2, [1]]])))).toEqual({ 1: 0, 2: 1, 3: 2 });
  });

  it("keeps the waves finite when runs read each other in a cycle", () => {
    const waves = layerRuns([1, 2], edges([[1, [2]], [2, [1]]]));
    expect([...waves.values()].every((w) => w >= 0 && w <= 2)).toBe(true);
  });
});

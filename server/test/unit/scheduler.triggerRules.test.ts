import { describe, expect, it } from "vitest";
import { evaluateTriggerRule, type Readiness } from "../../src/model/triggerRules";
import { TRIGGER_RULES, type TriggerRule } from "../../src/model/states";

const S = "success";
const F = "failed";
const UF = "upstream_failed";
const K = "skipped";
const R = "running";

// [rule, upstream states, expected]
const cases: [TriggerRule, string[], Readiness][] = [
  ["all_success", [S, S], "run"],
  ["all_success", [S, R], "wait"],
  ["all_success", [S, F], "upstream_failed"],
  ["all_success", [R, UF], "upstream_failed"],
  ["all_success", [S, K], "skip"],
  ["all_done", [S, F, K], "run"],
  ["all_done", [S, R], "wait"],
  ["all_failed", [F, UF], "run"],
  ["all_failed", [F, R], "wait"],
  ["all_failed", [F, S], "skip"],
  ["one_success", [R, S], "run"],
  ["one_success", [F, R], "wait"],
  ["one_success", [F, K], "upstream_failed"],
  ["one_success", [K, K], "skip"],
  ["one_failed", [R, F], "run"],
  ["one_failed", [S, R], "wait"],
  ["one_failed", [S, K], "skip"],
  ["none_failed", [S, K], "run"],
  ["none_failed", [S, R], "wait"],
  ["none_failed", [S, UF], "upstream_failed"],
  ["none_failed_min_one_success", [S, K], "run"],
  ["none_failed_min_one_success", [K, K], "skip"],
  ["none_failed_min_one_success", [F, S], "upstream_failed"],
  ["none_skipped", [S, F], "run"],
  ["none_skipped", [S, K], "skip"],
  ["none_skipped", [S, R], "wait"],
  ["always", [R, R], "run"],
  ["always", [F], "run"],
];

describe("evaluateTriggerRule", () => {
  it.each(cases)("%s with upstream %j -> %s", (rule, states, expected) => {
    expect(evaluateTriggerRule(rule, states)).toBe(expected);
  });

  it.each(TRIGGER_RULES.map((r) => [r]))("%s runs a task without upstream", (rule) => {
    expect(evaluateTriggerRule(rule, [])).toBe("run");
  });

  it("covers every trigger rule in the table", () => {
    expect(new Set(cases.map((c) => c[0]))).toEqual(new Set(TRIGGER_RULES));
  });
});

import { DeadLetterFilterSchema } from "../api/contract";
import { describeIssues } from "../api/http";
import { deadLetterHistory, deadLetterIds, getDeadLetter, searchDeadLetters, type DeadLetterSearch } from "../store/deadLetterActions";
import type { DeadLetter } from "../store/deadLetters";
import type { Db } from "../store/db";
import { writeAudit } from "../store/audit";
import { discardOneDeadLetter, replayDeadLetter, type DeadLetterActionResult } from "../store/replayDeadLetter";
import { DEFER_TO_SCHEDULER } from "../store/taskInstances";
import { withDb } from "./cliDb";
import { CliError } from "./cliError";

/** Filter options shared by `dlq list`, `dlq replay` and `dlq discard`. */
export interface FilterOptions {
  dag?: string;
  task?: string;
  partition?: string;
  status?: string;
  kind?: string;
  error?: string;
  olderThan?: string;
}

function toSearch(o: FilterOptions): DeadLetterSearch {
  const parsed = DeadLetterFilterSchema.safeParse({ dagId: o.dag, taskId: o.task, partition: o.partition, status: o.status, kind: o.kind, q: o.error, olderThan: o.olderThan });
  if (!parsed.success) throw new CliError(`invalid filter: ${describeIssues(parsed.error)}`);
  const { olderThan, ...rest } = parsed.data;
  return { ...rest, olderThan: olderThan === undefined ? undefined : new Date(olderThan) };
}

function line(d: DeadLetter): string {
  return [d.id, d.status, d.kind, `${d.dagId}.${d.taskId}`, d.partition ?? "-", d.recordKey ?? "-", `x${d.attempts}`, d.error].join("\t");
}

/** Letters to act on: the ids given, or every one matching the filters (at most 1000). */
async function targets(db: Db, ids: string[], o: FilterOptions): Promise<DeadLetter[]> {
  if (!ids.length && !Object.values(o).some((v) => v !== undefined)) throw new CliError("give ids or at least one filter");
  const chosen = ids.length ? ids.map((i) => Number(i)) : await deadLetterIds(db, toSearch({ ...o, status: o.status ?? "open" }), 1000);
  if (chosen.some((i) => !Number.isSafeInteger(i) || i <= 0)) throw new CliError("ids must be positive integers");
  const letters = await Promise.all(chosen.map((id) => getDeadLetter(db, id)));
  const missing = chosen.filter((_, i) => letters[i] === undefined);
  if (missing.length) throw new CliError(`no dead letter ${missing.join(", ")}`);
  return letters as DeadLetter[];
}

function report(results: DeadLetterActionResult[], dryRun: boolean, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ dryRun, results }, null, 2));
  } else {
    for (const r of results) console.log(`${r.id}\t${r.ok ? (dryRun ? "would" : "done") : "refused"}\t${r.message ?? ""}\t${r.cleared.map((c) => c.taskId).join(",")}`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

const ACTOR = process.env.USER ? `cli:${process.env.USER}` : "cli";

/** `dlq list`. */
export function listDeadLetters(o: FilterOptions & { limit: string; json?: boolean }): Promise<void> {
  return withDb(async (db) => {
    const { limit, json, ...f } = o;
    const rows = await searchDeadLetters(db, toSearch(f), Math.max(1, Number(limit) || 50));
    const page = rows.slice(0, Math.max(1, Number(limit) || 50));
    console.log(json ? JSON.stringify(page, null, 2) : page.map(line).join("\n") || "no dead letters");
  });
}

/** `dlq show`. */
export function showDeadLetter(id: string): Promise<void> {
  return withDb(async (db) => {
    const d = await getDeadLetter(db, Number(id));
    if (!d) throw new CliError(`no dead letter ${id}`);
    console.log(JSON.stringify({ ...d, history: await deadLetterHistory(db, d.id) }, null, 2));
  });
}

/** `dlq replay`. */
export function replayDeadLetters(ids: string[], o: FilterOptions & { dryRun?: boolean; json?: boolean }): Promise<void> {
  return withDb(async (db) => {
    const { dryRun, json, ...f } = o;
    const results: DeadLetterActionResult[] = [];
    for (const d of await targets(db, ids, f)) results.push(await replayDeadLetter(db, d, dryRun === true, ACTOR, DEFER_TO_SCHEDULER));
    if (!dryRun) await writeAudit(db, { actor: ACTOR, action: "dead_letter.bulk_replay", target: null, details: { ids: results.filter((r) => r.ok).map((r) => r.id) } });
    report(results, dryRun === true, json === true);
  });
}

/** `dlq discard`. */
export function discardDeadLetters(ids: string[], o: FilterOptions & { reason: string; dryRun?: boolean; json?: boolean }): Promise<void> {
  return withDb(async (db) => {
    const { dryRun, json, reason, ...f } = o;
    const results: DeadLetterActionResult[] = [];
    for (const d of await targets(db, ids, f)) results.push(await discardOneDeadLetter(db, d, reason, dryRun === true, ACTOR));
    if (!dryRun) await writeAudit(db, { actor: ACTOR, action: "dead_letter.bulk_discard", target: null, details: { reason, ids: results.filter((r) => r.ok).map((r) => r.id) } });
    report(results, dryRun === true, json === true);
  });
}

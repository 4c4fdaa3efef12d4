import type { Command } from "commander";
import { DEAD_LETTER_STATUSES } from "../model/states";
import type { FilterOptions } from "./dlqActions";

function addFilters(cmd: Command): Command {
  return cmd
    .option("--dag <dagId>", "only this DAG")
    .option("--task <taskId>", "only this task")
    .option("--partition <partition>", "only this partition")
    .option("--status <status>", DEAD_LETTER_STATUSES.join(" | "))
    .option("--kind <kind>", "record | task")
    .option("--error <text>", "error text contains (case-insensitive)")
    .option("--older-than <date>", "created before this date (YYYY-MM-DD or ISO)");
}

/**
 * `runnel dlq list|show|replay|discard`. Works on the database directly. A replay marks the
 * letters replay_pending and clears their task instances with downstream; a running scheduler's
 * admission queues the cleared tries within the DAG's caps. Every action is written to the audit log.
 * The actions (dlqActions.ts) load when one runs.
 */
export function dlqCommand(program: Command): void {
  const dlq = program.command("dlq").description("inspect, replay and discard dead letters");
  addFilters(dlq.command("list").description("list dead letters, newest first"))
    .option("--limit <n>", "at most this many", "50")
    .option("--json", "print JSON")
    .action(async (o: FilterOptions & { limit: string; json?: boolean }) => (await import("./dlqActions")).listDeadLetters(o));
  dlq
    .command("show <id>")
    .description("print a dead letter with its payload, issues and history as JSON")
    .action(async (id: string) => (await import("./dlqActions")).showDeadLetter(id));
  addFilters(dlq.command("replay [ids...]").description("replay letters (by id, or every open one matching the filters); clears their tasks with downstream"))
    .option("--dry-run", "list what would be cleared, change nothing")
    .option("--json", "print JSON")
    .action(async (ids: string[], o: FilterOptions & { dryRun?: boolean; json?: boolean }) => (await import("./dlqActions")).replayDeadLetters(ids, o));
  addFilters(dlq.command("discard [ids...]").description("discard letters (by id, or every open one matching the filters) with a reason"))
    .requiredOption("--reason <text>", "why they are discarded")
    .option("--dry-run", "list what would be discarded, change nothing")
    .option("--json", "print JSON")
    .action(async (ids: string[], o: FilterOptions & { reason: string; dryRun?: boolean; json?: boolean }) => (await import("./dlqActions")).discardDeadLetters(ids, o));
}

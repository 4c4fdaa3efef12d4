import type { Command } from "commander";
import { parseRetentionMs, RETENTION_FORMAT } from "../model/retention";
import type { CleanCounts } from "../store/historyCleanup";
import { CliError } from "./cliError";

/** The cutoff of `--before`: a date (YYYY-MM-DD = midnight UTC, or ISO date-time) or a retention such as 90d (that long before now). */
export function parseCutoff(text: string, now: Date = new Date()): Date {
  const ms = parseRetentionMs(text);
  if (ms !== null) return new Date(now.getTime() - ms);
  if (/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00:00Z` : text.trim());
    if (!Number.isNaN(d.getTime())) return d;
  }
  throw new CliError(`--before ${JSON.stringify(text)}: give a date (YYYY-MM-DD or ISO date-time) or a duration that ${RETENTION_FORMAT.replace(/^must be /, "is ")}`);
}

interface DbCleanOptions {
  before: string;
  dag?: string;
  dryRun?: boolean;
  json?: boolean;
}

function printCounts(counts: CleanCounts, cutoff: Date, dryRun: boolean): void {
  console.log(`${dryRun ? "would delete" : "deleted"} history of runs ended before ${cutoff.toISOString()}:`);
  for (const [table, n] of Object.entries(counts)) console.log(`  ${table.padEnd(20)} ${n}`);
}

/** `runnel db clean`. */
export function dbCommand(program: Command): void {
  const db = program.command("db").description("database maintenance");
  db.command("clean")
    .description(
      "delete ended runs (success, failed, canceled) that ended before --before, with their task instances, attempts, logs, check results, dataset reads and closed dead letters, alert events whose deliveries are all sent or given up, and expired sessions; " +
        "never a queued or running run, one holding the latest write of a partition, one with an open dead letter, one of an unfinished backfill or reprocess, nor a DAG's newest scheduled run",
    )
    .requiredOption("--before <date|duration>", "cutoff: a date (YYYY-MM-DD = midnight UTC, or ISO date-time) or a duration back from now (90d, 12h, 30m)")
    .option("--dag <dagId>", "only this DAG's runs (sessions are left alone)")
    .option("--dry-run", "count what would be deleted; delete nothing")
    .option("--json", "print the counts per table as a JSON object")
    .action(async (o: DbCleanOptions) => {
      const cutoff = parseCutoff(o.before);
      const [{ loadConfig }, { cleanHistory }, { openMigratedDb }] = await Promise.all([import("../config/config"), import("../store/historyCleanup"), import("./cliDb")]);
      const handle = await openMigratedDb(loadConfig());
      try {
        const counts = await cleanHistory(handle, { before: cutoff, dagId: o.dag, dryRun: o.dryRun === true });
        if (o.json) console.log(JSON.stringify(counts));
        else printCounts(counts, cutoff, o.dryRun === true);
      } finally {
        await handle.destroy();
      }
    });
}

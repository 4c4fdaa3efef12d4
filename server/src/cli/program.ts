import { Command, InvalidArgumentError, Option } from "commander";
import type { BackfillCliOptions } from "./backfillCommands";
import { dbCommand } from "./dbCommands";
import { dlqCommand } from "./dlqCommands";
import type { TaskTestOptions } from "./taskTest";

// Each command loads what it needs when it runs (dynamic imports), so `--help` and a light command
// such as `dags list` do not load the engine, the API and the queue.

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
}

const hostOption = () => new Option("--host <host>", "address to listen on").default("127.0.0.1");
const portOption = () => new Option("--port <port>", "port to listen on").default(8080).argParser(positiveInt);

/** The `runnel` command line. */
export function buildCli(): Command {
  const program = new Command("runnel").description("Runnel: TypeScript DAGs, Postgres-backed scheduling, BullMQ workers").showHelpAfterError();
  // Every command but `start` reaches the private servers of a `runnel start` running in this folder
  // when DATABASE_URL/REDIS_URL are unset and nothing answers at the defaults (.runnel/start.json).
  program.hook("preAction", async (_program, action) => {
    if (action.name() === "start" && action.parent === program) return;
    const { discoverRunningServices } = await import("../infra/serviceDiscovery");
    const found = await discoverRunningServices(process.env, process.cwd());
    Object.assign(process.env, found.env);
    for (const note of found.notes) console.error(`runnel: ${note}`);
  });

  program
    .command("start")
    .description("run everything in one process: migrate, scheduler, workers, API and dashboard (starts private Postgres/Redis when none answers)")
    .addOption(hostOption())
    .addOption(portOption())
    .option("--concurrency <n>", "worker slots (default RUNNEL_WORKER_CONCURRENCY or 8)", positiveInt)
    .action(async (o: { host: string; port: number; concurrency?: number }) => (await import("./serve")).runStart(o));

  program.command("scheduler").description("run a scheduler (any number may run; one leads run creation)").action(async () => (await import("./serve")).runScheduler());

  program
    .command("worker")
    .description("run a worker that executes task tries from the queue")
    .option("--concurrency <n>", "tries run at once (default RUNNEL_WORKER_CONCURRENCY or 8)", positiveInt)
    .option("--lock-duration <ms>", "BullMQ job lock; a worker silent this long is considered stalled", positiveInt)
    .option("--stalled-interval <ms>", "how often to look for stalled jobs", positiveInt)
    .action(async (o: { concurrency?: number; lockDuration?: number; stalledInterval?: number }) =>
      (await import("./serve")).runWorker({ concurrency: o.concurrency, lockDurationMs: o.lockDuration, stalledIntervalMs: o.stalledInterval }),
    );

  program.command("api").description("run the API server and dashboard").addOption(hostOption()).addOption(portOption()).action(async (o: { host: string; port: number }) => (await import("./serve")).runApi(o));

  program
    .command("migrate")
    .description("apply pending database migrations, then the SQL functions and triggers of src/store/sql when changed")
    .action(async () => {
      const [{ loadConfig }, { createDb, migrateLatest }] = await Promise.all([import("../config/config"), import("../store/db")]);
      const db = createDb(loadConfig().databaseUrl);
      try {
        const applied = await migrateLatest(db);
        console.log(applied.length ? `applied: ${applied.join(", ")}` : "database is up to date");
      } finally {
        await db.destroy();
      }
    });

  const dags = program.command("dags").description("inspect and control DAGs");
  dags.command("list").description("list DAGs and import errors").option("--json", "print JSON").action(async (o: { json?: boolean }) => (await import("./listDags")).listDags(o.json === true));
  dags
    .command("intervals <dagId>")
    .description("print the data intervals of the scheduled runs whose logical date is in [from, to]")
    .requiredOption("--from <date>", "first logical date (YYYY-MM-DD = midnight in the DAG's timezone, or ISO date-time)")
    .requiredOption("--to <date>", "last logical date, inclusive")
    .option("--json", "print a JSON array of { logicalDate, start, end }")
    .action(async (dagId: string, o: { from: string; to: string; json?: boolean }) => (await import("./dagCommands")).printIntervals(dagId, o.from, o.to, o.json === true));
  dags
    .command("trigger <dagId>")
    .description("create a manual run")
    .option("--conf <json>", "run params as a JSON object (validated against the DAG's params schema)")
    .option("--logical-date <date>", "logical date (default: the last complete interval's start; without a cron: now)")
    .action(async (dagId: string, o: { conf?: string; logicalDate?: string }) => (await import("./dagCommands")).triggerDag(dagId, o.conf, o.logicalDate));
  dags.command("pause <dagId>").description("stop creating scheduled runs").action(async (dagId: string) => (await import("./dagCommands")).pauseDag(dagId, true));
  dags.command("unpause <dagId>").description("resume creating scheduled runs").action(async (dagId: string) => (await import("./dagCommands")).pauseDag(dagId, false));
  dags
    .command("test <dagId> <date>")
    .description("run the whole DAG for one logical date in this process as a test run (run type test) and print each task's log and state")
    .action(async (dagId: string, date: string) => {
      const [{ loadConfig }, { testDag }] = await Promise.all([import("../config/config"), import("./testRuns")]);
      const state = await testDag(loadConfig(), dagId, date, (l) => process.stdout.write(`${l}\n`));
      process.exitCode = state === "success" ? 0 : 1;
    });

  program
    .command("backfill <dagId>")
    .description("run a DAG over a range of past logical dates through the scheduler (a running scheduler launches the runs)")
    .requiredOption("--from <date>", "first logical date (YYYY-MM-DD = midnight in the DAG's timezone, or ISO date-time)")
    .requiredOption("--to <date>", "last logical date, inclusive")
    .addOption(new Option("--reprocess <mode>", "missing: only dates without a run; failed: also rerun failed tasks; all: rerun everything").choices(["missing", "failed", "all"]).default("missing"))
    .option("--max-active-runs <n>", "most runs of this backfill queued or running at once", positiveInt, 10)
    .addOption(new Option("--order <order>", "which dates first").choices(["oldest", "newest"]).default("oldest"))
    .option("--conf <json>", "run params as a JSON object (validated against the DAG's params schema)")
    .option("--dry-run", "print which logical dates would be created, cleared and left alone; change nothing")
    .option("--json", "print JSON ({ create, clear, skip } for a dry run)")
    .option("--wait", "follow the backfill (progress on stderr); exit 1 if a run failed or it was canceled")
    .action(async (dagId: string, o: BackfillCliOptions) => {
      process.exitCode = await (await import("./backfillCommands")).backfillCommand(dagId, o);
    });

  dlqCommand(program);
  dbCommand(program);

  const users = program.command("users").description("manage dashboard and API users");
  users
    .command("create <username>")
    .description("create a user (prints a generated password when --password is not given)")
    .addOption(new Option("--role <role>", "viewer (read), operator (trigger, pause, clear, mark, cancel) or admin").choices(["viewer", "operator", "admin"]).makeOptionMandatory())
    .option("--password <password>", "the password (default: generate one and print it)")
    .action(async (username: string, o: { role: string; password?: string }) => (await import("./userCommands")).createUserCommand(username, o.role, o.password));

  const tokens = program.command("tokens").description("manage API tokens");
  tokens
    .command("create <username>")
    .description("create an API token for a user and print it once (send it as Authorization: Bearer <token>)")
    .option("--name <name>", "what the token is for", "cli")
    .action(async (username: string, o: { name: string }) => (await import("./userCommands")).createTokenCommand(username, o.name));

  const tasks = program.command("tasks").description("work with single tasks");
  tasks
    .command("test <dagId> <taskId>")
    .description(
      "run one task once in this process and record nothing in Runnel's history (no run, dead letter, dataset event or read; the task's own warehouse writes happen); prints its log, state and output",
    )
    .option("--logical-date <date>", "logical date (default: that of the schedule's latest complete interval)")
    .option("--upstream <json>", 'upstream outputs as {"<upstream task id>": <its output>, ...} (default: from the latest successful run of the logical date)')
    .option("--conf <json>", "run params as a JSON object (validated against the DAG's params schema)")
    .action(async (dagId: string, taskId: string, o: TaskTestOptions) => {
      const [{ loadConfig }, { testTask }] = await Promise.all([import("../config/config"), import("./taskTest")]);
      const r = await testTask(loadConfig(), dagId, taskId, o, (l) => process.stdout.write(`${l}\n`));
      process.exitCode = r.state === "failed" ? 1 : 0;
    });

  return program;
}

import { buildCli } from "./program";

/** Errors that mean "the user asked for something impossible": one line, no stack. Matched by name so this module loads none of them. */
const ONE_LINE_ERRORS = new Set(["ConfigError", "CliError", "DagFolderError", "TriggerError", "ScheduleError"]);

/** Entry point of the `runnel` command: known errors print one line and exit 1. */
async function main(): Promise<void> {
  try {
    await buildCli().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof Error && ONE_LINE_ERRORS.has(err.name)) {
      console.error(`runnel: ${err.message}`);
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  }
}

void main();

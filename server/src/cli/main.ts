import { ConfigError } from "../config/config";
import { CliError } from "./dagCommands";
import { buildCli } from "./program";

/** Entry point of the `runnel` command: known errors print one line and exit 1. */
async function main(): Promise<void> {
  try {
    await buildCli().parseAsync(process.argv);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CliError || (err as Error).name === "TriggerError" || (err as Error).name === "ScheduleError") {
      console.error(`runnel: ${(err as Error).message}`);
      process.exit(1);
    }
    console.error(err);
    process.exit(1);
  }
}

void main();

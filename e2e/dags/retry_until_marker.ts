/**
 * A DAG for the retry flow of the e2e tests: `check_marker` fails until a marker file exists,
 * so a test can see it red, create the file, click Retry and see it green.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { defineDag } from "runnel";
import { z } from "zod";

/** The stack sets RUNNEL_E2E_SCRATCH to a folder of its own; the marker lives there. */
const DEFAULT_MARKER = join(process.env.RUNNEL_E2E_SCRATCH ?? tmpdir(), "retry_until_marker.ok");

export default defineDag(
  {
    id: "retry_until_marker",
    schedule: null,
    timezone: "UTC",
    startDate: "2024-01-01",
    params: z.object({ markerPath: z.string().min(1).default(DEFAULT_MARKER) }),
    description: "Fails until a marker file exists; used by the e2e retry test.",
    tags: ["e2e"],
  },
  (dag) => {
    const check = dag.task("check_marker", {
      retries: 0,
      doc: "Throws unless the marker file exists.",
      run: (ctx) => {
        const path = ctx.params.markerPath;
        if (!existsSync(path)) throw new Error(`marker file ${path} does not exist yet`);
        ctx.log.info(`found the marker ${path}`);
        return { markerPath: path };
      },
    });
    dag.task("after_marker", {
      needs: { check },
      doc: "Runs once the marker was found.",
      run: (ctx) => {
        ctx.log.info(`upstream saw ${ctx.upstream.check.markerPath}`);
        return { ok: true };
      },
    });
  },
);

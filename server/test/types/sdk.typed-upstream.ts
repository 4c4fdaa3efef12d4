/**
 * Compile-time tests of the SDK's typing, checked by `pnpm typecheck` (tsc). Each
 * `@ts-expect-error` fails the typecheck if the line below it ever compiles.
 */
import { z } from "zod";
import { defineDag } from "../../src/sdk/index";

export default defineDag({ id: "typed", schedule: null, params: z.object({ region: z.string().default("eu") }) }, (dag) => {
  const extract = dag.task("extract", { run: () => ({ rows: 1234, source: "orders" }) });
  const label = dag.task("label", { run: async () => "done" as string });

  dag.task("uses_types", {
    needs: { extract, label },
    run: (ctx) => {
      const rows: number = ctx.upstream.extract.rows;
      const text: string = ctx.upstream.label;
      const region: string = ctx.params.region;
      // @ts-expect-error rows is a number, not a string
      const wrong: string = ctx.upstream.extract.rows;
      // @ts-expect-error no such upstream alias
      void ctx.upstream.missing;
      // @ts-expect-error no such field in extract's output
      void ctx.upstream.extract.columns;
      // @ts-expect-error params are typed from the zod schema
      const n: number = ctx.params.region;
      return { rows, text, region, wrong, n };
    },
  });

  dag.task("bad_output", {
    // @ts-expect-error outputs must be JSON: a function is not
    run: () => ({ fn: () => 1 }),
  });
});

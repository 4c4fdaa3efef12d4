/**
 * The smallest useful DAG: three fast tasks that pass typed outputs downstream.
 * Good for checking an install end to end (`pnpm runnel dags trigger hello`).
 */
import { defineDag } from "runnel";

export default defineDag(
  {
    id: "hello",
    schedule: "@daily",
    timezone: "UTC",
    startDate: "2024-01-01",
    catchup: false,
    description: "Says hello, counts the letters, reports. Runs in milliseconds.",
    tags: ["example"],
  },
  (dag) => {
    const sayHello = dag.task("say_hello", {
      doc: "Builds a greeting for the run's date.",
      run: (ctx) => {
        const greeting = `Hello from Runnel for ${ctx.ds}!`;
        ctx.log.info(greeting);
        return { greeting };
      },
    });

    const countLetters = dag.task("count_letters", {
      needs: { hello: sayHello },
      doc: "Counts the letters of the upstream greeting.",
      run: (ctx) => {
        const letters = ctx.upstream.hello.greeting.replace(/[^\p{L}]/gu, "").length;
        ctx.log.info(`the greeting has ${letters} letters`);
        return { letters };
      },
    });

    dag.task("report", {
      needs: { hello: sayHello, count: countLetters },
      doc: "Combines both upstream outputs.",
      run: (ctx) => {
        const summary = `"${ctx.upstream.hello.greeting}" has ${ctx.upstream.count.letters} letters`;
        ctx.log.info(summary);
        return { summary };
      },
    });
  },
);

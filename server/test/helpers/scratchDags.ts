import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("../../", import.meta.url));

/** A writable DAG folder in the temp dir whose files can `import ... from "runnel"`. */
export interface ScratchDags {
  dir: string;
  write(file: string, source: string): Promise<void>;
  remove(): Promise<void>;
}

export async function scratchDags(label: string): Promise<ScratchDags> {
  const dir = await mkdtemp(join(tmpdir(), `runnel-${label}-`));
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: `${label}-dags`, type: "module" }));
  await mkdir(join(dir, "node_modules"));
  await symlink(SERVER, join(dir, "node_modules", "runnel"));
  return {
    dir,
    async write(file, source) {
      await mkdir(join(dir, file, ".."), { recursive: true });
      await writeFile(join(dir, file), source);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A one-task DAG file with these defineDag options (a JS object literal's body, e.g. `schedule: "@daily"`). */
export function dagFile(id: string, options: string): string {
  return `import { defineDag } from "runnel";

export default defineDag({ id: ${JSON.stringify(id)}, ${options} }, (dag) => {
  dag.task("t", { run: () => undefined });
});
`;
}

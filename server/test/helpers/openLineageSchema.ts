import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const SCHEMA_PATH = new URL("../fixtures/openlineage/RunEvent-2-0-2.json", import.meta.url);

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, "utf8")) as object);

/** The problems of `event` against the trimmed OpenLineage 2-0-2 RunEvent schema; empty when valid. */
export function runEventProblems(event: unknown): string[] {
  if (validate(event)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "(event)"} ${e.message ?? "invalid"}`);
}

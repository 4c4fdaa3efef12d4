import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

/** One reason a payload does not meet its schema: `path` as a JSON Pointer ("" = the record itself). */
export interface PayloadIssue {
  path: string;
  message: string;
}

/** What checking a payload answered. `checked` is false when there was no usable schema to check against. */
export interface PayloadCheck {
  valid: boolean;
  checked: boolean;
  issues: PayloadIssue[];
}

// One compiler for the process: compiled schemas are cached by content, so a letter's schema is
// compiled once however often its editor asks. Non-strict: zod's output may carry keywords
// (e.g. `$schema` drafts, `id`) that strict mode refuses; unknown formats are ignored, not fatal.
const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction | null>();
const MAX_CACHED = 500;

function compile(schema: object): ValidateFunction | null {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit !== undefined) return hit;
  let fn: ValidateFunction | null;
  try {
    fn = ajv.compile(schema);
  } catch {
    fn = null;
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(key, fn);
  return fn;
}

function describe(e: ErrorObject): PayloadIssue {
  const params = e.params as Record<string, unknown>;
  // For a missing property, point at the property rather than at its parent object.
  const path = e.keyword === "required" && typeof params.missingProperty === "string" ? `${e.instancePath}/${params.missingProperty}` : e.instancePath;
  return { path, message: e.message ?? e.keyword };
}

/**
 * Checks `payload` against a stored JSON Schema (what ctx.validate saved from the task's zod
 * schema). A missing or uncompilable schema is not a failure: the answer says `checked: false`.
 */
export function checkPayload(schema: unknown, payload: unknown): PayloadCheck {
  if (typeof schema !== "object" || schema === null) return { valid: true, checked: false, issues: [] };
  const validate = compile(schema);
  if (!validate) return { valid: true, checked: false, issues: [] };
  const valid = validate(payload);
  return { valid, checked: true, issues: valid ? [] : (validate.errors ?? []).map(describe) };
}

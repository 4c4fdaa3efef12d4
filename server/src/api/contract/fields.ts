/** Field helpers shared by the contract modules (not part of the contract's exported names). */
import { z } from "zod";

export const isoString = z.string().describe("ISO 8601 date-time");
/** A date in a query or body: YYYY-MM-DD or an ISO 8601 date-time. */
export const dateInput = z
  .string()
  .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s.trim()) && !Number.isNaN(Date.parse(s)), { message: "must be YYYY-MM-DD or an ISO date-time" })
  .describe("YYYY-MM-DD or ISO 8601 date-time");
export const cursorInput = z.string().min(1).max(500).describe("opaque: the nextCursor of the previous page");
export const limitInput = (def: number, max: number) => z.coerce.number().int().min(1).max(max).default(def);
export const jsonObject = z.record(z.string(), z.unknown());

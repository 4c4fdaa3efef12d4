/** API contract: auth and audit. See ../contract.ts. */
import { z } from "zod";
import { isoString, cursorInput, limitInput } from "./fields";
import { UserRoleSchema } from "./common";

/** Body of `POST /api/auth/login`. */
export const LoginRequestSchema = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1000) });
export type LoginRequest = z.infer<typeof LoginRequestSchema>;

/** The signed-in user (`GET /api/auth/me`, and the answer of a login). */
export const CurrentUserSchema = z.object({ username: z.string(), role: UserRoleSchema });
export type CurrentUser = z.infer<typeof CurrentUserSchema>;

/** One audit log entry. `details` is JSON given by the action (e.g. the clear options). */
export const AuditEntrySchema = z.object({ id: z.number().int(), actor: z.string(), action: z.string(), target: z.string().nullable(), details: z.unknown(), createdAt: isoString });
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Query of `GET /api/audit`, newest first. */
export const AuditQuerySchema = z.object({ limit: limitInput(100, 1000), cursor: cursorInput.optional() });
export type AuditQuery = z.input<typeof AuditQuerySchema>;

/** Body of `GET /api/audit`. */
export const AuditListResponseSchema = z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() });
export type AuditListResponse = z.infer<typeof AuditListResponseSchema>;

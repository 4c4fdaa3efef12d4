/** API contract: shared pieces. See ../contract.ts. */
import { z } from "zod";
import { ATTEMPT_STATES, RUN_STATES, RUN_TYPES, TASK_STATES, TRIGGER_RULES, UserRole } from "../../model/states";

/** A run state (see sdk/states.ts). */
export const RunStateSchema = z.enum(RUN_STATES);
/** A task instance state (see sdk/states.ts). */
export const TaskStateSchema = z.enum(TASK_STATES);
/** Why a run exists. */
export const RunTypeSchema = z.enum(RUN_TYPES);
/** The state of one try. */
export const AttemptStateSchema = z.enum(ATTEMPT_STATES);
/** A trigger rule. */
export const TriggerRuleSchema = z.enum(TRIGGER_RULES);
/** A user's role: viewer < operator < admin. */
export const UserRoleSchema = z.enum(Object.values(UserRole));

/** Body of every 4xx/5xx answer. */
export const ApiErrorBodySchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiErrorBody = z.infer<typeof ApiErrorBodySchema>;

/** API contract: users and API tokens (admin). See ../contract.ts. */
import { z } from "zod";
import { isoString } from "./fields";
import { UserRoleSchema } from "./common";

/** A username: letters, digits and `_ . @ -`. */
const usernameInput = z.string().min(1).max(200).regex(/^[A-Za-z0-9_.@-]+$/, "letters, digits and _ . @ - only");
/** A password set through the API: at least 8 characters. */
const passwordInput = z.string().min(8).max(1000);

/** A user as `GET /api/users` lists it (never the password hash). */
export const UserSchema = z.object({ username: z.string(), role: UserRoleSchema, createdAt: isoString });
export type User = z.infer<typeof UserSchema>;

/** Body of `GET /api/users`, by username. */
export const UserListResponseSchema = z.object({ users: z.array(UserSchema) });
export type UserListResponse = z.infer<typeof UserListResponseSchema>;

/** Body of `POST /api/users`: without `password`, one is generated and answered once. */
export const CreateUserRequestSchema = z.object({ username: usernameInput, role: UserRoleSchema, password: passwordInput.optional() });
export type CreateUserRequest = z.input<typeof CreateUserRequestSchema>;

/** Answer of `POST /api/users`: `generatedPassword` is shown this once (null when one was given). */
export const CreateUserResponseSchema = z.object({ user: UserSchema, generatedPassword: z.string().nullable() });
export type CreateUserResponse = z.infer<typeof CreateUserResponseSchema>;

/** Body of `PATCH /api/users/:username`: a password change ends the user's other sessions. */
export const UpdateUserRequestSchema = z
  .object({ role: UserRoleSchema.optional(), password: passwordInput.optional() })
  .refine((b) => b.role !== undefined || b.password !== undefined, { message: "give role and/or password" });
export type UpdateUserRequest = z.input<typeof UpdateUserRequestSchema>;

/** An API token as listed: never its secret. `revokedAt` non-null = no longer accepted. */
export const ApiTokenSchema = z.object({ id: z.number().int(), name: z.string(), username: z.string(), createdAt: isoString, lastUsedAt: isoString.nullable(), revokedAt: isoString.nullable() });
export type ApiToken = z.infer<typeof ApiTokenSchema>;

/** Body of `GET /api/tokens`: your tokens (an admin sees everyone's), newest first. */
export const TokenListResponseSchema = z.object({ tokens: z.array(ApiTokenSchema) });
export type TokenListResponse = z.infer<typeof TokenListResponseSchema>;

/** Body of `POST /api/tokens`: a token for yourself. */
export const CreateTokenRequestSchema = z.object({ name: z.string().trim().min(1).max(200) });
export type CreateTokenRequest = z.input<typeof CreateTokenRequestSchema>;

/** Answer of `POST /api/tokens`: `secret` (send as `Authorization: Bearer <secret>`) is shown this once. */
export const CreateTokenResponseSchema = z.object({ token: ApiTokenSchema, secret: z.string() });
export type CreateTokenResponse = z.infer<typeof CreateTokenResponseSchema>;

import { Router, type Request, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { createUser, deleteUser, listUsers, updateUser, type UserListing } from "../../store/users";
import { principalOf, readCookie, requireRole, SESSION_COOKIE } from "../auth/authenticate";
import { hashPassword, hashToken, randomSecret } from "../auth/secrets";
import { CreateUserRequestSchema, UpdateUserRequestSchema, type CreateUserResponse, type User, type UserListResponse } from "../contract";
import { HttpError, parseWith, strParam } from "../http";
import { recordAction } from "../recordAction";

const presentUser = (u: UserListing): User => ({ username: u.username, role: u.role, createdAt: u.createdAt.toISOString() });

async function create(rt: Runtime, body: unknown, res: Response): Promise<CreateUserResponse> {
  const req = parseWith(CreateUserRequestSchema, body, "body");
  const password = req.password ?? randomSecret(18);
  const user = await createUser(rt.db, req.username, await hashPassword(password), req.role);
  if (!user) throw new HttpError(409, "conflict", `user "${req.username}" already exists`);
  // The password is never written to the audit log, generated or not.
  await recordAction(rt.db, res, "user_create", `user:${req.username}`, { role: req.role, generatedPassword: req.password === undefined });
  const listed = (await listUsers(rt.db)).find((u) => u.id === user.id);
  return { user: presentUser(listed ?? { ...user, createdAt: new Date() }), generatedPassword: req.password === undefined ? password : null };
}

async function update(rt: Runtime, username: string, req: Request, res: Response): Promise<User> {
  const body = parseWith(UpdateUserRequestSchema, req.body, "body");
  const cookie = readCookie(req, SESSION_COOKIE);
  const result = await updateUser(
    rt.db,
    username,
    { role: body.role, passwordHash: body.password === undefined ? undefined : await hashPassword(body.password) },
    cookie ? hashToken(cookie) : undefined,
  );
  if (result === "not_found") throw new HttpError(404, "not_found", `no user "${username}"`);
  if (result === "last_admin") throw new HttpError(409, "conflict", "cannot demote the last admin");
  await recordAction(rt.db, res, "user_update", `user:${username}`, { role: body.role ?? null, passwordChanged: body.password !== undefined });
  return presentUser(result);
}

async function remove(rt: Runtime, username: string, res: Response): Promise<void> {
  if (principalOf(res).user.username === username) throw new HttpError(409, "conflict", "you cannot delete yourself");
  const result = await deleteUser(rt.db, username);
  if (result === "not_found") throw new HttpError(404, "not_found", `no user "${username}"`);
  if (result === "last_admin") throw new HttpError(409, "conflict", "cannot delete the last admin");
  await recordAction(rt.db, res, "user_delete", `user:${username}`, { role: result.role });
}

/** `/api/users/*` (admins only; mounted after `authenticate`). */
export function usersRouter(rt: Runtime): Router {
  const r = Router();
  r.use("/users", requireRole("admin"));
  r.get("/users", async (_req, res) => {
    const body: UserListResponse = { users: (await listUsers(rt.db)).map(presentUser) };
    res.json(body);
  });
  r.post("/users", async (req, res) => void res.status(201).json(await create(rt, req.body, res)));
  r.patch("/users/:username", async (req, res) => void res.json(await update(rt, strParam(req, "username"), req, res)));
  r.delete("/users/:username", async (req, res) => {
    await remove(rt, strParam(req, "username"), res);
    res.status(204).end();
  });
  return r;
}

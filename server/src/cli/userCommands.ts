import { hashPassword, hashToken, randomSecret } from "../api/auth/secrets";
import { UserRole } from "../model/states";
import { writeAudit } from "../store/audit";
import { createApiToken, createUser, findUserByName } from "../store/users";
import { withDb } from "./cliDb";
import { CliError } from "./cliError";

/** `users create <username> --role <role> [--password <pw>]`: prints a generated password when none is given. */
export async function createUserCommand(username: string, role: string, password: string | undefined): Promise<void> {
  if (!Object.values(UserRole).includes(role as UserRole)) throw new CliError(`--role must be one of ${Object.values(UserRole).join(", ")}`);
  const pw = password ?? randomSecret(18);
  await withDb(async (db) => {
    const user = await createUser(db, username, await hashPassword(pw), role as UserRole);
    if (!user) throw new CliError(`user "${username}" already exists`);
    await writeAudit(db, { actor: "cli", action: "user_create", target: `user:${username}`, details: { role } });
  });
  console.log(password === undefined ? `created ${role} ${username} with password: ${pw}` : `created ${role} ${username}`);
}

/** `tokens create <username> [--name <name>]`: prints the token once; only its hash is stored. */
export async function createTokenCommand(username: string, name: string): Promise<void> {
  const token = randomSecret(32, "rn_");
  await withDb(async (db) => {
    const user = await findUserByName(db, username);
    if (!user) throw new CliError(`no user "${username}"`);
    await createApiToken(db, user.id, name, hashToken(token));
    await writeAudit(db, { actor: "cli", action: "token_create", target: `user:${username}`, details: { name } });
  });
  console.log(token);
}

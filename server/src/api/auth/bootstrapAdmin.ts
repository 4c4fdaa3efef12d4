import type { Db } from "../../store/db";
import { writeAudit } from "../../store/audit";
import { createFirstUser } from "../../store/users";
import { hashPassword, randomSecret } from "./secrets";

/**
 * On first start (no user at all), creates the user `admin` with the password from
 * `RUNNEL_ADMIN_PASSWORD`, or a generated one that is printed once with `print`.
 * @returns whether the user was created.
 */
export async function ensureAdminUser(db: Db, envPassword: string | undefined, print: (line: string) => void): Promise<boolean> {
  const password = envPassword && envPassword.length > 0 ? envPassword : randomSecret(18);
  const created = await createFirstUser(db, "admin", await hashPassword(password), "admin");
  if (!created) return false;
  await writeAudit(db, { actor: "system", action: "user_create", target: "user:admin", details: { role: "admin", firstStart: true } });
  if (envPassword) print("Created user admin (password from RUNNEL_ADMIN_PASSWORD).");
  else print(`Created user admin with password: ${password}\n(shown once; change it by creating a new admin with \`pnpm runnel users create\`)`);
  return true;
}

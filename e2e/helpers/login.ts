import type { Page } from "playwright-core";
import { E2E_ADMIN_PASSWORD } from "./stack";

/** Logs `page` in as admin through the login form; leaves it on the DAG list. */
export async function logIn(page: Page, baseUrl: string, password = E2E_ADMIN_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("table", { name: "DAGs" }).waitFor({ timeout: 30_000 });
}

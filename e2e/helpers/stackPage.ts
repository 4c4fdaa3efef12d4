import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { launchBrowser } from "./browser";
import { startStack, type Stack } from "./stack";

/** A real stack (`runnel start`), Chromium and one page that records CSP violations and page errors. */
export interface StackPage {
  stack: Stack;
  browser: Browser;
  page: Page;
  /** Content-Security-Policy refusals and uncaught page errors seen so far: a test expects none. */
  problems: string[];
  close(): Promise<void>;
}

/** Starts the stack and a 1440×900 page on it. */
export async function openStackPage(): Promise<StackPage> {
  const stack = await startStack();
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const problems: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy|Refused to/i.test(msg.text())) problems.push(msg.text());
  });
  page.on("pageerror", (err) => problems.push(err.message));
  return {
    stack,
    browser,
    page,
    problems,
    async close() {
      await browser.close();
      await stack.stop();
    },
  };
}

/**
 * Opens a stack page before the calling test file's tests (handing it to `receive`) and closes
 * it after them: the setup every real-stack test file shares.
 */
export function useStackPage(receive: (session: StackPage) => void): void {
  let session: StackPage | undefined;
  beforeAll(async () => {
    session = await openStackPage();
    receive(session);
  });
  afterAll(async () => {
    await session?.close();
  });
}

import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** The system Chromium (`scripts/ensure-chromium.sh` installs Debian's when missing). */
export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
    (p): p is string => !!p && existsSync(p),
  );
  if (!found) throw new Error("No Chromium found: run scripts/ensure-chromium.sh or set CHROMIUM_PATH");
  return found;
}

export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({
    executablePath: chromiumPath(),
    // The background-networking flags matter on a closed network: without them
    // Chromium keeps opening connections that are refused, many at a time.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Uncaught exceptions in each page: a crash the UI hid still fails the test. */
const uncaught = new WeakMap<Page, string[]>();
export const pageErrors = (page: Page): string[] => uncaught.get(page) ?? [];

/** The dashboard at `url`, signed in as the demo identity `as`, with its uncaught errors collected. */
export async function openAs(browser: Browser, url: string, as: string, height = 1600): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  uncaught.set(page, errors);
  await page.goto(`${url}/?as=${as}`);
  await page.getByTestId("auth-status").and(page.locator('[data-state="signed-in"]')).waitFor({ timeout: 15_000 });
  return page;
}

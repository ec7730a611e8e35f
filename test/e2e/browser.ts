import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

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

/**
 * `npm run demo`: the example app on localhost, offline. Builds the app
 * (example/app) with Vite, seeds demo data into the in-process runtime and
 * serves both on one origin, which is also the Convex URL the app connects to.
 *
 *   tsx example/local/main.ts [--port 3210] [--host 127.0.0.1] [--events N] [--no-build] [--no-demo] [--no-sinks] [--exact-runtime] [--quiet]
 *
 * `--events N` adds N synthetic events (dev/workload.ts, as the bench seeds) through the
 * component's logBulk; `--no-build` serves the existing example/app/dist;
 * `--exact-runtime` runs queries on convex-test's own (slow) index code.
 *
 * The audit log is delivered as it is sealed to two sinks on local servers
 * (sinks.ts), started here and stopped on exit: `archive`, an S3 bucket on a
 * local s3rver, and `siem`, a webhook receiver that verifies each batch's
 * signature. The console says where they are; `--no-sinks` leaves them out.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { appDir, buildApp } from "./app.js";
import { startLocalRuntime } from "./server.js";

type Cli = { port: number; host: string; events: number; build: boolean; demo: boolean; sinks: boolean; quiet: boolean; exact: boolean };

function parseCli(argv: string[]): Cli {
  const cli: Cli = { port: Number(process.env.PORT ?? 3210), host: "127.0.0.1", events: 0, build: true, demo: true, sinks: true, quiet: false, exact: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2) as [string, string | undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const count = (v: string) => {
      const n = Number(v.replace(/[_,]/g, ""));
      if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} takes a whole number, not ${v}`);
      return n;
    };
    if (flag === "--port") cli.port = count(value());
    else if (flag === "--host") cli.host = value();
    else if (flag === "--events") cli.events = count(value());
    else if (flag === "--no-build") cli.build = false;
    else if (flag === "--no-demo") cli.demo = false;
    else if (flag === "--no-sinks") cli.sinks = false;
    else if (flag === "--quiet") cli.quiet = true;
    else if (flag === "--exact-runtime") cli.exact = true;
    else throw new Error(`unknown argument ${argv[i]} (use --port N, --host H, --events N, --no-build, --no-demo, --no-sinks, --exact-runtime, --quiet)`);
  }
  return cli;
}

const page = (body: string) =>
  `<!doctype html><meta charset="utf-8"><title>convex-audit-log demo</title><body style="font:16px system-ui;max-width:40rem;margin:3rem auto">${body}</body>`;

async function main() {
  const cli = parseCli(process.argv.slice(2));
  const distDir = join(appDir, "dist");
  let staticDir: string | null = null;
  let missingAppHtml: string | undefined;

  if (cli.build) {
    console.log("Building example/app with Vite ...");
    staticDir = await buildApp(distDir);
  } else if (existsSync(join(distDir, "index.html"))) {
    staticDir = distDir;
  } else {
    missingAppHtml = page("<h1>No build</h1><p><code>example/app/dist</code> has no build: run the demo without <code>--no-build</code>.</p>");
  }

  if (cli.events > 0) console.log(`Seeding ${cli.events.toLocaleString("en")} synthetic events ...`);
  const runtime = await startLocalRuntime({
    port: cli.port,
    host: cli.host,
    staticDir,
    missingAppHtml,
    demo: cli.demo,
    seedEvents: cli.events,
    sinks: cli.sinks,
    quiet: cli.quiet,
    exactRuntime: cli.exact,
    onProgress: (line) => console.log(`  ${line}`),
  });
  console.log(`\n  \x1b[1mconvex-audit-log demo\x1b[0m at \x1b[36m${runtime.url}\x1b[0m  (Convex URL: the same; Ctrl-C stops it)\n`);
  if (runtime.sinks !== null) {
    for (const line of runtime.sinks.describe(runtime.url)) console.log(`  ${line}`);
    console.log(`       (the dashboard's "Delivery sinks" panel shows their status, as Root; Ctrl-C stops these servers too)\n`);
  }

  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    void runtime.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});

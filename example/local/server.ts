/**
 * The local runtime's server: one HTTP port that serves the built app, the
 * Convex sync WebSocket (`/api/<version>/sync`, sync.ts) the unchanged
 * `ConvexReactClient` connects to, `ConvexHttpClient`'s `/api/query`,
 * `/api/mutation` and `/api/action`, the example's HTTP actions under
 * `/http/`, and `GET /_local/metrics` (what each subscribed query read).
 *
 * Background work a deployment does by itself happens here on timers, through
 * the same queue as client requests: noticing commits made outside a request
 * (scheduled functions), and the component's stats rollup, which in a
 * deployment is its cron.
 *
 * With `sinks`, the audit log is also delivered out of the database: a local
 * S3 server and webhook receiver start (sinks.ts), the example app configures
 * a sink to each, and after every sealing step each running sink gets a
 * delivery step (`sinks.deliverNow`, what the component's cron does every
 * minute in a deployment). `GET /_local/sinks` shows what arrived.
 */
import { webcrypto } from "node:crypto";
import { generateKey } from "../../src/shared/note.js";
import { convexToJson } from "convex/values";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { WebSocketServer } from "ws";
import { createLocalConvex, decodeArgs, failureOf, identityOf, Serial, type FunctionKind, type LocalConvex } from "./runtime.js";
import { seedDemo, seedEvents } from "./seed.js";
import { startDemoSinks, type DemoSinks } from "./sinks.js";
import { internal } from "../convex/_generated/api.js";
import { SyncHub, type QueryCost } from "./sync.js";
import { parseDemoToken } from "./token.js";

export type LocalRuntimeOptions = {
  /** 0 picks a free port. Default 3210, like `npx convex dev`'s local backend. */
  port?: number;
  host?: string;
  /** A built app (with index.html) to serve; unknown paths get its index.html. */
  staticDir?: string | null;
  /** The page served when there is no built app. */
  missingAppHtml?: string;
  /** Seed the demo story (seed.ts). Default true. */
  demo?: boolean;
  /** Synthetic events to seed through logBulk. Default 0. */
  seedEvents?: number;
  /** Fold seeded events into the stats before listening, as a deployment's cron would have. Default true. */
  catchUpStats?: boolean;
  /** How often the log is sealed and a checkpoint signed. Default 5000 ms. */
  checkpointEveryMs?: number;
  /** How often the stats rollup looks for new events. Default 2000 ms. */
  rollupEveryMs?: number;
  /** How often commits made outside a request (scheduled functions) are looked for. Default 250 ms. */
  pollMs?: number;
  /** convex-test's own query code instead of the fast index (runtime.ts); slow past a few thousand events. */
  exactRuntime?: boolean;
  /** Start a local S3 server and webhook receiver and deliver the log to them (sinks.ts). Default false. */
  sinks?: boolean;
  quiet?: boolean;
  /** Progress lines while seeding (main.ts prints them). */
  onProgress?: (line: string) => void;
};

export type LocalRuntime = {
  url: string;
  port: number;
  /** The convex-test instance, for tests that look behind the API. */
  t: LocalConvex["t"];
  convex: LocalConvex;
  /** The delivery sinks' local servers, when started with `sinks: true`. */
  sinks: DemoSinks | null;
  /** What each query subscribed right now read on its latest run. */
  costs(): QueryCost[];
  /** Runs `job` in the runtime's queue, then brings every client up to date. */
  run<T>(job: (convex: LocalConvex) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-headers": "content-type, authorization, convex-client",
  "access-control-allow-methods": "GET, POST, OPTIONS",
};

/** The status ConvexHttpClient reads as "the function failed" (it then reads the JSON body). */
const STATUS_UDF_FAILED = 560;
const MAX_BODY = 16 * 1024 * 1024;

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...CORS });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function serveStatic(req: IncomingMessage, res: ServerResponse, dir: string | null, pathname: string, missingAppHtml: string) {
  const index = dir ? join(dir, "index.html") : null;
  if (!index || !existsSync(index)) {
    res.writeHead(200, { "content-type": TYPES[".html"], "cache-control": "no-store" });
    res.end(missingAppHtml);
    return;
  }
  const root = resolve(dir!);
  const file = resolve(root, `.${pathname}`);
  let target: string | null = null;
  if ((file === root || file.startsWith(root + sep)) && existsSync(file) && statSync(file).isFile()) target = file;
  // Client-side routes get the app; a missing asset stays a 404 (not HTML served as a script).
  else if (extname(pathname) === "" || pathname.endsWith(".html")) target = index;
  if (!target) {
    res.writeHead(404, { "content-type": TYPES[".txt"] });
    res.end("not found");
    return;
  }
  const body = readFileSync(target);
  res.writeHead(200, {
    "content-type": TYPES[extname(target)] ?? "application/octet-stream",
    "content-length": body.length,
    "cache-control": target.includes(`${sep}assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache",
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

const DEFAULT_MISSING_APP = `<!doctype html><meta charset="utf-8"><title>convex-audit-log local runtime</title>
<p>The local Convex runtime is running, but there is no built app to serve.</p>`;

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log = options.quiet ? () => undefined : (line: string) => console.log(`[local] ${line}`);
  const progress = options.onProgress ?? (() => undefined);
  // The app's checkpoint signing key, as a deployment keeps it in its environment: a fresh demo key unless one is set.
  if (!process.env.AUDIT_LOG_SIGNING_KEY) {
    const key = generateKey("demo.convex-audit-log.local", webcrypto.getRandomValues(new Uint8Array(32)));
    process.env.AUDIT_LOG_SIGNING_KEY = key.signer;
    log(`checkpoints are signed with a demo key; its verifier key: ${key.verifier}`);
  }
  const convex = createLocalConvex({ fastIndex: options.exactRuntime !== true });
  const serial = new Serial();
  const hub = new SyncHub(convex, serial, log);

  if (options.demo !== false) await seedDemo(convex);
  const events = options.seedEvents ?? 0;
  if (events > 0) {
    const started = Date.now();
    const every = Math.max(5_000, Math.ceil(events / 10 / 5_000) * 5_000);
    // Until the rollup catches up, getStats refuses (ROLLUP_BEHIND) past its tail limit.
    const stats = options.catchUpStats !== false;
    await seedEvents(convex, events, {
      rollupEvery: stats ? 10_000 : undefined,
      progress: (done) => {
        if (done % every === 0 || done === events) {
          progress(`seeded ${done.toLocaleString("en")} events${stats ? " and rolled up their stats" : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
      },
    });
  }

  // The sinks' servers are stopped with the runtime; a failure from here on must stop them too.
  const sinks = options.sinks === true ? await startDemoSinks() : null;
  try {
    if (sinks !== null) await sinks.configure(convex);
  } catch (e) {
    await sinks?.close();
    throw e;
  }

  // ---- background work ---------------------------------------------------
  let closing = false;
  let polling = false;
  const poller = setInterval(() => {
    if (polling || closing) return;
    polling = true;
    serial
      .run(() => hub.broadcast())
      .catch((e: unknown) => log(`poll: ${failureOf(e).message}`))
      .finally(() => (polling = false));
  }, options.pollMs ?? 250);

  // The rollup runs one batch per queue job, so requests interleave with a
  // long catch-up; a batch that leaves a backlog queues the next at once.
  let rolledAt: bigint | null = null;
  let rollupError: string | null = null;
  let rolling = false;
  const rollupStep = async (): Promise<boolean> => {
    if (closing) return false;
    if ((await convex.snapshotTs()) === rolledAt) return false;
    let more = false;
    try {
      const r = await convex.rollupBatch();
      rollupError = null;
      // Caught up: nothing to do until something else commits.
      if (r.caughtUp) rolledAt = await convex.snapshotTs();
      more = !r.caughtUp;
    } catch (e) {
      const message = failureOf(e).message;
      if (message !== rollupError) log(`stats rollup failed: ${message}`);
      rollupError = message;
    }
    await hub.broadcast();
    return more;
  };
  const rollupChain = () => {
    serial
      .run(rollupStep)
      .then((more) => (more ? setImmediate(rollupChain) : (rolling = false)))
      .catch((e: unknown) => {
        log(`rollup: ${failureOf(e).message}`);
        rolling = false;
      });
  };
  const roller = setInterval(() => {
    if (rolling || closing) return;
    rolling = true;
    rollupChain();
  }, options.rollupEveryMs ?? 2_000);

  // Sealing and a signed checkpoint every few seconds (a deployment's crons: the component's
  // every minute, the app's checkpoint every minute); the dashboard shows the newest one's age.
  // Only sealed events are delivered: then each running sink with no step on its way gets one
  // (the component's cron does it every minute), and its steps go on by themselves while a backlog remains.
  let sealError: string | null = null;
  let deliverError: string | null = null;
  const sealer = setInterval(() => {
    if (closing) return;
    serial
      .run(async () => {
        try {
          await convex.checkpoint();
          sealError = null;
        } catch (e) {
          const message = failureOf(e).message;
          if (message !== sealError) log(`checkpoint failed: ${message}`);
          sealError = message;
        }
        if (sinks !== null) {
          try {
            await convex.t.mutation(internal.sinks.deliverNow, {});
            deliverError = null;
          } catch (e) {
            const message = failureOf(e).message;
            if (message !== deliverError) log(`deliverNow failed: ${message}`);
            deliverError = message;
          }
        }
        await hub.broadcast();
      })
      .catch(() => undefined);
  }, options.checkpointEveryMs ?? 5_000);

  /** Runs `job` in the queue, then brings every client up to date with whatever it wrote. */
  const runThenBroadcast = <T>(job: () => Promise<T>): Promise<T> =>
    serial.run(async () => {
      try {
        return await job();
      } finally {
        await hub.broadcast();
      }
    });

  // ---- HTTP ----------------------------------------------------------------
  const missingAppHtml = options.missingAppHtml ?? DEFAULT_MISSING_APP;
  const staticDir = options.staticDir ?? null;

  async function functionCall(req: IncomingMessage, res: ServerResponse, kind: FunctionKind) {
    const auth = req.headers.authorization;
    let identity = null;
    if (auth) {
      const demo = auth.startsWith("Bearer ") ? parseDemoToken(auth.slice(7).trim()) : null;
      if (!demo) return sendJson(res, 401, { code: "InvalidAuthHeader", message: "The local runtime accepts only its unsigned demo tokens." });
      identity = identityOf(demo);
    }
    let path: string;
    let args: Record<string, unknown>;
    try {
      const body = JSON.parse((await readBody(req)).toString("utf8")) as { path?: unknown; args?: unknown };
      if (typeof body?.path !== "string") throw new Error("path must be a string");
      path = body.path;
      args = decodeArgs(body.args);
    } catch (e) {
      return sendJson(res, 400, { code: "BadJsonBody", message: e instanceof Error ? e.message : String(e) });
    }
    try {
      const value =
        kind === "query"
          ? await serial.run(async () => (await convex.query(identity, await convex.publicFunction(path, "query"), args)).value)
          : await runThenBroadcast(async () =>
              kind === "mutation"
                ? await convex.mutation(identity, await convex.publicFunction(path, "mutation"), args)
                : await convex.action(identity, await convex.publicFunction(path, "action"), args),
            );
      sendJson(res, 200, { status: "success", value: convexToJson(value as never), logLines: [] });
    } catch (e) {
      const { message, errorData } = failureOf(e);
      sendJson(res, STATUS_UDF_FAILED, { status: "error", errorMessage: message, logLines: [], ...(errorData === undefined ? {} : { errorData }) });
    }
  }

  /** The example's HTTP actions (http.ts), at /http/<route>: a deployment serves them on its .convex.site origin. */
  async function httpAction(req: IncomingMessage, res: ServerResponse, url: URL) {
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : new Uint8Array(await readBody(req));
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const response = await runThenBroadcast(() =>
      convex.t.fetch(url.pathname.slice("/http".length) + url.search, { method: req.method, headers, body }),
    );
    const out = Buffer.from(await response.arrayBuffer());
    const outHeaders: Record<string, string> = { ...CORS };
    response.headers.forEach((v, k) => (outHeaders[k] = v));
    res.writeHead(response.status, outHeaders);
    res.end(out);
  }

  /** What reached the sinks' servers (`/_local/sinks`), and one S3 object's content (`/_local/sinks/s3/<key>`). */
  async function sinksRoute(res: ServerResponse, route: string) {
    if (sinks === null) return sendJson(res, 404, { code: "NotFound", message: "no sinks: the runtime was started without them" });
    if (route === "/_local/sinks") return sendJson(res, 200, await sinks.arrived());
    const key = route.startsWith("/_local/sinks/s3/") ? decodeURIComponent(route.slice("/_local/sinks/s3/".length)) : null;
    if (key === null || key === "") return sendJson(res, 404, { code: "NotFound", message: `${route} is not served by the local runtime` });
    try {
      const text = await sinks.object(key);
      res.writeHead(200, { "content-type": key.endsWith(".json") ? TYPES[".json"] : "application/x-ndjson; charset=utf-8", "cache-control": "no-store", ...CORS });
      res.end(text);
    } catch (e) {
      sendJson(res, 404, { code: "NotFound", message: e instanceof Error ? e.message : String(e) });
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://local");
    const route = url.pathname;
    if (req.method === "OPTIONS") {
      res.writeHead(204, CORS);
      return res.end();
    }
    if (route === "/_local/metrics" && req.method === "GET") {
      return sendJson(res, 200, { queries: hub.costs() });
    }
    if (route.startsWith("/_local/sinks") && req.method === "GET") return await sinksRoute(res, route);
    const api = /^\/api\/(query|mutation|action|query_at_ts)$/.exec(route);
    if (api && req.method === "POST") {
      const kind = api[1] === "query_at_ts" ? "query" : (api[1] as FunctionKind);
      return await functionCall(req, res, kind);
    }
    if (route.startsWith("/http/")) return await httpAction(req, res, url);
    if (route.startsWith("/api/")) return sendJson(res, 404, { code: "NotFound", message: `${route} is not served by the local runtime` });
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" });
      return res.end();
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(route);
    } catch {
      res.writeHead(400);
      return res.end();
    }
    serveStatic(req, res, staticDir, pathname, missingAppHtml);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      log(`${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) sendJson(res, 500, { code: "InternalError", message: "the local runtime failed on this request" });
      else res.destroy();
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  server.on("upgrade", (req, socket, head) => {
    const path = new URL(req.url ?? "/", "http://local").pathname;
    if (!/^\/api\/[^/]+\/sync$/.test(path)) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => hub.attach(ws));
  });

  const host = options.host ?? "127.0.0.1";
  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(options.port ?? 3210, host, () => {
        server.off("error", fail);
        ok();
      });
    });
  } catch (e) {
    // The port is taken (or the like): nothing else is left running.
    closing = true;
    clearInterval(poller);
    clearInterval(roller);
    clearInterval(sealer);
    hub.close();
    await sinks?.close();
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log(`listening on ${url}`);

  return {
    url,
    port,
    t: convex.t,
    convex,
    sinks,
    costs: () => hub.costs(),
    run: (job) => runThenBroadcast(() => job(convex)),
    async close() {
      closing = true;
      clearInterval(poller);
      clearInterval(roller);
      clearInterval(sealer);
      hub.close();
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      });
      // Let a request already in the queue finish before the caller tears down.
      await serial.run(async () => undefined);
      await sinks?.close();
    },
  };
}

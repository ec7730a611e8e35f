/**
 * Real servers for the delivery tests, on 127.0.0.1, each stopped by its
 * `close()`: an S3-compatible server (s3rver), a webhook receiver that
 * checks Standard Webhooks signatures with the package's own helper, an
 * OTLP/HTTP receiver, and a proxy in front of any of them that injects
 * faults per request: fail (500, 429), delay, drop the connection before or
 * after the destination saw the request, answer 500 after it did, or cut
 * the body short.
 *
 * s3rver accepts any SigV4 signature from a known access key id (it does
 * not compute V4 signatures), so the proxy can check them itself, with
 * aws4fetch's signer, as S3 would: the signature, the payload's SHA-256
 * (`x-amz-content-sha256`) and `Content-MD5`, answering 403 or 400 with
 * S3's error codes.
 */
import { AwsClient, AwsV4Signer } from "aws4fetch";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import S3rver from "s3rver";
import { verifyWebhookBatch, webhookAck, deliveredEventId } from "../src/shared/webhook.js";

export const S3_KEY = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** Closes a server and every connection it holds. */
function closer(server: Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

// ---- S3 ---------------------------------------------------------------------------------

export type S3Server = {
  url: string;
  close: () => Promise<void>;
  /** Every key under a prefix (ListObjectsV2, all pages). */
  list: (bucket: string, prefix?: string) => Promise<string[]>;
  get: (bucket: string, key: string) => Promise<Buffer>;
  /** The events (JSON Lines, gunzipped) of every object under a prefix, by key. */
  objects: (bucket: string, prefix?: string) => Promise<Map<string, Record<string, unknown>[]>>;
};

export async function startS3(buckets: string[] = ["audit"]): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), "audit-s3-"));
  const server = new S3rver({ port: 0, address: "127.0.0.1", directory: dir, silent: true, configureBuckets: buckets.map((name) => ({ name })) });
  const { port } = (await server.run()) as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const client = new AwsClient({ ...S3_KEY, service: "s3", region: "us-east-1" });
  const get = async (bucket: string, key: string) => {
    const res = await client.fetch(`${url}/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`);
    if (!res.ok) throw new Error(`GET ${key}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  };
  const list = async (bucket: string, prefix = "") => {
    const keys: string[] = [];
    let token: string | undefined;
    for (;;) {
      const q = new URLSearchParams({ "list-type": "2", prefix, ...(token ? { "continuation-token": token } : {}) });
      const xml = await (await client.fetch(`${url}/${bucket}?${q}`)).text();
      for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(m[1].replace(/&amp;/g, "&"));
      token = /<NextContinuationToken>([^<]*)</.exec(xml)?.[1];
      if (!/<IsTruncated>true/.test(xml) || token === undefined) return keys;
    }
  };
  const objects = async (bucket: string, prefix = "") => {
    const out = new Map<string, Record<string, unknown>[]>();
    for (const key of await list(bucket, prefix)) {
      if (!key.endsWith(".jsonl.gz")) continue;
      const text = gunzipSync(await get(bucket, key)).toString("utf8");
      out.set(key, text.split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>));
    }
    return out;
  };
  return {
    url,
    list,
    get,
    objects,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** S3's own checks of a PUT, which s3rver leaves out: the SigV4 signature, the payload's SHA-256, Content-MD5. */
async function s3Refusal(req: IncomingMessage, body: Buffer, key: { accessKeyId: string; secretAccessKey: string }): Promise<{ status: number; code: string } | null> {
  const auth = req.headers.authorization ?? "";
  const m = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)/.exec(auth);
  if (m === null) return { status: 403, code: "AccessDenied" };
  if (m[1] !== key.accessKeyId) return { status: 403, code: "InvalidAccessKeyId" };
  const signed = m[4].split(";");
  const headers: Record<string, string> = {};
  for (const h of signed) headers[h] = String(req.headers[h] ?? "");
  const signer = new AwsV4Signer({
    method: req.method,
    url: `http://${req.headers.host}${req.url}`,
    headers,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    service: "s3",
    region: m[3],
    datetime: String(req.headers["x-amz-date"]),
  });
  const expected = /Signature=([0-9a-f]+)/.exec((await signer.sign()).headers.get("authorization") ?? "")?.[1];
  if (expected !== m[5]) return { status: 403, code: "SignatureDoesNotMatch" };
  const sha = req.headers["x-amz-content-sha256"];
  if (typeof sha === "string" && sha !== "UNSIGNED-PAYLOAD" && sha !== createHash("sha256").update(body).digest("hex")) return { status: 400, code: "XAmzContentSHA256Mismatch" };
  const md5 = req.headers["content-md5"];
  if (typeof md5 === "string" && md5 !== createHash("md5").update(body).digest("base64")) return { status: 400, code: "BadDigest" };
  return null;
}

// ---- The fault proxy ----------------------------------------------------------------------

export const FAULTS = ["pass", "fail500", "fail429", "delay", "drop", "dropAfter", "fail500After", "truncate"] as const;
export type Fault = (typeof FAULTS)[number];

export type ProxyLog = { fault: Fault; method: string; path: string; bytes: number; upstream: number | null };

export type FaultProxy = {
  url: string;
  log: ProxyLog[];
  /** Replaces the fault plan: the fault of the nth request from now on. */
  plan: (next: (n: number) => Fault) => void;
  /**
   * Resolves when no request is being handled: a request the sender gave up
   * on (a timeout) may still be on its way to the destination, as on a real
   * network, and a check of what arrived must wait for it.
   */
  idle: () => Promise<void>;
  close: () => Promise<void>;
};

export type ProxyOptions = {
  /** Check requests as S3 would (signature, payload hash, Content-MD5) before they reach the destination. */
  s3Key?: { accessKeyId: string; secretAccessKey: string };
  /** How long a `delay` waits (ms). */
  delayMs?: number;
  /** Called with each request before its fault applies (a test can act in the middle of a delivery). */
  onRequest?: (n: number) => Promise<void> | void;
};

export async function startFaultProxy(target: string, options: ProxyOptions = {}): Promise<FaultProxy> {
  let next: (n: number) => Fault = () => "pass";
  let n = 0;
  const log: ProxyLog[] = [];
  const upstream = new URL(target);
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const r = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host, "content-length": String(body.length) } },
        async (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: await readBody(res) }),
      );
      r.on("error", reject);
      r.end(body);
    });
  let inFlight = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    void (async () => {
      const i = n++;
      const fault = next(i);
      let body = await readBody(req);
      const entry: ProxyLog = { fault, method: req.method ?? "", path: req.url ?? "", bytes: body.length, upstream: null };
      log.push(entry);
      await options.onRequest?.(i);
      try {
        if (fault === "fail500" || fault === "fail429") {
          res.writeHead(fault === "fail500" ? 500 : 429, fault === "fail429" ? { "retry-after": "0" } : {});
          res.end(fault === "fail500" ? "injected failure" : "slow down");
          return;
        }
        if (fault === "drop") {
          req.socket.destroy();
          return;
        }
        if (fault === "delay") await new Promise((r) => setTimeout(r, options.delayMs ?? 30));
        if (fault === "truncate") body = body.subarray(0, Math.floor(body.length / 2));
        if (options.s3Key !== undefined && req.method === "PUT") {
          const refusal = await s3Refusal(req, body, options.s3Key);
          if (refusal !== null) {
            entry.upstream = refusal.status;
            res.writeHead(refusal.status, { "content-type": "application/xml" });
            res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>refused by the S3 check</Message></Error>`);
            return;
          }
        }
        const answer = await forward(req, body);
        entry.upstream = answer.status;
        if (fault === "dropAfter") {
          req.socket.destroy();
          return;
        }
        if (fault === "fail500After") {
          res.writeHead(500);
          res.end("failed after the destination answered");
          return;
        }
        const headers = Object.fromEntries(Object.entries(answer.headers).filter(([k]) => !["content-length", "transfer-encoding", "connection"].includes(k)));
        res.writeHead(answer.status, headers as Record<string, string>);
        res.end(answer.body);
      } catch {
        req.socket.destroy();
      }
    })().finally(() => inFlight--);
  });
  const close = closer(server);
  const port = await listen(server);
  const idle = async () => {
    for (let i = 0; inFlight > 0; i++) {
      if (i > 1000) throw new Error(`the proxy still handles ${inFlight} request(s) after 10 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { url: `http://127.0.0.1:${port}`, log, plan: (p) => (next = p), idle, close };
}

// ---- Webhook receiver ---------------------------------------------------------------------

export type WebhookDelivery = { id: string; ids: string[]; seqs: number[]; sha256: string };

export type WebhookReceiver = {
  url: string;
  /** Every batch whose signature verified, in arrival order. */
  received: WebhookDelivery[];
  /** Requests whose signature did not verify (cut bodies, a wrong secret). */
  refused: number;
  close: () => Promise<void>;
};

/**
 * Answers every POST 200 with the acknowledgement of the body as it
 * arrived (the receiver that "answers 200 to a truncated body": the
 * acknowledgement is how the sender finds out), and keeps the batches
 * whose signature verified. `ack: false` answers a bare 200; `status`
 * answers that status to everything.
 */
export async function startWebhookReceiver(secret: string, options: { ack?: boolean; status?: number } = {}): Promise<WebhookReceiver> {
  const received: WebhookDelivery[] = [];
  const state = { refused: 0 };
  const server = createServer((req, res) => {
    void (async () => {
      const body = (await readBody(req)).toString("utf8");
      if (options.status !== undefined) {
        res.writeHead(options.status);
        res.end();
        return;
      }
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      try {
        const batch = await verifyWebhookBatch(secret, headers, body);
        received.push({
          id: batch.id,
          ids: batch.events.map((e) => deliveredEventId(e) ?? ""),
          seqs: batch.events.map((e) => (typeof e.seq === "number" ? e.seq : ((e.metadata as { sequence?: number } | undefined)?.sequence ?? -1))),
          sha256: batch.ack.sha256,
        });
      } catch {
        state.refused++;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(options.ack === false ? "ok" : JSON.stringify(await webhookAck(body)));
    })();
  });
  const close = closer(server);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/audit`,
    received,
    get refused() {
      return state.refused;
    },
    close,
  };
}

// ---- OTLP receiver ------------------------------------------------------------------------

export type OtlpReceiver = { url: string; records: Record<string, unknown>[]; requests: number; headers: Record<string, string>[]; close: () => Promise<void> };

/** An OTLP/HTTP JSON logs endpoint: keeps every log record; `reject` answers a partial success rejecting them all. */
export async function startOtlpReceiver(options: { reject?: boolean } = {}): Promise<OtlpReceiver> {
  const records: Record<string, unknown>[] = [];
  const headers: Record<string, string>[] = [];
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    void (async () => {
      state.requests++;
      const body = JSON.parse((await readBody(req)).toString("utf8")) as {
        resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Record<string, unknown>[] }> }>;
      };
      headers.push(Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === "string")) as Record<string, string>);
      const got = body.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords));
      res.writeHead(200, { "content-type": "application/json" });
      if (options.reject) {
        res.end(JSON.stringify({ partialSuccess: { rejectedLogRecords: String(got.length), errorMessage: "schema check failed" } }));
        return;
      }
      records.push(...got);
      res.end("{}");
    })();
  });
  const close = closer(server);
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/v1/logs`,
    records,
    headers,
    get requests() {
      return state.requests;
    },
    close,
  };
}

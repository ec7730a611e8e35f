/**
 * CPU cost of the write path's pure work (validate, diff, redact, size-check)
 * in plain Node, with no convex-test around it: convex-test's own overhead
 * (argument serialisation, table scans) would swamp what is measured here.
 * microdiff runs on the same before/after pair as a reference point for the
 * diff alone.
 */
import diff from "microdiff";
import { diffValues } from "../src/shared/diff.js";
import { buildEvent, prepareOptions } from "../src/shared/prepare.js";
import { redactSecretsInText } from "../src/shared/secrets.js";
import type { EventInput } from "../src/shared/validators.js";

export type CpuResult = {
  name: string;
  /** Median per event. */
  microseconds: number;
  minMicroseconds: number;
  runs: number;
  correct: boolean;
  note: string;
  payloadBytes?: number;
};

const jsonBytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v)).length;

/** A customer record as an app would snapshot it before and after an admin edit. */
export function changePair() {
  const base = {
    _id: "k57c2v0x9e8m4q3n1b6t",
    _creationTime: 1767225600000.5,
    name: "Ada Lovelace",
    email: "ada@example.com",
    phone: "+44 20 7946 0018",
    passwordHash: "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
    role: "editor",
    status: "active",
    plan: { tier: "team", seats: 25, renewsAt: 1769904000000, addons: ["sso", "audit-export"] },
    address: { street: "12 St James's Square", city: "London", postcode: "SW1Y 4LB", country: "GB" },
    preferences: {
      theme: "light",
      locale: "en-GB",
      timezone: "Europe/London",
      notifications: { email: true, sms: false, weeklyDigest: true, mentions: true },
    },
    permissions: ["documents.read", "documents.write", "projects.read", "invoices.read", "members.read"],
    apiTokens: [
      { id: "tok_1", label: "CI", lastUsedAt: 1767000000000, token: "ctk_live_3f9a0c2e7b1d4a6f8e0c" },
      { id: "tok_2", label: "Laptop", lastUsedAt: 1766000000000, token: "ctk_live_9b8a7c6d5e4f3a2b1c0d" },
    ],
    bio: "Mathematician and writer, chiefly known for her work on Charles Babbage's proposed mechanical general-purpose computer, the Analytical Engine. ".repeat(7),
    loginCount: 1342,
    lastLoginAt: 1767225000000,
    tags: ["beta", "eu", "priority-support"],
  };
  const before = structuredClone(base);
  const after = structuredClone(base);
  after.name = "Ada King";
  after.email = "ada.king@example.com";
  after.passwordHash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3c2FsdA$X1tq2oX3yK9mYz0PQW8rV6hJk4Lm5Nn7";
  after.role = "admin";
  after.address.city = "Cambridge";
  after.address.postcode = "CB2 1TN";
  after.preferences.theme = "dark";
  after.preferences.notifications.sms = true;
  after.permissions.push("members.write", "billing.read");
  after.apiTokens[1].lastUsedAt = 1767225000000;
  after.loginCount = 1343;
  after.lastLoginAt = 1767225600000;
  return { before, after };
}

/** Request-scoped metadata of an export or a bulk edit: headers, an item list, a filter echo. */
export function largeMetadata() {
  return {
    request: {
      method: "POST",
      path: "/api/v2/documents/bulk-update",
      headers: {
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        accept: "application/json",
        authorization: "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJl",
        cookie: "session=4f3c2b1a; theme=dark",
        "x-request-id": "req_7Yk2m9Qp",
      },
    },
    filter: { status: ["draft", "review"], ownerId: "user_0042", updatedAfter: 1766000000000 },
    items: Array.from({ length: 62 }, (_, i) => ({
      id: `doc_${String(i).padStart(5, "0")}`,
      title: `Quarterly planning notes, section ${i}`,
      previousStatus: "draft",
      status: i % 3 === 0 ? "review" : "draft",
      sizeBytes: 1000 + i * 37,
      labels: ["planning", i % 2 ? "finance" : "ops"],
    })),
    totals: { matched: 62, updated: 21, skipped: 41 },
    client: { version: "4.12.0", platform: "web", apiKey: "ak_live_0000111122223333" },
  };
}

/**
 * About 10 KB of free text as apps put it in metadata: request and job logs,
 * a stack trace, URLs with query strings, a JSON body kept as a string,
 * support notes. Mostly ordinary text (many near misses: ids, timestamps,
 * `key=value` pairs, `Basic plan`), with a few secrets in it that only the
 * scan by shape can find, since their keys say nothing.
 */
export function textMetadata() {
  const jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyXzAwNDIiLCJleHAiOjE3NjcyMjkyMDB9.Qm9ndXNTaWduYXR1cmVGb3JCZW5jaDEyMzQ1";
  const secrets = {
    jwt,
    card: "4242 4242 4242 4242",
    dbPassword: "pg-Pa55w0rd-9f3a",
    githubToken: "ghp_7Yk2m9Qp3Rt8Vw1Xz4Ab6Cd0Ef5Gh2Ij9Kl",
    queryToken: "tok-7d41c2e99b0a4f31",
  };
  const lines = Array.from({ length: 48 }, (_, i) =>
    `2026-01-31T10:${String(i % 60).padStart(2, "0")}:07.${String(100 + i)}Z INFO worker-${i % 4} job=${`exp_${(4200 + i).toString(36)}`} ` +
    `step=${["fetch", "transform", "upload", "verify"][i % 4]} rows=${1000 + i * 17} took=${12 + (i % 9)}ms ` +
    `GET https://api.example.com/v2/documents?page=${i}&sort=updatedAt&order=desc status=200`,
  );
  lines[17] = `2026-01-31T10:17:07.117Z WARN worker-1 retrying GET https://api.example.com/v2/export?access_token=${secrets.queryToken}&format=csv status=429`;
  lines[31] = `2026-01-31T10:31:07.131Z INFO worker-3 connecting to postgres://exporter:${secrets.dbPassword}@db.internal.example.com:5432/app`;
  return {
    secrets,
    metadata: {
      job: { id: "exp_3f9a0c2e", kind: "export", requestedBy: "user_0042", plan: "Basic plan", startedAt: 1767225600000 },
      log: lines.join("\n"),
      stack: Array.from({ length: 14 }, (_, i) => `    at ${["fetchPage", "writeRows", "flush", "runJob"][i % 4]} (src/export/${["fetch", "csv", "stream", "runner"][i % 4]}.ts:${40 + i * 7}:${11 + i})`).join("\n"),
      request: {
        body: JSON.stringify({ format: "csv", filter: { status: ["active", "past_due"], since: "2025-12-01" }, columns: ["id", "email", "plan", "mrr"], notify: true }),
        headersSeen: `accept: text/csv; user-agent: export-worker/2.3.1; x-request-id: req_7Yk2m9Qp; authorization: Bearer ${jwt}`,
      },
      notes: [
        "Customer asked for the export to include cancelled accounts; confirmed with support (ticket #48213).",
        `Card on file ${secrets.card} was declined twice, see billing notes before retrying.`,
        `CI pushed the fix with ${secrets.githubToken}; rotate it after the incident review.`,
        "Order 1234567890123456789 and invoice INV-2026-0042 refer to the same renewal; ref 1767225600000.",
      ],
      comments: Array.from({ length: 12 }, (_, i) => `Comment ${i + 1}: reviewed rows ${i * 250}–${i * 250 + 249}, no anomalies; checksum sha256:${"0123456789abcdef".repeat(4).slice(i, i + 40)}.`),
    },
  };
}

function changedPathsMicrodiff(before: unknown, after: unknown): string[] {
  return diff(before as Record<string, unknown>, after as Record<string, unknown>)
    .filter((d) => !(d.path.length === 1 && (d.path[0] === "_id" || d.path[0] === "_creationTime")))
    .map((d) => `${d.type === "CREATE" ? "add" : d.type === "REMOVE" ? "remove" : "replace"}:${JSON.stringify(d.path)}`)
    .sort();
}

const changedPaths = (changes: { op: string; path: (string | number)[] }[]) =>
  changes.map((c) => `${c.op}:${JSON.stringify(c.path)}`).sort();

type Case = { name: string; note: string; fn: () => unknown; iterations: number; correct: boolean; payloadBytes?: number };

/** One timed run of `iterations` calls; µs per call. */
async function timeRun(fn: () => unknown, iterations: number, isAsync: boolean): Promise<number> {
  const t0 = process.hrtime.bigint();
  // Only async functions are awaited: an await per call would add a
  // microtask hop to the synchronous diffs and blur the comparison.
  if (isAsync) for (let i = 0; i < iterations; i++) await fn();
  else for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1000 / iterations;
}

/**
 * Median (and minimum) over `runs` timed runs per case. The cases take turns,
 * one run each per round, so a burst of other work on a shared machine lands
 * on every case alike instead of inflating whichever happened to be running;
 * a warm-up first lets V8 optimise the hot paths, which the first calls of a
 * function would otherwise dominate.
 */
async function timeCases(cases: Case[], runs = 15): Promise<CpuResult[]> {
  const isAsync = cases.map((c) => c.fn() instanceof Promise);
  for (const [k, c] of cases.entries()) await timeRun(c.fn, Math.max(200, c.iterations), isAsync[k]);
  const samples: number[][] = cases.map(() => []);
  for (let r = 0; r < runs; r++) {
    for (const [k, c] of cases.entries()) samples[k].push(await timeRun(c.fn, c.iterations, isAsync[k]));
  }
  return cases.map((c, k) => {
    const sorted = samples[k].sort((a, b) => a - b);
    return {
      name: c.name,
      microseconds: round(sorted[Math.floor(sorted.length / 2)]),
      minMicroseconds: round(sorted[0]),
      runs,
      correct: c.correct,
      note: c.note,
      payloadBytes: c.payloadBytes,
    };
  });
}

export async function runCpuBench(): Promise<CpuResult[]> {
  const { before, after } = changePair();
  const metadata = largeMetadata();
  // Options as a typical app sets them: two PII fields plus the built-in secret list.
  const options = { piiFields: ["email", "phone", "address.street"] };
  const prepared = prepareOptions(options);
  const now = Date.UTC(2026, 0, 31);
  const changeInput: EventInput = {
    action: "user.updated",
    actorId: "user_0001",
    tenantId: "org_01",
    resourceType: "user",
    resourceId: "user_0042",
    before,
    after,
  };
  const metadataInput: EventInput = {
    action: "record.updated",
    actorId: "user_0001",
    tenantId: "org_01",
    resourceType: "document",
    resourceId: "doc_00001",
    metadata,
  };
  const fullInput: EventInput = { ...changeInput, metadata };

  // Checked once outside the timing: the diff finds the same changes as
  // microdiff, and no secret or PII value survives into the stored document.
  const reference = changedPathsMicrodiff(before, after);
  const ours = changedPaths(diffValues(before, after) as never);
  const diffAgrees = JSON.stringify(ours) === JSON.stringify(reference);
  const secrets = [before.passwordHash, after.passwordHash, before.email, after.email, before.phone, before.address.street,
    before.apiTokens[0].token, metadata.request.headers.authorization, metadata.client.apiKey];
  const leaks = (doc: unknown) => secrets.some((s) => JSON.stringify(doc).includes(s));
  const changeDoc = await buildEvent(changeInput, prepared, now);
  const changeOk = diffAgrees && !leaks(changeDoc) && JSON.stringify(changedPaths(changeDoc.changes ?? [])) === JSON.stringify(reference);
  const metadataOk = !leaks(await buildEvent(metadataInput, prepared, now));
  const fullOk = !leaks(await buildEvent(fullInput, prepared, now));

  const text = textMetadata();
  const textInput: EventInput = {
    action: "report.export_failed",
    actorId: "user_0042",
    tenantId: "org_01",
    resourceType: "export",
    resourceId: "exp_3f9a0c2e",
    status: "failure",
    summary: "Export exp_3f9a0c2e failed after 3 retries",
    errorMessage: `connect ECONNREFUSED postgres://exporter:${text.secrets.dbPassword}@db.internal.example.com:5432/app`,
    metadata: text.metadata,
  };
  const textDoc = await buildEvent(textInput, prepared, now);
  const textOk = Object.values(text.secrets).every((s) => !JSON.stringify(textDoc).includes(s)) && textDoc.summary === textInput.summary;
  const textStrings: string[] = [];
  const collect = (v: unknown): void => {
    if (typeof v === "string") textStrings.push(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (typeof v === "object" && v !== null) Object.values(v).forEach(collect);
  };
  collect([textInput.summary, textInput.errorMessage, text.metadata]);
  const scanOk = textStrings.map(redactSecretsInText).every((s) => Object.values(text.secrets).every((secret) => !s.includes(secret)));

  const pairBytes = jsonBytes(before) + jsonBytes(after);
  const metaBytes = jsonBytes(metadata);
  const textBytes = jsonBytes(text.metadata);
  return await timeCases([
    { name: "cpu_buildEvent_change", note: `validate + diff + redact + size-check, ${pairBytes} B before/after pair`,
      fn: () => buildEvent(changeInput, prepared, now), iterations: 500, correct: changeOk, payloadBytes: pairBytes },
    { name: "cpu_buildEvent_metadata", note: `validate + redact + size-check, ${metaBytes} B metadata`,
      fn: () => buildEvent(metadataInput, prepared, now), iterations: 200, correct: metadataOk, payloadBytes: metaBytes },
    { name: "cpu_buildEvent_full", note: "both payloads in one event",
      fn: () => buildEvent(fullInput, prepared, now), iterations: 200, correct: fullOk, payloadBytes: pairBytes + metaBytes },
    { name: "cpu_buildEvent_text", note: `validate + redact (keys, then secrets by shape in every string) + size-check, ${textBytes} B of logs and notes`,
      fn: () => buildEvent(textInput, prepared, now), iterations: 200, correct: textOk, payloadBytes: textBytes },
    { name: "cpu_redactSecretsInText", note: `the scan by shape alone, on the same ${textStrings.length} strings`,
      fn: () => textStrings.map(redactSecretsInText), iterations: 200, correct: scanOk, payloadBytes: textBytes },
    { name: "cpu_prepareOptions", note: "per log call: parses piiFields, builds the redactor",
      fn: () => prepareOptions(options), iterations: 5000, correct: true },
    { name: "cpu_diffValues", note: "the package's structured diff alone, same pair",
      fn: () => diffValues(before, after), iterations: 5000, correct: diffAgrees, payloadBytes: pairBytes },
    { name: "cpu_microdiff", note: "microdiff on the same pair, for reference",
      fn: () => diff(before, after), iterations: 5000, correct: true, payloadBytes: pairBytes },
  ]);
}

const round = (x: number) => Math.round(x * 100) / 100;

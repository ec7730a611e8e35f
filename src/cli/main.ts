#!/usr/bin/env node
/**
 * `npx convex-audit-log`: checks an export offline, and makes note keys.
 *
 *   convex-audit-log verify --events events.jsonl --checkpoints checkpoints.jsonl --key verifier.key [--json]
 *   convex-audit-log keygen --name example.com/audit-log [--out DIR]
 *
 * verify exits 0 when everything holds, 1 on any finding, 2 on unusable
 * input (wrong key, corrupt or truncated files, bad arguments).
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { webcrypto } from "node:crypto";
import { generateKey, isKeyName } from "../shared/note.js";
import { verifyExport, type VerifyResult } from "./verifyExport.js";

const USAGE = `usage:
  convex-audit-log verify --events FILE.jsonl --checkpoints FILE.jsonl --key FILE [--json]
  convex-audit-log keygen --name NAME [--out DIR]

verify exits 0 when the export holds, 1 on any finding, 2 on unusable input.`;

function args(argv: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) throw new Error(`unexpected argument ${JSON.stringify(a)}`);
    const name = a.slice(2);
    const next = argv[i + 1];
    if (name === "json" || name === "help") out.set(name, true);
    else if (next === undefined || next.startsWith("--")) throw new Error(`--${name} needs a value`);
    else {
      out.set(name, next);
      i++;
    }
  }
  return out;
}

function read(path: string, what: string): string {
  try {
    const bytes = readFileSync(path);
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new Error(code === "ENOENT" ? `${what}: no such file ${path}` : `${what}: cannot read ${path} as UTF-8 text`);
  }
}

function when(ms: number | undefined): string {
  return ms === undefined ? "no time" : new Date(ms).toISOString();
}

function print(r: VerifyResult): void {
  if (r.exitCode === 2) {
    console.error(`convex-audit-log verify: unusable input: ${r.fatal}`);
    return;
  }
  const n = r.newest!;
  console.log(`checked ${r.events} lines against ${r.checkpoints} signed checkpoint(s); newest: size ${n.size}, ${when(n.time)}, root ${n.root}`);
  if (r.expired.length > 0) {
    const text = r.expired.map((x) => (x.from === x.to ? `${x.from}` : `${x.from}–${x.to}`)).join(", ");
    console.log(`expired (deleted by retention, each listed by a sealed retention record): seq ${text}`);
  }
  for (const f of r.findings) console.log(`FINDING ${f.kind}: ${f.message}`);
  console.log(r.exitCode === 0 ? "OK: every event matches the signed tree; nothing missing, inserted or reordered" : `${r.findings.length} finding(s)`);
}

function keygen(opts: Map<string, string | true>): number {
  const name = opts.get("name");
  if (typeof name !== "string" || !isKeyName(name)) {
    console.error("convex-audit-log keygen: --name NAME is required: no spaces, no '+' (e.g. example.com/audit-log)");
    return 2;
  }
  const { signer, verifier } = generateKey(name, webcrypto.getRandomValues(new Uint8Array(32)));
  const out = opts.get("out");
  if (typeof out === "string") {
    mkdirSync(out, { recursive: true });
    const signing = join(out, "signing.key");
    if (existsSync(signing)) {
      console.error(`convex-audit-log keygen: ${signing} exists; not overwriting a signing key`);
      return 2;
    }
    writeFileSync(signing, signer + "\n", { mode: 0o600 });
    writeFileSync(join(out, "verifier.key"), verifier + "\n");
    console.log(`wrote ${signing} (keep it secret) and ${join(out, "verifier.key")} (publish it)`);
    return 0;
  }
  console.log(`# The signing key: keep it secret, in your deployment's environment:`);
  console.log(`#   npx convex env set AUDIT_LOG_SIGNING_KEY '${signer}'`);
  console.log(`AUDIT_LOG_SIGNING_KEY=${signer}`);
  console.log(`# The verifier key: publish it; \`verify --key FILE\` reads it from a file:`);
  console.log(verifier);
  return 0;
}

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  let opts: Map<string, string | true>;
  try {
    opts = args(rest);
  } catch (e) {
    console.error(`convex-audit-log: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (command === "keygen") return keygen(opts);
  if (command !== "verify") {
    console.error(command === undefined || command === "--help" ? USAGE : `convex-audit-log: unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 2;
  }
  const files = ["events", "checkpoints", "key"] as const;
  for (const f of files) {
    if (typeof opts.get(f) !== "string") {
      console.error(`convex-audit-log verify: --${f} FILE is required\n${USAGE}`);
      return 2;
    }
  }
  let result: VerifyResult;
  try {
    result = verifyExport({
      events: read(opts.get("events") as string, "--events"),
      checkpoints: read(opts.get("checkpoints") as string, "--checkpoints"),
      key: read(opts.get("key") as string, "--key"),
    });
  } catch (e) {
    console.error(`convex-audit-log verify: unusable input: ${(e as Error).message}`);
    return 2;
  }
  if (opts.get("json") === true) console.log(JSON.stringify(result, null, 2));
  else print(result);
  return result.exitCode;
}

process.exitCode = main(process.argv.slice(2));

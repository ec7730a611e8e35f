#!/usr/bin/env bash
# pack-check: proves the package works as a user gets it from the registry.
#
#   1. builds dist/ (npm run build)
#   2. packs the tarball (npm pack) and checks every `exports` target is inside it
#   3. makes a scratch Convex app in a temp dir OUTSIDE the repo, installs the tarball there
#      with the exact convex / convex-test / @edge-runtime/vm / vitest / typescript versions
#      from this repo's package.json (react too, the optional peer of ./react)
#   4. imports the package's entry points in plain Node (ESM resolution of dist/), the BetterAuth
#      plugin (`convex-audit-log/better-auth`, with better-auth, its optional peer, installed) included
#   5. writes a tiny app (convex.config.ts with app.use(auditLog), schema, one mutation that
#      logs an event with a PII field, one query that reads it back with queryByResource)
#   6. generates convex/_generated with the offline codegen (scripts/convex-codegen)
#   7. typechecks the app with tsc against the installed package's types
#   8. runs a vitest test that uses `convex-audit-log/test` (src/test.ts, with
#      import.meta.glob, resolved inside node_modules) and asserts the redacted event
#   9. runs the CLI as installed (`npx convex-audit-log keygen`, `verify` on a demo:export
#      export, an edited one and with the wrong key): exit codes 0, 1, 2
#
# Exits non-zero on any failure. Env: PACK_CHECK_KEEP=1 keeps the scratch dir;
# CONVEX_CODEGEN=path overrides the codegen tool; PACK_CHECK_SKIP_BUILD=1 reuses dist/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
codegen=${CONVEX_CODEGEN:-$repo/scripts/convex-codegen/codegen}
step=0
say() { step=$((step + 1)); printf '\n== pack-check %d: %s\n' "$step" "$*"; }
fail() { printf '\npack-check FAILED: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/convex-audit-log-pack-check.XXXXXX")
cleanup() {
  if [[ "${PACK_CHECK_KEEP:-}" == 1 ]]; then
    echo "pack-check: scratch dir kept at $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
case "$work" in "$repo"/*) fail "scratch dir $work is inside the repo" ;; esac
[[ -x "$codegen" ]] || fail "offline codegen tool not found at $codegen (it is part of the repo; CONVEX_CODEGEN overrides it)"

cd "$repo"
version_of() { node -e 'const p=require("./package.json");const n=process.argv[1];const v=(p.devDependencies||{})[n]??(p.dependencies||{})[n]??(p.peerDependencies||{})[n];if(!v){console.error("no version for "+n+" in package.json");process.exit(1)}console.log(v)' "$1"; }
deps=()
for name in convex convex-test @edge-runtime/vm vitest typescript react better-auth; do
  deps+=("$name@$(version_of "$name")")
done

if [[ "${PACK_CHECK_SKIP_BUILD:-}" == 1 ]]; then
  say "reusing dist/ (PACK_CHECK_SKIP_BUILD=1)"
else
  say "build dist/ (npm run build)"
  npm run --silent build
fi

say "npm pack into $work"
tarball_name=$(npm pack --silent --pack-destination "$work" | tail -n 1)
tarball="$work/$tarball_name"
[[ -f "$tarball" ]] || fail "npm pack made no tarball (got '$tarball_name')"
echo "tarball: $tarball_name ($(du -k "$tarball" | cut -f1) KiB, $(tar -tzf "$tarball" | wc -l) files)"

say "check the tarball holds every exports target and the files users need"
tar -tzf "$tarball" | sed 's#^package/##' | sort >"$work/contents.txt"
node - "$work/contents.txt" <<'EOF'
const fs = require("node:fs");
const have = new Set(fs.readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean));
const pkg = require("./package.json");
const problems = [];
const targets = [];
const walk = (key, v) => {
  if (typeof v === "string") targets.push([key, v.replace(/^\.\//, "")]);
  else if (v && typeof v === "object") for (const x of Object.values(v)) walk(key, x);
};
for (const [key, v] of Object.entries(pkg.exports)) walk(key, v);
const reactSource = ["src/react/index.ts", "src/react/index.tsx"].some((f) => fs.existsSync(f));
for (const [key, file] of targets) {
  if (have.has(file)) continue;
  if (key === "./react" && !reactSource) {
    console.log(`  warning: exports["./react"] -> ${file} is not built yet (no src/react/index.ts[x])`);
    continue;
  }
  problems.push(`exports["${key}"] -> ${file} is missing from the tarball`);
}
// What src/test.ts needs at run time in the user's vitest: the component's TypeScript source.
for (const f of ["src/test.ts", "src/component/schema.ts", "src/component/convex.config.ts",
  "src/component/_generated/server.ts", "src/component/_generated/api.ts"]) {
  if (!have.has(f)) problems.push(`${f} is missing from the tarball`);
}
for (const f of have) {
  if (/(^|\/)(node_modules|\.env)/.test(f)) problems.push(`${f} should not be published`);
}
if (problems.length) {
  for (const p of problems) console.error("  " + p);
  process.exit(1);
}
console.log(`  ok: ${targets.length} export targets, ${have.size} files`);
EOF

app="$work/app"
say "scratch app at $app: npm install the tarball + ${deps[*]}"
mkdir -p "$app/convex"
cd "$app"
cat >package.json <<'EOF'
{ "name": "pack-check-app", "private": true, "type": "module" }
EOF
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball" "${deps[@]}"
installed=$(node -p 'require("convex-audit-log/package.json").version')
echo "installed convex-audit-log@$installed"

say "import the package's entry points in plain Node"
react_source=0
[[ -f "$repo/src/react/index.ts" || -f "$repo/src/react/index.tsx" ]] && react_source=1
REACT_SOURCE=$react_source node --input-type=module -e '
const main = await import("convex-audit-log");
if (typeof main.AuditLog !== "function") throw new Error("convex-audit-log has no AuditLog export");
const config = await import("convex-audit-log/convex.config.js");
if (!config.default) throw new Error("convex-audit-log/convex.config.js has no default export");
await import("convex-audit-log/convex.config");
const react = await import("convex-audit-log/react").catch((e) => {
  if (process.env.REACT_SOURCE === "1") throw e;
  console.log("  warning: convex-audit-log/react not importable yet:", e.code ?? e.message);
});
if (react && Object.keys(react).length === 0) throw new Error("convex-audit-log/react exports nothing");
const betterAuth = await import("convex-audit-log/better-auth");
for (const name of ["auditTrail", "convexSink", "httpSink", "signDelivery", "verifyDelivery"]) {
  if (typeof betterAuth[name] !== "function") throw new Error("convex-audit-log/better-auth has no " + name);
}
const plugin = betterAuth.auditTrail({ sink: { send: async () => {} } });
if (plugin.id !== "convex-audit-log" || !plugin.hooks?.after?.length) throw new Error("auditTrail() is not a BetterAuth plugin");
console.log("  ok: convex-audit-log/better-auth:", Object.keys(betterAuth.BETTER_AUTH_ENDPOINTS).length, "endpoints");
const testEntry = import.meta.resolve("convex-audit-log/test");
if (!testEntry.includes("/node_modules/convex-audit-log/src/test.ts")) throw new Error("convex-audit-log/test resolves to " + testEntry);
console.log("  ok: convex-audit-log, convex.config(.js)" + (react ? ", react" : "") + "; ./test ->", testEntry.replace(/^file:\/\//, ""));
'

say "write the app: convex.config.ts, schema.ts, notes.ts, notes.test.ts"
cat >convex/convex.config.ts <<'EOF'
import { defineApp } from "convex/server";
import auditLog from "convex-audit-log/convex.config.js";

const app = defineApp();
app.use(auditLog);

export default app;
EOF
cat >convex/schema.ts <<'EOF'
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  notes: defineTable({ title: v.string(), ownerEmail: v.string() }),
});
EOF
cat >convex/notes.ts <<'EOF'
import { v } from "convex/values";
import { AuditLog } from "convex-audit-log";
import { components } from "./_generated/api";
import { mutation, query } from "./_generated/server";

export const auditLog = new AuditLog(components.auditLog, { piiFields: ["ownerEmail"] });

/** Creates a note and records it in the audit log, in the same transaction. */
export const create = mutation({
  args: { title: v.string(), ownerEmail: v.string() },
  returns: v.id("notes"),
  handler: async (ctx, args) => {
    const id = await ctx.db.insert("notes", args);
    await auditLog.log(ctx, {
      action: "note.created",
      actorId: "user_1",
      resourceType: "notes",
      resourceId: id,
      metadata: { title: args.title, ownerEmail: args.ownerEmail },
    });
    return id;
  },
});

/** The note's audit history, newest first. */
export const history = query({
  args: { noteId: v.id("notes") },
  handler: async (ctx, { noteId }) =>
    await auditLog.queryByResource(ctx, { resourceType: "notes", resourceId: noteId, limit: 10 }),
});
EOF
cat >convex/notes.test.ts <<'EOF'
/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import { expect, test } from "vitest";
import auditLogTest from "convex-audit-log/test";
import { api } from "./_generated/api";
import schema from "./schema";

const modules = import.meta.glob("./**/*.ts");

test("the installed package logs a redacted event and reads it back", async () => {
  const t = convexTest({ schema, modules, transactionLimits: true });
  auditLogTest.register(t);
  const noteId = await t.mutation(api.notes.create, { title: "Plan", ownerEmail: "ada@example.com" });
  const history = await t.query(api.notes.history, { noteId });
  expect(history).toHaveLength(1);
  const [event] = history;
  expect(event.action).toBe("note.created");
  expect(event.actorId).toBe("user_1");
  expect(event.resourceType).toBe("notes");
  expect(event.resourceId).toBe(noteId);
  expect(event.metadata).toEqual({ title: "Plan", ownerEmail: "[REDACTED]" });
  expect(JSON.stringify(event)).not.toContain("ada@example.com");
});
EOF
cat >convex/tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "allowJs": true,
    "strict": true,
    "moduleResolution": "Bundler",
    "jsx": "react-jsx",
    "skipLibCheck": true,
    "allowSyntheticDefaultImports": true,
    "target": "ESNext",
    "lib": ["ES2021", "dom"],
    "forceConsistentCasingInFileNames": true,
    "module": "ESNext",
    "isolatedModules": true,
    "noEmit": true,
    "types": ["vite/client"]
  },
  "include": ["./**/*"],
  "exclude": ["./_generated"]
}
EOF
cat >vitest.config.ts <<'EOF'
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
  },
});
EOF

say "generate convex/_generated with the offline codegen ($codegen)"
"$codegen"
for f in api.d.ts api.js dataModel.d.ts server.d.ts server.js; do
  [[ -f "convex/_generated/$f" ]] || fail "codegen did not write convex/_generated/$f"
done
grep -q 'auditLog: import("convex-audit-log/_generated/component.js").ComponentApi' convex/_generated/api.d.ts \
  || fail "convex/_generated/api.d.ts does not type components.auditLog with the package's ComponentApi"

say "typecheck the app against the installed package (tsc -p convex)"
./node_modules/.bin/tsc --noEmit -p convex

say "run the app's test with vitest (uses convex-audit-log/test from node_modules)"
./node_modules/.bin/vitest run --root "$app"

say "the CLI from the tarball: npx convex-audit-log keygen, and verify on an export (exit 0, 1, 2)"
# The export contract's three files, made by the repo's demo:export (its dist/ is built above).
(cd "$repo" && npx --no-install tsx example/local/export.ts --events 300 --out "$work/export" >/dev/null)
npx --no-install convex-audit-log keygen --name pack-check.example/log --out "$app/keys"
[[ -s "$app/keys/signing.key" && -s "$app/keys/verifier.key" ]] || fail "keygen wrote no key files"
expect_exit() {
  local want=$1; shift
  set +e; "$@" >"$work/cli.out" 2>&1; local got=$?; set -e
  cat "$work/cli.out" | sed 's/^/    /' | head -n 6
  [[ $got -eq $want ]] || fail "$* exited $got, expected $want"
}
ex="$work/export"
expect_exit 0 npx --no-install convex-audit-log verify --events "$ex/events.jsonl" --checkpoints "$ex/checkpoints.jsonl" --key "$ex/verifier.key"
node -e 'const fs=require("fs");const f=process.argv[1];const l=fs.readFileSync(f,"utf8").split("\n");const r=JSON.parse(l[7]);r.action="nothing.happened";l[7]=JSON.stringify(r);fs.writeFileSync(process.argv[2],l.join("\n"))' "$ex/events.jsonl" "$ex/edited.jsonl"
expect_exit 1 npx --no-install convex-audit-log verify --events "$ex/edited.jsonl" --checkpoints "$ex/checkpoints.jsonl" --key "$ex/verifier.key"
expect_exit 2 npx --no-install convex-audit-log verify --events "$ex/events.jsonl" --checkpoints "$ex/checkpoints.jsonl" --key "$app/keys/verifier.key"
head -c 1000 "$ex/events.jsonl" >"$ex/truncated.jsonl"
expect_exit 2 npx --no-install convex-audit-log verify --events "$ex/truncated.jsonl" --checkpoints "$ex/checkpoints.jsonl" --key "$ex/verifier.key"

printf '\npack-check passed: convex-audit-log@%s installs, typechecks and runs from its tarball\n' "$installed"

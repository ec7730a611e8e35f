// @vitest-environment node
/**
 * The committed src/component/_generated/ must be exactly what the project's offline codegen
 * (scripts/convex-codegen) makes from src/component: a module added, renamed or removed, or a
 * changed function signature, without regenerating leaves the component's typed API wrong.
 *
 * The codegen writes into the tree it runs in, so it runs in a temporary copy of the repo and
 * the working tree is never touched. The comparison is with the files on disk (what a commit
 * would hold), not with git, so a module that is not committed yet counts too.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const codegen = path.join(repo, "scripts", "convex-codegen", "codegen");
const generatedDir = path.join("src", "component", "_generated");
const FIX = "run `npm run codegen:offline` and commit the regenerated files";

// Build output, installs and VCS data: not inputs of the codegen, and large.
const SKIP = new Set(["node_modules", ".git", "dist", ".pack-check", "test-results", "coverage"]);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "convex-audit-log-codegen-"));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Every file under dir, as paths relative to it, sorted; none if dir is missing. */
function listFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name), path.join(prefix, e.name)) : [path.join(prefix, e.name)],
    )
    .sort();
}

function firstDifferentLine(a: string, b: string): number {
  const x = a.split("\n");
  const y = b.split("\n");
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

test(
  "src/component/_generated is what scripts/convex-codegen makes, byte for byte",
  async () => {
    const copy = path.join(scratch, "repo");
    fs.cpSync(repo, copy, { recursive: true, filter: (src) => !SKIP.has(path.basename(src)) });
    fs.symlinkSync(fs.realpathSync(path.join(repo, "node_modules")), path.join(copy, "node_modules"));
    // Generated from nothing, so a stale file the codegen no longer writes shows up as extra.
    fs.rmSync(path.join(copy, generatedDir), { recursive: true, force: true });

    try {
      // The typecheck is npm run typecheck's job; it does not change what is generated.
      await promisify(execFile)(codegen, ["--component-dir", "./src/component", "--typecheck", "disable"], {
        cwd: copy,
        timeout: 150_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (e) {
      const { stdout, stderr } = e as { stdout?: string; stderr?: string };
      throw new Error(`scripts/convex-codegen/codegen failed in a copy of the repo:\n${stdout ?? ""}${stderr ?? ""}`, {
        cause: e,
      });
    }

    const committedDir = path.join(repo, generatedDir);
    const producedDir = path.join(copy, generatedDir);
    const committed = listFiles(committedDir);
    const produced = listFiles(producedDir);
    expect(produced.length, "the codegen wrote no files").toBeGreaterThan(0);

    const problems: string[] = [];
    for (const file of [...new Set([...committed, ...produced])].sort()) {
      const name = path.join(generatedDir, file);
      if (!produced.includes(file)) {
        problems.push(`${name}: committed, but the codegen no longer makes it`);
      } else if (!committed.includes(file)) {
        problems.push(`${name}: made by the codegen, but missing from the repo`);
      } else {
        const want = fs.readFileSync(path.join(producedDir, file));
        const have = fs.readFileSync(path.join(committedDir, file));
        if (!want.equals(have)) {
          const line = firstDifferentLine(have.toString("utf8"), want.toString("utf8"));
          problems.push(`${name}: differs from what the codegen makes (first at line ${line})`);
        }
      }
    }
    expect(problems, `src/component/_generated is out of date; ${FIX}`).toEqual([]);
  },
  180_000,
);

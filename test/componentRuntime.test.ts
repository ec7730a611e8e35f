// @vitest-environment node
/**
 * Code that runs in the component (src/component and what it imports from
 * src/shared) must run in Convex's runtime, which has no Node APIs: no
 * built-in module may be imported, and no Node global used.
 */
import { builtinModules } from "node:module";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [path] : [];
  });
}

/** The component's modules and every module of this package they import, transitively. */
function componentClosure(): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of readFileSync(file, "utf8").matchAll(/(?:import|export)[^"']*?from\s+["']([^"']+)["']/g)) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
      visit(target);
    }
  };
  for (const f of sources(join(root, "src", "component"))) visit(f);
  return [...seen];
}

test("the component imports no Node built-in module and uses no Node global", () => {
  const files = componentClosure();
  expect(files.some((f) => f.includes(join("src", "shared")))).toBe(true);
  const problems: string[] = [];
  for (const file of files) {
    // Comments may mention anything (the generated server.ts documents process.env).
    const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
    for (const [, spec] of text.matchAll(/(?:import|export)[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g)) {
      if (spec !== undefined && builtins.has(spec)) problems.push(`${file}: imports ${spec}`);
    }
    // Convex's runtime has `process.env` (the deployment's environment variables), nothing else of `process`.
    for (const [use] of text.matchAll(/\bprocess\.(?!env\b)\w+|\bBuffer\b|__dirname|__filename|\brequire\(/g)) {
      problems.push(`${file}: uses ${use}`);
    }
  }
  expect(problems).toEqual([]);
});

test("the check sees a Node import when there is one", () => {
  expect(builtins.has("node:fs") && builtins.has("crypto")).toBe(true);
  expect(componentClosure().length).toBeGreaterThan(20);
});

test("every package the component imports bundles without Node (as Convex bundles the component)", async () => {
  // The check above reads this package's own files; this one follows imports into node_modules too (aws4fetch, fflate, @noble/*).
  const { build } = await import("esbuild");
  const entryPoints = sources(join(root, "src", "component")).filter((f) => !f.includes("_generated"));
  const result = await build({
    entryPoints,
    bundle: true,
    write: false,
    outdir: "/tmp/component-bundle-check",
    platform: "browser",
    format: "esm",
    logLevel: "silent",
    metafile: true,
  }).catch((e: { errors?: { text: string }[] }) => ({ failed: (e.errors ?? []).map((x) => x.text) }));
  expect("failed" in result ? result.failed : []).toEqual([]);
  const inputs = Object.keys((result as { metafile: { inputs: Record<string, unknown> } }).metafile.inputs);
  for (const pkg of ["aws4fetch", "fflate", "@noble/hashes", "@noble/curves"]) expect(inputs.some((i) => i.includes(`node_modules/${pkg}/`)), pkg).toBe(true);
  expect(inputs.filter((i) => /^node:|^(fs|crypto|http|https|zlib|stream|buffer)$/.test(i))).toEqual([]);
});

// ESLint flat config (eslint 9, typescript-eslint 8).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// Node globals for the plain JavaScript files (configs, scripts); TypeScript files get theirs
// from the type checker, so typescript-eslint turns `no-undef` off for them.
const nodeGlobals = Object.fromEntries(
  [
    "process", "console", "Buffer", "URL", "URLSearchParams", "setTimeout", "clearTimeout",
    "setInterval", "clearInterval", "setImmediate", "structuredClone", "fetch", "globalThis",
    "__dirname", "__filename", "require", "module",
  ].map((name) => [name, "readonly"]),
);

// A Convex query's `.filter()` still reads (and is billed for) every document the index range
// hands it, and convex-test applies it before counting reads, so tests under-count what it costs:
// keep component reads as index ranges and filter in TypeScript while iterating
// (src/component/README.md, "Reading"). Matches `.filter(` called directly on the
// result of `.query(...)`, `.withIndex(...)`, `.withSearchIndex(...)`, `.order(...)` or
// `.fullTableScan()`; array `.filter` (e.g. on `Object.entries(...)`) is not affected.
const convexQueryFilter = {
  selector:
    "CallExpression[callee.property.name='filter'][callee.object.type='CallExpression']" +
    "[callee.object.callee.property.name=/^(query|withIndex|withSearchIndex|order|fullTableScan)$/]",
  message:
    "Don't use .filter() on a Convex query in the component: it reads every document of the range. " +
    "Narrow the range with withIndex, and filter in TypeScript while iterating.",
};

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "**/_generated/**",
      ".pack-check/**",
      "coverage/**",
      "test-results/**",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{js,mjs,cjs}"],
    languageOptions: { globals: nodeGlobals },
  },
  {
    files: ["**/*.{ts,tsx,mts,cts}"],
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring to drop a key, unused params).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Type-aware checks that catch real Convex bugs: an un-awaited ctx.db / ctx.runMutation
    // call is silently dropped or races the end of the transaction.
    files: ["src/**/*.{ts,tsx}", "example/**/*.{ts,tsx}"],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
    },
  },
  {
    files: ["src/component/**/*.ts"],
    rules: { "no-restricted-syntax": ["error", convexQueryFilter] },
  },
);

/// <reference types="vite/client" />
/**
 * The one setup of the component's own tests: convex-test over the
 * component's schema and modules, with Convex's real transaction limits on
 * (or tighter ones, to make a limit easy to reach).
 */
import { convexTest } from "convex-test";
import { test } from "vitest";
import schema from "./schema.js";

export const modules = import.meta.glob("./**/*.ts");

export function initConvexTest(transactionLimits: boolean | Record<string, number> = true) {
  return convexTest({ schema, modules, transactionLimits });
}
export type T = ReturnType<typeof initConvexTest>;

test("setup", () => {});

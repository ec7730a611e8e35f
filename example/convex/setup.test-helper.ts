/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import auditLogComponent from "convex-audit-log/test";
import schema from "./schema";

export const modules = import.meta.glob("./**/*.ts");

/** convex-test with Convex's real transaction limits enforced, and the component registered. */
export function initConvexTest() {
  const t = convexTest({ schema, modules, transactionLimits: true });
  auditLogComponent.register(t);
  return t;
}

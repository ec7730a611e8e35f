/**
 * `convex-audit-log/better-auth`: a BetterAuth (1.7+) plugin that records
 * sign-ins, sign-ups, sessions, credentials, second factors, passkeys,
 * accounts, admin actions, organizations, members, invitations and API keys,
 * with failures, into a convex-audit-log component.
 *
 * ```ts
 * import { auditTrail, convexSink } from "convex-audit-log/better-auth";
 * betterAuth({ ..., plugins: [admin(), organization(), auditTrail({ sink: convexSink(auditLog, ctx) })] });
 * ```
 */
export { auditTrail } from "./plugin.js";
export type { AuditSink, AuditTrailOptions, TrailEvent } from "./plugin.js";
export { convexSink, httpSink } from "./sinks.js";
export type { HttpSinkOptions } from "./sinks.js";
export { BETTER_AUTH_ENDPOINTS } from "./endpoints.js";
export type { EndpointSpec } from "./endpoints.js";
export { SIGNATURE_HEADERS, signDelivery, verifyDelivery } from "../shared/signing.js";

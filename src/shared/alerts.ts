/**
 * Alerts: what an app's alert function receives, declared once so the app
 * can validate its arguments with the same validators (`args: { alert: vEventAlert }`).
 */
import { v, type Infer } from "convex/values";
import { vAnomaly } from "./stats.js";
import { vCategory, vSeverity, vStatus } from "./validators.js";

/**
 * A logged event that matched an alert rule. Only identity and routing
 * fields and the redacted summary: payloads stay in the log (read the
 * event by `id`), and scheduled functions' arguments are stored by Convex.
 */
export const vEventAlert = v.object({
  rule: v.string(),
  event: v.object({
    id: v.string(),
    action: v.string(),
    category: vCategory,
    severity: vSeverity,
    status: vStatus,
    actorId: v.optional(v.string()),
    tenantId: v.optional(v.string()),
    resourceType: v.optional(v.string()),
    resourceId: v.optional(v.string()),
    summary: v.optional(v.string()),
    errorMessage: v.optional(v.string()),
    timestamp: v.number(),
  }),
});
export type EventAlert = Infer<typeof vEventAlert>;

/** An anomaly rule that fired, once per window. */
export const vAnomalyAlert = v.object({
  rule: v.string(),
  anomaly: vAnomaly,
  /** When the check ran (ms). */
  checkedAt: v.number(),
});
export type AnomalyAlert = Infer<typeof vAnomalyAlert>;

/** One firing for the component to claim: fires at most once per `windowMs` per key. */
export const vAlertFiring = v.object({ key: v.string(), windowMs: v.number(), at: v.number() });
export type AlertFiring = Infer<typeof vAlertFiring>;

export const ALERT_LIMITS = {
  /** Anomaly alert rules per check (detectAnomalies takes at most 20 rules). */
  maxAnomalyRules: 20,
  maxRuleNameLength: 128,
} as const;

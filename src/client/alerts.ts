/**
 * Alerts, sent if and only if the event committed.
 *
 * Event rules live in the app's code (the AuditLog's options), not in the
 * component: matching costs the log path no read. After the component has
 * stored an event, the client schedules each matching rule's function with
 * `ctx.scheduler` of the caller, so in a mutation the alert is part of the
 * same transaction (rolled back with it); in an action it is scheduled once
 * the event's own mutation has committed.
 *
 * Anomaly rules are checked when the app asks (`checkAnomalyAlerts`, from its
 * cron): the component remembers when each rule last fired, so a rule that
 * keeps firing calls its function once per window.
 */
import type { Scheduler } from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import type { AnomalyAlert, EventAlert } from "../shared/alerts.js";
import { ALERT_LIMITS } from "../shared/alerts.js";
import { auditError } from "../shared/errors.js";
import { classify } from "../shared/prepare.js";
import { redactSecretsInText } from "../shared/secrets.js";
import type { EventInput } from "../shared/validators.js";
import type { AlertRule, AnomalyAlertRule, RunMutationCtx, RunQueryCtx } from "./types.js";

/** Checks rules once, when the AuditLog is made: a bad rule is a configuration error, not a failed log call. */
export function checkAlertRules(rules: AlertRule[] | undefined, anomalies: AnomalyAlertRule[] | undefined): void {
  const names = new Set<string>();
  for (const [i, r] of (anomalies ?? []).entries()) {
    if (typeof r.name !== "string" || r.name.length === 0 || r.name.length > ALERT_LIMITS.maxRuleNameLength || names.has(r.name)) {
      throw auditError("INVALID_CONFIG", `anomalyAlerts[${i}].name must be a unique name of 1 to ${ALERT_LIMITS.maxRuleNameLength} characters`, `anomalyAlerts[${i}].name`);
    }
    names.add(r.name);
  }
  if ((anomalies?.length ?? 0) > ALERT_LIMITS.maxAnomalyRules) {
    throw auditError("INVALID_CONFIG", `at most ${ALERT_LIMITS.maxAnomalyRules} anomaly alert rules`, "anomalyAlerts");
  }
  for (const [i, r] of (rules ?? []).entries()) {
    if (typeof r.name !== "string" || r.name.length === 0 || r.name.length > ALERT_LIMITS.maxRuleNameLength) {
      throw auditError("INVALID_CONFIG", `alerts[${i}].name must be 1 to ${ALERT_LIMITS.maxRuleNameLength} characters`, `alerts[${i}].name`);
    }
    if (r.handler === undefined) throw auditError("INVALID_CONFIG", `alerts[${i}] has no handler`, `alerts[${i}].handler`);
  }
}

function ruleMatches(rule: AlertRule, input: EventInput, c: ReturnType<typeof classify>): boolean {
  if (rule.severity !== undefined && !rule.severity.includes(c.severity)) return false;
  if (rule.categories !== undefined && !rule.categories.includes(c.category)) return false;
  if (rule.actions !== undefined && !rule.actions.includes(input.action)) return false;
  if (rule.status !== undefined && rule.status !== c.status) return false;
  if (rule.tenantId !== undefined && rule.tenantId !== input.tenantId) return false;
  return true;
}

function schedulerOf(ctx: RunMutationCtx): Scheduler {
  if (ctx.scheduler === undefined) {
    throw auditError("INVALID_CONFIG", "an event matched an alert rule, but this ctx cannot schedule (log from a mutation or an action)");
  }
  return ctx.scheduler;
}

/**
 * Schedules the alerts of events the component has just stored (`ids[i]` is
 * `inputs[i]`'s id). Nothing here reads the database.
 */
export async function sendEventAlerts(
  ctx: RunMutationCtx,
  rules: AlertRule[],
  inputs: EventInput[],
  ids: string[],
  redactDefaults: boolean,
): Promise<void> {
  const now = Date.now();
  const text = (s: string | undefined) => (s === undefined ? undefined : redactDefaults ? redactSecretsInText(s) : s);
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    const c = classify(input);
    for (const rule of rules) {
      if (!ruleMatches(rule, input, c)) continue;
      const event: EventAlert["event"] = { id: ids[i], action: input.action, ...c, timestamp: input.timestamp ?? now };
      for (const key of ["actorId", "tenantId", "resourceType", "resourceId"] as const) {
        if (input[key] !== undefined) event[key] = input[key];
      }
      const summary = text(input.summary);
      const errorMessage = text(input.errorMessage);
      if (summary !== undefined) event.summary = summary;
      if (errorMessage !== undefined) event.errorMessage = errorMessage;
      await schedulerOf(ctx).runAfter(0, rule.handler, { alert: { rule: rule.name, event } satisfies EventAlert });
    }
  }
}

/**
 * Runs the anomaly rules now and calls each firing rule's function, at most
 * once per its window. Returns the names of the rules whose function was
 * scheduled. Call it from a mutation (your cron's): the claim of the window
 * and the scheduled calls are then one transaction.
 */
export async function checkAnomalyAlerts(
  component: ComponentApi,
  ctx: RunMutationCtx & RunQueryCtx,
  rules: AnomalyAlertRule[],
  now: number,
): Promise<string[]> {
  if (rules.length === 0) return [];
  const fired = await ctx.runQuery(component.anomalies.detectAnomalies, {
    rules: rules.map((r) => ({ ...r.rule })),
    now,
  });
  if (fired.length === 0) return [];
  const firings = fired.map((a) => ({ key: rules[a.rule].name, windowMs: rules[a.rule].rule.windowMinutes * 60_000, at: now }));
  const due = await ctx.runMutation(component.alerts.claim, { firings });
  const sent: string[] = [];
  for (let i = 0; i < fired.length; i++) {
    if (!due[i]) continue;
    const rule = rules[fired[i].rule];
    await schedulerOf(ctx).runAfter(0, rule.handler, { alert: { rule: rule.name, anomaly: fired[i], checkedAt: now } satisfies AnomalyAlert });
    sent.push(rule.name);
  }
  return sent;
}

/**
 * Anomaly alerts fire once per window, not on every check: this module
 * keeps, per rule, when it last fired. It is called only by
 * `AuditLog.checkAnomalyAlerts` from the app's scheduled check, never on the
 * log path. Alerts on single events need no state here: the client
 * schedules them in the logging transaction.
 */
import { v } from "convex/values";
import { mutation } from "./_generated/server.js";
import { checkString, intInRange } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import { ALERT_LIMITS, vAlertFiring } from "../shared/alerts.js";
import { LIMITS } from "../shared/validators.js";

const DAY_MS = 86_400_000;

/**
 * For each firing, whether it may fire now: its key never fired, or fired
 * `windowMs` or more before `at`. The ones that may are recorded as fired at
 * `at`, in this transaction: the caller schedules its alert functions in the
 * same one, so a check that rolls back neither alerts nor uses up the window.
 */
export const claim = mutation({
  args: { firings: v.array(vAlertFiring) },
  returns: v.array(v.boolean()),
  handler: async (ctx, { firings }) => {
    if (firings.length > ALERT_LIMITS.maxAnomalyRules) {
      throw auditError("INVALID_ARGUMENT", `at most ${ALERT_LIMITS.maxAnomalyRules} firings per call`, "firings");
    }
    firings.forEach((f, i) => {
      checkString(f.key, `firings[${i}].key`, ALERT_LIMITS.maxRuleNameLength, { required: true });
      intInRange(f.windowMs, 1, DAY_MS, `firings[${i}].windowMs`);
      intInRange(f.at, 0, LIMITS.maxTimestamp, `firings[${i}].at`);
    });
    const out: boolean[] = [];
    for (const { key, windowMs, at } of firings) {
      const state = await ctx.db
        .query("alertState")
        .withIndex("by_key", (q) => q.eq("key", key))
        .unique();
      const due = state === null || at - state.lastFiredAt >= windowMs;
      out.push(due);
      if (!due) continue;
      if (state === null) await ctx.db.insert("alertState", { key, lastFiredAt: at, fired: 1 });
      else await ctx.db.patch(state._id, { lastFiredAt: at, fired: state.fired + 1 });
    }
    return out;
  },
});

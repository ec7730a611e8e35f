/**
 * Failures that survive rollback: functions wrapped by the AuditLog record
 * their failures. The handlers write first and fail after, so the tests can
 * see that the writes roll back while the failure stays on the record.
 */
import { ConvexError, v } from "convex/values";
import { customCtx, customMutation } from "convex-helpers/server/customFunctions";
import { api } from "./_generated/api";
import { action, httpAction, mutation } from "./_generated/server";
import { auditLog } from "./auditLog";

/** Failures committed; callers get the error back through throwIfAuditFailure / useAuditedMutation. */
const auditedMutation = auditLog.auditedMutation(mutation, { onFailure: "commit", action: "payment.failed" });
/** The same over a convex-helpers custom function: the wrapper takes any builder of that shape. */
const auditedCustomMutation = auditLog.auditedMutation(
  customMutation(mutation, customCtx(async () => ({ currency: "EUR" }))),
  { onFailure: "commit" },
);
/** Failures thrown as they are: nothing can be committed, and Convex's log.audit gets a copy. */
const throwingMutation = auditLog.auditedMutation(mutation, { onFailure: "throw", mirrorToConvexAudit: true });
const auditedAction = auditLog.auditedAction(action);
const auditedHttpAction = auditLog.auditedHttpAction(httpAction, { name: "POST /pay" });

const vPay = { amount: v.number(), balance: v.number() };

async function charge(ctx: { db: { insert: (t: "documents", d: { title: string; body: string }) => Promise<string> } }, amount: number, balance: number) {
  const id = await ctx.db.insert("documents", { title: `charge ${amount}`, body: "" });
  if (amount <= 0) throw new ConvexError({ code: "FORBIDDEN", message: "refunds need the billing role" });
  if (amount > balance) throw new ConvexError({ code: "INSUFFICIENT_FUNDS", message: `short by ${amount - balance}` });
  if (amount === 13) throw new Error("card processor timeout (Bearer sk_live_abcdefghijklmnopqrstuvwx)");
  return id;
}

export const pay = auditedMutation({
  args: vPay,
  returns: v.string(),
  handler: async (ctx, { amount, balance }) => await charge(ctx, amount, balance),
});

export const payInEuros = auditedCustomMutation({
  args: vPay,
  handler: async (ctx, { amount, balance }) => `${await charge(ctx, amount, balance)}:${ctx.currency}`,
});

export const payOrThrow = throwingMutation({
  args: vPay,
  handler: async (ctx, { amount, balance }) => await charge(ctx, amount, balance),
});

/** The naive way, for contrast: the failure event is written in the handler's own transaction, and rolls back with it. */
export const payNaively = mutation({
  args: vPay,
  handler: async (ctx, { amount, balance }) => {
    try {
      return await charge(ctx, amount, balance);
    } catch (e) {
      await auditLog.log(ctx, { action: "payment.failed", status: "failure", errorMessage: String(e) });
      throw e;
    }
  },
});

/** A plain mutation, called by the action below. */
export const chargeOnce = mutation({ args: vPay, handler: async (ctx, { amount, balance }) => await charge(ctx, amount, balance) });

export const payFromAction = auditedAction({
  args: vPay,
  handler: async (ctx, args): Promise<string> => await ctx.runMutation(api.payments.chargeOnce, args),
});

export const payOverHttp = auditedHttpAction(async (ctx, request) => {
  const args = (await request.json()) as { amount: number; balance: number };
  if (args.amount === 500) return new Response("upstream down", { status: 503 });
  const id = await ctx.runMutation(api.payments.chargeOnce, args);
  return Response.json({ id });
});

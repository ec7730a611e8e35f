import { cronJobs } from "convex/server";
import { internal } from "./_generated/api.js";

/**
 * Components may define crons (Convex's own workpool component does): the
 * statistics rollup runs every minute with no setup in the app. A tick that
 * finds a backlog keeps going in self-scheduled batches until it catches up.
 */
const crons = cronJobs();

crons.interval("audit-log stats rollup", { minutes: 1 }, internal.stats.rollupTick, {});

export default crons;

import { cronJobs } from "convex/server";
import { internal } from "./_generated/api.js";

/**
 * Components may define crons (Convex's own workpool component does): every
 * background loop is kept going with no setup in the app (background.ts).
 */
const crons = cronJobs();

crons.interval("audit-log background loops", { minutes: 1 }, internal.background.tick, {});

export default crons;

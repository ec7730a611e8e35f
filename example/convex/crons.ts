import { cronJobs } from "convex/server";
import { internal } from "./_generated/api";

const crons = cronJobs();

// The audit log's signed checkpoints: the signing key is the app's (AUDIT_LOG_SIGNING_KEY).
crons.interval("audit log checkpoint", { minutes: 1 }, internal.integrity.checkpoint, {});

export default crons;

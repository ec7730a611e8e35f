import { httpRouter } from "convex/server";
import { httpAction } from "./_generated/server";
import { auditLog } from "./auditLog";
import { webhook } from "./documents";
import { payOverHttp } from "./payments";

// Convex functions read environment variables from process.env; this app's tsconfig has no Node types.
declare const process: { env: Record<string, string | undefined> };

const http = httpRouter();
http.route({ path: "/webhook", method: "POST", handler: webhook });
// Events from a BetterAuth server running outside Convex (convex-audit-log/better-auth's httpSink), signed with a shared secret.
http.route({
  path: "/audit/ingest",
  method: "POST",
  handler: httpAction(auditLog.ingestHandler({ secret: () => process.env.AUDIT_INGEST_SECRET })),
});
http.route({ path: "/pay", method: "POST", handler: payOverHttp });
export default http;

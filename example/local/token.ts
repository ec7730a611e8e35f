/**
 * Demo identities for the local runtime. The local runtime has no auth
 * provider, so it accepts an unsigned token (JWT with `alg: "none"`) and takes
 * its payload as the caller's identity. A real deployment rejects these: they
 * exist so the demo can switch between an admin, an organisation admin and a
 * plain user without an account anywhere. Runs in the browser and in Node.
 */
export type DemoIdentity = {
  /** Becomes `identity.subject`, the actor id the exposed API scopes "viewer" reads by. */
  sub: string;
  name?: string;
  /** `"admin"` reads everything; `"org-admin"` with `orgId` reads that tenant (example/convex/auditLog.ts). */
  role?: "admin" | "org-admin" | "user";
  orgId?: string;
};

/** The people the demo story is about (seed.ts), and whom the app's identity switcher signs in as. */
export const DEMO_PEOPLE = {
  ada: { sub: "user_ada", name: "Ada Lovelace", role: "user", orgId: "acme" },
  olga: { sub: "user_olga", name: "Olga (acme admin)", role: "org-admin", orgId: "acme" },
  grace: { sub: "user_grace", name: "Grace Hopper", role: "user", orgId: "globex" },
  root: { sub: "user_root", name: "Root", role: "admin" },
} as const satisfies Record<string, DemoIdentity>;

export const LOCAL_ISSUER = "https://local.convex-audit-log.invalid";

function base64url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(part: string): string {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** An unsigned token carrying `identity`, for `ConvexReactClient.setAuth` against the local runtime. */
export function demoToken(identity: DemoIdentity): string {
  const header = base64url(JSON.stringify({ alg: "none", typ: "JWT" }));
  const payload = base64url(JSON.stringify({ iss: LOCAL_ISSUER, aud: "convex", ...identity }));
  return `${header}.${payload}.`;
}

/** The identity in a token made by `demoToken`, or null when it is not one. */
export function parseDemoToken(token: string): DemoIdentity | null {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[2] !== "") return null;
  try {
    const header = JSON.parse(fromBase64url(parts[0]));
    const payload = JSON.parse(fromBase64url(parts[1]));
    if (header?.alg !== "none" || payload?.iss !== LOCAL_ISSUER) return null;
    if (typeof payload.sub !== "string" || payload.sub.length === 0) return null;
    return payload as DemoIdentity;
  } catch {
    return null;
  }
}

/**
 * Who the demo acts as. Against the local runtime an unsigned demo token
 * carries the identity (example/local/token.ts); the exposed API scopes what
 * each one reads (example/convex/auditLog.ts).
 */
import type { ConvexReactClient } from "convex/react";
import { DEMO_PEOPLE, demoToken, type DemoIdentity } from "../../local/token";

export const IDENTITIES = {
  root: { label: "Root — admin, reads everything", identity: DEMO_PEOPLE.root },
  olga: { label: "Olga — org-admin of acme", identity: DEMO_PEOPLE.olga },
  ada: { label: "Ada — user in acme, reads her own events", identity: DEMO_PEOPLE.ada },
  grace: { label: "Grace — user in globex", identity: DEMO_PEOPLE.grace },
} as const satisfies Record<string, { label: string; identity: DemoIdentity }>;

export type IdentityKey = keyof typeof IDENTITIES;

export function isIdentityKey(key: string | null | undefined): key is IdentityKey {
  return key != null && Object.prototype.hasOwnProperty.call(IDENTITIES, key);
}

const STORAGE_KEY = "convex-audit-log-demo:identity";

/** `?as=ada` picks the identity (links, browser tests), else the last one used, else the admin. */
export function initialIdentity(): IdentityKey {
  const fromUrl = new URLSearchParams(window.location.search).get("as");
  if (isIdentityKey(fromUrl)) return fromUrl;
  const stored = window.localStorage.getItem(STORAGE_KEY);
  return isIdentityKey(stored) ? stored : "root";
}

export type AuthState = "pending" | "signed-in" | "rejected";

/** Who the client is signed in as, and whether the server took the token: a store for useSyncExternalStore. */
export function createDemoAuth(client: ConvexReactClient) {
  let state: { identity: IdentityKey; auth: AuthState } = { identity: "root", auth: "pending" };
  const listeners = new Set<() => void>();
  const set = (next: Partial<typeof state>) => {
    state = { ...state, ...next };
    for (const l of listeners) l();
  };
  return {
    signInAs(identity: IdentityKey) {
      const token = demoToken(IDENTITIES[identity].identity);
      window.localStorage.setItem(STORAGE_KEY, identity);
      set({ identity, auth: "pending" });
      client.setAuth(
        async () => token,
        (ok) => {
          // A late answer for an identity already switched away from says nothing about the current one.
          if (state.identity === identity) set({ auth: ok ? "signed-in" : "rejected" });
        },
      );
    },
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    get: () => state,
  };
}
export type DemoAuth = ReturnType<typeof createDemoAuth>;

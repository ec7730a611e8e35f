/**
 * A real BetterAuth 1.7 instance for the plugin's tests: the memory adapter,
 * the admin, organization, two-factor, passkey, api-key, username,
 * magic-link, email-OTP and anonymous plugins, email and password, GitHub as
 * a social provider, and the audit plugin last. Mail (verification links,
 * reset tokens, codes, invitations) lands in `inbox` instead of being sent.
 * `Browser` keeps cookies between requests made through `auth.handler`.
 */
import { betterAuth } from "better-auth";
import { memoryAdapter } from "better-auth/adapters/memory";
import { getAuthTables } from "better-auth/db";
import { admin, anonymous, emailOTP, magicLink, organization, twoFactor, username } from "better-auth/plugins";
import { apiKey } from "@better-auth/api-key";
import { passkey } from "@better-auth/passkey";
import { auditTrail, type AuditSink, type AuditTrailOptions } from "convex-audit-log/better-auth";

export const BASE_URL = "http://localhost:3000";
export const AUTH_SECRET = "better-auth-test-secret-0123456789abcdef";

/** The parts of a BetterAuth instance the tests use (its full type depends on every plugin's). */
export type AuthUnderTest = {
  handler(request: Request): Promise<Response>;
  api: Record<string, (args: { body?: Record<string, unknown>; headers?: Headers; query?: Record<string, unknown> }) => Promise<unknown>>;
  $context: Promise<{
    internalAdapter: {
      createUser(user: Record<string, unknown>): Promise<{ id: string }>;
      deleteUser(id: string): Promise<void>;
    };
  }>;
};

export type Mail = { kind: string; to: string; token?: string; url?: string; otp?: string; id?: string };

export function makeAuth(sink: AuditSink, trail: Partial<AuditTrailOptions> = {}) {
  const inbox: Mail[] = [];
  const db: Record<string, Record<string, unknown>[]> = {};
  const options = {
    baseURL: BASE_URL,
    secret: AUTH_SECRET,
    database: memoryAdapter(db),
    emailAndPassword: {
      enabled: true,
      sendResetPassword: async ({ user, token, url }: { user: { email: string }; token: string; url: string }) => {
        inbox.push({ kind: "reset", to: user.email, token, url });
      },
    },
    emailVerification: {
      sendVerificationEmail: async ({ user, token, url }: { user: { email: string }; token: string; url: string }) => {
        inbox.push({ kind: "verify", to: user.email, token, url });
      },
    },
    user: {
      changeEmail: { enabled: true, updateEmailWithoutVerification: true },
      deleteUser: { enabled: true },
    },
    account: { accountLinking: { enabled: true, trustedProviders: ["github"], allowDifferentEmails: true } },
    socialProviders: {
      github: {
        clientId: "gh-client",
        clientSecret: "gh-secret",
        // The provider's profile, without a network: the test says who signs in.
        getUserInfo: async (token: { accessToken?: string; idToken?: string }) => {
          const login = String(token.accessToken ?? token.idToken ?? "").replace(/^(gho_|idtok_)/, "");
          return { user: { id: `gh-${login}`, name: login, email: `${login}@github.example`, emailVerified: true }, data: { id: `gh-${login}`, login } };
        },
        // An id token is this test's own: "idtok_<login>".
        verifyIdToken: async (token: string) => token.startsWith("idtok_"),
      },
    },
    plugins: [
      admin(),
      organization({
        sendInvitationEmail: async (data: { id: string; email: string }) => {
          inbox.push({ kind: "invitation", to: data.email, id: data.id });
        },
      }),
      twoFactor({
        otpOptions: {
          sendOTP: async ({ user, otp }: { user: { email: string }; otp: string }) => {
            inbox.push({ kind: "2fa-otp", to: user.email, otp });
          },
        },
      }),
      passkey({ rpID: "localhost", rpName: "Test", origin: BASE_URL }),
      apiKey({ enableSessionForAPIKeys: true }),
      username(),
      magicLink({
        sendMagicLink: async ({ email, token, url }: { email: string; token: string; url: string }) => {
          inbox.push({ kind: "magic-link", to: email, token, url });
        },
      }),
      emailOTP({
        sendVerificationOTP: async ({ email, otp, type }: { email: string; otp: string; type: string }) => {
          inbox.push({ kind: `email-otp:${type}`, to: email, otp });
        },
      }),
      anonymous(),
      // Last, so it sees what the other plugins' after hooks made of each answer.
      auditTrail({ sink, ...trail }),
    ],
  };
  for (const table of Object.values(getAuthTables(options as never))) db[table.modelName] = [];
  const auth = betterAuth(options as never) as unknown as AuthUnderTest;
  const lastMail = (kind: string, to?: string) => {
    const mail = [...inbox].reverse().find((m) => m.kind === kind && (to === undefined || m.to === to));
    if (mail === undefined) throw new Error(`no ${kind} mail${to ? ` to ${to}` : ""}`);
    return mail;
  };
  return { auth, db, inbox, lastMail };
}

export type TestAuth = ReturnType<typeof makeAuth>;

/** A browser: cookies kept between requests, an IP and a user agent on each. */
export class Browser {
  cookies = new Map<string, string>();
  constructor(
    private readonly auth: TestAuth["auth"],
    public ip = "203.0.113.7",
    public userAgent = "Mozilla/5.0 (TestBrowser)",
  ) {}

  headers(extra: Record<string, string> = {}): Headers {
    const h = new Headers({ origin: BASE_URL, "user-agent": this.userAgent, "x-forwarded-for": this.ip, ...extra });
    if (this.cookies.size > 0) h.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    return h;
  }

  absorb(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim())) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** A request through BetterAuth's HTTP handler, as a browser would make it. */
  async request(method: "GET" | "POST", path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Response> {
    const init: RequestInit = { method, headers: this.headers(body === undefined ? extra : { "content-type": "application/json", ...extra }) };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const response = await this.auth.handler(new Request(`${BASE_URL}/api/auth${path}`, init));
    this.absorb(response.headers);
    return response;
  }

  async post(path: string, body: unknown = {}, extra?: Record<string, string>) {
    const r = await this.request("POST", path, body, extra);
    const text = await r.text();
    return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, location: r.headers.get("location") };
  }

  async get(path: string, extra?: Record<string, string>) {
    const r = await this.request("GET", path, undefined, extra);
    const text = await r.text();
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: r.status, body: body as Record<string, unknown> | null, location: r.headers.get("location") };
  }
}

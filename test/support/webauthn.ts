/**
 * A software passkey authenticator, enough for BetterAuth's passkey plugin
 * (@simplewebauthn/server) to verify a registration ("none" attestation) and
 * an authentication: a P-256 key pair, authenticator data, client data, and a
 * minimal CBOR encoder for the attestation object and the COSE public key.
 */
// Web Crypto only: this file is typechecked with the example's Convex functions, which have no Node types.
type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
  return [(major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export function cbor(v: Cbor): Uint8Array {
  const out: number[] = [];
  const go = (x: Cbor) => {
    if (typeof x === "number") out.push(...(x >= 0 ? head(0, x) : head(1, -1 - x)));
    else if (typeof x === "string") {
      const bytes = new TextEncoder().encode(x);
      out.push(...head(3, bytes.length), ...bytes);
    } else if (x instanceof Uint8Array) out.push(...head(2, x.length), ...x);
    else if (Array.isArray(x)) {
      out.push(...head(4, x.length));
      x.forEach(go);
    } else {
      out.push(...head(5, x.size));
      for (const [k, val] of x) {
        go(k);
        go(val);
      }
    }
  };
  go(v);
  return Uint8Array.from(out);
}

const b64url = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
const utf8 = (s: string) => new TextEncoder().encode(s);
const sha256 = async (b: Uint8Array) => new Uint8Array(await crypto.subtle.digest("SHA-256", b as BufferSource));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Web Crypto signs ECDSA as r || s; WebAuthn wants the DER SEQUENCE of two INTEGERs. */
function der(raw: Uint8Array): Uint8Array {
  const int = (x: Uint8Array) => {
    let i = 0;
    while (i < x.length - 1 && x[i] === 0) i++;
    const v = x.slice(i);
    const body = v[0] & 0x80 ? concat(Uint8Array.of(0), v) : v;
    return concat(Uint8Array.of(0x02, body.length), body);
  };
  const seq = concat(int(raw.slice(0, 32)), int(raw.slice(32)));
  return concat(Uint8Array.of(0x30, seq.length), seq);
}

export class SoftAuthenticator {
  readonly credentialId = crypto.getRandomValues(new Uint8Array(16));
  private keys: Promise<CryptoKeyPair> = crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
  private counter = 0;

  constructor(
    private readonly rpId = "localhost",
    private readonly origin = "http://localhost:3000",
  ) {}

  private clientData(type: string, challenge: string) {
    return utf8(JSON.stringify({ type, challenge, origin: this.origin, crossOrigin: false }));
  }

  /** The browser's answer to `navigator.credentials.create` for these options. */
  async register(options: { challenge: string }) {
    const jwk = await crypto.subtle.exportKey("jwk", (await this.keys).publicKey);
    const cose = cbor(new Map<number, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, fromB64url(jwk.x!)], [-3, fromB64url(jwk.y!)]]));
    const idLength = Uint8Array.of(this.credentialId.length >> 8, this.credentialId.length & 255);
    const authData = concat(await sha256(utf8(this.rpId)), Uint8Array.of(0x45), new Uint8Array(4), new Uint8Array(16), idLength, this.credentialId, cose);
    const attestationObject = cbor(new Map<string, Cbor>([["fmt", "none"], ["attStmt", new Map()], ["authData", authData]]));
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: "public-key",
      response: { clientDataJSON: b64url(this.clientData("webauthn.create", options.challenge)), attestationObject: b64url(attestationObject), transports: ["internal"] },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }

  /** The browser's answer to `navigator.credentials.get`. */
  async authenticate(options: { challenge: string }) {
    this.counter += 1;
    const counter = Uint8Array.of((this.counter >>> 24) & 255, (this.counter >> 16) & 255, (this.counter >> 8) & 255, this.counter & 255);
    const authData = concat(await sha256(utf8(this.rpId)), Uint8Array.of(0x05), counter);
    const clientDataJSON = this.clientData("webauthn.get", options.challenge);
    const signed = concat(authData, await sha256(clientDataJSON));
    const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, (await this.keys).privateKey, signed as BufferSource));
    return {
      id: b64url(this.credentialId),
      rawId: b64url(this.credentialId),
      type: "public-key",
      response: { clientDataJSON: b64url(clientDataJSON), authenticatorData: b64url(authData), signature: b64url(der(raw)), userHandle: null },
      clientExtensionResults: {},
      authenticatorAttachment: "platform",
    };
  }
}

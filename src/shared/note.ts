/**
 * Signed checkpoints: the C2SP tlog-checkpoint body inside a C2SP signed
 * note, with Ed25519 keys written as golang.org/x/mod/sumdb/note writes them,
 * so Go's `note.Open` reads what this signs and this reads what Go signs.
 *
 *   <origin>\n<tree size>\n<base64 root>\ntime <ms>\n      (the checkpoint)
 *   \n
 *   — <key name> <base64(4-byte key hash || 64-byte signature)>\n
 *
 * Keys: a verifier key is `<name>+<8 hex key hash>+<base64(0x01 || public key)>`,
 * a signer key `PRIVATE+KEY+<name>+<hash>+<base64(0x01 || 32-byte seed)>`; the
 * key hash is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key).
 * The `time` extension line (C2SP allows opaque extension lines) says when
 * the log had this size: a verifier can tell a stale checkpoint from a fresh
 * one, which is why one is written on a schedule even when nothing arrived.
 */
import { ed25519 } from "@noble/curves/ed25519";
import { sha256 } from "@noble/hashes/sha2";
import { fromB64, hashFromB64, toB64, type Hash } from "./merkle.js";

const ALG_ED25519 = 1;
const DASH = "\u2014";
const enc = new TextEncoder();

export type VerifierKey = { name: string; keyHash: number; publicKey: Uint8Array; text: string };
export type SignerKey = { name: string; keyHash: number; seed: Uint8Array; verifier: VerifierKey };

/** Go's rule for key names: non-empty, no space characters, no "+". */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/[\p{Cc}]/u.test(name);
}

export function keyHash(name: string, key: Uint8Array): number {
  const h = sha256.create().update(enc.encode(name + "\n")).update(key).digest();
  return ((h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3]) >>> 0;
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

function verifierOf(name: string, publicKey: Uint8Array): VerifierKey {
  const key = Uint8Array.of(ALG_ED25519, ...publicKey);
  const h = keyHash(name, key);
  return { name, keyHash: h, publicKey, text: `${name}+${hex8(h)}+${toB64(key)}` };
}

/** A verifier key string, or null if it is not one (wrong shape, algorithm, hash or name). */
/** Splits at the first `n - 1` "+" (base64 may hold "+"), as Go's note package chops keys. */
function chop(text: string, n: number): string[] | null {
  const parts: string[] = [];
  let rest = text;
  for (let i = 0; i < n - 1; i++) {
    const at = rest.indexOf("+");
    if (at < 0) return null;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

export function parseVerifierKey(text: string): VerifierKey | null {
  if (typeof text !== "string") return null;
  const parts = chop(text.trim(), 3);
  if (parts === null) return null;
  const [name, hash, b64] = parts;
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(hash)) return null;
  const key = fromB64(b64);
  if (key === null || key.length !== 33 || key[0] !== ALG_ED25519) return null;
  const v = verifierOf(name, key.slice(1));
  return hex8(v.keyHash) === hash ? v : null;
}

/** A signer key string (Go's `PRIVATE+KEY+...`), or null. */
export function parseSignerKey(text: string): SignerKey | null {
  if (typeof text !== "string") return null;
  const parts = chop(text.trim(), 5);
  if (parts === null || parts[0] !== "PRIVATE" || parts[1] !== "KEY") return null;
  const [, , name, hash, b64] = parts;
  if (!isKeyName(name) || !/^[0-9a-f]{8}$/.test(hash)) return null;
  const key = fromB64(b64);
  if (key === null || key.length !== 33 || key[0] !== ALG_ED25519) return null;
  const seed = key.slice(1);
  const verifier = verifierOf(name, ed25519.getPublicKey(seed));
  return hex8(verifier.keyHash) === hash ? { name, keyHash: verifier.keyHash, seed, verifier } : null;
}

/** A new key pair; `random` is 32 bytes from a cryptographic source (crypto.getRandomValues). */
export function generateKey(name: string, random: Uint8Array): { signer: string; verifier: string } {
  if (!isKeyName(name)) throw new Error(`a key name is non-empty, without spaces or "+": ${JSON.stringify(name)}`);
  if (random.length !== 32) throw new Error("a key needs 32 random bytes");
  const v = verifierOf(name, ed25519.getPublicKey(random));
  return { signer: `PRIVATE+KEY+${name}+${hex8(v.keyHash)}+${toB64(Uint8Array.of(ALG_ED25519, ...random))}`, verifier: v.text };
}

// ---- Notes ------------------------------------------------------------------------

export type Signature = { name: string; keyHash: number; signature: Uint8Array };
export type Note = { text: string; signatures: Signature[] };

/** Note text as Go accepts it: UTF-8 lines ending in "\n", no blank line inside, no control characters but "\n". */
function checkText(text: string): boolean {
  if (!text.endsWith("\n") || text.includes("\n\n") || text.length >= 1_000_000) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x0a) || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

/** Signs `text` with every key (several during a rotation): the signed note's full text. */
export function signNote(text: string, keys: SignerKey[]): string {
  if (!checkText(text)) throw new Error("a note's text is lines ending in a newline, with no blank line");
  const lines = keys.map((k) => {
    const sig = ed25519.sign(enc.encode(text), k.seed);
    const h = k.keyHash;
    return `${DASH} ${k.name} ${toB64(Uint8Array.of(h >>> 24, (h >>> 16) & 255, (h >>> 8) & 255, h & 255, ...sig))}\n`;
  });
  return `${text}\n${lines.join("")}`;
}

/** A signed note split into its text and signature lines, or null if it is not one. */
export function parseNote(note: string): Note | null {
  if (typeof note !== "string" || note.length > 1_000_000) return null;
  const split = note.lastIndexOf("\n\n");
  if (split < 0) return null;
  const text = note.slice(0, split + 1);
  if (!checkText(text)) return null;
  const sigLines = note.slice(split + 2);
  if (!sigLines.endsWith("\n")) return null;
  const signatures: Signature[] = [];
  for (const line of sigLines.slice(0, -1).split("\n")) {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (m === null || !isKeyName(m[1])) return null;
    const raw = fromB64(m[2]);
    if (raw === null || raw.length < 5) return null;
    signatures.push({ name: m[1], keyHash: ((raw[0] << 24) | (raw[1] << 16) | (raw[2] << 8) | raw[3]) >>> 0, signature: raw.slice(4) });
  }
  if (signatures.length === 0 || signatures.length > 100) return null;
  return { text, signatures };
}

/** Which of `keys` signed the note (a valid Ed25519 signature under that key's name and hash). */
export function signedBy(note: Note, keys: VerifierKey[]): VerifierKey[] {
  const data = enc.encode(note.text);
  return keys.filter((k) =>
    note.signatures.some((s) => {
      if (s.name !== k.name || s.keyHash !== k.keyHash || s.signature.length !== 64) return false;
      try {
        return ed25519.verify(s.signature, data, k.publicKey);
      } catch {
        return false;
      }
    }),
  );
}

// ---- Checkpoints ------------------------------------------------------------------

export type Checkpoint = { origin: string; size: number; root: Hash; time?: number; extensions: string[] };

export function checkpointText(c: { origin: string; size: number; root: Hash; time: number }): string {
  return `${c.origin}\n${c.size}\n${toB64(c.root)}\ntime ${c.time}\n`;
}

/** The checkpoint a note's text holds, or null (bad origin, size with a sign or leading zero, root not 32 bytes). */
export function parseCheckpoint(text: string): Checkpoint | null {
  if (!text.endsWith("\n")) return null;
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) return null;
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (origin.length === 0 || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) return null;
  const size = Number(sizeText);
  const root = hashFromB64(rootText);
  if (!Number.isSafeInteger(size) || root === null) return null;
  let time: number | undefined;
  for (const e of extensions) {
    const m = /^time (0|[1-9][0-9]{0,15})$/.exec(e);
    if (m !== null) time = Number(m[1]);
  }
  return { origin, size, root, time, extensions };
}

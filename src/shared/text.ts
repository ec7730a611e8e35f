/**
 * String helpers both sides of the component boundary use: byte lengths as
 * Convex counts them, Convex's string order, a short non-cryptographic hash,
 * and base64 of UTF-8 text. Pure, with no Node API, so they run in Convex's
 * runtime.
 */
import { compareValues } from "convex/values";

/** Bytes of `s` in UTF-8, without encoding it. A lone surrogate counts 3 (TextEncoder writes U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const encoder = new TextEncoder();

/**
 * Convex's order of two strings, from Convex's own comparison (the one its
 * client and convex-test use): by UTF-8 bytes, where JavaScript's `<`
 * compares UTF-16 units. Ids are refused with lone surrogates (checks.ts), so
 * the order is the bytes' order for every id stored.
 */
export function utf8Compare(a: string, b: string): number {
  return compareValues(a, b);
}

/** FNV-1a over UTF-16 code units: fast and stable, for partitioning and short tags, never for security. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Base64 of the UTF-8 bytes of `text` (`btoa` alone takes only Latin-1). */
export function toBase64(text: string): string {
  let bin = "";
  for (const byte of encoder.encode(text)) bin += String.fromCharCode(byte);
  return btoa(bin);
}

/** The text whose UTF-8 bytes `b64` encodes; throws on bad base64 or bad UTF-8. */
export function fromBase64(b64: string): string {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

/** SHA-256 of a text's UTF-8 (or of bytes), in hex: what reports and exports record of their files. */
export async function sha256Hex(text: string | ArrayBuffer): Promise<string> {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : new Uint8Array(text);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { fromBase64, toBase64, utf8Compare, utf8Length } from "./text.js";

const anyString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 50 }),
  // Every UTF-16 code unit, lone surrogates included.
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 50 }),
);

describe("text", () => {
  test("utf8Length is TextEncoder's length, lone surrogates included (property)", () => {
    const enc = new TextEncoder();
    fc.assert(
      fc.property(anyString, (s) => {
        expect(utf8Length(s)).toBe(enc.encode(s).length);
      }),
      { numRuns: 1000 },
    );
    for (const s of ["a", "é", "€", "😀", "\ud83d", "\ud83dx", "x\ude00", "\ud83d\ud83d\ude00", "mixed é😀\ud800", "\ud800", "🦄"]) {
      expect(utf8Length(s)).toBe(enc.encode(s).length);
    }
  });

  test("utf8Compare orders well-formed strings by their UTF-8 bytes, as Convex does (property)", () => {
    const bytes = (s: string) => [...new TextEncoder().encode(s)];
    const byteOrder = (a: string, b: string) => {
      const x = bytes(a);
      const y = bytes(b);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return Math.sign(x[i] - y[i]);
      return Math.sign(x.length - y.length);
    };
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), fc.string({ unit: "binary", maxLength: 20 }), (a, b) => {
        expect(Math.sign(utf8Compare(a, b))).toBe(byteOrder(a, b));
      }),
      { numRuns: 500 },
    );
    // Where UTF-16 order and byte order disagree: U+FFFF sorts after U+10000 in UTF-16 units, before it in bytes.
    expect(utf8Compare("\uffff", "😀")).toBeLessThan(0);
    expect("\uffff" < "😀").toBe(false);
  });

  test("base64 of UTF-8 round-trips any well-formed text, and refuses what is not base64 of UTF-8", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 50 }), (s) => {
        expect(fromBase64(toBase64(s))).toBe(s);
      }),
    );
    expect(() => fromBase64("not base64!")).toThrow();
    expect(() => fromBase64(btoa("\xff\xfe"))).toThrow();
  });
});

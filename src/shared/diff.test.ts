/**
 * Property tests of the structured diff against a simple model: applying the
 * changes to `before` gives `after` (ignoring root system fields), and every
 * change points at what it claims to.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { diffValues, renderChanges, stripSystemFields } from "./diff.js";
import { valuesEqual } from "./values.js";
import type { Change } from "./validators.js";

const RUNS = { numRuns: 300 };
const SYSTEM = new Set(["_id", "_creationTime"]);
const hasOwn = (o: object, k: PropertyKey) => Object.prototype.hasOwnProperty.call(o, k);

// ---------------------------------------------------------------------------
// A small, independent toolkit: deterministic text, clone, get/set by path.

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof ArrayBuffer);
}

/** Deterministic text of a storable value; undefined object fields are absent, -0 reads as 0. */
function stable(v: unknown): string {
  if (v === undefined) return "<undefined>";
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "number") return Object.is(v, -0) ? "0" : JSON.stringify(v);
  if (v instanceof ArrayBuffer) return `<bytes ${[...new Uint8Array(v)].join(",")}>`;
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (isObj(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** No lone surrogates (String.prototype.isWellFormed is ES2024). */
function wellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

function setOwn(o: Record<string, unknown>, k: string, value: unknown) {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (v instanceof ArrayBuffer) return v.slice(0) as T;
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) setOwn(out, k, clone(v[k]));
    return out as T;
  }
  return v;
}

function rootStrip(v: unknown): unknown {
  if (!isObj(v)) return v;
  const out = clone(v);
  for (const k of SYSTEM) delete out[k];
  return out;
}

/** The value at `path`, or `{ found: false }`. */
function getAt(root: unknown, path: readonly (string | number)[]): { found: boolean; value?: unknown } {
  let cur = root;
  for (const seg of path) {
    if (typeof seg === "number") {
      if (!Array.isArray(cur) || seg >= cur.length) return { found: false };
      cur = cur[seg];
    } else {
      if (!isObj(cur) || !hasOwn(cur, seg) || cur[seg] === undefined) return { found: false };
      cur = cur[seg];
    }
  }
  return { found: cur !== undefined, value: cur };
}

/**
 * The model: apply a diff to `before`. Adds and replaces in order (array adds
 * must append), removals afterwards from the last emitted to the first, so an
 * array loses its tail from the highest index down.
 */
function applyChanges(before: unknown, changes: readonly Change[]): unknown {
  let root: unknown = clone(before);
  const removals: Change[] = [];
  for (const c of changes) {
    if (c.op === "remove") {
      removals.push(c);
      continue;
    }
    if (c.path.length === 0) {
      if (c.op === "replace") expect(stable(root)).toBe(stable(c.before));
      root = clone(c.after);
      continue;
    }
    const parent = getAt(root, c.path.slice(0, -1));
    expect(parent.found, `parent of ${JSON.stringify(c.path)}`).toBe(true);
    const key = c.path[c.path.length - 1];
    if (typeof key === "number") {
      const arr = parent.value as unknown[];
      expect(Array.isArray(arr)).toBe(true);
      if (c.op === "add") expect(key).toBe(arr.length);
      else expect(stable(arr[key])).toBe(stable(c.before));
      arr[key] = clone(c.after);
    } else {
      const obj = parent.value as Record<string, unknown>;
      expect(isObj(obj)).toBe(true);
      if (c.op === "add") expect(obj[key] === undefined || !hasOwn(obj, key)).toBe(true);
      else expect(stable(obj[key])).toBe(stable(c.before));
      setOwn(obj, key, clone(c.after));
    }
  }
  for (const c of removals.reverse()) {
    if (c.path.length === 0) {
      root = undefined;
      continue;
    }
    const parent = getAt(root, c.path.slice(0, -1));
    expect(parent.found).toBe(true);
    const key = c.path[c.path.length - 1];
    if (typeof key === "number") {
      const arr = parent.value as unknown[];
      expect(key, "array removals come off the end").toBe(arr.length - 1);
      expect(stable(arr[key])).toBe(stable(c.before));
      arr.splice(key, 1);
    } else {
      const obj = parent.value as Record<string, unknown>;
      expect(stable(obj[key])).toBe(stable(c.before));
      delete obj[key];
    }
  }
  return root;
}

// ---------------------------------------------------------------------------
// Arbitraries: storable values with a small key space, so that two values
// overlap and nested diffs happen.

const printableNoDollar = fc
  .string({ unit: "grapheme-ascii", minLength: 1, maxLength: 6 })
  .filter((k) => !k.startsWith("$"));
const keyArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("a", "b", "c", "d") },
  {
    weight: 2,
    arbitrary: fc.constantFrom("_id", "_creationTime", "__proto__", "constructor", "x.y", "with space", "0", "Ab-c"),
  },
  { weight: 1, arbitrary: printableNoDollar },
);
const bytesArb = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 3 }).map((b) => new Uint8Array(b).buffer);
const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom("x", "y", ""),
  fc.string({ maxLength: 4 }),
  fc.bigInt({ min: -3n, max: 3n }),
  bytesArb,
);

function valueArb(withUndefinedFields: boolean) {
  const fieldValue = (tie: (k: string) => fc.Arbitrary<unknown>) =>
    withUndefinedFields ? fc.option(tie("value"), { nil: undefined, freq: 6 }) : tie("value");
  return fc.letrec<{ value: unknown; arr: unknown[]; obj: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: "small", maxDepth: 4 }, leafArb, tie("arr"), tie("obj")),
    arr: fc.array(tie("value"), { maxLength: 4 }),
    obj: fc
      .uniqueArray(fc.tuple(keyArb, fieldValue(tie)), { selector: (e) => e[0], maxLength: 5 })
      .map((entries) => Object.fromEntries(entries)),
  })).value;
}
const storable = valueArb(false);
const storableWithUndefined = valueArb(true);
const objArb = valueArb(false).filter(isObj);

/** Pairs that differ a little as well as a lot. */
function pairArb(v: fc.Arbitrary<unknown>) {
  return fc.oneof(
    fc.tuple(v, v),
    fc.tuple(v, v).map(([a, b]) => [a, isObj(a) && isObj(b) ? { ...a, ...b } : b] as const),
    fc.tuple(v, v).map(([a, b]) => [a, isObj(a) && isObj(b) ? { ...b, ...a, [Object.keys(b)[0] ?? "a"]: b } : a] as const),
    v.map((a) => [a, clone(a)] as const),
  );
}

/** JSON values (fc.jsonValue) made storable: keys that are empty or start with '$' get a prefix. */
function sanitize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sanitize);
  if (isObj(v)) {
    return Object.fromEntries(
      Object.keys(v).map((k) => [k === "" || k.startsWith("$") ? `k${k}` : k, sanitize(v[k])]),
    );
  }
  return v;
}
const jsonStorable = fc.jsonValue({ maxDepth: 4 }).map(sanitize);

// ---------------------------------------------------------------------------

describe("diffValues: model", () => {
  test("applying the changes to before gives after (modulo root system fields)", () => {
    fc.assert(
      fc.property(pairArb(storable), ([before, after]) => {
        const changes = diffValues(before, after);
        expect(stable(applyChanges(rootStrip(before), changes))).toBe(stable(rootStrip(after)));
      }),
      RUNS,
    );
  });

  test("the model holds for fc.jsonValue() inputs too", () => {
    fc.assert(
      fc.property(pairArb(jsonStorable), ([before, after]) => {
        const changes = diffValues(before, after);
        expect(stable(applyChanges(rootStrip(before), changes))).toBe(stable(rootStrip(after)));
      }),
      RUNS,
    );
  });

  test("objects with undefined fields: the model holds and every path appears once", () => {
    fc.assert(
      fc.property(pairArb(storableWithUndefined), ([before, after]) => {
        const changes = diffValues(before, after);
        const paths = changes.map((c) => JSON.stringify(c.path));
        expect(new Set(paths).size).toBe(paths.length);
        expect(stable(applyChanges(rootStrip(before), changes))).toBe(stable(rootStrip(after)));
      }),
      RUNS,
    );
  });

  test("creates and deletes: the model holds from and to nothing", () => {
    fc.assert(
      fc.property(objArb, (doc) => {
        expect(stable(applyChanges({}, diffValues(undefined, doc)))).toBe(stable(rootStrip(doc)));
        expect(stable(applyChanges(rootStrip(doc), diffValues(doc, undefined)))).toBe("{}");
      }),
      RUNS,
    );
  });
});

describe("diffValues: properties", () => {
  test("diff(x, x) and diff(x, clone(x)) are empty", () => {
    fc.assert(
      fc.property(storableWithUndefined, (x) => {
        expect(diffValues(x, x)).toEqual([]);
        expect(diffValues(x, clone(x))).toEqual([]);
      }),
      RUNS,
    );
  });

  test("every change points at its values: remove/replace in before, add/replace in after", () => {
    fc.assert(
      fc.property(pairArb(storable), ([before, after]) => {
        for (const c of diffValues(before, after)) {
          const inBefore = getAt(rootStrip(before), c.path);
          const inAfter = getAt(rootStrip(after), c.path);
          if (c.op === "add") {
            expect(inBefore.found).toBe(false);
            expect(inAfter.found).toBe(true);
            expect(stable(c.after)).toBe(stable(inAfter.value));
            expect("before" in c).toBe(false);
          } else if (c.op === "remove") {
            expect(inBefore.found).toBe(true);
            expect(inAfter.found).toBe(false);
            expect(stable(c.before)).toBe(stable(inBefore.value));
            expect("after" in c).toBe(false);
          } else {
            expect(inBefore.found && inAfter.found).toBe(true);
            expect(stable(c.before)).toBe(stable(inBefore.value));
            expect(stable(c.after)).toBe(stable(inAfter.value));
          }
        }
      }),
      RUNS,
    );
  });

  test("changes are minimal: no container-to-same-container replace, no equal replace, no nested paths, no root system fields", () => {
    fc.assert(
      fc.property(pairArb(storable), ([before, after]) => {
        const changes = diffValues(before, after);
        for (const c of changes) {
          if (c.op === "replace") {
            expect(isObj(c.before) && isObj(c.after)).toBe(false);
            expect(Array.isArray(c.before) && Array.isArray(c.after)).toBe(false);
            expect(stable(c.before)).not.toBe(stable(c.after));
          }
          if (c.path.length > 0) expect(SYSTEM.has(c.path[0] as string)).toBe(false);
        }
        const keys = changes.map((c) => JSON.stringify(c.path).slice(0, -1));
        for (const a of keys) for (const b of keys) if (a !== b) expect(b.startsWith(`${a},`)).toBe(false);
        expect(diffValues(before, after).length === 0).toBe(stable(rootStrip(before)) === stable(rootStrip(after)));
      }),
      RUNS,
    );
  });

  test("op counts on flat records: adds, removes and replaces are the key-set differences", () => {
    const flat = fc.dictionary(fc.constantFrom("a", "b", "c", "d", "e", "f"), fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom("x", "y", null, true)));
    fc.assert(
      fc.property(flat, flat, (before, after) => {
        const changes = diffValues(before, after);
        const count = (op: Change["op"]) => changes.filter((c) => c.op === op).length;
        const bk = Object.keys(before);
        const ak = Object.keys(after);
        expect(count("add")).toBe(ak.filter((k) => !bk.includes(k)).length);
        expect(count("remove")).toBe(bk.filter((k) => !ak.includes(k)).length);
        expect(count("replace")).toBe(bk.filter((k) => ak.includes(k) && before[k] !== after[k]).length);
        // Order: keys of before first (in their order), then new keys of after.
        const expectedOrder = [...bk.filter((k) => !ak.includes(k) || before[k] !== after[k]), ...ak.filter((k) => !bk.includes(k))];
        expect(changes.map((c) => c.path[0])).toEqual(expectedOrder);
        expect(changes.every((c) => c.path.length === 1)).toBe(true);
      }),
      RUNS,
    );
  });

  test("create: one add per top-level field; delete: one remove per top-level field; system fields ignored", () => {
    fc.assert(
      fc.property(objArb, (doc) => {
        const fields = Object.keys(doc).filter((k) => !SYSTEM.has(k) && doc[k] !== undefined);
        const created = diffValues(undefined, doc);
        expect(created.map((c) => c.op)).toEqual(fields.map(() => "add"));
        expect(created.map((c) => c.path)).toEqual(fields.map((k) => [k]));
        created.forEach((c, i) => expect(stable(c.after)).toBe(stable(doc[fields[i]])));
        const deleted = diffValues(doc, undefined);
        expect(deleted.map((c) => c.op)).toEqual(fields.map(() => "remove"));
        expect(deleted.map((c) => c.path)).toEqual(fields.map((k) => [k]));
        deleted.forEach((c, i) => expect(stable(c.before)).toBe(stable(doc[fields[i]])));
      }),
      RUNS,
    );
  });

  test("diff does not mutate its inputs", () => {
    fc.assert(
      fc.property(pairArb(storable), ([before, after]) => {
        const b0 = stable(before);
        const a0 = stable(after);
        diffValues(before, after);
        expect(stable(before)).toBe(b0);
        expect(stable(after)).toBe(a0);
      }),
      RUNS,
    );
  });
});

describe("diffValues: examples", () => {
  test("nested objects and arrays", () => {
    const before = { _id: "1", _creationTime: 1, name: "Ann", tags: ["a", "b", "c"], profile: { age: 30, city: "Oslo" }, gone: true };
    const after = { _id: "2", _creationTime: 2, name: "Ann", tags: ["a", "x"], profile: { age: 31, zip: "0150" }, extra: [1] };
    expect(diffValues(before, after)).toEqual([
      { path: ["tags", 1], op: "replace", before: "b", after: "x" },
      { path: ["tags", 2], op: "remove", before: "c" },
      { path: ["profile", "age"], op: "replace", before: 30, after: 31 },
      { path: ["profile", "city"], op: "remove", before: "Oslo" },
      { path: ["profile", "zip"], op: "add", after: "0150" },
      { path: ["gone"], op: "remove", before: true },
      { path: ["extra"], op: "add", after: [1] },
    ]);
  });

  test("system fields are ignored only at the root", () => {
    expect(diffValues({ _id: "a", x: { _id: "n1" } }, { _id: "b", x: { _id: "n2" } })).toEqual([
      { path: ["x", "_id"], op: "replace", before: "n1", after: "n2" },
    ]);
    expect(diffValues({ _id: "a", _creationTime: 1 }, { _id: "b", _creationTime: 2 })).toEqual([]);
  });

  test("a root replaced whole does not carry system fields (regression)", () => {
    expect(diffValues({ _id: "a", x: 1 }, [1])).toEqual([{ path: [], op: "replace", before: { x: 1 }, after: [1] }]);
    expect(diffValues("s", { _id: "a", _creationTime: 3, x: 1 })).toEqual([
      { path: [], op: "replace", before: "s", after: { x: 1 } },
    ]);
  });

  test("type changes are a single replace", () => {
    expect(diffValues({ a: [1] }, { a: { 0: 1 } })).toEqual([{ path: ["a"], op: "replace", before: [1], after: { 0: 1 } }]);
    expect(diffValues({ a: null }, { a: {} })).toEqual([{ path: ["a"], op: "replace", before: null, after: {} }]);
    expect(diffValues({ a: 1 }, { a: 1n })).toEqual([{ path: ["a"], op: "replace", before: 1, after: 1n }]);
    expect(diffValues(1, "1")).toEqual([{ path: [], op: "replace", before: 1, after: "1" }]);
  });

  test("create, delete and nothing at the root", () => {
    expect(diffValues(undefined, { _id: "x", a: 1, b: { c: 2 } })).toEqual([
      { path: ["a"], op: "add", after: 1 },
      { path: ["b"], op: "add", after: { c: 2 } },
    ]);
    expect(diffValues({ a: 1, _creationTime: 5 }, undefined)).toEqual([{ path: ["a"], op: "remove", before: 1 }]);
    expect(diffValues(undefined, 5)).toEqual([{ path: [], op: "add", after: 5 }]);
    expect(diffValues([1], undefined)).toEqual([{ path: [], op: "remove", before: [1] }]);
    expect(diffValues(undefined, undefined)).toEqual([]);
    expect(diffValues({}, {})).toEqual([]);
  });

  test("a field that is undefined in before and set in after is one add (regression: was reported twice)", () => {
    expect(diffValues({ x: undefined, y: 1 }, { x: 1, y: 1 })).toEqual([{ path: ["x"], op: "add", after: 1 }]);
    expect(diffValues({ x: 1 }, { x: undefined })).toEqual([{ path: ["x"], op: "remove", before: 1 }]);
    expect(diffValues({ x: undefined }, { x: undefined })).toEqual([]);
  });

  test("bytes are compared by content", () => {
    const a = new Uint8Array([1, 2]).buffer;
    expect(a instanceof ArrayBuffer).toBe(true);
    expect(diffValues({ b: a }, { b: new Uint8Array([1, 2]).buffer })).toEqual([]);
    const changed = diffValues({ b: a }, { b: new Uint8Array([1, 3]).buffer });
    expect(changed).toHaveLength(1);
    expect(changed[0].op).toBe("replace");
  });

  test("a __proto__ key is an ordinary field", () => {
    const before = JSON.parse('{"__proto__": {"a": 1}}') as unknown;
    const after = JSON.parse('{"__proto__": {"a": 2}}') as unknown;
    expect(diffValues(before, after)).toEqual([{ path: ["__proto__", "a"], op: "replace", before: 1, after: 2 }]);
  });
});

describe("stripSystemFields", () => {
  test("removes _id and _creationTime at the root only, without mutating", () => {
    const doc = { _id: "x", _creationTime: 1, a: { _id: "keep" } };
    expect(stripSystemFields(doc)).toEqual({ a: { _id: "keep" } });
    expect(doc).toEqual({ _id: "x", _creationTime: 1, a: { _id: "keep" } });
    const plain = { a: 1 };
    expect(stripSystemFields(plain)).toBe(plain);
    expect(stripSystemFields([{ _id: 1 }])).toEqual([{ _id: 1 }]);
    expect(stripSystemFields("s")).toBe("s");
  });
});

describe("valuesEqual", () => {
  test("agrees with the deterministic text, and with itself on clones", () => {
    fc.assert(
      fc.property(pairArb(storableWithUndefined), ([a, b]) => {
        expect(valuesEqual(a, clone(a))).toBe(true);
        expect(valuesEqual(a, b)).toBe(stable(a) === stable(b));
        expect(valuesEqual(a, b)).toBe(valuesEqual(b, a));
      }),
      RUNS,
    );
  });
});

describe("renderChanges", () => {
  test("one line per change in the documented format", () => {
    const changes: Change[] = [
      { path: ["name"], op: "replace", before: "Ann", after: "Bo" },
      { path: ["tags", 2], op: "add", after: "x" },
      { path: ["profile", "city"], op: "remove", before: "Oslo" },
      { path: ["weird key", "a-b", "$x"], op: "add", after: { n: 1 } },
      { path: [], op: "replace", before: 1, after: 2 },
      { path: ["n"], op: "replace", before: 1n, after: new Uint8Array([1, 2, 3]).buffer },
      { path: ["password"], op: "replace", before: "[REDACTED]", after: "[REDACTED]", redacted: true },
      { path: ["secret"], op: "replace", redacted: true },
      { path: ["token"], op: "add", redacted: true },
      { path: ["pin"], op: "remove", redacted: true },
      { path: ["nested"], op: "add", after: { b: 2n, c: new Uint8Array([9]).buffer } },
    ];
    expect(renderChanges(changes).split("\n")).toEqual([
      '~ name: "Ann" → "Bo"',
      '+ tags[2]: "x"',
      '- profile.city: "Oslo"',
      '+ ["weird key"].a-b.$x: {"n":1}',
      "~ (root): 1 → 2",
      "~ n: 1n → <3 bytes>",
      "~ password: [REDACTED] → [REDACTED]",
      "~ secret: [REDACTED] → [REDACTED]",
      "+ token: [REDACTED]",
      "- pin: [REDACTED]",
      '+ nested: {"b":"2n","c":"<1 bytes>"}',
    ]);
    expect(renderChanges([])).toBe("");
  });

  test("long values are cut to 200 characters", () => {
    const line = renderChanges([{ path: ["a"], op: "add", after: "x".repeat(500) }]);
    expect(line).toBe(`+ a: "${"x".repeat(196)}...`);
    expect(line.length).toBe("+ a: ".length + 200);
    const exact = "y".repeat(198); // JSON text of 200 characters: not cut
    expect(renderChanges([{ path: ["a"], op: "add", after: exact }])).toBe(`+ a: "${exact}"`);
  });

  test("cutting never splits a surrogate pair (regression)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 150, maxLength: 260 }), fc.nat(3), (s, pad) => {
        const line = renderChanges([{ path: ["a"], op: "add", after: "a".repeat(pad) + s }]);
        expect(wellFormed(line)).toBe(true);
      }),
      { numRuns: 200 },
    );
    const emoji = renderChanges([{ path: ["a"], op: "add", after: "a" + "😀".repeat(150) }]);
    expect(wellFormed(emoji)).toBe(true);
    expect(emoji).toBe(`+ a: "a${"😀".repeat(97)}...`);
  });

  test("one line per change, in order, for generated diffs", () => {
    fc.assert(
      fc.property(pairArb(storable), ([before, after]) => {
        const changes = diffValues(before, after);
        const text = renderChanges(changes);
        const lines = changes.length === 0 ? [] : text.split("\n");
        expect(lines).toHaveLength(changes.length);
        lines.forEach((l, i) => expect(l[0]).toBe({ add: "+", remove: "-", replace: "~" }[changes[i].op]));
      }),
      RUNS,
    );
  });
});

import { describe, expect, test } from "vitest";
import { formatTimestamp, getSeverityColor } from "./index.js";

describe("react helpers", () => {
  test("formatTimestamp", () => {
    expect(formatTimestamp(Date.UTC(2026, 10, 23, 18, 40, 35), { utc: true })).toBe("2026-11-23 18:40:35");
    expect(formatTimestamp(Number.NaN)).toBe("invalid date");
  });
  test("getSeverityColor gives each level its own colour and a grey fallback", () => {
    const colors = (["info", "warning", "error", "critical"] as const).map(getSeverityColor);
    expect(new Set(colors).size).toBe(4);
    expect(getSeverityColor("nonsense")).toBe("#6b7280");
  });
});

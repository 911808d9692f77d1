import { describe, expect, it } from "vitest";
import {
  bytesToMiB,
  formatAbsolute,
  formatCountdown,
  formatDuration,
  formatRelative,
  formatWait,
  kibToMiB,
  parseTime,
  plural,
} from "./format";

const NOW = new Date("2025-11-23T12:00:00Z");

describe("formatRelative", () => {
  it("says just now for the last seconds", () => {
    expect(formatRelative("2025-11-23T11:59:30Z", NOW)).toBe("just now");
  });
  it("counts minutes, hours and days", () => {
    expect(formatRelative("2025-11-23T11:55:00Z", NOW)).toBe("5 min ago");
    expect(formatRelative("2025-11-23T09:00:00Z", NOW)).toBe("3 h ago");
    expect(formatRelative("2025-11-22T11:00:00Z", NOW)).toBe("yesterday");
    expect(formatRelative("2025-11-20T12:00:00Z", NOW)).toBe("3 days ago");
  });
  it("falls back to a date after a week and echoes garbage", () => {
    expect(formatRelative("2025-10-01T12:00:00Z", NOW)).toMatch(/2025/);
    expect(formatRelative("not a date", NOW)).toBe("not a date");
  });
});

describe("formatAbsolute", () => {
  it("shows the local date with seconds", () => {
    const iso = "2025-11-23T16:22:05Z";
    const out = formatAbsolute(iso);
    expect(out).toMatch(/2025/);
    expect(out).toContain(String(new Date(iso).getSeconds()).padStart(2, "0"));
  });
  it("echoes what it cannot parse", () => {
    expect(formatAbsolute("??")).toBe("??");
    expect(parseTime("??")).toBeNull();
  });
});

describe("countdowns", () => {
  it("formats m:ss", () => {
    expect(formatCountdown(65)).toBe("1:05");
    expect(formatCountdown(5)).toBe("0:05");
    expect(formatCountdown(0)).toBe("0:00");
    expect(formatCountdown(-3)).toBe("0:00");
    expect(formatCountdown(4.2)).toBe("0:05");
  });
  it("uses seconds under a minute for sentences", () => {
    expect(formatWait(12)).toBe("12 s");
    expect(formatWait(60)).toBe("1:00");
    expect(formatWait(125)).toBe("2:05");
  });
});

describe("formatDuration", () => {
  it("reads like a setting hint", () => {
    expect(formatDuration(30)).toBe("30 s");
    expect(formatDuration(300)).toBe("5 min");
    expect(formatDuration(90)).toBe("1 min 30 s");
    expect(formatDuration(3600)).toBe("1 h");
    expect(formatDuration(86400)).toBe("1 day");
    expect(formatDuration(2 * 86400 + 3600)).toBe("2 days 1 h");
  });
});

describe("sizes", () => {
  it("converts bytes and KiB to MiB", () => {
    expect(bytesToMiB(134217728)).toBe("128 MiB");
    expect(bytesToMiB(1.5 * 1024 * 1024)).toBe("1.5 MiB");
    expect(kibToMiB(131072)).toBe("128 MiB");
    expect(kibToMiB(19456)).toBe("19 MiB");
  });
  it("pluralises", () => {
    expect(plural(1, "secret")).toBe("1 secret");
    expect(plural(0, "secret")).toBe("0 secrets");
    expect(plural(2, "day", "days")).toBe("2 days");
  });
});

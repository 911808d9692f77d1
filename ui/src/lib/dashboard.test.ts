import { describe, expect, it } from "vitest";
import type { Usage } from "./bindings";
import { Scheduler, creditsLabel, expiresSoon, expiryLabel, healthLabel, schedulerLabel, usageTitle } from "./dashboard.svelte";

const none: Usage = {
  requests_used: null,
  requests_limit: null,
  credits_used: null,
  credits_limit: null,
  credits_remaining: null,
  credits_unit: null,
  quota_percent: null,
  cost: null,
  currency: null,
  period: null,
};

const now = new Date("2026-12-04T12:00:00Z");

describe("dashboard words", () => {
  it("counts down to an expiry", () => {
    expect(expiryLabel("2026-12-09T12:00:00Z", now)).toBe("in 5 days");
    expect(expiryLabel("2026-12-05T13:00:00Z", now)).toBe("in 1 day");
    expect(expiryLabel("2026-12-04T18:00:00Z", now)).toBe("today");
    expect(expiryLabel("2026-12-01T12:00:00Z", now)).toBe("expired 3 days ago");
    expect(expiryLabel(null, now)).toBe("—");
    expect(expiresSoon("2026-12-10T00:00:00Z", now)).toBe(true);
    expect(expiresSoon("2027-02-01T00:00:00Z", now)).toBe(false);
  });

  it("says what credits, balance and spend the API reported", () => {
    expect(creditsLabel(none)).toBeNull();
    const sendgrid = { ...none, credits_used: 50, credits_limit: 200, credits_remaining: 150, credits_unit: "emails", quota_percent: 25, period: "monthly" };
    expect(creditsLabel(sendgrid)).toBe("150 of 200 emails left (monthly)");
    expect(usageTitle(sendgrid)).toBe("25% of the credit limit used (50 emails of 200 emails)");
    expect(creditsLabel({ ...none, credits_remaining: 12.5, credits_unit: "EUR" })).toBe("12.50 EUR balance");
    const openrouter = { ...none, credits_used: 8.5, credits_limit: 10, credits_remaining: 1.5, credits_unit: "USD", cost: 2.25, currency: "USD", period: "month" };
    expect(creditsLabel(openrouter)).toBe("1.50 of 10 USD left · 2.25 USD spent this month");
    expect(usageTitle({ ...none, requests_used: 90, requests_limit: 100, quota_percent: 90 })).toBe("90% of the rate limit used");
  });

  it("names health and the scheduler's state", () => {
    expect(healthLabel("degraded")).toBe("Limited");
    expect(healthLabel("whatever")).toBe("Unknown");
    expect(schedulerLabel({ state: "refreshing", done: 3, total: 12 })).toBe("Refreshing 3/12");
    expect(schedulerLabel({ state: "quiet", until_hour: 7 })).toBe("Quiet hours until 07:00");
    expect(schedulerLabel({ state: "off", reason: "Online Mode is off" })).toBeNull();
    expect(schedulerLabel({ state: "idle", next_at: null })).toContain("nothing");
  });

  it("reloads the dashboard when a background pass collected something", () => {
    const s = new Scheduler();
    s.apply({ state: "idle", next_at: null });
    expect(s.generation).toBe(0);
    s.apply({ state: "refreshing", done: 0, total: 2 });
    expect(s.generation).toBe(0);
    s.apply({ state: "refreshing", done: 1, total: 2 });
    expect(s.generation).toBe(1);
    s.apply({ state: "idle", next_at: "2026-12-04T13:00:00Z" });
    expect(s.generation).toBe(2);
  });
});

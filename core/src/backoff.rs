//! Unlock back-off: the first five failures are free; from the sixth
//! attempt on, each attempt must wait a delay that doubles per failure.
//!
//! The counter lives in `index.db` so restarting the app does not reset it.

use chrono::{DateTime, Utc};
use std::time::Duration;

use crate::error::{Error, ErrorCode, Result};

/// Consecutive failures allowed before a delay applies.
pub const FREE_ATTEMPTS: u32 = 5;
/// The delay never exceeds this.
pub const MAX_DELAY: Duration = Duration::from_secs(300);

/// The delay required after `failed` consecutive failures, before the next
/// attempt: 0 for up to 4, then 1 s, 2 s, 4 s … capped at five minutes.
pub fn delay_after(failed: u32) -> Duration {
    if failed < FREE_ATTEMPTS {
        return Duration::ZERO;
    }
    let exp = (failed - FREE_ATTEMPTS).min(16);
    Duration::from_secs(1u64 << exp).min(MAX_DELAY)
}

/// How long the caller must still wait, given the failure count, the time of
/// the last failure and now.
pub fn remaining(failed: u32, last_failed_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    let delay = delay_after(failed);
    let Some(last) = last_failed_at else {
        return Duration::ZERO;
    };
    let elapsed = (now - last).to_std().unwrap_or(Duration::ZERO);
    delay.saturating_sub(elapsed)
}

/// Refuse an attempt that comes too early: `code` (e.g. `vault.throttled`)
/// with "too many {what}; try again in N s" and the delay to wait.
pub fn check(
    failed: u32,
    last_failed_at: Option<&str>,
    now: DateTime<Utc>,
    code: ErrorCode,
    what: &str,
) -> Result<()> {
    let last = last_failed_at.and_then(crate::time::parse);
    let wait = remaining(failed, last, now);
    if wait.is_zero() {
        return Ok(());
    }
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Err(Error::new(code, format!("too many {what}; try again in {secs} s")).with_retry_after(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_free_attempts_then_doubling_capped() {
        for n in 0..5 {
            assert_eq!(delay_after(n), Duration::ZERO, "failure {n}");
        }
        assert_eq!(delay_after(5), Duration::from_secs(1));
        assert_eq!(delay_after(6), Duration::from_secs(2));
        assert_eq!(delay_after(8), Duration::from_secs(8));
        assert_eq!(delay_after(40), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn remaining_counts_down_from_last_failure() {
        let t0 = Utc::now();
        assert_eq!(remaining(6, Some(t0), t0), Duration::from_secs(2));
        assert_eq!(remaining(6, Some(t0), t0 + chrono::Duration::seconds(1)), Duration::from_secs(1));
        assert_eq!(remaining(6, Some(t0), t0 + chrono::Duration::seconds(5)), Duration::ZERO);
        assert_eq!(remaining(3, Some(t0), t0), Duration::ZERO);
        // A clock that went backwards does not make the wait longer than the delay.
        assert_eq!(remaining(5, Some(t0), t0 - chrono::Duration::seconds(30)), Duration::from_secs(1));
    }
}

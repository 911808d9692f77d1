//! Politeness per provider: requests in flight, a minimum interval between
//! starts, backoff with jitter, `Retry-After` and reset headers, and a
//! circuit breaker that pauses a provider after repeated failures.

use rand::Rng;
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use super::NetConfig;
use crate::error::{Error, ErrorCode, Result};

/// The state of every provider contacted in this session.
pub(crate) struct Registry {
    by_provider: Mutex<HashMap<String, Arc<ProviderState>>>,
    max_in_flight: usize,
}

impl Registry {
    pub(crate) fn new(config: &NetConfig) -> Registry {
        Registry { by_provider: Mutex::new(HashMap::new()), max_in_flight: config.max_in_flight.max(1) }
    }

    pub(crate) fn get(&self, provider_id: &str) -> Arc<ProviderState> {
        let mut map = self.by_provider.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(provider_id.to_owned())
            .or_insert_with(|| {
                Arc::new(ProviderState {
                    in_flight: Arc::new(Semaphore::new(self.max_in_flight)),
                    next_start: tokio::sync::Mutex::new(None),
                    failures: AtomicU32::new(0),
                    paused_until: Mutex::new(None),
                })
            })
            .clone()
    }
}

/// One provider's politeness state.
pub(crate) struct ProviderState {
    in_flight: Arc<Semaphore>,
    /// When the next request may start (the minimum interval).
    next_start: tokio::sync::Mutex<Option<Instant>>,
    failures: AtomicU32,
    paused_until: Mutex<Option<Instant>>,
}

impl ProviderState {
    /// Wait for a slot (in flight and interval); refused while the breaker
    /// is open. The permit is held for the request.
    pub(crate) async fn admit(
        &self,
        config: &NetConfig,
        cancel: &CancellationToken,
    ) -> Result<OwnedSemaphorePermit> {
        if let Some(left) = self.paused_for() {
            return Err(Error::new(
                ErrorCode::NetProviderPaused,
                format!(
                    "requests to this provider are paused for {} s after repeated failures",
                    left.as_secs().max(1)
                ),
            )
            .with_retry_after(left.as_secs().max(1)));
        }
        let permit = tokio::select! {
            _ = cancel.cancelled() => return Err(super::cancelled()),
            p = self.in_flight.clone().acquire_owned() => p.map_err(|_| Error::internal("the request limiter closed"))?,
        };
        let wait = {
            let mut next = self.next_start.lock().await;
            let now = Instant::now();
            let start = next.map_or(now, |n| n.max(now));
            *next = Some(start + config.min_interval);
            start - now
        };
        if !wait.is_zero() {
            tokio::select! {
                _ = cancel.cancelled() => return Err(super::cancelled()),
                _ = tokio::time::sleep(wait) => {}
            }
        }
        // Checked again: the breaker may have opened while this waited.
        self.refuse_if_paused()?;
        Ok(permit)
    }

    fn refuse_if_paused(&self) -> Result<()> {
        match self.paused_for() {
            None => Ok(()),
            Some(left) => Err(Error::new(
                ErrorCode::NetProviderPaused,
                format!(
                    "requests to this provider are paused for {} s after repeated failures",
                    left.as_secs().max(1)
                ),
            )
            .with_retry_after(left.as_secs().max(1))),
        }
    }

    /// How long the breaker still pauses this provider.
    pub(crate) fn paused_for(&self) -> Option<Duration> {
        let until = (*self.paused_until.lock().unwrap_or_else(|p| p.into_inner()))?;
        until.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
    }

    pub(crate) fn succeeded(&self) {
        self.failures.store(0, Ordering::Relaxed);
    }

    pub(crate) fn failed(&self, config: &NetConfig) {
        let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= config.breaker_threshold {
            self.failures.store(0, Ordering::Relaxed);
            *self.paused_until.lock().unwrap_or_else(|p| p.into_inner()) =
                Some(Instant::now() + config.breaker_pause);
            tracing::warn!("a provider is paused after {n} failures in a row");
        }
    }
}

/// The delay before retry `attempt + 1`: `base × 2^attempt`, with ±25 %
/// jitter so that many keys do not retry in step.
pub(crate) fn backoff(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(10));
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    exp.mul_f64(jitter)
}

/// How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date),
/// else a reset header (`x-ratelimit-reset` as epoch seconds or seconds
/// from now, `ratelimit-reset`, OpenAI's `x-ratelimit-reset-requests: 6m0s`).
pub(crate) fn retry_after(headers: &HeaderMap, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = text("retry-after") {
        if let Ok(secs) = v.parse::<f64>() {
            return Some(Duration::from_secs_f64(secs.clamp(0.0, 86_400.0)));
        }
        if let Ok(t) = chrono::DateTime::parse_from_rfc2822(v) {
            return Some((t.with_timezone(&chrono::Utc) - now).to_std().unwrap_or(Duration::ZERO));
        }
    }
    for name in ["x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset"] {
        if let Some(n) = text(name).and_then(|v| v.parse::<f64>().ok()) {
            // Epoch seconds (GitHub) or a delay (most others).
            let secs = if n > 1.0e9 { n - now.timestamp() as f64 } else { n };
            return Some(Duration::from_secs_f64(secs.clamp(0.0, 86_400.0)));
        }
    }
    text("x-ratelimit-reset-requests").and_then(go_duration)
}

/// `6m0s`, `1.5s`, `20ms` (Go's duration format) as a duration.
fn go_duration(s: &str) -> Option<Duration> {
    let mut total = 0.0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let n: f64 = num.parse().ok()?;
        num.clear();
        let unit = match c {
            'h' => 3600.0,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'm' => 60.0,
            's' => 1.0,
            _ => return None,
        };
        total += n * unit;
        any = true;
    }
    (any && num.is_empty()).then(|| Duration::from_secs_f64(total.min(86_400.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("value"));
        }
        h
    }

    #[test]
    fn retry_after_in_every_form() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z").expect("t").to_utc();
        let s = |d: Option<Duration>| d.map(|d| d.as_secs());
        assert_eq!(s(retry_after(&headers(&[("retry-after", "7")]), now)), Some(7));
        assert_eq!(
            s(retry_after(&headers(&[("retry-after", "Fri, 04 Dec 2026 10:00:30 GMT")]), now)),
            Some(30)
        );
        assert_eq!(
            s(retry_after(&headers(&[("x-ratelimit-reset", &(now.timestamp() + 42).to_string())]), now)),
            Some(42)
        );
        assert_eq!(s(retry_after(&headers(&[("ratelimit-reset", "12")]), now)), Some(12));
        assert_eq!(s(retry_after(&headers(&[("x-ratelimit-reset-requests", "6m0s")]), now)), Some(360));
        assert_eq!(
            retry_after(&headers(&[("x-ratelimit-reset-requests", "20ms")]), now),
            Some(Duration::from_millis(20))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let base = Duration::from_millis(100);
        for attempt in 0..4 {
            let d = backoff(base, attempt).as_secs_f64();
            let mid = 0.1 * f64::from(1u32 << attempt);
            assert!(d >= mid * 0.75 && d <= mid * 1.25, "attempt {attempt}: {d}");
        }
    }

    #[test]
    fn breaker_opens_after_the_threshold_and_closes_after_the_pause() {
        let config = NetConfig {
            breaker_threshold: 3,
            breaker_pause: Duration::from_millis(50),
            ..NetConfig::default()
        };
        let reg = Registry::new(&config);
        let p = reg.get("x");
        p.failed(&config);
        p.succeeded();
        p.failed(&config);
        p.failed(&config);
        assert!(p.paused_for().is_none(), "a success in between resets the count");
        p.failed(&config);
        assert!(p.paused_for().is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(p.paused_for().is_none());
    }
}

//! Timestamps as the data model stores them: UTC ISO 8601 text with a `Z`.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, formatted for storage (`2026-02-06T14:25:00.123Z`).
pub fn now() -> String {
    format(Utc::now())
}

/// Format a time for storage.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parse a stored timestamp; `None` if it is not one.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips_and_ends_with_z() {
        let s = super::now();
        assert!(s.ends_with('Z'), "{s}");
        let t = super::parse(&s).expect("parses");
        assert_eq!(super::format(t), s);
        assert!(super::parse("yesterday").is_none());
    }
}

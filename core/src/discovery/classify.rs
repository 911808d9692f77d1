//! Which category an entry falls in, by rules over its title, body, address
//! and the kind of source it came from; and the date a deprecation names.
//!
//! The rules, strongest first: advisories and CVE / GHSA ids or the word
//! vulnerability are a `security_advisory`; deprecate / sunset / retire /
//! end of life / shut down a `deprecation`; price / pricing / billing a
//! `pricing_update`; incidents, outages and degradations (and anything a
//! status source says) a `service_modification`; an "alternative" a
//! `new_alternative`; a new model, feature or launch a `capability_change`,
//! which is also what an entry matching nothing is.

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use std::sync::LazyLock;

use super::Category;
use super::parse::Entry;
use super::sources::SourceKind;

static SECURITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)\bCVE-\d{4}-\d+|\bGHSA-[0-9a-z]{4}-|vulnerab|security (?:advisory|fix|bulletin|update|issue)",
    )
    .expect("a valid pattern")
});
static DEPRECATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u)deprecat|\bsunset|\bretir(?:e|es|ed|ing|ement)|end[- ]of[- ]life|\bEOL\b|shut(?:ting)? ?down|discontinu|no longer (?:be )?(?:available|supported)|\bbreaking change|\[Retirements?\]",
    )
    .expect("a valid pattern")
});
static PRICING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\bpric(?:e|es|ed|ing)\b|\bbilling\b|\bbilled\b|per (?:million|1M|1K|thousand) tokens|\bfree tier\b|\brate card\b")
        .expect("a valid pattern")
});
static INCIDENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\bincident|\boutage|\bdegraded|\bdisruption|\bdowntime|elevated (?:error|latenc)|\bmaintenance\b|\binvestigating\b|\bunavailable\b")
        .expect("a valid pattern")
});
static ALTERNATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\balternatives?\b|\bdrop-in replacement\b|\bmigrate (?:away )?from\b")
        .expect("a valid pattern")
});

/// The category of `entry` from a source of `kind` at `source_url`.
pub fn category(kind: SourceKind, entry: &Entry, source_url: &str) -> Category {
    let text = format!("{}\n{}", entry.title, entry.body);
    if kind == SourceKind::Advisories || !entry.ids.is_empty() || SECURITY.is_match(&text) {
        return Category::SecurityAdvisory;
    }
    if matches!(kind, SourceKind::Statuspage | SourceKind::StatusJson) {
        return Category::ServiceModification;
    }
    if DEPRECATION.is_match(&text) {
        return Category::Deprecation;
    }
    let address = format!("{} {}", entry.url, source_url).to_ascii_lowercase();
    if PRICING.is_match(&text) || (kind == SourceKind::Page && address.contains("pricing")) {
        return Category::PricingUpdate;
    }
    if INCIDENT.is_match(&entry.title) {
        return Category::ServiceModification;
    }
    if ALTERNATIVE.is_match(&text) {
        return Category::NewAlternative;
    }
    if kind == SourceKind::Page && address.contains("deprecation") {
        return Category::Deprecation;
    }
    Category::CapabilityChange
}

static ISO_DATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)\b(20\d{2})-(\d{2})-(\d{2})\b").expect("a valid pattern"));
static MONTH_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (\d{1,2})(?:st|nd|rd|th)?,? (20\d{2})\b")
        .expect("a valid pattern")
});
static DAY_FIRST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i-u)\b(\d{1,2}) (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? (20\d{2})\b")
        .expect("a valid pattern")
});

fn month(name: &str) -> Option<u32> {
    let m = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    m.iter().position(|x| name.to_ascii_lowercase().starts_with(x)).map(|i| i as u32 + 1)
}

/// Every date written in `text` (`2027-01-15`, `January 15, 2027`,
/// `15 Jan 2027`).
pub fn dates(text: &str) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    // Every form carries a year 20xx: most entries have none.
    if !text.contains("20") {
        return out;
    }
    for c in ISO_DATE.captures_iter(text) {
        let (y, m, d) = (c[1].parse().ok(), c[2].parse().ok(), c[3].parse().ok());
        if let (Some(y), Some(m), Some(d)) = (y, m, d) {
            out.extend(NaiveDate::from_ymd_opt(y, m, d));
        }
    }
    for c in MONTH_FIRST.captures_iter(text) {
        if let (Some(m), Ok(d), Ok(y)) = (month(&c[1]), c[2].parse(), c[3].parse()) {
            out.extend(NaiveDate::from_ymd_opt(y, m, d));
        }
    }
    for c in DAY_FIRST.captures_iter(text) {
        if let (Ok(d), Some(m), Ok(y)) = (c[1].parse(), month(&c[2]), c[3].parse()) {
            out.extend(NaiveDate::from_ymd_opt(y, m, d));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The first date on or after `today` that `entry` names: when a
/// deprecation or shutdown takes effect.
pub fn deadline(entry: &Entry, today: NaiveDate) -> Option<NaiveDate> {
    let text = format!("{}\n{}", entry.title, entry.body);
    dates(&text).into_iter().find(|d| *d >= today && d.year() < today.year() + 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(title: &str, body: &str) -> Entry {
        Entry {
            url: "https://x.example/post".into(),
            title: title.into(),
            body: body.into(),
            ..Entry::default()
        }
    }

    #[test]
    fn the_rules_pick_the_seed_categories() {
        let cases = [
            ("Deprecating the v1 Assistants API", "", Category::Deprecation),
            ("[Retirements] Azure OpenAI gpt-35-turbo-0301", "", Category::Deprecation),
            ("Model end of life", "", Category::Deprecation),
            ("New pricing for embeddings", "", Category::PricingUpdate),
            ("Billing changes", "", Category::PricingUpdate),
            ("Fix for CVE-2026-1234 in the SDK", "", Category::SecurityAdvisory),
            ("Elevated error rates on the API", "", Category::ServiceModification),
            ("Introducing the new o5 model", "launch", Category::CapabilityChange),
            ("A drop-in replacement for the legacy search", "alternative", Category::NewAlternative),
        ];
        for (title, body, want) in cases {
            assert_eq!(category(SourceKind::Feed, &e(title, body), ""), want, "{title}");
        }
        assert_eq!(
            category(SourceKind::Statuspage, &e("API latency", ""), ""),
            Category::ServiceModification
        );
        assert_eq!(
            category(SourceKind::Advisories, &e("GHSA-xxxx-yyyy", ""), ""),
            Category::SecurityAdvisory
        );
        assert_eq!(
            category(SourceKind::Page, &e("changed", "Model X: $3"), "https://x.example/pricing"),
            Category::PricingUpdate
        );
    }

    #[test]
    fn dates_in_three_spellings_and_the_next_one_is_the_deadline() {
        let text = "Announced 2026-11-01. Shutdown on January 15, 2027; replies until 3 Feb 2027.";
        let ds = dates(text);
        assert_eq!(ds.len(), 3, "{ds:?}");
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(deadline(&e("x", text), today), NaiveDate::from_ymd_opt(2027, 1, 15));
        assert_eq!(dates("2026-02-30 is not a date"), vec![]);
    }
}

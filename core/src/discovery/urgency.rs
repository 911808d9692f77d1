//! How soon the user should look, and what the finding means and asks of
//! them, from rules and templates (a local model may word them better
//! later; these stand on their own).
//!
//! - `critical`: an advisory for an SDK their projects name; an ongoing
//!   major or critical outage of something they use;
//! - `action_needed`: a deprecation or shutdown dated within 90 days that
//!   touches something they use;
//! - `advisory`: other deprecations and advisories, pricing changes, an
//!   ongoing minor incident;
//! - `informational`: the rest (resolved incidents, launches).

use chrono::NaiveDate;

use super::parse::{Entry, Severity};
use super::relevance::Relevance;
use super::{Category, Urgency};

/// Days ahead within which a dated deprecation needs action.
pub const ACTION_WINDOW_DAYS: i64 = 90;

/// The urgency of an entry of `category`, `deadline` being the date it
/// names (if any) and `today` the local date.
pub fn assess(
    category: Category,
    entry: &Entry,
    relevance: &Relevance,
    deadline: Option<NaiveDate>,
    today: NaiveDate,
) -> Urgency {
    let uses = !relevance.used_terms.is_empty() || !relevance.used_packages.is_empty();
    match category {
        Category::SecurityAdvisory if !relevance.used_packages.is_empty() => Urgency::Critical,
        Category::SecurityAdvisory => Urgency::Advisory,
        Category::ServiceModification if entry.ongoing && !relevance.other_product => {
            if entry.severity >= Severity::Major { Urgency::Critical } else { Urgency::Advisory }
        }
        Category::ServiceModification => Urgency::Informational,
        Category::Deprecation => {
            let soon = deadline.is_some_and(|d| (d - today).num_days() <= ACTION_WINDOW_DAYS);
            if soon && uses { Urgency::ActionNeeded } else { Urgency::Advisory }
        }
        Category::PricingUpdate => Urgency::Advisory,
        Category::CapabilityChange | Category::NewAlternative => {
            if uses {
                Urgency::Advisory
            } else {
                Urgency::Informational
            }
        }
    }
}

/// The impact summary and recommended action of a finding.
pub fn texts(
    provider: &str,
    category: Category,
    urgency: Urgency,
    entry: &Entry,
    relevance: &Relevance,
    deadline: Option<NaiveDate>,
    today: NaiveDate,
) -> (String, String) {
    let what = first_non_empty(&[&relevance.used_packages.join(", "), &relevance.used_terms.join(", ")]);
    let projects = if relevance.projects.is_empty() {
        String::new()
    } else {
        format!(" ({})", relevance.projects.join(", "))
    };
    let when = deadline.map(|d| format!(" on {d} (in {} days)", (d - today).num_days()));
    match category {
        Category::SecurityAdvisory => {
            let ids =
                if entry.ids.is_empty() { String::new() } else { format!(" {}", entry.ids.join(" / ")) };
            if urgency == Urgency::Critical {
                (
                    format!("A security advisory{ids} affects {what}, which your projects use{projects}."),
                    format!(
                        "Upgrade {what} to a fixed version now, then check whether the advisory's conditions applied to you."
                    ),
                )
            } else {
                (
                    format!("{provider} has a security advisory{ids} for one of its SDKs."),
                    "Check whether any of your projects installs the affected package; upgrade it if so."
                        .into(),
                )
            }
        }
        Category::Deprecation => match (urgency, when) {
            (Urgency::ActionNeeded, Some(when)) => (
                format!("{provider} retires {what}{when}; your projects use it{projects}."),
                format!(
                    "Move off {what} before the date: switch to the replacement the notice names and update your code and docs."
                ),
            ),
            (_, Some(when)) => (
                format!("{provider} announces a deprecation taking effect{when}."),
                "Read the notice and check whether your code relies on what it retires.".into(),
            ),
            (_, None) => (
                format!("{provider} announces a deprecation."),
                "Read the notice and check whether your code relies on what it retires.".into(),
            ),
        },
        Category::PricingUpdate => (
            format!("{provider} changes its prices or billing."),
            "Compare the new prices with your usage on the dashboard; adjust limits or budgets if needed."
                .into(),
        ),
        Category::ServiceModification if entry.ongoing => (
            format!(
                "{provider} reports an ongoing {} incident{}.",
                match entry.severity {
                    Severity::Critical => "critical",
                    Severity::Major => "major",
                    Severity::Minor => "minor",
                    Severity::None => "",
                },
                if entry.components.is_empty() {
                    String::new()
                } else {
                    format!(" affecting {}", entry.components.join(", "))
                }
            )
            .replace("ongoing  incident", "ongoing incident"),
            if relevance.other_product {
                "Nothing to do for your keys; it affects another product of the same status page.".into()
            } else {
                "Expect failed or slow calls until it is resolved; retry with backoff, or fail over if you can.".into()
            },
        ),
        Category::ServiceModification => (
            format!("{provider} reported an incident, now resolved."),
            "Nothing to do; look at it if you saw errors at that time.".into(),
        ),
        Category::CapabilityChange => (
            if what.is_empty() {
                format!("{provider} announces something new.")
            } else {
                format!("{provider} announces a change to {what}, which your projects use{projects}.")
            },
            "Read it when you have a moment; nothing breaks.".into(),
        ),
        Category::NewAlternative => (
            format!("An alternative to a {provider} service is suggested."),
            "Compare it with what you use if cost or limits matter to you.".into(),
        ),
    }
}

fn first_non_empty(xs: &[&str]) -> String {
    xs.iter().find(|x| !x.is_empty()).map_or_else(|| "it".to_owned(), |x| (*x).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    #[test]
    fn urgency_follows_the_rules() {
        let used = Relevance { used_terms: vec!["gpt-4-0613".into()], ..Relevance::default() };
        let none = Relevance::default();
        let e = Entry::default();
        let next_month = NaiveDate::from_ymd_opt(2027, 1, 5);
        let next_year = NaiveDate::from_ymd_opt(2027, 12, 5);
        assert_eq!(assess(Category::Deprecation, &e, &used, next_month, today()), Urgency::ActionNeeded);
        assert_eq!(assess(Category::Deprecation, &e, &used, next_year, today()), Urgency::Advisory);
        assert_eq!(assess(Category::Deprecation, &e, &none, next_month, today()), Urgency::Advisory);
        let sdk = Relevance { used_packages: vec!["openai".into()], ..Relevance::default() };
        assert_eq!(assess(Category::SecurityAdvisory, &e, &sdk, None, today()), Urgency::Critical);
        assert_eq!(assess(Category::SecurityAdvisory, &e, &none, None, today()), Urgency::Advisory);
        let outage = Entry { ongoing: true, severity: Severity::Major, ..Entry::default() };
        assert_eq!(assess(Category::ServiceModification, &outage, &none, None, today()), Urgency::Critical);
        let other = Relevance { other_product: true, ..Relevance::default() };
        assert_eq!(
            assess(Category::ServiceModification, &outage, &other, None, today()),
            Urgency::Informational
        );
        let minor = Entry { ongoing: true, severity: Severity::Minor, ..Entry::default() };
        assert_eq!(assess(Category::ServiceModification, &minor, &none, None, today()), Urgency::Advisory);
        assert_eq!(assess(Category::ServiceModification, &e, &none, None, today()), Urgency::Informational);
    }

    #[test]
    fn the_templates_name_the_date_and_the_projects() {
        let used = Relevance {
            used_terms: vec!["gpt-4-0613".into()],
            projects: vec!["shop".into()],
            ..Relevance::default()
        };
        let d = NaiveDate::from_ymd_opt(2027, 1, 5);
        let (impact, action) = texts(
            "OpenAI",
            Category::Deprecation,
            Urgency::ActionNeeded,
            &Entry::default(),
            &used,
            d,
            today(),
        );
        assert!(
            impact.contains("2027-01-05") && impact.contains("31 days") && impact.contains("shop"),
            "{impact}"
        );
        assert!(action.contains("gpt-4-0613"), "{action}");
    }
}

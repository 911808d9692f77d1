//! Discovery: hearing, before things break, that a provider whose key the
//! user keeps deprecates an API version or a model, changes its prices,
//! has an outage or publishes a security advisory for its SDK.
//!
//! A run ([`run::run`]) fetches each watched provider's sources
//! ([`sources`]: machine-readable first, ordered fallbacks, plus the
//! user's own) through `core::net` behind the **Discovery network** gate
//! (off by default, independent of Online Mode), politely and within a
//! daily budget ([`log`]), conditionally ([`fetch`]); parses what came
//! back into entries ([`parse`], [`page`] for watched pages); and turns
//! entries into findings: deduplicated by canonical URL ([`canonical`]),
//! classified ([`classify`]), scored against what the user actually uses
//! ([`relevance`]) and given an urgency with an impact and an action
//! ([`urgency`]). Findings ([`findings`]) are reviewed, actioned or
//! dismissed by the user and pruned by [`retention`]; [`schedule`] runs it
//! daily while the vault is unlocked.
//!
//! The vault rule holds throughout: what a run needs is read in one short
//! read, the network works with no lock held, and each provider's findings,
//! source states and log row are committed in one short transaction of
//! their own — nothing after a lock.

pub mod canonical;
pub mod classify;
pub mod fetch;
pub mod findings;
pub mod log;
pub mod page;
pub mod parse;
pub mod relevance;
pub mod retention;
pub mod run;
pub mod schedule;
pub mod sources;
pub mod urgency;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use findings::{Finding, FindingQuery};
pub use run::{ProviderReport, RunReport, run};
pub use sources::{SourceInfo, SourceKind};

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $v,)* }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The stored and shown name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }

            /// Parse a stored or typed name.
            pub fn parse(s: &str) -> Result<$name> {
                match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                    $($s => Ok($name::$v),)*
                    other => Err(Error::invalid(format!(
                        "{other:?} is not one of: {}",
                        [$($s),*].join(", ")
                    ))),
                }
            }
        }
    };
}

text_enum! {
    /// What a finding is about (seed 003 §3.3).
    Category {
        /// A new model, feature or launch.
        CapabilityChange => "capability_change",
        /// Prices, billing, free tiers.
        PricingUpdate => "pricing_update",
        /// A deprecation, sunset, retirement or end of life.
        Deprecation => "deprecation",
        /// A CVE / GHSA advisory or a vulnerability.
        SecurityAdvisory => "security_advisory",
        /// Another service suggested in its place.
        NewAlternative => "new_alternative",
        /// An incident, outage, degradation or maintenance.
        ServiceModification => "service_modification",
    }
}

text_enum! {
    /// How soon the user should look (ordered: informational < … < critical).
    Urgency {
        /// Good to know.
        Informational => "informational",
        /// Worth reading.
        Advisory => "advisory",
        /// Something the user uses changes within 90 days.
        ActionNeeded => "action_needed",
        /// An advisory for an SDK their projects name, or an ongoing major outage.
        Critical => "critical",
    }
}

text_enum! {
    /// Where the user is with a finding: `new → reviewed → actioned | dismissed`.
    FindingStatus {
        /// Not looked at.
        New => "new",
        /// Read.
        Reviewed => "reviewed",
        /// Put aside.
        Dismissed => "dismissed",
        /// Acted on.
        Actioned => "actioned",
    }
}

text_enum! {
    /// What started a run (the search log's `trigger_type`).
    Trigger {
        /// The daily schedule.
        Scheduled => "scheduled",
        /// The user (`discovery run`, "Check now").
        OnDemand => "on_demand",
        /// A run missed while the machine slept, caught up at unlock.
        LaunchCatchup => "launch_catchup",
    }
}

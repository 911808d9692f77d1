//! What a doc's sentence says about a provider: that the project needs it,
//! that it is one option among others, or nothing beyond its name.
//!
//! "You'll need an OpenAI API key" states a need; "you can also switch to
//! Anthropic or Cohere" lists options; "Built with OpenAI" only mentions.
//! The section counts too: in a *Setup*, *Installation* or *Configuration*
//! section an env var is a need; under *Optional* or *Alternatives*
//! everything is an option; and *Contributing*, *License*, *Sponsors*,
//! *Roadmap*, *FAQ* and the like are not about what the project needs, so
//! their hits are dropped ([`Section::Aside`]).

use serde::{Deserialize, Serialize};

/// What the line of a hit says about its provider.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Claim {
    /// States that the project needs it ("requires", "you need", "set …
    /// to your key", or an env var in a setup section).
    Need,
    /// One choice among others, or marked optional.
    Option,
    /// Only names it.
    #[default]
    Mention,
}

impl Claim {
    /// Whether it is [`Claim::Mention`] (left out of stored findings).
    pub fn is_mention(&self) -> bool {
        *self == Claim::Mention
    }
}

/// The kind of section a line sits in, from its nearest heading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Section {
    /// No heading that says anything.
    #[default]
    Plain,
    /// Setup, installation, configuration, environment, prerequisites.
    Setup,
    /// Optional parts, alternatives, integrations.
    Optional,
    /// About the project's people and history, not its needs.
    Aside,
}

const SETUP_HEADINGS: &[&str] = &[
    "setup",
    "set up",
    "set-up",
    "install",
    "getting started",
    "get started",
    "configuration",
    "configure",
    "environment",
    "env var",
    "prerequisite",
    "requirements",
    "quick start",
    "quickstart",
    "credentials",
    "api key",
    "secrets",
];

const OPTIONAL_HEADINGS: &[&str] =
    &["optional", "alternative", "integrations", "other provider", "extras", "internal use"];

const ASIDE_HEADINGS: &[&str] = &[
    "contribut",
    "license",
    "licence",
    "sponsor",
    "acknowledg",
    "credits",
    "thanks",
    "roadmap",
    "faq",
    "changelog",
    "release notes",
    "community",
    "support us",
    "related",
    "see also",
    "comparison",
    "alternatives to",
    "star history",
    "authors",
    "code of conduct",
];

/// The section a heading opens.
pub(crate) fn section_of(heading: &str) -> Section {
    let lower = heading.to_ascii_lowercase();
    // "Alternatives to X" is a comparison; "Alternatives" alone offers options.
    if ASIDE_HEADINGS.iter().any(|w| lower.contains(w)) {
        Section::Aside
    } else if OPTIONAL_HEADINGS.iter().any(|w| lower.contains(w)) {
        Section::Optional
    } else if SETUP_HEADINGS.iter().any(|w| lower.contains(w)) {
        Section::Setup
    } else {
        Section::Plain
    }
}

/// The text of an ATX heading (`## Setup`), or `None`.
pub(crate) fn heading(line: &[u8]) -> Option<&[u8]> {
    let indent = line.iter().take_while(|&&b| b == b' ').count();
    let rest = &line[indent.min(line.len())..];
    let hashes = rest.iter().take_while(|&&b| b == b'#').count();
    if indent > 3 || hashes == 0 || hashes > 6 {
        return None;
    }
    match rest.get(hashes) {
        None => Some(&[]),
        Some(b' ' | b'\t') => Some(rest[hashes..].trim_ascii()),
        Some(_) => None,
    }
}

/// Phrases that offer a choice or mark something optional; they win over
/// a need ("you need an OpenAI or Anthropic key" needs neither one).
const OPTION_PHRASES: &[&str] = &[
    " or ",
    "alternatively",
    "optional",
    "supports",
    "supported",
    "you can also",
    "can also use",
    "can be used",
    "switch to",
    "if you want",
    "if you prefer",
    "if you'd like",
    "if you use",
    "instead of",
    "compatible with",
    "e.g.",
    "such as",
    "for example",
    "one of",
    "any of",
    "not required",
    "not needed",
    "no need",
    "don't need",
    "do not need",
    "\u{274c}",
    "\u{2705}",
];

/// Phrases that state a need.
const NEED_PHRASES: &[&str] = &[
    "require",
    "you need",
    "we need",
    "needs to",
    "you'll need",
    "you will need",
    "you'd need",
    "need to set",
    "need to add",
    "need to provide",
    "need to create",
    "need to get",
    "need an ",
    "need a ",
    "must set",
    "must provide",
    "must have",
    "must be set",
    "set your",
    "add your",
    "paste your",
    "enter your",
    "provide your",
    "your api key",
    "your key",
    "your token",
    "your secret",
    "get an api key",
    "get your",
    "obtain",
    "sign up",
    "create an account",
    "create a key",
    "create an api key",
    "generate an api key",
    "is needed",
    "are needed",
    "mandatory",
];

/// What one line of prose claims, before its section is considered.
pub(crate) fn of_line(line: &[u8]) -> Claim {
    let lower = String::from_utf8_lossy(line).to_lowercase();
    if OPTION_PHRASES.iter().any(|p| lower.contains(p)) {
        Claim::Option
    } else if NEED_PHRASES.iter().any(|p| lower.contains(p)) {
        Claim::Need
    } else {
        Claim::Mention
    }
}

/// The claim of a hit: its line's (or, in code, the sentence that led into
/// the code's), adjusted by its section. `env_var` says whether the hit
/// names an env var (a need in a setup section). `None`: the section is
/// an aside and the hit does not count.
pub(crate) fn claim(line: Claim, section: Section, env_var: bool) -> Option<Claim> {
    match section {
        Section::Aside => None,
        Section::Optional => Some(Claim::Option),
        Section::Setup if env_var && line == Claim::Mention => Some(Claim::Need),
        Section::Setup | Section::Plain => Some(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_state_needs_options_or_nothing() {
        for (text, want) in [
            ("You'll just need to add your OpenAI API key.", Claim::Need),
            ("This project requires a Stripe account.", Claim::Need),
            ("Set STRIPE_SECRET_KEY to your key.", Claim::Need),
            ("You can also switch to OpenAI, Anthropic, Cohere.", Claim::Option),
            ("You need an OpenAI or Anthropic key.", Claim::Option),
            ("Alternatively, use Mistral.", Claim::Option),
            ("| Sentry | \u{274c} in the free version |", Claim::Option),
            ("Built with OpenAI.", Claim::Mention),
        ] {
            assert_eq!(of_line(text.as_bytes()), want, "{text}");
        }
    }

    #[test]
    fn headings_open_sections() {
        assert_eq!(heading(b"## Getting started"), Some(&b"Getting started"[..]));
        assert_eq!(heading(b"#hashtag"), None);
        assert_eq!(heading(b"    # code"), None);
        for (h, want) in [
            ("Installation", Section::Setup),
            ("Environment variables", Section::Setup),
            ("Optional integrations", Section::Optional),
            ("Contributing", Section::Aside),
            ("Alternatives to Foo", Section::Aside),
            ("License", Section::Aside),
            ("Features", Section::Plain),
        ] {
            assert_eq!(section_of(h), want, "{h}");
        }
    }

    #[test]
    fn sections_adjust_the_claim() {
        assert_eq!(claim(Claim::Mention, Section::Setup, true), Some(Claim::Need));
        assert_eq!(claim(Claim::Mention, Section::Setup, false), Some(Claim::Mention));
        assert_eq!(claim(Claim::Need, Section::Optional, true), Some(Claim::Option));
        assert_eq!(claim(Claim::Need, Section::Aside, true), None);
        assert_eq!(claim(Claim::Option, Section::Plain, true), Some(Claim::Option));
    }
}

//! From evidence to requirements: one per provider, with the env vars it
//! needs, an additive confidence and citations; and from capability phrases
//! to service recommendations.
//!
//! Confidence (product spec): an env var of the provider +0.7, that env var
//! in code +0.1, the provider's name +0.3, each distinct domain +0.2,
//! clamped to 1.0; a provider known only by domains is capped at 0.4.
//! Secret-looking env vars of no known provider (in code) form one
//! `generic` requirement at 0.5.
//!
//! What the sentences say ([`super::claims`]) weighs on top: a sentence
//! that states the need adds +0.4, and a provider only ever offered as one
//! option among others stays below high confidence (0.6 at most). Each
//! requirement is classed [`Necessity::Required`], [`Necessity::Optional`]
//! or [`Necessity::Mentioned`], and its first citation is the one that
//! decided it.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::capabilities;
use super::claims::Claim;
use super::rules::{Evidence, Rule};
use crate::providers;

/// Citations stored per requirement (the count of all is kept too).
pub const MAX_CITATIONS: usize = 20;

const ENV_VAR_WEIGHT: f64 = 0.7;
const IN_CODE_WEIGHT: f64 = 0.1;
const NAME_WEIGHT: f64 = 0.3;
const DOMAIN_WEIGHT: f64 = 0.2;
const DOMAIN_ONLY_CAP: f64 = 0.4;
const UNKNOWN_ENV_VAR_CONFIDENCE: f64 = 0.5;
const NEED_WEIGHT: f64 = 0.4;
const OPTION_CAP: f64 = 0.6;

/// Whether the project needs a provider, as its docs put it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Necessity {
    /// A sentence states the need, or its env var is named (and not only
    /// as an option).
    Required,
    /// Only offered as one option among others, or marked optional.
    Optional,
    /// Only its name or a link to it.
    Mentioned,
}

impl Necessity {
    /// As stored (`required`, `optional`, `mentioned`).
    pub fn as_str(self) -> &'static str {
        match self {
            Necessity::Required => "required",
            Necessity::Optional => "optional",
            Necessity::Mentioned => "mentioned",
        }
    }

    /// From the stored form.
    pub fn parse(s: &str) -> Option<Necessity> {
        [Necessity::Required, Necessity::Optional, Necessity::Mentioned].into_iter().find(|n| n.as_str() == s)
    }
}

/// A requirement at or above this confidence is "high": an env var of the
/// provider is named in the docs.
pub const HIGH_CONFIDENCE: f64 = 0.7;
/// At or above this (and below high) it is "medium": a name and a domain,
/// or an unknown secret-looking env var; below it only a name or a link.
pub const MEDIUM_CONFIDENCE: f64 = 0.4;

/// How sure a requirement is, in three bands (shown as badges).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfidenceLevel {
    /// At least [`HIGH_CONFIDENCE`].
    High,
    /// At least [`MEDIUM_CONFIDENCE`].
    Medium,
    /// Below [`MEDIUM_CONFIDENCE`].
    Low,
}

impl ConfidenceLevel {
    /// The band of a confidence.
    pub fn of(confidence: f64) -> ConfidenceLevel {
        if confidence >= HIGH_CONFIDENCE {
            ConfidenceLevel::High
        } else if confidence >= MEDIUM_CONFIDENCE {
            ConfidenceLevel::Medium
        } else {
            ConfidenceLevel::Low
        }
    }
}

/// Where a requirement is proven.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    /// Path relative to the project root.
    pub path: String,
    /// First line (1-based).
    pub line_start: u32,
    /// Last line.
    pub line_end: u32,
    /// The line, redacted.
    pub excerpt: String,
    /// The rule that matched.
    pub rule: Rule,
    /// What the cited sentence says of the provider (migration 0006 gave
    /// older citations `mention`).
    pub claim: Claim,
}

/// One file's evidence.
#[derive(Debug, Clone)]
pub struct DocEvidence<'a> {
    /// Relative path.
    pub path: &'a str,
    /// What the rules found in it.
    pub evidence: &'a [Evidence],
}

/// A provider the project needs, as inferred.
#[derive(Debug, Clone, PartialEq)]
pub struct Inferred {
    /// Provider id (`generic` for unknown env vars).
    pub provider_id: String,
    /// Env vars named in the docs; the provider's canonical one when the
    /// docs name none.
    pub env_vars: Vec<String>,
    /// 0.0–1.0.
    pub confidence: f64,
    /// Required, optional or only mentioned.
    pub necessity: Necessity,
    /// Up to [`MAX_CITATIONS`], strongest first (the one that decided the
    /// necessity leads), one per line.
    pub citations: Vec<Citation>,
    /// How many citations there were in all.
    pub citation_count: u32,
}

/// A capability the docs describe without naming a service that provides it.
#[derive(Debug, Clone, PartialEq)]
pub struct InferredRecommendation {
    /// Capability id of the catalog.
    pub capability: &'static str,
    /// The first phrase found, as a redacted excerpt with its place.
    pub requirement_text: String,
    /// 0.0–1.0: grows with the number of mentions.
    pub match_score: f64,
}

#[derive(Default)]
struct Tally<'a> {
    env_vars: BTreeSet<String>,
    env_var: bool,
    in_code: bool,
    name: bool,
    domains: BTreeSet<String>,
    /// Some sentence states the need.
    need: bool,
    /// An env var named and not offered as an option.
    env_named: bool,
    /// Some hit is offered as an option.
    option: bool,
    /// Every hit, with its file, to cite the strongest.
    hits: Vec<(&'a str, &'a Evidence)>,
}

impl Tally<'_> {
    fn necessity(&self) -> Necessity {
        if self.need || self.env_named {
            Necessity::Required
        } else if self.option {
            Necessity::Optional
        } else {
            Necessity::Mentioned
        }
    }
}

/// How strongly a hit proves the need: a stated need, then an env var in
/// code, an env var, an offered option (what makes a requirement
/// optional, so cited before mere mentions), a name, a domain.
fn strength(e: &Evidence) -> u8 {
    let env = matches!(e.rule, Rule::EnvVar | Rule::UnknownEnvVar);
    match (e.claim, env, e.in_code) {
        (Claim::Need, true, _) => 0,
        (Claim::Need, false, _) => 1,
        (Claim::Mention, true, true) => 2,
        (Claim::Mention, true, false) => 3,
        (Claim::Option, true, _) => 4,
        (Claim::Option, false, _) => 5,
        (Claim::Mention, false, _) if e.rule == Rule::ProviderName => 6,
        (Claim::Mention, false, _) => 7,
    }
}

fn cite(path: &str, e: &Evidence) -> Citation {
    Citation {
        path: path.to_owned(),
        line_start: e.line_start,
        line_end: e.line_end,
        excerpt: e.excerpt.clone(),
        rule: e.rule,
        claim: e.claim,
    }
}

/// Citations strongest first (ties in path and line order), one per line,
/// at most [`MAX_CITATIONS`]; and how many distinct lines there were.
fn citations(hits: &mut [(&str, &Evidence)]) -> (Vec<Citation>, u32) {
    hits.sort_by(|(pa, a), (pb, b)| {
        strength(a).cmp(&strength(b)).then_with(|| pa.cmp(pb)).then_with(|| a.line_start.cmp(&b.line_start))
    });
    let mut seen: BTreeSet<(&str, u32)> = BTreeSet::new();
    let mut out = Vec::new();
    for (path, e) in hits.iter() {
        if seen.insert((path, e.line_start)) && out.len() < MAX_CITATIONS {
            out.push(cite(path, e));
        }
    }
    (out, u32::try_from(seen.len()).unwrap_or(u32::MAX))
}

/// Providers the project's title names ("# Self-Hosted Sentry", the top
/// heading of its root README): the project is that provider's own, so
/// naming it says nothing of a need; only its env vars still count.
fn named_in_the_title<'a>(docs: &[DocEvidence<'a>]) -> BTreeSet<&'a str> {
    docs.iter()
        .filter(|d| !d.path.contains('/') && d.path.to_ascii_lowercase().starts_with("readme"))
        .flat_map(|d| d.evidence.iter())
        // An excerpt is its line, trimmed: `# ` starts a top heading.
        .filter(|e| e.rule == Rule::ProviderName && e.excerpt.starts_with("# "))
        .map(|e| e.subject.as_str())
        .collect()
}

/// Requirements from every file's evidence: required, optional, then
/// mentioned, highest confidence first within each (ties by provider id). Files should come sorted by path for stable citations.
pub fn infer_requirements(docs: &[DocEvidence<'_>]) -> Vec<Inferred> {
    let own = named_in_the_title(docs);
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for doc in docs {
        let counted = |e: &&Evidence| {
            e.rule != Rule::Capability
                && !(own.contains(e.subject.as_str()) && matches!(e.rule, Rule::ProviderName | Rule::Domain))
        };
        for e in doc.evidence.iter().filter(counted) {
            let t = tallies.entry(e.subject.as_str()).or_default();
            match e.rule {
                Rule::EnvVar | Rule::UnknownEnvVar => {
                    t.env_var = true;
                    t.in_code |= e.in_code;
                    t.env_named |= e.claim != Claim::Option;
                    t.env_vars.extend(e.env_var.clone());
                }
                Rule::ProviderName => t.name = true,
                Rule::Domain => {
                    t.domains.extend(e.matched.as_ref().map(|d| d.to_ascii_lowercase()));
                }
                Rule::Capability => {}
            }
            t.need |= e.claim == Claim::Need;
            t.option |= e.claim == Claim::Option;
            t.hits.push((doc.path, e));
        }
    }
    let mut out: Vec<Inferred> = tallies
        .into_iter()
        .map(|(id, mut t)| {
            let necessity = t.necessity();
            let confidence = if id == providers::GENERIC_ID {
                UNKNOWN_ENV_VAR_CONFIDENCE
            } else {
                let domains = DOMAIN_WEIGHT * t.domains.len() as f64;
                let c = if !t.env_var && !t.name {
                    domains.min(DOMAIN_ONLY_CAP)
                } else {
                    let mut c = domains;
                    if t.env_var {
                        c += ENV_VAR_WEIGHT;
                    }
                    if t.env_var && t.in_code {
                        c += IN_CODE_WEIGHT;
                    }
                    if t.name {
                        c += NAME_WEIGHT;
                    }
                    c
                };
                let c = if t.need { c + NEED_WEIGHT } else { c };
                match necessity {
                    Necessity::Optional => c.min(OPTION_CAP),
                    _ => c.min(1.0),
                }
            };
            let mut env_vars: Vec<String> = t.env_vars.into_iter().collect();
            if env_vars.is_empty() {
                if let Some(p) = providers::get(id).filter(|p| !p.env_var.is_empty()) {
                    env_vars.push(p.env_var.to_owned());
                }
            }
            let (citations, citation_count) = citations(&mut t.hits);
            Inferred {
                provider_id: id.to_owned(),
                env_vars,
                // Two decimals: sums of tenths are not exact in binary.
                confidence: (confidence * 100.0).round() / 100.0,
                necessity,
                citations,
                citation_count,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        a.necessity
            .cmp(&b.necessity)
            .then_with(|| b.confidence.total_cmp(&a.confidence))
            .then_with(|| a.provider_id.cmp(&b.provider_id))
    });
    out
}

/// Recommendations for capabilities the docs say the project *needs*
/// ("password resets require transactional email") while naming none of
/// the providers that serve them; `requirement_text` is that sentence. A
/// capability only described ("we send email"), listed or offered is not
/// a need to fill, nor one a named service already meets.
pub fn infer_recommendations(docs: &[DocEvidence<'_>], found: &[Inferred]) -> Vec<InferredRecommendation> {
    let named: BTreeSet<&str> = found.iter().map(|r| r.provider_id.as_str()).collect();
    let mut mentions: BTreeMap<&str, (u32, String)> = BTreeMap::new();
    for doc in docs {
        for e in doc.evidence.iter().filter(|e| e.rule == Rule::Capability && e.claim == Claim::Need) {
            let entry = mentions
                .entry(e.subject.as_str())
                .or_insert_with(|| (0, format!("{}:{}: {}", doc.path, e.line_start, e.excerpt)));
            entry.0 += 1;
        }
    }
    mentions
        .into_iter()
        .filter_map(|(id, (count, text))| {
            let cap = capabilities::get(id)?;
            if cap.served_by.iter().any(|p| named.contains(p)) {
                return None;
            }
            let score = (0.5 + 0.1 * count as f64).min(0.9);
            Some(InferredRecommendation {
                capability: cap.id,
                requirement_text: text,
                match_score: (score * 100.0).round() / 100.0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::rules::infer;

    fn requirements_of(files: &[(&str, &str)]) -> (Vec<Inferred>, Vec<InferredRecommendation>) {
        let evidence: Vec<(String, Vec<Evidence>)> =
            files.iter().map(|(p, t)| (p.to_string(), infer(t.as_bytes()))).collect();
        let docs: Vec<DocEvidence<'_>> =
            evidence.iter().map(|(p, e)| DocEvidence { path: p, evidence: e }).collect();
        let reqs = infer_requirements(&docs);
        let recs = infer_recommendations(&docs, &reqs);
        (reqs, recs)
    }

    fn confidence(reqs: &[Inferred], id: &str) -> Option<f64> {
        reqs.iter().find(|r| r.provider_id == id).map(|r| r.confidence)
    }

    #[test]
    fn confidence_bands_have_their_thresholds() {
        assert_eq!(ConfidenceLevel::of(1.0), ConfidenceLevel::High);
        assert_eq!(ConfidenceLevel::of(0.7), ConfidenceLevel::High);
        assert_eq!(ConfidenceLevel::of(0.69), ConfidenceLevel::Medium);
        assert_eq!(ConfidenceLevel::of(0.4), ConfidenceLevel::Medium);
        assert_eq!(ConfidenceLevel::of(0.39), ConfidenceLevel::Low);
        assert_eq!(ConfidenceLevel::of(0.0), ConfidenceLevel::Low);
    }

    #[test]
    fn confidence_adds_up_per_rule_and_clamps() {
        let (reqs, _) = requirements_of(&[
            (
                "README.md",
                "Uses Stripe.\n\n```\nSTRIPE_SECRET_KEY=\n```\nSee https://docs.stripe.com and dashboard.stripe.com\n",
            ),
            ("docs/a.md", "GH_TOKEN is read from the environment.\n"),
            (
                "docs/b.md",
                "Links: https://api.openai.com/v1 https://platform.openai.com https://openai.com\n",
            ),
            ("docs/c.md", "Deployed on Vercel.\n"),
        ]);
        assert_eq!(confidence(&reqs, "stripe"), Some(1.0));
        assert_eq!(confidence(&reqs, "github"), Some(0.7));
        assert_eq!(confidence(&reqs, "openai"), Some(0.4), "domain-only is capped");
        assert_eq!(confidence(&reqs, "vercel"), Some(0.3));
        assert_eq!(reqs[0].provider_id, "stripe", "highest first");
        let vercel = reqs.iter().find(|r| r.provider_id == "vercel").unwrap();
        assert_eq!(vercel.env_vars, vec!["VERCEL_TOKEN"], "canonical env var when none is named");
        let github = reqs.iter().find(|r| r.provider_id == "github").unwrap();
        assert_eq!(github.citations[0].path, "docs/a.md");
        assert_eq!(github.citations[0].line_start, 1);
    }

    fn necessity(reqs: &[Inferred], id: &str) -> Option<(Necessity, f64)> {
        reqs.iter().find(|r| r.provider_id == id).map(|r| (r.necessity, r.confidence))
    }

    #[test]
    fn sentences_decide_required_optional_or_mentioned() {
        let (reqs, _) = requirements_of(&[(
            "README.md",
            "# Chat\n\nBuilt with Next.js and Vercel.\n\nYou'll just need to add your OpenAI API key.\n\n\
             You can also switch to Anthropic, Cohere or Mistral.\n\n## Contributing\n\nYou need a GitHub account.\n",
        )]);
        assert_eq!(
            necessity(&reqs, "openai"),
            Some((Necessity::Required, 0.7)),
            "a stated need reaches high"
        );
        assert_eq!(necessity(&reqs, "anthropic"), Some((Necessity::Optional, 0.3)));
        assert_eq!(necessity(&reqs, "cohere").map(|n| n.0), Some(Necessity::Optional));
        assert_eq!(necessity(&reqs, "vercel"), Some((Necessity::Mentioned, 0.3)));
        assert_eq!(necessity(&reqs, "github"), None, "a contributing section is not a need");
    }

    #[test]
    fn a_name_in_a_list_of_places_to_ask_is_not_an_option() {
        let (reqs, _) = requirements_of(&[(
            "README.md",
            "Ask on GitHub or the forum.\n\nNotifications via Discord, Slack or email.\n",
        )]);
        assert_eq!(necessity(&reqs, "github").map(|n| n.0), Some(Necessity::Mentioned));
        assert_eq!(
            necessity(&reqs, "discord").map(|n| n.0),
            Some(Necessity::Optional),
            "offers a notification service"
        );
        assert_eq!(necessity(&reqs, "slack").map(|n| n.0), Some(Necessity::Optional));
    }

    #[test]
    fn the_provider_a_projects_title_names_is_the_project_not_a_need() {
        let own =
            "# Self-Hosted Sentry\n\nYou can also switch to Sentry SaaS or Datadog for error monitoring.\n";
        let (reqs, _) = requirements_of(&[("README.md", own), ("docs/setup.md", "## Sentry\n")]);
        assert_eq!(necessity(&reqs, "sentry"), None, "{reqs:?}");
        assert_eq!(necessity(&reqs, "datadog").map(|n| n.0), Some(Necessity::Optional));
        // Its env vars still count, and a sub-folder's README is no title.
        let (reqs, _) = requirements_of(&[("README.md", "# Stripe sample\n\nSet `STRIPE_SECRET_KEY`.\n")]);
        assert_eq!(necessity(&reqs, "stripe").map(|n| n.0), Some(Necessity::Required));
        let (reqs, _) = requirements_of(&[("docs/README.md", "# Sentry\n")]);
        assert!(necessity(&reqs, "sentry").is_some());
    }

    #[test]
    fn cloud_products_name_their_cloud() {
        let (reqs, _) = requirements_of(&[(
            "README.md",
            "A data warehouse (BigQuery, Snowflake or Amazon Redshift) is needed.\n",
        )]);
        assert_eq!(necessity(&reqs, "google_cloud").map(|n| n.0), Some(Necessity::Optional));
        assert_eq!(necessity(&reqs, "aws").map(|n| n.0), Some(Necessity::Optional));
    }

    #[test]
    fn setup_sections_make_env_vars_needs_and_options_stay_below_high() {
        let (reqs, _) = requirements_of(&[(
            "README.md",
            "## Setup\n\n```\nSTRIPE_SECRET_KEY=\n```\n\n## Optional integrations\n\n```\nSENTRY_AUTH_TOKEN=\n```\n\
             Sentry reports errors.\n",
        )]);
        let stripe = reqs.iter().find(|r| r.provider_id == "stripe").unwrap();
        assert_eq!((stripe.necessity, stripe.confidence), (Necessity::Required, 1.0));
        assert_eq!(stripe.citations[0].claim, Claim::Need);
        assert_eq!(
            necessity(&reqs, "sentry"),
            Some((Necessity::Optional, 0.6)),
            "capped though env var + name"
        );
    }

    #[test]
    fn env_templates_mark_commented_and_optional_groups_as_options() {
        let template = "OPENAI_API_KEY=\n\n# Optional: web search\nTAVILY_API_KEY=\n\n# ANTHROPIC_API_KEY=\n\nGROQ_API_KEY=\n";
        let evidence = crate::scan::rules::infer_env_template(template.as_bytes());
        let docs = [DocEvidence { path: ".env.example", evidence: &evidence }];
        let reqs = infer_requirements(&docs);
        assert_eq!(necessity(&reqs, "openai").map(|n| n.0), Some(Necessity::Required));
        assert_eq!(necessity(&reqs, "tavily").map(|n| n.0), Some(Necessity::Optional), "under # Optional");
        assert_eq!(necessity(&reqs, "anthropic").map(|n| n.0), Some(Necessity::Optional), "commented out");
        assert_eq!(
            necessity(&reqs, "groq").map(|n| n.0),
            Some(Necessity::Required),
            "a blank line ends the group"
        );
    }

    #[test]
    fn template_banners_open_sections_that_outlast_blank_lines() {
        let template = "####################\n###### REQUIRED ENV VARS ######\n####################\n\
                        # Email\nRESEND_API_KEY=\n\n####################\n###### OPTIONAL ENV VARS ######\n\
                        ####################\n# Payments\nSTRIPE_SECRET_KEY=\n\n# Login\nGITHUB_CLIENT_SECRET=\n";
        let evidence = crate::scan::rules::infer_env_template(template.as_bytes());
        let docs = [DocEvidence { path: ".env.example", evidence: &evidence }];
        let reqs = infer_requirements(&docs);
        assert_eq!(necessity(&reqs, "resend").map(|n| n.0), Some(Necessity::Required));
        assert_eq!(necessity(&reqs, "stripe").map(|n| n.0), Some(Necessity::Optional));
        assert_eq!(necessity(&reqs, "github").map(|n| n.0), Some(Necessity::Optional), "past a blank line");
    }

    #[test]
    fn the_deciding_sentence_is_cited_first_and_a_line_once() {
        let (reqs, _) = requirements_of(&[
            ("CHANGES.txt.md", "OpenAI OpenAI\nUses OpenAI.\n"),
            ("README.md", "Intro.\n\nThis app requires an OpenAI API key: set `OPENAI_API_KEY`.\n"),
        ]);
        let openai = reqs.iter().find(|r| r.provider_id == "openai").unwrap();
        let first = &openai.citations[0];
        assert_eq!((first.path.as_str(), first.line_start, first.claim), ("README.md", 3, Claim::Need));
        let lines: Vec<_> = openai.citations.iter().map(|c| (c.path.as_str(), c.line_start)).collect();
        assert_eq!(
            lines,
            vec![("README.md", 3), ("CHANGES.txt.md", 1), ("CHANGES.txt.md", 2)],
            "one per line"
        );
        assert_eq!(openai.citation_count, 3);
    }

    #[test]
    fn links_about_the_project_are_not_needs() {
        let readme = "# App\n\n[![npm](https://img.shields.io/npm/v/app)](https://www.npmjs.com/package/app) \
                      [![Deploy with Vercel](https://vercel.com/button)](https://vercel.com/new/clone?s=x)\n\n\
                      [Open in GitHub Codespaces](https://codespaces.new/acme/app) · [Join our Discord](https://discord.gg/x)\n\n\
                      ```sh\ngit clone https://github.com/acme/app.git\n```\n";
        let (reqs, _) = requirements_of(&[("README.md", readme)]);
        assert!(reqs.is_empty(), "{reqs:?}");

        let (reqs, _) = requirements_of(&[(
            "README.md",
            &format!("{readme}\nSet `GITHUB_TOKEN` (https://github.com/settings/tokens).\n"),
        )]);
        let ids: Vec<_> = reqs.iter().map(|r| (r.provider_id.as_str(), r.confidence)).collect();
        assert_eq!(ids, vec![("github", 1.0)], "an env var, in code, and the page where tokens are made");
    }

    #[test]
    fn unknown_secret_env_vars_form_a_generic_requirement() {
        let (reqs, _) = requirements_of(&[("README.md", "```\nACME_API_KEY=\nACME_SECRET=\n```\n")]);
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0].provider_id, "generic");
        assert_eq!(reqs[0].env_vars, vec!["ACME_API_KEY", "ACME_SECRET"]);
        assert_eq!(reqs[0].confidence, 0.5);
    }

    #[test]
    fn needs_without_a_named_provider_become_recommendations() {
        let (_, recs) = requirements_of(&[(
            "README.md",
            "Password resets require transactional email.\nCheckout requires card payments.\n\
             The app needs to send transactional email for receipts too.\n",
        )]);
        let caps: Vec<_> = recs.iter().map(|r| (r.capability, r.match_score)).collect();
        assert_eq!(caps, vec![("payments", 0.6), ("transactional_email", 0.7)]);
        assert!(recs[1].requirement_text.starts_with("README.md:1: Password resets require"), "the sentence");

        let (_, recs) =
            requirements_of(&[("README.md", "Password resets require transactional email via Postmark.\n")]);
        assert!(recs.is_empty(), "a named provider serves it: {recs:?}");
    }

    #[test]
    fn described_listed_or_offered_capabilities_are_not_recommended() {
        let (_, recs) = requirements_of(&[(
            "README.md",
            "We send transactional email.\n\nIt can send SMS or transactional email if you want.\n\n\
             ## Contributing\n\nYou need card payments set up to test billing.\n",
        )]);
        assert!(recs.is_empty(), "{recs:?}");
    }

    #[test]
    fn citations_are_capped_but_counted() {
        let files: Vec<(String, String)> =
            (0..30).map(|i| (format!("d{i:02}.md"), "GH_TOKEN\n".to_owned())).collect();
        let refs: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
        let (reqs, _) = requirements_of(&refs);
        assert_eq!(reqs[0].citations.len(), MAX_CITATIONS);
        assert_eq!(reqs[0].citation_count, 30);
    }
}

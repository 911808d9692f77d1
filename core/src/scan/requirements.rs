//! From evidence to requirements: one per provider, with the env vars it
//! needs, an additive confidence and citations; and from capability phrases
//! to service recommendations.
//!
//! Confidence (product spec): an env var of the provider +0.7, that env var
//! in code +0.1, the provider's name +0.3, each distinct domain +0.2,
//! clamped to 1.0; a provider known only by domains is capped at 0.4.
//! Secret-looking env vars of no known provider (in code) form one
//! `generic` requirement at 0.5.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use super::capabilities;
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
    /// Up to [`MAX_CITATIONS`], in path and line order.
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
struct Tally {
    env_vars: BTreeSet<String>,
    env_var: bool,
    in_code: bool,
    name: bool,
    domains: BTreeSet<String>,
    citations: Vec<Citation>,
    count: u32,
}

fn cite(path: &str, e: &Evidence) -> Citation {
    Citation {
        path: path.to_owned(),
        line_start: e.line_start,
        line_end: e.line_end,
        excerpt: e.excerpt.clone(),
        rule: e.rule,
    }
}

/// Requirements from every file's evidence, highest confidence first (ties
/// by provider id). Files should come sorted by path for stable citations.
pub fn infer_requirements(docs: &[DocEvidence<'_>]) -> Vec<Inferred> {
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    for doc in docs {
        for e in doc.evidence.iter().filter(|e| e.rule != Rule::Capability) {
            let t = tallies.entry(e.subject.as_str()).or_default();
            match e.rule {
                Rule::EnvVar | Rule::UnknownEnvVar => {
                    t.env_var = true;
                    t.in_code |= e.in_code;
                    t.env_vars.extend(e.env_var.clone());
                }
                Rule::ProviderName => t.name = true,
                Rule::Domain => {
                    t.domains.extend(e.matched.as_ref().map(|d| d.to_ascii_lowercase()));
                }
                Rule::Capability => {}
            }
            t.count += 1;
            if t.citations.len() < MAX_CITATIONS {
                t.citations.push(cite(doc.path, e));
            }
        }
    }
    let mut out: Vec<Inferred> = tallies
        .into_iter()
        .map(|(id, t)| {
            let confidence = if id == providers::GENERIC_ID {
                UNKNOWN_ENV_VAR_CONFIDENCE
            } else {
                let domains = DOMAIN_WEIGHT * t.domains.len() as f64;
                if !t.env_var && !t.name {
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
                    c.min(1.0)
                }
            };
            let mut env_vars: Vec<String> = t.env_vars.into_iter().collect();
            if env_vars.is_empty() {
                if let Some(p) = providers::get(id).filter(|p| !p.env_var.is_empty()) {
                    env_vars.push(p.env_var.to_owned());
                }
            }
            Inferred {
                provider_id: id.to_owned(),
                env_vars,
                // Two decimals: sums of tenths are not exact in binary.
                confidence: (confidence * 100.0).round() / 100.0,
                citations: t.citations,
                citation_count: t.count,
            }
        })
        .collect();
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then_with(|| a.provider_id.cmp(&b.provider_id)));
    out
}

/// Recommendations for capabilities the docs describe while naming none of
/// the providers that serve them.
pub fn infer_recommendations(docs: &[DocEvidence<'_>], found: &[Inferred]) -> Vec<InferredRecommendation> {
    let named: BTreeSet<&str> = found.iter().map(|r| r.provider_id.as_str()).collect();
    let mut mentions: BTreeMap<&str, (u32, String)> = BTreeMap::new();
    for doc in docs {
        for e in doc.evidence.iter().filter(|e| e.rule == Rule::Capability) {
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
    fn capabilities_without_a_named_provider_become_recommendations() {
        let (_, recs) = requirements_of(&[(
            "README.md",
            "We send transactional email and take card payments.\nPassword reset emails too.\n",
        )]);
        let caps: Vec<_> = recs.iter().map(|r| (r.capability, r.match_score)).collect();
        assert_eq!(caps, vec![("payments", 0.6), ("transactional_email", 0.7)]);
        assert!(recs[1].requirement_text.starts_with("README.md:1: We send"));

        let (_, recs) = requirements_of(&[("README.md", "We send transactional email with Postmark.\n")]);
        assert!(recs.is_empty(), "a named provider serves it: {recs:?}");
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

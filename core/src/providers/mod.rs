//! The built-in provider registry: every service KeyClave knows about.
//!
//! The registry lives in code, not in the database. [`seed`] mirrors the
//! user-visible part of it into the vault's `providers` table on every unlock
//! so that keys can reference a provider id with a foreign key and the user
//! can toggle per-provider settings (`discovery_enabled`).
//!
//! Each [`Provider`] carries what the rest of the core needs to recognise a
//! key without a network call:
//!
//! - the canonical env var and its aliases ([`for_key_name`]); every name maps
//!   to exactly one provider, so the alias sets are disjoint;
//! - value prefixes ([`for_value`], longest prefix wins, so `sk-ant-` is
//!   Anthropic while `sk-` is OpenAI); prefixes are hints, not proof;
//! - names and domains used by the Markdown inference rules;
//! - an online validation recipe ([`Validation`]) and an offline onboarding
//!   playbook.
//!
//! Conventions and choices:
//!
//! - `generic` ("Unassigned") is the provider of keys that belong to no known
//!   service. It has no env var, no prefix and empty homepage/docs URLs (`""`:
//!   there is nothing to link to). [`for_key_name`] never returns it.
//! - Google is split in two: `google_cloud` owns `GOOGLE_API_KEY` and the
//!   `AIza` value prefix (every Google API key, Gemini ones included, is a
//!   Google Cloud API key), while `google_gemini` owns `GEMINI_API_KEY` and has
//!   a real validation endpoint. A bare `AIza…` value therefore resolves to
//!   `google_cloud`.
//! - [`Validation::Check`] is a safe, read-only, free request and how to read
//!   its answer ([`Verdict`], [`Facts`]); fixed, non-secret headers an API
//!   requires ride along (Anthropic `anthropic-version`, Notion
//!   `Notion-Version`, Postmark `Accept`). A check may need a second
//!   credential ([`Check::companion`]: Twilio's account SID, AWS's key id)
//!   or the key's own host ([`Check::needs_endpoint`]: Azure OpenAI,
//!   Supabase projects). Where no such request exists (every call spends
//!   credits, or the key can only write) it is [`Validation::Unverifiable`]
//!   with the reason.
//! - Endpoints that are region-bound use the default region (Datadog US1).

use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// How a key of this provider can be checked online ([`crate::validation`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
// Registry data in statics, copied once per check: the size of a variant
// does not matter, and a Box cannot be built in a const.
#[allow(clippy::large_enum_variant)]
pub enum Validation {
    /// A safe, read-only, free request that answers for the key.
    Check(Check),
    /// No safe request exists; why, for the user.
    Unverifiable {
        /// The reason, in one sentence.
        reason: &'static str,
    },
}

/// A validation request and how to read its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Check {
    /// `GET`; `POST` only for read-only calls that are POSTs by design
    /// (Slack `auth.test`, AWS STS `GetCallerIdentity`).
    pub method: &'static str,
    /// Absolute `https://` URL on the provider's API host. With a key's own
    /// endpoint, its path and query are appended to the endpoint instead.
    /// `{COMPANION}` stands for the companion credential's value (an id,
    /// never a secret: Twilio's account SID).
    pub url: &'static str,
    /// How the key is attached.
    pub auth: AuthStyle,
    /// Fixed, non-secret headers the API requires (`anthropic-version`).
    pub headers: &'static [(&'static str, &'static str)],
    /// The URL's host is only an example: the key's own endpoint is
    /// required (Azure OpenAI resources, Supabase projects).
    pub needs_endpoint: bool,
    /// The env var of a second credential used with the key (Twilio's
    /// account SID, AWS's access key id); without it the key is
    /// unverifiable.
    pub companion: Option<&'static str>,
    /// How the answer says valid or invalid.
    pub verdict: Verdict,
    /// Where the answer says who the key belongs to and what it may do.
    pub facts: Facts,
    /// Where the dashboard reads the key's credits, balance or spend.
    pub credits: Option<&'static Credits>,
}

/// Credits, balance and spend, as the dashboard reads them (validation
/// never does): from the check's own answer, or from a second read-only,
/// free GET with the same credentials. Pointers are JSON pointers; a figure
/// may be a JSON number or a number in a string (Twilio's `"12.50"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Credits {
    /// `None`: the check's answer has the figures. Otherwise an absolute
    /// URL on the provider's API host (`{COMPANION}` as in [`Check::url`]).
    pub url: Option<&'static str>,
    /// What the figures count: a currency (`USD`) or a unit (`emails`).
    pub unit: Text,
    /// Credits or money used.
    pub used: Option<&'static str>,
    /// The credit or spend limit.
    pub limit: Option<&'static str>,
    /// What is left: remaining credits, or a prepaid balance.
    pub remaining: Option<&'static str>,
    /// Money spent in `period`.
    pub cost: Option<&'static str>,
    /// The period of `cost`, or the credits' reset period.
    pub period: Option<Text>,
}

/// A text the registry knows, or one the answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Text {
    /// This text.
    Fixed(&'static str),
    /// The text at this JSON pointer of the answer.
    At(&'static str),
}

impl Credits {
    /// Nothing read (the base for registry entries).
    pub const NONE: Credits = Credits {
        url: None,
        unit: Text::Fixed(""),
        used: None,
        limit: None,
        remaining: None,
        cost: None,
        period: None,
    };
}

/// How a key is attached to a validation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `Authorization: <scheme> <key>`, e.g. Discord's `Bot`, Deepgram's `Token`.
    Scheme(&'static str),
    /// HTTP Basic auth with the key as user name and an empty password.
    Basic,
    /// HTTP Basic auth with the companion as user name and the key as password.
    BasicCompanion,
    /// The key as the value of the named header, e.g. `x-api-key`.
    Header(&'static str),
    /// The key as the value of the named query parameter.
    Query(&'static str),
    /// AWS Signature Version 4 with the companion as access key id.
    AwsSigV4,
}

/// How a validation answer is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// By status: 2xx valid, 401 invalid, 403 valid but limited (a real key
    /// lacking a permission); 429, 5xx and anything else can't tell.
    Status,
    /// A 2xx whose JSON field at `pointer` decides: valid when its value
    /// (as text) is one of `valid`; the field at `reason` says why not.
    /// Slack (`ok`), Cloudflare (`result.status`), Mapbox (`code`).
    JsonField {
        /// JSON pointer of the deciding field.
        pointer: &'static str,
        /// Values that mean valid.
        valid: &'static [&'static str],
        /// JSON pointer of the reason when not valid.
        reason: &'static str,
    },
    /// Google API keys: 400 `API_KEY_INVALID` invalid, 403 a real key
    /// whose API is not enabled (limited).
    GoogleApiKey,
}

/// JSON pointers into a validation answer (empty: not said). Headers
/// (`x-oauth-scopes`, `x-ratelimit-*`, GitHub's token expiration) are read
/// for every provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// Who the key belongs to (first pointer present wins).
    pub account: &'static [&'static str],
    /// Scopes, as an array or a space/comma separated string.
    pub scopes: Option<&'static str>,
    /// Expiry (RFC 3339 or a date).
    pub expires: Option<&'static str>,
    /// Tier, type or role.
    pub tier: Option<&'static str>,
}

impl Facts {
    /// Nothing to read.
    pub const NONE: Facts = Facts { account: &[], scopes: None, expires: None, tier: None };
}

/// The API hosts requests for `p` may go to (its API base URL and its
/// validation host; never a placeholder host).
pub fn api_hosts(p: &Provider) -> Vec<&'static str> {
    let host =
        |u: &'static str| u.strip_prefix("https://").map(|r| r.split(['/', '?', ':']).next().unwrap_or(r));
    let mut hosts: Vec<&'static str> = p.api_base_url.and_then(host).into_iter().collect();
    if let Validation::Check(c) = &p.validation {
        if !c.needs_endpoint {
            hosts.extend(host(c.url));
        }
    }
    hosts.extend(p.extra_api_hosts.iter().copied());
    hosts.sort_unstable();
    hosts.dedup();
    hosts
}

/// One known service and everything KeyClave knows about its keys.
#[derive(Debug, Clone, Serialize)]
pub struct Provider {
    /// Stable snake_case identifier (`"github"`, `"openai"`, …, `"generic"`).
    pub id: &'static str,
    /// Name shown to the user.
    pub display_name: &'static str,
    /// Provider home page (`""` only for `generic`).
    pub homepage_url: &'static str,
    /// Documentation about its API keys (`""` only for `generic`).
    pub docs_url: &'static str,
    /// Where keys are created and managed, if there is one fixed page.
    pub dashboard_url: Option<&'static str>,
    /// Base URL of its HTTP API, if there is one fixed host.
    pub api_base_url: Option<&'static str>,
    /// Canonical env var, e.g. `GITHUB_TOKEN`; `""` for `generic`.
    pub env_var: &'static str,
    /// Other env var names for the same key, e.g. `GH_TOKEN`, `GITHUB_PAT`.
    pub aliases: &'static [&'static str],
    /// Env vars of this provider that hold a *different* credential (an
    /// account id, a second secret, a webhook secret), e.g.
    /// `AWS_ACCESS_KEY_ID` beside `AWS_SECRET_ACCESS_KEY`. They are
    /// recognised as the provider's, but never as aliases of its key: two
    /// of them in one `.env` is not a conflict, and they are never renamed.
    pub companions: &'static [&'static str],
    /// Words that name the provider inside a project's own env var names
    /// (`OPEN_AI` in `OPEN_AI_KEY`, `SLACK` in `SLACK_CLIENT_SECRET`),
    /// upper case, `_`-separated; see [`for_env_name`].
    pub name_tokens: &'static [&'static str],
    /// Case-sensitive value prefixes, e.g. `ghp_`, `github_pat_`.
    pub value_prefixes: &'static [&'static str],
    /// How documentation names the provider, e.g. `GitHub`, `GitHub API`.
    pub markdown_names: &'static [&'static str],
    /// Domains that point to the provider, e.g. `github.com`.
    pub domains: &'static [&'static str],
    /// How a key can be checked online.
    pub validation: Validation,
    /// API hosts beyond the base URL and the validation host (a second
    /// API a collector reads); usually empty.
    pub extra_api_hosts: &'static [&'static str],
    /// Whether the dashboard can read usage, quota or rate-limit data for a
    /// key through the provider's API with that key alone.
    pub dashboard_supported: bool,
    /// Offline onboarding: how to create a key, 3–6 short steps.
    pub playbook: &'static [&'static str],
}

/// Id of the catch-all provider ("Unassigned").
pub const GENERIC_ID: &str = "generic";

mod registry;
use registry::PROVIDERS;

/// Every provider: `generic` first, then alphabetical by id.
pub fn all() -> &'static [Provider] {
    PROVIDERS
}

/// The provider with exactly this id.
pub fn get(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

/// The provider whose canonical env var or alias is `key_name` (ASCII
/// case-insensitive). Never returns `generic`.
pub fn for_key_name(key_name: &str) -> Option<&'static Provider> {
    // Called for every env-var-shaped token a scan meets: one hash lookup.
    static BY_NAME: LazyLock<HashMap<&'static str, &'static Provider>> = LazyLock::new(|| {
        PROVIDERS
            .iter()
            .filter(|p| p.id != GENERIC_ID)
            .flat_map(|p| {
                std::iter::once(p.env_var)
                    .filter(|v| !v.is_empty())
                    .chain(p.aliases.iter().copied())
                    .chain(p.companions.iter().copied())
                    .map(move |name| (name, p))
            })
            .collect()
    });
    if key_name.bytes().any(|b| b.is_ascii_lowercase()) {
        BY_NAME.get(key_name.to_ascii_uppercase().as_str()).copied()
    } else {
        BY_NAME.get(key_name).copied()
    }
}

/// Prefixes that frameworks put before an env var to expose it to a
/// bundle or runtime (`NEXT_PUBLIC_STRIPE_KEY`): dropped before matching.
pub const FRAMEWORK_PREFIXES: &[&str] = &[
    "NEXT_PUBLIC_",
    "NEXT_PRIVATE_",
    "NUXT_PUBLIC_",
    "NUXT_",
    "VITE_",
    "REACT_APP_",
    "EXPO_PUBLIC_",
    "VUE_APP_",
    "GATSBY_",
    "PUBLIC_",
];

/// How a project's own env var name was tied to a provider.
#[derive(Debug, Clone, Copy)]
pub enum EnvNameMatch {
    /// A registry name, once a framework prefix is dropped: the provider's
    /// variable whatever it holds (`NEXT_PUBLIC_SUPABASE_URL`).
    Registry(&'static Provider),
    /// One of the provider's [`Provider::name_tokens`] inside the name: the
    /// provider's only if the name holds a credential (`SLACK_CLIENT_SECRET`
    /// yes, `SLACK_CHANNEL` no).
    Token(&'static Provider),
}

impl EnvNameMatch {
    /// The provider matched.
    pub fn provider(self) -> &'static Provider {
        match self {
            EnvNameMatch::Registry(p) | EnvNameMatch::Token(p) => p,
        }
    }
}

/// The provider a project's own env var name belongs to: a registry name
/// once a framework prefix is dropped (`NEXT_PUBLIC_SUPABASE_ANON_KEY`) or
/// after a project's own prefix (`AI_AZURE_API_KEY`), or else the longest of the providers' [`Provider::name_tokens`] found as
/// whole words in it (`XAI_LLM_API_KEY`, `GOOGLE_GEMINI_API_KEY` is
/// Gemini's, not Google Cloud's). Which of the two it was is returned: the
/// caller decides whether a token match holds a credential at all.
/// Case-insensitive.
pub fn for_env_name(name: &str) -> Option<EnvNameMatch> {
    let upper = name.to_ascii_uppercase();
    let bare = FRAMEWORK_PREFIXES.iter().find_map(|p| upper.strip_prefix(p)).unwrap_or(&upper);
    if let Some(p) = for_key_name(bare) {
        return Some(EnvNameMatch::Registry(p));
    }
    // A project's own prefix before a registry name (`AI_AZURE_API_KEY`,
    // `MYAPP_OPENAI_API_KEY`): the longest registry name it ends with.
    let mut rest = bare;
    while let Some((_, tail)) = rest.split_once('_') {
        if let Some(p) = for_key_name(tail).filter(|_| tail.contains('_')) {
            return Some(EnvNameMatch::Registry(p));
        }
        rest = tail;
    }
    // Every token split into words once, longest first, so the first
    // match is the longest.
    static TOKENS: LazyLock<Vec<(Vec<&'static str>, &'static Provider)>> = LazyLock::new(|| {
        let mut all: Vec<(&'static str, &'static Provider)> =
            PROVIDERS.iter().flat_map(|p| p.name_tokens.iter().map(move |t| (*t, p))).collect();
        all.sort_by_key(|(t, _)| std::cmp::Reverse(t.len()));
        all.into_iter().map(|(t, p)| (t.split('_').collect(), p)).collect()
    });
    let words: Vec<&str> = bare.split('_').filter(|w| !w.is_empty()).collect();
    TOKENS
        .iter()
        .find(|(parts, _)| words.windows(parts.len()).any(|w| w == parts.as_slice()))
        .map(|(_, p)| EnvNameMatch::Token(p))
}

/// The provider with the longest value prefix that starts `value`
/// (case-sensitive), or `None` if no prefix matches. A hint, not proof.
pub fn for_value(value: &str) -> Option<&'static Provider> {
    PROVIDERS
        .iter()
        .flat_map(|p| p.value_prefixes.iter().map(move |prefix| (p, *prefix)))
        .filter(|(_, prefix)| value.starts_with(prefix))
        .max_by_key(|(_, prefix)| prefix.len())
        .map(|(p, _)| p)
}

/// Every canonical env var, alias and companion of every provider.
pub fn known_env_vars() -> impl Iterator<Item = &'static str> {
    PROVIDERS.iter().flat_map(|p| {
        std::iter::once(p.env_var)
            .filter(|v| !v.is_empty())
            .chain(p.aliases.iter().copied())
            .chain(p.companions.iter().copied())
    })
}

/// Whether `key_name` is one of the provider's companions (a different
/// credential than its key), ASCII case-insensitive.
pub fn is_companion(key_name: &str) -> bool {
    PROVIDERS.iter().any(|p| p.companions.iter().any(|c| c.eq_ignore_ascii_case(key_name)))
}

/// Upsert statement used by [`seed`]: inserts new providers, refreshes
/// registry columns only when one differs (so an unchanged row is never
/// written) and never touches `discovery_enabled` or `created_at` of an
/// existing row.
const SEED_SQL: &str = "\
INSERT INTO providers (id, display_name, homepage_url, docs_url, dashboard_url, \
                       api_base_url, dashboard_supported, discovery_enabled, \
                       created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?8)
ON CONFLICT(id) DO UPDATE SET
    display_name = excluded.display_name,
    homepage_url = excluded.homepage_url,
    docs_url = excluded.docs_url,
    dashboard_url = excluded.dashboard_url,
    api_base_url = excluded.api_base_url,
    dashboard_supported = excluded.dashboard_supported,
    updated_at = excluded.updated_at
WHERE providers.display_name IS NOT excluded.display_name
   OR providers.homepage_url IS NOT excluded.homepage_url
   OR providers.docs_url IS NOT excluded.docs_url
   OR providers.dashboard_url IS NOT excluded.dashboard_url
   OR providers.api_base_url IS NOT excluded.api_base_url
   OR providers.dashboard_supported IS NOT excluded.dashboard_supported";

/// Mirror every registry provider into the vault's `providers` table.
///
/// New providers are inserted with `discovery_enabled = 1`; existing rows are
/// updated (with `updated_at = now`) only when a registry column differs, so a
/// re-seed with an unchanged registry writes nothing. The user's
/// `discovery_enabled` choice is never overwritten. The caller wraps this in
/// a transaction.
pub(crate) fn seed(conn: &rusqlite::Connection, now: &str) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(SEED_SQL)?;
    let mut written = 0usize;
    for p in PROVIDERS {
        written += stmt.execute(rusqlite::params![
            p.id,
            p.display_name,
            p.homepage_url,
            p.docs_url,
            p.dashboard_url,
            p.api_base_url,
            p.dashboard_supported,
            now,
        ])?;
    }
    if written > 0 {
        tracing::debug!(written, "provider registry seeded");
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rusqlite::Connection;
    use std::collections::{HashMap, HashSet};

    fn real() -> impl Iterator<Item = &'static Provider> {
        all().iter().filter(|p| p.id != GENERIC_ID)
    }

    #[test]
    fn registry_has_required_providers() {
        assert!(real().count() >= 17, "only {} providers", real().count());
        for id in [
            "github",
            "openai",
            "anthropic",
            "stripe",
            "aws",
            "google_cloud",
            "azure_openai",
            "twilio",
            "sendgrid",
            "slack",
            "discord",
            "cloudflare",
            "vercel",
            "supabase",
            "huggingface",
            "replicate",
            "mapbox",
            // What real projects needed and the registry lacked.
            "clerk",
            "posthog",
            "tavily",
            "langsmith",
            "serpapi",
            "serper",
            "brave_search",
            "exa",
            "firecrawl",
            "perplexity",
            "together",
            "fireworks",
            "deepseek",
            "voyage",
            "elevenlabs",
            "deepgram",
            "neon",
            "mongodb_atlas",
            "upstash",
            "qdrant",
            "weaviate",
            "zilliz",
            "astra_db",
            "codecov",
            "inngest",
        ] {
            assert!(get(id).is_some(), "missing provider {id}");
        }
        assert_eq!(get("GitHub").map(|p| p.id), None, "get is exact");
    }

    #[test]
    fn ids_unique_snake_case_and_ordered() {
        let snake = regex::Regex::new(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$").unwrap();
        let mut seen = HashSet::new();
        for p in all() {
            assert!(snake.is_match(p.id), "id not snake_case: {}", p.id);
            assert!(seen.insert(p.id), "duplicate id {}", p.id);
        }
        assert_eq!(all()[0].id, GENERIC_ID, "generic must come first");
        let ids: Vec<&str> = all()[1..].iter().map(|p| p.id).collect();
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        assert_eq!(ids, sorted, "providers after generic must be sorted by id");
    }

    #[test]
    fn generic_is_inert() {
        let g = get(GENERIC_ID).unwrap();
        assert_eq!(g.display_name, "Unassigned");
        assert!(
            g.env_var.is_empty()
                && g.aliases.is_empty()
                && g.companions.is_empty()
                && g.value_prefixes.is_empty()
        );
        assert!(matches!(g.validation, Validation::Unverifiable { .. }));
        assert!(for_key_name("").is_none());
    }

    #[test]
    fn env_vars_well_formed_and_disjoint() {
        let re = regex::Regex::new(r"^[A-Z_][A-Z0-9_]*$").unwrap();
        let mut owner: HashMap<&str, &str> = HashMap::new();
        for p in real() {
            assert!(!p.env_var.is_empty(), "{} has no env var", p.id);
            let names = std::iter::once(p.env_var)
                .chain(p.aliases.iter().copied())
                .chain(p.companions.iter().copied());
            for name in names {
                assert!(re.is_match(name), "{}: bad env var {name}", p.id);
                if let Some(other) = owner.insert(name, p.id) {
                    panic!("{name} belongs to both {other} and {}", p.id);
                }
                assert_eq!(for_key_name(name).map(|p| p.id), Some(p.id), "{name}");
            }
        }
        let known: Vec<&str> = known_env_vars().collect();
        assert_eq!(known.len(), owner.len());
        assert!(known.iter().all(|k| owner.contains_key(k)));
    }

    #[test]
    fn name_tokens_are_upper_words_and_belong_to_one_provider() {
        let mut seen = std::collections::HashMap::new();
        for p in PROVIDERS {
            for t in p.name_tokens {
                assert!(
                    t.split('_')
                        .all(|w| !w.is_empty()
                            && w.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())),
                    "{t}"
                );
                assert!(seen.insert(*t, p.id).is_none(), "{t} belongs to two providers");
            }
        }
        assert!(get(GENERIC_ID).unwrap().name_tokens.is_empty());
    }

    #[test]
    fn a_projects_own_env_names_find_their_provider() {
        for (name, id) in [
            ("NEXT_PUBLIC_SUPABASE_ANON_KEY", "supabase"),
            ("VITE_OPENAI_API_KEY", "openai"),
            ("OPEN_AI_KEY", "openai"),
            ("NEXT_PRIVATE_STRIPE_API_KEY", "stripe"),
            ("STRIPE_PUBLISHABLE_KEY", "stripe"),
            ("XAI_LLM_API_KEY", "xai"),
            ("GOOGLE_GEMINI_API_KEY", "google_gemini"),
            ("GOOGLE_APPLICATION_CREDENTIALS", "google_cloud"),
            ("SLACK_CLIENT_SECRET", "slack"),
            ("AI_GATEWAY_API_KEY", "vercel"),
            ("BLOB_READ_WRITE_TOKEN", "vercel"),
            ("AZURE_OPENAI_KEY", "azure_openai"),
            ("supabase_private_key", "supabase"),
            ("NEXT_PUBLIC_POSTHOG_KEY", "posthog"),
            ("LANGCHAIN_API_KEY", "langsmith"),
            ("KV_REST_API_TOKEN", "upstash"),
            ("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "clerk"),
            ("MONGO_URI", "mongodb_atlas"),
            ("VITE_TAVILY_KEY", "tavily"),
            ("AI_AZURE_API_KEY", "azure_openai"),
            ("MYAPP_OPENAI_API_KEY", "openai"),
        ] {
            assert_eq!(for_env_name(name).map(|m| m.provider().id), Some(id), "{name}");
        }
        for name in [
            "MAX_TOKENS",
            "COOKIE_SECURE",
            "OPENAIR_KEY",
            "XAIVER_TOKEN",
            "NEXT_PUBLIC_",
            "",
            "MY_API_KEY",
            "A_B_C",
        ] {
            assert_eq!(for_env_name(name).map(|m| m.provider().id), None, "{name}");
        }
    }

    #[test]
    fn key_name_lookup() {
        assert_eq!(for_key_name("GH_TOKEN").map(|p| p.id), Some("github"));
        assert_eq!(for_key_name("gh_token").map(|p| p.id), Some("github"));
        assert_eq!(for_key_name("GITHUB_TOKEN").map(|p| p.id), Some("github"));
        assert_eq!(for_key_name("Anthropic_Api_Key").map(|p| p.id), Some("anthropic"));
        assert_eq!(for_key_name("STRIPE_KEY").map(|p| p.id), Some("stripe"));
        assert_eq!(for_key_name("AWS_ACCESS_KEY_ID").map(|p| p.id), Some("aws"));
        assert_eq!(for_key_name("GOOGLE_API_KEY").map(|p| p.id), Some("google_cloud"));
        assert_eq!(for_key_name("GEMINI_API_KEY").map(|p| p.id), Some("google_gemini"));
        assert!(for_key_name("MY_THING").is_none());
        assert!(for_key_name(" GH_TOKEN").is_none());
    }

    #[test]
    fn value_prefixes_unique_and_longest_wins() {
        let mut seen = HashMap::new();
        for p in all() {
            for prefix in p.value_prefixes {
                assert!(prefix.len() >= 3, "{}: prefix {prefix} too short", p.id);
                if let Some(other) = seen.insert(*prefix, p.id) {
                    panic!("prefix {prefix} belongs to both {other} and {}", p.id);
                }
            }
        }
        let id = |v: &str| for_value(v).map(|p| p.id);
        assert_eq!(id("sk-ant-api03-xxx"), Some("anthropic"));
        assert_eq!(id("sk-proj-abc"), Some("openai"));
        assert_eq!(id("sk-abc123"), Some("openai"));
        assert_eq!(id("sk-or-v1-abc"), Some("openrouter"));
        assert_eq!(id("sk_live_abc"), Some("stripe"));
        assert_eq!(id("github_pat_11ABC"), Some("github"));
        assert_eq!(id("ghp_abc"), Some("github"));
        assert_eq!(id("AKIAIOSFODNN7EXAMPLE"), Some("aws"));
        assert_eq!(id("AIzaSyExample"), Some("google_cloud"));
        assert_eq!(id("xoxb-123"), Some("slack"));
        assert_eq!(id("SG.abc.def"), Some("sendgrid"));
        assert_eq!(id("hf_abc"), Some("huggingface"));
        assert_eq!(id("r8_abc"), Some("replicate"));
        assert_eq!(id("pk.eyJ1IjoiZXhhbXBsZSJ9.sig"), Some("mapbox"));
        assert_eq!(id("plain-value"), None);
        assert_eq!(id(""), None);
        assert_eq!(id("SK-ANT-upper"), None, "prefixes are case-sensitive");
    }

    #[test]
    fn urls_are_https() {
        for p in all() {
            let mut urls = vec![p.homepage_url, p.docs_url];
            urls.extend(p.dashboard_url);
            urls.extend(p.api_base_url);
            if let Validation::Check(c) = p.validation {
                urls.push(c.url);
                urls.extend(c.credits.and_then(|k| k.url));
            }
            for url in urls {
                if p.id == GENERIC_ID && url.is_empty() {
                    continue;
                }
                assert!(url.starts_with("https://"), "{}: {url}", p.id);
                assert!(!url.contains(' '), "{}: {url}", p.id);
            }
        }
    }

    #[test]
    fn metadata_complete() {
        let mut names = HashMap::new();
        let mut domains = HashMap::new();
        for p in real() {
            assert!(!p.display_name.is_empty() && !p.homepage_url.is_empty());
            assert!(!p.docs_url.is_empty(), "{}", p.id);
            assert!(!p.markdown_names.is_empty(), "{}: no markdown names", p.id);
            assert!(!p.domains.is_empty(), "{}: no domains", p.id);
            for n in p.markdown_names {
                // One provider may spell its name two ways (GitLab, Gitlab);
                // two providers never share one, in any case.
                let key = n.to_ascii_lowercase();
                match names.insert(key, p.id) {
                    Some(other) if other != p.id => {
                        panic!("markdown name {n} belongs to both {other} and {}", p.id)
                    }
                    _ => {}
                }
            }
            for d in p.domains {
                assert!(!d.contains('/') && !d.starts_with('.') && d.contains('.'));
                if let Some(other) = domains.insert(*d, p.id) {
                    panic!("domain {d} belongs to both {other} and {}", p.id);
                }
            }
            match p.validation {
                Validation::Check(c) => {
                    // The two read-only POSTs by design; everything else a GET.
                    let post_ok = matches!(p.id, "slack" | "aws");
                    assert!(c.method == "GET" || (post_ok && c.method == "POST"), "{}: {}", p.id, c.method);
                    assert!(!api_hosts(p).is_empty() || c.needs_endpoint, "{}: no API host", p.id);
                    assert_eq!(
                        c.url.contains("{COMPANION}"),
                        c.companion.is_some() && c.url.contains('{'),
                        "{}",
                        p.id
                    );
                    if let Some(comp) = c.companion {
                        assert!(p.companions.contains(&comp), "{}: companion {comp} not in companions", p.id);
                    }
                    if let Some(url) = c.credits.and_then(|k| k.url) {
                        // A second request for credits goes where the check may go.
                        let host = url.trim_start_matches("https://").split('/').next().unwrap_or("");
                        assert!(
                            api_hosts(p).contains(&host),
                            "{}: credits host {host} not allowlisted",
                            p.id
                        );
                        assert!(!url.contains('{') || c.companion.is_some(), "{}: {url}", p.id);
                    }
                }
                Validation::Unverifiable { reason } => {
                    assert!(reason.len() > 20 && reason.ends_with('.'), "{}: {reason}", p.id);
                }
            }
        }
        for p in all() {
            assert!((3..=6).contains(&p.playbook.len()), "{}: playbook has {} steps", p.id, p.playbook.len());
            assert!(p.playbook.iter().all(|s| !s.is_empty()));
        }
    }

    #[test]
    fn spec_facts() {
        let gh = get("github").unwrap();
        assert_eq!(gh.env_var, "GITHUB_TOKEN");
        for a in ["GH_TOKEN", "GITHUB_PAT", "GH_PAT"] {
            assert!(gh.aliases.contains(&a));
        }
        for pre in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"] {
            assert!(gh.value_prefixes.contains(&pre));
        }
        let check = |id: &str| match get(id).unwrap().validation {
            Validation::Check(c) => c,
            Validation::Unverifiable { .. } => panic!("{id} has a check"),
        };
        let c = check("github");
        assert_eq!((c.method, c.url, c.auth), ("GET", "https://api.github.com/user", AuthStyle::Bearer));
        let c = check("anthropic");
        assert_eq!((c.url, c.auth), ("https://api.anthropic.com/v1/models", AuthStyle::Header("x-api-key")));
        assert_eq!(c.headers, &[("anthropic-version", "2023-06-01")]);
        assert_eq!(check("stripe").auth, AuthStyle::Basic);
        let aws = check("aws");
        assert_eq!((aws.auth, aws.companion), (AuthStyle::AwsSigV4, Some("AWS_ACCESS_KEY_ID")));
        assert!(check("azure_openai").needs_endpoint);
        assert!(matches!(check("slack").verdict, Verdict::JsonField { pointer: "/ok", .. }));
        assert_eq!(api_hosts(get("github").unwrap()), ["api.github.com"]);
        assert!(api_hosts(get("azure_openai").unwrap()).is_empty(), "no placeholder host is allowlisted");
    }

    #[test]
    fn serializes_with_tagged_validation() {
        let v = serde_json::to_value(get("anthropic").unwrap()).unwrap();
        assert_eq!(v["id"], "anthropic");
        assert_eq!(v["validation"]["kind"], "check");
        assert_eq!(v["validation"]["method"], "GET");
        assert_eq!(v["validation"]["auth"]["header"], "x-api-key");
        let v = serde_json::to_value(get("github").unwrap()).unwrap();
        assert_eq!(v["validation"]["auth"], "bearer");
        let v = serde_json::to_value(get("perplexity").unwrap()).unwrap();
        assert_eq!(v["validation"]["kind"], "unverifiable");
        assert!(v["validation"]["reason"].as_str().unwrap().contains("paid"));
        let v = serde_json::to_value(get("aws").unwrap()).unwrap();
        assert_eq!(
            v["dashboard_url"],
            serde_json::json!("https://console.aws.amazon.com/iam/home#/security_credentials")
        );
        assert!(v["api_base_url"].is_null());
    }

    fn test_db() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE providers (
                id TEXT PRIMARY KEY,
                display_name TEXT NOT NULL,
                homepage_url TEXT NOT NULL,
                docs_url TEXT NOT NULL,
                dashboard_url TEXT,
                api_base_url TEXT,
                dashboard_supported INTEGER NOT NULL DEFAULT 0,
                discovery_enabled INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            ) STRICT;",
        )
        .unwrap();
        conn
    }

    fn row(conn: &Connection, id: &str) -> (String, i64, String, String) {
        conn.query_row(
            "SELECT display_name, discovery_enabled, created_at, updated_at
             FROM providers WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    }

    #[test]
    fn seed_inserts_every_provider() {
        let conn = test_db();
        seed(&conn, "2025-01-01T00:00:00Z").unwrap();
        let n: i64 = conn.query_row("SELECT count(*) FROM providers", [], |r| r.get(0)).unwrap();
        assert_eq!(usize::try_from(n).unwrap(), all().len());
        let (name, discovery, created, updated) = row(&conn, "github");
        assert_eq!(name, "GitHub");
        assert_eq!(discovery, 1);
        assert_eq!(created, "2025-01-01T00:00:00Z");
        assert_eq!(updated, created);
        let (dash, base, supported): (Option<String>, Option<String>, i64) = conn
            .query_row(
                "SELECT dashboard_url, api_base_url, dashboard_supported
                 FROM providers WHERE id = 'aws'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert!(dash.is_some());
        assert_eq!(base, None);
        assert_eq!(supported, 0);
        assert_eq!(row(&conn, GENERIC_ID).0, "Unassigned");
    }

    #[test]
    fn reseed_is_a_no_op() {
        let conn = test_db();
        seed(&conn, "2025-01-01T00:00:00Z").unwrap();
        let before = conn.total_changes();
        seed(&conn, "2025-02-01T00:00:00Z").unwrap();
        assert_eq!(conn.total_changes(), before, "unchanged re-seed wrote rows");
        let (_, _, _, updated) = row(&conn, "openai");
        assert_eq!(updated, "2025-01-01T00:00:00Z");
    }

    #[test]
    fn reseed_does_not_touch_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE providers (
                id TEXT PRIMARY KEY, display_name TEXT NOT NULL,
                homepage_url TEXT NOT NULL, docs_url TEXT NOT NULL,
                dashboard_url TEXT, api_base_url TEXT,
                dashboard_supported INTEGER NOT NULL DEFAULT 0,
                discovery_enabled INTEGER NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL);",
        )
        .unwrap();
        let seed_tx = |now: &str| {
            let tx = conn.unchecked_transaction().unwrap();
            seed(&tx, now).unwrap();
            tx.commit().unwrap();
        };
        seed_tx("2025-01-01T00:00:00Z");
        // `data_version` seen by another connection changes only when a
        // commit actually modified the database file.
        let probe = Connection::open(&path).unwrap();
        let version = || -> i64 { probe.query_row("PRAGMA data_version", [], |r| r.get(0)).unwrap() };
        let v0 = version();
        seed_tx("2025-02-01T00:00:00Z");
        assert_eq!(version(), v0, "no-op re-seed modified the file");
        conn.execute("UPDATE providers SET display_name = 'x' WHERE id = 'npm'", []).unwrap();
        seed_tx("2025-03-01T00:00:00Z");
        assert_ne!(version(), v0, "probe must see real writes");
    }

    #[test]
    fn reseed_restores_tampered_row_only() {
        let conn = test_db();
        seed(&conn, "2025-01-01T00:00:00Z").unwrap();
        conn.execute(
            "UPDATE providers SET display_name = 'Evil', api_base_url = 'https://evil.example'
             WHERE id = 'github'",
            [],
        )
        .unwrap();
        conn.execute("DELETE FROM providers WHERE id = 'stripe'", []).unwrap();
        let before = conn.total_changes();
        seed(&conn, "2025-02-01T00:00:00Z").unwrap();
        assert_eq!(conn.total_changes() - before, 2, "exactly the tampered and the missing row are written");
        let (name, _, created, updated) = row(&conn, "github");
        assert_eq!(name, "GitHub");
        assert_eq!(created, "2025-01-01T00:00:00Z");
        assert_eq!(updated, "2025-02-01T00:00:00Z");
        let base: Option<String> = conn
            .query_row("SELECT api_base_url FROM providers WHERE id = 'github'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(base.as_deref(), Some("https://api.github.com"));
        assert_eq!(row(&conn, "stripe").2, "2025-02-01T00:00:00Z");
        assert_eq!(row(&conn, "openai").3, "2025-01-01T00:00:00Z");
    }

    #[test]
    fn reseed_keeps_user_discovery_choice() {
        let conn = test_db();
        seed(&conn, "2025-01-01T00:00:00Z").unwrap();
        conn.execute("UPDATE providers SET discovery_enabled = 0 WHERE id IN ('slack', 'github')", [])
            .unwrap();
        // Also force an update of one of them: the choice must survive both
        // the no-op path and the update path.
        conn.execute("UPDATE providers SET docs_url = 'https://old.example' WHERE id = 'github'", [])
            .unwrap();
        seed(&conn, "2025-02-01T00:00:00Z").unwrap();
        assert_eq!(row(&conn, "slack").1, 0);
        assert_eq!(row(&conn, "github").1, 0);
        assert_eq!(row(&conn, "github").3, "2025-02-01T00:00:00Z");
        assert_eq!(row(&conn, "openai").1, 1);
    }
}

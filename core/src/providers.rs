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
//! - [`Validation::Endpoint`] only says which request proves a key valid by a
//!   2xx status. A few providers also need a fixed, non-secret header the
//!   validation feature must add: Anthropic (`anthropic-version: 2023-06-01`),
//!   Notion (`Notion-Version: 2022-06-28`) and Postmark
//!   (`Accept: application/json`). Providers whose API answers 2xx to invalid
//!   credentials (Slack's `auth.test` answers `200 {"ok": false}`), needs a
//!   second credential (Twilio's account SID, AWS SigV4) or a per-resource
//!   host (Azure OpenAI, Supabase) are [`Validation::Unverifiable`].
//! - Endpoints that are region-bound use the default region (Datadog US1).

use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// How a key of this provider can be checked online (used by a later feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Validation {
    /// A safe, read-only endpoint that answers 2xx for a valid key.
    Endpoint {
        /// HTTP method; always a safe one (`GET`).
        method: &'static str,
        /// Absolute `https://` URL of the endpoint.
        url: &'static str,
        /// How the key is attached to the request.
        auth: AuthStyle,
    },
    /// No safe endpoint exists.
    Unverifiable,
}

/// How a key is attached to a validation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthStyle {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// HTTP Basic auth with the key as user name and an empty password.
    Basic,
    /// The key as the value of the named header, e.g. `x-api-key`.
    Header(&'static str),
    /// The key as the value of the named query parameter.
    Query(&'static str),
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
    /// Whether the dashboard can read usage, quota or rate-limit data for a
    /// key through the provider's API with that key alone.
    pub dashboard_supported: bool,
    /// Offline onboarding: how to create a key, 3–6 short steps.
    pub playbook: &'static [&'static str],
}

/// Id of the catch-all provider ("Unassigned").
pub const GENERIC_ID: &str = "generic";

const fn get_bearer(url: &'static str) -> Validation {
    Validation::Endpoint { method: "GET", url, auth: AuthStyle::Bearer }
}

const fn get_with(url: &'static str, auth: AuthStyle) -> Validation {
    Validation::Endpoint { method: "GET", url, auth }
}

/// The registry: `generic` first, then alphabetical by id.
static PROVIDERS: &[Provider] = &[
    Provider {
        id: GENERIC_ID,
        display_name: "Unassigned",
        homepage_url: "",
        docs_url: "",
        dashboard_url: None,
        api_base_url: None,
        env_var: "",
        aliases: &[],
        companions: &[],
        name_tokens: &[],
        value_prefixes: &[],
        markdown_names: &[],
        domains: &[],
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Open the service's account or developer settings.",
            "Create an API key or access token with the narrowest scope that works.",
            "Copy it once and add it to KeyClave under its env var name.",
            "Assign it to a provider later if the service becomes known.",
        ],
    },
    Provider {
        id: "anthropic",
        display_name: "Anthropic",
        homepage_url: "https://www.anthropic.com",
        docs_url: "https://docs.anthropic.com/en/api/overview",
        dashboard_url: Some("https://console.anthropic.com/settings/keys"),
        api_base_url: Some("https://api.anthropic.com"),
        env_var: "ANTHROPIC_API_KEY",
        aliases: &["ANTHROPIC_KEY", "CLAUDE_API_KEY"],
        companions: &[],
        name_tokens: &["ANTHROPIC", "CLAUDE"],
        value_prefixes: &["sk-ant-"],
        markdown_names: &["Anthropic", "Anthropic API", "Claude", "Claude API"],
        domains: &["anthropic.com", "api.anthropic.com", "console.anthropic.com"],
        validation: get_with("https://api.anthropic.com/v1/models", AuthStyle::Header("x-api-key")),
        dashboard_supported: false,
        playbook: &[
            "Sign in at console.anthropic.com.",
            "Open Settings > API Keys and click Create Key.",
            "Pick the workspace and name the key.",
            "Copy the sk-ant-… value (shown once) into KeyClave as ANTHROPIC_API_KEY.",
            "Add credits or a spend limit under Billing / Limits.",
        ],
    },
    Provider {
        id: "aws",
        display_name: "Amazon Web Services",
        homepage_url: "https://aws.amazon.com",
        docs_url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        dashboard_url: Some("https://console.aws.amazon.com/iam/home#/security_credentials"),
        api_base_url: None,
        env_var: "AWS_SECRET_ACCESS_KEY",
        aliases: &["AWS_SECRET_KEY"],
        companions: &["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"],
        name_tokens: &["AWS"],
        value_prefixes: &["AKIA", "ASIA"],
        markdown_names: &["AWS", "Amazon Web Services", "Amazon S3"],
        domains: &["aws.amazon.com", "amazonaws.com", "console.aws.amazon.com"],
        // Requests must be SigV4-signed with the key id and secret together.
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Sign in to the AWS console and open IAM.",
            "Prefer a dedicated IAM user (or IAM Identity Center) with a least-privilege policy.",
            "Open the user's Security credentials tab and choose Create access key.",
            "Copy the access key id (AKIA…) and the secret access key (shown once).",
            "Store them as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.",
        ],
    },
    Provider {
        id: "azure_openai",
        display_name: "Azure OpenAI",
        homepage_url: "https://azure.microsoft.com/en-us/products/ai-services/openai-service",
        docs_url: "https://learn.microsoft.com/en-us/azure/ai-services/openai/",
        dashboard_url: Some("https://portal.azure.com/"),
        // Per resource: https://<resource>.openai.azure.com
        api_base_url: None,
        env_var: "AZURE_OPENAI_API_KEY",
        aliases: &["AZURE_OPENAI_KEY", "AZURE_API_KEY"],
        companions: &[],
        name_tokens: &["AZURE_OPENAI", "AZURE_OPEN_AI", "AOAI"],
        value_prefixes: &[],
        markdown_names: &["Azure OpenAI", "Azure OpenAI Service"],
        domains: &["openai.azure.com", "azure.microsoft.com", "portal.azure.com"],
        // The endpoint host depends on the user's resource name.
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Sign in to the Azure portal.",
            "Create (or open) an Azure OpenAI resource and deploy a model.",
            "Open Resource Management > Keys and Endpoint.",
            "Copy KEY 1 into KeyClave as AZURE_OPENAI_API_KEY and note the endpoint URL.",
        ],
    },
    Provider {
        id: "cloudflare",
        display_name: "Cloudflare",
        homepage_url: "https://www.cloudflare.com",
        docs_url: "https://developers.cloudflare.com/fundamentals/api/get-started/create-token/",
        dashboard_url: Some("https://dash.cloudflare.com/profile/api-tokens"),
        api_base_url: Some("https://api.cloudflare.com/client/v4"),
        env_var: "CLOUDFLARE_API_TOKEN",
        aliases: &["CF_API_TOKEN"],
        companions: &["CLOUDFLARE_API_KEY", "CF_API_KEY"],
        name_tokens: &["CLOUDFLARE"],
        value_prefixes: &[],
        markdown_names: &["Cloudflare", "Cloudflare API", "Cloudflare Workers"],
        domains: &[
            "cloudflare.com",
            "api.cloudflare.com",
            "dash.cloudflare.com",
            "developers.cloudflare.com",
        ],
        validation: get_bearer("https://api.cloudflare.com/client/v4/user/tokens/verify"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at dash.cloudflare.com.",
            "Open My Profile > API Tokens and click Create Token.",
            "Start from a template and limit permissions and zones.",
            "Copy the token (shown once) into KeyClave as CLOUDFLARE_API_TOKEN.",
        ],
    },
    Provider {
        id: "cohere",
        display_name: "Cohere",
        homepage_url: "https://cohere.com",
        docs_url: "https://docs.cohere.com",
        dashboard_url: Some("https://dashboard.cohere.com/api-keys"),
        api_base_url: Some("https://api.cohere.com"),
        env_var: "COHERE_API_KEY",
        aliases: &["CO_API_KEY"],
        companions: &[],
        name_tokens: &["COHERE"],
        value_prefixes: &[],
        markdown_names: &["Cohere", "Cohere API"],
        domains: &["cohere.com", "api.cohere.com", "dashboard.cohere.com"],
        validation: get_bearer("https://api.cohere.com/v1/models"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at dashboard.cohere.com.",
            "Open API Keys.",
            "Create a trial or production key and name it.",
            "Copy it into KeyClave as COHERE_API_KEY.",
        ],
    },
    Provider {
        id: "datadog",
        display_name: "Datadog",
        homepage_url: "https://www.datadoghq.com",
        docs_url: "https://docs.datadoghq.com/account_management/api-app-keys/",
        dashboard_url: Some("https://app.datadoghq.com/organization-settings/api-keys"),
        api_base_url: Some("https://api.datadoghq.com"),
        env_var: "DD_API_KEY",
        aliases: &["DATADOG_API_KEY"],
        companions: &["DD_APP_KEY", "DD_APPLICATION_KEY", "DATADOG_APP_KEY"],
        name_tokens: &["DATADOG", "DD"],
        value_prefixes: &[],
        markdown_names: &["Datadog", "Datadog API"],
        domains: &["datadoghq.com", "app.datadoghq.com", "api.datadoghq.com"],
        // US1 site; other sites use their own host (datadoghq.eu, …).
        validation: get_with("https://api.datadoghq.com/api/v1/validate", AuthStyle::Header("DD-API-KEY")),
        dashboard_supported: false,
        playbook: &[
            "Sign in to Datadog (on your site, e.g. app.datadoghq.com).",
            "Open Organization Settings > API Keys and click New Key.",
            "Name the key and copy it into KeyClave as DD_API_KEY.",
            "Create an application key under Application Keys if the API calls need one (DD_APP_KEY).",
        ],
    },
    Provider {
        id: "digitalocean",
        display_name: "DigitalOcean",
        homepage_url: "https://www.digitalocean.com",
        docs_url: "https://docs.digitalocean.com/reference/api/create-personal-access-token/",
        dashboard_url: Some("https://cloud.digitalocean.com/account/api/tokens"),
        api_base_url: Some("https://api.digitalocean.com/v2"),
        env_var: "DIGITALOCEAN_ACCESS_TOKEN",
        aliases: &["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_API_TOKEN"],
        companions: &[],
        name_tokens: &["DIGITALOCEAN", "DIGITAL_OCEAN"],
        value_prefixes: &["dop_v1_", "doo_v1_", "dor_v1_"],
        markdown_names: &["DigitalOcean", "DigitalOcean API"],
        domains: &["digitalocean.com", "cloud.digitalocean.com", "api.digitalocean.com"],
        validation: get_bearer("https://api.digitalocean.com/v2/account"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at cloud.digitalocean.com.",
            "Open API > Tokens and click Generate New Token.",
            "Set a name, an expiration and custom scopes.",
            "Copy the dop_v1_… token (shown once) into KeyClave as DIGITALOCEAN_ACCESS_TOKEN.",
        ],
    },
    Provider {
        id: "discord",
        display_name: "Discord",
        homepage_url: "https://discord.com",
        docs_url: "https://discord.com/developers/docs/intro",
        dashboard_url: Some("https://discord.com/developers/applications"),
        api_base_url: Some("https://discord.com/api/v10"),
        env_var: "DISCORD_BOT_TOKEN",
        aliases: &["DISCORD_TOKEN"],
        companions: &[],
        name_tokens: &["DISCORD"],
        value_prefixes: &[],
        markdown_names: &["Discord", "Discord API", "Discord bot"],
        domains: &["discord.com", "discordapp.com"],
        // Bot tokens need `Authorization: Bot <token>`, which no AuthStyle
        // expresses.
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Open the Discord Developer Portal and create an application.",
            "Open the Bot page of the application.",
            "Click Reset Token and copy the token (shown once).",
            "Store it in KeyClave as DISCORD_BOT_TOKEN.",
            "Invite the bot with an OAuth2 URL that grants only the needed permissions.",
        ],
    },
    Provider {
        id: "github",
        display_name: "GitHub",
        homepage_url: "https://github.com",
        docs_url: "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens",
        dashboard_url: Some("https://github.com/settings/tokens"),
        api_base_url: Some("https://api.github.com"),
        env_var: "GITHUB_TOKEN",
        aliases: &["GH_TOKEN", "GITHUB_PAT", "GH_PAT", "GITHUB_ACCESS_TOKEN"],
        companions: &[],
        name_tokens: &["GITHUB", "GH"],
        value_prefixes: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        markdown_names: &["GitHub", "GitHub API"],
        domains: &["github.com", "api.github.com"],
        validation: get_bearer("https://api.github.com/user"),
        // GET /rate_limit reports the key's quota.
        dashboard_supported: true,
        playbook: &[
            "Sign in at github.com and open Settings > Developer settings.",
            "Choose Personal access tokens > Fine-grained tokens > Generate new token.",
            "Pick an expiration, the repositories and the minimum permissions.",
            "Copy the github_pat_… token (shown once) into KeyClave as GITHUB_TOKEN.",
        ],
    },
    Provider {
        id: "gitlab",
        display_name: "GitLab",
        homepage_url: "https://about.gitlab.com",
        docs_url: "https://docs.gitlab.com/user/profile/personal_access_tokens/",
        dashboard_url: Some("https://gitlab.com/-/user_settings/personal_access_tokens"),
        api_base_url: Some("https://gitlab.com/api/v4"),
        env_var: "GITLAB_TOKEN",
        aliases: &["GITLAB_ACCESS_TOKEN", "GITLAB_PAT", "GITLAB_PRIVATE_TOKEN"],
        companions: &[],
        name_tokens: &["GITLAB"],
        value_prefixes: &["glpat-", "gldt-", "glrt-", "glptt-", "gloas-"],
        markdown_names: &["GitLab", "GitLab API"],
        domains: &["gitlab.com", "about.gitlab.com", "docs.gitlab.com"],
        // gitlab.com only; self-managed instances have their own host.
        validation: get_bearer("https://gitlab.com/api/v4/user"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at gitlab.com (or your instance).",
            "Open Edit profile > Personal access tokens and add a new token.",
            "Set a name, an expiry date and the minimum scopes (e.g. read_api).",
            "Copy the glpat-… token (shown once) into KeyClave as GITLAB_TOKEN.",
        ],
    },
    Provider {
        id: "google_cloud",
        display_name: "Google Cloud",
        homepage_url: "https://cloud.google.com",
        docs_url: "https://cloud.google.com/docs/authentication/api-keys",
        dashboard_url: Some("https://console.cloud.google.com/apis/credentials"),
        api_base_url: None,
        env_var: "GOOGLE_API_KEY",
        aliases: &["GOOGLE_CLOUD_API_KEY", "GCP_API_KEY", "GOOGLE_MAPS_API_KEY"],
        companions: &[],
        name_tokens: &["GOOGLE", "GCP", "GCLOUD"],
        value_prefixes: &["AIza"],
        markdown_names: &["Google Cloud", "Google Cloud Platform", "GCP", "Google Maps Platform"],
        domains: &["cloud.google.com", "console.cloud.google.com", "googleapis.com"],
        // An API key is valid only for the APIs enabled on its project; there
        // is no API-independent read-only check.
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Open the Google Cloud console and select (or create) a project.",
            "Enable the APIs the project needs under APIs & Services > Library.",
            "Open APIs & Services > Credentials > Create credentials > API key.",
            "Restrict the key to those APIs (and to your apps or IPs).",
            "Copy the AIza… key into KeyClave as GOOGLE_API_KEY.",
        ],
    },
    Provider {
        id: "google_gemini",
        display_name: "Google Gemini API",
        homepage_url: "https://ai.google.dev",
        docs_url: "https://ai.google.dev/gemini-api/docs/api-key",
        dashboard_url: Some("https://aistudio.google.com/app/apikey"),
        api_base_url: Some("https://generativelanguage.googleapis.com"),
        env_var: "GEMINI_API_KEY",
        aliases: &["GOOGLE_GENERATIVE_AI_API_KEY"],
        companions: &[],
        name_tokens: &["GEMINI", "GOOGLE_GEMINI", "GOOGLE_AI", "GOOGLE_GENERATIVE_AI"],
        // Gemini keys are Google Cloud API keys (`AIza…`): the prefix is
        // owned by `google_cloud`.
        value_prefixes: &[],
        markdown_names: &["Gemini", "Gemini API", "Google AI Studio"],
        domains: &["ai.google.dev", "aistudio.google.com", "generativelanguage.googleapis.com"],
        validation: get_with(
            "https://generativelanguage.googleapis.com/v1beta/models",
            AuthStyle::Header("x-goog-api-key"),
        ),
        dashboard_supported: false,
        playbook: &[
            "Sign in to Google AI Studio (aistudio.google.com).",
            "Open Get API key and click Create API key.",
            "Pick or create the Google Cloud project that will own it.",
            "Copy the key into KeyClave as GEMINI_API_KEY.",
        ],
    },
    Provider {
        id: "groq",
        display_name: "Groq",
        homepage_url: "https://groq.com",
        docs_url: "https://console.groq.com/docs/quickstart",
        dashboard_url: Some("https://console.groq.com/keys"),
        api_base_url: Some("https://api.groq.com/openai/v1"),
        env_var: "GROQ_API_KEY",
        aliases: &[],
        companions: &[],
        name_tokens: &["GROQ"],
        value_prefixes: &["gsk_"],
        markdown_names: &["Groq", "GroqCloud"],
        domains: &["groq.com", "console.groq.com", "api.groq.com"],
        validation: get_bearer("https://api.groq.com/openai/v1/models"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at console.groq.com.",
            "Open API Keys and click Create API Key.",
            "Copy the gsk_… key (shown once) into KeyClave as GROQ_API_KEY.",
        ],
    },
    Provider {
        id: "huggingface",
        display_name: "Hugging Face",
        homepage_url: "https://huggingface.co",
        docs_url: "https://huggingface.co/docs/hub/security-tokens",
        dashboard_url: Some("https://huggingface.co/settings/tokens"),
        api_base_url: Some("https://huggingface.co/api"),
        env_var: "HF_TOKEN",
        aliases: &[
            "HUGGING_FACE_HUB_TOKEN",
            "HUGGINGFACE_TOKEN",
            "HUGGINGFACEHUB_API_TOKEN",
            "HF_API_TOKEN",
            "HUGGINGFACE_API_KEY",
        ],
        companions: &[],
        name_tokens: &["HUGGINGFACE", "HUGGING_FACE", "HF"],
        value_prefixes: &["hf_"],
        markdown_names: &["Hugging Face", "HuggingFace", "Hugging Face Hub"],
        domains: &["huggingface.co", "hf.co"],
        validation: get_bearer("https://huggingface.co/api/whoami-v2"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at huggingface.co.",
            "Open Settings > Access Tokens and click Create new token.",
            "Choose a fine-grained or read token with the minimum permissions.",
            "Copy the hf_… token into KeyClave as HF_TOKEN.",
        ],
    },
    Provider {
        id: "mapbox",
        display_name: "Mapbox",
        homepage_url: "https://www.mapbox.com",
        docs_url: "https://docs.mapbox.com/help/getting-started/access-tokens/",
        dashboard_url: Some("https://account.mapbox.com/access-tokens/"),
        api_base_url: Some("https://api.mapbox.com"),
        env_var: "MAPBOX_ACCESS_TOKEN",
        aliases: &["MAPBOX_TOKEN", "MAPBOX_API_KEY"],
        companions: &["MAPBOX_SECRET_TOKEN", "MAPBOX_DOWNLOADS_TOKEN"],
        name_tokens: &["MAPBOX"],
        value_prefixes: &["pk.eyJ", "sk.eyJ", "tk.eyJ"],
        markdown_names: &["Mapbox", "Mapbox GL", "Mapbox API"],
        domains: &["mapbox.com", "api.mapbox.com", "account.mapbox.com", "docs.mapbox.com"],
        // Retrieve-a-token: 200 for a live token, 401 for a deleted one.
        validation: get_with("https://api.mapbox.com/tokens/v2", AuthStyle::Query("access_token")),
        dashboard_supported: false,
        playbook: &[
            "Sign in at account.mapbox.com.",
            "Open Access tokens and click Create a token.",
            "Select only the scopes and URL restrictions the app needs.",
            "Copy the pk.… or sk.… token (secret tokens are shown once) into KeyClave as MAPBOX_ACCESS_TOKEN.",
        ],
    },
    Provider {
        id: "mistral",
        display_name: "Mistral AI",
        homepage_url: "https://mistral.ai",
        docs_url: "https://docs.mistral.ai",
        dashboard_url: Some("https://console.mistral.ai/api-keys"),
        api_base_url: Some("https://api.mistral.ai/v1"),
        env_var: "MISTRAL_API_KEY",
        aliases: &[],
        companions: &[],
        name_tokens: &["MISTRAL"],
        value_prefixes: &[],
        markdown_names: &["Mistral", "Mistral AI", "La Plateforme"],
        domains: &["mistral.ai", "api.mistral.ai", "console.mistral.ai", "docs.mistral.ai"],
        validation: get_bearer("https://api.mistral.ai/v1/models"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at console.mistral.ai.",
            "Choose a plan for the workspace if none is active.",
            "Open API Keys and click Create new key.",
            "Copy the key (shown once) into KeyClave as MISTRAL_API_KEY.",
        ],
    },
    Provider {
        id: "netlify",
        display_name: "Netlify",
        homepage_url: "https://www.netlify.com",
        docs_url: "https://docs.netlify.com/api/get-started/",
        dashboard_url: Some("https://app.netlify.com/user/applications"),
        api_base_url: Some("https://api.netlify.com/api/v1"),
        env_var: "NETLIFY_AUTH_TOKEN",
        aliases: &["NETLIFY_TOKEN", "NETLIFY_API_TOKEN"],
        companions: &[],
        name_tokens: &["NETLIFY"],
        value_prefixes: &[],
        markdown_names: &["Netlify", "Netlify API"],
        domains: &["netlify.com", "app.netlify.com", "api.netlify.com"],
        validation: get_bearer("https://api.netlify.com/api/v1/user"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at app.netlify.com.",
            "Open User settings > Applications > Personal access tokens.",
            "Click New access token, set a description and an expiration.",
            "Copy the token (shown once) into KeyClave as NETLIFY_AUTH_TOKEN.",
        ],
    },
    Provider {
        id: "notion",
        display_name: "Notion",
        homepage_url: "https://www.notion.com",
        docs_url: "https://developers.notion.com/docs/authorization",
        dashboard_url: Some("https://www.notion.so/my-integrations"),
        api_base_url: Some("https://api.notion.com/v1"),
        env_var: "NOTION_API_KEY",
        aliases: &["NOTION_TOKEN", "NOTION_INTEGRATION_TOKEN"],
        companions: &[],
        name_tokens: &["NOTION"],
        value_prefixes: &["ntn_"],
        markdown_names: &["Notion", "Notion API"],
        domains: &["notion.com", "notion.so", "api.notion.com", "developers.notion.com"],
        // Also needs the `Notion-Version` header.
        validation: get_bearer("https://api.notion.com/v1/users/me"),
        dashboard_supported: false,
        playbook: &[
            "Open notion.so/my-integrations and create a new internal integration.",
            "Pick the workspace and the capabilities it needs.",
            "Copy the Internal Integration Secret (ntn_…) into KeyClave as NOTION_API_KEY.",
            "Share the pages or databases the integration may access with it.",
        ],
    },
    Provider {
        id: "npm",
        display_name: "npm",
        homepage_url: "https://www.npmjs.com",
        docs_url: "https://docs.npmjs.com/about-access-tokens",
        // The tokens page lives under the user name: /settings/<user>/tokens.
        dashboard_url: None,
        api_base_url: Some("https://registry.npmjs.org"),
        env_var: "NPM_TOKEN",
        aliases: &["NODE_AUTH_TOKEN", "NPM_AUTH_TOKEN"],
        companions: &[],
        name_tokens: &["NPM"],
        value_prefixes: &["npm_"],
        markdown_names: &["npm registry", "npmjs"],
        domains: &["npmjs.com", "registry.npmjs.org", "docs.npmjs.com"],
        validation: get_bearer("https://registry.npmjs.org/-/whoami"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at npmjs.com.",
            "Open your avatar menu > Access Tokens > Generate New Token.",
            "Prefer a granular token limited to the packages and an expiry.",
            "Copy the npm_… token (shown once) into KeyClave as NPM_TOKEN.",
        ],
    },
    Provider {
        id: "openai",
        display_name: "OpenAI",
        homepage_url: "https://openai.com",
        docs_url: "https://platform.openai.com/docs/api-reference/authentication",
        dashboard_url: Some("https://platform.openai.com/api-keys"),
        api_base_url: Some("https://api.openai.com/v1"),
        env_var: "OPENAI_API_KEY",
        aliases: &["OPENAI_KEY"],
        companions: &["OPENAI_ADMIN_KEY"],
        name_tokens: &["OPENAI", "OPEN_AI"],
        value_prefixes: &["sk-", "sk-proj-", "sk-svcacct-", "sk-admin-"],
        markdown_names: &["OpenAI", "OpenAI API"],
        domains: &["openai.com", "api.openai.com", "platform.openai.com"],
        validation: get_bearer("https://api.openai.com/v1/models"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at platform.openai.com.",
            "Select the organization and project, then open API keys.",
            "Click Create new secret key and restrict its permissions if possible.",
            "Copy the sk-proj-… key (shown once) into KeyClave as OPENAI_API_KEY.",
            "Set usage limits under Settings > Limits.",
        ],
    },
    Provider {
        id: "openrouter",
        display_name: "OpenRouter",
        homepage_url: "https://openrouter.ai",
        docs_url: "https://openrouter.ai/docs/api-reference/authentication",
        dashboard_url: Some("https://openrouter.ai/settings/keys"),
        api_base_url: Some("https://openrouter.ai/api/v1"),
        env_var: "OPENROUTER_API_KEY",
        aliases: &[],
        companions: &[],
        name_tokens: &["OPENROUTER", "OPEN_ROUTER"],
        value_prefixes: &["sk-or-"],
        markdown_names: &["OpenRouter"],
        domains: &["openrouter.ai"],
        validation: get_bearer("https://openrouter.ai/api/v1/key"),
        // GET /api/v1/key reports usage and the credit limit of the key.
        dashboard_supported: true,
        playbook: &[
            "Sign in at openrouter.ai.",
            "Open Settings > API Keys and click Create Key.",
            "Optionally set a credit limit on the key.",
            "Copy the sk-or-v1-… key (shown once) into KeyClave as OPENROUTER_API_KEY.",
        ],
    },
    Provider {
        id: "pinecone",
        display_name: "Pinecone",
        homepage_url: "https://www.pinecone.io",
        docs_url: "https://docs.pinecone.io",
        dashboard_url: Some("https://app.pinecone.io"),
        api_base_url: Some("https://api.pinecone.io"),
        env_var: "PINECONE_API_KEY",
        aliases: &[],
        companions: &[],
        name_tokens: &["PINECONE"],
        value_prefixes: &["pcsk_"],
        markdown_names: &["Pinecone"],
        domains: &["pinecone.io", "app.pinecone.io", "api.pinecone.io", "docs.pinecone.io"],
        validation: get_with("https://api.pinecone.io/indexes", AuthStyle::Header("Api-Key")),
        dashboard_supported: false,
        playbook: &[
            "Sign in at app.pinecone.io and select the project.",
            "Open API Keys and click Create API key.",
            "Choose the key's permissions.",
            "Copy the pcsk_… key (shown once) into KeyClave as PINECONE_API_KEY.",
        ],
    },
    Provider {
        id: "postmark",
        display_name: "Postmark",
        homepage_url: "https://postmarkapp.com",
        docs_url: "https://postmarkapp.com/developer/api/overview",
        dashboard_url: Some("https://account.postmarkapp.com/servers"),
        api_base_url: Some("https://api.postmarkapp.com"),
        env_var: "POSTMARK_SERVER_TOKEN",
        aliases: &["POSTMARK_API_TOKEN", "POSTMARK_API_KEY"],
        companions: &["POSTMARK_ACCOUNT_TOKEN"],
        name_tokens: &["POSTMARK"],
        value_prefixes: &[],
        markdown_names: &["Postmark"],
        domains: &["postmarkapp.com", "api.postmarkapp.com", "account.postmarkapp.com"],
        // Server tokens only; also needs `Accept: application/json`.
        validation: get_with(
            "https://api.postmarkapp.com/server",
            AuthStyle::Header("X-Postmark-Server-Token"),
        ),
        dashboard_supported: false,
        playbook: &[
            "Sign in at account.postmarkapp.com.",
            "Open Servers and select (or create) the server that sends the mail.",
            "Open its API Tokens tab and generate or copy a server token.",
            "Store it in KeyClave as POSTMARK_SERVER_TOKEN.",
            "Verify a sender signature or domain before sending.",
        ],
    },
    Provider {
        id: "replicate",
        display_name: "Replicate",
        homepage_url: "https://replicate.com",
        docs_url: "https://replicate.com/docs",
        dashboard_url: Some("https://replicate.com/account/api-tokens"),
        api_base_url: Some("https://api.replicate.com/v1"),
        env_var: "REPLICATE_API_TOKEN",
        aliases: &["REPLICATE_API_KEY"],
        companions: &[],
        name_tokens: &["REPLICATE"],
        value_prefixes: &["r8_"],
        markdown_names: &["Replicate", "Replicate API"],
        domains: &["replicate.com", "api.replicate.com"],
        validation: get_bearer("https://api.replicate.com/v1/account"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at replicate.com.",
            "Open Account > API tokens.",
            "Create a token and name it.",
            "Copy the r8_… token into KeyClave as REPLICATE_API_TOKEN.",
        ],
    },
    Provider {
        id: "resend",
        display_name: "Resend",
        homepage_url: "https://resend.com",
        docs_url: "https://resend.com/docs/dashboard/api-keys/introduction",
        dashboard_url: Some("https://resend.com/api-keys"),
        api_base_url: Some("https://api.resend.com"),
        env_var: "RESEND_API_KEY",
        aliases: &[],
        companions: &[],
        name_tokens: &["RESEND"],
        value_prefixes: &["re_"],
        markdown_names: &["Resend"],
        domains: &["resend.com", "api.resend.com"],
        // Full-access keys only; sending-only keys get 401 here.
        validation: get_bearer("https://api.resend.com/domains"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at resend.com.",
            "Add and verify your sending domain under Domains.",
            "Open API Keys and click Create API Key (sending access, one domain).",
            "Copy the re_… key (shown once) into KeyClave as RESEND_API_KEY.",
        ],
    },
    Provider {
        id: "sendgrid",
        display_name: "SendGrid",
        homepage_url: "https://sendgrid.com",
        docs_url: "https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys",
        dashboard_url: Some("https://app.sendgrid.com/settings/api_keys"),
        api_base_url: Some("https://api.sendgrid.com/v3"),
        env_var: "SENDGRID_API_KEY",
        aliases: &["SENDGRID_KEY"],
        companions: &[],
        name_tokens: &["SENDGRID", "SEND_GRID"],
        value_prefixes: &["SG."],
        markdown_names: &["SendGrid", "Twilio SendGrid"],
        domains: &["sendgrid.com", "app.sendgrid.com", "api.sendgrid.com"],
        validation: get_bearer("https://api.sendgrid.com/v3/scopes"),
        // The Stats API reports sending volume.
        dashboard_supported: true,
        playbook: &[
            "Sign in at app.sendgrid.com.",
            "Open Settings > API Keys and click Create API Key.",
            "Choose Restricted Access and grant only Mail Send (plus what you need).",
            "Copy the SG.… key (shown once) into KeyClave as SENDGRID_API_KEY.",
            "Authenticate your sender domain under Settings > Sender Authentication.",
        ],
    },
    Provider {
        id: "sentry",
        display_name: "Sentry",
        homepage_url: "https://sentry.io",
        docs_url: "https://docs.sentry.io/account/auth-tokens/",
        dashboard_url: Some("https://sentry.io/settings/account/api/auth-tokens/"),
        api_base_url: Some("https://sentry.io/api/0"),
        env_var: "SENTRY_AUTH_TOKEN",
        aliases: &[],
        companions: &[],
        name_tokens: &["SENTRY"],
        value_prefixes: &["sntrys_", "sntryu_"],
        markdown_names: &["Sentry"],
        domains: &["sentry.io", "docs.sentry.io"],
        // Token scopes (org tokens are CI-only) and data-residency hosts vary;
        // no single endpoint answers 2xx for every valid token.
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Sign in at sentry.io.",
            "For CI uploads, open Settings > Developer Settings > Organization Tokens and create one.",
            "For API access, create a personal token under User Auth Tokens with minimal scopes.",
            "Copy the sntrys_… or sntryu_… token (shown once) into KeyClave as SENTRY_AUTH_TOKEN.",
        ],
    },
    Provider {
        id: "slack",
        display_name: "Slack",
        homepage_url: "https://slack.com",
        docs_url: "https://api.slack.com/authentication/token-types",
        dashboard_url: Some("https://api.slack.com/apps"),
        api_base_url: Some("https://slack.com/api"),
        env_var: "SLACK_BOT_TOKEN",
        aliases: &["SLACK_TOKEN", "SLACK_API_TOKEN"],
        companions: &["SLACK_USER_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_WEBHOOK_URL"],
        name_tokens: &["SLACK"],
        value_prefixes: &["xoxb-", "xoxp-", "xoxa-", "xoxe-", "xapp-"],
        markdown_names: &["Slack", "Slack API", "Slack app"],
        domains: &["slack.com", "api.slack.com", "hooks.slack.com"],
        // auth.test answers HTTP 200 with `"ok": false` for a bad token, so a
        // status code alone cannot tell.
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Open api.slack.com/apps and click Create New App.",
            "Under OAuth & Permissions, add only the bot token scopes you need.",
            "Install the app to your workspace.",
            "Copy the Bot User OAuth Token (xoxb-…) into KeyClave as SLACK_BOT_TOKEN.",
        ],
    },
    Provider {
        id: "stripe",
        display_name: "Stripe",
        homepage_url: "https://stripe.com",
        docs_url: "https://docs.stripe.com/keys",
        dashboard_url: Some("https://dashboard.stripe.com/apikeys"),
        api_base_url: Some("https://api.stripe.com/v1"),
        env_var: "STRIPE_SECRET_KEY",
        aliases: &["STRIPE_API_KEY", "STRIPE_KEY"],
        companions: &["STRIPE_RESTRICTED_KEY", "STRIPE_WEBHOOK_SECRET"],
        name_tokens: &["STRIPE"],
        // `whsec_` is left out: Svix-based services use it too.
        value_prefixes: &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        markdown_names: &["Stripe", "Stripe API"],
        domains: &["stripe.com", "api.stripe.com", "dashboard.stripe.com", "docs.stripe.com"],
        // Restricted keys need the Balance read permission.
        validation: get_with("https://api.stripe.com/v1/balance", AuthStyle::Basic),
        dashboard_supported: false,
        playbook: &[
            "Sign in at dashboard.stripe.com and pick test or live mode.",
            "Open Developers > API keys.",
            "Prefer Create restricted key with only the resources you need.",
            "Copy the rk_… or sk_… key into KeyClave as STRIPE_SECRET_KEY.",
        ],
    },
    Provider {
        id: "supabase",
        display_name: "Supabase",
        homepage_url: "https://supabase.com",
        docs_url: "https://supabase.com/docs/guides/api/api-keys",
        dashboard_url: Some("https://supabase.com/dashboard"),
        // Per project: https://<project-ref>.supabase.co
        api_base_url: None,
        env_var: "SUPABASE_SERVICE_ROLE_KEY",
        aliases: &["SUPABASE_SECRET_KEY", "SUPABASE_SERVICE_KEY", "SUPABASE_KEY"],
        companions: &["SUPABASE_ANON_KEY", "SUPABASE_ACCESS_TOKEN"],
        name_tokens: &["SUPABASE"],
        value_prefixes: &["sb_secret_", "sb_publishable_", "sbp_"],
        markdown_names: &["Supabase"],
        domains: &["supabase.com", "supabase.co"],
        // Project keys are checked against the project's own host.
        validation: Validation::Unverifiable,
        dashboard_supported: false,
        playbook: &[
            "Sign in at supabase.com/dashboard and open the project.",
            "Open Project Settings > API Keys.",
            "Copy the secret (or legacy service_role) key for server-side use.",
            "Store it in KeyClave as SUPABASE_SERVICE_ROLE_KEY; never ship it to browsers.",
        ],
    },
    Provider {
        id: "twilio",
        display_name: "Twilio",
        homepage_url: "https://www.twilio.com",
        docs_url: "https://www.twilio.com/docs/iam/api-keys",
        dashboard_url: Some("https://console.twilio.com/"),
        api_base_url: Some("https://api.twilio.com/2010-04-01"),
        env_var: "TWILIO_AUTH_TOKEN",
        aliases: &[],
        companions: &["TWILIO_ACCOUNT_SID", "TWILIO_API_KEY", "TWILIO_API_SECRET"],
        name_tokens: &["TWILIO"],
        // SIDs (`AC…`, `SK…`) are too short a prefix to be a useful hint.
        value_prefixes: &[],
        markdown_names: &["Twilio", "Twilio API"],
        domains: &["twilio.com", "api.twilio.com", "console.twilio.com"],
        // Basic auth needs the account SID as user name and in the URL.
        validation: Validation::Unverifiable,
        // The Usage Records API reports usage per category.
        dashboard_supported: true,
        playbook: &[
            "Sign in at console.twilio.com.",
            "Copy the Account SID from the account dashboard.",
            "Prefer an API key: Account > API keys & tokens > Create API key.",
            "Store the SID and secret as TWILIO_ACCOUNT_SID and TWILIO_API_KEY / TWILIO_API_SECRET (or TWILIO_AUTH_TOKEN).",
        ],
    },
    Provider {
        id: "vercel",
        display_name: "Vercel",
        homepage_url: "https://vercel.com",
        docs_url: "https://vercel.com/docs/rest-api",
        dashboard_url: Some("https://vercel.com/account/tokens"),
        api_base_url: Some("https://api.vercel.com"),
        env_var: "VERCEL_TOKEN",
        aliases: &["VERCEL_API_TOKEN", "VERCEL_ACCESS_TOKEN"],
        // The AI Gateway key and a Blob store's token: other credentials.
        companions: &["AI_GATEWAY_API_KEY", "BLOB_READ_WRITE_TOKEN"],
        name_tokens: &["VERCEL", "AI_GATEWAY"],
        value_prefixes: &[],
        markdown_names: &["Vercel", "Vercel API"],
        domains: &["vercel.com", "api.vercel.com"],
        validation: get_bearer("https://api.vercel.com/v2/user"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at vercel.com.",
            "Open Account Settings > Tokens.",
            "Create a token with a name, a scope (team) and an expiration.",
            "Copy the token (shown once) into KeyClave as VERCEL_TOKEN.",
        ],
    },
    Provider {
        id: "xai",
        display_name: "xAI",
        homepage_url: "https://x.ai",
        docs_url: "https://docs.x.ai",
        dashboard_url: Some("https://console.x.ai"),
        api_base_url: Some("https://api.x.ai/v1"),
        env_var: "XAI_API_KEY",
        aliases: &[],
        companions: &[],
        name_tokens: &["XAI", "GROK"],
        value_prefixes: &["xai-"],
        markdown_names: &["xAI", "xAI API", "Grok API"],
        domains: &["x.ai", "api.x.ai", "console.x.ai", "docs.x.ai"],
        validation: get_bearer("https://api.x.ai/v1/models"),
        dashboard_supported: false,
        playbook: &[
            "Sign in at console.x.ai and select the team.",
            "Open API Keys and click Create API Key.",
            "Restrict the key to the models and endpoints you need.",
            "Copy the xai-… key (shown once) into KeyClave as XAI_API_KEY.",
        ],
    },
];

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

/// The provider a project's own env var name belongs to: a registry name
/// once a framework prefix is dropped (`NEXT_PUBLIC_SUPABASE_ANON_KEY`), or
/// else the longest of the providers' [`Provider::name_tokens`] found as
/// whole words in it (`XAI_LLM_API_KEY`, `GOOGLE_GEMINI_API_KEY` is
/// Gemini's, not Google Cloud's). The caller decides whether the name
/// holds a credential at all. Case-insensitive.
pub fn for_env_name(name: &str) -> Option<&'static Provider> {
    let upper = name.to_ascii_uppercase();
    let bare = FRAMEWORK_PREFIXES.iter().find_map(|p| upper.strip_prefix(p)).unwrap_or(&upper);
    if let Some(p) = for_key_name(bare) {
        return Some(p);
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
        .map(|(_, p)| *p)
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
        assert_eq!(g.validation, Validation::Unverifiable);
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
        ] {
            assert_eq!(for_env_name(name).map(|p| p.id), Some(id), "{name}");
        }
        for name in ["MAX_TOKENS", "COOKIE_SECURE", "OPENAIR_KEY", "XAIVER_TOKEN", "NEXT_PUBLIC_", ""] {
            assert_eq!(for_env_name(name).map(|p| p.id), None, "{name}");
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
            if let Validation::Endpoint { url, .. } = p.validation {
                urls.push(url);
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
                let key = n.to_ascii_lowercase();
                if let Some(other) = names.insert(key, p.id) {
                    panic!("markdown name {n} belongs to both {other} and {}", p.id);
                }
            }
            for d in p.domains {
                assert!(!d.contains('/') && !d.starts_with('.') && d.contains('.'));
                if let Some(other) = domains.insert(*d, p.id) {
                    panic!("domain {d} belongs to both {other} and {}", p.id);
                }
            }
            if let Validation::Endpoint { method, .. } = p.validation {
                assert_eq!(method, "GET", "{}: validation must be read-only", p.id);
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
        assert_eq!(
            gh.validation,
            Validation::Endpoint {
                method: "GET",
                url: "https://api.github.com/user",
                auth: AuthStyle::Bearer
            }
        );
        let ant = get("anthropic").unwrap();
        assert_eq!(
            ant.validation,
            Validation::Endpoint {
                method: "GET",
                url: "https://api.anthropic.com/v1/models",
                auth: AuthStyle::Header("x-api-key")
            }
        );
        let stripe = get("stripe").unwrap();
        assert!(matches!(stripe.validation, Validation::Endpoint { auth: AuthStyle::Basic, .. }));
        assert_eq!(get("aws").unwrap().validation, Validation::Unverifiable);
    }

    #[test]
    fn serializes_with_tagged_validation() {
        let v = serde_json::to_value(get("anthropic").unwrap()).unwrap();
        assert_eq!(v["id"], "anthropic");
        assert_eq!(v["validation"]["kind"], "endpoint");
        assert_eq!(v["validation"]["method"], "GET");
        assert_eq!(v["validation"]["auth"]["header"], "x-api-key");
        let v = serde_json::to_value(get("github").unwrap()).unwrap();
        assert_eq!(v["validation"]["auth"], "bearer");
        let v = serde_json::to_value(get("aws").unwrap()).unwrap();
        assert_eq!(v["validation"]["kind"], "unverifiable");
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

//! The built-in capability catalog: what a project may need without naming
//! a service ("send transactional email"), and which registry provider
//! KeyClave suggests for it.
//!
//! A capability becomes a service recommendation only when the project's
//! docs name none of the providers that already serve it.

/// One capability and the phrases that describe it.
#[derive(Debug, Clone, Copy)]
pub struct Capability {
    /// Stable id, stored as `capability_needed`.
    pub id: &'static str,
    /// What it is, for people.
    pub label: &'static str,
    /// Phrases that name it (matched case-insensitively, whole words).
    pub phrases: &'static [&'static str],
    /// Registry providers that provide it; naming one of them in the docs
    /// means no recommendation is needed.
    pub served_by: &'static [&'static str],
    /// The suggested provider (a registry id).
    pub recommended: &'static str,
    /// Why that provider, and the alternatives.
    pub rationale: &'static str,
    /// Whether the suggested provider has a free tier (None: not claimed).
    pub free_tier: Option<bool>,
}

static CATALOG: &[Capability] = &[
    Capability {
        id: "transactional_email",
        label: "Transactional email",
        phrases: &[
            "transactional email",
            "transactional emails",
            "send email",
            "send emails",
            "sending email",
            "sending emails",
            "email delivery",
            "password reset email",
            "password reset emails",
            "welcome email",
            "welcome emails",
            "email notifications",
        ],
        served_by: &["postmark", "resend", "sendgrid"],
        recommended: "postmark",
        rationale: "Postmark is built for transactional email (receipts, password resets) with separate streams for \
                    bulk mail; Resend and SendGrid are alternatives with similar APIs.",
        free_tier: Some(true),
    },
    Capability {
        id: "payments",
        label: "Card payments",
        phrases: &[
            "card payments",
            "take card payments",
            "accept payments",
            "accept card payments",
            "take payments",
            "payment processing",
            "process payments",
            "credit card payments",
            "subscription billing",
            "recurring billing",
        ],
        served_by: &["stripe"],
        recommended: "stripe",
        rationale: "Stripe handles card payments, subscriptions and invoices behind one API with hosted checkout, \
                    so card data never touches your servers.",
        free_tier: None,
    },
    Capability {
        id: "image_generation",
        label: "Image generation",
        phrases: &[
            "generate images",
            "generates images",
            "image generation",
            "text-to-image",
            "text to image",
        ],
        served_by: &["replicate", "openai", "huggingface"],
        recommended: "replicate",
        rationale: "Replicate runs many open image models (FLUX, Stable Diffusion) behind one API billed per \
                    second; OpenAI's image API is an alternative.",
        free_tier: None,
    },
    Capability {
        id: "text_generation",
        label: "Text generation with a language model",
        phrases: &[
            "large language model",
            "language model",
            "chat completion",
            "chat completions",
            "text generation",
            "summarize text",
            "summarise text",
        ],
        served_by: &[
            "openai",
            "anthropic",
            "azure_openai",
            "google_gemini",
            "mistral",
            "groq",
            "cohere",
            "openrouter",
            "xai",
            "huggingface",
            "replicate",
        ],
        recommended: "openai",
        rationale: "OpenAI's API is the most widely supported by SDKs and tools; Anthropic, Gemini and Mistral \
                    offer comparable models, and OpenRouter puts many behind one key.",
        free_tier: None,
    },
    Capability {
        id: "sms",
        label: "SMS and phone verification",
        phrases: &[
            "send sms",
            "sms notifications",
            "sms messages",
            "text messages",
            "sms verification",
            "phone verification",
            "phone number verification",
        ],
        served_by: &["twilio"],
        recommended: "twilio",
        rationale: "Twilio sends SMS worldwide and offers a Verify API for one-time codes.",
        free_tier: None,
    },
    Capability {
        id: "maps",
        label: "Maps and geocoding",
        phrases: &[
            "geocoding",
            "reverse geocoding",
            "map tiles",
            "interactive map",
            "interactive maps",
            "turn-by-turn",
        ],
        served_by: &["mapbox", "google_cloud"],
        recommended: "mapbox",
        rationale: "Mapbox provides map tiles, geocoding and directions with customisable styles and a free \
                    monthly allowance.",
        free_tier: Some(true),
    },
    Capability {
        id: "error_tracking",
        label: "Error tracking",
        phrases: &["error tracking", "crash reporting", "exception monitoring", "error monitoring"],
        served_by: &["sentry", "datadog"],
        recommended: "sentry",
        rationale: "Sentry groups exceptions with stack traces and releases, with SDKs for most languages.",
        free_tier: Some(true),
    },
    Capability {
        id: "vector_search",
        label: "Vector search",
        phrases: &[
            "vector database",
            "vector search",
            "vector store",
            "semantic search",
            "similarity search",
        ],
        served_by: &["pinecone", "supabase"],
        recommended: "pinecone",
        rationale: "Pinecone is a managed vector database with a serverless tier; Supabase's pgvector is an \
                    alternative when you already use Postgres.",
        free_tier: Some(true),
    },
    Capability {
        id: "chat_notifications",
        label: "Team chat notifications",
        phrases: &["chat notifications", "team notifications", "post to a channel", "notify the team"],
        served_by: &["slack", "discord"],
        recommended: "slack",
        rationale: "Slack incoming webhooks and bot tokens post messages to team channels; Discord webhooks \
                    work the same way for communities.",
        free_tier: Some(true),
    },
    Capability {
        id: "speech_to_text",
        label: "Speech to text",
        phrases: &["speech to text", "speech-to-text", "transcribe audio", "audio transcription"],
        served_by: &["openai", "groq", "replicate", "huggingface"],
        recommended: "openai",
        rationale: "OpenAI's transcription API (Whisper) handles many languages from one upload; Groq serves \
                    Whisper at lower latency.",
        free_tier: None,
    },
    Capability {
        id: "hosting",
        label: "Web hosting and deployment",
        phrases: &["preview deployments", "static site hosting", "serverless functions", "deploy previews"],
        served_by: &["vercel", "netlify", "cloudflare"],
        recommended: "vercel",
        rationale: "Vercel deploys front-ends and serverless functions from a Git push with preview URLs; \
                    Netlify and Cloudflare Pages are alternatives.",
        free_tier: Some(true),
    },
    Capability {
        id: "database_auth",
        label: "Hosted database and user accounts",
        phrases: &["hosted postgres", "managed postgres", "user authentication", "realtime database"],
        served_by: &["supabase"],
        recommended: "supabase",
        rationale: "Supabase bundles Postgres, authentication, storage and realtime subscriptions behind one \
                    project key.",
        free_tier: Some(true),
    },
    Capability {
        id: "object_storage",
        label: "Object storage for files",
        phrases: &["object storage", "file uploads", "store uploads", "blob storage"],
        served_by: &["aws", "cloudflare", "supabase", "google_cloud", "digitalocean"],
        recommended: "aws",
        rationale: "Amazon S3 is the reference object store; Cloudflare R2 speaks the same API without egress \
                    fees.",
        free_tier: None,
    },
    Capability {
        id: "monitoring",
        label: "Metrics and log monitoring",
        phrases: &[
            "application monitoring",
            "log management",
            "metrics dashboards",
            "infrastructure monitoring",
        ],
        served_by: &["datadog", "sentry"],
        recommended: "datadog",
        rationale: "Datadog collects metrics, logs and traces with alerting in one place.",
        free_tier: None,
    },
];

/// Every capability of the catalog.
pub fn all() -> &'static [Capability] {
    CATALOG
}

/// The capability with this id.
pub fn get(id: &str) -> Option<&'static Capability> {
    CATALOG.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers;
    use std::collections::HashSet;

    #[test]
    fn every_capability_names_real_providers_and_unique_phrases() {
        let mut ids = HashSet::new();
        let mut phrases = HashSet::new();
        for c in all() {
            assert!(ids.insert(c.id), "{} twice", c.id);
            assert!(providers::get(c.recommended).is_some(), "{}: {}", c.id, c.recommended);
            assert!(c.served_by.contains(&c.recommended), "{}", c.id);
            for p in c.served_by {
                assert!(providers::get(p).is_some(), "{}: {p}", c.id);
            }
            for p in c.phrases {
                assert_eq!(p.to_lowercase(), *p, "phrases are lower case");
                assert!(phrases.insert(*p), "{p} twice");
            }
        }
    }
}

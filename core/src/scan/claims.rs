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

/// Whether a heading (lower case) is about the project's CI ("iOS CI
/// runtime", "CI/CD"): how maintainers test it, not what running it needs.
fn is_about_ci(lower: &str) -> bool {
    lower.contains("continuous integration")
        || lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| w == "ci")
}

/// The section a heading opens.
pub(crate) fn section_of(heading: &str) -> Section {
    let lower = heading.to_ascii_lowercase();
    // "Alternatives to X" is a comparison; "Alternatives" alone offers options.
    if ASIDE_HEADINGS.iter().any(|w| lower.contains(w)) || is_about_ci(&lower) {
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
    "(or ",
    "alternatively",
    "an option",
    "good option",
    // A conditional need is an option: "if you need email, set …".
    "if you need",
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

/// What one sentence (or line) of prose claims, before its section is
/// considered.
pub(crate) fn of_line(line: &[u8]) -> Claim {
    of_lower(&String::from_utf8_lossy(line).to_lowercase())
}

/// What the sentence leading into a code block claims of what the code
/// names: of an env var, its claim ([`of_line`]); of a provider's name or
/// domain, an option only when it is about a service ("pick your CI: …
/// Gitlab" offers nothing), otherwise a mention.
pub(crate) fn of_lead(lead: &[u8]) -> (Claim, Claim) {
    let lower = String::from_utf8_lossy(lead).to_lowercase();
    let said = of_lower(&lower);
    let of_name = if said == Claim::Option && !offers_a_service(&lower) { Claim::Mention } else { said };
    (said, of_name)
}

fn of_lower(lower: &str) -> Claim {
    classify(lower, OR_PHRASES.iter().any(|p| lower.contains(p)))
}

/// Option, need or mention from the phrases of a sentence (lower case);
/// whether its "or" offers a choice is decided by the caller (`or_offers`).
fn classify(lower: &str, or_offers: bool) -> Claim {
    if or_offers || OPTION_PHRASES.iter().filter(|p| !OR_PHRASES.contains(p)).any(|p| lower.contains(p)) {
        Claim::Option
    } else if NEED_PHRASES.iter().any(|p| lower.contains(p)) {
        Claim::Need
    } else {
        Claim::Mention
    }
}

/// What a sentence says of the provider named at `at..at + len` in it.
/// Its claim ([`of_line`]), with an "or" counting only when it joins the
/// name to an alternative ("an OpenAI or Anthropic key", not "develop or
/// test, with a Google Cloud account"); then a name only offered in a
/// sentence that is not about using a service is a mention ("ask on
/// GitHub or the subreddit"), and a name that is one item of a list of
/// services ("Notifications via Telegram, Discord, Slack") is an option
/// unless the sentence states a need. Sentences about AI clients, the
/// project's users or a comparison mention what they name.
pub(crate) fn of_sentence(sentence: &[u8], at: usize, len: usize) -> Claim {
    // ASCII lower case keeps byte offsets: `at` still points at the name.
    let lower_bytes = sentence.to_ascii_lowercase();
    let lower = String::from_utf8_lossy(&lower_bytes);
    if is_comparison(&lower) || MENTION_ONLY.iter().any(|p| lower.contains(p)) {
        return Claim::Mention;
    }
    let said = classify(&lower, or_joins(&lower_bytes, at, len));
    // A table row that names a provider beside a service ("| Postmark |
    // bounce webhook |") documents an integration, one row among others.
    let listed = in_a_list(sentence, at, len) || is_table_row(&lower);
    match said {
        Claim::Need => Claim::Need,
        Claim::Option if offers_a_service(&lower) => Claim::Option,
        Claim::Mention if listed && offers_a_service(&lower) => Claim::Option,
        _ => Claim::Mention,
    }
}

/// Whether a sentence is a table row (`| a | b |`).
fn is_table_row(lower: &str) -> bool {
    lower.trim().strip_prefix('|').is_some_and(|rest| rest.contains('|'))
}

/// The [`OPTION_PHRASES`] that are an "or".
const OR_PHRASES: &[&str] = &[" or ", "(or "];

/// Most words between a name and the "or" that joins it to an
/// alternative, within the name's own item ("OpenAI API or").
const OR_REACH_WORDS: usize = 1;

/// Whether an "or" next to the name at `at..at + len` (lower case) joins
/// it to an alternative: the name's item has at most [`OR_REACH_WORDS`]
/// more words, and only short list items come between ("Discord, Slack
/// or email"; not "add a GitHub access token, or open the app").
fn or_joins(lower: &[u8], at: usize, len: usize) -> bool {
    let words = |b: &[u8]| {
        b.split(|c| c.is_ascii_whitespace()).filter(|w| w.iter().any(u8::is_ascii_alphanumeric)).count()
    };
    let before = &lower[..at];
    let after = &lower[(at + len).min(lower.len())..];
    let or_before = memchr::memmem::rfind(before, b" or ")
        .map(|i| i + 4)
        .or_else(|| before.starts_with(b"or ").then_some(3))
        .or_else(|| memchr::memmem::rfind(before, b"(or ").map(|i| i + 4));
    let short = |item: &[u8]| {
        words(item) <= LIST_ITEM_WORDS && !item.iter().any(|c| matches!(c, b'.' | b';' | b':' | b'(' | b')'))
    };
    // From the "or" to the name: short items, then the name's own ("or
    // AWS S3, Google Storage").
    if let Some(i) = or_before {
        let mut items = before[i..].rsplit(|&c| c == b',');
        let own = items.next().unwrap_or_default();
        if words(own) <= OR_REACH_WORDS && items.all(short) {
            return true;
        }
    }
    let Some(or_after) =
        memchr::memmem::find(after, b" or ").or_else(|| memchr::memmem::find(after, b"(or "))
    else {
        return false;
    };
    let mut items = after[..or_after].split(|&c| c == b',');
    let own = items.next().unwrap_or_default();
    words(own) <= OR_REACH_WORDS && items.all(short)
}

/// Phrases of a sentence that names providers without being about the
/// project's use of them; what it names is only mentioned:
/// - the AI clients that call the project's MCP server ("connect Claude,
///   Cursor or any MCP client"): they call the project, not the reverse;
/// - who uses the project ("companies like Twilio", "organizations using
///   OpenAI, Anthropic"): its users and their tools;
/// - what it resembles ("similar to platforms like GitHub") or how to
///   contribute ("fork the project", "open a pull request").
const MENTION_ONLY: &[&str] = &[
    "mcp",
    "trusted by",
    "companies like",
    "customers like",
    "organizations using",
    "organisations using",
    "teams using",
    "companies using",
    "similar to",
    "inspired by",
    "alternative to",
    "fork the",
    "pull request",
    "open a pr",
    "star us",
    "star the",
];

/// Marks of a comparison table (editions, competitors): a provider in a
/// row of ticks and crosses is compared, not used.
const COMPARISON_MARKS: &[char] = &['\u{2713}', '\u{2714}', '\u{2717}', '\u{2718}', '\u{274c}', '\u{2705}'];

/// Whether a sentence is a row of a comparison table.
fn is_comparison(lower: &str) -> bool {
    lower.trim_start().starts_with('|') && lower.contains(COMPARISON_MARKS)
}

/// Words of a sentence that offers a service to use, not just names one
/// ("Notifications via Telegram, Discord or Slack" offers; "ask on GitHub
/// or the subreddit" does not).
const SERVICE_WORDS: &[&str] = &[
    "api",
    "key",
    "token",
    "secret",
    "credential",
    "provider",
    "integration",
    "storage",
    "bucket",
    "email",
    "mail",
    "sms",
    "payment",
    "billing",
    "auth",
    "login",
    "sign in",
    "sign-in",
    "oauth",
    "database",
    "notification",
    "llm",
    "model",
    "analytics",
    "monitoring",
    "metrics",
    "tracing",
    "warehouse",
    "error",
    "search",
    "embedding",
    "webhook",
    "account",
    "postgres",
    "redis",
    "s3",
    "telemetry",
    "observability",
    "otlp",
    "cdn",
];

/// Phrases that offer an alternative outright ("you can also switch to
/// Anthropic"), whatever else the sentence says.
const OFFERS: &[&str] = &[
    "switch to",
    "alternatively",
    "instead of",
    "supports",
    "supported",
    "compatible with",
    "you can also",
    "optional",
];

/// Whether a sentence (lower case) is about using a service.
fn offers_a_service(lower: &str) -> bool {
    OFFERS.iter().chain(SERVICE_WORDS).any(|w| lower.contains(w))
}

/// Longest item of a list, in words ("Google Cloud SQL"); longer runs
/// between commas are clauses, not items.
const LIST_ITEM_WORDS: usize = 4;

/// Words that join a list's items or lead into it.
const LIST_GLUE: &[&[u8]] = &[
    b"and",
    b"or",
    b"&",
    b"-",
    b"*",
    b"etc",
    b"etc.",
    b"e.g.",
    b"e.g",
    b"eg",
    b"i.e.",
    b"like",
    b"including",
];

/// Whether the name at `at..at + len` is one item of a list of three or
/// more short items, within its table cell, parenthesis or clause
/// ("Amazon RDS, Neon, Supabase", "(Upstash, KeyDB, etc.)").
fn in_a_list(sentence: &[u8], at: usize, len: usize) -> bool {
    let bound = |b: &u8| matches!(b, b'|' | b'(' | b')' | b':' | b';');
    let from = sentence[..at].iter().rposition(bound).map_or(0, |i| i + 1);
    let to = sentence[at + len..].iter().position(bound).map_or(sentence.len(), |i| at + len + i);
    let clause = &sentence[from..to];
    if memchr::memchr_iter(b',', clause).count() < 2 {
        return false;
    }
    // "e.g.", "and", "etc." are the list's glue, not words of an item
    // ("(e.g., Railway, Vercel)" lists two).
    let short = |item: &[u8]| {
        let words = item
            .split(|b| b.is_ascii_whitespace())
            .filter(|w| !w.is_empty() && !LIST_GLUE.iter().any(|g| w.eq_ignore_ascii_case(g)));
        (1..=LIST_ITEM_WORDS).contains(&words.count())
    };
    let mut offset = from;
    let mut short_items = 0;
    let mut own_is_short = false;
    for item in clause.split(|&b| b == b',') {
        let is_short = short(item);
        short_items += usize::from(is_short);
        if (offset..=offset + item.len()).contains(&at) {
            own_is_short = is_short;
        }
        offset += item.len() + 1;
    }
    own_is_short && short_items >= 3
}

/// Words of a short title that make it about something else than the
/// provider it names ("Join our Discord").
const NOT_ABOUT_IT: &[&str] = &["join", "community", "chat", "follow", "star", "sponsor", "support", "issue"];

/// Whether a line is a short title naming one subject: a heading below a
/// page's top one, a component's `title="…"`, front matter's `title:` or a line in bold
/// alone (`**Postmark:**`). A provider named in one is documented in the
/// section it opens: an option the project supports.
pub(crate) fn is_title(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    let text: &[u8] = if let Some(h) = heading(line) {
        // A page's top heading names the project itself
        // ("# Self-Hosted Sentry").
        if !line.starts_with(b"##") {
            return false;
        }
        h
    } else if line.starts_with(b"<") {
        match memchr::memmem::find(line, b"title=\"") {
            Some(i) => {
                let rest = &line[i + 7..];
                &rest[..memchr::memchr(b'"', rest).unwrap_or(rest.len())]
            }
            None => return false,
        }
    } else if let Some(rest) = line.strip_prefix(b"title:") {
        rest
    } else if line.starts_with(b"**") && (line.ends_with(b"**") || line.ends_with(b"**:")) && line.len() > 4 {
        line
    } else {
        return false;
    };
    let lower = String::from_utf8_lossy(text).to_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    (1..=LIST_ITEM_WORDS).contains(&words.len())
        && !words.iter().any(|w| NOT_ABOUT_IT.iter().any(|n| w.starts_with(n)))
}

/// Abbreviations whose period does not end a sentence.
const ABBREVIATIONS: &[&[u8]] = &[b"e.g", b"i.e", b"etc", b"vs", b"incl", b"approx", b"eg", b"ie"];

/// Whether the byte at `i` (`.`, `!` or `?`) ends a sentence: followed by
/// white space or the end, and not the period of an abbreviation.
fn ends_sentence(text: &[u8], i: usize) -> bool {
    if !matches!(text[i], b'.' | b'!' | b'?') || !text.get(i + 1).is_none_or(u8::is_ascii_whitespace) {
        return false;
    }
    if text[i] != b'.' {
        return true;
    }
    let word_start =
        text[..i].iter().rposition(|b| !(b.is_ascii_alphabetic() || *b == b'.')).map_or(0, |p| p + 1);
    let word = text[word_start..i].to_ascii_lowercase();
    !ABBREVIATIONS.contains(&word.as_slice())
}

/// Whether a line cannot carry on the sentence of the line before it: a
/// blank line, a heading, a list item, a table row, a tag, a fence, or in
/// a template anything but a plain comment.
pub(crate) fn starts_block(line: &[u8], template: bool) -> bool {
    let t = line.trim_ascii();
    if template {
        let Some(comment) = t.strip_prefix(b"#") else { return true };
        return comment.starts_with(b"#") || comment.trim_ascii().is_empty();
    }
    t.is_empty()
        || heading(t).is_some()
        || matches!(t[0], b'|' | b'<' | b'-' | b'*' | b'+' | b'>' | b'`' | b'~')
        || is_numbered_item(t)
}

/// `1. step` or `2) step`.
fn is_numbered_item(line: &[u8]) -> bool {
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && matches!(line.get(digits), Some(b'.' | b')'))
}

/// Whether the sentence of a line can go on into the next one: the line is
/// plain prose (a paragraph's line or a list item's, not a heading, a
/// table row or a tag).
pub(crate) fn continues(line: &[u8], template: bool) -> bool {
    let t = line.trim_ascii();
    if template {
        return !starts_block(line, true);
    }
    !t.is_empty() && heading(t).is_none() && !matches!(t[0], b'|' | b'<' | b'`' | b'~')
}

/// Longest reach of a sentence beyond the hit's line, each way, in bytes.
const SENTENCE_REACH: usize = 400;

/// The sentence around byte `at` of `text`, whose line spans `line`: from
/// the end of the sentence before it to the end of its own, within its
/// paragraph (which starts at `paragraph`; hard-wrapped lines join), at
/// most [`SENTENCE_REACH`] bytes past its own line either way.
pub(crate) fn sentence_around(
    text: &[u8],
    paragraph: usize,
    line: (usize, usize),
    at: usize,
    template: bool,
) -> (usize, usize) {
    let floor = paragraph.max(line.0.saturating_sub(SENTENCE_REACH)).min(at);
    let start = (floor..at).rev().find(|&i| ends_sentence(text, i)).map_or(floor, |i| i + 1);
    let ceiling = (line.1 + SENTENCE_REACH).min(text.len());
    let (mut line_start, mut line_end) = line;
    let mut i = at;
    while i < ceiling {
        if i >= line_end {
            // Go on only into a line that carries on this one.
            let next = line_end + 1;
            if next >= text.len() || !continues(&text[line_start..line_end], template) {
                return (start, line_end);
            }
            let next_end = memchr::memchr(b'\n', &text[next..]).map_or(text.len(), |e| next + e);
            if starts_block(&text[next..next_end], template) {
                return (start, line_end);
            }
            (line_start, line_end, i) = (next, next_end, next);
            continue;
        }
        if ends_sentence(text, i) {
            return (start, i + 1);
        }
        i += 1;
    }
    (start, ceiling.min(line_end))
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

    fn sentence_of<'a>(text: &'a str, needle: &str) -> &'a str {
        let at = text.find(needle).expect("needle");
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        // As the rules track it: a line that starts a block starts a paragraph.
        let paragraph =
            if starts_block(&text.as_bytes()[line_start..line_end], false) { line_start } else { 0 };
        let (from, to) = sentence_around(text.as_bytes(), paragraph, (line_start, line_end), at, false);
        &text[from..to]
    }

    #[test]
    fn a_sentence_runs_over_wrapped_lines_and_stops_at_its_end_or_a_block() {
        let text = "Intro. For other S3 providers (e.g. Wasabi,\nDigitalOcean Spaces), you must set the endpoint. Next one.";
        assert_eq!(
            sentence_of(text, "DigitalOcean"),
            " For other S3 providers (e.g. Wasabi,\nDigitalOcean Spaces), you must set the endpoint."
        );
        let list = "Set one:\n- OpenAI for chat\n- Anthropic for tools\n";
        assert_eq!(sentence_of(list, "OpenAI"), "- OpenAI for chat");
        let heading = "## Stripe\nTakes payments.\n";
        assert_eq!(sentence_of(heading, "Stripe"), "## Stripe");
    }

    fn claim_of(sentence: &str, name: &str) -> Claim {
        let at = sentence.find(name).expect("name");
        of_sentence(sentence.as_bytes(), at, name.len())
    }

    #[test]
    fn a_name_is_an_option_when_offered_as_a_service_or_listed_as_one() {
        for (sentence, name, want) in [
            ("- Notifications via Telegram, Discord, Gotify, Slack, Pushover", "Discord", Claim::Option),
            ("| **PostgreSQL** | Amazon RDS, Google Cloud SQL, Neon, Supabase |", "Neon", Claim::Option),
            (
                "any Redis-compatible service (Redis, KeyDB, Dragonfly, Upstash, etc.)",
                "Upstash",
                Claim::Option,
            ),
            ("You can also switch to Anthropic.", "Anthropic", Claim::Option),
            ("This project requires a Stripe account.", "Stripe", Claim::Need),
            // Lists of something else, or not about a service.
            (
                "used by teams at companies like Twilio, Buffer, Framer, Perplexity",
                "Perplexity",
                Claim::Mention,
            ),
            ("Push it to Github, GitLab or wherever it may be.", "GitLab", Claim::Mention),
            ("If you need help, ask on Discord or GitHub.", "Discord", Claim::Mention),
            ("For environments without file mounts (e.g., Railway, Vercel):", "Vercel", Claim::Mention),
            (
                "- Files storage on disk or AWS S3, Google Storage, Azure Cloud",
                "Google Storage",
                Claim::Option,
            ),
            ("Send mail with Postmark, Resend or any SMTP server.", "Postmark", Claim::Option),
            ("| `/webhooks/service/postmark` | Postmark webhook | More info |", "Postmark", Claim::Option),
            ("| Community (Discord, GitHub) | All users | Questions |", "Discord", Claim::Mention),
            ("Log in to GitHub using OAuth and fork the project.", "GitHub", Claim::Mention),
            (
                "Designed for self-hosting, similar to platforms like GitHub, GitLab.",
                "GitLab",
                Claim::Mention,
            ),
            ("Open VSCode, add a GitHub access token, or use the web app.", "GitHub", Claim::Mention),
            ("To develop or test it, anyone with a Google Cloud account can", "Google Cloud", Claim::Mention),
            ("Connect Claude, Cursor, or any MCP client to your workspace API", "Claude", Claim::Mention),
            (
                "- Organizations using multiple AI providers (OpenAI, Anthropic, Mistral)",
                "OpenAI",
                Claim::Mention,
            ),
            ("| AI providers (OpenAI, Anthropic, Mistral) | \u{2717} | \u{2713} |", "OpenAI", Claim::Mention),
        ] {
            assert_eq!(claim_of(sentence, name), want, "{name} in {sentence}");
        }
    }

    #[test]
    fn short_titles_name_a_subject_but_not_a_pages_top_or_a_community() {
        for line in [
            "## SendGrid",
            "<Accordion title=\"Supabase\">",
            "title: Cloudflare Tunnels",
            "**Postmark:**",
            "### DigitalOcean Managed Databases",
        ] {
            assert!(is_title(line.as_bytes()), "{line}");
        }
        for line in [
            "# Self-Hosted Sentry",
            "## Join our Discord",
            "## How we replaced our queue with Upstash last year",
            "Postmark is **fast**",
        ] {
            assert!(!is_title(line.as_bytes()), "{line}");
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
            ("iOS CI runtime (optional parallelization)", Section::Aside),
            ("CI/CD", Section::Aside),
            ("Specific providers", Section::Plain),
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

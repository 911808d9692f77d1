//! Project scanning: which API keys a project needs, inferred from its
//! Markdown, with citations.
//!
//! [`scan_folder`] walks a folder in parallel (the `ignore` crate: the
//! project's `.gitignore` plus the default exclusions [`EXCLUDED_DIRS`]),
//! reads the files where projects describe their keys ([`doc_kind`]:
//! Markdown and MDX, reStructuredText and plain-text READMEs, and env
//! templates such as `.env.example`, never a real `.env`), leaves out the
//! docs that are not about the project's own use ([`EXCLUDED_DOCS`]:
//! changelogs, AI-assistant instructions), skips binaries and files over
//! the size limit with a reason, hashes each file (SHA-256) and applies
//! [`rules::infer`] to the files whose hash changed.
//!
//! A file whose size, modification time and inode are those recorded at
//! its last scan is not read at all (git's index does the same), unless
//! that record is "racy": taken so soon after the file changed that a
//! second change within the file system's timestamp granularity could
//! hide behind the same mtime. Only new or changed files are hashed.
//!
//! It touches no database: [`crate::projects`] stores what it finds, and
//! [`requirements`] turns evidence into requirements and recommendations.

pub mod capabilities;
pub mod claims;
mod links;
pub mod requirements;
pub mod rules;

use ignore::{WalkBuilder, WalkState};
use rustc_hash::FxHashMap;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, ErrorCode, Result};
pub use claims::Claim;
pub use rules::{Evidence, Rule};

/// Folders never walked, wherever they are in the tree: dependencies,
/// build output, the instructions and plans of AI coding assistants
/// (they name the assistant's provider, not one the project calls), and
/// the maintainers' process, not what running the project needs:
/// `.github` and `contributing` (issue and pull-request templates, review
/// and security policies, how to contribute), `policies` (support,
/// security, editions), `release` (how maintainers publish). Also design
/// `plans` (work that may never land), a website's `blog` (stories about
/// other companies and products), `upgrades` guides and `changelogs`
/// (what changed between versions), the docs of the project's `mcp`
/// server (the AI clients that call the project, not services it calls)
/// and a site's published `.well-known` files. A site's own pages are
/// left out too ([`is_site_content`]).
pub const EXCLUDED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "dist",
    "build",
    ".venv",
    "__pycache__",
    "target",
    ".cursor",
    ".claude",
    ".agents",
    ".windsurf",
    ".changeset",
    ".github",
    "contributing",
    "policies",
    "release",
    "plans",
    "blog",
    "upgrades",
    "changelog",
    "changelogs",
    "mcp",
    ".well-known",
];

/// Docs never read (lower case, matched on the file name): release
/// history says what changed, not what the project needs now; assistant
/// instruction files are guidance for a coding tool; and the project's
/// process docs (contributing, security policy, code of conduct, issue
/// and pull-request templates) are about its maintainers' GitHub, not
/// what running it needs.
pub const EXCLUDED_DOCS: &[&str] = &[
    "contributing.md",
    "code_of_conduct.md",
    "code-of-conduct.md",
    "security.md",
    "support.md",
    "governance.md",
    "maintainers.md",
    "contributors.md",
    "authors.md",
    "pull_request_template.md",
    "issue_template.md",
    "changelog.md",
    "changes.md",
    "history.md",
    "news.md",
    "releases.md",
    "release_notes.md",
    "release-notes.md",
    "claude.md",
    "agents.md",
    "gemini.md",
    "copilot-instructions.md",
];

/// Whether a folder holds a website's own pages (`src/content`,
/// `src/pages`: Astro and Next.js content collections): product pages,
/// comparisons, guides and changelogs written for the site's readers, which
/// name every company the product competes with or works beside; not what
/// running the project needs.
pub fn is_site_content(dir: &Path) -> bool {
    let name = dir.file_name().and_then(|n| n.to_str());
    let parent = dir.parent().and_then(Path::file_name).and_then(|n| n.to_str());
    matches!(name, Some("content" | "pages")) && parent == Some("src")
}

/// How a doc is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    /// Markdown or MDX (fenced, indented and inline code are code).
    Markdown,
    /// reStructuredText or plain text: read like Markdown (its indented
    /// literal blocks are code).
    Text,
    /// An env template (`.env.example`): only names and comments are read,
    /// never values.
    EnvTemplate,
}

/// Words that make a `.env.*` file a template rather than real settings.
const TEMPLATE_WORDS: &[&str] = &["example", "sample", "template", "dist", "defaults"];

/// Default size limit of one doc (4 MiB): larger ones are
/// generated or vendored, not documentation someone wrote.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 4 << 20;

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files larger than this are skipped with [`SkipReason::TooLarge`].
    pub max_file_size: u64,
    /// Walker threads; 0 means one per CPU.
    pub threads: usize,
    /// Cancel it (from another thread, or by locking the vault when it is
    /// a job token) to stop the scan: it ends with `scan.cancelled` and
    /// nothing is stored.
    pub cancel: Option<CancellationToken>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions { max_file_size: DEFAULT_MAX_FILE_SIZE, threads: 0, cancel: None }
    }
}

impl ScanOptions {
    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancellationToken::is_cancelled)
    }
}

/// Why a file was not read.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    /// Larger than the size limit.
    TooLarge {
        /// Its size in bytes.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        size: u64,
        /// The limit in bytes.
        #[cfg_attr(feature = "specta", specta(type = f64))]
        limit: u64,
    },
    /// Holds NUL bytes: not text (or UTF-16, which docs are not written in).
    Binary,
    /// Could not be read (permissions, vanished, a broken link).
    Unreadable {
        /// What the system said.
        detail: String,
    },
}

/// A file the scan did not read, and why.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedFile {
    /// Path relative to the project root, `/`-separated.
    pub path: String,
    /// Why.
    pub reason: SkipReason,
}

/// What the file system says of a file, compared between scans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    /// Inode number (0 where the platform gives none).
    pub inode: u64,
}

impl FileStat {
    /// The stat of a walked file.
    pub fn of(meta: &std::fs::Metadata) -> FileStat {
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        FileStat { size: meta.len(), mtime_ns, inode }
    }
}

/// A doc as recorded by its last scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownFile {
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its stat when it was hashed (absent for docs recorded before stats were kept).
    pub stat: Option<FileStat>,
    /// When that stat was taken, nanoseconds since the Unix epoch.
    pub checked_at_ns: i64,
}

/// A record taken less than this after the file's mtime is "racy": the
/// file is hashed again next time.
pub const RACY_WINDOW_NS: i64 = 2_000_000_000;

impl KnownFile {
    /// Whether `now` proves the file unchanged without reading it.
    fn same_as(&self, now: &FileStat) -> bool {
        self.stat.as_ref() == Some(now) && self.checked_at_ns.saturating_sub(now.mtime_ns) >= RACY_WINDOW_NS
    }
}

/// Nanoseconds since the Unix epoch, now.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// What the scan did with one file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileScan {
    /// Read and parsed (new or changed).
    Parsed {
        /// Relative path.
        path: String,
        /// SHA-256 of the bytes, hex.
        sha256: String,
        /// What the rules found.
        evidence: Vec<Evidence>,
        /// Its stat when it was read.
        stat: FileStat,
    },
    /// Same as at the last scan: not parsed again.
    Unchanged {
        /// Relative path.
        path: String,
        /// `None`: its stat matched, it was not even read. `Some`: it was
        /// read and hashed (the stat differed, or the record was racy) and
        /// had the same hash; this is the stat to record now.
        rehashed: Option<FileStat>,
    },
    /// Not read.
    Skipped(SkippedFile),
}

impl FileScan {
    /// The file's relative path.
    pub fn path(&self) -> &str {
        match self {
            FileScan::Parsed { path, .. } | FileScan::Unchanged { path, .. } => path,
            FileScan::Skipped(s) => &s.path,
        }
    }
}

/// Counters reported while a scan runs and when it ends.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScanProgress {
    /// Docs found so far.
    pub files_seen: u32,
    /// Files parsed (new or changed).
    pub files_parsed: u32,
    /// Files skipped because their hash did not change.
    pub files_unchanged: u32,
    /// Files not read (too large, binary, unreadable).
    pub files_skipped: u32,
    /// Bytes read.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub bytes_read: u64,
}

/// A finished walk: every doc, sorted by path.
#[derive(Debug, Clone)]
pub struct FolderScan {
    /// One entry per file found.
    pub files: Vec<FileScan>,
    /// Final counters.
    pub progress: ScanProgress,
    /// Wall time of the walk.
    pub elapsed: Duration,
}

/// How the scanner reads a file of this name, or `None` when it does not:
/// `*.md`, `*.markdown`, `*.mdx` and an extensionless `README` are
/// Markdown; `*.rst` and `README.txt` are text; `.env.example`,
/// `.env.local.example`, `.env.sample`, `.env.template`, `example.env` and
/// the like are env templates. A real `.env` (`.env`, `.env.local`,
/// `.env.production`) holds values and is never read; neither is a name in
/// [`EXCLUDED_DOCS`], nor more assistant instructions (`CLAUDE-*.md`) or
/// an upgrade guide (`v2-migration.md`, `UPGRADING.md`), nor the docs of
/// the project's MCP server (`mcp-server.mdx`). Any case.
pub fn doc_kind(name: &str) -> Option<DocKind> {
    let lower = name.to_ascii_lowercase();
    if EXCLUDED_DOCS.contains(&lower.as_str())
        || lower.starts_with("changelog")
        // CLAUDE-IOS-SIMULATOR.md: more instructions for an assistant.
        || lower.starts_with("claude")
        // v2-migration.md, upgrading.md: what changed between versions.
        || lower.contains("migration")
        || lower.starts_with("upgrad")
        // mcp-server.md: the AI clients that call the project.
        || lower.contains("mcp")
    {
        return None;
    }
    let env_like = lower.starts_with(".env.") || lower.ends_with(".env");
    if env_like {
        let template = lower.split('.').any(|part| TEMPLATE_WORDS.contains(&part));
        return template.then_some(DocKind::EnvTemplate);
    }
    if [".md", ".markdown", ".mdx"].iter().any(|ext| lower.ends_with(ext)) || lower == "readme" {
        Some(DocKind::Markdown)
    } else if lower.ends_with(".rst") || lower == "readme.txt" {
        Some(DocKind::Text)
    } else {
        None
    }
}

/// Check that a project root is a readable folder.
pub fn check_root(root: &Path) -> Result<()> {
    match std::fs::metadata(root) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::new(ErrorCode::ProjectInvalidRoot, "the project path is not a folder")),
        Err(e) => Err(Error::new(
            ErrorCode::ProjectInvalidRoot,
            format!("the project folder cannot be opened: {e}"),
        )),
    }
}

/// `path` relative to `root`, `/`-separated (as stored and shown).
pub(crate) fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// Stat, and when needed read, hash and parse one file. Returns the
/// outcome and the bytes read.
fn scan_file(
    root: &Path,
    path: &Path,
    stat: FileStat,
    kind: DocKind,
    options: &ScanOptions,
    known: &FxHashMap<String, KnownFile>,
) -> (FileScan, u64) {
    let rel = relative(root, path);
    let skipped = |reason| FileScan::Skipped(SkippedFile { path: rel.clone(), reason });
    let too_large = |size| skipped(SkipReason::TooLarge { size, limit: options.max_file_size });
    if stat.size > options.max_file_size {
        return (too_large(stat.size), 0);
    }
    let before = known.get(&rel);
    if before.is_some_and(|k| k.same_as(&stat)) {
        return (FileScan::Unchanged { path: rel, rehashed: None }, 0);
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => return (skipped(SkipReason::Unreadable { detail: e.kind().to_string() }), 0),
    };
    let read = bytes.len() as u64;
    if read > options.max_file_size {
        return (too_large(read), read);
    }
    if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
        return (skipped(SkipReason::Binary), read);
    }
    let sha256 = hex::encode(Sha256::digest(&bytes));
    if before.is_some_and(|k| k.sha256 == sha256) {
        return (FileScan::Unchanged { path: rel, rehashed: Some(stat) }, read);
    }
    let evidence = match kind {
        DocKind::Markdown | DocKind::Text => rules::infer(&bytes),
        DocKind::EnvTemplate => rules::infer_env_template(&bytes),
    };
    (FileScan::Parsed { path: rel, sha256, evidence, stat }, read)
}

/// What the walker threads share: their finished results and counters.
#[derive(Default)]
struct Shared {
    files: Mutex<Vec<FileScan>>,
    seen: AtomicU32,
    parsed: AtomicU32,
    unchanged: AtomicU32,
    skipped: AtomicU32,
    bytes: AtomicU64,
}

impl Shared {
    fn snapshot(&self) -> ScanProgress {
        ScanProgress {
            files_seen: self.seen.load(Ordering::Relaxed),
            files_parsed: self.parsed.load(Ordering::Relaxed),
            files_unchanged: self.unchanged.load(Ordering::Relaxed),
            files_skipped: self.skipped.load(Ordering::Relaxed),
            bytes_read: self.bytes.load(Ordering::Relaxed),
        }
    }
}

/// One walker thread's results, handed over when the thread ends.
struct Visitor<'s> {
    shared: &'s Shared,
    files: Vec<FileScan>,
}

impl Visitor<'_> {
    fn push(&mut self, file: FileScan, bytes: u64) {
        let counter = match &file {
            FileScan::Parsed { .. } => &self.shared.parsed,
            FileScan::Unchanged { .. } => &self.shared.unchanged,
            FileScan::Skipped(_) => &self.shared.skipped,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.shared.seen.fetch_add(1, Ordering::Relaxed);
        self.shared.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.files.push(file);
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let mut all = self.shared.files.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        all.append(&mut self.files);
    }
}

/// Scan one walk entry if it is a doc (None otherwise).
fn visit(
    entry: std::result::Result<ignore::DirEntry, ignore::Error>,
    root: &Path,
    options: &ScanOptions,
    known: &FxHashMap<String, KnownFile>,
) -> Option<(FileScan, u64)> {
    match entry {
        Ok(e) => {
            let is_file = e.file_type().is_some_and(|t| t.is_file());
            if !is_file {
                return None;
            }
            let kind = doc_kind(&e.file_name().to_string_lossy())?;
            let stat = match e.metadata() {
                Ok(m) => FileStat::of(&m),
                Err(err) => {
                    let reason = SkipReason::Unreadable { detail: err.to_string() };
                    return Some((
                        FileScan::Skipped(SkippedFile { path: relative(root, e.path()), reason }),
                        0,
                    ));
                }
            };
            Some(scan_file(root, e.path(), stat, kind, options, known))
        }
        Err(err) => {
            let path = match &err {
                ignore::Error::WithPath { path, .. } => relative(root, path),
                _ => String::new(),
            };
            let reason = SkipReason::Unreadable { detail: err.to_string() };
            Some((FileScan::Skipped(SkippedFile { path, reason }), 0))
        }
    }
}

/// Walk `root` and scan every doc in parallel. `known` maps a
/// relative path to its last scan: those files are not read again when
/// their stat matches, nor parsed again when their hash does. `progress`
/// is called from this thread ten times a second and once at the end.
pub fn scan_folder(
    root: &Path,
    options: &ScanOptions,
    known: &FxHashMap<String, KnownFile>,
    progress: &mut dyn FnMut(&ScanProgress),
) -> Result<FolderScan> {
    check_root(root)?;
    let started = Instant::now();
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(|e| {
            let excluded = e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
                && (EXCLUDED_DIRS.iter().any(|d| e.file_name() == *d) || is_site_content(e.path()));
            !excluded
        })
        .build_parallel();

    // Workers keep their results and hand them over once, when they end;
    // progress goes through atomics. A message per file costs more in
    // thread wake-ups than parsing a small file does.
    let shared = Shared::default();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let elapsed = std::thread::scope(|s| {
        let shared = &shared;
        let walk = s.spawn(move || {
            walker.run(|| {
                let mut visitor = Visitor { shared, files: Vec::new() };
                Box::new(move |entry| {
                    if options.cancelled() {
                        return WalkState::Quit;
                    }
                    let Some((file, bytes)) = visit(entry, root, options, known) else {
                        return WalkState::Continue;
                    };
                    visitor.push(file, bytes);
                    WalkState::Continue
                })
            });
            // Timed here, when the last file is done, and the waiting loop
            // below is woken at once: a small project takes what it takes.
            let elapsed = started.elapsed();
            drop(done);
            elapsed
        });
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            finished.recv_timeout(Duration::from_millis(100))
        {
            progress(&shared.snapshot());
        }
        walk.join().unwrap_or_else(|_| started.elapsed())
    });
    if options.cancelled() {
        return Err(Error::new(ErrorCode::ScanCancelled, "the scan was cancelled"));
    }
    let counters = shared.snapshot();
    let mut files = shared.files.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    progress(&counters);
    files.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(FolderScan { files, progress: counters, elapsed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_names_and_their_kinds() {
        for md in ["README.md", "docs.MD", "a.markdown", "README", "readme", "notes.mdx", "Intro.MDX"] {
            assert_eq!(doc_kind(md), Some(DocKind::Markdown), "{md}");
        }
        for text in ["README.rst", "install.rst", "README.txt"] {
            assert_eq!(doc_kind(text), Some(DocKind::Text), "{text}");
        }
        for template in [
            ".env.example",
            ".env.local.example",
            ".env.sample",
            ".env.template",
            ".env.dist",
            ".env.example.local",
            "example.env",
            ".ENV.EXAMPLE",
        ] {
            assert_eq!(doc_kind(template), Some(DocKind::EnvTemplate), "{template}");
        }
        for no in [
            ".env",
            ".env.local",
            ".env.production",
            "prod.env",
            "notes.txt",
            "md",
            "README.md.bak",
            "CHANGELOG.md",
            "changelog-2023.md",
            "CLAUDE.md",
            "AGENTS.md",
            "copilot-instructions.md",
            "CONTRIBUTING.md",
            "SECURITY.md",
            "PULL_REQUEST_TEMPLATE.md",
            "CLAUDE-IOS-SIMULATOR.md",
            "v2-migration.md",
            "UPGRADING.md",
            "mcp-server.mdx",
        ] {
            assert_eq!(doc_kind(no), None, "{no}");
        }
    }

    #[test]
    fn a_sites_own_pages_are_site_content() {
        for dir in ["apps/web/src/content", "src/pages", "site/src/content"] {
            assert!(is_site_content(Path::new(dir)), "{dir}");
        }
        for dir in ["docs/content", "apps/docs/content/docs", "src", "pages", "src/lib/content/x"] {
            assert!(!is_site_content(Path::new(dir)), "{dir}");
        }
    }
}

//! Command-line grammar.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// KeyClave: an encrypted local vault for developers' API keys.
#[derive(Debug, Parser)]
#[command(name = "keyclave", version, about, propagate_version = true)]
pub struct Cli {
    /// Data directory (default: $KEYCLAVE_HOME, else the OS data folder).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Profile to use (default: the only profile, if there is one).
    #[arg(long, global = true, env = "KEYCLAVE_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
    /// Read the passphrase from the first line of FILE instead of a prompt.
    #[arg(long, global = true, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Machine-readable JSON output (errors too, on stderr).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The length and characters of a generated secret.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Characters in the generated value (8 to 1024).
    #[arg(long, value_name = "N", default_value_t = keyclave_core::random_secret::DEFAULT_LENGTH)]
    pub length: usize,
    /// alphanumeric, symbols (no quotes, `#`, `$` or blanks), hex or digits.
    #[arg(long, value_name = "SET", default_value = "alphanumeric")]
    pub charset: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list, rename, delete profiles; change passphrase; rotate keys.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Print a new random secret (needs no profile): letters and digits by
    /// default, from the OS's secure random source.
    Generate {
        #[command(flatten)]
        shape: GenerateArgs,
    },
    /// Print a shell completion script (needs no profile).
    ///
    /// Load it from the shell's start-up file, e.g. for bash:
    /// `source <(keyclave completions bash)`. For zsh or fish, save it as
    /// `_keyclave` in a folder of `$fpath`, or as
    /// `~/.config/fish/completions/keyclave.fish`.
    Completions {
        /// bash, zsh, fish, powershell or elvish.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Rebuild index.db, the list of profiles, from the profile folders
    /// when it is damaged (`index.damaged`). The damaged file is kept as
    /// index.db.damaged-<time>; the vaults are not touched. Keychain unlock
    /// is off for every rebuilt profile.
    RepairIndex,
    /// Write a diagnostics package for a bug report: versions, OS, schema
    /// versions, settings, integrity checks, row counts and the last 500
    /// lines of the operational log. Never a value, a key name, a profile
    /// name or a home path; nothing is sent anywhere.
    ///
    /// Unlocks the selected profile (for its checks, settings and counts)
    /// unless --locked is given.
    Diagnostics {
        /// The file to write (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Do not unlock: only what the index and the files tell.
        #[arg(long)]
        locked: bool,
        /// Replace FILE if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Unlock a profile in the background agent, so later commands need no passphrase.
    ///
    /// Starts the agent (or reuses it). It keeps the profile unlocked until
    /// the profile's auto-lock timeout passes without a command, or until
    /// `keyclave lock`. Commands that find no agent ask for the passphrase
    /// as before.
    Unlock,
    /// Lock the profile in the agent (every profile with --all).
    Lock {
        /// Lock every profile the agent holds.
        #[arg(long)]
        all: bool,
    },
    /// Show which profiles the agent holds unlocked, and for how long.
    Status,
    /// The unlock agent itself (started by `keyclave unlock`).
    #[command(hide = true)]
    Agent,
    /// Write the manual pages (keyclave.1 and one per subcommand) into DIR.
    #[command(hide = true)]
    ManPages {
        /// The folder to write them in (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Holds a copied value on the clipboard (started by `secret copy`).
    #[command(hide = true)]
    ClipboardHold {
        #[arg(long, value_name = "SECONDS")]
        clear_after: u32,
    },
    /// Fill `{{ keyclave://provider/KEY }}` references in a template with vault values.
    ///
    /// Reads the template from -i FILE (or standard input) and writes the
    /// result to -o FILE (created 0600; or standard output). Other text,
    /// `{{ … }}` that is not a keyclave:// reference included, is copied
    /// unchanged. A reference the vault does not hold is an error naming
    /// its line, and nothing is written.
    Inject {
        /// The template (default: standard input).
        #[arg(short = 'i', long = "in-file", value_name = "FILE")]
        input: Option<PathBuf>,
        /// Where to write the result (default: standard output).
        #[arg(short = 'o', long = "out-file", value_name = "FILE")]
        output: Option<PathBuf>,
        /// Replace FILE when it exists.
        #[arg(long)]
        force: bool,
        /// A TOTP code, when the profile requires one to hand values out.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
    },
    /// Add, list, reveal, copy, edit and remove secrets.
    #[command(subcommand)]
    Secret(SecretCmd),
    /// Show the profile's audit log, newest first.
    Audit {
        /// Show at most N events.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Only events of this type (e.g. secret.reveal).
        #[arg(long = "type", value_name = "EVENT_TYPE")]
        event_type: Option<String>,
    },
    /// List the built-in providers.
    Providers,
    /// Show and change the profile's settings (online-mode, autonomous-mode, quiet-hours, …).
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Check keys with their providers: valid, limited, invalid, unverifiable, or error.
    ///
    /// Needs Online Mode (`keyclave settings set online-mode on`); offline
    /// it fails with net.offline and sends nothing. Each key is sent only
    /// to its provider's API (or its own --endpoint), with one read-only,
    /// free request; keys with no such request are unverifiable, with the
    /// reason.
    Validate {
        /// KEY_NAME or provider/KEY_NAME (repeatable; none: every key).
        keys: Vec<String>,
        /// Every key (the default when none is named).
        #[arg(long, conflicts_with = "keys")]
        all: bool,
    },
    /// The key dashboard from cached data: health, usage, scopes, expiry, staleness.
    Dashboard {
        #[command(subcommand)]
        cmd: Option<DashboardCmd>,
    },
    /// Provider deprecations, pricing changes, outages and SDK advisories for your keys.
    ///
    /// Needs the Discovery network switch (`keyclave settings set
    /// discovery-network on`), which is independent of Online Mode. Each
    /// provider is fetched at most 10 times a day.
    Discovery {
        #[command(subcommand)]
        cmd: DiscoveryCmd,
    },
    /// Import secrets from a .env or JSON file, or text on standard input (`-`).
    ///
    /// Shows what it read with --dry-run (key names, lines, providers,
    /// conflicts; never values). Lines that cannot be imported are listed
    /// by number and reason, and the rest is imported unless --strict.
    Import(ImportArgs),
    /// Export, inspect and import encrypted `.kcbundle` files.
    #[command(subcommand)]
    Bundle(BundleCmd),
    /// Two-factor codes (TOTP) for the profile: enroll, confirm, status, disable.
    #[command(subcommand)]
    Totp(TotpCmd),
    /// The profile's identity for bundles sent to it (`bundle export --recipient`).
    #[command(subcommand)]
    Identity(IdentityCmd),
    /// Automation scripts: templates, review, runs that stop at checkpoints for a person.
    ///
    /// A script is checked (syntax, secrets, hosts, sandbox, a checkpoint
    /// before every critical step) and approved by a person before it runs.
    /// Runs happen in a sandbox (bubblewrap where available); each
    /// checkpoint is asked on this terminal (/dev/tty, never standard
    /// input), and a financial or irreversible one is approved only by
    /// typing `approve` in full. Without a terminal checkpoints are rejected
    /// (automation.needs_person). Unlocks the profile by itself.
    #[command(subcommand)]
    Automation(AutomationCmd),
    /// Where a dashboard scrape finds each figure on a provider's page (versioned).
    #[command(subcommand)]
    Selectors(SelectorsCmd),
    /// Write vault keys into a project's `.env`: preview, patch, generate, restore.
    #[command(subcommand)]
    Env(EnvCmd),
    /// Scan a project folder's docs for the API keys it needs.
    ///
    /// Registers the folder as a project, reads every *.md, *.mdx, *.rst
    /// and README, and the names and comments of env templates
    /// (.env.example, .env.sample, …; never a real .env), respecting
    /// .gitignore (node_modules, target, changelogs and AI-assistant
    /// instructions excluded), and
    /// reports each provider with its confidence, citations and whether
    /// each env var is in the vault or the project's .env. Unchanged files
    /// are not parsed again.
    Scan {
        /// The project folder.
        dir: PathBuf,
        /// Skip docs larger than this many bytes.
        #[arg(long, value_name = "BYTES", default_value_t = keyclave_core::scan::DEFAULT_MAX_FILE_SIZE)]
        max_file_size: u64,
        /// Show every kept citation, up to 20 per provider (default: the three strongest).
        #[arg(long)]
        all_citations: bool,
    },
    /// List, show and forget scanned projects.
    #[command(subcommand)]
    Project(ProjectCmd),
    /// Accept or reject a requirement found by a scan (by its id).
    Requirement {
        /// accept or reject.
        #[arg(value_enum)]
        decision: DecisionArg,
        /// The requirement id (from `project show --json` or `scan --json`).
        id: String,
    },
    /// Accept or reject a service recommendation (by its id).
    Recommendation {
        /// accept or reject.
        #[arg(value_enum)]
        decision: DecisionArg,
        /// The recommendation id.
        id: String,
    },
    /// Run a command with vault keys in its environment (no file is written).
    ///
    /// The keys are those named with --key, else those the project needs
    /// (its scanned requirements, not the rejected ones) and those its .env
    /// names, that the vault holds. The command's exit code is passed through.
    Run {
        /// Project folder whose requirements and .env name the keys (when no --key is given).
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// The project's dotenv file, relative to the project folder.
        #[arg(long, value_name = "FILE", default_value = ".env")]
        file: PathBuf,
        /// A key to inject: NAME or provider/NAME (repeatable).
        #[arg(long = "key", value_name = "NAME")]
        keys: Vec<String>,
        /// A TOTP code, when the profile requires one to hand values out.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
        /// Load a dotenv file's values too (repeatable; a later file wins).
        /// The vault's keys win over them; with no --key or --project, the
        /// keys the last file names that the vault holds are injected.
        #[arg(long = "env-file", value_name = "FILE")]
        env_files: Vec<PathBuf>,
        /// The command and its arguments, after `--` (so that a mistyped
        /// option of `run` is an error, not the command).
        #[arg(required = true, last = true, value_name = "CMD")]
        command: Vec<std::ffi::OsString>,
    },
}

/// A decision on a requirement or recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DecisionArg {
    /// The project needs it.
    Accept,
    /// Not needed.
    Reject,
    /// Back to undecided.
    Reset,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCmd {
    /// Every scanned project.
    List,
    /// A project's requirements and recommendations (by folder, name or id).
    Show {
        /// Folder, name or id.
        project: String,
        /// Show every kept citation, up to 20 per provider (default: the three strongest).
        #[arg(long)]
        all_citations: bool,
    },
    /// Forget a project (its folder and the vault's keys are untouched).
    Rm {
        /// Folder, name or id.
        project: String,
    },
}

/// What to do with a key already in the file with another value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnConflict {
    /// Leave the file's value.
    Keep,
    /// Write the vault's value.
    Overwrite,
    /// Leave the key alone (not even added).
    Skip,
}

#[derive(Debug, Args)]
pub struct EnvTarget {
    /// Project folder.
    pub dir: PathBuf,
    /// The dotenv file, relative to DIR.
    #[arg(long, value_name = "FILE", default_value = ".env")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct EnvKeys {
    /// A vault key to write: NAME or provider/NAME (repeatable). Without
    /// it: the keys the project's scanned requirements name (not rejected)
    /// and the keys the file already names, that the vault holds.
    #[arg(long = "key", value_name = "NAME")]
    pub keys: Vec<String>,
    /// For keys already in the file with another value.
    #[arg(long, value_enum, default_value_t = OnConflict::Keep)]
    pub on_conflict: OnConflict,
}

#[derive(Debug, Subcommand)]
pub enum EnvCmd {
    /// Show what `env write` would change, every value masked.
    Diff {
        #[command(flatten)]
        target: EnvTarget,
        #[command(flatten)]
        keys: EnvKeys,
    },
    /// Patch the file with vault values (a timestamped backup is kept beside it).
    Write {
        #[command(flatten)]
        target: EnvTarget,
        #[command(flatten)]
        keys: EnvKeys,
        /// A TOTP code, when the profile requires one to hand values out.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
        /// `--chmod 600`: make the file yours alone as it is written (an
        /// existing file otherwise keeps its mode, with a warning when
        /// others may read it).
        #[arg(long, value_name = "MODE", value_parser = ["600"])]
        chmod: Option<String>,
    },
    /// Create a new file with the named keys, grouped by provider.
    Generate {
        #[command(flatten)]
        target: EnvTarget,
        /// A vault key to write: NAME or provider/NAME (repeatable). Without
        /// it: the keys the project's scanned requirements name.
        #[arg(long = "key", value_name = "NAME")]
        keys: Vec<String>,
        /// Write aliases under their provider's canonical name (GH_TOKEN → GITHUB_TOKEN).
        #[arg(long)]
        canonical_names: bool,
        /// A TOTP code, when the profile requires one to hand values out.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
    },
    /// List the file's backups, oldest first.
    Backups {
        #[command(flatten)]
        target: EnvTarget,
    },
    /// Put a backup back (the current file is backed up first).
    Restore {
        #[command(flatten)]
        target: EnvTarget,
        /// The backup's file name, as `env backups` lists it.
        backup: String,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to read, or `-` for standard input (after the passphrase
    /// line when the passphrase also comes from standard input).
    #[arg(value_name = "FILE|-")]
    pub input: PathBuf,
    /// How to read it: auto (JSON if it is a JSON object, else dotenv), dotenv or json.
    #[arg(long, value_name = "FORMAT", default_value = "auto")]
    pub format: String,
    /// Store every secret under this provider (default: suggested from each key name).
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,
    /// What to do with a secret that exists already: `replace` overwrites
    /// its value with the incoming one; `keep` and `skip` both leave it as
    /// it is and import the rest (the report counts them as kept or as
    /// skipped: they differ only as a per-key choice, where `skip` also
    /// leaves out a new key). Without it, any conflict stops the import
    /// before anything is written.
    #[arg(long, value_name = "DECISION")]
    pub on_conflict: Option<String>,
    /// Only show what would be imported; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import nothing if any line cannot be imported.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct BundleKdfArgs {
    /// Argon2id memory of the bundle key in KiB (tests and small machines; default 128 MiB).
    #[arg(long, value_name = "KIB", hide = true)]
    pub bundle_kdf_memory_kib: Option<u32>,
    /// Argon2id iterations of the bundle key (default 4).
    #[arg(long, value_name = "N", hide = true)]
    pub bundle_kdf_iterations: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum BundleCmd {
    /// Export secrets to an encrypted bundle (all, or those named with --key).
    Export {
        /// The bundle file to write (mode 0600).
        out: PathBuf,
        /// Export only this key name (repeatable; every provider's secret of that name).
        #[arg(long = "key", value_name = "NAME")]
        keys: Vec<String>,
        /// Refuse the bundle after this time (RFC 3339, e.g. 2026-03-01T00:00:00Z).
        #[arg(long, value_name = "RFC3339")]
        expires: Option<String>,
        /// Read the bundle password from the first line of FILE (else asked twice).
        #[arg(long, value_name = "FILE", conflicts_with = "recipients")]
        bundle_passphrase_file: Option<PathBuf>,
        /// Encrypt to this person's profile instead of a password: the
        /// `age1…` line their `keyclave identity show` prints (repeatable).
        #[arg(long = "recipient", value_name = "AGE1…")]
        recipients: Vec<String>,
        /// A TOTP code (or recovery code), when TOTP is enabled.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        kdf: BundleKdfArgs,
    },
    /// Show a bundle's header (no password needed; nothing is decrypted).
    Inspect {
        /// The bundle file.
        file: PathBuf,
    },
    /// Import a bundle into the profile.
    Import {
        /// The bundle file.
        file: PathBuf,
        /// Read the bundle password from the first line of FILE.
        #[arg(long, value_name = "FILE")]
        bundle_passphrase_file: Option<PathBuf>,
        /// What to do with a secret that exists already: `replace` overwrites
        /// its value with the bundle's; `keep` and `skip` both leave it as it
        /// is and import the rest (counted as kept or as skipped). Without
        /// it, any conflict stops the import before anything is written.
        #[arg(long, value_name = "DECISION")]
        on_conflict: Option<String>,
        /// Only show what would be imported (names and conflicts, no values).
        #[arg(long)]
        preview: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SelectorsCmd {
    /// The newest selector of each figure, with its state (verified, unverified, broken).
    List {
        /// Only this provider's.
        #[arg(long)]
        provider: Option<String>,
    },
    /// Set a selector (a new version, unverified until a scrape finds it).
    Set {
        /// Provider id.
        provider: String,
        /// requests_used, requests_limit, credits_used, credits_limit,
        /// credits_remaining or cost.
        data_type: String,
        /// css, xpath or json_path.
        selector_type: String,
        /// The selector.
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AutomationCmd {
    /// The built-in scripts (needs no profile).
    Templates,
    /// Make the automation runtime for browser tasks: a Python virtual
    /// environment with the pinned Playwright, from PyPI (about 40 MB). It
    /// uses the system's Python and Chromium. Without --yes it asks first.
    Setup {
        /// Do not ask.
        #[arg(long)]
        yes: bool,
        /// Only say what is there and what is missing.
        #[arg(long)]
        status: bool,
    },
    /// Save a new script from a template or a file; prints its id.
    New {
        /// Provider id (see `keyclave providers`).
        #[arg(long)]
        provider: String,
        /// account_creation, payment_config, billing_restriction,
        /// api_key_management, dashboard_scrape or custom.
        #[arg(long)]
        task: String,
        /// A built-in template (see `keyclave automation templates`).
        #[arg(long, conflicts_with = "from_file", required_unless_present = "from_file")]
        template: Option<String>,
        /// A Python file.
        #[arg(long, value_name = "FILE")]
        from_file: Option<PathBuf>,
        /// Title (default: the task and provider).
        #[arg(long)]
        title: Option<String>,
        /// The page a template opens (default: the provider's dashboard).
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Every script, by provider.
    List {
        /// Only this provider's.
        #[arg(long)]
        provider: Option<String>,
    },
    /// One script; with --source, its source with line numbers.
    Show {
        /// Script id (or a unique prefix of 4+ characters).
        id: String,
        /// Print the source.
        #[arg(long)]
        source: bool,
    },
    /// Run the static checks; exits with automation.script_refused when one blocks approval.
    Check {
        /// Script id.
        id: String,
    },
    /// Save a new version from a file (pending review again).
    Edit {
        /// Script id.
        id: String,
        /// A Python file.
        #[arg(long, value_name = "FILE")]
        from_file: PathBuf,
    },
    /// Approve the current version (after its checks pass).
    Approve {
        /// Script id.
        id: String,
        /// Notes, recorded with the decision.
        #[arg(long)]
        notes: Option<String>,
        /// Later runs of this unchanged version start without asking first
        /// (every other checkpoint is still asked).
        #[arg(long)]
        repeat: bool,
    },
    /// Reject the current version.
    Reject {
        /// Script id.
        id: String,
        /// Why.
        #[arg(long)]
        notes: Option<String>,
    },
    /// Run an approved script here, asking its checkpoints on this terminal.
    Run {
        /// Script id.
        id: String,
        /// Bound on run time in seconds (waits for a person excluded).
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        timeout: u64,
        /// A checkpoint nobody answers is rejected after this many seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 900)]
        checkpoint_timeout: u64,
        /// Run the browser without a window.
        #[arg(long)]
        headless: bool,
        /// A TOTP code, when handing the script its keys needs one.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
    },
    /// Past runs, newest first; with --run, one run's events and checkpoints.
    History {
        /// Only this script's runs.
        id: Option<String>,
        /// One run's id.
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
        /// At most this many runs.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum IdentityCmd {
    /// Print the profile's recipient (age1…): give it to people who send you
    /// bundles. It is a public key; the private half stays sealed in the
    /// vault. Created on first use.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum TotpCmd {
    /// Start enrolling an authenticator app: prints the secret and otpauth URI once.
    Enroll {
        /// Also write the QR code as an SVG file (mode 0600; it holds the secret).
        #[arg(long, value_name = "FILE")]
        qr_svg: Option<PathBuf>,
    },
    /// Confirm the enrollment with a first code; prints 8 one-time recovery codes.
    Confirm {
        /// The 6-digit code shown by the authenticator.
        code: String,
    },
    /// Show whether TOTP is on and how many recovery codes are left.
    Status,
    /// Turn TOTP off (needs the passphrase and a code or recovery code).
    Disable {
        /// The code (asked for when missing).
        #[arg(long, value_name = "CODE")]
        code: Option<String>,
    },
    /// Choose when a code is required (changing it needs a code while TOTP is on).
    Policy {
        /// Require a code to export: on or off (default on).
        #[arg(long, value_name = "on|off")]
        export: Option<String>,
        /// Require a code to reveal a value: on or off (default off).
        #[arg(long, value_name = "on|off")]
        reveal: Option<String>,
        /// A current code or recovery code.
        #[arg(long, value_name = "CODE")]
        code: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct KdfArgs {
    /// Argon2id memory in MiB (default 128).
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id memory in KiB (overrides --kdf-memory-mib; for tests and small machines).
    #[arg(long, value_name = "KIB", hide = true)]
    pub kdf_memory_kib: Option<u32>,
    /// Argon2id iterations (default 4).
    #[arg(long, value_name = "N")]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes (default 1).
    #[arg(long, value_name = "N")]
    pub kdf_parallelism: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Create a profile (asks for the passphrase twice unless --passphrase-file).
    Create {
        /// Display name (unique, case-insensitive).
        name: String,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// List profiles.
    List,
    /// Rename a profile.
    Rename {
        /// Current name.
        old: String,
        /// New name.
        new: String,
    },
    /// Delete a profile and all its data (needs its passphrase).
    Delete {
        /// Profile name.
        name: String,
    },
    /// Change the passphrase (re-wraps the key; the vault is untouched).
    Passwd {
        /// Read the new passphrase from the first line of FILE.
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Rotate the profile vault key: re-encrypt the vault and every value.
    RotateKey,
    /// Check the vault and the profile index for damage (SQLite structure and SQLCipher page HMACs).
    Check,
    /// Unlock with the OS keychain (optional, off by default): on, off, or status.
    ///
    /// When on, commands that are not given --passphrase-file unlock with
    /// the key the OS keychain (Secret Service, Keychain, Credential Manager)
    /// holds for the profile, and fall back to asking for the passphrase when
    /// it cannot. Turning it on or off needs the passphrase; the passphrase
    /// always still works.
    Keychain {
        /// on | off | status
        #[arg(value_parser = ["on", "off", "status"])]
        action: String,
    },
    /// Show the profile's settings, or change them.
    Settings {
        /// Lock after this many seconds without a command or click (5 to 86400).
        #[arg(long, value_name = "SECONDS")]
        auto_lock: Option<u32>,
        /// Clear a copied secret from the clipboard after this many seconds (5 to 3600).
        #[arg(long, value_name = "SECONDS")]
        clipboard_clear: Option<u32>,
    },
    /// Show the KDF parameters, or change them (--upgrade for the default).
    Kdf {
        /// Switch to the default parameters (128 MiB, t=4, p=1).
        #[arg(long)]
        upgrade: bool,
        #[command(flatten)]
        kdf: KdfArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// Every setting with its value.
    List,
    /// One setting's value.
    Get {
        /// The setting's name (see `settings list`).
        name: String,
    },
    /// Change one setting.
    Set {
        /// The setting's name (see `settings list`).
        name: String,
        /// on/off, a number, or for quiet-hours START-END (e.g. 22-7) or off.
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DashboardCmd {
    /// Collect dashboard data from the providers now (needs Online Mode).
    Refresh {
        /// KEY_NAME or provider/KEY_NAME (repeatable; none: every key).
        keys: Vec<String>,
        /// Only the keys the schedule says are due (for cron or a systemd timer).
        #[arg(long, conflicts_with = "keys")]
        due: bool,
    },
    /// A key's daily history (usage, cost, health).
    History {
        /// KEY_NAME or provider/KEY_NAME.
        key: String,
        /// How many days back.
        #[arg(long, default_value_t = 30)]
        days: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum DiscoveryCmd {
    /// Fetch the sources now (progress; obeys the daily budget).
    Run {
        /// Only this provider.
        #[arg(long)]
        provider: Option<String>,
    },
    /// The findings, most urgent first.
    List {
        /// new, reviewed, actioned or dismissed.
        #[arg(long)]
        status: Option<String>,
        /// informational, advisory, action_needed or critical.
        #[arg(long)]
        urgency: Option<String>,
        /// Only this category (deprecation, pricing_update, …).
        #[arg(long)]
        category: Option<String>,
        /// Only this provider.
        #[arg(long)]
        provider: Option<String>,
    },
    /// Mark a finding reviewed, actioned or dismissed (optionally with a note).
    Mark {
        /// The finding's id (or a unique prefix of it).
        id: String,
        /// reviewed, actioned, dismissed (or new).
        status: String,
        /// A note kept with it.
        #[arg(long)]
        notes: Option<String>,
    },
    /// The sources: built-in ones and your own.
    #[command(subcommand)]
    Source(DiscoverySourceCmd),
    /// What each run fetched, found and failed at (last 30 days).
    Log {
        /// Rows shown.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
pub enum DiscoverySourceCmd {
    /// Every source of the providers watched, with its last fetch.
    List,
    /// Watch a URL of your own for a provider.
    Add {
        /// Provider id (`openai`, `stripe`, …).
        provider: String,
        /// The address (HTTPS; plain HTTP only for localhost).
        url: String,
        /// statuspage, status_json, feed, advisories or page.
        #[arg(long)]
        kind: String,
        /// For a page: the CSS selector of the part to watch.
        #[arg(long)]
        selector: Option<String>,
    },
    /// Remove one of your sources.
    Rm {
        /// The source's id.
        id: String,
    },
    /// Stop fetching a source (built-in ones too).
    Disable {
        /// The source's id (`builtin:openai/status`, …).
        id: String,
    },
    /// Fetch a disabled source again.
    Enable {
        /// The source's id.
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCmd {
    /// Add a secret; the value comes from --value-file, else standard input.
    Add {
        /// Env var name, e.g. OPENAI_API_KEY.
        key_name: String,
        /// Provider id (default: suggested from the key name).
        #[arg(long)]
        provider: Option<String>,
        /// Environment: dev, stage or prod.
        #[arg(long = "env", value_name = "ENV")]
        environment: Option<String>,
        /// Notes.
        #[arg(long)]
        notes: Option<String>,
        /// Tag (repeatable).
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Read the value from FILE (one trailing newline is dropped).
        #[arg(long, value_name = "FILE", conflicts_with = "generate")]
        value_file: Option<PathBuf>,
        /// Store a new random value instead of reading one (see `keyclave
        /// generate`); it is not printed: reveal it when needed.
        #[arg(long)]
        generate: bool,
        /// The key's own API base URL (an Azure OpenAI resource, GitHub
        /// Enterprise, self-managed GitLab, a Supabase project): validation
        /// and the dashboard contact this host for this key only.
        #[arg(long, value_name = "URL")]
        endpoint: Option<String>,
        #[command(flatten)]
        shape: GenerateArgs,
    },
    /// List secrets (values stay masked).
    List {
        /// Only this provider.
        #[arg(long)]
        provider: Option<String>,
        /// Only this environment.
        #[arg(long = "env", value_name = "ENV")]
        environment: Option<String>,
        /// Substring of key name, provider, notes or tags.
        #[arg(long)]
        search: Option<String>,
        /// At most N rows.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Print a secret's value alone.
    Reveal {
        /// Env var name.
        key_name: String,
        /// Provider id (needed when the name exists for several providers).
        #[arg(long)]
        provider: Option<String>,
        /// A TOTP code, when the profile requires one to reveal.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
    },
    /// Copy a secret's value to the clipboard; it is cleared after the
    /// profile's delay (`profile settings --clipboard-clear`), unless
    /// something else was copied meanwhile.
    Copy {
        /// Env var name.
        key_name: String,
        /// Provider id (needed when the name exists for several providers).
        #[arg(long)]
        provider: Option<String>,
        /// A TOTP code, when the profile requires one to reveal.
        #[arg(long, value_name = "CODE")]
        totp: Option<String>,
    },
    /// Change a secret's value, provider, environment, notes or tags.
    Edit {
        /// Env var name.
        key_name: String,
        /// Provider id of the secret to edit.
        #[arg(long)]
        provider: Option<String>,
        /// Move the secret to another provider.
        #[arg(long, value_name = "ID")]
        set_provider: Option<String>,
        /// New environment (dev, stage, prod).
        #[arg(long = "env", value_name = "ENV", conflicts_with = "clear_env")]
        environment: Option<String>,
        /// Remove the environment.
        #[arg(long)]
        clear_env: bool,
        /// New notes ("" clears them).
        #[arg(long)]
        notes: Option<String>,
        /// Replace the tags (repeatable).
        #[arg(long = "tag", value_name = "TAG", conflicts_with = "clear_tags")]
        tags: Vec<String>,
        /// Remove all tags.
        #[arg(long)]
        clear_tags: bool,
        /// New value from FILE.
        #[arg(long, value_name = "FILE", conflicts_with = "value_stdin")]
        value_file: Option<PathBuf>,
        /// New value from standard input (or a hidden prompt).
        #[arg(long)]
        value_stdin: bool,
        /// Set the key's own API base URL (see `secret add --endpoint`).
        #[arg(long, value_name = "URL", conflicts_with = "no_endpoint")]
        endpoint: Option<String>,
        /// Remove the key's own API base URL.
        #[arg(long)]
        no_endpoint: bool,
    },
    /// Remove a secret.
    #[command(alias = "delete")]
    Rm {
        /// Env var name.
        key_name: String,
        /// Provider id.
        #[arg(long)]
        provider: Option<String>,
    },
}

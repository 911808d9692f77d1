//! The error taxonomy: every failure the core reports has a stable code, a
//! message, a suggestion and a recoverable flag.
//!
//! Messages and suggestions pass through [`crate::redact::redact`] when the
//! error is built, so nothing that looks like a secret can leave through an
//! error, whatever a caller embedded in it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

use crate::redact::redact;

/// Result with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, user: $user:literal, recoverable: $rec:literal, suggestion: $sugg:literal; )*) => {
        /// Stable, machine-readable error codes (`area.reason`). Fronts branch
        /// on these, never on message text; serialized as the dotted code (so
        /// the desktop bindings get a TypeScript union of the codes).
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $( $(#[$doc])* #[serde(rename = $code)] $variant, )*
        }

        impl ErrorCode {
            /// Every code, for exhaustive tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The dotted code, e.g. `vault.wrong_passphrase`.
            pub fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// Caused by the user's input or choice (CLI exit status 2), as
            /// opposed to the environment or a bug (exit status 1).
            pub fn is_user_error(self) -> bool {
                match self { $(ErrorCode::$variant => $user,)* }
            }

            /// The user can fix it and try again without losing anything.
            pub fn is_recoverable(self) -> bool {
                match self { $(ErrorCode::$variant => $rec,)* }
            }

            /// What to do about it, when the error carries no better advice.
            pub fn default_suggestion(self) -> &'static str {
                match self { $(ErrorCode::$variant => $sugg,)* }
            }
        }
    };
}

codes! {
    /// The operation needs an unlocked vault.
    VaultLocked => "vault.locked", user: true, recoverable: true,
        suggestion: "Unlock the profile with its passphrase first.";
    /// The passphrase did not open the vault.
    VaultWrongPassphrase => "vault.wrong_passphrase", user: true, recoverable: true,
        suggestion: "Check the passphrase (and keyboard layout) and try again. A lost passphrase cannot be recovered.";
    /// No passphrase was given (an empty one, or standard input closed).
    /// Not a failed attempt: the back-off does not count it.
    VaultPassphraseMissing => "vault.passphrase_missing", user: true, recoverable: true,
        suggestion: "Give the profile's passphrase: at the prompt, in a passphrase file or on standard input.";
    /// Too many failed unlocks: wait before the next attempt.
    VaultThrottled => "vault.throttled", user: true, recoverable: true,
        suggestion: "Wait until the delay has passed, then try again.";
    /// Another KeyClave process is using the profile in a way that excludes
    /// this operation for now (a rotation while it is open elsewhere, a
    /// write that waited too long for another writer). Nothing was changed.
    VaultBusy => "vault.busy", user: false, recoverable: true,
        suggestion: "Another KeyClave (the desktop app, the unlock agent or another command) is using this profile; wait for it to finish and try again.";
    /// A vault or index file is damaged or not what it should be.
    VaultCorruption => "vault.corruption", user: false, recoverable: false,
        suggestion: "The vault file is damaged or was replaced. Restore the profile folder from a backup.";
    /// No profile with that name.
    ProfileNotFound => "profile.not_found", user: true, recoverable: true,
        suggestion: "List profiles with `keyclave profile list`, or create one with `keyclave profile create NAME`.";
    /// A profile with that name exists already (names are case-insensitive).
    ProfileAlreadyExists => "profile.already_exists", user: true, recoverable: true,
        suggestion: "Choose another name, or rename the existing profile.";
    /// The profile name is empty, too long or has control characters.
    ProfileInvalidName => "profile.invalid_name", user: true, recoverable: true,
        suggestion: "Use 1 to 64 printable characters.";
    /// Several profiles exist and none was chosen.
    ProfileNotSelected => "profile.not_selected", user: true, recoverable: true,
        suggestion: "Pass --profile NAME (or set KEYCLAVE_PROFILE).";
    /// The new passphrase is too short.
    PassphraseTooShort => "passphrase.too_short", user: true, recoverable: true,
        suggestion: "Use at least 8 characters; a few random words are stronger than a short complex password.";
    /// The two entries of a new passphrase differ.
    PassphraseMismatch => "passphrase.mismatch", user: true, recoverable: true,
        suggestion: "Type the same passphrase twice.";
    /// No secret matches.
    SecretNotFound => "secret.not_found", user: true, recoverable: true,
        suggestion: "List secrets with `keyclave secret list`.";
    /// A secret with this key name exists already for that provider.
    SecretAlreadyExists => "secret.already_exists", user: true, recoverable: true,
        suggestion: "Edit the existing secret, or add this one under another provider.";
    /// The key name exists for several providers.
    SecretAmbiguous => "secret.ambiguous", user: true, recoverable: true,
        suggestion: "Name the provider with --provider ID.";
    /// The key name is not a valid environment variable name.
    SecretInvalidKeyName => "secret.invalid_key_name", user: true, recoverable: true,
        suggestion: "Use letters, digits and underscores, not starting with a digit (upper case recommended, e.g. OPENAI_API_KEY).";
    /// An empty secret value.
    SecretEmptyValue => "secret.empty_value", user: true, recoverable: true,
        suggestion: "Provide a non-empty value (from --value-file or standard input).";
    /// A key's API endpoint is not a URL KeyClave will send a key to.
    SecretInvalidEndpoint => "secret.invalid_endpoint", user: true, recoverable: true,
        suggestion: "Give an https:// URL with a host (http:// only for localhost), without user name, password, query or fragment, e.g. https://myresource.openai.azure.com.";
    /// A secret with that provider and key name exists already.
    ImportConflict => "import.conflict", user: true, recoverable: true,
        suggestion: "Edit the existing secret, delete it first, or use another provider or key name.";
    /// The file is not a `.kcbundle` (wrong magic bytes, or too short to have them).
    ImportNotABundle => "import.not_a_bundle", user: true, recoverable: true,
        suggestion: "Choose a .kcbundle file exported by KeyClave.";
    /// The bundle was written in a format version this KeyClave cannot read.
    ImportBundleUnsupportedVersion => "import.bundle_unsupported_version", user: true, recoverable: true,
        suggestion: "Update KeyClave, or ask the sender to export the bundle again with your version.";
    /// The bundle's expiry date has passed.
    ImportBundleExpired => "import.bundle_expired", user: true, recoverable: true,
        suggestion: "Ask the sender for a new bundle.";
    /// The password is wrong, or the bundle was changed after it was written.
    ImportBundleWrongPasswordOrTampered => "import.bundle_wrong_password_or_tampered", user: true, recoverable: true,
        suggestion: "Check the bundle password. If it is right, the file was modified or damaged: ask the sender for it again.";
    /// index.db (the profile list, outside the vaults) is damaged.
    IndexDamaged => "index.damaged", user: true, recoverable: true,
        suggestion: "The vaults are untouched: rebuild the list from the profile folders with `keyclave repair-index` (or the button on the start screen).";
    /// Keychain unlock is not turned on for this profile.
    KeychainNotEnabled => "keychain.not_enabled", user: true, recoverable: true,
        suggestion: "Unlock with the passphrase; keychain unlock can be turned on in Settings (or `keyclave profile keychain on`).";
    /// The OS keychain holds no entry for this profile (removed, or another machine).
    KeychainEntryMissing => "keychain.entry_missing", user: true, recoverable: true,
        suggestion: "Unlock with the passphrase, then turn keychain unlock off and on again to store a new entry.";
    /// The OS keychain could not be reached or refused access (locked, no Secret Service).
    KeychainUnavailable => "keychain.unavailable", user: true, recoverable: true,
        suggestion: "Unlock with the passphrase; check that your desktop session's keyring is running and unlocked.";
    /// Keychain unlock cannot be used right now; the passphrase is needed.
    KeychainNeedsPassphrase => "keychain.needs_passphrase", user: true, recoverable: true,
        suggestion: "Unlock once with the passphrase.";
    /// A recipient bundle was not encrypted to this profile's identity.
    ImportBundleNotForThisProfile => "import.bundle_not_for_this_profile", user: true, recoverable: true,
        suggestion: "Import it into the profile whose recipient (keyclave identity show) the sender used, or ask the sender to export it to this profile's recipient.";
    /// A recipient bundle was changed after it was written.
    ImportBundleTampered => "import.bundle_tampered", user: true, recoverable: true,
        suggestion: "The file was modified or damaged: ask the sender for it again.";
    /// The bundle's structure (lengths, header) is damaged or invalid.
    ImportBundleMalformed => "import.bundle_malformed", user: true, recoverable: true,
        suggestion: "The bundle file is truncated or damaged; ask the sender for it again.";
    /// The bundle decrypted, but its contents are not a valid list of secrets.
    ImportBundleMalformedPayload => "import.bundle_malformed_payload", user: true, recoverable: true,
        suggestion: "The bundle was written by a faulty or incompatible program; ask the sender to export it again.";
    /// The text to import is larger than the limit.
    ImportInputTooLarge => "import.input_too_large", user: true, recoverable: true,
        suggestion: "Import at most 16 MiB (and 100,000 keys) at a time; split the file.";
    /// The text to import is not UTF-8 (binary, or UTF-16 from some editors).
    ImportInputNotUtf8 => "import.input_not_utf8", user: true, recoverable: true,
        suggestion: "Save the file as UTF-8 text; it may be UTF-16 or binary.";
    /// `--format json` was asked for and the text is not a JSON object.
    ImportInvalidJson => "import.invalid_json", user: true, recoverable: true,
        suggestion: "Fix the JSON at the line and column named, or use --format dotenv (or auto).";
    /// The text holds no entry that could be imported.
    ImportNothingFound => "import.nothing_found", user: true, recoverable: true,
        suggestion: "Paste KEY=value lines or a JSON object of strings; --dry-run shows what was read.";
    /// A strict import refused input with lines that would not be imported.
    ImportRejectedLines => "import.rejected_lines", user: true, recoverable: true,
        suggestion: "Fix or remove the lines named (see them with --dry-run), or import without --strict.";
    /// TOTP is enabled and this operation needs a current code.
    TotpRequired => "totp.required", user: true, recoverable: true,
        suggestion: "Enter the 6-digit code from your authenticator app (or a recovery code).";
    /// The code is wrong, expired, or was already used.
    TotpInvalid => "totp.invalid", user: true, recoverable: true,
        suggestion: "Enter the current code from your authenticator app; a code works once. Check the device clock.";
    /// Too many refused codes: wait before the next attempt.
    TotpThrottled => "totp.throttled", user: true, recoverable: true,
        suggestion: "Wait until the delay has passed, then enter a current code.";
    /// TOTP is not enabled for this profile.
    TotpNotEnabled => "totp.not_enabled", user: true, recoverable: true,
        suggestion: "Enroll with `keyclave totp enroll`, then confirm with `keyclave totp confirm CODE`.";
    /// TOTP is already enabled for this profile.
    TotpAlreadyEnabled => "totp.already_enabled", user: true, recoverable: true,
        suggestion: "Disable TOTP first (with the passphrase and a code) to enroll a new authenticator.";
    /// No enrollment is waiting for its first code.
    TotpNoPendingEnrollment => "totp.no_pending_enrollment", user: true, recoverable: true,
        suggestion: "Start with `keyclave totp enroll`, add the secret to your authenticator, then confirm a code.";
    /// Unknown provider id.
    ProviderNotFound => "provider.not_found", user: true, recoverable: true,
        suggestion: "List provider ids with `keyclave providers`.";
    /// No project with that id, folder or name.
    ProjectNotFound => "project.not_found", user: true, recoverable: true,
        suggestion: "List projects with `keyclave project list`, or scan the folder with `keyclave scan DIR`.";
    /// The project path is missing or is not a folder.
    ProjectInvalidRoot => "project.invalid_root", user: true, recoverable: true,
        suggestion: "Choose an existing folder (the root of the project).";
    /// The user stopped a scan; nothing was stored.
    ScanCancelled => "scan.cancelled", user: true, recoverable: true,
        suggestion: "Nothing from this scan was stored; scan again when you are ready.";
    /// A background job was cancelled (by the user, or because it was
    /// replaced); what it had not stored yet was dropped.
    JobCancelled => "job.cancelled", user: true, recoverable: true,
        suggestion: "Nothing from the job was stored; start it again when you are ready.";
    /// No running job has that id (it may have finished).
    JobNotFound => "job.not_found", user: true, recoverable: true,
        suggestion: "The job may have finished already; refresh the list of running jobs.";
    /// No requirement with that id in the project.
    RequirementNotFound => "requirement.not_found", user: true, recoverable: true,
        suggestion: "List the project's requirements with `keyclave project show DIR`.";
    /// No service recommendation with that id.
    RecommendationNotFound => "recommendation.not_found", user: true, recoverable: true,
        suggestion: "List the project's recommendations with `keyclave project show DIR`.";
    /// A key is given twice (in the entries to write, or twice once
    /// written under its canonical name).
    DotenvDuplicateKey => "dotenv.duplicate_key", user: true, recoverable: true,
        suggestion: "List each key once.";
    /// The `.env` file changed since the preview was made.
    DotenvChangedOnDisk => "dotenv.changed_on_disk", user: true, recoverable: true,
        suggestion: "The file was edited meanwhile: review the new preview and apply again.";
    /// A new `.env` was to be created, and the file exists.
    DotenvAlreadyExists => "dotenv.already_exists", user: true, recoverable: true,
        suggestion: "Patch the existing file instead, or choose another path.";
    /// The path is a folder or something else than a regular file.
    DotenvNotAFile => "dotenv.not_a_file", user: true, recoverable: true,
        suggestion: "Point to a .env file, not a folder.";
    /// The file is larger than a `.env` file can reasonably be.
    DotenvTooLarge => "dotenv.too_large", user: true, recoverable: true,
        suggestion: "Check that the path names a .env file (the limit is 16 MiB).";
    /// The file is not UTF-8 text.
    DotenvNotUtf8 => "dotenv.not_utf8", user: true, recoverable: true,
        suggestion: "Save the file as UTF-8 (it may be UTF-16 or binary).";
    /// The patch would change how other lines read (an unterminated quote).
    DotenvUnsafePatch => "dotenv.unsafe_patch", user: true, recoverable: true,
        suggestion: "Close the open quote on the line named, then preview again.";
    /// The write stopped part-way (fault injection in tests); the original
    /// file is intact.
    DotenvInterrupted => "dotenv.interrupted", user: false, recoverable: true,
        suggestion: "Apply again; the original file and its backup are intact.";
    /// Some input was not acceptable (a value out of range, a bad option).
    InputInvalid => "input.invalid", user: true, recoverable: true,
        suggestion: "Check the input and try again.";
    /// The key derivation could not run (for example, not enough memory).
    CryptoKdfFailed => "crypto.kdf_failed", user: false, recoverable: false,
        suggestion: "Close other programs to free memory and try again.";
    /// Reading or writing a file failed.
    StorageIo => "storage.io", user: false, recoverable: true,
        suggestion: "Check disk space and permissions of the KeyClave data folder.";
    /// The disk (or the user's quota) is full: the write was not made and
    /// nothing already stored was lost.
    StorageFull => "storage.full", user: false, recoverable: true,
        suggestion: "Free some disk space where the KeyClave data folder (or the output file) lives, then try again; nothing stored was lost.";
    /// The data folder (or the output file's folder) cannot be written:
    /// a read-only file system or missing write permission.
    StorageReadOnly => "storage.read_only", user: false, recoverable: true,
        suggestion: "KeyClave needs to write to its data folder; check that its file system is mounted read-write and that you own the folder.";
    /// The database reported an error.
    StorageDatabase => "storage.database", user: false, recoverable: true,
        suggestion: "Try again; if it persists, another KeyClave may be using the profile.";
    /// A network feature was asked for while its switch is off: nothing was sent.
    NetOffline => "net.offline", user: true, recoverable: true,
        suggestion: "Turn Online Mode on for this profile (`keyclave settings set online-mode on`, or the switch in the app) to let KeyClave contact provider APIs.";
    /// The request's host is not on the allowlist (or not HTTPS): nothing was sent.
    NetDomainNotAllowed => "net.domain_not_allowed", user: true, recoverable: true,
        suggestion: "KeyClave only contacts a provider's own API hosts over HTTPS, and a key's own endpoint; set the key's endpoint (`--endpoint URL`) if its API lives elsewhere.";
    /// The provider did not answer in time.
    NetTimeout => "net.timeout", user: false, recoverable: true,
        suggestion: "The provider did not answer in time; try again later.";
    /// The provider asked KeyClave to slow down (HTTP 429).
    NetRateLimited => "net.rate_limited", user: false, recoverable: true,
        suggestion: "The provider limits how often it may be asked; try again after the delay it gave.";
    /// Requests to this provider are paused after repeated failures.
    NetProviderPaused => "net.provider_paused", user: false, recoverable: true,
        suggestion: "KeyClave paused this provider after five failures in a row; it tries again when the pause ends.";
    /// The provider could not be reached, or answered with a server error.
    NetUnavailable => "net.unavailable", user: false, recoverable: true,
        suggestion: "Check the network connection and proxy settings (HTTPS_PROXY, NO_PROXY); the provider may be down.";
    /// The provider's answer could not be read (an error page, garbage, too large).
    NetBadResponse => "net.bad_response", user: false, recoverable: true,
        suggestion: "The provider answered with something KeyClave cannot read; try again later.";
    /// A discovery source answered something that is not what its kind
    /// promises (an HTML page for a feed, invalid XML or JSON).
    DiscoveryBadSource => "discovery.bad_source", user: false, recoverable: true,
        suggestion: "The source may have moved; check its address (`keyclave discovery source list`) or disable it.";
    /// The provider's daily discovery budget (10 fetches) is spent: nothing more was fetched.
    DiscoveryBudgetReached => "discovery.budget_reached", user: true, recoverable: true,
        suggestion: "Discovery fetches each provider at most 10 times a day; the next run can fetch again tomorrow.";
    /// No discovery finding with that id.
    DiscoveryFindingNotFound => "discovery.finding_not_found", user: true, recoverable: true,
        suggestion: "List findings with `keyclave discovery list`.";
    /// No discovery source with that id.
    DiscoverySourceNotFound => "discovery.source_not_found", user: true, recoverable: true,
        suggestion: "List sources with `keyclave discovery source list`.";
    /// The unlock agent could not be started or did not answer.
    AgentUnavailable => "agent.unavailable", user: false, recoverable: true,
        suggestion: "Run `keyclave unlock` again; without the agent every command asks for the passphrase.";
    /// The unlock agent refused the connection: it belongs to another user,
    /// or its folder or socket is not private to this user.
    AgentRefused => "agent.refused", user: false, recoverable: false,
        suggestion: "Only the user who started the agent can use it; check the owner and mode (0700) of the runtime folder.";
    /// No automation script with that id.
    AutomationScriptNotFound => "automation.script_not_found", user: true, recoverable: true,
        suggestion: "List scripts with `keyclave automation list`.";
    /// The script's source breaks a rule (a secret in it, a syntax error,
    /// a host off the allowlist, a missing checkpoint): fix the lines named.
    AutomationScriptRefused => "automation.script_refused", user: true, recoverable: true,
        suggestion: "Fix the lines the check names (`keyclave automation check ID`), then save the script again.";
    /// The script has not been approved (or a new version was saved since).
    AutomationNotApproved => "automation.not_approved", user: true, recoverable: true,
        suggestion: "Review the script and approve it first (`keyclave automation approve ID`).";
    /// The source about to run is not the source that was approved.
    AutomationHashMismatch => "automation.hash_mismatch", user: false, recoverable: false,
        suggestion: "The script changed after it was approved; review it again before it can run.";
    /// Another run for this provider is in progress.
    AutomationBusy => "automation.busy", user: true, recoverable: true,
        suggestion: "Wait for the other run for this provider to end, or abort it.";
    /// A checkpoint needs a person and none can be asked (no terminal, no window).
    AutomationNeedsPerson => "automation.needs_person", user: true, recoverable: true,
        suggestion: "Run it from a terminal or the desktop app, where a person can answer the checkpoint.";
    /// The checkpoint is not waiting for a decision (decided already, expired, or never asked).
    AutomationCheckpointNotPending => "automation.checkpoint_not_pending", user: true, recoverable: true,
        suggestion: "Only the checkpoint shown now can be decided, once.";
    /// The decision is not allowed for this checkpoint (a financial step in a reduced sandbox, a missing code).
    AutomationDecisionRefused => "automation.decision_refused", user: true, recoverable: true,
        suggestion: "Read the reason; reject the checkpoint, or give what it needs.";
    /// The script failed, crashed or ran out of time.
    AutomationRunFailed => "automation.run_failed", user: false, recoverable: true,
        suggestion: "Read the run's events (`keyclave automation history --run ID`), fix the script, and run it again.";
    /// The run stopped before its end: a checkpoint was rejected or the script gave up.
    AutomationRunAborted => "automation.run_aborted", user: true, recoverable: true,
        suggestion: "Nothing after the rejected step was done; run it again when you want it done.";
    /// Python (or another part of the automation runtime) is missing.
    AutomationRuntimeMissing => "automation.runtime_missing", user: false, recoverable: true,
        suggestion: "Install Python 3 (and run `keyclave automation setup` for browser tasks).";
    /// A bug: an invariant of KeyClave itself did not hold.
    Internal => "internal", user: false, recoverable: false,
        suggestion: "This is a bug in KeyClave; please report it (without any secret).";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What caused an error, kept for diagnostics (`std::error::Error::source`).
///
/// Only causes that cannot hold a value are kept: SQLite, I/O and KeyClave's
/// own errors. Their text passes through [`redact`] when shown, like the
/// error's own message.
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0.to_string()))
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cause({self})")
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// A core error: code, redacted message, suggestion, and the cause.
#[derive(Clone, Serialize)]
pub struct Error {
    code: ErrorCode,
    message: String,
    suggestion: String,
    recoverable: bool,
    /// Seconds to wait before retrying (only for throttling).
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_secs: Option<u64>,
    #[serde(skip)]
    source: Option<Cause>,
}

impl Error {
    /// An error with the code's default suggestion. The message is redacted.
    pub fn new(code: ErrorCode, message: impl AsRef<str>) -> Self {
        Error {
            code,
            message: redact(message.as_ref()).into_owned(),
            suggestion: code.default_suggestion().to_owned(),
            recoverable: code.is_recoverable(),
            retry_after_secs: None,
            source: None,
        }
    }

    /// Keep `cause` as this error's source.
    pub fn with_source(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Cause(Arc::new(cause)));
        self
    }

    /// Replace the suggestion (redacted too).
    pub fn with_suggestion(mut self, suggestion: impl AsRef<str>) -> Self {
        self.suggestion = redact(suggestion.as_ref()).into_owned();
        self
    }

    /// Attach a retry delay (for throttling).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The (redacted) message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What the user can do about it.
    pub fn suggestion(&self) -> &str {
        &self.suggestion
    }

    /// Whether the user can fix it and retry.
    pub fn is_recoverable(&self) -> bool {
        self.recoverable
    }

    /// Seconds to wait before retrying, when throttled.
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after_secs
    }

    /// Shorthand for [`ErrorCode::VaultCorruption`].
    pub fn corruption(message: impl AsRef<str>) -> Self {
        Error::new(ErrorCode::VaultCorruption, message)
    }

    /// Shorthand for [`ErrorCode::Internal`].
    pub fn internal(message: impl AsRef<str>) -> Self {
        Error::new(ErrorCode::Internal, message)
    }

    /// Shorthand for [`ErrorCode::InputInvalid`].
    pub fn invalid(message: impl AsRef<str>) -> Self {
        Error::new(ErrorCode::InputInvalid, message)
    }

    /// Shorthand for [`ErrorCode::VaultLocked`].
    pub fn locked() -> Self {
        Error::new(ErrorCode::VaultLocked, "the vault is locked")
    }

    /// JSON read back from the vault does not parse: the stored row is
    /// damaged. (serde_json's text can quote the input, so it is not kept.)
    pub fn stored_json(what: &str) -> impl FnOnce(serde_json::Error) -> Error + '_ {
        move |e| {
            Error::corruption(format!(
                "the stored {what} is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        }
    }
}

/// Encode a value as JSON for storage. A failure is a bug in KeyClave (every
/// stored type serializes), never damaged data.
pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::internal(format!("a value could not be encoded as JSON ({:?})", e.classify())))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// Hand-written so that Debug output is as safe as Display.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error[{}]: {}", self.code, self.message)?;
        if let Some(s) = &self.source {
            write!(f, " (caused by: {s})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode as Sql;
        let err = match e.sqlite_error_code() {
            Some(Sql::NotADatabase) | Some(Sql::DatabaseCorrupt) => {
                Error::corruption(format!("database file is not readable: {e}"))
            }
            // Reached only after the busy timeout: another process held
            // the write lock all that time.
            Some(Sql::DatabaseBusy) | Some(Sql::DatabaseLocked) => {
                Error::new(ErrorCode::VaultBusy, "another KeyClave process kept the profile's database busy")
            }
            Some(Sql::DiskFull) => Error::new(ErrorCode::StorageFull, "the disk is full"),
            Some(Sql::ReadOnly) => Error::new(ErrorCode::StorageReadOnly, "the database cannot be written"),
            Some(Sql::CannotOpen) => {
                Error::new(ErrorCode::StorageIo, format!("a database file cannot be opened: {e}"))
            }
            // sqlcipher_export (key rotation) reports a full disk as a
            // function error carrying SQLite's own text for SQLITE_FULL.
            _ if e.to_string().contains("database or disk is full") => {
                Error::new(ErrorCode::StorageFull, "the disk is full")
            }
            _ => Error::new(ErrorCode::StorageDatabase, format!("database error: {e}")),
        };
        err.with_source(e)
    }
}

impl From<rusqlite_migration::Error> for Error {
    fn from(e: rusqlite_migration::Error) -> Self {
        match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => err.into(),
            other => {
                Error::corruption(format!("database schema migration failed: {other}")).with_source(other)
            }
        }
    }
}

/// The code of a failed file operation: a full disk and a read-only file
/// system are told apart from other I/O failures.
pub(crate) fn io_code(e: &std::io::Error) -> ErrorCode {
    match e.kind() {
        std::io::ErrorKind::StorageFull => ErrorCode::StorageFull,
        // A full quota (EDQUOT) is a full disk to the user.
        _ if cfg!(target_os = "linux") && e.raw_os_error() == Some(122) => ErrorCode::StorageFull,
        std::io::ErrorKind::ReadOnlyFilesystem => ErrorCode::StorageReadOnly,
        _ => ErrorCode::StorageIo,
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        let code = io_code(&e);
        let message = match code {
            ErrorCode::StorageFull => format!("the disk is full: {e}"),
            ErrorCode::StorageReadOnly => format!("the file system is read-only: {e}"),
            _ => format!("file operation failed: {e}"),
        };
        Error::new(code, message).with_source(e)
    }
}

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create, list, rename, delete profiles; change passphrase; rotate keys.
    #[command(subcommand)]
    Profile(ProfileCmd),
    /// Add, list, reveal, edit and remove secrets.
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
        #[arg(long, value_name = "FILE")]
        value_file: Option<PathBuf>,
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

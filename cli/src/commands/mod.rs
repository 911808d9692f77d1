//! One module per subcommand group, plus what they share.

pub mod audit;
pub mod bundle;
pub mod env;
pub mod import;
pub mod profile;
pub mod project;
pub mod providers;
pub mod run;
pub mod secret;
pub mod totp;

use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::paths::Root;
use keyclave_core::{Error, ErrorCode, KeyClave, Result, Vault};
use std::path::PathBuf;

use crate::args::{BundleCmd, Cli, Command, KdfArgs, ProfileCmd};
use crate::input;

/// What every subcommand needs: the data root and the global options.
pub struct Context {
    pub keyclave: KeyClave,
    pub profile: Option<String>,
    pub passphrase_file: Option<PathBuf>,
    pub json: bool,
}

impl Context {
    pub fn new(cli: &Cli) -> Result<Self> {
        let root = Root::resolve(cli.home.clone())?;
        // Only a command that makes a profile (or needs none) may create
        // the data folder: `--home typo secret list` must not leave files.
        let may_create = matches!(
            cli.command,
            Command::Profile(ProfileCmd::Create { .. })
                | Command::Providers
                | Command::Bundle(BundleCmd::Inspect { .. })
        );
        if !may_create && !root.dir().exists() {
            return Err(Error::new(
                ErrorCode::ProfileNotFound,
                format!("there is no KeyClave data in {}", root.dir().display()),
            )
            .with_suggestion(
                "Create a profile with `keyclave profile create NAME`, or point --home (or KEYCLAVE_HOME) at your data folder.",
            ));
        }
        Ok(Context {
            keyclave: KeyClave::open(root)?,
            profile: cli.profile.clone(),
            passphrase_file: cli.passphrase_file.clone(),
            json: cli.json,
        })
    }

    /// Ask for the selected profile's passphrase and unlock it.
    pub fn unlock(&self) -> Result<Vault> {
        Ok(self.unlock_keeping_passphrase()?.0)
    }

    /// Unlock, and keep the passphrase for an operation that re-checks it
    /// (passphrase change, KDF change, key rotation).
    pub fn unlock_keeping_passphrase(&self) -> Result<(Vault, SecretString)> {
        let rec = self.keyclave.select_profile(self.profile.as_deref())?;
        let pass = input::passphrase(
            self.passphrase_file.as_deref(),
            &format!("Passphrase for {}: ", rec.display_name),
        )?;
        let vault = self.keyclave.unlock_profile(rec, &pass)?;
        Ok((vault, pass))
    }
}

/// KDF parameters from flags, starting from `base`. A memory size in MiB
/// is checked in MiB, so an error names what was typed.
pub fn kdf_params(base: KdfParams, args: &KdfArgs) -> Result<KdfParams> {
    let max_mib = KdfParams::MAX_M_KIB / 1024;
    let mib_kib = match args.kdf_memory_mib {
        Some(m) if m == 0 || m > max_mib => {
            return Err(Error::invalid(format!("--kdf-memory-mib {m} is out of range"))
                .with_suggestion(format!("Use 1 to {max_mib} MiB (the default is 128).")));
        }
        m => m.map(|m| m * 1024),
    };
    Ok(KdfParams {
        m_kib: args.kdf_memory_kib.or(mib_kib).unwrap_or(base.m_kib),
        t: args.kdf_iterations.unwrap_or(base.t),
        p: args.kdf_parallelism.unwrap_or(base.p),
    })
}

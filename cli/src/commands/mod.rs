//! One module per subcommand group, plus what they share.

pub mod agent;
pub mod audit;
pub mod automation;
pub mod bundle;
pub mod dashboard;
pub mod diagnostics;
pub mod discovery;
pub mod env;
pub mod identity;
pub mod import;
pub mod inject;
pub mod profile;
pub mod project;
pub mod providers;
pub mod run;
pub mod secret;
pub mod settings;
pub mod totp;
pub mod validate;

use crate::agent::client::{self as agent_client, Connection};
use crate::agent::ops;
use crate::agent::protocol::{Reply, Request, Sensitive, VaultOp};
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::paths::Root;
use keyclave_core::{Error, ErrorCode, KeyClave, Result, Vault};
use std::path::PathBuf;

use crate::args::{AutomationCmd, BundleCmd, Cli, Command, KdfArgs, ProfileCmd};
use crate::input;

/// What every subcommand needs: the data root and the global options.
pub struct Context {
    root: Root,
    /// The profile index, opened on first use: a command the agent
    /// answers never opens it.
    keyclave: std::cell::OnceCell<KeyClave>,
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
                | Command::Automation(AutomationCmd::Templates | AutomationCmd::Setup { .. })
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
            root,
            keyclave: std::cell::OnceCell::new(),
            profile: cli.profile.clone(),
            passphrase_file: cli.passphrase_file.clone(),
            json: cli.json,
        })
    }

    /// The data root.
    pub fn root(&self) -> &Root {
        &self.root
    }

    /// The data root's profile index.
    pub fn keyclave(&self) -> Result<&KeyClave> {
        if let Some(k) = self.keyclave.get() {
            return Ok(k);
        }
        let opened = KeyClave::open(self.root.clone())?;
        Ok(self.keyclave.get_or_init(|| opened))
    }

    /// The index, to change it (a new profile).
    pub fn keyclave_mut(&mut self) -> Result<&mut KeyClave> {
        self.keyclave()?;
        self.keyclave.get_mut().ok_or_else(|| Error::internal("the profile index was not opened"))
    }

    /// Carry out `op` on the selected profile: in the agent when it holds
    /// the profile, else here after unlocking it. For operations whose
    /// input is all known before the unlock (no value still to be read).
    pub fn run_op(&self, op: VaultOp, deliver: &mut dyn FnMut(Sensitive) -> bool) -> Result<Reply> {
        if let Some(mut conn) = agent_client::connect(&self.root)? {
            if let Some(reply) = conn.vault(self.profile.as_deref(), &op, deliver)? {
                return Ok(reply);
            }
        }
        self.run_here(op, deliver)
    }

    /// [`Context::run_op`] for long network work (validate, refresh), with
    /// a progress bar on standard error: keys done of all when this process
    /// does the work, a spinner while the agent does.
    pub fn run_op_with_progress(&self, op: VaultOp, what: &str) -> Result<Reply> {
        let bar =
            if self.json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
        let style = indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
            .map_err(|e| Error::internal(format!("progress template: {e}")))?
            .progress_chars("=> ");
        bar.set_message(what.to_owned());
        if let Some(mut conn) = agent_client::connect(&self.root)? {
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            let reply = conn.vault(self.profile.as_deref(), &op, &mut |_| false);
            bar.finish_and_clear();
            if let Some(reply) = reply? {
                return Ok(reply);
            }
        }
        let vault = self.unlock()?;
        bar.set_style(style);
        let progress = |done: u32, total: u32| {
            bar.set_length(u64::from(total));
            bar.set_position(u64::from(done));
        };
        let reply = ops::execute_with(&vault, op, &mut |_| false, &progress);
        bar.finish_and_clear();
        vault.close()?;
        reply
    }

    fn run_here(&self, op: VaultOp, deliver: &mut dyn FnMut(Sensitive) -> bool) -> Result<Reply> {
        let vault = self.unlock()?;
        let reply = ops::execute(&vault, op, deliver);
        vault.close()?;
        reply
    }

    /// The selected profile's vault: through the agent when it has the
    /// profile unlocked, else unlocked here (asking for the passphrase).
    pub fn access(&self) -> Result<Access> {
        if let Some(mut conn) = agent_client::connect(&self.root)? {
            if conn.vault(self.profile.as_deref(), &VaultOp::Touch, &mut |_| false)?.is_some() {
                return Ok(Access::Agent(conn, self.profile.clone()));
            }
        }
        Ok(Access::Direct(self.unlock()?))
    }

    /// Lock the selected profile in the agent, if it is unlocked there:
    /// before an operation that re-keys or removes the vault, or changes
    /// what the agent read at unlock.
    pub fn lock_in_agent(&self, profile: Option<&str>) -> Result<()> {
        if let Some(mut conn) = agent_client::connect(&self.root)? {
            let lock = Request::Lock { profile: profile.map(str::to_owned), all: false };
            conn.request(&lock, &mut |_| false)?;
        }
        Ok(())
    }

    /// Unlock the selected profile: with the OS keychain when it is on for
    /// the profile and no --passphrase-file is given, else (or when the
    /// keychain cannot) with the passphrase.
    pub fn unlock(&self) -> Result<Vault> {
        let rec = self.keyclave()?.select_profile(self.profile.as_deref())?;
        if rec.keychain_unlock && self.passphrase_file.is_none() {
            match self.keyclave()?.unlock_with_keychain(rec.clone()) {
                Ok(v) => return Ok(notice_read_only(v)),
                Err(e) if keyclave_core::keychain::falls_back(&e) => {
                    crate::output::warn(&format!("{}; asking for the passphrase instead", e.message()));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(self.unlock_keeping_passphrase()?.0)
    }

    /// Unlock, and keep the passphrase for an operation that re-checks it
    /// (passphrase change, KDF change, key rotation).
    pub fn unlock_keeping_passphrase(&self) -> Result<(Vault, SecretString)> {
        let rec = self.keyclave()?.select_profile(self.profile.as_deref())?;
        let pass = input::passphrase(
            self.passphrase_file.as_deref(),
            &format!("Passphrase for {}: ", rec.display_name),
        )?;
        let vault = self.keyclave()?.unlock_profile(rec, &pass)?;
        Ok((notice_read_only(vault), pass))
    }
}

/// Say once, when a profile unlocks read-only, what that means.
fn notice_read_only(vault: Vault) -> Vault {
    if vault.read_only() {
        crate::output::warn(
            "the data folder is read-only: keys can be read and handed out, changes are refused, and nothing is recorded in the audit log",
        );
    }
    vault
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

/// An unlocked profile, in the agent or in this process.
pub enum Access {
    /// Through the agent, for the profile named (or the only one).
    Agent(Connection, Option<String>),
    /// Unlocked by this command; locked again by [`Access::close`].
    Direct(Vault),
}

impl Access {
    /// Carry out `op` (see [`ops::execute`]). No reader is given: a reveal,
    /// which reports delivery to one, goes through [`Context::run_op`].
    pub fn get(&mut self, op: VaultOp) -> Result<Reply> {
        let deliver = &mut |_| false;
        match self {
            Access::Direct(vault) => ops::execute(vault, op, deliver),
            Access::Agent(conn, profile) => conn.vault(profile.as_deref(), &op, deliver)?.ok_or_else(|| {
                Error::locked()
                    .with_suggestion("The agent locked the profile meanwhile; run `keyclave unlock` again.")
            }),
        }
    }

    /// Lock a vault this command unlocked (the agent's stays unlocked).
    pub fn close(self) -> Result<()> {
        match self {
            Access::Direct(vault) => vault.close(),
            Access::Agent(..) => Ok(()),
        }
    }
}

/// A reply that is not the one an operation gives: a bug on one side.
/// (Values in a reply print masked.)
pub fn unexpected(reply: &Reply) -> Error {
    let shown: String = format!("{reply:?}").chars().take(80).collect();
    Error::internal(format!("unexpected reply from the vault operation: {shown}"))
}

//! The vault operations commands run, carried out on an unlocked [`Vault`]:
//! in the agent for a client, or in the command's own process when it
//! unlocked the profile itself. One function for both, so a command does
//! the same work, under the same core policy, either way.

use keyclave_core::discovery::{self, Trigger, sources};
use keyclave_core::inject::{self, KeySelection};
use keyclave_core::secrets::{self, NewSecret, Provenance, SecretEdit, SecretQuery};
use keyclave_core::{Error, Result, Vault, dashboard, validation};

use super::protocol::{Reply, Sensitive, VaultOp};

/// How far a long operation (validate, refresh) is: keys done, keys in all.
pub type Progress<'a> = &'a (dyn Fn(u32, u32) + Send + Sync);

/// Carry out `op`. A reveal hands its value to `deliver`, which says whether
/// it reached the reader (the audit event records that).
pub fn execute(vault: &Vault, op: VaultOp, deliver: &mut dyn FnMut(Sensitive) -> bool) -> Result<Reply> {
    execute_with(vault, op, deliver, &|_, _| {})
}

/// Run network work (core's async API) to its end on this thread: a
/// current-thread runtime of its own, whose blocking pool takes the
/// vault reads and writes.
fn block_on<T>(work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::internal(format!("the network runtime could not start: {e}")))?
        .block_on(work)
}

/// [`execute`], telling `progress` how far a validation or refresh is.
pub fn execute_with(
    vault: &Vault,
    op: VaultOp,
    deliver: &mut dyn FnMut(Sensitive) -> bool,
    progress: Progress<'_>,
) -> Result<Reply> {
    Ok(match op {
        VaultOp::Touch => Reply::Done,
        VaultOp::List { provider, environment, search, limit } => {
            let query = SecretQuery { provider_id: provider, environment, search, offset: 0, limit };
            Reply::Page { page: secrets::list(vault, &query), total_in_vault: secrets::count(vault) }
        }
        VaultOp::Reveal { key_name, provider, totp } => {
            secrets::reveal_to(vault, &key_name, provider.as_deref(), totp.as_deref(), |value| {
                deliver(Sensitive::new(value.expose_secret()))
            })?;
            Reply::Done
        }
        VaultOp::Copy { key_name, provider, totp } => {
            let value = secrets::copy(vault, &key_name, provider.as_deref(), totp.as_deref())?;
            Reply::Copied {
                value: Sensitive::new(value.expose_secret()),
                clear_after_secs: vault.settings().clipboard_auto_clear_seconds,
            }
        }
        VaultOp::Add { key_name, value, provider, environment, notes, tags, endpoint } => {
            Reply::Saved(secrets::add(
                vault,
                NewSecret {
                    key_name,
                    value: value.into_secret(),
                    provider_id: provider,
                    environment,
                    notes,
                    tags,
                    provenance: Provenance::manual(),
                    endpoint,
                },
            )?)
        }
        VaultOp::Edit { key_name, provider, value, set_provider, environment, notes, tags, endpoint } => {
            let edit = SecretEdit {
                value: value.map(Sensitive::into_secret),
                provider_id: set_provider,
                environment,
                notes,
                tags,
                endpoint,
            };
            Reply::Saved(secrets::edit(vault, &key_name, provider.as_deref(), edit)?)
        }
        VaultOp::Remove { key_name, provider } => {
            Reply::Removed(secrets::delete(vault, &key_name, provider.as_deref())?)
        }
        VaultOp::CommandEnv { keys, project, dotenv, totp } => {
            let selection = KeySelection::from_keys(&keys, project.as_deref())?;
            let env = inject::command_env(vault, &selection, dotenv.as_deref(), totp.as_deref())?;
            Reply::Env {
                vars: env.into_iter().map(|(k, v)| (k, Sensitive::new(v.expose_secret()))).collect(),
            }
        }
        VaultOp::Render { template, totp } => {
            let rendered = inject::template::render(vault, template.expose(), totp.as_deref())?;
            Reply::Rendered {
                text: Sensitive::new(rendered.text.expose_secret()),
                references: rendered.references,
            }
        }
        VaultOp::Audit { limit, event_type } => {
            Reply::Events { events: vault.audit_log(limit, event_type.as_deref())? }
        }
        VaultOp::Settings { auto_lock_timeout_seconds, clipboard_auto_clear_seconds } => {
            let mut settings = vault.settings();
            if auto_lock_timeout_seconds.is_none() && clipboard_auto_clear_seconds.is_none() {
                return Ok(Reply::Settings(settings));
            }
            settings.auto_lock_timeout_seconds =
                auto_lock_timeout_seconds.unwrap_or(settings.auto_lock_timeout_seconds);
            settings.clipboard_auto_clear_seconds =
                clipboard_auto_clear_seconds.unwrap_or(settings.clipboard_auto_clear_seconds);
            Reply::Settings(vault.update_settings(settings)?)
        }
        VaultOp::NamedSetting { set } => match set {
            None => Reply::Settings(vault.settings()),
            Some((name, value)) => {
                Reply::Settings(vault.update_settings(vault.settings().with_named(&name, &value)?)?)
            }
        },
        VaultOp::Validate { keys } => {
            let targets = validation::select(vault, &keys, keys.is_empty())?;
            let cancel = vault.job_token();
            let outcomes = block_on(validation::validate(vault, targets, &cancel, progress))?;
            Reply::Validated { outcomes }
        }
        VaultOp::Dashboard => Reply::Dashboard(dashboard::overview(vault)?),
        VaultOp::Refresh { keys, due } => {
            let targets = if due {
                dashboard::schedule::due_now(vault)?
            } else {
                validation::select(vault, &keys, keys.is_empty())?
            };
            let cancel = vault.job_token();
            Reply::Refreshed(block_on(dashboard::refresh(vault, targets, &cancel, progress))?)
        }
        VaultOp::History { key, days } => {
            let mut found = validation::select(vault, std::slice::from_ref(&key), false)?;
            let secret = found.pop().ok_or_else(|| Error::internal("a lookup by name returned nothing"))?;
            let points = dashboard::history(vault, &secret, days)?;
            Reply::History { key: secret, points }
        }
        VaultOp::DiscoveryRun { provider } => {
            let cancel = vault.job_token();
            Reply::Discovered(block_on(discovery::run(
                vault,
                Trigger::OnDemand,
                provider.as_deref(),
                &cancel,
                progress,
            ))?)
        }
        VaultOp::Findings { query } => Reply::Findings(discovery::findings::list(vault, &query)?),
        VaultOp::MarkFinding { id, status, notes } => {
            let id = discovery::findings::find(vault, &id)?.id;
            Reply::Finding(discovery::findings::mark(vault, &id, status, notes.as_deref())?)
        }
        VaultOp::Sources => Reply::Sources(sources::list(vault)?),
        VaultOp::AddSource { provider, url, kind, selector } => {
            Reply::Source(sources::add(vault, &provider, &url, kind, selector.as_deref())?)
        }
        VaultOp::RemoveSource { id } => {
            sources::remove(vault, &id)?;
            Reply::Done
        }
        VaultOp::EnableSource { id, enabled } => Reply::Source(sources::set_enabled(vault, &id, enabled)?),
        VaultOp::DiscoveryLog { limit } => Reply::DiscoveryLog(discovery::log::list(vault, limit)?),
    })
}

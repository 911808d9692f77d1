//! `keyclave secret …`

use keyclave_core::Result;
use keyclave_core::random_secret;
use keyclave_core::secrets::{self, Environment, NewSecret, Provenance, SecretEdit, SecretQuery};
use serde_json::json;

use super::Context;
use crate::args::SecretCmd;
use crate::output::outln;
use crate::{input, output};

fn env(s: Option<String>) -> Result<Option<Environment>> {
    s.map(|e| e.parse()).transpose()
}

pub fn run(ctx: Context, cmd: SecretCmd) -> Result<()> {
    match cmd {
        SecretCmd::Add { key_name, provider, environment, notes, tags, value_file, generate, shape } => {
            let environment = env(environment)?;
            keyclave_core::secrets::validate_key_name(&key_name)?;
            let charset: random_secret::Charset = shape.charset.parse()?;
            let vault = ctx.unlock()?;
            let value = if generate {
                random_secret::generate(shape.length, charset)?
            } else {
                input::value(value_file.as_deref(), &key_name)?
            };
            let saved = secrets::add(
                &vault,
                NewSecret {
                    key_name,
                    value,
                    provider_id: provider,
                    environment,
                    notes,
                    tags,
                    provenance: Provenance::manual(),
                },
            )?;
            vault.close()?;
            for w in &saved.warnings {
                output::warn(w);
            }
            if ctx.json {
                output::json(&saved.secret);
            } else {
                let how = if generate { ", a new random value (reveal it when needed)" } else { "" };
                outln!("Added {} ({}){how}.", saved.secret.key_name, saved.secret.provider_id);
            }
            Ok(())
        }
        SecretCmd::List { provider, environment, search, limit } => {
            // An unknown provider is an error, before any unlock.
            if let Some(p) = &provider {
                secrets::check_provider(p)?;
            }
            let query = SecretQuery {
                provider_id: provider,
                environment: env(environment)?,
                search,
                offset: 0,
                limit,
            };
            let vault = ctx.unlock()?;
            let page = secrets::list(&vault, &query);
            let total_in_vault = secrets::count(&vault);
            vault.close()?;
            if ctx.json {
                output::json(&page);
            } else if page.items.is_empty() {
                if total_in_vault == 0 {
                    outln!("No secrets yet. Add one with `keyclave secret add KEY_NAME`.");
                } else {
                    outln!("No secret matches.");
                }
            } else {
                let rows: Vec<Vec<String>> = page
                    .items
                    .iter()
                    .map(|s| {
                        vec![
                            s.key_name.clone(),
                            s.provider_id.clone(),
                            s.environment.map(|e| e.as_str().to_owned()).unwrap_or_else(|| "-".into()),
                            "••••••••".into(),
                            s.tags.join(","),
                            s.updated_at.clone(),
                        ]
                    })
                    .collect();
                output::table(&["KEY", "PROVIDER", "ENV", "VALUE", "TAGS", "UPDATED"], &rows);
                if page.total > page.items.len() {
                    outln!("({} of {} shown)", page.items.len(), page.total);
                }
            }
            Ok(())
        }
        SecretCmd::Reveal { key_name, provider, totp } => {
            let vault = ctx.unlock()?;
            // Printed before the audit event is written, which says whether
            // the value reached the reader (a closed pipe: it did not).
            secrets::reveal_to(&vault, &key_name, provider.as_deref(), totp.as_deref(), |value| {
                if ctx.json {
                    output::json(&json!({ "key_name": key_name, "value": value.expose_secret() }));
                } else {
                    outln!("{}", value.expose_secret());
                }
                !output::closed()
            })?;
            vault.close()?;
            Ok(())
        }
        SecretCmd::Edit {
            key_name,
            provider,
            set_provider,
            environment,
            clear_env,
            notes,
            tags,
            clear_tags,
            value_file,
            value_stdin,
        } => {
            let mut edit = SecretEdit {
                provider_id: set_provider,
                environment: if clear_env { Some(None) } else { env(environment)?.map(Some) },
                notes: notes.map(|n| Some(n).filter(|n| !n.is_empty())),
                tags: if clear_tags { Some(Vec::new()) } else { Some(tags).filter(|t| !t.is_empty()) },
                value: None,
            };
            let vault = ctx.unlock()?;
            if value_file.is_some() || value_stdin {
                edit.value = Some(input::value(value_file.as_deref(), &key_name)?);
            }
            let saved = secrets::edit(&vault, &key_name, provider.as_deref(), edit)?;
            vault.close()?;
            if ctx.json {
                output::json(&saved.secret);
            } else {
                outln!("Updated {} ({}).", saved.secret.key_name, saved.secret.provider_id);
            }
            Ok(())
        }
        SecretCmd::Rm { key_name, provider } => {
            let vault = ctx.unlock()?;
            let removed = secrets::delete(&vault, &key_name, provider.as_deref())?;
            vault.close()?;
            if ctx.json {
                output::json(&removed);
            } else {
                outln!("Removed {} ({}).", removed.key_name, removed.provider_id);
            }
            Ok(())
        }
    }
}

//! `keyclave secret …`

use keyclave_core::Result;
use keyclave_core::random_secret;
use keyclave_core::secrets::{self, Environment};
use serde_json::json;

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, Sensitive, VaultOp};
use crate::args::SecretCmd;
use crate::output::outln;
use crate::{input, output};

fn env(s: Option<String>) -> Result<Option<Environment>> {
    s.map(|e| e.parse()).transpose()
}

pub fn run(ctx: Context, cmd: SecretCmd) -> Result<()> {
    match cmd {
        SecretCmd::Add {
            key_name,
            provider,
            environment,
            notes,
            tags,
            value_file,
            generate,
            shape,
            endpoint,
        } => {
            let environment = env(environment)?;
            keyclave_core::secrets::validate_key_name(&key_name)?;
            // Checked before the unlock: a typo costs no passphrase.
            let endpoint = keyclave_core::endpoint::parse_optional(endpoint.as_deref())?;
            let charset: random_secret::Charset = shape.charset.parse()?;
            let mut access = ctx.access()?;
            let value = if generate {
                random_secret::generate(shape.length, charset)?
            } else {
                input::value(value_file.as_deref(), &key_name)?
            };
            let value = Sensitive::new(value.expose_secret());
            let reply =
                access.get(VaultOp::Add { key_name, value, provider, environment, notes, tags, endpoint })?;
            access.close()?;
            let saved = match reply {
                Reply::Saved(saved) => saved,
                other => return Err(unexpected(&other)),
            };
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
            let op = VaultOp::List { provider, environment: env(environment)?, search, limit };
            let reply = ctx.run_op(op, &mut |_| false)?;
            let (page, total_in_vault) = match reply {
                Reply::Page { page, total_in_vault } => (page, total_in_vault),
                other => return Err(unexpected(&other)),
            };
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
            let name = key_name.clone();
            // Printed before the audit event is written, which says whether
            // the value reached the reader (a closed pipe: it did not).
            ctx.run_op(VaultOp::Reveal { key_name, provider, totp }, &mut |value| {
                if ctx.json {
                    output::json(&json!({ "key_name": name, "value": value.expose() }));
                } else {
                    outln!("{}", value.expose());
                }
                !output::closed()
            })?;
            Ok(())
        }
        SecretCmd::Copy { key_name, provider, totp } => {
            let name = key_name.clone();
            let reply = ctx.run_op(VaultOp::Copy { key_name, provider, totp }, &mut |_| false)?;
            let Reply::Copied { value, clear_after_secs } = &reply else {
                return Err(unexpected(&reply));
            };
            crate::clipboard::copy(value, *clear_after_secs)?;
            if ctx.json {
                output::json(&json!({ "copied": name, "clear_after_secs": clear_after_secs }));
            } else {
                outln!("Copied {name} to the clipboard; it is cleared in {clear_after_secs} s.");
            }
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
            endpoint,
            no_endpoint,
        } => {
            let environment = if clear_env { Some(None) } else { env(environment)?.map(Some) };
            let endpoint = match (endpoint, no_endpoint) {
                (_, true) => Some(None),
                (Some(e), false) => Some(Some(keyclave_core::endpoint::parse(&e)?)),
                (None, false) => None,
            };
            let mut access = ctx.access()?;
            let value = if value_file.is_some() || value_stdin {
                Some(Sensitive::new(input::value(value_file.as_deref(), &key_name)?.expose_secret()))
            } else {
                None
            };
            let reply = access.get(VaultOp::Edit {
                key_name,
                provider,
                value,
                set_provider,
                environment,
                notes: notes.map(|n| Some(n).filter(|n| !n.is_empty())),
                tags: if clear_tags { Some(Vec::new()) } else { Some(tags).filter(|t| !t.is_empty()) },
                endpoint,
            })?;
            access.close()?;
            let saved = match reply {
                Reply::Saved(saved) => saved,
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(&saved.secret);
            } else {
                outln!("Updated {} ({}).", saved.secret.key_name, saved.secret.provider_id);
            }
            Ok(())
        }
        SecretCmd::Rm { key_name, provider } => {
            let reply = ctx.run_op(VaultOp::Remove { key_name, provider }, &mut |_| false)?;
            let removed = match reply {
                Reply::Removed(removed) => removed,
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(&removed);
            } else {
                outln!("Removed {} ({}).", removed.key_name, removed.provider_id);
            }
            Ok(())
        }
    }
}

//! `keyclave settings list | get NAME | set NAME VALUE`

use keyclave_core::settings::{NAMED, Settings};
use keyclave_core::{Error, Result};
use serde_json::json;

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, VaultOp};
use crate::args::SettingsCmd;
use crate::output::{self, outln};

fn settings(reply: Reply) -> Result<Settings> {
    match reply {
        Reply::Settings(s) => Ok(s),
        other => Err(unexpected(&other)),
    }
}

fn known(name: &str) -> Result<()> {
    if NAMED.iter().any(|n| n.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = NAMED.iter().map(|n| n.name).collect();
    Err(Error::invalid(format!("there is no setting {name:?}"))
        .with_suggestion(format!("Settings: {}.", names.join(", "))))
}

pub fn run(ctx: Context, cmd: SettingsCmd) -> Result<()> {
    match cmd {
        SettingsCmd::List => {
            let s = settings(ctx.run_op(VaultOp::NamedSetting { set: None }, &mut |_| false)?)?;
            if ctx.json {
                let map: serde_json::Map<String, serde_json::Value> = NAMED
                    .iter()
                    .map(|n| Ok((n.name.to_owned(), s.get_named(n.name)?.into())))
                    .collect::<Result<_>>()?;
                output::json(&map);
            } else {
                let rows = NAMED
                    .iter()
                    .map(|n| Ok(vec![n.name.to_owned(), s.get_named(n.name)?, n.description.to_owned()]))
                    .collect::<Result<Vec<_>>>()?;
                output::table(&["SETTING", "VALUE", "WHAT"], &rows);
            }
            Ok(())
        }
        SettingsCmd::Get { name } => {
            known(&name)?;
            let s = settings(ctx.run_op(VaultOp::NamedSetting { set: None }, &mut |_| false)?)?;
            let value = s.get_named(&name)?;
            if ctx.json {
                output::json(&json!({ name: value }));
            } else {
                outln!("{value}");
            }
            Ok(())
        }
        SettingsCmd::Set { name, value } => {
            known(&name)?;
            // Checked before the unlock: a typo costs no passphrase.
            Settings::default().with_named(&name, &value).map(|_| ())?;
            let s = settings(
                ctx.run_op(VaultOp::NamedSetting { set: Some((name.clone(), value)) }, &mut |_| false)?,
            )?;
            let now = s.get_named(&name)?;
            if ctx.json {
                output::json(&json!({ name: now }));
            } else {
                outln!("{name} = {now}");
                if name == "online-mode" && now == "on" {
                    outln!(
                        "`keyclave validate` and `keyclave dashboard refresh` may now send each key to its provider's API host (or the key's own endpoint), and nowhere else."
                    );
                }
            }
            Ok(())
        }
    }
}

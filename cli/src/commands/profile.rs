//! `keyclave profile …`

use indicatif::{ProgressBar, ProgressStyle};
use keyclave_core::crypto::KdfParams;
use keyclave_core::rotation::RotationStep;
use keyclave_core::{Error, Result};
use keyclave_core::{integrity, passphrase, rotation};
use serde_json::json;

use keyclave_core::keychain::KeychainState;

use super::{Context, kdf_params, unexpected};
use crate::agent::protocol::{Reply, VaultOp};
use crate::args::ProfileCmd;
use crate::output::outln;
use crate::{input, output};

pub fn run(ctx: Context, cmd: ProfileCmd) -> Result<()> {
    match cmd {
        ProfileCmd::Create { name, kdf } => create(ctx, &name, kdf_params(KdfParams::DEFAULT, &kdf)?),
        ProfileCmd::List => list(&ctx),
        ProfileCmd::Rename { old, new } => {
            let rec = ctx.keyclave()?.rename_profile(&old, &new)?;
            if ctx.json {
                output::json(&rec);
            } else {
                outln!("Renamed '{old}' to '{}'.", rec.display_name);
            }
            Ok(())
        }
        ProfileCmd::Delete { name } => {
            let pass = input::passphrase(
                ctx.passphrase_file.as_deref(),
                &format!("Passphrase for {name} (to delete it): "),
            )?;
            ctx.lock_in_agent(Some(&name))?;
            ctx.keyclave()?.delete_profile(&name, &pass)?;
            if ctx.json {
                output::json(&json!({ "deleted": name }));
            } else {
                outln!("Deleted profile '{name}' and all its data.");
            }
            Ok(())
        }
        ProfileCmd::Passwd { new_passphrase_file } => {
            let (vault, current) = ctx.unlock_keeping_passphrase()?;
            let new = input::new_passphrase(new_passphrase_file.as_deref(), "New passphrase: ")?;
            passphrase::change(&vault, &current, &new)?;
            vault.close()?;
            outln!("Passphrase changed.");
            Ok(())
        }
        ProfileCmd::RotateKey => rotate(ctx),
        ProfileCmd::Check => check(&ctx),
        ProfileCmd::Keychain { action } => keychain(&ctx, &action),
        ProfileCmd::Settings { auto_lock, clipboard_clear } => {
            let op = VaultOp::Settings {
                auto_lock_timeout_seconds: auto_lock,
                clipboard_auto_clear_seconds: clipboard_clear,
            };
            let reply = ctx.run_op(op, &mut |_| false)?;
            let settings = match reply {
                Reply::Settings(s) => s,
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(&settings);
            } else {
                outln!("auto-lock after:        {} s without use", settings.auto_lock_timeout_seconds);
                outln!("clipboard cleared after: {} s", settings.clipboard_auto_clear_seconds);
            }
            Ok(())
        }
        ProfileCmd::Kdf { upgrade, kdf } => {
            let (vault, pass) = ctx.unlock_keeping_passphrase()?;
            let current = passphrase::kdf_params(&vault)?;
            let wanted = if upgrade { KdfParams::DEFAULT } else { kdf_params(current, &kdf)? };
            let result =
                if wanted != current { passphrase::upgrade_kdf(&vault, &pass, wanted)? } else { current };
            vault.close()?;
            if ctx.json {
                output::json(&json!({ "previous": current, "current": result }));
            } else {
                outln!("KDF: Argon2id m={} MiB t={} p={}", result.m_kib / 1024, result.t, result.p);
                if result.weaker_than_default() {
                    output::warn(
                        "these parameters are weaker than the default (128 MiB, t=4); `keyclave profile kdf --upgrade` fixes that",
                    );
                }
            }
            Ok(())
        }
    }
}

fn create(mut ctx: Context, name: &str, params: KdfParams) -> Result<()> {
    let pass = input::new_passphrase(ctx.passphrase_file.as_deref(), &format!("Passphrase for {name}: "))?;
    if params.weaker_than_default() && !ctx.json {
        output::warn("KDF parameters are weaker than the default (128 MiB, t=4, p=1)");
    }
    let rec = ctx.keyclave_mut()?.create_profile(name, &pass, params)?;
    if ctx.json {
        output::json(&rec);
    } else {
        outln!("Created profile '{}'. Keep the passphrase safe: it cannot be recovered.", rec.display_name);
    }
    Ok(())
}

fn list(ctx: &Context) -> Result<()> {
    let profiles = ctx.keyclave()?.profiles()?;
    if ctx.json {
        output::json(&profiles);
    } else if profiles.is_empty() {
        outln!("No profiles yet. Create one with `keyclave profile create NAME`.");
    } else {
        let rows: Vec<Vec<String>> = profiles
            .iter()
            .map(|p| vec![p.display_name.clone(), p.created_at.clone(), p.id.clone()])
            .collect();
        output::table(&["NAME", "CREATED", "ID"], &rows);
    }
    Ok(())
}

fn keychain(ctx: &Context, action: &str) -> Result<()> {
    let (vault, pass) = match action {
        // Status needs no passphrase when the keychain itself unlocks.
        "status" => (ctx.unlock()?, None),
        _ => {
            let (v, p) = ctx.unlock_keeping_passphrase()?;
            (v, Some(p))
        }
    };
    match (action, &pass) {
        ("on", Some(p)) => keyclave_core::keychain::enable(&vault, p)?,
        ("off", Some(p)) => keyclave_core::keychain::disable(&vault, p)?,
        _ => {}
    }
    let state = keyclave_core::keychain::status(&vault)?;
    vault.close()?;
    if ctx.json {
        output::json(&serde_json::json!({ "keychain": state }));
    } else {
        outln!(
            "Keychain unlock: {}",
            match state {
                KeychainState::Off => "off (the passphrase unlocks)",
                KeychainState::Ready => "on (the OS keychain unlocks; the passphrase still works)",
                KeychainState::EntryMissing =>
                    "on, but the OS keychain has no entry for this profile: run `profile keychain on` again",
                KeychainState::Unavailable => "on, but the OS keychain cannot be reached now",
                KeychainState::NeedsRepair => "on, but it needs repair: run `profile keychain on` again",
            }
        );
    }
    Ok(())
}

/// `keyclave repair-index`: needs no index (it is what is damaged).
pub fn repair_index(ctx: &Context) -> Result<()> {
    let report = keyclave_core::index_copy::rebuild(ctx.root())?;
    if ctx.json {
        output::json(&report);
    } else {
        outln!("Rebuilt the profile list: {} profile(s) restored.", report.restored.len());
        for name in &report.restored {
            outln!("  {name}");
        }
        for why in &report.skipped {
            crate::output::warn(&format!("not restored: {why}"));
        }
        if let Some(p) = &report.damaged_copy {
            outln!("The damaged index was kept as {}.", p.display());
        }
    }
    Ok(())
}

fn check(ctx: &Context) -> Result<()> {
    let vault = ctx.unlock()?;
    let report = integrity::check(&vault)?;
    vault.close()?;
    if ctx.json {
        output::json(&report);
    } else {
        for (name, db) in [("vault", &report.vault), ("index", &report.index)] {
            outln!("{name}: {}", if db.ok { "ok" } else { "DAMAGED" });
            for p in db.integrity_problems.iter().chain(&db.cipher_problems) {
                outln!("  {p}");
            }
        }
    }
    if report.ok() {
        Ok(())
    } else {
        Err(Error::corruption("the profile's databases failed their integrity checks")
            .with_suggestion("Restore the profile folder from a backup; export what still reads with `keyclave bundle export`."))
    }
}

fn rotate(ctx: Context) -> Result<()> {
    let (vault, pass) = ctx.unlock_keeping_passphrase()?;
    // The agent's handle would keep the old key open.
    ctx.lock_in_agent(ctx.profile.as_deref())?;
    let bar = if ctx.json { ProgressBar::hidden() } else { ProgressBar::new(6) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} rotating key [{bar:30}] {pos}/{len} {msg}")
            .map_err(|e| Error::internal(format!("progress template: {e}")))?
            .progress_chars("=> "),
    );
    let mut observer = |step: RotationStep| -> Result<()> {
        match step {
            RotationStep::Started => bar.set_message("copying the vault"),
            RotationStep::Exported => bar.set_message("re-sealing values"),
            RotationStep::Resealed { done, total } => {
                bar.set_length(6 + total as u64);
                bar.set_position(1 + done as u64);
                return Ok(());
            }
            RotationStep::Synced => bar.set_message("switching"),
            RotationStep::Prepared | RotationStep::Switched => {}
            RotationStep::Committed => bar.set_message("done"),
        }
        bar.inc(1);
        Ok(())
    };
    let vault = rotation::rotate(vault, &pass, &mut observer)?;
    bar.finish_and_clear();
    let version = vault.rotation_version();
    vault.close()?;
    if ctx.json {
        output::json(&json!({ "rotation_version": version }));
    } else {
        outln!("Rotated the vault key (version {version}); every value was re-sealed.");
    }
    Ok(())
}

//! `keyclave bundle …`

use keyclave_core::bundle::{self, BundleExport, BundleKey, BundleMode, BundleSelection, ImportDecisions};
use keyclave_core::crypto::KdfParams;
use keyclave_core::{Error, ErrorCode, Result};
use serde_json::json;

use super::Context;
use crate::args::{BundleCmd, BundleKdfArgs};
use crate::output::outln;
use crate::{input, output};

fn kdf_params(args: &BundleKdfArgs) -> KdfParams {
    KdfParams {
        m_kib: args.bundle_kdf_memory_kib.unwrap_or(KdfParams::DEFAULT.m_kib),
        t: args.bundle_kdf_iterations.unwrap_or(KdfParams::DEFAULT.t),
        p: KdfParams::DEFAULT.p,
    }
}

fn read_bundle(path: &std::path::Path) -> Result<Vec<u8>> {
    // A bundle is at most 64 MiB plus a small header; refuse bigger files
    // before reading them whole.
    let len = std::fs::metadata(path)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))?
        .len();
    if len > bundle::MAX_CIPHERTEXT_LEN + u64::from(bundle::MAX_HEADER_LEN) + 18 {
        return Err(Error::new(ErrorCode::ImportBundleMalformed, "the file is too large to be a bundle"));
    }
    std::fs::read(path).map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))
}

pub fn run(ctx: Context, cmd: BundleCmd) -> Result<()> {
    match cmd {
        BundleCmd::Export { out, keys, expires, bundle_passphrase_file, recipients, totp, force, kdf } => {
            let expires_at = expires
                .map(|e| {
                    keyclave_core::time::parse(&e).ok_or_else(|| {
                        Error::invalid(format!("'{e}' is not an RFC 3339 time"))
                            .with_suggestion("Use e.g. 2026-03-01T00:00:00Z.")
                    })
                })
                .transpose()?;
            let selection = if keys.is_empty() { BundleSelection::All } else { BundleSelection::Keys(keys) };
            // A typo in a recipient fails before the unlock and any prompt.
            let to_people = !recipients.is_empty();
            if to_people {
                bundle::check_key(BundleKey::Recipients(&recipients))?;
            }
            let vault = ctx.unlock()?;
            let password = if to_people {
                None
            } else {
                Some(input::new_passphrase(bundle_passphrase_file.as_deref(), "Bundle password: ")?)
            };
            let key = match &password {
                Some(password) => BundleKey::Password { password, kdf: kdf_params(&kdf) },
                None => BundleKey::Recipients(&recipients),
            };
            let summary = bundle::export(
                &vault,
                &out,
                BundleExport { selection, key, expires_at, totp_code: totp.as_deref(), overwrite: force },
            )?;
            vault.close()?;
            if ctx.json {
                output::json(&summary);
            } else {
                outln!(
                    "Exported {} secret(s) to {} (bundle {}).",
                    summary.count,
                    out.display(),
                    summary.header.bundle_id
                );
                if to_people {
                    outln!("Only the profiles of those {} recipient(s) can open it.", recipients.len());
                } else {
                    outln!("Send the password by another channel than the file.");
                }
            }
            Ok(())
        }
        BundleCmd::Inspect { file } => {
            let header = bundle::inspect(&read_bundle(&file)?)?;
            let expired = header.is_expired_now();
            let version = match header.mode() {
                BundleMode::Password => bundle::VERSION,
                BundleMode::Recipients => bundle::RECIPIENT_VERSION,
            };
            if ctx.json {
                output::json(&json!({
                    "version": version,
                    "mode": header.mode(),
                    "header": header,
                    "expired": expired,
                }));
            } else {
                outln!("KeyClave bundle, format version {version}");
                outln!("  id:       {}", header.bundle_id);
                outln!("  created:  {}", header.created_at);
                let expiry = match &header.expires_at {
                    None => "never".to_owned(),
                    Some(e) if expired => format!("{e} (expired)"),
                    Some(e) => e.clone(),
                };
                outln!("  expires:  {expiry}");
                outln!("  secrets:  {}", header.count);
                if let Some(k) = &header.kdf {
                    outln!("  key:      password, {} m={} KiB t={} p={}", k.alg, k.m, k.t, k.p);
                }
                if let Some(r) = &header.recipients {
                    outln!("  key:      {} to {} recipient(s), no password", r.alg, r.count);
                }
                outln!("  cipher:   {}", header.aead.alg);
            }
            Ok(())
        }
        BundleCmd::Import { file, bundle_passphrase_file, on_conflict, preview } => {
            let decisions = match on_conflict {
                Some(d) => ImportDecisions::all(d.parse()?),
                None => ImportDecisions::default(),
            };
            let bytes = read_bundle(&file)?;
            // Refuse what is not a bundle before asking for any password.
            let mode = bundle::inspect(&bytes)?.mode();
            let vault = ctx.unlock()?;
            let password = match mode {
                BundleMode::Password => {
                    Some(input::passphrase(bundle_passphrase_file.as_deref(), "Bundle password: ")?)
                }
                BundleMode::Recipients => None,
            };
            if preview {
                let p = bundle::preview_import(&vault, &bytes, password.as_ref())?;
                vault.close()?;
                if ctx.json {
                    output::json(&p);
                } else {
                    let rows: Vec<Vec<String>> = p
                        .entries
                        .iter()
                        .map(|e| {
                            vec![
                                e.key_name.clone(),
                                e.provider_id.clone(),
                                if e.conflict { "exists".into() } else { "new".into() },
                            ]
                        })
                        .collect();
                    output::table(&["KEY", "PROVIDER", "STATUS"], &rows);
                }
                return Ok(());
            }
            let counts = bundle::import(&vault, &bytes, password.as_ref(), &decisions).map_err(|e| {
                if e.code() == ErrorCode::ImportConflict {
                    e.with_suggestion(
                        "Pass --on-conflict keep, replace or skip (see them first with --preview).",
                    )
                } else {
                    e
                }
            })?;
            vault.close()?;
            if ctx.json {
                output::json(&counts);
            } else {
                outln!(
                    "Imported: {} added, {} replaced, {} kept, {} skipped.",
                    counts.added,
                    counts.replaced,
                    counts.kept,
                    counts.skipped
                );
            }
            Ok(())
        }
    }
}

//! `keyclave env …`: write vault keys into a project's `.env`.

use keyclave_core::Result;
use keyclave_core::dotenv::{self, ApplyOptions, ApplyReport, Decision, GenerateOptions, Policy};
use keyclave_core::inject::{self, EnvPlan, KeySelection};
use serde_json::json;
use std::path::{Path, PathBuf};

use super::Context;
use crate::args::{EnvCmd, EnvKeys, EnvTarget, OnConflict};
use crate::output;
use crate::output::{out, outln};

fn policy(on_conflict: OnConflict) -> Policy {
    Policy::new(match on_conflict {
        OnConflict::Keep => Decision::KeepExisting,
        OnConflict::Overwrite => Decision::Overwrite,
        OnConflict::Skip => Decision::Skip,
    })
}

fn path_of(target: &EnvTarget) -> Result<PathBuf> {
    inject::project_file(&target.dir, &target.file)
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| ".env".into(), |n| n.to_string_lossy().into_owned())
}

fn print_plan(ctx: &Context, path: &Path, plan: &EnvPlan, report: Option<&ApplyReport>) {
    if ctx.json {
        output::json(&json!({
            "file": path,
            "changes": plan.changes(),
            "counts": plan.counts(),
            "warnings": plan.warnings().iter().map(|w| w.message()).collect::<Vec<_>>(),
            "diff": plan.masked_diff(&display_name(path)),
            "written": report.map(|r| r.written),
            "backup": report.and_then(|r| r.backup.as_ref()),
        }));
        return;
    }
    for w in plan.warnings() {
        eprintln!("warning: {}", w.message());
    }
    let diff = plan.masked_diff(&display_name(path));
    if diff.is_empty() {
        outln!("{}: nothing to change.", path.display());
    } else {
        out!("{diff}");
    }
    let c = plan.counts();
    let summary = format!(
        "{} added, {} updated, {} unchanged, {} kept, {} skipped",
        c.added, c.updated, c.unchanged, c.kept, c.skipped
    );
    match report {
        Some(r) if r.written => {
            outln!("Wrote {}: {summary}.", path.display());
            if let Some(b) = &r.backup {
                outln!("Backup: {}", b.display());
            }
        }
        Some(_) => outln!("{} left as it was: {summary}.", path.display()),
        None => outln!("Plan: {summary}."),
    }
}

pub fn run(ctx: Context, cmd: EnvCmd) -> Result<()> {
    match cmd {
        EnvCmd::Diff { target, keys: EnvKeys { keys, on_conflict } } => {
            let path = path_of(&target)?;
            let selection = KeySelection::from_keys(&keys, Some(&target.dir))?;
            let vault = ctx.unlock()?;
            let plan = inject::plan_dotenv(&vault, &path, &selection, &policy(on_conflict))?;
            vault.close()?;
            print_plan(&ctx, &path, &plan, None);
            Ok(())
        }
        EnvCmd::Write { target, keys: EnvKeys { keys, on_conflict }, totp, chmod } => {
            let path = path_of(&target)?;
            let selection = KeySelection::from_keys(&keys, Some(&target.dir))?;
            let vault = ctx.unlock()?;
            let plan = inject::plan_dotenv(&vault, &path, &selection, &policy(on_conflict))?;
            let options = ApplyOptions { private: chmod.is_some(), ..ApplyOptions::default() };
            let report = inject::write_dotenv(&vault, &path, &plan, &options, totp.as_deref())?;
            vault.close()?;
            print_plan(&ctx, &path, &plan, Some(&report));
            if let Some(mode) = report.shared_mode.filter(|_| report.written) {
                output::warn(&format!(
                    "{} holds secrets and others may read it (mode {mode:04o}); run again with --chmod 600 \
                     to make it yours alone",
                    path.display()
                ));
            }
            Ok(())
        }
        EnvCmd::Generate { target, keys, canonical_names, totp } => {
            let path = path_of(&target)?;
            let selection = KeySelection::from_keys(&keys, Some(&target.dir))?;
            let vault = ctx.unlock()?;
            let options = GenerateOptions { canonical_names, ..GenerateOptions::default() };
            let plan = inject::plan_new_dotenv(&vault, &selection, &options)?;
            let report =
                inject::write_dotenv(&vault, &path, &plan, &ApplyOptions::default(), totp.as_deref())?;
            vault.close()?;
            print_plan(&ctx, &path, &plan, Some(&report));
            Ok(())
        }
        EnvCmd::Backups { target } => {
            let path = path_of(&target)?;
            let backups = dotenv::list_backups(&path)?;
            if ctx.json {
                output::json(&backups);
            } else if backups.is_empty() {
                outln!("No backups of {}.", path.display());
            } else {
                backups.iter().filter_map(|b| b.file_name()).for_each(|b| outln!("{}", b.to_string_lossy()));
            }
            Ok(())
        }
        EnvCmd::Restore { target, backup } => {
            let path = path_of(&target)?;
            let vault = ctx.unlock()?;
            let report =
                inject::restore_dotenv(&vault, &path, &target.dir.join(&backup), &ApplyOptions::default())?;
            vault.close()?;
            if ctx.json {
                output::json(&json!({ "written": report.written, "backup": report.backup }));
            } else if report.written {
                outln!("Restored {} from {backup}.", path.display());
                if let Some(b) = &report.backup {
                    outln!("The replaced text is in {}.", b.display());
                }
            } else {
                outln!("{} already holds that backup's text.", path.display());
            }
            Ok(())
        }
    }
}

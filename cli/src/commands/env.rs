//! `keyclave env …`: write vault keys into a project's `.env`.

use keyclave_core::Result;
use keyclave_core::dotenv::{
    self, ApplyOptions, ApplyReport, Decision, GenerateOptions, KeyRef, KeySelection, Plan, Policy,
};
use serde_json::json;
use std::path::{Path, PathBuf};

use super::Context;
use crate::args::{EnvCmd, EnvKeys, EnvTarget, OnConflict};
use crate::output;

/// `--key` values as a selection; none means what the project in `dir`
/// needs (its scanned requirements) and the keys its file names, or only
/// the latter when there is no project folder.
pub fn selection(keys: &[String], dir: Option<&Path>) -> Result<KeySelection> {
    if keys.is_empty() {
        return Ok(dir.map_or(KeySelection::InFile, |d| KeySelection::Project(d.to_path_buf())));
    }
    Ok(KeySelection::Keys(keys.iter().map(|k| k.parse::<KeyRef>()).collect::<Result<_>>()?))
}

fn policy(on_conflict: OnConflict) -> Policy {
    Policy::new(match on_conflict {
        OnConflict::Keep => Decision::KeepExisting,
        OnConflict::Overwrite => Decision::Overwrite,
        OnConflict::Skip => Decision::Skip,
    })
}

fn path_of(target: &EnvTarget) -> PathBuf {
    target.dir.join(&target.file)
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| ".env".into(), |n| n.to_string_lossy().into_owned())
}

fn print_plan(ctx: &Context, path: &Path, plan: &Plan, report: Option<&ApplyReport>) {
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
        println!("{}: nothing to change.", path.display());
    } else {
        print!("{diff}");
    }
    let c = plan.counts();
    let summary = format!(
        "{} added, {} updated, {} unchanged, {} kept, {} skipped",
        c.added, c.updated, c.unchanged, c.kept, c.skipped
    );
    match report {
        Some(r) if r.written => {
            println!("Wrote {}: {summary}.", path.display());
            if let Some(b) = &r.backup {
                println!("Backup: {}", b.display());
            }
        }
        Some(_) => println!("{} left as it was: {summary}.", path.display()),
        None => println!("Plan: {summary}."),
    }
}

pub fn run(ctx: Context, cmd: EnvCmd) -> Result<()> {
    match cmd {
        EnvCmd::Diff { target, keys: EnvKeys { keys, on_conflict } } => {
            let path = path_of(&target);
            let selection = selection(&keys, Some(&target.dir))?;
            let vault = ctx.unlock()?;
            let plan = vault.plan_dotenv(&path, &selection, &policy(on_conflict))?;
            vault.lock()?;
            print_plan(&ctx, &path, &plan, None);
            Ok(())
        }
        EnvCmd::Write { target, keys: EnvKeys { keys, on_conflict } } => {
            let path = path_of(&target);
            let selection = selection(&keys, Some(&target.dir))?;
            let vault = ctx.unlock()?;
            let plan = vault.plan_dotenv(&path, &selection, &policy(on_conflict))?;
            let report = vault.write_dotenv(&path, &plan, &ApplyOptions::default())?;
            vault.lock()?;
            print_plan(&ctx, &path, &plan, Some(&report));
            Ok(())
        }
        EnvCmd::Generate { target, keys, canonical_names } => {
            let path = path_of(&target);
            let selection = selection(&keys, Some(&target.dir))?;
            let vault = ctx.unlock()?;
            let options = GenerateOptions { canonical_names, ..GenerateOptions::default() };
            let plan = vault.plan_new_dotenv(&selection, &options)?;
            let report = vault.write_dotenv(&path, &plan, &ApplyOptions::default())?;
            vault.lock()?;
            print_plan(&ctx, &path, &plan, Some(&report));
            Ok(())
        }
        EnvCmd::Backups { target } => {
            let path = path_of(&target);
            let backups = dotenv::list_backups(&path)?;
            if ctx.json {
                output::json(&backups);
            } else if backups.is_empty() {
                println!("No backups of {}.", path.display());
            } else {
                backups
                    .iter()
                    .filter_map(|b| b.file_name())
                    .for_each(|b| println!("{}", b.to_string_lossy()));
            }
            Ok(())
        }
        EnvCmd::Restore { target, backup } => {
            let path = path_of(&target);
            let vault = ctx.unlock()?;
            let report = vault.restore_dotenv(&path, &target.dir.join(&backup), &ApplyOptions::default())?;
            vault.lock()?;
            if ctx.json {
                output::json(&json!({ "written": report.written, "backup": report.backup }));
            } else if report.written {
                println!("Restored {} from {backup}.", path.display());
                if let Some(b) = &report.backup {
                    println!("The replaced text is in {}.", b.display());
                }
            } else {
                println!("{} already holds that backup's text.", path.display());
            }
            Ok(())
        }
    }
}

//! `keyclave scan`, `keyclave project …`, `keyclave requirement|recommendation`.

use indicatif::{ProgressBar, ProgressStyle};
use keyclave_core::projects::{
    self, EnvVarState, EnvVarStatus, Recommendation, Requirement, ReviewStatus, ScanReport,
};
use keyclave_core::scan::requirements::{MAX_CITATIONS, Necessity};
use keyclave_core::scan::{ScanOptions, ScanProgress, SkipReason};
use keyclave_core::{Error, Result};
use serde_json::json;
use std::path::Path;

use super::Context;
use crate::args::{DecisionArg, ProjectCmd};
use crate::output;
use crate::output::outln;

/// Citations shown per requirement unless `--all-citations`.
const CITATIONS_SHOWN: usize = 3;

pub fn scan(ctx: Context, dir: &Path, max_file_size: u64, all_citations: bool) -> Result<()> {
    let vault = ctx.unlock()?;
    let bar = if ctx.json { ProgressBar::hidden() } else { ProgressBar::new_spinner() };
    bar.set_style(
        ProgressStyle::with_template("{spinner} scanning {msg}")
            .map_err(|e| Error::internal(format!("progress template: {e}")))?,
    );
    let mut progress = |p: &ScanProgress| {
        bar.set_message(format!("{} files, {:.1} MB", p.files_seen, p.bytes_read as f64 / 1e6));
        bar.tick();
    };
    let options = ScanOptions { max_file_size, ..ScanOptions::default() };
    let report = projects::scan(&vault, dir, &options, &mut progress)?;
    bar.finish_and_clear();
    vault.close()?;
    if ctx.json {
        output::json(&report);
    } else {
        print_scan(&report, all_citations);
    }
    Ok(())
}

fn print_scan(r: &ScanReport, all_citations: bool) {
    let p = &r.progress;
    outln!(
        "Scanned {} ({} docs: {} parsed, {} unchanged, {} skipped; {:.1} MB in {} ms).",
        r.project.root_path,
        p.files_seen,
        p.files_parsed,
        p.files_unchanged,
        p.files_skipped,
        p.bytes_read as f64 / 1e6,
        r.elapsed_ms
    );
    for s in &r.skipped {
        let why = match &s.reason {
            SkipReason::TooLarge { size, limit } => format!("too large ({size} bytes, limit {limit})"),
            SkipReason::Binary => "binary".to_owned(),
            SkipReason::Unreadable { detail } => format!("unreadable ({detail})"),
        };
        outln!("  skipped {}: {why}", s.path);
    }
    print_requirements(&r.requirements, all_citations);
    print_recommendations(&r.recommendations);
}

fn state_label(v: &EnvVarStatus) -> &'static str {
    match (v.state, v.in_vault) {
        (EnvVarState::Missing, _) => "missing",
        (EnvVarState::InVault, _) => "in vault",
        (EnvVarState::InDotenv, true) => "in .env and in vault",
        (EnvVarState::InDotenv, false) => "in .env",
    }
}

fn necessity_label(n: Option<Necessity>) -> &'static str {
    n.map_or("not classified (scan again)", Necessity::as_str)
}

fn print_requirements(reqs: &[Requirement], all_citations: bool) {
    if reqs.is_empty() {
        outln!("\nNo API keys needed, as far as the docs tell.");
        return;
    }
    outln!("\nRequirements:");
    for r in reqs {
        outln!(
            "\n{} ({}) {}, confidence {:.2} [{}] id {}",
            r.provider_name,
            r.provider_id,
            necessity_label(r.necessity),
            r.confidence,
            r.user_status.as_str(),
            r.id
        );
        for v in &r.env_vars {
            outln!("  {:<32} {}", v.name, state_label(v));
        }
        let shown = if all_citations { r.citations.len() } else { CITATIONS_SHOWN.min(r.citations.len()) };
        for c in &r.citations[..shown] {
            let lines = if c.line_start == c.line_end {
                c.line_start.to_string()
            } else {
                format!("{}-{}", c.line_start, c.line_end)
            };
            outln!("    {}:{lines}: {}", c.path, c.excerpt);
        }
        // Citations are counted by line; the first MAX_CITATIONS are kept.
        let more = (r.citation_count as usize).saturating_sub(shown);
        let hidden = r.citations.len() - shown;
        let lines = if more == 1 { "line" } else { "lines" };
        match (more, hidden) {
            (0, _) => {}
            (_, 0) => outln!("    … {more} more {lines} (the strongest {MAX_CITATIONS} are kept)"),
            _ => outln!("    … {more} more {lines} (--all-citations shows up to {MAX_CITATIONS})"),
        }
    }
}

fn print_recommendations(recs: &[Recommendation]) {
    if recs.is_empty() {
        return;
    }
    outln!("\nRecommended services:");
    for r in recs {
        outln!(
            "\n{}: {} (match {:.2}) [{}] id {}",
            r.capability_label,
            r.recommended_service_name,
            r.match_score,
            r.user_status.as_str(),
            r.id
        );
        outln!("  because: {}", r.requirement_text);
        outln!("  {}", r.rationale);
    }
}

pub fn run(ctx: Context, cmd: ProjectCmd) -> Result<()> {
    let vault = ctx.unlock()?;
    match cmd {
        ProjectCmd::List => {
            let projects = projects::list(&vault)?;
            vault.close()?;
            if ctx.json {
                output::json(&projects);
            } else if projects.is_empty() {
                outln!("No projects yet. Scan one with `keyclave scan DIR`.");
            } else {
                let rows: Vec<Vec<String>> = projects
                    .iter()
                    .map(|p| {
                        vec![
                            p.display_name.clone(),
                            p.last_scanned_at.clone().unwrap_or_else(|| "never".into()),
                            p.root_path.clone(),
                        ]
                    })
                    .collect();
                output::table(&["NAME", "LAST SCAN", "FOLDER"], &rows);
            }
        }
        ProjectCmd::Show { project, all_citations } => {
            let p = projects::find(&vault, &project)?;
            let requirements = projects::requirements(&vault, &p.id)?;
            let recommendations = projects::recommendations(&vault, &p.id)?;
            vault.close()?;
            if ctx.json {
                output::json(&json!({
                    "project": p,
                    "requirements": requirements,
                    "recommendations": recommendations,
                }));
            } else {
                outln!("{} ({})", p.display_name, p.root_path);
                print_requirements(&requirements, all_citations);
                print_recommendations(&recommendations);
            }
        }
        ProjectCmd::Rm { project } => {
            let p = projects::remove(&vault, &project)?;
            vault.close()?;
            if ctx.json {
                output::json(&json!({ "removed": p.id }));
            } else {
                outln!("Forgot project {} (its folder is untouched).", p.display_name);
            }
        }
    }
    Ok(())
}

/// What a decision is about.
pub enum Target {
    Requirement,
    Recommendation,
}

pub fn decide(ctx: Context, target: Target, decision: DecisionArg, id: &str) -> Result<()> {
    let decision = match decision {
        DecisionArg::Accept => ReviewStatus::Accepted,
        DecisionArg::Reject => ReviewStatus::Rejected,
        DecisionArg::Reset => ReviewStatus::New,
    };
    let vault = ctx.unlock()?;
    match target {
        Target::Requirement => projects::set_requirement_status(&vault, id, decision)?,
        Target::Recommendation => projects::set_recommendation_status(&vault, id, decision)?,
    }
    vault.close()?;
    if ctx.json {
        output::json(&json!({ "id": id, "user_status": decision.as_str() }));
    } else {
        outln!("{id}: {}", decision.as_str());
    }
    Ok(())
}

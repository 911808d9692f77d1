//! `keyclave discovery run | list | mark | source … | log`

use keyclave_core::Result;
use keyclave_core::discovery::{Category, Finding, FindingQuery, FindingStatus, SourceKind, Urgency};

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, VaultOp};
use crate::args::{DiscoveryCmd, DiscoverySourceCmd};
use crate::output::{self, outln};

pub fn run(ctx: Context, cmd: DiscoveryCmd) -> Result<()> {
    match cmd {
        DiscoveryCmd::Run { provider } => {
            let report =
                match ctx.run_op_with_progress(VaultOp::DiscoveryRun { provider }, "checking providers")? {
                    Reply::Discovered(r) => r,
                    other => return Err(unexpected(&other)),
                };
            if ctx.json {
                output::json(&report);
                return Ok(());
            }
            outln!(
                "Checked {} provider(s) with {} fetch(es): {} new finding(s), {} updated{}.",
                report.providers.len(),
                report.fetches,
                report.new_findings,
                report.updated_findings,
                if report.new_critical > 0 {
                    format!(", {} critical", report.new_critical)
                } else {
                    String::new()
                }
            );
            for p in &report.providers {
                for e in &p.errors {
                    outln!("  {}: {e}", p.provider_id);
                }
            }
            if report.new_findings + report.updated_findings > 0 {
                outln!("See them with `keyclave discovery list`.");
            }
            Ok(())
        }
        DiscoveryCmd::List { status, urgency, category, provider } => {
            let query = FindingQuery {
                status: status.as_deref().map(FindingStatus::parse).transpose()?,
                urgency: urgency.as_deref().map(Urgency::parse).transpose()?,
                category: category.as_deref().map(Category::parse).transpose()?,
                provider_id: provider,
            };
            let findings = match ctx.run_op(VaultOp::Findings { query }, &mut |_| false)? {
                Reply::Findings(f) => f,
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(&findings);
                return Ok(());
            }
            if findings.is_empty() {
                outln!("No findings. `keyclave discovery run` checks the providers of your keys.");
                return Ok(());
            }
            for f in &findings {
                show(f);
            }
            Ok(())
        }
        DiscoveryCmd::Mark { id, status, notes } => {
            let status = FindingStatus::parse(&status)?;
            let f = match ctx.run_op(VaultOp::MarkFinding { id, status, notes }, &mut |_| false)? {
                Reply::Finding(f) => f,
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(&f);
            } else {
                outln!("Marked {} {}: {}", short(&f.id), f.user_status.as_str(), f.source_title);
            }
            Ok(())
        }
        DiscoveryCmd::Source(cmd) => source(ctx, cmd),
        DiscoveryCmd::Log { limit } => {
            let rows = match ctx.run_op(VaultOp::DiscoveryLog { limit }, &mut |_| false)? {
                Reply::DiscoveryLog(r) => r,
                other => return Err(unexpected(&other)),
            };
            if ctx.json {
                output::json(&rows);
                return Ok(());
            }
            let table: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.searched_at.clone(),
                        r.provider_id.clone(),
                        r.trigger_type.as_str().to_owned(),
                        r.queries_executed.to_string(),
                        r.results_found.to_string(),
                        r.findings_generated.to_string(),
                        r.status.clone(),
                        r.error_message_redacted.clone().unwrap_or_else(|| "-".into()),
                    ]
                })
                .collect();
            output::table(
                &["WHEN", "PROVIDER", "TRIGGER", "FETCHES", "ENTRIES", "FINDINGS", "STATUS", "ERROR"],
                &table,
            );
            Ok(())
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

/// The mark of an urgency in text: never colour alone.
fn badge(u: Urgency) -> &'static str {
    match u {
        Urgency::Critical => "!! CRITICAL",
        Urgency::ActionNeeded => "!  ACTION NEEDED",
        Urgency::Advisory => "*  advisory",
        Urgency::Informational => "-  info",
    }
}

fn show(f: &Finding) {
    outln!(
        "{}  {}  [{}] {} · {} · {}",
        badge(f.urgency),
        short(&f.id),
        f.provider_id,
        f.category.as_str(),
        f.user_status.as_str(),
        f.published_at.as_deref().or(Some(f.discovered_at.as_str())).map_or("", |d| d.get(..10).unwrap_or(d)),
    );
    outln!("    {}", f.source_title);
    outln!("    {}", f.impact_summary);
    outln!("    → {}", f.action_recommendation);
    outln!("    why: {}", f.relevance_reason);
    outln!("    {}", f.source_url);
    if let Some(n) = &f.user_notes {
        outln!("    note: {n}");
    }
    outln!("");
}

fn source(ctx: Context, cmd: DiscoverySourceCmd) -> Result<()> {
    let op = match cmd {
        DiscoverySourceCmd::List => VaultOp::Sources,
        DiscoverySourceCmd::Add { provider, url, kind, selector } => {
            VaultOp::AddSource { provider, url, kind: SourceKind::parse(&kind)?, selector }
        }
        DiscoverySourceCmd::Rm { id } => VaultOp::RemoveSource { id },
        DiscoverySourceCmd::Disable { id } => VaultOp::EnableSource { id, enabled: false },
        DiscoverySourceCmd::Enable { id } => VaultOp::EnableSource { id, enabled: true },
    };
    match ctx.run_op(op, &mut |_| false)? {
        Reply::Sources(list) => {
            if ctx.json {
                output::json(&list);
                return Ok(());
            }
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|s| {
                    vec![
                        s.id.clone(),
                        s.provider_id.clone(),
                        s.kind.as_str().to_owned(),
                        if s.enabled { "on".into() } else { "off".into() },
                        s.url.clone(),
                        s.last_status.clone().unwrap_or_else(|| "never fetched".into()),
                    ]
                })
                .collect();
            output::table(&["ID", "PROVIDER", "KIND", "ON", "URL", "LAST"], &rows);
            Ok(())
        }
        Reply::Source(s) => {
            if ctx.json {
                output::json(&s);
            } else {
                outln!(
                    "{} {} ({} source of {}): {}",
                    if s.enabled { "Watching" } else { "Not fetching" },
                    s.id,
                    s.kind.as_str(),
                    s.provider_id,
                    s.url
                );
            }
            Ok(())
        }
        Reply::Done => {
            if !ctx.json {
                outln!("Removed the source.");
            }
            Ok(())
        }
        other => Err(unexpected(&other)),
    }
}

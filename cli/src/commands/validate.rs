//! `keyclave validate [KEY | provider/KEY]... [--all]`

use keyclave_core::Result;
use keyclave_core::validation::Outcome;

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, VaultOp};
use crate::output::{self, outln};

pub fn run(ctx: Context, keys: Vec<String>, _all: bool) -> Result<()> {
    let reply = ctx.run_op_with_progress(VaultOp::Validate { keys }, "checking keys")?;
    let outcomes = match reply {
        Reply::Validated { outcomes } => outcomes,
        other => return Err(unexpected(&other)),
    };
    if ctx.json {
        output::json(&outcomes);
        return Ok(());
    }
    if outcomes.is_empty() {
        outln!("No secrets to check.");
        return Ok(());
    }
    output::table(&["KEY", "PROVIDER", "STATUS", "ACCOUNT", "SCOPES", "EXPIRES", "NOTE"], &rows(&outcomes));
    Ok(())
}

fn dash(s: Option<&str>) -> String {
    s.filter(|s| !s.is_empty()).unwrap_or("-").to_owned()
}

fn rows(outcomes: &[Outcome]) -> Vec<Vec<String>> {
    outcomes
        .iter()
        .map(|o| {
            let scopes = if o.scopes.is_empty() { "-".to_owned() } else { o.scopes.join(",") };
            let account = o.account.as_deref().or(o.key_kind.as_deref());
            vec![
                o.key_name.clone(),
                o.provider_id.clone(),
                o.status.as_str().to_owned(),
                dash(account),
                scopes,
                dash(o.expires_at.as_deref().map(|e| e.get(..10).unwrap_or(e))),
                dash(o.reason.as_deref()),
            ]
        })
        .collect()
}

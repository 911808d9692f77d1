//! `keyclave audit`

use keyclave_core::Result;

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, VaultOp};
use crate::output;

pub fn run(ctx: Context, limit: usize, event_type: Option<String>) -> Result<()> {
    let reply = ctx.run_op(VaultOp::Audit { limit, event_type }, &mut |_| false)?;
    let events = match reply {
        Reply::Events { events } => events,
        other => return Err(unexpected(&other)),
    };
    if ctx.json {
        output::json(&events);
    } else {
        let rows: Vec<Vec<String>> = events
            .iter()
            .map(|e| vec![e.created_at.clone(), e.event_type.clone(), e.metadata.to_string()])
            .collect();
        output::table(&["TIME", "EVENT", "DETAILS"], &rows);
    }
    Ok(())
}

//! `keyclave audit`

use keyclave_core::Result;

use super::Context;
use crate::output;

pub fn run(ctx: Context, limit: usize, event_type: Option<String>) -> Result<()> {
    let vault = ctx.unlock()?;
    let events = vault.audit_log(limit, event_type.as_deref())?;
    vault.close()?;
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

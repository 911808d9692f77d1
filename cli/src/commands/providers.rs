//! `keyclave providers`

use keyclave_core::{Result, providers};

use super::Context;
use crate::output;

pub fn run(ctx: &Context) -> Result<()> {
    let all = providers::all();
    if ctx.json {
        output::json(&all);
    } else {
        let rows: Vec<Vec<String>> = all
            .iter()
            .map(|p| {
                vec![p.id.to_owned(), p.display_name.to_owned(), p.env_var.to_owned(), p.aliases.join(",")]
            })
            .collect();
        output::table(&["ID", "NAME", "ENV VAR", "ALIASES"], &rows);
    }
    Ok(())
}

//! `keyclave identity …`

use keyclave_core::{Result, identity};
use serde_json::json;

use super::Context;
use crate::args::IdentityCmd;
use crate::output::{self, outln};

pub fn run(ctx: Context, cmd: IdentityCmd) -> Result<()> {
    match cmd {
        IdentityCmd::Show => {
            let vault = ctx.unlock()?;
            let recipient = identity::recipient(&vault)?;
            vault.close()?;
            if ctx.json {
                output::json(&json!({ "recipient": recipient }));
            } else {
                // The bare line on stdout, so `$(keyclave identity show)` works.
                outln!("{recipient}");
            }
            Ok(())
        }
    }
}

//! `keyclave diagnostics --out FILE`

use keyclave_core::{Result, diagnostics};
use serde_json::json;
use std::path::Path;

use super::Context;
use crate::output::{self, outln};

pub fn run(ctx: Context, out: &Path, locked: bool, force: bool) -> Result<()> {
    let keyclave = ctx.keyclave()?;
    let vault = if locked || keyclave.profiles()?.is_empty() { None } else { Some(ctx.unlock()?) };
    let package = diagnostics::collect(keyclave, vault.as_ref());
    if let Some(v) = vault {
        v.close()?;
    }
    let package = package?;
    diagnostics::write(&package, out, force)?;
    let checks_ok = package.integrity_ok();
    if ctx.json {
        output::json(&json!({
            "out": out,
            "profiles": package.profile_count,
            "log_lines": package.log_tail.len(),
            "integrity_ok": checks_ok,
        }));
    } else {
        outln!(
            "Wrote {} ({} profiles, {} log lines{}). It holds no value, key name, profile name or home path; nothing was sent.",
            out.display(),
            package.profile_count,
            package.log_tail.len(),
            if checks_ok { "" } else { "; an integrity check FAILED" }
        );
    }
    Ok(())
}

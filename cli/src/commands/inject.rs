//! `keyclave inject`: a template's `keyclave://` references filled in.

use keyclave_core::{Error, Result, paths};
use std::io::Read;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, Sensitive, VaultOp};
use crate::output::{self, out};

/// Templates are config files; a larger input is a mistake.
const MAX_TEMPLATE: u64 = 16 * 1024 * 1024;

fn read_template(input: Option<&Path>) -> Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    let what = input.map_or_else(|| "standard input".to_owned(), |p| p.display().to_string());
    let read = match input {
        Some(path) => {
            std::fs::File::open(path).and_then(|f| f.take(MAX_TEMPLATE + 1).read_to_string(&mut text))
        }
        None => std::io::stdin().lock().take(MAX_TEMPLATE + 1).read_to_string(&mut text),
    };
    read.map_err(|e| Error::invalid(format!("cannot read the template {what}: {e}")))?;
    if text.len() as u64 > MAX_TEMPLATE {
        return Err(Error::invalid(format!("the template {what} is larger than 16 MiB")));
    }
    Ok(text)
}

pub fn run(
    ctx: Context,
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    force: bool,
    totp: Option<String>,
) -> Result<()> {
    if let Some(out) = &output {
        paths::check_output_file(out)?;
        if out.exists() && !force {
            return Err(Error::invalid(format!("{} exists already", out.display()))
                .with_suggestion("Pass --force to replace it, or choose another file."));
        }
    }
    // Unlocked first: without a passphrase file, standard input's first
    // line is the passphrase and the rest the template.
    let mut access = ctx.access()?;
    let template = read_template(input.as_deref())?;
    let reply = access.get(VaultOp::Render { template: Sensitive::new(&template), totp })?;
    access.close()?;
    let (text, references) = match reply {
        Reply::Rendered { text, references } => (text, references),
        other => return Err(unexpected(&other)),
    };
    match &output {
        Some(path) => {
            paths::write_private_atomic(path, text.expose().as_bytes(), force)?;
            if ctx.json {
                output::json(&serde_json::json!({ "written": path, "references": references }));
            } else {
                eprintln!("Wrote {} ({references} references filled, mode 0600).", path.display());
            }
        }
        None => out!("{}", text.expose()),
    }
    Ok(())
}

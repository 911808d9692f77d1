//! `keyclave run`: start a command with vault keys in its environment.

use keyclave_core::{Error, ErrorCode, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use super::{Context, unexpected};
use crate::agent::protocol::{Reply, VaultOp};
use keyclave_core::dotenv::Document;
use keyclave_core::inject;

/// The exit code a shell reports for a child killed by a signal.
fn exit_code_of(status: std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return u8::try_from(128 + sig).unwrap_or(u8::MAX);
        }
    }
    status.code().map_or(1, |c| u8::try_from(c & 0xff).unwrap_or(1))
}

/// An `--env-file`: it must exist (a `.env` write may create one; a
/// command that loads one expects it there).
fn read_env_file(path: &Path) -> Result<Document> {
    if !path.is_file() {
        return Err(Error::invalid(format!("the env file {} does not exist", path.display()))
            .with_suggestion("Check the path; it is relative to the current folder."));
    }
    Document::read(path)
}

pub fn run(
    ctx: Context,
    project: Option<PathBuf>,
    file: &Path,
    keys: &[String],
    totp: Option<&str>,
    env_files: &[PathBuf],
    command: Vec<OsString>,
) -> Result<ExitCode> {
    // Checked here too, so a bad name fails before any unlock.
    inject::KeySelection::from_keys(keys, project.as_deref())?;
    let files = env_files.iter().map(|f| read_env_file(f)).collect::<Result<Vec<_>>>()?;
    let dotenv = match &project {
        Some(p) => Some(inject::project_file(p, file)?),
        // Without a project, the last --env-file names the vault keys.
        None => env_files.last().map(|f| std::path::absolute(f).unwrap_or_else(|_| f.clone())),
    };
    let mut args = command.into_iter();
    let Some(program) = args.next() else {
        return Err(
            Error::invalid("no command to run").with_suggestion("keyclave run --key NAME -- CMD ARGS…")
        );
    };
    let op = VaultOp::CommandEnv {
        keys: keys.to_vec(),
        project: project.as_deref().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())),
        dotenv,
        totp: totp.map(str::to_owned),
    };
    // Locked again (when unlocked here) before the child starts: it may
    // run for hours and needs no vault.
    let reply = ctx.run_op(op, &mut |_| false)?;
    let env = match reply {
        Reply::Env { vars } => vars,
        other => return Err(unexpected(&other)),
    };

    let mut child = Command::new(&program);
    child.args(args);
    // The files' values first: the vault's keys win over them.
    for doc in &files {
        for entry in doc.entries() {
            child.env(entry.key(), entry.value().expose_secret());
        }
    }
    for (name, value) in &env {
        child.env(name, value.expose());
    }
    let env_bytes: usize = env.iter().map(|(n, v)| n.len() + v.expose().len() + 2).sum();
    let env_count = env.len();
    drop(env);
    let status = child.status().map_err(|e| {
        let name = program.to_string_lossy();
        match e.kind() {
            // E2BIG: the kernel refused the environment (and arguments).
            std::io::ErrorKind::ArgumentListTooLong => Error::new(
                ErrorCode::InputInvalid,
                format!(
                    "cannot start {name}: its environment is too large ({env_count} keys, {env_bytes} bytes)"
                ),
            )
            .with_suggestion(
                "Pass fewer or smaller keys with --key; a large value is better kept in a file.",
            ),
            std::io::ErrorKind::NotFound => {
                Error::new(ErrorCode::InputInvalid, format!("cannot start {name}: no such command"))
                    .with_suggestion("Check the command name and that it is on PATH.")
            }
            std::io::ErrorKind::PermissionDenied => {
                Error::new(ErrorCode::InputInvalid, format!("cannot start {name}: permission denied"))
                    .with_suggestion("Check that it is an executable file.")
            }
            _ => Error::new(ErrorCode::InputInvalid, format!("cannot start {name}: {e}"))
                .with_suggestion("Check the command and the keys given to it."),
        }
    })?;
    Ok(ExitCode::from(exit_code_of(status)))
}

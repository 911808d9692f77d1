//! `keyclave run`: start a command with vault keys in its environment.

use keyclave_core::{Error, ErrorCode, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use super::Context;
use keyclave_core::inject::{self, KeySelection};

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

pub fn run(
    ctx: Context,
    project: Option<PathBuf>,
    file: &Path,
    keys: &[String],
    totp: Option<&str>,
    command: Vec<OsString>,
) -> Result<ExitCode> {
    let selection = KeySelection::from_keys(keys, project.as_deref())?;
    let dotenv = project.map(|p| inject::project_file(&p, file)).transpose()?;
    let mut args = command.into_iter();
    let Some(program) = args.next() else {
        return Err(
            Error::invalid("no command to run").with_suggestion("keyclave run --key NAME -- CMD ARGS…")
        );
    };
    let vault = ctx.unlock()?;
    let env = inject::command_env(&vault, &selection, dotenv.as_deref(), totp)?;
    // Lock before the child starts: it may run for hours and needs no vault.
    vault.close()?;

    let mut child = Command::new(&program);
    child.args(args);
    for (name, value) in &env {
        child.env(name, value.expose_secret());
    }
    let env_bytes: usize = env.iter().map(|(n, v)| n.len() + v.expose_secret().len() + 2).sum();
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

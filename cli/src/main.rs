//! `keyclave`: the command-line front end. Each subcommand parses its
//! input, calls one core function and prints the result; exit codes are
//! decided here, in one place.

mod args;
mod commands;
mod input;
mod output;

use clap::Parser;
use std::process::ExitCode;

use args::{Cli, Command};
use keyclave_core::Result;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYCLAVE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let json = cli.json;
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            output::error(&e, json);
            if e.code().is_user_error() { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = commands::Context::new(&cli)?;
    let done = match cli.command {
        Command::Profile(cmd) => commands::profile::run(ctx, cmd),
        Command::Secret(cmd) => commands::secret::run(ctx, cmd),
        Command::Audit { limit, event_type } => commands::audit::run(ctx, limit, event_type),
        Command::Providers => commands::providers::run(&ctx),
        Command::Import(args) => commands::import::run(ctx, args),
        Command::Bundle(cmd) => commands::bundle::run(ctx, cmd),
        Command::Totp(cmd) => commands::totp::run(ctx, cmd),
        Command::Env(cmd) => commands::env::run(ctx, cmd),
        Command::Scan { dir, max_file_size, all_citations } => {
            commands::project::scan(ctx, &dir, max_file_size, all_citations)
        }
        Command::Project(cmd) => commands::project::run(ctx, cmd),
        Command::Requirement { decision, id } => {
            commands::project::decide(ctx, commands::project::Target::Requirement, decision, &id)
        }
        Command::Recommendation { decision, id } => {
            commands::project::decide(ctx, commands::project::Target::Recommendation, decision, &id)
        }
        Command::Run { project, file, keys, totp, command } => {
            return commands::run::run(ctx, project, &file, &keys, totp.as_deref(), command);
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

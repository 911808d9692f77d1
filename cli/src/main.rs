//! `keyclave`: the command-line front end. Each subcommand parses its
//! input, calls one core function and prints the result; exit codes are
//! decided here, in one place.

mod agent;
mod args;
mod clipboard;
mod commands;
mod input;
mod man;
mod output;

use clap::Parser;
use std::process::ExitCode;

use args::{Cli, Command};
use keyclave_core::Result;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return argument_error(e),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KEYCLAVE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let json = cli.json;
    match run(cli) {
        // The reader of stdout went away (`| head`): end quietly, as
        // ripgrep does; what was not printed is nobody's loss.
        _ if output::closed() => ExitCode::SUCCESS,
        Ok(code) => code,
        Err(e) => {
            output::error(&e, json);
            if e.code().is_user_error() { ExitCode::from(2) } else { ExitCode::from(1) }
        }
    }
}

/// A command line clap refused: its own text, or under `--json` the same
/// JSON error object as every other error (`input.invalid`, exit 2).
fn argument_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let json = std::env::args_os().skip(1).take_while(|a| a != "--").any(|a| a == "--json");
    if !json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let text = e.render().to_string();
    // The first paragraph ("the following required arguments were not
    // provided:" and the arguments below it), on one line.
    let paragraph: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
    let joined = paragraph.join(" ");
    let message = joined.strip_prefix("error: ").unwrap_or(&joined);
    let tip = text.lines().map(str::trim).find_map(|l| l.strip_prefix("tip: "));
    let hint = match tip {
        Some(tip) => format!("{tip}; see `keyclave --help`."),
        None => "See `keyclave --help` (or `keyclave COMMAND --help`) for the arguments.".to_owned(),
    };
    output::error(&keyclave_core::Error::invalid(message).with_suggestion(hint), true);
    ExitCode::from(2)
}

fn run(cli: Cli) -> Result<ExitCode> {
    if let Command::Generate { shape } = &cli.command {
        // Needs no profile: nothing is stored, nothing audited.
        let value = keyclave_core::random_secret::generate(shape.length, shape.charset.parse()?)?;
        if cli.json {
            output::json(&serde_json::json!({ "value": value.expose_secret(), "length": shape.length }));
        } else {
            output::outln!("{}", value.expose_secret());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Completions { shell } = cli.command {
        // From clap's own model of the commands; no data folder is touched.
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "keyclave", &mut out);
        output::out!("{}", String::from_utf8_lossy(&out));
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::ManPages { out } = &cli.command {
        let written = man::write_all(out)?;
        output::outln!("Wrote {written} manual pages in {}.", out.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::ClipboardHold { clear_after } = cli.command {
        return clipboard::hold(clear_after).map(|()| ExitCode::SUCCESS);
    }
    let ctx = commands::Context::new(&cli)?;
    let done = match cli.command {
        // Printed above, before any data folder is opened.
        Command::Completions { .. }
        | Command::Generate { .. }
        | Command::ClipboardHold { .. }
        | Command::ManPages { .. } => Ok(()),
        Command::Profile(cmd) => commands::profile::run(ctx, cmd),
        Command::Secret(cmd) => commands::secret::run(ctx, cmd),
        Command::Audit { limit, event_type } => commands::audit::run(ctx, limit, event_type),
        Command::Providers => commands::providers::run(&ctx),
        Command::RepairIndex => commands::profile::repair_index(&ctx),
        Command::Diagnostics { out, locked, force } => commands::diagnostics::run(ctx, &out, locked, force),
        Command::Settings(cmd) => commands::settings::run(ctx, cmd),
        Command::Validate { keys, all } => commands::validate::run(ctx, keys, all),
        Command::Dashboard { cmd } => commands::dashboard::run(ctx, cmd),
        Command::Discovery { cmd } => commands::discovery::run(ctx, cmd),
        Command::Import(args) => commands::import::run(ctx, args),
        Command::Bundle(cmd) => commands::bundle::run(ctx, cmd),
        Command::Totp(cmd) => commands::totp::run(ctx, cmd),
        Command::Identity(cmd) => commands::identity::run(ctx, cmd),
        Command::Automation(cmd) => commands::automation::run(ctx, cmd),
        Command::Selectors(cmd) => commands::automation::selectors(ctx, cmd),
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
        Command::Run { project, file, keys, totp, env_files, command } => {
            return commands::run::run(ctx, project, &file, &keys, totp.as_deref(), &env_files, command);
        }
        Command::Unlock => commands::agent::unlock(ctx),
        Command::Lock { all } => commands::agent::lock(ctx, all),
        Command::Status => commands::agent::status(ctx),
        Command::Agent => commands::agent::serve(ctx),
        Command::Inject { input, output, force, totp } => {
            commands::inject::run(ctx, input, output, force, totp)
        }
    };
    done.map(|()| ExitCode::SUCCESS)
}

//! `keyclave automation …`: scripts, review, runs with checkpoints asked on
//! the controlling terminal.
//!
//! Checkpoint answers are read from `/dev/tty`, never from standard input,
//! so a pipe or a here-document cannot approve anything; without a
//! terminal a checkpoint is rejected (`automation.needs_person`). The rules
//! of an answer (`approve` in full for financial and irreversible steps)
//! are core's ([`checkpoint::parse_typed_answer`]).

use keyclave_core::automation::check::{Report, Severity};
use keyclave_core::automation::checkpoint::{self, Answer, Checkpoints, Decision, Pending, TypedAnswer};
use keyclave_core::automation::executor::{self, Person, RunEvent, RunOptions, RunStatus};
use keyclave_core::automation::script::{self, NewScript, Script};
use keyclave_core::automation::{TaskType, history, python, selectors as selector_store, setup, templates};
use keyclave_core::{Error, ErrorCode, Result, Vault};
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

use super::Context;
use crate::args::{AutomationCmd, SelectorsCmd};
use crate::output::{self, outln};

pub fn run(ctx: Context, cmd: AutomationCmd) -> Result<()> {
    match cmd {
        AutomationCmd::Templates => return list_templates(&ctx),
        AutomationCmd::Setup { yes, status } => return setup(&ctx, yes, status),
        _ => {}
    }
    let vault = ctx.unlock()?;
    let result = match cmd {
        AutomationCmd::Templates | AutomationCmd::Setup { .. } => Ok(()),
        AutomationCmd::New { provider, task, template, from_file, title, url } => {
            new(&ctx, &vault, &provider, &task, template.as_deref(), from_file.as_deref(), title, url)
        }
        AutomationCmd::List { provider } => list(&ctx, &vault, provider.as_deref()),
        AutomationCmd::Show { id, source } => show(&ctx, &vault, &id, source),
        AutomationCmd::Check { id } => check(&ctx, &vault, &id),
        AutomationCmd::Edit { id, from_file } => {
            let source = read_source(&from_file)?;
            let s = script::edit(&vault, &id, &source)?;
            print_saved(&ctx, &s);
            Ok(())
        }
        AutomationCmd::Approve { id, notes, repeat } => {
            review(&ctx, &vault, &id, true, notes.as_deref(), repeat)
        }
        AutomationCmd::Reject { id, notes } => review(&ctx, &vault, &id, false, notes.as_deref(), false),
        AutomationCmd::Run { id, timeout, checkpoint_timeout, headless, totp } => {
            let options = RunOptions {
                timeout: Duration::from_secs(timeout.max(1)),
                checkpoint_timeout: Duration::from_secs(checkpoint_timeout.max(1)),
                totp_code: totp,
                headless,
                force_reduced_sandbox: false,
            };
            run_script(&ctx, &vault, &id, options)
        }
        AutomationCmd::History { id, run, limit } => {
            show_history(&ctx, &vault, id.as_deref(), run.as_deref(), limit)
        }
    };
    let closed = vault.close();
    result.and(closed)
}

fn list_templates(ctx: &Context) -> Result<()> {
    if ctx.json {
        output::json(&templates::ALL);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = templates::ALL
        .iter()
        .map(|t| {
            vec![
                t.name.to_string(),
                t.task_type.as_str().to_string(),
                if t.browser { "yes".into() } else { "no".into() },
                t.description.to_string(),
            ]
        })
        .collect();
    output::table(&["TEMPLATE", "TASK", "BROWSER", "WHAT IT DOES"], &rows);
    Ok(())
}

fn print_status(ctx: &Context, s: &setup::Status) {
    if ctx.json {
        output::json(s);
        return;
    }
    let or_missing = |v: &Option<String>| v.clone().unwrap_or_else(|| "missing".into());
    outln!("Python:      {}", or_missing(&s.python));
    outln!("Playwright:  {}", or_missing(&s.playwright));
    outln!("Chromium:    {}", or_missing(&s.chromium));
    outln!("Sandbox:     {}", if s.full_sandbox { "bubblewrap" } else { "reduced (no working bubblewrap)" });
    for m in &s.missing {
        outln!("missing: {m}");
    }
}

fn setup(ctx: &Context, yes: bool, status_only: bool) -> Result<()> {
    let venv = python::venv_dir(ctx.root());
    let before = setup::status(&venv);
    if status_only || before.playwright.as_deref() == Some(setup::PLAYWRIGHT_VERSION) {
        print_status(ctx, &before);
        return Ok(());
    }
    if !yes {
        let question = format!(
            "Create KeyClave's automation environment in {} and install Playwright {} from PyPI (about 40 MB)? [y/N] ",
            venv.display(),
            setup::PLAYWRIGHT_VERSION
        );
        let answer = ask_tty(&question).ok_or_else(|| {
            Error::new(ErrorCode::AutomationNeedsPerson, "no terminal to ask for agreement")
                .with_suggestion("Run `keyclave automation setup --yes` to agree without a prompt.")
        })?;
        if !matches!(answer.to_ascii_lowercase().as_str(), "y" | "yes") {
            return Err(Error::new(ErrorCode::JobCancelled, "nothing was installed"));
        }
    }
    let bar = if ctx.json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
    bar.enable_steady_tick(Duration::from_millis(120));
    let after = setup::install(&venv, &|line| bar.set_message(line.chars().take(100).collect::<String>()));
    bar.finish_and_clear();
    let after = after?;
    print_status(ctx, &after);
    Ok(())
}

/// Ask on the controlling terminal; `None` without one.
fn ask_tty(question: &str) -> Option<String> {
    let mut tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").ok()?;
    write!(tty, "{question}").ok()?;
    tty.flush().ok()?;
    let mut line = String::new();
    BufReader::new(tty).read_line(&mut line).ok()?;
    Some(line.trim().to_string())
}

fn read_source(path: &std::path::Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::invalid(format!("cannot read {}: {e}", path.display())))
}

#[allow(clippy::too_many_arguments)]
fn new(
    ctx: &Context,
    vault: &Vault,
    provider: &str,
    task: &str,
    template: Option<&str>,
    from_file: Option<&std::path::Path>,
    title: Option<String>,
    url: Option<String>,
) -> Result<()> {
    let task_type = TaskType::parse(task)?;
    let (source, model_used) = match (template, from_file) {
        (Some(name), _) => {
            (templates::source_for(vault, name, task_type, provider, url)?, format!("template:{name}"))
        }
        (None, Some(path)) => (read_source(path)?, "file".to_string()),
        (None, None) => return Err(Error::invalid("give --template NAME or --from-file FILE")),
    };
    let s = script::create(
        vault,
        NewScript {
            provider_id: provider.to_string(),
            task_type,
            title: title.unwrap_or_default(),
            description: String::new(),
            source,
            model_used,
            research: None,
            plan: None,
        },
    )?;
    print_saved(ctx, &s);
    Ok(())
}

fn print_saved(ctx: &Context, s: &Script) {
    if ctx.json {
        output::json(&summary_json(s));
    } else {
        outln!("{}", s.id);
        eprintln!(
            "Saved {:?} version {} (pending review: `keyclave automation check {}`).",
            s.title,
            s.version,
            short(&s.id)
        );
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn summary_json(s: &Script) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("source");
    }
    v
}

fn list(ctx: &Context, vault: &Vault, provider: Option<&str>) -> Result<()> {
    let scripts = script::list(vault, provider)?;
    if ctx.json {
        output::json(&scripts.iter().map(summary_json).collect::<Vec<_>>());
        return Ok(());
    }
    if scripts.is_empty() {
        outln!("No automation scripts. Start from a template: `keyclave automation templates`.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = scripts
        .iter()
        .map(|s| {
            vec![
                short(&s.id).to_string(),
                s.provider_id.clone(),
                s.task_type.as_str().to_string(),
                s.title.clone(),
                s.version.to_string(),
                s.approval.as_str().to_string(),
                s.execution_count.to_string(),
                s.last_execution_status.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::table(&["ID", "PROVIDER", "TASK", "TITLE", "VERSION", "REVIEW", "RUNS", "LAST RUN"], &rows);
    Ok(())
}

fn show(ctx: &Context, vault: &Vault, id: &str, source: bool) -> Result<()> {
    let s = script::get(vault, id)?;
    if ctx.json {
        let mut v = summary_json(&s);
        if source {
            v["source"] = s.source.clone().into();
        }
        output::json(&v);
        return Ok(());
    }
    outln!("{} ({})", s.title, s.id);
    outln!("  provider:  {}", s.provider_id);
    outln!("  task:      {}", s.task_type.as_str());
    outln!("  version:   {} (SHA-256 {})", s.version, &s.sha256[..16]);
    outln!(
        "  review:    {}{}",
        s.approval.as_str(),
        s.approved_at.as_deref().map(|a| format!(" at {a}")).unwrap_or_default()
    );
    outln!("  origin:    {}", s.model_used);
    outln!(
        "  runs:      {} (last: {})",
        s.execution_count,
        s.last_execution_status.as_deref().unwrap_or("-")
    );
    outln!(
        "  repeat:    {}",
        if s.auto_approve_repeat { "runs start without asking" } else { "each run asks first" }
    );
    for (what, value) in [("research", &s.research), ("plan", &s.plan)] {
        if let Some(v) = value {
            outln!("  {what}:  {}", serde_json::to_string(v).unwrap_or_default());
        }
    }
    if source {
        outln!();
        for (i, line) in s.source.lines().enumerate() {
            outln!("{:>4} | {line}", i + 1);
        }
    }
    Ok(())
}

fn print_report(ctx: &Context, s: &Script, report: &Report) {
    if ctx.json {
        output::json(&serde_json::json!({ "script": summary_json(s), "report": report }));
        return;
    }
    outln!(
        "{} version {}: {}",
        s.title,
        s.version,
        if report.has_errors() { "does not pass" } else { "passes" }
    );
    for f in &report.findings {
        let severity = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let line = s.source.lines().nth(f.line.saturating_sub(1) as usize).unwrap_or("").trim();
        outln!("  line {:>3}  {severity:<7}  {:<11}  {}", f.line, f.rule, f.message);
        if !line.is_empty() {
            outln!("            | {}", keyclave_core::redact::redact(line));
        }
    }
    let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
    outln!("  keys it reads:  {}", list(&report.placeholders));
    outln!("  keys it stores: {}", list(&report.stores));
    outln!("  hosts:          {}", list(&report.hosts));
    let kinds: Vec<String> = report.checkpoints.iter().map(|c| c.as_str().to_string()).collect();
    outln!("  checkpoints:    {}", list(&kinds));
}

fn check(ctx: &Context, vault: &Vault, id: &str) -> Result<()> {
    let py = python::find(ctx.root())?;
    let (s, report) = script::check(vault, &py, id)?;
    print_report(ctx, &s, &report);
    match report.refusal() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn review(
    ctx: &Context,
    vault: &Vault,
    id: &str,
    approve: bool,
    notes: Option<&str>,
    repeat: bool,
) -> Result<()> {
    let py = python::find(ctx.root())?;
    // The checks are printed before an approval, also when they refuse it.
    if approve {
        let (s, report) = script::check(vault, &py, id)?;
        print_report(ctx, &s, &report);
    }
    let (s, _) = script::decide(vault, &py, id, None, approve, notes, repeat)?;
    if !ctx.json {
        eprintln!("{} version {} {}.", s.title, s.version, s.approval.as_str());
    }
    Ok(())
}

/// The terminal a person answers on.
struct Terminal {
    vault: Vault,
    checkpoints: Checkpoints,
    quiet: bool,
}

fn needs_person() -> Error {
    Error::new(ErrorCode::AutomationNeedsPerson, "no terminal to ask the checkpoint on; it was rejected")
}

impl Person for Terminal {
    fn ask(&self, pending: &Pending) -> Result<()> {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .map_err(|_| needs_person())?;
        let (vault, checkpoints, pending) = (self.vault.clone(), self.checkpoints.clone(), pending.clone());
        std::thread::spawn(move || {
            if let Err(e) = prompt(tty, &vault, &checkpoints, &pending) {
                eprintln!("error[{}]: {}", e.code(), e.message());
            }
        });
        Ok(())
    }

    fn event(&self, e: &RunEvent) {
        if !self.quiet && e.level != "debug" {
            eprintln!("  [{}] {}", e.level, e.message);
        }
    }
}

/// Show a checkpoint on the terminal and read answers until one is
/// accepted, the checkpoint is gone, or the terminal closes.
fn prompt(tty: std::fs::File, vault: &Vault, checkpoints: &Checkpoints, p: &Pending) -> Result<()> {
    let mut out = tty.try_clone()?;
    let mut input = BufReader::new(tty);
    let mut read = |out: &mut std::fs::File, question: &str| -> Result<Option<String>> {
        say(out, question)?;
        let mut line = String::new();
        Ok(if input.read_line(&mut line)? == 0 { None } else { Some(line.trim().to_string()) })
    };
    // Each block is written at once: the run's log lines go to the same
    // terminal from another thread.
    let mut block = format!(
        "\n== Checkpoint: {} ==\nScript:    {} ({})\nWhat:      {}\nProposed:  {}\n",
        p.kind.as_str(),
        p.script_title,
        p.provider_id,
        p.description,
        p.proposed_action
    );
    if let Some(context) = p.context.as_object().filter(|c| !c.is_empty()) {
        block.push_str("Context:\n");
        for (k, v) in context {
            let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            block.push_str(&format!("  {k}: {v}\n"));
        }
    }
    block.push_str(&format!("Expires:   {} (then rejected)\n", p.expires_at));
    if p.reduced_sandbox {
        block.push_str("Sandbox:   reduced (no bubblewrap on this system)\n");
    }
    say(&mut out, &block)?;
    let how = if p.needs_person {
        "type approve in full, reject, or modify"
    } else {
        "a/approve, r/reject, m/modify"
    };
    loop {
        let Some(typed) = read(&mut out, &format!("Answer ({how}): "))? else { return Ok(()) };
        let Some(answer) = checkpoint::parse_typed_answer(p.kind, &typed) else {
            say(&mut out, &format!("Not an answer: {how}.\n"))?;
            continue;
        };
        let (answer, notes) = match answer {
            TypedAnswer::Approve => (Answer::Approve, None),
            TypedAnswer::Reject => (Answer::Reject, read(&mut out, "Notes (optional): ")?),
            TypedAnswer::Modify => {
                let Some(action) = read(&mut out, "Modified action: ")? else { return Ok(()) };
                (Answer::Modify { action }, read(&mut out, "Notes (optional): ")?)
            }
        };
        let approving = !matches!(answer, Answer::Reject);
        let mut decision = Decision {
            checkpoint_id: p.id.clone(),
            nonce: p.nonce.clone(),
            answer,
            notes,
            totp_code: None,
            accept_reduced_sandbox: false,
        };
        if approving && p.reduced_sandbox && p.needs_person {
            let typed =
                read(&mut out, "This run has a reduced sandbox. Type accept to accept it for this run: ")?;
            decision.accept_reduced_sandbox = typed.as_deref() == Some("accept");
        }
        if approving && p.needs_totp {
            decision.totp_code = read(&mut out, "TOTP code: ")?;
        }
        match checkpoints.decide(vault, decision) {
            Ok(d) => {
                say(&mut out, &format!("Recorded: {}.\n", d.decision))?;
                return Ok(());
            }
            Err(e)
                if e.code() == ErrorCode::AutomationCheckpointNotPending
                    || e.code() == ErrorCode::VaultLocked =>
            {
                say(&mut out, &format!("This checkpoint is no longer waiting ({}).\n", e.message()))?;
                return Ok(());
            }
            Err(e) => {
                say(&mut out, &format!("error[{}]: {}\n  hint: {}\n", e.code(), e.message(), e.suggestion()))?
            }
        }
    }
}

/// Write `text` to the terminal in one call, so it is not split by the
/// log lines another thread prints there.
fn say(out: &mut std::fs::File, text: &str) -> Result<()> {
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn run_script(ctx: &Context, vault: &Vault, id: &str, options: RunOptions) -> Result<()> {
    let py = python::find(ctx.root())?;
    let checkpoints = Checkpoints::new();
    let person = Terminal { vault: vault.clone(), checkpoints: checkpoints.clone(), quiet: ctx.json };
    let cancel = vault.job_token();
    let on_interrupt = cancel.clone();
    let _ = ctrlc::set_handler(move || on_interrupt.cancel());
    let summary = executor::run(vault, &py, id, &checkpoints, &person, options, cancel).map_err(|e| {
        if e.code() == ErrorCode::VaultLocked {
            Error::new(ErrorCode::JobCancelled, "the run was interrupted; the script was stopped")
                .with_suggestion("It is recorded as aborted; run it again to start from the top.")
        } else {
            e
        }
    })?;
    if ctx.json {
        output::json(&summary);
    } else {
        eprintln!(
            "Run {} ended {} ({} checkpoints: {} approved, {} rejected; {} sandbox).",
            short(&summary.execution_id),
            summary.status.as_str(),
            summary.checkpoints_reached,
            summary.checkpoints_approved,
            summary.checkpoints_rejected,
            summary.sandbox.as_str()
        );
        if let Some(result) = &summary.result {
            outln!("{}", serde_json::to_string_pretty(result).unwrap_or_default());
        }
    }
    if let Some(code) = summary.error_code {
        return Err(Error::new(code, summary.error.unwrap_or_else(|| "the run was stopped".into())));
    }
    match summary.status {
        RunStatus::Success => Ok(()),
        RunStatus::Failure => Err(Error::new(
            ErrorCode::AutomationRunFailed,
            summary.error.unwrap_or_else(|| "the script failed".into()),
        )
        .with_suggestion(format!(
            "See its events: `keyclave automation history --run {}`.",
            short(&summary.execution_id)
        ))),
        RunStatus::Aborted => Err(Error::new(
            ErrorCode::AutomationRunAborted,
            summary.error.unwrap_or_else(|| "the run was aborted".into()),
        )),
    }
}

fn show_history(
    ctx: &Context,
    vault: &Vault,
    id: Option<&str>,
    run: Option<&str>,
    limit: usize,
) -> Result<()> {
    if let Some(run) = run {
        let all = history::executions(vault, None, 10_000)?;
        let matching: Vec<_> = all.into_iter().filter(|e| e.id.starts_with(run)).collect();
        let [execution] = matching.as_slice() else {
            return Err(Error::new(
                ErrorCode::AutomationScriptNotFound,
                format!("no single run matches {run:?}"),
            ));
        };
        let events = history::events(vault, &execution.id)?;
        let checkpoints = history::checkpoints(vault, Some(&execution.id), None)?;
        if ctx.json {
            output::json(
                &serde_json::json!({ "run": execution, "events": events, "checkpoints": checkpoints }),
            );
            return Ok(());
        }
        outln!("Run {} of script {}: {}", execution.id, short(&execution.script_id), execution.status);
        for e in &events {
            outln!("{:>5} {:<7} {}", e.seq, e.level, e.message);
        }
        for c in &checkpoints {
            outln!("checkpoint {} {}: {} ({})", c.checkpoint_type, c.decision, c.description, c.decided_at);
        }
        return Ok(());
    }
    let script_id = id.map(|i| script::get(vault, i)).transpose()?.map(|s| s.id);
    let runs = history::executions(vault, script_id.as_deref(), limit)?;
    if ctx.json {
        output::json(&runs);
        return Ok(());
    }
    if runs.is_empty() {
        outln!("No runs yet.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            vec![
                short(&r.id).to_string(),
                short(&r.script_id).to_string(),
                r.started_at.clone(),
                r.status.clone(),
                format!("{}/{}/{}", r.checkpoints_reached, r.checkpoints_approved, r.checkpoints_rejected),
                r.sandbox.clone().unwrap_or_else(|| "-".into()),
                r.error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::table(&["RUN", "SCRIPT", "STARTED", "STATUS", "ASKED/OK/NO", "SANDBOX", "NOTE"], &rows);
    Ok(())
}

pub fn selectors(ctx: Context, cmd: SelectorsCmd) -> Result<()> {
    let vault = ctx.unlock()?;
    let result = (|| {
        let list = match cmd {
            SelectorsCmd::List { provider } => selector_store::list(&vault, provider.as_deref())?,
            SelectorsCmd::Set { provider, data_type, selector_type, value } => {
                vec![selector_store::set(&vault, &provider, &data_type, &selector_type, &value)?]
            }
        };
        if ctx.json {
            output::json(&list);
            return Ok(());
        }
        let rows: Vec<Vec<String>> = list
            .iter()
            .map(|s| {
                vec![
                    s.provider_id.clone(),
                    s.data_type.clone(),
                    s.selector_type.clone(),
                    s.version.to_string(),
                    s.status.clone(),
                    s.value.clone(),
                ]
            })
            .collect();
        output::table(&["PROVIDER", "FIGURE", "TYPE", "VERSION", "STATE", "SELECTOR"], &rows);
        Ok(())
    })();
    let closed = vault.close();
    result.and(closed)
}

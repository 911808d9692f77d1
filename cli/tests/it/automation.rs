//! `keyclave automation`: checkpoints answered through a pseudo-terminal
//! (the controlling terminal, never standard input), and without one.

use rexpect::session::{PtySession, spawn_command};
use serde_json::Value;

use crate::util::{Home, assert_ok, stdout};

const LIMIT: &str = r#"import keyclave_runtime as kc
kc.log("opening the billing page")
d = kc.checkpoint("financial", "Set the monthly spending limit", "$50", {"currency": "USD"})
if not d.approved:
    kc.abort("limit rejected")
kc.result({"limit": d.modified_action or d.decision and "$50", "notes": d.notes})
"#;

/// Save and approve `source`; returns the script id.
fn approved(h: &Home, source: &str) -> String {
    let file = h.file("script.py", source);
    let out = h.run(
        &[
            "automation",
            "new",
            "--provider",
            "openai",
            "--task",
            "billing_restriction",
            "--from-file",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_ok(&out);
    let id = stdout(&out).trim().to_string();
    assert_ok(&h.run(&["automation", "approve", &id, "--repeat"], None));
    id
}

/// `automation run ID` on a pseudo-terminal, standard input from /dev/null.
fn run_on_pty(h: &Home, id: &str) -> PtySession {
    let cmd = h.cmd(&["automation", "run", id]);
    let line = format!("{} < /dev/null", shell_words(&cmd));
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &line]);
    sh.env("XDG_RUNTIME_DIR", h.dir.path().join("run"));
    spawn_command(sh, Some(30_000)).expect("spawn on a pty")
}

fn shell_words(cmd: &std::process::Command) -> String {
    std::iter::once(cmd.get_program())
        .chain(cmd.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', "'\\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

fn last_run(h: &Home, id: &str) -> Value {
    h.json(&["automation", "history", id])[0].clone()
}

#[test]
fn a_financial_checkpoint_is_approved_only_by_typing_approve_in_full() {
    let h = Home::with_profile();
    let id = approved(&h, LIMIT);
    let mut p = run_on_pty(&h, &id);
    p.exp_string("== Checkpoint: financial ==").unwrap();
    p.exp_string("Proposed:  $50").unwrap();
    p.exp_string("currency: USD").unwrap();
    p.exp_string("type approve in full").unwrap();
    p.send_line("a").unwrap();
    p.exp_string("Not an answer").unwrap();
    p.send_line("approve").unwrap();
    p.exp_string("Recorded").unwrap();
    p.exp_string("ended success").unwrap();
    p.exp_eof().unwrap();
    let run = last_run(&h, &id);
    assert_eq!((run["status"].as_str(), run["checkpoints_approved"].as_u64()), (Some("success"), Some(1)));
}

#[test]
fn a_modified_amount_reaches_the_script_and_a_rejection_aborts_the_run() {
    let h = Home::with_profile();
    let id = approved(&h, LIMIT);
    let mut p = run_on_pty(&h, &id);
    p.exp_string("Answer").unwrap();
    p.send_line("m").unwrap();
    p.exp_string("Modified action: ").unwrap();
    p.send_line("$20").unwrap();
    p.exp_string("Notes (optional): ").unwrap();
    p.send_line("half is enough").unwrap();
    p.exp_string("\"limit\": \"$20\"").unwrap();
    p.exp_eof().unwrap();
    let run = last_run(&h, &id);
    assert_eq!(run["result"]["limit"], "$20");
    assert_eq!(run["result"]["notes"], "half is enough");

    let mut p = run_on_pty(&h, &id);
    p.exp_string("Answer").unwrap();
    p.send_line("r").unwrap();
    p.exp_string("Notes (optional): ").unwrap();
    p.send_line("").unwrap();
    p.exp_string("ended aborted").unwrap();
    p.exp_string("automation.run_aborted").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(last_run(&h, &id)["status"], "aborted");
}

#[test]
fn without_a_terminal_the_checkpoint_is_rejected_and_standard_input_is_not_read() {
    let h = Home::with_profile();
    let id = approved(&h, LIMIT);
    // `setsid` detaches the command from any controlling terminal; the
    // "approve" on standard input must change nothing.
    let mut cmd = std::process::Command::new("setsid");
    let inner = h.cmd(&["--json", "automation", "run", &id]);
    cmd.arg(inner.get_program()).args(inner.get_args());
    cmd.env("XDG_RUNTIME_DIR", h.dir.path().join("run"));
    let out = crate::util::run_cmd(cmd, Some("approve\napprove\n"));
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let err: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(err["code"], "automation.needs_person");
    let run = last_run(&h, &id);
    assert_eq!((run["status"].as_str(), run["checkpoints_rejected"].as_u64()), (Some("aborted"), Some(1)));
}

#[test]
fn check_names_the_lines_that_block_approval() {
    let h = Home::with_profile();
    let file = h.file(
        "bad.py",
        "import keyclave_runtime as kc\nimport socket\n\ndef go(page):\n    page.click('#delete-account')\n",
    );
    let out = h.run(
        &[
            "automation",
            "new",
            "--provider",
            "openai",
            "--task",
            "custom",
            "--from-file",
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_ok(&out);
    let id = stdout(&out).trim().to_string();
    let out = h.run(&["automation", "check", &id], None);
    assert_eq!(out.status.code(), Some(2));
    let text = stdout(&out);
    assert!(text.contains("line   2  error    sandbox"), "{text}");
    assert!(text.contains("line   5  error    checkpoint"), "{text}");
    let (code, err) = h.fails(&["automation", "approve", &id], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("automation.script_refused")));
    assert_eq!(h.json(&["automation", "show", &id])["approval"], "pending");
}

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

/// A fake provider dashboard on 127.0.0.1: a usage page, an API keys page
/// whose "Create key" makes a new key, a billing page; records POSTs.
fn fake_dashboard() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let site = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
    let posts: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
    let seen = posts.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            let path = first.split_whitespace().nth(1).unwrap_or("/").to_string();
            if first.starts_with("POST") {
                seen.lock().expect("lock").push(format!("{path} {}", String::from_utf8_lossy(&body)));
            }
            let page = if path.starts_with("/api-keys") {
                "<button id='create-key' onclick=\"document.getElementById('new-key').textContent = ['sk', 'proj', 'zqxCliRotated', '0123456789abcdefABCDEF'].join('-')\">Create key</button><code id='new-key'></code><button id='revoke-old-key' onclick=\"fetch('/revoke', {method: 'POST'})\">Revoke</button>"
            } else if path.starts_with("/billing") {
                "<input id='monthly-limit'><button id='save-limit' onclick=\"fetch('/limit', {method: 'POST', body: document.getElementById('monthly-limit').value})\">Save limit</button>"
            } else {
                "<span id='spend'>$5.10</span> of <span id='budget'>$50.00</span>"
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    (site, posts)
}

fn template_script(h: &Home, task: &str, template: &str, url: &str) -> String {
    let out = h.run(
        &["automation", "new", "--provider", "openai", "--task", task, "--template", template, "--url", url],
        None,
    );
    assert_ok(&out);
    let id = stdout(&out).trim().to_string();
    assert_ok(&h.run(&["automation", "approve", &id, "--repeat"], None));
    id
}

fn run_headless_on_pty(h: &Home, id: &str) -> PtySession {
    let cmd = h.cmd(&["automation", "run", id, "--headless"]);
    let mut sh = std::process::Command::new("sh");
    sh.args(["-c", &format!("{} < /dev/null", shell_words(&cmd))]);
    spawn_command(sh, Some(120_000)).expect("spawn on a pty")
}

#[test]
fn browser_flows_through_a_pseudo_terminal_scrape_rotate_and_a_limit_with_totp() {
    let h = Home::with_profile();
    let (site, posts) = fake_dashboard();
    let out = h.run(
        &["secret", "add", "OPENAI_API_KEY", "--endpoint", &site],
        Some("sk-proj-zqxCliOldKey0123456789abcdefABCDEF"),
    );
    assert_ok(&out);
    let enrolled = h.json(&["totp", "enroll"]);
    let secret = keyclave_core::totp::secret_from_base32(enrolled["secret_base32"].as_str().expect("secret"))
        .expect("b32");
    let confirmed =
        h.json(&["totp", "confirm", &keyclave_core::totp::code_at(&secret, crate::util::settled_now())]);
    let recovery = confirmed["recovery_codes"][0].as_str().expect("a code").to_string();
    assert_ok(&h.run(&["selectors", "set", "openai", "credits_used", "css", "#spend"], None));
    assert_ok(&h.run(&["selectors", "set", "openai", "credits_limit", "css", "#budget"], None));
    assert_ok(&h.run(&["automation", "setup", "--yes"], None));
    // A script's network goes through the Online Mode gate.
    assert_ok(&h.run(&["settings", "set", "online-mode", "on"], None));

    // dashboard_scrape: the login checkpoint ("a" is enough for account).
    let scrape = template_script(&h, "dashboard_scrape", "dashboard-scrape", &format!("{site}/usage"));
    let mut p = run_headless_on_pty(&h, &scrape);
    p.exp_string("== Checkpoint: account ==").unwrap();
    p.send_line("a").unwrap();
    p.exp_string("ended success").unwrap();
    p.exp_eof().unwrap();
    let figures = &last_run(&h, &scrape)["result"]["figures"];
    assert_eq!(
        (figures["credits_used"].as_str(), figures["credits_limit"].as_str()),
        (Some("$5.10"), Some("$50.00"))
    );

    // api_key_management: a new key in the vault, the old one revoked only
    // after "approve" typed in full.
    let rotate = template_script(&h, "api_key_management", "rotate-key", &format!("{site}/api-keys"));
    let mut p = run_headless_on_pty(&h, &rotate);
    p.exp_string("== Checkpoint: api_key ==").unwrap();
    p.send_line("a").unwrap();
    p.exp_string("== Checkpoint: irreversible ==").unwrap();
    p.send_line("a").unwrap();
    p.exp_string("Not an answer").unwrap();
    p.send_line("approve").unwrap();
    p.exp_string("ended success").unwrap();
    p.exp_eof().unwrap();
    let value = h.run(&["secret", "reveal", "OPENAI_API_KEY"], None);
    assert_eq!(stdout(&value).trim(), "sk-proj-zqxCliRotated-0123456789abcdefABCDEF");
    assert!(posts.lock().expect("lock").iter().any(|p| p.starts_with("/revoke")));

    // billing_restriction: $50 modified to $20, approved with a TOTP
    // (recovery) code.
    let billing = template_script(&h, "billing_restriction", "set-monthly-limit", &format!("{site}/billing"));
    let mut p = run_headless_on_pty(&h, &billing);
    p.exp_string("== Checkpoint: financial ==").unwrap();
    p.send_line("m").unwrap();
    p.exp_string("Modified action: ").unwrap();
    p.send_line("$20").unwrap();
    p.exp_string("Notes (optional): ").unwrap();
    p.send_line("").unwrap();
    p.exp_string("TOTP code: ").unwrap();
    p.send_line(&recovery).unwrap();
    p.exp_string("Recorded: modified").unwrap();
    p.exp_string("ended success").unwrap();
    p.exp_eof().unwrap();
    assert!(
        posts.lock().expect("lock").iter().any(|p| p == "/limit 20"),
        "{:?}",
        posts.lock().expect("lock")
    );
    let events =
        h.json(&["automation", "history", "--run", last_run(&h, &rotate)["id"].as_str().expect("id")]);
    assert!(!events.to_string().contains("zqxCliRotated"), "the new key is in no event");
}

#[test]
fn a_script_in_the_reduced_sandbox_dies_with_keyclave() {
    use std::io::BufRead;
    let h = Home::with_profile();
    let id = approved(
        &h,
        "import keyclave_runtime as kc\nimport os, time\nkc.log('pid %d' % os.getpid())\ntime.sleep(60)\n",
    );
    let mut cmd = h.cmd(&["automation", "run", &id]);
    cmd.env("KEYCLAVE_SANDBOX", "reduced")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let mut pid = None;
    for line in stderr.lines().map_while(|l| l.ok()) {
        if let Some(p) = line.trim().strip_prefix("[info] pid ") {
            pid = p.trim().parse::<u32>().ok();
            break;
        }
    }
    let pid = pid.expect("the script said its pid");
    assert!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    child.kill().expect("kill -9 keyclave");
    let _ = child.wait();
    let started = std::time::Instant::now();
    let alive = || {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
    };
    while alive() {
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "the script outlived keyclave");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

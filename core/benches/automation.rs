//! Automation figures (`make bench-automation`): sandbox + interpreter
//! start to the first protocol line (target ≤ 300 ms), and 10,000 log
//! lines from a script recorded in order (target ≤ 1 s). Medians of
//! `KEYCLAVE_BENCH_RUNS` (default 15) runs; printed, not asserted.

// A bench that cannot set up is a failed bench: unwrap says where.
#![allow(clippy::unwrap_used)]

use keyclave_core::KeyClave;
use keyclave_core::automation::checkpoint::{Checkpoints, Pending};
use keyclave_core::automation::executor::{self, Person, RUNTIME, RunOptions};
use keyclave_core::automation::sandbox::{self, RunDir, SandboxKind};
use keyclave_core::automation::script::{self, NewScript};
use keyclave_core::automation::{TaskType, history, python};
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::paths::Root;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn runs() -> usize {
    std::env::var("KEYCLAVE_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(15)
}

/// Spawn the sandbox with a script that only imports the runtime; time to
/// its `hello` line.
fn start_to_first_line(py: &python::Interpreter, kind: SandboxKind) -> Duration {
    let tmp = tempfile::tempdir().unwrap();
    let dir = RunDir { root: tmp.path().to_path_buf() };
    for d in [dir.runtime(), dir.work(), dir.tmp(), dir.net()] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(dir.runtime().join("keyclave_runtime.py"), RUNTIME).unwrap();
    std::fs::write(dir.runtime().join("script.py"), "import keyclave_runtime as kc\n").unwrap();
    let started = Instant::now();
    let mut child = sandbox::command(py, &dir, kind, &[], &[]).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let took = started.elapsed();
    assert!(line.contains("hello"), "{line}");
    sandbox::kill_group(&mut child);
    let _ = child.wait();
    took
}

struct Nobody;
impl Person for Nobody {
    fn ask(&self, _: &Pending) -> keyclave_core::Result<()> {
        Ok(())
    }
}

fn main() {
    let root_dir = tempfile::tempdir().unwrap();
    let root = Root::at(root_dir.path());
    let py = python::find(&root).expect("python3");
    for kind in [SandboxKind::Full, SandboxKind::Reduced] {
        if kind == SandboxKind::Full && !sandbox::full_available() {
            println!("sandbox start ({}): bubblewrap not available here", kind.as_str());
            continue;
        }
        let times: Vec<Duration> = (0..runs()).map(|_| start_to_first_line(&py, kind)).collect();
        println!(
            "sandbox + interpreter start to the first protocol line ({}): median {:?}",
            kind.as_str(),
            median(times)
        );
    }

    let mut kc = KeyClave::open(root.clone()).unwrap();
    let pass = SecretString::from("bench passphrase for automation");
    kc.create_profile("Bench", &pass, KdfParams { m_kib: 256, t: 1, p: 1 }).unwrap();
    let vault = kc.unlock("Bench", &pass).unwrap();
    let s = script::create(
        &vault,
        NewScript {
            provider_id: "openai".into(),
            task_type: TaskType::Custom,
            title: "Flood".into(),
            description: String::new(),
            source: "import keyclave_runtime as kc\nfor i in range(10000):\n    kc.log('line %d' % i)\n"
                .into(),
            model_used: "file".into(),
            research: None,
            plan: None,
        },
    )
    .unwrap();
    let (checked, report) = script::check(&vault, &py, &s.id).unwrap();
    script::review(&vault, &checked, &report, true, None).unwrap();
    script::set_auto_approve_repeat(&vault, &s.id, true).unwrap();
    let mut times = Vec::new();
    for _ in 0..runs().min(7) {
        let started = Instant::now();
        let summary = executor::run(
            &vault,
            &py,
            &s.id,
            &Checkpoints::new(),
            &Nobody,
            RunOptions::default(),
            tokio_util::sync::CancellationToken::new(),
        )
        .unwrap();
        times.push(started.elapsed());
        let events = history::events(&vault, &summary.execution_id).unwrap();
        let lines = events.iter().filter(|e| e.message.starts_with("line ")).count();
        assert_eq!(lines, 10_000);
    }
    println!(
        "10,000 log lines recorded in order (whole run, sandbox start included): median {:?}",
        median(times)
    );
    vault.close().unwrap();
}

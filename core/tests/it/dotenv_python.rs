//! Differential test: random `.env`-like text read by KeyClave's parser and
//! by python-dotenv (the most used reader of these files), values compared.
//! The inputs stay inside the syntax both are meant to read alike; the
//! deliberate differences (a lone CR as a line break, `KEY` without `=`,
//! `${VAR}` expansion, which KeyClave never does, and where reading goes
//! on after a broken quoted value) are listed in the README and left out
//! here.
//!
//! python-dotenv comes from `KEYCLAVE_DOTENV_PYTHON` (a python with it
//! installed) or, without it, from a venv this test makes under the target
//! folder with a pinned version from PyPI (`make test` has network to it).

use keyclave_core::dotenv::Document;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

const PYTHON_DOTENV: &str = "python-dotenv==1.2.4";

/// Reads each JSON-encoded text on stdin, answers the bindings as JSON:
/// what `dotenv_values(interpolate=False)` gives, except that a `KEY`
/// line without `=` (no value, which KeyClave does not read as a binding)
/// does not count.
const WORKER: &str = r#"
import io, json, sys
from dotenv.parser import parse_stream
for line in sys.stdin:
    values = {}
    for b in parse_stream(io.StringIO(json.loads(line))):
        if b.key is not None and b.value is not None:
            values[b.key] = b.value
    print(json.dumps(values), flush=True)
"#;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("KEYCLAVE_DOTENV_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-dotenv-venv");
    let py = venv.join("bin/python");
    let ready = Command::new(&py).args(["-c", "import dotenv"]).output().is_ok_and(|o| o.status.success());
    if !ready {
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status();
        assert!(made.is_ok_and(|s| s.success()), "python3 -m venv failed (make test installs python3-venv)");
        let pip = Command::new(&py).args(["-m", "pip", "install", "--quiet", PYTHON_DOTENV]).status();
        assert!(pip.is_ok_and(|s| s.success()), "pip install {PYTHON_DOTENV} failed");
    }
    py
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Worker {
    fn start() -> Worker {
        let mut child = Command::new(python())
            .args(["-c", WORKER])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Worker { child, stdin, stdout }
    }

    fn read(&mut self, text: &str) -> BTreeMap<String, String> {
        writeln!(self.stdin, "{}", serde_json::to_string(text).unwrap()).unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("python answered {line:?}: {e}"))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keyclave(text: &str) -> BTreeMap<String, String> {
    Document::parse(text)
        .entries()
        .map(|e| (e.key().to_owned(), e.value().expose_secret().to_owned()))
        .collect()
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z_][A-Za-z0-9_]{0,5}".prop_filter("not export", |k| k != "export"),
        1 => "[A-Za-z _=#.-]{1,6}".prop_map(|k| format!("'{k}'")),
    ]
}

fn value() -> impl Strategy<Value = String> {
    // Bare: never starting with a quote (that would be a quoted value).
    let bare = "([A-Za-z0-9_./:@=#$-][A-Za-z0-9_./:@=#$'\"-]{0,7})?( [A-Za-z0-9#]{1,4}){0,2}";
    let single_part = prop_oneof![
        "[A-Za-z0-9 #$\"=.-]{1,4}".boxed(),
        Just(r"\'".to_owned()).boxed(),
        Just(r"\\".to_owned()).boxed(),
        Just(r"\n".to_owned()).boxed(),
        Just("\n".to_owned()).boxed(),
    ];
    let double_part = prop_oneof![
        "[A-Za-z0-9 #$'=.-]{1,4}".boxed(),
        prop::sample::select(vec![r#"\""#, r"\\", r"\n", r"\t", r"\r", r"\a", r"\x", r"\'", "\n", "\r\n"])
            .prop_map(str::to_owned)
            .boxed(),
    ];
    prop_oneof![
        3 => bare.prop_map(|v| v.trim_end().to_owned()),
        2 => prop::collection::vec(single_part, 0..4).prop_map(|p| format!("'{}'", p.concat())),
        2 => prop::collection::vec(double_part, 0..4).prop_map(|p| format!("\"{}\"", p.concat())),
    ]
}

fn line() -> impl Strategy<Value = String> {
    let assignment = (
        prop::sample::select(vec!["", "export ", "export\t", " ", "\t"]),
        key(),
        prop::sample::select(vec!["=", " = ", "\t=", "= ", "=\t"]),
        value(),
        prop::sample::select(vec!["", " # note", "\t#c", " "]),
    )
        .prop_map(|(export, key, eq, value, tail)| format!("{export}{key}{eq}{value}{tail}"));
    prop_oneof![
        8 => assignment,
        1 => "# [a-z =]{0,8}",
        1 => Just(String::new()),
        1 => "[A-Z]{1,4}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    (prop::collection::vec(line(), 1..8), prop::sample::select(vec!["\n", "\r\n"]), any::<bool>()).prop_map(
        |(lines, ending, last)| {
            let mut t = lines.join(ending);
            if last {
                t.push_str(ending);
            }
            t
        },
    )
}

#[test]
fn keyclave_reads_env_files_as_python_dotenv_does() {
    let mut worker = Worker::start();
    // Explicit cases first: the syntaxes found missing against
    // python-dotenv's own parser tests.
    for case in ["'a'=b", " export 'a'=b", r"a='b\'c'", "'a b'=c\n'd'=\"e\\nf\"\n", r"x='\\'"] {
        assert_eq!(keyclave(case), worker.read(case), "{case:?}");
    }
    let cases = std::env::var("KEYCLAVE_DOTENV_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    // The runner's closure is `Fn`: the one worker behind a RefCell.
    let worker = std::cell::RefCell::new(worker);
    runner
        .run(&text(), |t| {
            let ours = keyclave(&t);
            let theirs = worker.borrow_mut().read(&t);
            if ours != theirs {
                return Err(TestCaseError::fail(format!(
                    "{t:?}\n keyclave: {ours:?}\n python:   {theirs:?}"
                )));
            }
            Ok(())
        })
        .unwrap();
}

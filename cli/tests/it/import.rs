//! `keyclave import`: dry runs, stdin, conflicts, errors that never echo
//! the input.

use crate::util::*;
use serde_json::Value;
use std::process::Command;

/// What a dry run prints for `value`: its HMAC-SHA256 under the run's
/// `value_hmac_key`.
fn digest(dry_run: &Value, value: &str) -> String {
    use hmac::{Hmac, Mac};
    let key = dry_run["value_hmac_key"].as_str().expect("the run's key");
    let key: Vec<u8> =
        (0..key.len()).step_by(2).map(|i| u8::from_str_radix(&key[i..i + 2], 16).expect("hex")).collect();
    assert_eq!(key.len(), 32);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("key");
    mac.update(value.as_bytes());
    format!("{:x}", mac.finalize().into_bytes())
}

/// A dotenv file with the usual traps: BOM, CRLF, `export`, comments,
/// quotes with escapes, a multi-line value, `${VAR}`, Unicode, a duplicate,
/// lines that cannot be imported and no final newline.
const DOTENV: &str = concat!(
    "\u{FEFF}# team secrets\r\n",
    "export GH_TOKEN=ghp_CliImport0123456789abcdefghijklmnop\r\n",
    "OPENAI_API_KEY = \"sk-proj-cli\\\"quoted\\\"\" # inline comment\n",
    "PEM=\"-----BEGIN-----\nMIIB\n-----END-----\"\n",
    "SINGLE='lit $X \\n'\n",
    "DUP=first\n",
    "REF=${HOME}/bin\n",
    "GREETING=Grüße 🔑\n",
    "DUP=second\n",
    "my-key=nope\n",
    "sk-live-just-a-pasted-token\n",
    "LAST=end"
);

/// (key, provider, first line, last line, value) expected from `DOTENV`.
const DOTENV_ENTRIES: &[(&str, &str, u64, u64, &str)] = &[
    ("GH_TOKEN", "github", 2, 2, "ghp_CliImport0123456789abcdefghijklmnop"),
    ("OPENAI_API_KEY", "openai", 3, 3, "sk-proj-cli\"quoted\""),
    ("PEM", "generic", 4, 6, "-----BEGIN-----\nMIIB\n-----END-----"),
    ("SINGLE", "generic", 7, 7, "lit $X \\n"),
    ("REF", "generic", 9, 9, "${HOME}/bin"),
    ("GREETING", "generic", 10, 10, "Grüße 🔑"),
    ("DUP", "generic", 11, 11, "second"),
    ("LAST", "generic", 14, 14, "end"),
];

#[test]
fn import_dry_run_json_lists_entries_with_keyed_value_digests_and_writes_nothing() {
    let h = Home::with_profile();
    let file = h.path("team.env");
    std::fs::write(&file, DOTENV).expect("write");
    let out = h.json(&["import", &file, "--dry-run"]);
    assert_eq!(out["dry_run"], true);
    assert_eq!(out["format"], "dotenv");
    let entries = out["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), DOTENV_ENTRIES.len(), "{out:#}");
    for (e, (key, provider, line, last, value)) in entries.iter().zip(DOTENV_ENTRIES) {
        assert_eq!(e["key_name"], *key);
        assert_eq!(e["provider_id"], *provider, "{key}");
        assert_eq!((e["line"].as_u64(), e["last_line"].as_u64()), (Some(*line), Some(*last)), "{key}");
        assert_eq!(e["conflict"], false);
        assert_eq!(e["value_hmac_sha256"], digest(&out, value), "{key} was read as {value:?}");
    }
    // Keyed per run: a short value's digest is not its plain SHA-256 and
    // differs from one run to the next.
    use sha2::Digest;
    let plain = format!("{:x}", sha2::Sha256::digest(DOTENV_ENTRIES[0].4.as_bytes()));
    let again = h.json(&["import", &file, "--dry-run"]);
    assert_ne!(entries[0]["value_hmac_sha256"], plain);
    assert_ne!(entries[0]["value_hmac_sha256"], again["entries"][0]["value_hmac_sha256"]);
    assert!(out.get("value_sha256").is_none() && entries[0].get("value_sha256").is_none());
    assert_eq!(entries[6]["superseded_lines"], serde_json::json!([8]), "DUP: the last one wins");
    assert_eq!(out["rejected"][0]["key_name"], "my-key");
    assert_eq!(out["rejected"][0]["line"], 12);
    assert_eq!(out["rejected"][0]["reason"], "invalid_key_name");
    assert_eq!(
        out["unparsed"],
        serde_json::json!([{"line": 13, "last_line": 13, "reason": "not_an_assignment", "message": "not a KEY=value line (no '=')"}])
    );
    let text = out.to_string();
    for (_, _, _, _, value) in DOTENV_ENTRIES.iter().filter(|e| e.4.len() > 4) {
        assert!(!text.contains(value), "{value} leaked");
    }
    assert!(!text.contains("pasted-token") && !text.contains("nope"));
    assert_eq!(h.json(&["secret", "list"])["total"], 0, "a dry run writes nothing");

    // The human preview is a table, with what is not imported by line.
    let human = stdout(&h.run(&["import", &file, "--dry-run"], None));
    assert!(human.contains("LINE") && human.contains("4-6   PEM"), "{human}");
    assert!(human.contains("line 13: not a KEY=value line"), "{human}");
    assert!(human.contains("nothing was written"), "{human}");
    assert!(!human.contains("ghp_CliImport") && !human.contains("pasted-token"), "{human}");
}

#[test]
fn import_from_stdin_then_reveal_each_value() {
    let h = Home::with_profile();
    let out = h.run(&["--json", "import", "-"], Some(DOTENV));
    assert_ok(&out);
    let counts: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(counts["added"], 8);
    assert_eq!((counts["rejected"].as_u64(), counts["unparsed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(counts["superseded"], 1);
    for (key, _, _, _, value) in DOTENV_ENTRIES {
        let out = h.run(&["secret", "reveal", key], None);
        assert_ok(&out);
        assert_eq!(stdout(&out), format!("{value}\n"), "{key}");
    }
    let list = h.json(&["secret", "list", "--search", "GH_TOKEN"]);
    assert_eq!(list["items"][0]["source_type"], "paste");
    assert_eq!(list["items"][0]["source_label"], "stdin");
    assert!(list["items"][0]["imported_at"].is_string());
    let audit = h.json(&["audit", "--type", "secret.import"]);
    assert_eq!(audit[0]["metadata"]["added"], 8);
    assert!(!audit.to_string().contains("ghp_CliImport"));

    // The passphrase and the text can both come from standard input.
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).args(["import", "-"]);
    assert_ok(&run_cmd(c, Some(&format!("{PASS}\nFROM_STDIN=both\n"))));
    assert_eq!(stdout(&h.run(&["secret", "reveal", "FROM_STDIN"], None)), "both\n");
}

#[test]
fn import_file_conflicts_need_a_decision() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_existing")));
    let file = h.file("prod.json", "{\n  \"GH_TOKEN\": \"ghp_fromjson\",\n  \"STRIPE_SECRET_KEY\": \"sk_test_json\",\n  \"PORT\": 8080\n}\n");
    let file = file.to_str().expect("utf8");

    let dry = h.json(&["import", file, "--dry-run"]);
    assert_eq!(dry["format"], "json");
    assert_eq!(dry["entries"][0]["conflict"], true);
    assert_eq!(dry["entries"][2]["value_hmac_sha256"], digest(&dry, "8080"), "a number as its JSON text");

    let (code, err) = h.fails(&["import", file], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("import.conflict")));
    assert!(err["suggestion"].as_str().is_some_and(|s| s.contains("--on-conflict")));
    assert_eq!(h.json(&["secret", "list"])["total"], 1, "nothing written");

    let keep = h.json(&["import", file, "--on-conflict", "keep"]);
    assert_eq!((keep["added"].as_u64(), keep["kept"].as_u64()), (Some(2), Some(1)));
    assert_eq!(stdout(&h.run(&["secret", "reveal", "GH_TOKEN"], None)), "ghp_existing\n");

    let out = h.run(&["import", file, "--on-conflict", "replace"], None);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Imported: 0 added, 3 replaced, 0 kept, 0 skipped.\n");
    assert_eq!(stdout(&h.run(&["secret", "reveal", "GH_TOKEN"], None)), "ghp_fromjson\n");
    let list = h.json(&["secret", "list", "--search", "GH_TOKEN"]);
    assert_eq!(list["items"][0]["source_type"], "file_import");
    assert_eq!(list["items"][0]["source_label"], "prod.json", "the file name, not its path");

    let skip = h.json(&["import", file, "--on-conflict", "skip"]);
    assert_eq!(skip["skipped"], 3);

    // --provider puts everything under one provider (no conflict there).
    let dry = h.json(&["import", file, "--dry-run", "--provider", "stripe"]);
    assert!(dry["entries"].as_array().expect("entries").iter().all(|e| e["provider_id"] == "stripe"));
}

#[test]
fn import_errors_have_codes_and_never_echo_the_input() {
    let h = Home::with_profile();
    let secret = "ghp_NeverEcho0123456789abcdefghijklmnop";
    let path = |name: &str, content: &[u8]| {
        let p = h.dir.path().join(name);
        std::fs::write(&p, content).expect("write");
        p.to_str().expect("utf8").to_owned()
    };
    let check = |args: &[&str], code: &str| {
        let (exit, err) = h.fails(args, None);
        assert_eq!((exit, err["code"].as_str()), (2, Some(code)), "{args:?}");
        assert!(!err.to_string().contains("NeverEcho"), "{err}");
    };
    check(
        &["import", &path("list.json", format!("[\"{secret}\"]").as_bytes()), "--format", "json"],
        "import.invalid_json",
    );
    check(&["import", &path("bin.env", &[b'A', b'=', 0xff, 0xfe]), "--dry-run"], "import.input_not_utf8");
    check(&["import", &path("empty.env", b"# nothing\n")], "import.nothing_found");
    check(
        &["import", &path("bad.env", format!("OK=1\n{secret}\n").as_bytes()), "--strict"],
        "import.rejected_lines",
    );
    check(&["import", &path("ok.env", b"A=1\n"), "--format", "yaml"], "input.invalid");
    check(&["import", &path("ok2.env", b"A=1\n"), "--provider", "nope"], "provider.not_found");
    check(&["import", &path("ok3.env", b"A=1\n"), "--on-conflict", "merge"], "input.invalid");
    check(&["import", h.dir.path().to_str().expect("utf8")], "input.invalid");
    check(&["import", &h.path("missing.env")], "input.invalid");
    // Larger than 16 MiB: refused before it is parsed (a sparse file).
    let big = h.dir.path().join("big.env");
    std::fs::File::create(&big).expect("create").set_len(16 * 1024 * 1024 + 1).expect("grow");
    check(&["import", big.to_str().expect("utf8")], "import.input_too_large");
    assert_eq!(h.json(&["secret", "list"])["total"], 0);
}

#[test]
fn a_dry_run_of_many_overrides_summarises_them_on_short_lines() {
    let h = Home::with_profile();
    let mut text = "DUP_KEY=x\n".repeat(20_000);
    for i in 0..50 {
        text.push_str(&format!("KEY_{i}=lower-case key names warn\nkey_{i}=v\n"));
    }
    let file = h.file("many.env", &text);
    let out = h.run(&["import", file.to_str().expect("utf8"), "--dry-run"], None);
    assert_ok(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let longest = stdout.lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 200, "a {longest}-character line");
    assert!(stdout.contains("DUP_KEY overrides line(s) 1, 2, 3, 4, 5 and 19994 more"), "{stdout}");
    assert!(stdout.contains("more (--json lists them all)"), "{stdout}");
}

#[test]
fn keep_and_skip_are_explained_and_counted_apart() {
    let h = Home::with_profile();
    let help = h.run(&["import", "--help"], None);
    assert!(String::from_utf8_lossy(&help.stdout).contains("`keep` and `skip` both leave it as it is"));
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_KeepSkip0123456789abcdefghijklmn")));
    let file = h.file("in.env", "GH_TOKEN=ghp_incoming\n");
    let file = file.to_str().expect("utf8");
    let kept = h.json(&["import", file, "--on-conflict", "keep"]);
    assert_eq!((kept["kept"].as_u64(), kept["skipped"].as_u64()), (Some(1), Some(0)));
    let skipped = h.json(&["import", file, "--on-conflict", "skip"]);
    assert_eq!((skipped["kept"].as_u64(), skipped["skipped"].as_u64()), (Some(0), Some(1)));
    let value = h.run(&["secret", "reveal", "GH_TOKEN"], None);
    assert_eq!(String::from_utf8_lossy(&value.stdout).trim(), "ghp_KeepSkip0123456789abcdefghijklmn");
}

/// Ctrl-C at any moment of an import: it is either stopped with nothing
/// written (by its handler, with a message, or before the handler, by the
/// signal), or complete with its result printed; never imported in silence.
/// Unix only: SIGINT is sent with kill(1); Windows has no signal to send a
/// console process from a test (its Ctrl-C handler path is the same code).
#[cfg(unix)]
#[test]
fn ctrl_c_during_an_import_never_leaves_it_finished_in_silence() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let keys = 20_000;
    let text: String = (0..keys).map(|i| format!("CTRL_C_KEY_{i:05}=value-{i:05}\n")).collect();
    let mut outcomes = Vec::new();
    for delay_ms in [100, 400, 900, 1600, 2500, 4000] {
        let h = Home::with_profile();
        let file = h.file("big.env", &text);
        let child = h
            .cmd(&["import", file.to_str().expect("utf8")])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
        let out = child.wait_with_output().expect("wait");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        let stored = h.json(&["secret", "list", "--limit", "1"])["total"].as_u64();
        let outcome = match (out.status.code(), out.status.signal()) {
            (Some(0), _) => {
                assert!(
                    stdout.contains(&format!("Imported: {keys} added")),
                    "{delay_ms} ms: {stdout} {stderr}"
                );
                assert_eq!(stored, Some(keys as u64), "{delay_ms} ms");
                "complete"
            }
            (Some(2), _) => {
                assert!(
                    stderr.contains("interrupted (Ctrl-C) before anything was written"),
                    "{delay_ms}: {stderr}"
                );
                assert_eq!(stored, Some(0), "{delay_ms} ms: nothing written");
                "cancelled"
            }
            (None, Some(2)) => {
                assert_eq!(stored, Some(0), "{delay_ms} ms: killed before its handler, nothing written");
                "killed early"
            }
            other => panic!("{delay_ms} ms: unexpected end {other:?}: {stderr}"),
        };
        outcomes.push((delay_ms, outcome));
    }
    // The handler's path was taken at least once: the delays span the
    // import (a 20,000-key debug-build import takes seconds), and without
    // a handler Ctrl-C only ever kills.
    assert!(outcomes.iter().any(|(_, o)| *o == "cancelled"), "{outcomes:?}");
}

/// Defect 16: syntaxes python-dotenv reads that KeyClave skipped.
#[test]
fn python_dotenv_syntaxes_import_as_python_dotenv_reads_them() {
    let h = Home::with_profile();
    let file = h.file("py.env", "'QUOTED_KEY'=b\n export 'EXPORTED_QUOTED'=c\nESCAPED='b\\'c'\n");
    assert_ok(&h.run(&["import", file.to_str().unwrap()], None));
    for (key, value) in [("QUOTED_KEY", "b"), ("EXPORTED_QUOTED", "c"), ("ESCAPED", "b'c")] {
        let out = h.run(&["secret", "reveal", key], None);
        assert_ok(&out);
        assert_eq!(crate::util::stdout(&out), format!("{value}\n"), "{key}");
    }
}

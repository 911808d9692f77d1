//! Tests that run the built `keyclave` binary on temporary homes, as a
//! script or a person at a shell would.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

const PASS: &str = "correct horse battery staple";

struct Home {
    dir: TempDir,
}

impl Home {
    /// A home with one profile `Work`, created non-interactively with cheap
    /// KDF parameters.
    fn with_profile() -> Self {
        let h = Home { dir: tempfile::tempdir().expect("tempdir") };
        std::fs::write(h.pass_file(), format!("{PASS}\n")).expect("write pass file");
        let out =
            h.run(&["profile", "create", "Work", "--kdf-memory-kib", "256", "--kdf-iterations", "1"], None);
        assert_ok(&out);
        h
    }

    fn pass_file(&self) -> PathBuf {
        self.dir.path().join("pass.txt")
    }

    fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write");
        p
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
        c.arg("--home").arg(self.dir.path().join("data"));
        c.arg("--passphrase-file").arg(self.pass_file());
        c.args(args);
        c.env_remove("KEYCLAVE_HOME").env_remove("KEYCLAVE_PROFILE");
        c
    }

    /// Run with `stdin` as standard input (closed when `None`).
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_cmd(self.cmd(args), stdin)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a, None);
        assert_ok(&out);
        serde_json::from_slice(&out.stdout).expect("stdout is JSON")
    }

    /// Run with `--json`, expect failure; returns (exit code, error JSON).
    fn fails(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a, stdin);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "panic: {stderr}");
        let line = stderr.lines().last().expect("an error line");
        let err: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("error is JSON: {stderr}"));
        (out.status.code().expect("exit code"), err)
    }
}

fn run_cmd(mut c: Command, stdin: Option<&str>) -> Output {
    c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn keyclave");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn add_list_reveal_edit_rm_round_trip() {
    let h = Home::with_profile();
    let token = "ghp_CliRoundTrip0123456789abcdefghijklmn";
    let out = h
        .run(&["secret", "add", "GH_TOKEN", "--env", "dev", "--notes", "ci bot", "--tag", "ci"], Some(token));
    assert_ok(&out);
    let vf = h.file("openai.txt", "sk-proj-fromfile123\n");
    assert_ok(&h.run(&["secret", "add", "OPENAI_API_KEY", "--value-file", vf.to_str().expect("utf8")], None));

    let list = h.json(&["secret", "list"]);
    assert_eq!(list["total"], 2);
    assert_eq!(list["items"][0]["key_name"], "GH_TOKEN");
    assert_eq!(list["items"][0]["provider_id"], "github");
    assert_eq!(list["items"][0]["environment"], "dev");
    assert_eq!(list["items"][1]["provider_id"], "openai");
    assert!(!list.to_string().contains(token), "list never shows values");

    // Human list is masked too.
    let human = stdout(&h.run(&["secret", "list"], None));
    assert!(human.contains("GH_TOKEN") && !human.contains(token), "{human}");

    let reveal = h.run(&["secret", "reveal", "GH_TOKEN"], None);
    assert_ok(&reveal);
    assert_eq!(stdout(&reveal), format!("{token}\n"), "reveal prints the value alone");
    assert_eq!(
        stdout(&h.run(&["secret", "reveal", "OPENAI_API_KEY"], None)),
        "sk-proj-fromfile123\n",
        "one trailing newline dropped"
    );

    let searched = h.json(&["secret", "list", "--search", "BOT"]);
    assert_eq!(searched["total"], 1);

    assert_ok(&h.run(
        &["secret", "edit", "GH_TOKEN", "--value-stdin", "--env", "prod", "--tag", "deploy"],
        Some("ghp_new_value_0000"),
    ));
    assert_eq!(
        stdout(&h.run(&["secret", "reveal", "GH_TOKEN", "--provider", "github"], None)),
        "ghp_new_value_0000\n"
    );
    let list = h.json(&["secret", "list", "--env", "prod"]);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["tags"], serde_json::json!(["deploy"]));

    assert_ok(&h.run(&["secret", "rm", "GH_TOKEN"], None));
    assert_eq!(h.json(&["secret", "list"])["total"], 1);
    let (code, err) = h.fails(&["secret", "reveal", "GH_TOKEN"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.not_found")));

    let audit = h.json(&["audit", "--limit", "200"]);
    let types: Vec<&str> =
        audit.as_array().expect("array").iter().filter_map(|e| e["event_type"].as_str()).collect();
    for t in [
        "profile.create",
        "secret.add",
        "secret.reveal",
        "secret.edit",
        "secret.delete",
        "vault.unlock",
        "vault.lock",
    ] {
        assert!(types.contains(&t), "missing {t} in {types:?}");
    }
    assert!(!audit.to_string().contains(token));
}

#[test]
fn passphrase_and_value_can_both_come_from_stdin() {
    let h = Home::with_profile();
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).args(["secret", "add", "STRIPE_SECRET_KEY"]);
    assert_ok(&run_cmd(c, Some(&format!("{PASS}\nsk_test_fromstdin\n"))));
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).args(["secret", "reveal", "STRIPE_SECRET_KEY"]);
    let out = run_cmd(c, Some(&format!("{PASS}\n")));
    assert_eq!(stdout(&out), "sk_test_fromstdin\n");
}

#[test]
fn bad_input_gets_the_right_code_and_no_panic() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_first")));

    let (code, err) = h.fails(&["secret", "add", "GH_TOKEN"], Some("ghp_second"));
    assert_eq!((code, err["code"].as_str()), (2, Some("import.conflict")));
    assert!(err["suggestion"].as_str().is_some_and(|s| !s.is_empty()));

    let (code, err) = h.fails(&["secret", "add", "9-BAD"], Some("x"));
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.invalid_key_name")));

    let (code, err) = h.fails(&["secret", "add", "EMPTY_ONE"], Some(""));
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.empty_value")));

    let (code, err) = h.fails(&["--profile", "Nobody", "secret", "list"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("profile.not_found")));

    let (code, err) = h.fails(&["secret", "add", "X_KEY", "--provider", "nope"], Some("v"));
    assert_eq!((code, err["code"].as_str()), (2, Some("provider.not_found")));

    let (code, err) = h.fails(&["secret", "list", "--env", "qa"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));

    let (code, err) = h.fails(&["profile", "create", "work"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("profile.already_exists")));

    // Wrong passphrase: structured error, and human output names the code.
    let bad = h.file("bad.txt", "not the passphrase\n");
    let mut c = h.cmd(&["secret", "list"]);
    c.arg("--passphrase-file").arg(&bad);
    let out = run_cmd(c, None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with("error[vault.wrong_passphrase]:"), "{stderr}");
    assert!(stderr.contains("hint:"), "{stderr}");
    assert!(!stderr.contains("not the passphrase"));
}

#[test]
fn corrupted_vault_is_reported_not_a_panic() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_x")));
    let profiles = h.dir.path().join("data/profiles");
    let dir = std::fs::read_dir(&profiles).expect("profiles").next().expect("one").expect("entry").path();
    let vault = dir.join("vault.db");
    let mut bytes = std::fs::read(&vault).expect("read");
    for b in bytes.iter_mut().take(4096) {
        *b ^= 0x5a;
    }
    std::fs::write(&vault, bytes).expect("write");
    let (code, err) = h.fails(&["secret", "list"], None);
    assert_eq!(err["code"], "vault.corruption");
    assert_eq!(code, 1, "corruption is not a user error");
}

#[test]
fn profile_lifecycle_from_the_cli() {
    let h = Home::with_profile();
    let listed = h.json(&["profile", "list"]);
    assert_eq!(listed[0]["display_name"], "Work");
    assert_ok(&h.run(&["profile", "rename", "Work", "Clients"], None));
    assert_eq!(h.json(&["profile", "list"])[0]["display_name"], "Clients");

    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_before_rotation")));
    let rotated = h.json(&["profile", "rotate-key"]);
    assert_eq!(rotated["rotation_version"], 2);
    assert_eq!(stdout(&h.run(&["secret", "reveal", "GH_TOKEN"], None)), "ghp_before_rotation\n");

    let kdf = h.json(&["profile", "kdf", "--kdf-memory-kib", "512", "--kdf-iterations", "2"]);
    assert_eq!(kdf["current"]["m_kib"], 512);

    let newp = h.file("new.txt", "a new long passphrase\n");
    assert_ok(&h.run(&["profile", "passwd", "--new-passphrase-file", newp.to_str().expect("utf8")], None));
    let (_, err) = h.fails(&["secret", "list"], None);
    assert_eq!(err["code"], "vault.wrong_passphrase");
    std::fs::copy(&newp, h.pass_file()).expect("swap pass file");
    assert_eq!(h.json(&["secret", "list"])["total"], 1);

    assert_ok(&h.run(&["profile", "delete", "Clients"], None));
    assert_eq!(h.json(&["profile", "list"]), serde_json::json!([]));
    let left: Vec<_> = std::fs::read_dir(h.dir.path().join("data/profiles")).expect("dir").collect();
    assert!(left.is_empty(), "the profile folder is gone");
}

#[test]
fn providers_lists_the_registry() {
    let h = Home { dir: tempfile::tempdir().expect("tempdir") };
    std::fs::write(h.pass_file(), PASS).expect("pass");
    let v = h.json(&["providers"]);
    let ids: Vec<&str> = v.as_array().expect("array").iter().filter_map(|p| p["id"].as_str()).collect();
    for id in ["generic", "github", "openai", "anthropic", "stripe", "aws"] {
        assert!(ids.contains(&id), "{id}");
    }
}

// --- bundles ------------------------------------------------------------------

const BUNDLE_PASS: &str = "a bundle password";
/// Cheap bundle KDF: the format is tested here, not Argon2's cost.
const BUNDLE_KDF: &[&str] = &["--bundle-kdf-memory-kib", "8", "--bundle-kdf-iterations", "1"];

impl Home {
    fn bundle_pass_file(&self) -> PathBuf {
        self.file("bundle-pass.txt", &format!("{BUNDLE_PASS}\n"))
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().expect("utf8").to_owned()
    }

    /// A second profile `Home` with the same passphrase.
    fn add_profile(&self, name: &str) {
        assert_ok(
            &self.run(&["profile", "create", name, "--kdf-memory-kib", "256", "--kdf-iterations", "1"], None),
        );
    }
}

fn export_args<'a>(out: &'a str, bp: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["bundle", "export", out, "--bundle-passphrase-file", bp];
    a.extend_from_slice(BUNDLE_KDF);
    a.extend_from_slice(extra);
    a
}

#[test]
fn bundle_export_inspect_import_into_a_second_profile() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_cliBundle0123456789abcdefghij")));
    assert_ok(&h.run(&["secret", "add", "OPENAI_API_KEY"], Some("sk-proj-cliBundle-0123456789")));
    h.add_profile("Home");
    let out = h.path("work.kcbundle");
    let bp = h.bundle_pass_file();
    let bp = bp.to_str().expect("utf8");

    let mut args = vec!["--profile", "Work"];
    args.extend(export_args(&out, bp, &["--key", "GH_TOKEN", "--key", "OPENAI_API_KEY"]));
    let summary = h.json(&args);
    assert_eq!(summary["count"], 2);
    let bytes = std::fs::read(&out).expect("bundle written");
    assert!(!String::from_utf8_lossy(&bytes).contains("ghp_cliBundle"), "no value in clear");

    // Inspect: no profile, no password.
    let header = h.json(&["bundle", "inspect", &out]);
    assert_eq!(header["header"]["count"], 2);
    assert_eq!(header["header"]["bundle_id"], summary["header"]["bundle_id"]);
    assert_eq!(header["expired"], false);
    let human = stdout(&h.run(&["bundle", "inspect", &out], None));
    assert!(human.contains("secrets:  2") && human.contains("expires:  never"), "{human}");

    // Preview, then import into the second profile.
    let preview =
        h.json(&["--profile", "Home", "bundle", "import", &out, "--bundle-passphrase-file", bp, "--preview"]);
    assert_eq!(preview["entries"].as_array().expect("entries").len(), 2);
    assert_eq!(h.json(&["--profile", "Home", "secret", "list"])["total"], 0, "preview writes nothing");
    let counts = h.json(&["--profile", "Home", "bundle", "import", &out, "--bundle-passphrase-file", bp]);
    assert_eq!(counts["added"], 2);
    assert_eq!(
        stdout(&h.run(&["--profile", "Home", "secret", "reveal", "GH_TOKEN"], None)),
        "ghp_cliBundle0123456789abcdefghij\n"
    );
    let list = h.json(&["--profile", "Home", "secret", "list"]);
    assert_eq!(list["items"][0]["source_type"], "export_bundle_import");

    // Again: every key conflicts; without a decision nothing is written.
    let (code, err) =
        h.fails(&["--profile", "Home", "bundle", "import", &out, "--bundle-passphrase-file", bp], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("import.conflict")));
    assert!(err["suggestion"].as_str().is_some_and(|s| s.contains("--on-conflict")), "{err}");
    let counts = h.json(&[
        "--profile",
        "Home",
        "bundle",
        "import",
        &out,
        "--bundle-passphrase-file",
        bp,
        "--on-conflict",
        "skip",
    ]);
    assert_eq!((counts["added"].as_u64(), counts["skipped"].as_u64()), (Some(0), Some(2)));

    // The bundle password may come from stdin after the vault passphrase.
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).args([
        "--profile",
        "Home",
        "--json",
        "bundle",
        "import",
        &out,
    ]);
    c.args(["--on-conflict", "replace"]);
    let o = run_cmd(c, Some(&format!("{PASS}\n{BUNDLE_PASS}\n")));
    assert_ok(&o);
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).expect("json")["replaced"], 2);

    let audit = h.json(&["--profile", "Work", "audit", "--type", "bundle.export"]);
    assert_eq!(audit[0]["metadata"]["count"], 2);
    assert!(!audit.to_string().contains("work.kcbundle"), "no path in the audit log");
}

#[test]
fn bundle_errors_have_distinct_codes() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_cliErrors0123456789abcdef")));
    let out = h.path("e.kcbundle");
    let bp = h.bundle_pass_file();
    let bp = bp.to_str().expect("utf8");
    assert_ok(&h.run(&export_args(&out, bp, &[]), None));
    let good = std::fs::read(&out).expect("read");

    // Exists already: no silent overwrite; --force replaces it.
    let (code, err) = h.fails(&export_args(&out, bp, &[]), None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert_ok(&h.run(&export_args(&out, bp, &["--force"]), None));
    let good2 = std::fs::read(&out).expect("read");
    assert_ne!(good, good2);
    let good = good2;

    let bad_expiry = h.fails(&export_args(&h.path("x.kcbundle"), bp, &["--expires", "next tuesday"]), None);
    assert_eq!(bad_expiry.1["code"], "input.invalid");

    let write = |name: &str, bytes: &[u8]| {
        let p = h.path(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let import = |file: &str| h.fails(&["bundle", "import", file, "--bundle-passphrase-file", bp], None);

    let not = write("notes.txt", b"GH_TOKEN=ghp_x\n");
    assert_eq!(h.fails(&["bundle", "inspect", &not], None).1["code"], "import.not_a_bundle");
    assert_eq!(import(&not).1["code"], "import.not_a_bundle");

    let mut future = good.clone();
    future[4..6].copy_from_slice(&2u16.to_be_bytes());
    let future = write("future.kcbundle", &future);
    assert_eq!(h.fails(&["bundle", "inspect", &future], None).1["code"], "import.bundle_unsupported_version");
    assert_eq!(import(&future).1["code"], "import.bundle_unsupported_version");

    let truncated = write("truncated.kcbundle", &good[..good.len() - 5]);
    assert_eq!(h.fails(&["bundle", "inspect", &truncated], None).1["code"], "import.bundle_malformed");
    assert_eq!(import(&truncated).1["code"], "import.bundle_malformed");

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let flipped = write("flipped.kcbundle", &flipped);
    let (code, err) = import(&flipped);
    assert_eq!((code, err["code"].as_str()), (2, Some("import.bundle_wrong_password_or_tampered")));

    let wrong = h.file("wrong.txt", "not the bundle password\n");
    let (_, err) =
        h.fails(&["bundle", "import", &out, "--bundle-passphrase-file", wrong.to_str().expect("utf8")], None);
    assert_eq!(err["code"], "import.bundle_wrong_password_or_tampered");

    // An expiry in the past (set by editing the header: expiry is checked
    // before authentication, so the edit shows as "expired").
    let hl = u32::from_be_bytes(good[6..10].try_into().expect("4 bytes")) as usize;
    let mut header: Value = serde_json::from_slice(&good[10..10 + hl]).expect("header");
    header["expires_at"] = "2001-01-01T00:00:00.000Z".into();
    let hj = serde_json::to_vec(&header).expect("json");
    let mut expired = good[..6].to_vec();
    expired.extend_from_slice(&(hj.len() as u32).to_be_bytes());
    expired.extend_from_slice(&hj);
    expired.extend_from_slice(&good[10 + hl..]);
    let expired = write("expired.kcbundle", &expired);
    assert_eq!(h.json(&["bundle", "inspect", &expired])["expired"], true);
    assert_eq!(import(&expired).1["code"], "import.bundle_expired");

    let (_, err) =
        h.fails(&["bundle", "import", &out, "--bundle-passphrase-file", bp, "--on-conflict", "merge"], None);
    assert_eq!(err["code"], "input.invalid");
    // Nothing was imported by any of the failures.
    assert_eq!(h.json(&["secret", "list"])["total"], 1);
}

// --- TOTP ---------------------------------------------------------------------

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

/// Now, with at least 15 s left in the current 30 s step.
fn settled_now() -> u64 {
    loop {
        let now = unix_now();
        if 30 - now % 30 >= 15 {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

#[test]
fn totp_enroll_confirm_guard_export_and_disable() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_cliTotp0123456789abcdef")));
    assert_eq!(h.json(&["totp", "status"])["enabled"], false);
    let qr = h.path("qr.svg");
    let e = h.json(&["totp", "enroll", "--qr-svg", &qr]);
    let b32 = e["secret_base32"].as_str().expect("secret").to_owned();
    assert!(e["otpauth_uri"].as_str().expect("uri").starts_with("otpauth://totp/KeyClave:Work?secret="));
    assert!(std::fs::read_to_string(&qr).expect("svg").contains("<svg"));
    let secret = keyclave_core::totp::secret_from_base32(&b32).expect("base32");
    let now = settled_now();
    let code = |t: u64| keyclave_core::totp::code_at(&secret, t);

    let wrong = format!("{:06}", (code(now).parse::<u32>().expect("digits") + 1) % 1_000_000);
    let (code_exit, err) = h.fails(&["totp", "confirm", &wrong], None);
    assert_eq!((code_exit, err["code"].as_str()), (2, Some("totp.invalid")));
    let confirmed = h.json(&["totp", "confirm", &code(now - 30)]);
    let recovery: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .expect("codes")
        .iter()
        .map(|c| c.as_str().expect("str").to_owned())
        .collect();
    assert_eq!(recovery.len(), 8);
    assert!(recovery.iter().all(|c| c.len() == 9 && &c[4..5] == "-"));
    assert_eq!(h.json(&["profile", "list"])[0]["totp_enabled"], true);

    let out = h.path("t.kcbundle");
    let bp = h.bundle_pass_file();
    let bp = bp.to_str().expect("utf8");
    let (c, err) = h.fails(&export_args(&out, bp, &[]), None);
    assert_eq!((c, err["code"].as_str()), (2, Some("totp.required")));
    let now_code = code(now);
    assert_ok(&h.run(&export_args(&out, bp, &["--totp", &now_code]), None));
    let (_, err) = h.fails(&export_args(&out, bp, &["--force", "--totp", &now_code]), None);
    assert_eq!(err["code"], "totp.invalid", "a code works once");

    // Reveal is not guarded until the policy says so.
    assert_ok(&h.run(&["secret", "reveal", "GH_TOKEN"], None));
    assert_ok(&h.run(&["totp", "policy", "--reveal", "on", "--code", &recovery[0]], None));
    assert_eq!(h.fails(&["secret", "reveal", "GH_TOKEN"], None).1["code"], "totp.required");
    assert_ok(&h.run(&["secret", "reveal", "GH_TOKEN", "--totp", &code(now + 30)], None));

    let status = h.json(&["totp", "status"]);
    assert_eq!(status["recovery_codes_remaining"], 7);
    assert_eq!(status["policy"]["required_for_reveal"], true);

    assert_eq!(h.fails(&["totp", "disable", "--code", &recovery[0]], None).1["code"], "totp.invalid");
    assert_ok(&h.run(&["totp", "disable", "--code", &recovery[1]], None));
    assert_eq!(h.json(&["totp", "status"])["enabled"], false);
    assert_eq!(h.json(&["profile", "list"])[0]["totp_enabled"], false);
    let audit = h.json(&["audit", "--limit", "200"]).to_string();
    assert!(!audit.contains(&b32) && !recovery.iter().any(|c| audit.contains(c.as_str())));
}

const ENV_GH: &str = "ghp_zqxCLIenvGithubValue01";
const ENV_OAI: &str = "sk-zqxCLIenvOpenaiValue02";

/// A home whose vault holds a GitHub and an OpenAI key, and a project
/// folder with a `.env`.
fn home_with_keys(dotenv: &str) -> (Home, PathBuf) {
    let h = Home::with_profile();
    for (name, value) in [("GITHUB_TOKEN", ENV_GH), ("OPENAI_API_KEY", ENV_OAI)] {
        assert_ok(&h.run(&["secret", "add", name], Some(value)));
    }
    let project = h.dir.path().join("project");
    std::fs::create_dir(&project).expect("mkdir");
    std::fs::write(project.join(".env"), dotenv).expect("write .env");
    (h, project)
}

#[test]
fn env_diff_masks_values_and_write_patches_with_a_backup() {
    let (h, project) = home_with_keys("# app\nGITHUB_TOKEN=stale\nPORT=8080\n");
    let dir = project.to_str().expect("utf-8 path");

    let diff = h.run(&["env", "diff", dir, "--key", "GITHUB_TOKEN", "--key", "OPENAI_API_KEY"], None);
    assert_ok(&diff);
    let text = stdout(&diff);
    assert!(text.contains("+OPENAI_API_KEY=") && text.contains("1 added"), "{text}");
    assert!(!text.contains(ENV_GH) && !text.contains(ENV_OAI) && !text.contains("stale"), "{text}");
    assert_eq!(
        std::fs::read_to_string(project.join(".env")).expect("read"),
        "# app\nGITHUB_TOKEN=stale\nPORT=8080\n"
    );

    let plan = h.json(&["env", "diff", dir, "--on-conflict", "overwrite"]);
    assert_eq!(plan["counts"]["updated"], 1, "{plan}");
    assert_eq!(plan["changes"][0]["key"], "GITHUB_TOKEN");

    let out = h.run(
        &[
            "env",
            "write",
            dir,
            "--on-conflict",
            "overwrite",
            "--key",
            "GITHUB_TOKEN",
            "--key",
            "OPENAI_API_KEY",
        ],
        None,
    );
    assert_ok(&out);
    assert!(!stdout(&out).contains(ENV_GH));
    let written = std::fs::read_to_string(project.join(".env")).expect("read");
    assert!(written.starts_with(&format!("# app\nGITHUB_TOKEN={ENV_GH}\nPORT=8080\n")), "{written}");
    assert!(written.contains(&format!("OPENAI_API_KEY={ENV_OAI}\n")));

    let backups = h.json(&["env", "backups", dir]);
    let backup = backups[0].as_str().expect("a backup path");
    let name = std::path::Path::new(backup).file_name().expect("name").to_str().expect("utf-8");
    assert_ok(&h.run(&["env", "restore", dir, name], None));
    assert_eq!(
        std::fs::read_to_string(project.join(".env")).expect("read"),
        "# app\nGITHUB_TOKEN=stale\nPORT=8080\n"
    );
}

#[test]
fn env_generate_creates_a_file_and_refuses_an_existing_one() {
    let (h, project) = home_with_keys("X=1\n");
    let dir = project.to_str().expect("utf-8 path");
    assert_ok(&h.run(&["env", "generate", dir, "--file", ".env.local", "--key", "OPENAI_API_KEY"], None));
    let text = std::fs::read_to_string(project.join(".env.local")).expect("read");
    assert!(text.starts_with('#') && text.contains(&format!("OPENAI_API_KEY={ENV_OAI}")), "{text}");
    let (code, err) = h.fails(&["env", "generate", dir, "--key", "OPENAI_API_KEY"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("dotenv.already_exists")));
    let (code, err) = h.fails(&["env", "write", dir, "--key", "NOT_IN_VAULT"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("secret.not_found")));
}

// Unix only: the children are `sh -c` scripts and a signal exit (128 + SIGTERM).
#[cfg(unix)]
#[test]
fn run_injects_keys_writes_nothing_and_passes_the_exit_code_through() {
    let (h, project) = home_with_keys("OPENAI_API_KEY=\n");
    let dir = project.to_str().expect("utf-8 path");
    let before: Vec<_> =
        std::fs::read_dir(&project).expect("ls").map(|e| e.expect("entry").file_name()).collect();

    let script = "test \"$GITHUB_TOKEN\" = \"$EXPECT\" && exit 7";
    let mut c = h.cmd(&["run", "--key", "GITHUB_TOKEN", "--", "sh", "-c", script]);
    c.env("EXPECT", ENV_GH);
    let out = run_cmd(c, None);
    assert_eq!(out.status.code(), Some(7), "{}", String::from_utf8_lossy(&out.stderr));

    // Without --key: the keys the project's .env names.
    let out = h.run(
        &["run", "--project", dir, "--", "sh", "-c", "printf %s \"$OPENAI_API_KEY|$GITHUB_TOKEN\""],
        None,
    );
    assert_ok(&out);
    assert_eq!(stdout(&out), format!("{ENV_OAI}|"));

    let after: Vec<_> =
        std::fs::read_dir(&project).expect("ls").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(before, after, "run writes no file");

    let (code, err) = h.fails(&["run", "--key", "GITHUB_TOKEN", "--", "/nonexistent/zqx-cmd"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    let out = h.run(&["run", "--key", "GITHUB_TOKEN", "--", "sh", "-c", "kill -TERM $$"], None);
    assert_eq!(out.status.code(), Some(128 + 15));
}

// --- import -------------------------------------------------------------------

fn sha256_hex(s: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(s.as_bytes()))
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
fn import_dry_run_json_lists_entries_with_value_hashes_and_writes_nothing() {
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
        assert_eq!(e["value_sha256"], sha256_hex(value), "{key} was read as {value:?}");
    }
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
    assert_eq!(dry["entries"][2]["value_sha256"], sha256_hex("8080"), "a number as its JSON text");

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

// --- scan and projects --------------------------------------------------------

/// A home with GitHub and OpenAI keys, and a project whose README needs both
/// (OpenAI in a fenced block, GitHub inline) and describes a capability.
fn scanned_project() -> (Home, PathBuf) {
    let (h, project) = home_with_keys("PORT=8080\n");
    std::fs::write(
        project.join("README.md"),
        "# App\n\nUses the OpenAI API.\n\n```sh\nexport OPENAI_API_KEY=sk-zqxDOCvalue000000000000001\n```\n\
         Releases need `GITHUB_TOKEN`.\nWe send transactional email.\n",
    )
    .expect("write README");
    (h, project)
}

fn requirement_id(report: &Value, provider: &str) -> String {
    let reqs = report["requirements"].as_array().expect("requirements");
    let r = reqs.iter().find(|r| r["provider_id"] == provider).expect("requirement");
    r["id"].as_str().expect("id").to_owned()
}

#[test]
fn scan_reports_requirements_and_decisions_stick() {
    let (h, project) = scanned_project();
    let dir = project.to_str().expect("utf-8 path");

    let human = h.run(&["scan", dir], None);
    assert_ok(&human);
    let text = stdout(&human);
    assert!(text.contains("OpenAI (openai) confidence 1.00"), "{text}");
    assert!(text.contains("README.md:5-7:"), "the fenced block is cited: {text}");
    assert!(text.contains("Transactional email: Postmark"), "{text}");
    assert!(!text.contains("zqxDOCvalue"), "{text}");

    let report = h.json(&["scan", dir]);
    assert_eq!(report["progress"]["files_unchanged"], 1, "{report}");
    let reqs = report["requirements"].as_array().expect("requirements");
    let github = reqs.iter().find(|r| r["provider_id"] == "github").expect("github");
    assert_eq!(github["env_vars"][0]["state"], "in_vault");
    assert_eq!(github["citations"][0]["line_start"], 8);

    let id = requirement_id(&report, "github");
    assert_ok(&h.run(&["requirement", "reject", &id], None));
    let shown = h.json(&["project", "show", dir]);
    let rejected = shown["requirements"]
        .as_array()
        .expect("reqs")
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("kept");
    assert_eq!(rejected["user_status"], "rejected");
    let listed = h.json(&["project", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    // env write without --key writes what the project needs.
    assert_ok(&h.run(&["env", "write", dir], None));
    let written = std::fs::read_to_string(project.join(".env")).expect("read");
    assert!(
        written.starts_with("PORT=8080\n") && written.contains(&format!("OPENAI_API_KEY={ENV_OAI}")),
        "{written}"
    );
    assert!(!written.contains("GITHUB_TOKEN"), "rejected: {written}");

    let (code, err) = h.fails(&["requirement", "accept", "no-such-id"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("requirement.not_found")));
    let (code, err) = h.fails(&["scan", &format!("{dir}/missing")], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("project.invalid_root")));
    let (code, err) = h.fails(&["project", "show", "nope"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("project.not_found")));

    assert_ok(&h.run(&["project", "rm", dir], None));
    assert_eq!(h.json(&["project", "list"]).as_array().map(Vec::len), Some(0));
    assert!(project.join("README.md").exists());
}

// Unix only: the child is `sh -c` printing its environment. Windows has no
// `sh`; the selection itself is covered on every OS by the core test
// `a_scanned_project_selects_its_keys_for_dotenv_and_run_and_records_the_target`.
#[cfg(unix)]
#[test]
fn run_project_gets_what_the_scan_says_it_needs() {
    let (h, project) = scanned_project();
    let dir = project.to_str().expect("utf-8 path");
    let report = h.json(&["scan", dir]);

    let show = "printf %s \"$OPENAI_API_KEY|$GITHUB_TOKEN\"";
    let out = h.run(&["run", "--project", dir, "--", "sh", "-c", show], None);
    assert_ok(&out);
    assert_eq!(stdout(&out), format!("{ENV_OAI}|{ENV_GH}"));
    assert_ok(&h.run(&["requirement", "reject", &requirement_id(&report, "github")], None));
    let out = h.run(&["run", "--project", dir, "--", "sh", "-c", show], None);
    assert_eq!(stdout(&out), format!("{ENV_OAI}|"), "a rejected requirement is not injected");
}

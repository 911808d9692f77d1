//! Real crashes: the built `keyclave` binary is started on an operation and
//! sent SIGKILL at a seeded random moment, spread over the whole operation;
//! then the promises of the security spec (rules 2–4) are checked on what is
//! left: the profile unlocks with the old or the new passphrase, every
//! secret reads back with exactly its old or its new value and the count is
//! the old or the new one, a `.env` is byte-identical to the old or the new
//! text with its backup, no plaintext is left in the data folder, and
//! SQLite's and SQLCipher's integrity checks pass (`profile check`).
//!
//! Kills per operation: `KEYCLAVE_CRASH_KILLS` (25 by default, the short
//! mode `make test` runs; `make crash` runs the long mode). The seed is
//! `KEYCLAVE_CRASH_SEED` (printed, so a failure can be replayed).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

/// Every value planted by these tests contains this, so a plaintext leak
/// is a byte search.
const MARK: &str = "zqxcrash";
const NEW_PASS: &str = "a new passphrase after the crash test";

fn kills() -> usize {
    std::env::var("KEYCLAVE_CRASH_KILLS").ok().and_then(|v| v.parse().ok()).unwrap_or(25)
}

fn seed(op: &str) -> u64 {
    let base = std::env::var("KEYCLAVE_CRASH_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20261206);
    // One stream per operation, so that adding one does not move the others.
    op.bytes().fold(base, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
}

fn value(i: usize, generation: &str) -> String {
    format!("{MARK}-{generation}-{i:05}-7f3a9c1e5b")
}

fn key(i: usize) -> String {
    format!("CRASH_{i:05}")
}

/// A copy of a prepared home, so each kill starts from the same state.
fn copy_home(template: &Home) -> Home {
    let h = Home { dir: tempfile::tempdir().expect("tempdir") };
    copy_dir(template.dir.path(), h.dir.path());
    h
}

fn spawn(h: &Home, args: &[&str]) -> Child {
    h.cmd(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn keyclave")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// An operation's arguments, for a copy of its template home.
type ArgsFor = Box<dyn Fn(&Home) -> Vec<String>>;

/// One operation under test.
struct Operation {
    name: &'static str,
    /// The prepared state each kill starts from.
    template: Home,
    /// Its arguments, for a copy of the template (paths inside it).
    args: ArgsFor,
}

/// What the kills did.
#[derive(Default)]
struct Tally {
    killed_mid_run: usize,
    finished_first: usize,
}

impl Operation {
    /// Run it to the end once on a copy: how long it takes, and the copy.
    fn reference(&self) -> (Duration, Home) {
        let h = copy_home(&self.template);
        let args = (self.args)(&h);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let start = Instant::now();
        let status = spawn(&h, &args).wait().expect("wait");
        let took = start.elapsed();
        assert!(status.success(), "{} fails without a kill", self.name);
        (took, h)
    }

    /// Kill it `kills()` times at moments spread over [0, 1.2 × its
    /// duration] (stratified: one random moment per slice), calling
    /// `check` on each copy after the kill.
    fn kill_repeatedly(&self, check: impl Fn(&Home)) -> Tally {
        let (took, _) = self.reference();
        let n = kills();
        let seed = seed(self.name);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut tally = Tally::default();
        for i in 0..n {
            let h = copy_home(&self.template);
            let args = (self.args)(&h);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let slice = took.mul_f64(1.2 / n as f64);
            let at = slice.mul_f64(i as f64 + rng.gen_range(0.0..1.0));
            let mut child = spawn(&h, &args);
            std::thread::sleep(at);
            if child.try_wait().expect("try_wait").is_some() {
                tally.finished_first += 1;
            } else {
                child.kill().expect("SIGKILL");
                tally.killed_mid_run += 1;
            }
            child.wait().expect("reap");
            check(&h);
        }
        eprintln!(
            "crash[{}]: {} kills (seed {seed}), {} mid-run, {} after it finished; operation took {} ms",
            self.name,
            n,
            tally.killed_mid_run,
            tally.finished_first,
            took.as_millis()
        );
        tally
    }
}

/// The checks every kill ends with: both databases sound, and no planted
/// value anywhere in the data folder in plaintext.
fn assert_sound(h: &Home) {
    let out = h.run(&["--json", "profile", "check"], None);
    assert_ok(&out);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!((report["vault"]["ok"].as_bool(), report["index"]["ok"].as_bool()), (Some(true), Some(true)));
    assert_no_plaintext(&h.dir.path().join("data"), MARK);
}

fn secrets_map(range: std::ops::Range<usize>, generation: &str) -> BTreeMap<String, String> {
    range.map(|i| (key(i), value(i, generation))).collect()
}

/// A home whose profile holds `n` secrets of generation `old`.
fn home_with_secrets(n: usize) -> Home {
    let h = Home::with_profile();
    if n > 0 {
        let text: String = (0..n).map(|i| format!("{}={}\n", key(i), value(i, "old"))).collect();
        let f = h.file("seed.env", &text);
        assert_ok(&h.run(&["import", f.to_str().expect("utf8")], None));
        std::fs::remove_file(f).expect("rm seed");
    }
    h
}

#[test]
fn import_of_10000_lines_lands_whole_or_not_at_all() {
    let template = home_with_secrets(100);
    let text: String = (0..10_000).map(|i| format!("{}={}\n", key(i), value(i, "new"))).collect();
    template.file("import.env", &text);
    let op = Operation {
        name: "import",
        template,
        args: Box::new(|h| strings(&["import", &h.path("import.env"), "--on-conflict", "replace"])),
    };
    let old = secrets_map(0..100, "old");
    let new = secrets_map(0..10_000, "new");
    let (_, done) = op.reference();
    assert!(all_values(&done) == new, "the reference import stores every line");
    // The harness itself: some kills must land before the commit, or the
    // moments are wrong and nothing is tested.
    let before_commit = std::cell::Cell::new(0);
    op.kill_repeatedly(|h| {
        let now = all_values(h);
        assert!(
            now == old || now == new,
            "{} secrets after the kill: neither the old set nor the new",
            now.len()
        );
        if now == old {
            before_commit.set(before_commit.get() + 1);
        }
        std::fs::remove_file(h.dir.path().join("import.env")).expect("rm source");
        assert_sound(h);
    });
    assert!(before_commit.get() > 0, "no kill landed before the import committed");
}

#[test]
fn env_write_of_a_10000_line_file_leaves_the_old_or_the_new_text() {
    let template = home_with_secrets(50);
    let project = template.dir.path().join("project");
    std::fs::create_dir(&project).expect("mkdir");
    let mut old_text = String::new();
    for i in 0..10_000 {
        // The file names the 50 vault keys with other values, among 10,000 lines.
        if i % 200 == 0 {
            old_text.push_str(&format!("{}=file-value-{i}\n", key(i / 200)));
        } else {
            old_text.push_str(&format!("SETTING_{i:05}=plain-{i}\n"));
        }
    }
    std::fs::write(project.join(".env"), &old_text).expect("write .env");
    let op = Operation {
        name: "env write",
        template,
        args: Box::new(|h| strings(&["env", "write", &h.path("project"), "--on-conflict", "overwrite"])),
    };
    let (_, done) = op.reference();
    let new_text = std::fs::read_to_string(done.dir.path().join("project/.env")).expect("read");
    assert_ne!(new_text, old_text);
    assert!(new_text.contains(&format!("{}={}", key(49), value(49, "old"))));
    assert_eq!(new_text.lines().count(), 10_000);
    op.kill_repeatedly(|h| {
        let dir = h.dir.path().join("project");
        let now = std::fs::read_to_string(dir.join(".env")).expect("the .env is still there");
        assert!(now == old_text || now == new_text, "the .env is torn ({} lines)", now.lines().count());
        let backups = backups_in(&dir);
        if now == new_text {
            assert!(backups.contains(&old_text), "new text but no backup of the old");
        }
        assert!(backups.iter().all(|b| *b == old_text), "a backup is torn");
        assert_sound(h);
        // Whatever temp file the kill left is removed by the next write.
        assert_ok(&h.run(&["env", "write", dir.to_str().expect("utf8"), "--on-conflict", "overwrite"], None));
        assert_eq!(std::fs::read_to_string(dir.join(".env")).expect("read"), new_text);
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".keyclave-tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "temp files left after the next write: {leftovers:?}");
    });
}

fn backups_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().contains(".keyclave-backup-")))
        .map(|p| std::fs::read_to_string(p).expect("read backup"))
        .collect()
}

#[test]
fn rotate_key_with_5000_secrets_keeps_every_value() {
    let op = Operation {
        name: "rotate-key",
        template: home_with_secrets(5_000),
        args: Box::new(|_| strings(&["profile", "rotate-key"])),
    };
    let all = secrets_map(0..5_000, "old");
    op.kill_repeatedly(|h| {
        assert!(all_values(h) == all, "a value changed or went missing in a killed rotation");
        assert_sound(h);
    });
}

#[test]
fn passwd_leaves_the_old_or_the_new_passphrase_working() {
    let template = home_with_secrets(200);
    template.file("new-pass.txt", &format!("{NEW_PASS}\n"));
    let op = Operation {
        name: "passwd",
        template,
        args: Box::new(|h| strings(&["profile", "passwd", "--new-passphrase-file", &h.path("new-pass.txt")])),
    };
    let all = secrets_map(0..200, "old");
    let (_, done) = op.reference();
    done.file("pass.txt", &format!("{NEW_PASS}\n"));
    assert_ok(&done.run(&["secret", "list"], None));
    op.kill_repeatedly(|h| {
        let old_works = h.run(&["secret", "list"], None).status.success();
        if !old_works {
            h.file("pass.txt", &format!("{NEW_PASS}\n"));
            assert_ok(&h.run(&["secret", "list"], None));
        }
        assert!(all_values(h) == all);
        assert_sound(h);
    });
}

#[test]
fn bundle_export_leaves_a_whole_bundle_or_none() {
    let template = home_with_secrets(2_000);
    template.file("bundle-pass.txt", &format!("{BUNDLE_PASS}\n"));
    let args = |h: &Home| {
        let mut a = strings(&[
            "bundle",
            "export",
            &h.path("out.kcbundle"),
            "--bundle-passphrase-file",
            &h.path("bundle-pass.txt"),
        ]);
        a.extend(strings(BUNDLE_KDF));
        a
    };
    let op = Operation { name: "bundle export", template, args: Box::new(args) };
    let all = secrets_map(0..2_000, "old");
    op.kill_repeatedly(|h| {
        let out = h.dir.path().join("out.kcbundle");
        let left: Vec<PathBuf> = std::fs::read_dir(h.dir.path())
            .expect("read dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("out.kcbundle")))
            .collect();
        if out.exists() {
            // Whole: it imports every secret into another profile.
            h.add_profile("Check");
            let bp = h.path("bundle-pass.txt");
            let r = h.json(&[
                "--profile",
                "Check",
                "bundle",
                "import",
                out.to_str().expect("utf8"),
                "--bundle-passphrase-file",
                &bp,
            ]);
            assert_eq!(r["added"], 2_000, "{r}");
        }
        assert!(left.len() <= 1 && left.iter().all(|p| *p == out), "temp files beside the bundle: {left:?}");
        assert_no_plaintext(h.dir.path(), MARK);
        let work = h.json(&["--profile", "Work", "secret", "list"]);
        assert_eq!(work["total"].as_u64(), Some(all.len() as u64));
        let out = h.run(&["--profile", "Work", "--json", "profile", "check"], None);
        assert_ok(&out);
    });
}

#[test]
fn totp_confirm_is_pending_or_on_never_half() {
    let template = home_with_secrets(10);
    let e = template.json(&["totp", "enroll"]);
    let b32 = e["secret_base32"].as_str().expect("secret").to_owned();
    let secret = keyclave_core::totp::secret_from_base32(&b32).expect("base32");
    // The code of the moment the command starts.
    let op = Operation {
        name: "totp confirm",
        template,
        args: Box::new(move |_| {
            strings(&["totp", "confirm", &keyclave_core::totp::code_at(&secret, unix_now())])
        }),
    };
    op.kill_repeatedly(|h| {
        let status = h.json(&["totp", "status"]);
        let on = status["enabled"].as_bool().expect("enabled");
        let listed = h.json(&["profile", "list"])[0]["totp_enabled"].as_bool().expect("flag");
        assert_eq!(on, listed, "the vault and the index disagree on TOTP: {status}");
        if on {
            assert_eq!(status["recovery_codes_remaining"], 8, "{status}");
        }
        assert_sound(h);
    });
}

#[test]
fn scan_storing_5000_docs_stores_all_or_nothing() {
    let template = Home::with_profile();
    let project = template.dir.path().join("project");
    std::fs::create_dir(&project).expect("mkdir");
    for i in 0..5_000 {
        let text = format!(
            "# Part {i}\n\nSet `OPENAI_API_KEY` to call the OpenAI API; releases need `GITHUB_TOKEN`.\n"
        );
        std::fs::write(project.join(format!("doc-{i:04}.md")), text).expect("write doc");
    }
    let op = Operation { name: "scan", template, args: Box::new(|h| strings(&["scan", &h.path("project")])) };
    op.kill_repeatedly(|h| {
        let projects = h.json(&["project", "list"]);
        let registered = projects.as_array().expect("list").len();
        assert!(registered <= 1);
        // A rescan tells what the killed one stored: every doc or none.
        let report = h.json(&["scan", h.path("project").as_str()]);
        let p = &report["progress"];
        let unchanged = p["files_unchanged"].as_u64().expect("unchanged");
        assert_eq!(p["files_seen"], 5_000, "{p}");
        assert!(unchanged == 0 || unchanged == 5_000, "the killed scan stored {unchanged} of 5,000 docs");
        assert_eq!(unchanged == 5_000, registered == 1, "docs stored without their project, or the reverse");
        let providers: Vec<&str> = report["requirements"]
            .as_array()
            .expect("reqs")
            .iter()
            .filter_map(|r| r["provider_id"].as_str())
            .collect();
        assert!(providers.contains(&"openai") && providers.contains(&"github"), "{providers:?}");
        assert_sound(h);
    });
}

#[test]
fn dashboard_refresh_of_200_keys_writes_whole_snapshots() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = rt.block_on(async {
        let s = wiremock::MockServer::start().await;
        // Any token is valid and answers after 5 ms, so the refresh spans time.
        wiremock::Mock::given(wiremock::matchers::path("/user"))
            .respond_with(
                wiremock::ResponseTemplate::new(200)
                    .insert_header("x-oauth-scopes", "repo")
                    .insert_header("x-ratelimit-limit", "5000")
                    .insert_header("x-ratelimit-remaining", "4000")
                    .set_body_json(serde_json::json!({ "login": "octocat" }))
                    .set_delay(Duration::from_millis(5)),
            )
            .mount(&s)
            .await;
        s
    });
    let template = Home::with_profile();
    let text: String =
        (0..200).map(|i| format!("GH_{i:03}=ghp_{MARK}{i:05}aaaaaaaaaaaaaaaaaaaaaaa\n")).collect();
    let f = template.file("keys.env", &text);
    assert_ok(&template.run(&["import", f.to_str().expect("utf8"), "--provider", "github"], None));
    std::fs::remove_file(f).expect("rm");
    let uri = server.uri();
    for i in 0..200 {
        assert_ok(&template.run(&["secret", "edit", &format!("GH_{i:03}"), "--endpoint", &uri], None));
    }
    assert_ok(&template.run(&["settings", "set", "online-mode", "on"], None));
    let before = all_values(&template);
    let op = Operation {
        name: "dashboard refresh",
        template,
        args: Box::new(|_| strings(&["dashboard", "refresh"])),
    };
    let (_, done) = op.reference();
    let rows = done.json(&["dashboard"]);
    assert!(
        rows.as_array().expect("rows").iter().all(|r| r["health_status"] == "valid"),
        "the reference refresh checks every key"
    );
    op.kill_repeatedly(|h| {
        assert!(all_values(h) == before, "a refresh changed a secret");
        let rows = h.json(&["dashboard"]);
        let rows = rows.as_array().expect("rows");
        assert_eq!(rows.len(), 200);
        for r in rows {
            // A key was checked whole (valid, with its quota) or not at all.
            let checked = r["health_status"] == "valid";
            assert!(
                checked || (r["collected_at"].is_null() && r["health_status"] == "unknown"),
                "half a snapshot: {r}"
            );
            assert_eq!(checked, r["usage"]["quota_percent"] == 20.0, "{r}");
        }
        assert_sound(h);
    });
    drop(rt);
}

#[test]
fn repair_index_killed_part_way_is_finished_by_running_it_again() {
    let template = home_with_secrets(10);
    for i in 0..30 {
        template.add_profile(&format!("Extra {i:02}"));
    }
    let data = template.dir.path().join("data");
    let len = std::fs::metadata(data.join("index.db")).expect("index").len() as usize;
    std::fs::write(data.join("index.db"), vec![0x5a; len.max(4096)]).expect("damage");
    for side in ["index.db-wal", "index.db-shm"] {
        let _ = std::fs::remove_file(data.join(side));
    }
    let op = Operation { name: "repair-index", template, args: Box::new(|_| strings(&["repair-index"])) };
    let all = secrets_map(0..10, "old");
    op.kill_repeatedly(|h| {
        // Whatever the kill left (the damaged file moved aside or not, a
        // part-built index), running it again puts every profile back.
        let report = h.json(&["repair-index"]);
        assert_eq!(report["restored"].as_array().map(Vec::len), Some(31), "{report}");
        assert!(report["skipped"].as_array().is_some_and(Vec::is_empty), "{report}");
        assert_eq!(h.json(&["profile", "list"]).as_array().map(Vec::len), Some(31));
        assert!(all_values_in(h, &["--profile", "Work"]) == all);
        assert_no_plaintext(&h.dir.path().join("data"), MARK);
    });
}

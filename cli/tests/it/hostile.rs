//! Hostile environments for the real binary: a full disk (a small tmpfs as
//! the data root), a read-only data root, a data root whose path has
//! spaces and non-ASCII letters.
//!
//! Mounting needs a private mount namespace: each such test runs itself
//! again under `unshare --user --map-root-user --mount` (as root or not),
//! so the tmpfs is private to it and gone when it ends, however it ends.

use keyclave_core::crypto::SecretString;
use keyclave_core::paths::Root;
use keyclave_core::secrets::{self, NewSecret};
use keyclave_core::{ErrorCode, KeyClave};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::*;

const IN_NAMESPACE: &str = "KEYCLAVE_TEST_IN_MOUNT_NAMESPACE";

/// Run the test `name` again inside a private user and mount namespace;
/// true when this process is the outer one (which then only reports).
fn reexec_in_namespace(name: &str) -> bool {
    if std::env::var_os(IN_NAMESPACE).is_some() {
        return false;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "--"])
        .arg(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env(IN_NAMESPACE, "1")
        .output()
        .expect("unshare (util-linux) runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{name} in its namespace:\n{text}");
    assert!(text.contains("1 passed"), "{name} did not run in its namespace:\n{text}");
    eprintln!("{text}");
    true
}

fn mount_tmpfs(dir: &Path, size: &str) {
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
        .arg(dir)
        .output()
        .expect("mount");
    assert!(out.status.success(), "mount tmpfs: {}", String::from_utf8_lossy(&out.stderr));
}

/// Fill the file system holding `dir` until a write fails, then give
/// `slack` bytes back; the filler is returned so that the rest can be.
fn fill(dir: &Path, slack: u64) -> PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).expect("filler");
    let block = vec![0u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    // Down to the last byte: a block that did not fit may still leave some.
    while f.write_all(&[0u8]).is_ok() {}
    let len = f.metadata().expect("filler size").len();
    f.set_len(len.saturating_sub(slack)).expect("give space back");
    path
}

#[test]
fn a_full_disk_is_a_clear_error_and_loses_nothing() {
    if reexec_in_namespace("hostile::a_full_disk_is_a_clear_error_and_loses_nothing") {
        // Not a skip: the test ran whole in its namespace child, and
        // reexec_in_namespace failed this process if the child did.
        return;
    }
    // The whole home (data root, project, bundle target) on a 16 MiB tmpfs.
    let h = Home { dir: tempfile::tempdir().expect("tempdir") };
    mount_tmpfs(h.dir.path(), "16m");
    let h = Home::with_profile_in(h);
    let pad = "0123456789abcdef".repeat(5);
    let text: String = (0..2_000).map(|i| format!("FULL_{i:04}=zqxfull-{i:04}-{pad}\n")).collect();
    let f = h.file("seed.env", &text);
    assert_ok(&h.run(&["import", f.to_str().expect("utf8")], None));
    std::fs::remove_file(f).expect("rm seed");
    let project = h.dir.path().join("project");
    std::fs::create_dir(&project).expect("mkdir");
    let mut env_text: String = (0..20_000).map(|i| format!("SETTING_{i:05}=plain-{i}\n")).collect();
    env_text.push_str("FULL_0001=old\n");
    std::fs::write(project.join(".env"), &env_text).expect(".env");
    let big: String = (0..5_000).map(|i| format!("MORE_{i:04}=zqxfull-more-{i:04}\n")).collect();
    let big = h.file("more.env", &big);
    let bp = h.file("bundle-pass.txt", &format!("{BUNDLE_PASS}\n"));
    let before = all_values(&h);
    assert_eq!(before.len(), 2_000);

    // 1. The app has the vault open when the disk fills: a new key is
    //    refused with storage.full, and what is stored still reads.
    let app = KeyClave::open(Root::at(h.dir.path().join("data"))).expect("data root");
    let vault = app.unlock("Work", &SecretString::from(PASS.to_owned())).expect("unlock");
    let filler = fill(h.dir.path(), 0);
    let err = secrets::add(&vault, NewSecret::new("NEW_KEY", "zqxfull-new-value")).expect_err("no space");
    assert_eq!(err.code(), ErrorCode::StorageFull, "{err:?}");
    assert_eq!(secrets::list(&vault, &Default::default()).total, 2_000);
    vault.close().ok();
    drop(app);
    std::fs::remove_file(&filler).expect("free");

    // 2. A little space left (enough to open and read, not for the work).
    let filler = fill(h.dir.path(), 192 * 1024);
    assert_eq!(all_values(&h), before, "secrets read back on a nearly full disk");
    let project_s = project.to_str().expect("utf8");
    let out = h.path("out.kcbundle");
    let mut export = vec![
        "--json",
        "bundle",
        "export",
        out.as_str(),
        "--bundle-passphrase-file",
        bp.to_str().expect("utf8"),
    ];
    export.extend_from_slice(BUNDLE_KDF);
    let cases: Vec<(&str, Output)> = vec![
        ("import", h.run(&["--json", "import", big.to_str().expect("utf8")], None)),
        ("rotate-key", h.run(&["--json", "profile", "rotate-key"], None)),
        ("env write", h.run(&["--json", "env", "write", project_s, "--on-conflict", "overwrite"], None)),
        ("bundle export", h.run(&export, None)),
    ];
    for (what, out) in &cases {
        let (code, stderr) = failure(out);
        assert_eq!(code, "storage.full", "{what}: {stderr}");
        assert!(!stderr.contains("zqxfull"), "{what}: a value in the error: {stderr}");
    }
    eprintln!(
        "full disk: {} operations refused with storage.full (and a write in the open app)",
        cases.len()
    );
    assert!(!Path::new(&out).exists(), "a partial bundle was left");
    assert_eq!(std::fs::read_to_string(project.join(".env")).expect(".env"), env_text, ".env untouched");

    // 3. Space back: nothing was lost and everything works again.
    std::fs::remove_file(&filler).expect("free");
    assert_eq!(all_values(&h), before, "every value is still there");
    let report = h.json(&["profile", "check"]);
    assert_eq!((report["vault"]["ok"].as_bool(), report["index"]["ok"].as_bool()), (Some(true), Some(true)));
    assert_no_plaintext(&h.dir.path().join("data"), "zqxfull");
    let project_files: Vec<String> = std::fs::read_dir(&project)
        .expect("project")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(project_files, [".env"], "only the .env in the project after the failed write");
    assert_ok(&h.run(&["import", big.to_str().expect("utf8")], None));
    assert_ok(&h.run(&["profile", "rotate-key"], None));
    assert_ok(&h.run(&["env", "write", project_s, "--on-conflict", "overwrite"], None));
    assert_ok(&h.run(&export[1..], None));
    assert_eq!(all_values(&h).len(), 7_000);
    let leftovers: Vec<String> = std::fs::read_dir(&project)
        .expect("project")
        .chain(std::fs::read_dir(h.dir.path()).expect("home"))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp") || n.contains("keyclave-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}

#[test]
fn a_read_only_data_root_reads_and_refuses_writes_clearly() {
    if reexec_in_namespace("hostile::a_read_only_data_root_reads_and_refuses_writes_clearly") {
        // Not a skip: the test ran whole in its namespace child, and
        // reexec_in_namespace failed this process if the child did.
        return;
    }
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "RO_KEY"], Some("zqxro-value")));
    assert_ok(&h.run(&["secret", "add", "GITHUB_TOKEN"], Some(ENV_GH)));
    let data = h.dir.path().join("data");
    let before = files_under(&data);
    // As a copy on another disk would be: not narrowed to 0700.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    // A read-only bind mount of the data root (as a remounted disk, or a
    // backup on a write-protected medium, would be).
    remount_read_only(&data);
    // Reading works: the list, a value, a .env written into a project
    // elsewhere, the profile check.
    let list = h.json(&["secret", "list"]);
    assert_eq!(list["total"], 2, "{list}");
    let out = h.run(&["secret", "reveal", "RO_KEY"], None);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), "zqxro-value");
    let project = tempfile::tempdir().expect("project");
    std::fs::write(project.path().join("README.md"), "Releases need `GITHUB_TOKEN`.\n").expect("readme");
    let dir = project.path().to_str().expect("utf8");
    assert_ok(&h.run(&["env", "write", dir, "--key", "GITHUB_TOKEN"], None));
    let written = std::fs::read_to_string(project.path().join(".env")).expect(".env");
    assert!(written.lines().any(|l| l == format!("GITHUB_TOKEN={ENV_GH}")), "{written}");
    // A bundle export (restoring from a backup to a new machine).
    let bundle = project.path().join("from-backup.kcbundle");
    let bundle = bundle.to_str().expect("utf8");
    let bp = h.bundle_pass_file();
    assert_ok(&h.run(&export_args(bundle, bp.to_str().expect("utf8"), &[]), None));
    assert_eq!(h.json(&["bundle", "inspect", bundle])["header"]["count"], 2);
    assert_eq!(h.json(&["profile", "check"])["vault"]["ok"], true);
    // A wrong passphrase is still "wrong passphrase", not a storage error.
    let wrong = h.file("wrong.txt", "not the passphrase\n");
    let mut c = h.cmd_without_passphrase(&["--json", "secret", "list"]);
    c.arg("--passphrase-file").arg(&wrong);
    let (code, stderr) = failure(&run_cmd(c, None));
    assert_eq!(code, "vault.wrong_passphrase", "{stderr}");
    // Every change is one clear error, before anything is attempted.
    let (code, stderr) = failure(&h.run(&["--json", "secret", "add", "OTHER"], Some("zqxro-other")));
    assert_eq!(code, "storage.read_only", "{stderr}");
    assert!(stderr.contains("KEYCLAVE_HOME"), "the suggestion says what to do: {stderr}");
    let (code, stderr) = failure(&h.run(&["--json", "secret", "rm", "RO_KEY"], None));
    assert_eq!(code, "storage.read_only", "{stderr}");
    let (code, stderr) = failure(&h.run(
        &["--json", "profile", "create", "Second", "--kdf-memory-kib", "256", "--kdf-iterations", "1"],
        None,
    ));
    assert_eq!(code, "storage.read_only", "{stderr}");
    // Nothing was made or left beside the files (no -wal, no -shm).
    assert_eq!(files_under(&data), before);

    // A vault whose last commits are still in its WAL (the app had it open
    // when the disk went read-only): read through the WAL, so the newest
    // key is there, never the older state.
    umount(&data);
    let app = KeyClave::open(Root::at(&data)).expect("data root");
    let vault = app.unlock("Work", &SecretString::from(PASS.to_owned())).expect("unlock");
    secrets::add(&vault, NewSecret::new("WAL_ONLY", "zqxro-in-the-wal")).expect("add");
    // Left open, as by a process that died: its WAL is not checkpointed.
    std::mem::forget(vault);
    let vault_db = files_under(&data).into_iter().find(|p| p.ends_with("vault.db")).expect("vault.db");
    let wal = data.join(format!("{}-wal", vault_db.display()));
    assert!(std::fs::metadata(&wal).expect("-wal").len() > 0);
    remount_read_only(&data);
    let out = h.run(&["secret", "reveal", "WAL_ONLY"], None);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), "zqxro-in-the-wal");
    // Without the WAL's index (-shm) those commits cannot be read there:
    // a clear refusal, not the older state.
    umount(&data);
    std::fs::remove_file(data.join(format!("{}-shm", vault_db.display()))).expect("rm -shm");
    remount_read_only(&data);
    let (code, stderr) = failure(&h.run(&["--json", "secret", "list"], None));
    assert_eq!(code, "storage.read_only", "{stderr}");
    assert!(stderr.contains("journal"), "{stderr}");
}

#[test]
fn a_read_only_data_root_refuses_totp_codes_clearly() {
    if reexec_in_namespace("hostile::a_read_only_data_root_refuses_totp_codes_clearly") {
        // Not a skip: see a_full_disk_is_a_clear_error_and_loses_nothing.
        return;
    }
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some(ENV_GH)));
    let b32 = h.json(&["totp", "enroll"])["secret_base32"].as_str().expect("secret").to_owned();
    let secret = keyclave_core::totp::secret_from_base32(&b32).expect("base32");
    let now = settled_now();
    h.json(&["totp", "confirm", &keyclave_core::totp::code_at(&secret, now - 30)]);
    remount_read_only(&h.dir.path().join("data"));
    // An export needs a code (the default policy); a code's use cannot be
    // stored there, so it is refused for that reason, never as "invalid".
    let out = h.path("t.kcbundle");
    let bp = h.bundle_pass_file();
    let code = keyclave_core::totp::code_at(&secret, now);
    let (exit, err) = h.fails(&export_args(&out, bp.to_str().expect("utf8"), &["--totp", &code]), None);
    assert_eq!(err["code"], "storage.read_only", "{err}");
    assert!(err["message"].as_str().expect("message").contains("TOTP"), "{err}");
    assert_ne!(exit, 0);
    assert!(!Path::new(&out).exists());
    // A reveal (no code needed by the default policy) still works.
    let out = h.run(&["secret", "reveal", "GH_TOKEN"], None);
    assert_ok(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), ENV_GH);
}

/// Bind `dir` onto itself and make that mount read-only.
fn remount_read_only(dir: &Path) {
    for args in [vec!["--bind"], vec!["-o", "remount,bind,ro"]] {
        let out = Command::new("mount").args(&args).arg(dir).arg(dir).output().expect("mount");
        assert!(out.status.success(), "mount {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

fn umount(dir: &Path) {
    let out = Command::new("umount").arg(dir).output().expect("umount");
    assert!(out.status.success(), "umount: {}", String::from_utf8_lossy(&out.stderr));
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p.strip_prefix(dir).expect("under").to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_data_root_with_spaces_and_unicode_works() {
    let base = tempfile::tempdir().expect("tempdir");
    let odd = base.path().join("Mes clés — ñandú 鍵");
    std::fs::create_dir(&odd).expect("mkdir");
    let h = Home::with_profile_in(Home { dir: tempfile::tempdir_in(&odd).expect("tempdir") });
    assert_ok(&h.run(&["secret", "add", "GITHUB_TOKEN"], Some(ENV_GH)));
    let project = h.dir.path().join("projet à côté");
    std::fs::create_dir(&project).expect("mkdir");
    std::fs::write(project.join("README.md"), "Releases need `GITHUB_TOKEN`.\n").expect("readme");
    std::fs::write(project.join(".env"), "GITHUB_TOKEN=old\n").expect(".env");
    let dir = project.to_str().expect("utf8");
    let report = h.json(&["scan", dir]);
    let reqs = report["requirements"].as_array().expect("requirements");
    assert!(
        reqs.iter().any(|r| r["provider_id"] == "github" && r["env_vars"][0]["in_vault"] == true),
        "{report}"
    );
    assert_ok(&h.run(&["env", "write", dir, "--on-conflict", "overwrite"], None));
    assert_eq!(
        std::fs::read_to_string(project.join(".env")).expect(".env"),
        format!("GITHUB_TOKEN={ENV_GH}\n")
    );
    assert_ok(&h.run(&["profile", "rotate-key"], None));
    assert_eq!(
        all_values(&h),
        std::collections::BTreeMap::from([("GITHUB_TOKEN".to_owned(), ENV_GH.to_owned())])
    );
    let report = h.json(&["profile", "check"]);
    assert_eq!(report["vault"]["ok"], true);
}

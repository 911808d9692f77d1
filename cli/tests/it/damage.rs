//! Damaged files around the vaults: a garbage index.db is reported as
//! `index.damaged` and rebuilt from the profile folders with nothing lost;
//! a vault's WAL cut short or gone after a crash leaves a vault that
//! opens, passes its checks and holds whole values.

use crate::util::*;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn a_damaged_index_is_rebuilt_from_the_profile_folders() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_damageWork0123456789abcdefABCD")));
    h.add_profile("Home");
    assert_ok(
        &h.run(&["--profile", "Home", "secret", "add", "OPENAI_API_KEY"], Some("sk-damage-home-0123456789")),
    );
    // Key material changed after creation: a rotation on one, a new
    // passphrase on the other; the copies must follow.
    assert_ok(&h.run(&["--profile", "Work", "profile", "rotate-key"], None));
    let new_pass = h.file("new-pass.txt", "a brand new passphrase 42\n");
    let new_pass = new_pass.to_str().unwrap();
    assert_ok(&h.run(&["--profile", "Home", "profile", "passwd", "--new-passphrase-file", new_pass], None));

    let data = h.dir.path().join("data");
    let index = data.join("index.db");
    let len = std::fs::metadata(&index).unwrap().len() as usize;
    std::fs::write(&index, vec![0x5a; len.max(4096)]).unwrap();
    for side in ["index.db-wal", "index.db-shm"] {
        let _ = std::fs::remove_file(data.join(side));
    }

    let (code, err) = h.fails(&["secret", "list"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("index.damaged")), "{err}");
    assert!(err["suggestion"].as_str().is_some_and(|s| s.contains("repair-index")), "{err}");

    let report = h.json(&["repair-index"]);
    let mut restored: Vec<&str> =
        report["restored"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    restored.sort();
    assert_eq!(restored, ["Home", "Work"], "{report}");
    assert!(report["skipped"].as_array().unwrap().is_empty(), "{report}");
    let kept = report["damaged_copy"].as_str().expect("the damaged file is kept");
    assert!(std::path::Path::new(kept).exists());

    // Every value is back; Home opens with its new passphrase only.
    assert_eq!(h.json(&["--profile", "Work", "secret", "list"])["total"], 1);
    let mut c =
        h.cmd_without_passphrase(&["--profile", "Home", "--passphrase-file", new_pass, "secret", "reveal"]);
    c.arg("OPENAI_API_KEY");
    assert_eq!(stdout(&run_cmd(c, None)), "sk-damage-home-0123456789\n");
    let (_, err) = h.fails(&["--profile", "Home", "secret", "list"], None);
    assert_eq!(err["code"], "vault.wrong_passphrase");
    assert_eq!(
        stdout(&h.run(&["--profile", "Work", "secret", "reveal", "GH_TOKEN"], None)),
        "ghp_damageWork0123456789abcdefABCD\n"
    );
    assert_ok(&h.run(&["--profile", "Work", "profile", "check"], None));
    assert_no_plaintext(&data, "damage");
}

/// A profile folder copied into another machine's (empty) data folder:
/// `repair-index` lists it there, the passphrase opens it, every value and
/// check is intact, and the copy on the first machine is unaffected.
#[test]
fn a_profile_folder_copied_to_another_machine_opens_there() {
    let a = Home::with_profile();
    assert_ok(&a.run(&["secret", "add", "GH_TOKEN"], Some("ghp_movedProfile0123456789abcdefAB")));
    assert_ok(&a.run(&["profile", "rotate-key"], None));
    let b = Home::with_profile();
    assert_ok(&b.run(&["profile", "rename", "Work", "Local"], None));
    let from = a.dir.path().join("data/profiles");
    let id = std::fs::read_dir(&from).unwrap().filter_map(|e| e.ok()).find(|e| e.path().is_dir()).unwrap();
    copy_dir(&id.path(), &b.dir.path().join("data/profiles").join(id.file_name()));
    let report = b.json(&["repair-index"]);
    let mut names: Vec<&str> =
        report["restored"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
    names.sort();
    assert_eq!(names, ["Local", "Work"], "{report}");
    let moved = stdout(&b.run(&["--profile", "Work", "secret", "reveal", "GH_TOKEN"], None));
    assert_eq!(moved, "ghp_movedProfile0123456789abcdefAB\n");
    assert_ok(&b.run(&["--profile", "Work", "profile", "check"], None));
    assert_eq!(stdout(&a.run(&["secret", "reveal", "GH_TOKEN"], None)), moved);
}

/// A folder whose copy was never written (a crash between creating the
/// vault and listing it) or was edited is left out, and said so.
#[test]
fn a_folder_without_a_valid_copy_is_skipped_not_guessed() {
    let h = Home::with_profile();
    let profiles = h.dir.path().join("data").join("profiles");
    let id = std::fs::read_dir(&profiles).unwrap().next().unwrap().unwrap().file_name();
    let copy = profiles.join(&id).join("index-copy.json");
    assert!(copy.exists(), "written at creation");
    std::fs::write(&copy, "{\"v\":1}").unwrap();
    let report = h.json(&["repair-index"]);
    assert!(report["restored"].as_array().unwrap().is_empty());
    assert!(report["skipped"][0].as_str().unwrap().contains("unreadable"), "{report}");
    assert_eq!(h.json(&["profile", "list"]).as_array().unwrap().len(), 0);
}

/// Kill an import mid-way so its WAL is left behind, then cut the WAL at
/// a point inside it (or delete it): the vault opens, passes both
/// integrity checks, and holds either none or all of the import.
#[test]
fn a_truncated_or_missing_wal_after_a_crash_leaves_a_sound_vault() {
    let lines: String = (0..4000).map(|i| format!("WAL_KEY_{i:05}=wal-value-{i:05}-abcdefghij\n")).collect();
    for (case, cut) in [("truncated", Some(0.5)), ("torn frame", Some(0.999)), ("missing", None)] {
        let h = Home::with_profile();
        let file = h.file("big.env", &lines);
        // Enough imports that one is in flight when the kill lands.
        let mut c =
            h.cmd(&["import", file.to_str().unwrap(), "--format", "dotenv", "--on-conflict", "replace"]);
        c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        // Killed once the import's pages reach the WAL (polled, not
        // timed: a loaded machine starts it late), while it still runs.
        let profiles = h.dir.path().join("data/profiles");
        let mut killed = false;
        for _ in 0..10 {
            let mut child = c.spawn().expect("spawn");
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while std::time::Instant::now() < deadline {
                if child.try_wait().expect("try_wait").is_some() {
                    break;
                }
                let grown = wal_of(&profiles)
                    .and_then(|w| std::fs::metadata(w).ok())
                    .is_some_and(|m| m.len() > 256 * 1024);
                if grown {
                    let _ = child.kill();
                    killed = true;
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = child.kill();
            let _ = child.wait();
            if killed {
                break;
            }
        }
        assert!(killed, "{case}: no kill left a WAL behind");
        let wal = wal_of(&h.dir.path().join("data/profiles")).unwrap();
        match cut {
            Some(f) => {
                let len = std::fs::metadata(&wal).unwrap().len();
                let f_ = std::fs::OpenOptions::new().write(true).open(&wal).unwrap();
                f_.set_len((len as f64 * f) as u64).unwrap();
            }
            None => std::fs::remove_file(&wal).unwrap(),
        }
        let check = h.run(&["profile", "check"], None);
        assert_ok(&check);
        let values = all_values(&h);
        assert!(values.is_empty() || values.len() == 4000, "{case}: {} of 4000 keys", values.len());
        for (k, v) in &values {
            let i = &k["WAL_KEY_".len()..];
            assert_eq!(v, &format!("wal-value-{i}-abcdefghij"), "{case}: {k}");
        }
        // And it still takes writes.
        assert_ok(&h.run(&["secret", "add", "AFTER_DAMAGE"], Some("after-damage-value")));
    }
}

fn wal_of(profiles: &std::path::Path) -> Option<std::path::PathBuf> {
    let dir = std::fs::read_dir(profiles).ok()?.filter_map(|e| e.ok()).find(|e| e.path().is_dir())?.path();
    let wal = dir.join("vault.db-wal");
    wal.exists().then_some(wal)
}

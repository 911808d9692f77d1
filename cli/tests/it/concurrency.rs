//! Several KeyClave processes using one profile at once: `keyclave`
//! commands side by side (add, edit, import), key rotations among them, and
//! the vault held open all along the way the desktop app holds it (the same
//! core calls its commands make, in this process). Counted at the end: no
//! update lost, no "database is locked" shown, a rotation refused with
//! `vault.busy` only while another process has the profile open.

use keyclave_core::KeyClave;
use keyclave_core::crypto::SecretString;
use keyclave_core::paths::Root;
use keyclave_core::secrets::{self, NewSecret};
use std::collections::BTreeMap;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::*;

const WRITERS: usize = 4;
const OPS: usize = 24;

/// What writer `w`'s op `j` leaves in the vault, and the command for it.
/// Ops cycle: add, add, edit the previous add's value, import 5 keys.
fn writer_op(h: &Home, w: usize, j: usize) -> Output {
    match j % 4 {
        0 | 1 => h.run(&["secret", "add", &format!("C{w}_{j:02}")], Some(&format!("zqxconc-{w}-{j}"))),
        2 => h.run(
            &["secret", "edit", &format!("C{w}_{:02}", j - 1), "--value-stdin"],
            Some(&format!("zqxconc-{w}-{}-edited", j - 1)),
        ),
        _ => {
            let text: String = (0..5).map(|k| format!("C{w}_{j:02}_{k}=zqxconc-{w}-{j}-{k}\n")).collect();
            let file = h.file(&format!("import-{w}-{j}.env"), &text);
            h.run(&["import", file.to_str().expect("utf8")], None)
        }
    }
}

fn expected(w: usize) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for j in 0..OPS {
        match j % 4 {
            0 | 1 => {
                m.insert(format!("C{w}_{j:02}"), format!("zqxconc-{w}-{j}"));
            }
            2 => {
                m.insert(format!("C{w}_{:02}", j - 1), format!("zqxconc-{w}-{}-edited", j - 1));
            }
            _ => {
                for k in 0..5 {
                    m.insert(format!("C{w}_{j:02}_{k}"), format!("zqxconc-{w}-{j}-{k}"));
                }
            }
        }
    }
    m
}

fn assert_no_locked_message(out: &Output) {
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!all.to_lowercase().contains("database is locked"), "SQLite's message reached the user: {all}");
}

struct CountDown<'a>(&'a AtomicUsize);

impl Drop for CountDown<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn writers_side_by_side_with_rotations_lose_no_update() {
    let h = Home::with_profile();
    let writing = AtomicUsize::new(WRITERS);
    let (rotated, refused) = std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (h, writing) = (&h, &writing);
            s.spawn(move || {
                // Counted down even when the writer panics, so the loop below ends.
                let _done = CountDown(writing);
                for j in 0..OPS {
                    let out = writer_op(h, w, j);
                    assert_no_locked_message(&out);
                    assert_ok(&out);
                }
            });
        }
        let (mut rotated, mut refused) = (0, 0);
        while writing.load(Ordering::SeqCst) > 0 {
            let out = h.run(&["--json", "profile", "rotate-key"], None);
            assert_no_locked_message(&out);
            if out.status.success() {
                rotated += 1;
            } else {
                assert_eq!(failure(&out).0, "vault.busy", "a rotation failed otherwise");
                refused += 1;
            }
            std::thread::sleep(Duration::from_millis(150));
        }
        (rotated, refused)
    });
    let mut want = BTreeMap::new();
    for w in 0..WRITERS {
        want.extend(expected(w));
    }
    let got = all_values(&h);
    let lost: Vec<&String> = want.keys().filter(|k| got.get(*k) != want.get(*k)).collect();
    eprintln!(
        "concurrency: {WRITERS} writers × {OPS} ops, {} values expected, {} lost; {rotated} rotations, {refused} refused",
        want.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "lost or stale updates: {lost:?}");
    assert_eq!(got.len(), want.len());
    assert!(rotated > 0, "no rotation went through among the writers ({refused} refused)");
    let check = h.run(&["--json", "profile", "check"], None);
    assert_ok(&check);
}

#[test]
fn a_profile_open_in_the_app_refuses_rotation_and_keeps_both_fronts_writes() {
    let h = Home::with_profile();
    let root = Root::at(h.dir.path().join("data"));
    let app = KeyClave::open(root).expect("open data root");
    let vault = app.unlock("Work", &SecretString::from(PASS.to_owned())).expect("unlock in the app");
    let started = Instant::now();
    std::thread::scope(|s| {
        let app_writer = s.spawn(|| {
            for j in 0..40 {
                secrets::add(&vault, NewSecret::new(format!("APP_{j:02}"), format!("zqxapp-{j}")))
                    .expect("app add");
            }
        });
        let cli_writer = s.spawn(|| {
            for j in 0..OPS {
                let out = writer_op(&h, 0, j);
                assert_no_locked_message(&out);
                assert_ok(&out);
            }
        });
        // Refused at once-ish (a bounded wait), not queued forever and not
        // run behind the app's back.
        let t = Instant::now();
        let out = h.run(&["--json", "profile", "rotate-key"], None);
        assert!(!out.status.success(), "a rotation ran while the app had the profile open");
        assert_eq!(failure(&out).0, "vault.busy");
        assert!(String::from_utf8_lossy(&out.stderr).contains("keyclave lock"), "the error says what to do");
        assert!(t.elapsed() < Duration::from_secs(30), "the refusal waited {:?}", t.elapsed());
        app_writer.join().expect("app writer");
        cli_writer.join().expect("cli writer");
    });
    // The app's own view sees the CLI's writes (another process committed).
    vault.sync_external_changes().expect("sync");
    assert!(secrets::list(&vault, &Default::default()).total >= 40 + expected(0).len());
    vault.close().expect("lock in the app");
    drop(app);
    assert_ok(&h.run(&["profile", "rotate-key"], None));
    let got = all_values(&h);
    let mut want = expected(0);
    want.extend((0..40).map(|j| (format!("APP_{j:02}"), format!("zqxapp-{j}"))));
    assert_eq!(got, want, "after {:?}", started.elapsed());
}

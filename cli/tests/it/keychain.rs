//! Unlock with the OS keychain, against a real Secret Service: a private
//! D-Bus session bus and `gnome-keyring-daemon` (installed by
//! scripts/setup.sh) started by the test, never the user's own keyring.

use crate::util::*;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A session bus with a Secret Service on it; both stop when dropped.
struct SecretService {
    address: String,
    bus: Child,
    keyring: Option<Child>,
    dir: tempfile::TempDir,
}

impl SecretService {
    fn start() -> SecretService {
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("bus");
        let mut bus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:path={}", socket.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (apt package dbus, installed by scripts/setup.sh)");
        let mut line = String::new();
        BufReader::new(bus.stdout.take().expect("stdout")).read_line(&mut line).expect("bus address");
        let mut s = SecretService { address: line.trim().to_owned(), bus, keyring: None, dir };
        s.start_keyring(&s.dir.path().join("keyrings-1"));
        s
    }

    /// Start gnome-keyring with its keyrings in `data` (a new folder is a
    /// new, empty keyring: the view from another machine).
    fn start_keyring(&mut self, data: &Path) {
        if let Some(mut old) = self.keyring.take() {
            let _ = old.kill();
            let _ = old.wait();
        }
        std::fs::create_dir_all(data).expect("mkdir");
        let runtime = data.join("run");
        std::fs::create_dir_all(&runtime).expect("mkdir");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        }
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", data)
            .env("XDG_DATA_HOME", data)
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (apt package gnome-keyring, installed by scripts/setup.sh)");
        // The login keyring's password, then end of input.
        child.stdin.take().expect("stdin").write_all(b"keyring test password").expect("write");
        self.keyring = Some(child);
        self.wait_for_name();
    }

    fn wait_for_name(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.freedesktop.secrets",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
                .output()
                .expect("dbus-send");
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            assert!(Instant::now() < deadline, "the Secret Service did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn keyring_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        if let Some(k) = self.keyring.as_mut() {
            let _ = k.kill();
            let _ = k.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// `keyclave` with no passphrase file, talking to `bus`; stdin as given.
fn run_on(h: &Home, bus: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut c = h.cmd_without_passphrase(args);
    c.env("DBUS_SESSION_BUS_ADDRESS", bus);
    run_cmd(c, stdin)
}

fn state(h: &Home, bus: &str) -> String {
    let mut c = h.cmd(&["--json", "profile", "keychain", "status"]);
    c.env("DBUS_SESSION_BUS_ADDRESS", bus);
    let out = run_cmd(c, None);
    assert_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["keychain"].as_str().expect("state").to_owned()
}

fn set(h: &Home, bus: &str, action: &str) -> Output {
    let mut c = h.cmd(&["profile", "keychain", action]);
    c.env("DBUS_SESSION_BUS_ADDRESS", bus);
    run_cmd(c, None)
}

const VALUE: &str = "ghp_keychainValue0123456789abcdefABCD";

#[test]
fn keychain_unlock_on_off_rotation_and_a_lost_entry() {
    let mut ss = SecretService::start();
    let bus = ss.address.clone();
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some(VALUE)));
    assert_eq!(state(&h, &bus), "off", "never the default");

    // Off: a command given no passphrase reads it (here: none on stdin, so it fails).
    let o = run_on(&h, &bus, &["secret", "reveal", "GH_TOKEN"], None);
    assert!(!o.status.success());

    // Turning it on needs the passphrase: a wrong one changes nothing.
    let wrong = h.file("wrong.txt", "not the passphrase\n");
    let mut c = h.cmd_without_passphrase(&["--json", "--passphrase-file"]);
    c.arg(&wrong).args(["profile", "keychain", "on"]).env("DBUS_SESSION_BUS_ADDRESS", &bus);
    let o = run_cmd(c, None);
    assert_eq!(failure(&o).0, "vault.wrong_passphrase");
    assert_eq!(state(&h, &bus), "off");

    assert_ok(&set(&h, &bus, "on"));
    assert_eq!(state(&h, &bus), "ready");
    let audit = h.json(&["audit", "--type", "profile.keychain_enable"]);
    assert_eq!(audit.as_array().map_or(0, Vec::len), 1, "{audit}");

    // On: no passphrase anywhere, the OS keychain unlocks.
    let o = run_on(&h, &bus, &["secret", "reveal", "GH_TOKEN"], None);
    assert_ok(&o);
    assert_eq!(stdout(&o), format!("{VALUE}\n"));
    // The passphrase still works.
    assert_eq!(stdout(&h.run(&["secret", "reveal", "GH_TOKEN"], None)), format!("{VALUE}\n"));
    // `keyclave unlock` (the agent) uses the keychain as well; the
    // commands after it go through the agent.
    let o = run_on(&h, &bus, &["unlock"], None);
    assert_ok(&o);
    assert_eq!(stdout(&run_on(&h, &bus, &["secret", "reveal", "GH_TOKEN"], None)), format!("{VALUE}\n"));
    assert_ok(&run_on(&h, &bus, &["lock", "--all"], None));

    // Rotation re-wraps both: keychain and passphrase open the new key.
    let mut c = h.cmd(&["profile", "rotate-key"]);
    c.env("DBUS_SESSION_BUS_ADDRESS", &bus);
    assert_ok(&run_cmd(c, None));
    let o = run_on(&h, &bus, &["secret", "reveal", "GH_TOKEN"], None);
    assert_ok(&o);
    assert_eq!(stdout(&o), format!("{VALUE}\n"));
    assert!(String::from_utf8_lossy(&o.stderr).is_empty(), "no fallback warning: {:?}", o.stderr);
    assert_eq!(state(&h, &bus), "ready");

    // A rotation while the keychain cannot be reached leaves the new key
    // without a keychain wrap: the profile says it needs repair, the
    // passphrase unlocks, and turning it on again repairs it.
    let mut c = h.cmd(&["profile", "rotate-key"]);
    c.env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", ss.dir.path().join("no-bus").display()));
    assert_ok(&run_cmd(c, None));
    assert_eq!(state(&h, &bus), "needs_repair");
    let o = run_on(&h, &bus, &["secret", "reveal", "GH_TOKEN"], Some(&format!("{PASS}\n")));
    assert_eq!(stdout(&o), format!("{VALUE}\n"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("asking for the passphrase"));
    assert_ok(&set(&h, &bus, "on"));
    assert_eq!(state(&h, &bus), "ready");

    // The entry disappears (a new, empty keyring: the same as the profile
    // folder opened on another machine). The profile says so and the
    // passphrase is asked for instead.
    ss.start_keyring(&ss.keyring_dir("keyrings-2"));
    assert_eq!(state(&h, &bus), "entry_missing");
    let o = run_on(&h, &bus, &["secret", "reveal", "GH_TOKEN"], Some(&format!("{PASS}\n")));
    assert_ok(&o);
    assert_eq!(stdout(&o), format!("{VALUE}\n"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no entry for this profile") && err.contains("asking for the passphrase"), "{err}");

    // Turning it on again stores a new entry; off removes it.
    assert_ok(&set(&h, &bus, "on"));
    assert_eq!(state(&h, &bus), "ready");
    assert_ok(&run_on(&h, &bus, &["secret", "list"], None));
    assert_ok(&set(&h, &bus, "off"));
    assert_eq!(state(&h, &bus), "off");
    let o = run_on(&h, &bus, &["secret", "list"], None);
    assert!(!o.status.success(), "off: the keychain no longer unlocks");
    assert!(!String::from_utf8_lossy(&o.stderr).contains("keychain"), "off: no keychain attempt");
}

#[test]
fn an_unreachable_keychain_falls_back_to_the_passphrase() {
    let ss = SecretService::start();
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some(VALUE)));
    assert_ok(&set(&h, &ss.address, "on"));
    let gone = format!("unix:path={}", ss.dir.path().join("no-such-bus").display());
    assert_eq!(state(&h, &gone), "unavailable");
    let o = run_on(&h, &gone, &["secret", "reveal", "GH_TOKEN"], Some(&format!("{PASS}\n")));
    assert_ok(&o);
    assert_eq!(stdout(&o), format!("{VALUE}\n"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot be used") && !err.contains(VALUE), "{err}");
}

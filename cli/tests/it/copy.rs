//! `secret copy`: the value on the X11 clipboard, cleared after the
//! profile's delay, and left alone when something else was copied.
//!
//! Linux only, on its own Xvfb display, read with xclip (`make test`
//! installs both with the desktop test tools). macOS and Windows
//! clipboards go through the same library but are not tested here.
#![cfg(target_os = "linux")]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{Home, assert_ok, stdout};

const VALUE: &str = "sk-zqxCOPYvalue00000000001";

/// An Xvfb server on a display of its own, stopped when dropped.
struct Display {
    server: Child,
    name: String,
}

impl Display {
    fn start() -> Display {
        use std::io::BufRead;
        // Xvfb picks a free display itself and prints its number on fd 1.
        let mut server = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "320x240x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (make test installs it)");
        let mut number = String::new();
        std::io::BufReader::new(server.stdout.take().unwrap()).read_line(&mut number).unwrap();
        assert!(!number.trim().is_empty(), "Xvfb did not start");
        Display { server, name: format!(":{}", number.trim()) }
    }

    fn clipboard(&self) -> String {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .output()
            .expect("xclip (make test installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Copy `text` as another program would (xclip stays to serve it).
    fn copy_other(&self, text: &str) {
        use std::io::Write;
        let mut c = Command::new("xclip")
            .args(["-selection", "clipboard"])
            .env("DISPLAY", &self.name)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        c.wait().unwrap();
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn home_with_value() -> Home {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "OPENAI_API_KEY"], Some(VALUE)));
    assert_ok(&h.run(&["profile", "settings", "--clipboard-clear", "5"], None));
    h
}

fn copy(h: &Home, display: &Display) -> std::process::Output {
    let mut c = h.cmd(&["secret", "copy", "OPENAI_API_KEY"]);
    c.env("DISPLAY", &display.name).env_remove("WAYLAND_DISPLAY");
    crate::util::run_cmd(c, None)
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    started.elapsed()
}

#[test]
fn a_copied_value_is_on_the_clipboard_then_cleared_after_the_delay() {
    let display = Display::start();
    let h = home_with_value();
    let out = copy(&h, &display);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Copied OPENAI_API_KEY to the clipboard; it is cleared in 5 s.\n");
    assert!(!stdout(&out).contains(VALUE) && !String::from_utf8_lossy(&out.stderr).contains(VALUE));
    assert_eq!(display.clipboard(), VALUE, "the command returned with the value on the clipboard");
    let took = wait_until("cleared", Duration::from_secs(15), || display.clipboard() != VALUE);
    assert!(took >= Duration::from_secs(3), "cleared too early ({took:?})");
    assert_eq!(display.clipboard(), "");
    let events = h.json(&["audit", "--type", "secret.copy"]);
    assert_eq!(events.as_array().unwrap().len(), 1);
}

#[test]
fn something_copied_meanwhile_is_left_alone() {
    let display = Display::start();
    let h = home_with_value();
    assert_ok(&copy(&h, &display));
    display.copy_other("the user's own text");
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(display.clipboard(), "the user's own text");
    // xclip and the helper end with the display's connection.
}

#[test]
fn without_a_display_copy_is_a_clear_error() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "OPENAI_API_KEY"], Some(VALUE)));
    let mut c = h.cmd(&["--json", "secret", "copy", "OPENAI_API_KEY"]);
    c.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    let out = crate::util::run_cmd(c, None);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("clipboard") && !stderr.contains(VALUE), "{stderr}");
}

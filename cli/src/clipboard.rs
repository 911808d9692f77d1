//! `secret copy`: a value on the system clipboard, cleared after the
//! profile's delay.
//!
//! On X11 and Wayland the clipboard's content lives in the process that
//! set it, so the command hands the value to a helper process of its own
//! (`keyclave clipboard-hold`, in its own process group) through a pipe;
//! the helper sets it, serves it until the delay has passed, then clears
//! it, unless something else was copied meanwhile (that is left alone).
//! The command returns once the helper has the clipboard.

use keyclave_core::{Error, ErrorCode, Result};
use std::io::{BufRead, Read, Write};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

use crate::agent::protocol::Sensitive;

fn no_clipboard(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorCode::InputInvalid, format!("cannot use the clipboard: {e}")).with_suggestion(
        "Copy needs a graphical session (DISPLAY or WAYLAND_DISPLAY); use `keyclave secret reveal` instead.",
    )
}

/// Put `value` on the clipboard for `clear_after_secs`, through a helper
/// process; returns once the helper holds it.
pub fn copy(value: &Sensitive, clear_after_secs: u32) -> Result<()> {
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().map_err(no_clipboard)?;
    let mut cmd = Command::new(exe);
    cmd.args(["clipboard-hold", "--clear-after", &clear_after_secs.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // Ctrl-C in this terminal must not take the clipboard with it.
        cmd.process_group(0);
    }
    let mut child = cmd.spawn().map_err(no_clipboard)?;
    {
        let mut stdin = child.stdin.take().ok_or_else(|| no_clipboard("no pipe to the helper"))?;
        stdin.write_all(value.expose().as_bytes()).map_err(no_clipboard)?;
    }
    let mut answer = String::new();
    let stdout = child.stdout.take().ok_or_else(|| no_clipboard("no pipe from the helper"))?;
    std::io::BufReader::new(stdout).read_line(&mut answer).map_err(no_clipboard)?;
    match answer.trim_end() {
        "ok" => Ok(()),
        other => {
            let _ = child.wait();
            Err(no_clipboard(other.strip_prefix("error: ").unwrap_or("the helper stopped")))
        }
    }
}

/// The helper: read the value from standard input, set the clipboard, say
/// `ok` (or `error: …`) on standard output, hold it, clear it.
pub fn hold(clear_after_secs: u32) -> Result<()> {
    let mut value = Zeroizing::new(String::new());
    std::io::stdin().lock().read_to_string(&mut value).map_err(no_clipboard)?;
    let report = |line: &str| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    };
    let mut clipboard =
        match arboard::Clipboard::new().and_then(|mut c| c.set_text(value.as_str()).map(|()| c)) {
            Ok(c) => c,
            Err(e) => {
                report(&format!("error: {e}"));
                return Ok(());
            }
        };
    report("ok");
    let deadline = Instant::now() + Duration::from_secs(u64::from(clear_after_secs));
    let still_ours =
        |c: &mut arboard::Clipboard| c.get_text().map(|t| Zeroizing::new(t) == value).unwrap_or(false);
    while Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
        if !still_ours(&mut clipboard) {
            // Something else was copied: it is the user's now.
            return Ok(());
        }
    }
    if still_ours(&mut clipboard) {
        let _ = clipboard.clear();
    }
    Ok(())
}

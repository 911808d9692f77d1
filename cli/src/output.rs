//! Printing results: human tables or `--json`, and errors on stderr.

use keyclave_core::Error;
use serde::Serialize;
use std::fmt;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed: its reader went away (`| head`).
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Write to stdout, flushed. A failed write (a closed pipe) is no panic:
/// it is noted ([`closed`]) and later output is dropped, and the command
/// then ends quietly, as ripgrep does.
pub fn write(args: fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_fmt(args).and_then(|()| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Whether stdout's reader went away.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// `println!` to stdout through [`write`].
macro_rules! outln {
    () => { $crate::output::write(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` to stdout through [`write`].
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write(format_args!($($arg)*)) };
}

pub(crate) use {out, outln};

/// Print a value as pretty JSON on stdout.
pub fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => outln!("{s}"),
        Err(e) => eprintln!("error[internal]: cannot format output: {e}"),
    }
}

/// Report an error: `error[code]: message` and a hint, or a JSON object.
pub fn error(e: &Error, as_json: bool) {
    if as_json {
        match serde_json::to_string(e) {
            Ok(s) => eprintln!("{s}"),
            Err(_) => eprintln!("{{\"code\":\"{}\"}}", e.code()),
        }
    } else {
        eprintln!("error[{}]: {}", e.code(), e.message());
        eprintln!("  hint: {}", e.suggestion());
    }
}

/// Print rows as left-aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        outln!("{}", s.trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}

/// The first `n` items, comma-separated, then "and N more" for the rest
/// ("3, 7, 9 and 99,997 more"): one readable line however many there are.
pub fn first_few<T: fmt::Display>(items: &[T], n: usize) -> String {
    let shown: Vec<String> = items.iter().take(n).map(T::to_string).collect();
    match items.len().saturating_sub(n) {
        0 => shown.join(", "),
        rest => format!("{} and {rest} more", shown.join(", ")),
    }
}

/// Print advice on stderr.
pub fn warn(msg: &str) {
    eprintln!("warning: {msg}");
}

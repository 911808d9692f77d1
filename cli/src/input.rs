//! Reading passphrases and values: from a file, a hidden prompt, or
//! standard input when it is not a terminal (one line for a passphrase,
//! the rest for a value).

use keyclave_core::crypto::SecretString;
use keyclave_core::{Error, ErrorCode, Result};
use std::io::{BufRead, IsTerminal, Read};
use std::path::Path;

fn strip_newline(mut s: String) -> String {
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    s
}

fn read_file(path: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::invalid(format!("cannot read the {what} file {}: {e}", path.display())))
}

/// First line of a passphrase file. Warns, as ssh does for keys, when
/// others may read it.
pub fn passphrase_from_file(path: &Path) -> Result<SecretString> {
    warn_if_readable_by_others(path);
    let text = zeroize::Zeroizing::new(read_file(path, "passphrase")?);
    let line = text.lines().next().unwrap_or("");
    Ok(SecretString::new(line.to_owned()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            crate::output::warn(&format!(
                "the passphrase file {} can be read by others (mode {mode:04o}); run `chmod 600` on it",
                path.display()
            ));
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

fn prompt_hidden(prompt: &str) -> Result<SecretString> {
    rpassword::prompt_password(prompt)
        .map(SecretString::new)
        .map_err(|e| Error::invalid(format!("cannot read from the terminal: {e}")))
}

fn stdin_line(what: &str) -> Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::invalid(format!("cannot read the {what} from standard input: {e}")))?;
    Ok(SecretString::new(strip_newline(line)))
}

/// The passphrase: `--passphrase-file`, else a prompt, else one stdin line.
pub fn passphrase(file: Option<&Path>, prompt: &str) -> Result<SecretString> {
    match file {
        Some(f) => passphrase_from_file(f),
        None if stdin_is_terminal() => prompt_hidden(prompt),
        None => stdin_line("passphrase"),
    }
}

/// A new passphrase: from a file (asked nothing), else asked twice at a
/// terminal, else one stdin line.
pub fn new_passphrase(file: Option<&Path>, prompt: &str) -> Result<SecretString> {
    match file {
        Some(f) => passphrase_from_file(f),
        None if stdin_is_terminal() => {
            eprintln!("Choose a passphrase of at least 8 characters. It cannot be recovered if lost.");
            let first = prompt_hidden(prompt)?;
            let second = prompt_hidden("Repeat it: ")?;
            if first.expose_secret() != second.expose_secret() {
                return Err(Error::new(ErrorCode::PassphraseMismatch, "the two passphrases differ"));
            }
            Ok(first)
        }
        None => stdin_line("new passphrase"),
    }
}

/// A secret value: `--value-file`, else a hidden prompt at a terminal, else
/// the rest of standard input (one trailing newline dropped).
pub fn value(file: Option<&Path>, key_name: &str) -> Result<SecretString> {
    match file {
        Some(f) => Ok(SecretString::new(strip_newline(read_file(f, "value")?))),
        None if stdin_is_terminal() => prompt_hidden(&format!("Value for {key_name}: ")),
        None => {
            let mut s = String::new();
            std::io::stdin()
                .lock()
                .read_to_string(&mut s)
                .map_err(|e| Error::invalid(format!("cannot read the value from standard input: {e}")))?;
            Ok(SecretString::new(strip_newline(s)))
        }
    }
}

/// A short one-time code (TOTP): a prompt at a terminal, else one stdin line.
pub fn code(prompt: &str) -> Result<SecretString> {
    if stdin_is_terminal() { prompt_hidden(prompt) } else { stdin_line("code") }
}

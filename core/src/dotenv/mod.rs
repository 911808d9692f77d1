//! `.env` files: a lossless parser, duplicate and alias warnings, patch
//! plans with per-key decisions, a masked diff preview, crash-safe writes
//! with rotated backups, and generation of new files.
//!
//! ```text
//! Document::read / Document::parse  →  Document::warnings
//!                                   →  Document::plan(desired, policy) → Plan
//! generate(entries, options)        →  Plan
//! Plan::masked_diff (preview)  →  apply(path, &plan, &options) → ApplyReport
//! ```
//!
//! # Losslessness
//!
//! [`Document::parse`] never fails and [`Document::print`] gives back the
//! input byte for byte, for any input: a leading UTF-8 BOM, `\n` and `\r\n`
//! (per line, mixed files too), a last line without a terminator, comments,
//! blank lines, spacing and quoting are all kept. A line the parser does not
//! understand becomes an opaque item, kept verbatim and never patched.
//!
//! # How values are read
//!
//! As python-dotenv (1.x) and dotenvy read them, with these choices where
//! they disagree or where their behaviour is an accident:
//!
//! - A line is `[export ]KEY=VALUE`, with any blanks (spaces, tabs) before
//!   the key, around `=` and after the value. `export` must be followed by
//!   a blank; `export=1` is the key `export`. A key is any run of characters
//!   other than blanks, `=` and `#` (as python-dotenv; Unicode keys are
//!   kept). A key in single quotes is the text between them (`'a'=b`, as
//!   python-dotenv). A line without `=` (`KEY` alone, which python-dotenv
//!   reads as a key without value) is opaque.
//! - Bare values are trimmed; a comment starts at a `#` preceded by a blank,
//!   so `A=x#y` is `x#y` and `A=#y` is `#y` (python-dotenv), while `A= #y`
//!   is empty (dotenvy and shells; python-dotenv reads `#y` there).
//! - In single quotes `\'` and `\\` are escapes and any other backslash is
//!   kept (python-dotenv; shells and dotenvy read backslashes literally
//!   there). KeyClave never writes a backslash in single quotes.
//! - Double quotes decode `\n \r \t \" \\ \' \a \b \f \v`; any other
//!   backslash is kept with the character after it (python-dotenv). A
//!   backslash always escapes the next character when looking for the
//!   closing quote, so `"a\\"` is `a\` (python-dotenv's regex can read past
//!   it when a later quote exists).
//! - Quoted values may span lines. After the closing quote only blanks and
//!   a `#` comment may follow on that line; anything else, or no closing
//!   quote at all, makes the first line opaque and reading goes on with the
//!   next line (an open quote does not swallow the rest of the file).
//! - `${VAR}` and `$VAR` are kept as written, quoted or not: KeyClave never
//!   expands variables (python-dotenv does by default, dotenvy does too);
//!   writing `${…}` back is therefore always faithful.
//! - Only `\n` and `\r\n` end lines; a lone `\r` is an ordinary character,
//!   not a blank (python-dotenv and Node's dotenv also split lines on it; a
//!   stray CR pasted into a value must not cut it in two). Blanks are the
//!   other Unicode white space characters (space, tab, NBSP…).
//! - Of duplicate keys the last assignment is the one in effect, and the one
//!   a patch updates.
//!
//! Values are [`SecretString`](crate::crypto::SecretString)s and the
//! document's text is wiped on drop; `Debug` output, errors, warnings,
//! plans' per-key changes, reports and diffs never hold a value.

mod analyze;
mod diff;
mod encode;
mod generate;
mod parse;
mod plan;
mod write;

pub use analyze::Warning;
pub use diff::{MASK, NEW_MASK};
pub use generate::{GenerateOptions, generate};
pub use parse::{BOM, Document, Entry, Item, ItemKind, LineEnding, Quote};
pub use plan::{Action, Counts, Decision, DesiredEntry, KeyChange, Plan, Policy};
pub use write::{
    ApplyOptions, ApplyReport, ApplyStage, BACKUP_MARKER, DEFAULT_KEEP_BACKUPS, MAX_FILE_LEN, apply,
    list_backups, restore_backup,
};

//! `keyclave import FILE|-`

use keyclave_core::conflict::{ConflictDecision, ImportDecisions};
use keyclave_core::import::{self, Format, ImportOptions, ImportPreview, Parsed};
use keyclave_core::secrets::Provenance;
use keyclave_core::{Error, ErrorCode, Result};
use serde_json::{Value, json};
use std::io::IsTerminal;
use std::path::Path;
use zeroize::Zeroizing;

use super::Context;
use crate::args::ImportArgs;
use crate::output;
use crate::output::outln;

/// An import stopped by Ctrl-C before its commit.
fn interrupted() -> Error {
    Error::new(ErrorCode::JobCancelled, "the import was interrupted (Ctrl-C) before anything was written")
        .with_suggestion("Nothing was imported; run the command again to import.")
}

/// Overridden line numbers listed per key before "and N more".
const LINES_LISTED: usize = 5;
/// Warnings listed before "and N more".
const WARNINGS_LISTED: usize = 20;

fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let cannot = |e: std::io::Error| Error::invalid(format!("cannot read {}: {e}", path.display()));
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if meta.is_dir() {
        return Err(Error::invalid(format!("{} is a folder", path.display()))
            .with_suggestion("Name a .env or JSON file, or - for standard input."));
    }
    // Not only regular files: `<(command)` is a pipe. read_input stops
    // after the limit, so /dev/zero or a huge pipe is an error, not an OOM.
    import::read_input(std::fs::File::open(path).map_err(cannot)?).map_err(|e| match e.code() {
        ErrorCode::StorageIo => Error::invalid(format!("cannot read {}: {}", path.display(), e.message())),
        _ => e,
    })
}

fn read_stdin() -> Result<Zeroizing<Vec<u8>>> {
    if std::io::stdin().is_terminal() {
        eprintln!("Paste the text to import, then press Ctrl-D on an empty line.");
    }
    import::read_input(std::io::stdin().lock())
}

/// "3" or "8-10".
fn lines(first: u32, last: u32) -> String {
    if first == last { first.to_string() } else { format!("{first}-{last}") }
}

pub fn run(ctx: Context, args: ImportArgs) -> Result<()> {
    let format: Format = args.format.parse()?;
    let decision: Option<ConflictDecision> = args.on_conflict.as_deref().map(str::parse).transpose()?;
    let from_stdin = args.input.as_os_str() == "-";
    let cancel = (!args.dry_run).then(tokio_util::sync::CancellationToken::new);
    let options = ImportOptions {
        provider_id: args.provider.clone(),
        strict: args.strict,
        provenance: if from_stdin {
            Provenance::paste(Some("stdin"))
        } else {
            Provenance::file_import(&args.input)
        },
        cancel,
    };
    // A file is read (and refused if unreadable) before asking for the
    // passphrase; standard input after it, since the passphrase may be its
    // first line.
    let (vault, parsed) = if from_stdin {
        let vault = ctx.unlock()?;
        (vault, import::parse(&read_stdin()?, format)?)
    } else {
        let parsed = import::parse(&read_file(&args.input)?, format)?;
        (ctx.unlock()?, parsed)
    };

    if args.dry_run {
        let preview = import::preview(&vault, &parsed, &options)?;
        vault.close()?;
        if ctx.json {
            output::json(&dry_run_json(&parsed, &preview)?);
        } else {
            print_preview(&preview, decision);
        }
        return Ok(());
    }

    let decisions = decision.map(ImportDecisions::all).unwrap_or_default();
    // From here (past the passphrase prompt) Ctrl-C does not kill the
    // process: before the commit it cancels the import (nothing written);
    // after it the result is still printed, so an import never ends in
    // silence. Without a handler Ctrl-C keeps its default, which is safe
    // too: the import is one transaction.
    if let Some(token) = options.cancel.clone() {
        let _ = ctrlc::set_handler(move || token.cancel());
    }
    let report = import::apply(&vault, parsed, &options, &decisions).map_err(|e| match e.code() {
        ErrorCode::ImportConflict => e.with_suggestion(
            "Pass --on-conflict keep, replace or skip (see the conflicts first with --dry-run).",
        ),
        ErrorCode::JobCancelled => interrupted(),
        _ => e,
    })?;
    vault.close()?;
    if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
        eprintln!("Ctrl-C came after the import was committed: it is complete, as reported below.");
    }
    let c = report.counts;
    if ctx.json {
        output::json(&json!({
            "added": c.added,
            "replaced": c.replaced,
            "kept": c.kept,
            "skipped": c.skipped,
            "rejected": report.rejected,
            "unparsed": report.unparsed,
            "superseded": report.superseded,
        }));
    } else {
        outln!(
            "Imported: {} added, {} replaced, {} kept, {} skipped.",
            c.added,
            c.replaced,
            c.kept,
            c.skipped
        );
        let not_imported = report.rejected + report.unparsed;
        if not_imported > 0 {
            output::warn(&format!("{not_imported} line(s) were not imported; list them with --dry-run."));
        }
    }
    Ok(())
}

/// The preview as JSON, each entry with its value's HMAC-SHA256 under a
/// key made for this run and printed beside them (tests and scripts check
/// what was read without the value being printed or guessable).
fn dry_run_json(parsed: &Parsed, preview: &ImportPreview) -> Result<Value> {
    let key = import::ValueDigestKey::random();
    let mut v = serde_json::to_value(preview).map_err(|e| Error::internal(format!("cannot format: {e}")))?;
    if let Some(entries) = v.get_mut("entries").and_then(Value::as_array_mut) {
        // preview.entries[i] describes parsed.entries()[i].
        for (out, e) in entries.iter_mut().zip(parsed.entries()) {
            if let Some(obj) = out.as_object_mut() {
                obj.insert("value_hmac_sha256".into(), Value::String(e.value_digest(&key)));
            }
        }
    }
    if let Some(obj) = v.as_object_mut() {
        obj.insert("dry_run".into(), Value::Bool(true));
        obj.insert("value_hmac_key".into(), Value::String(key.to_hex()));
    }
    Ok(v)
}

fn print_preview(p: &ImportPreview, decision: Option<ConflictDecision>) {
    let not_imported = p.rejected.len() + p.unparsed.len();
    outln!(
        "Read as {}: {} to import, {} already in the vault, {} line(s) not importable.",
        p.format.as_str(),
        p.entries.len(),
        p.conflicts(),
        not_imported
    );
    for note in &p.notes {
        outln!("Note: {note}");
    }
    if !p.entries.is_empty() {
        outln!();
        // --on-conflict applies to conflicts only: a new key is always added.
        let status = |conflict: bool| match (conflict, decision) {
            (false, _) => "new",
            (true, None) => "exists (undecided)",
            (true, Some(ConflictDecision::Keep)) => "exists (keep)",
            (true, Some(ConflictDecision::Replace)) => "exists (replace)",
            (true, Some(ConflictDecision::Skip)) => "exists (skip)",
        };
        let rows: Vec<Vec<String>> = p
            .entries
            .iter()
            .map(|e| {
                vec![
                    lines(e.line, e.last_line),
                    e.key_name.clone(),
                    e.provider_id.clone(),
                    status(e.conflict).to_owned(),
                ]
            })
            .collect();
        output::table(&["LINE", "KEY", "PROVIDER", "STATUS"], &rows);
    }
    let warnings: Vec<String> = p
        .entries
        .iter()
        .flat_map(|e| {
            let superseded = (!e.superseded_lines.is_empty()).then(|| {
                format!(
                    "line {}: {} overrides line(s) {}",
                    e.line,
                    e.key_name,
                    output::first_few(&e.superseded_lines, LINES_LISTED)
                )
            });
            superseded
                .into_iter()
                .chain(e.warnings.iter().map(|w| format!("line {}: {}: {w}", e.line, e.key_name)))
        })
        .collect();
    if !warnings.is_empty() {
        outln!("\nWarnings:");
        for w in warnings.iter().take(WARNINGS_LISTED) {
            outln!("  {w}");
        }
        if warnings.len() > WARNINGS_LISTED {
            outln!("  … and {} more (--json lists them all)", warnings.len() - WARNINGS_LISTED);
        }
    }
    if not_imported > 0 {
        // Line numbers and reasons only: such a line may be a value.
        let mut rows: Vec<(u32, String)> = p
            .rejected
            .iter()
            .map(|r| {
                let key = r.key_name.as_deref().map(|k| format!(" ({k})")).unwrap_or_default();
                (r.line, format!("line {}{key}: {}", lines(r.line, r.last_line), r.message))
            })
            .chain(
                p.unparsed
                    .iter()
                    .map(|u| (u.line, format!("line {}: {}", lines(u.line, u.last_line), u.message))),
            )
            .collect();
        rows.sort_by_key(|(line, _)| *line);
        outln!("\nNot imported:");
        for (_, row) in rows {
            outln!("  {row}");
        }
    }
    outln!("\nDry run: nothing was written.");
}

//! `.env` files: lossless parsing of adversarial input, warnings, patch
//! minimality, masked previews, crash-safe writes, backups, permissions.

use chrono::{TimeZone, Utc};
use keyclave_core::ErrorCode;
use keyclave_core::dotenv::{
    self, Action, ApplyOptions, ApplyStage, Decision, DesiredEntry, Document, GenerateOptions, ItemKind,
    Policy, Quote, Warning,
};
use proptest::prelude::*;
use std::fs;
use std::path::{Path, PathBuf};

/// Every kind of line a real `.env` holds, and some it should not.
const ADVERSARIAL: &str = concat!(
    "\u{FEFF}# leading BOM, then a comment\r\n",
    "\r\n",
    "PLAIN=value\r\n",
    "SPACED   =   spaced value   \n",
    "\tTABBED\t=\ttabbed\t\n",
    "export EXPORTED=yes\n",
    "INLINE=kept # dropped comment\n",
    "HASH=no#comment\n",
    "EQUALS=a=b==c\n",
    "EMPTY=\n",
    "EMPTY_QUOTED=\"\"\n",
    "SINGLE='lit $HOME \\n'\n",
    "DOUBLE=\"tab\\tnl\\nquote\\\" backslash\\\\\"\n",
    "REF=${OTHER}/path\n",
    "REF_QUOTED=\"${OTHER}\"\n",
    "UNICODE=héllo wörld ✓\n",
    "ключ=значение\n",
    "MULTI=\"line one\r\nline two\"\r\n",
    "MULTI_SINGLE='a\nb'\n",
    "DUP=first\n",
    "GH_TOKEN=alias\n",
    "this line is not an assignment\n",
    "BROKEN=\"never closed\n",
    "TRAILING_JUNK=\"x\" y\n",
    "DUP=second\n",
    "GITHUB_TOKEN=canonical\n",
    "LAST=no newline at end",
);

fn value(doc: &Document, key: &str) -> Option<String> {
    doc.get(key).map(|e| e.value().expose_secret().to_owned())
}

#[test]
fn adversarial_file_reads_like_dotenv_libraries_and_round_trips() {
    let doc = Document::parse(ADVERSARIAL);
    assert_eq!(doc.print().as_str(), ADVERSARIAL);
    assert!(doc.has_bom());
    let expect = [
        ("PLAIN", "value"),
        ("SPACED", "spaced value"),
        ("TABBED", "tabbed"),
        ("EXPORTED", "yes"),
        ("INLINE", "kept"),
        ("HASH", "no#comment"),
        ("EQUALS", "a=b==c"),
        ("EMPTY", ""),
        ("EMPTY_QUOTED", ""),
        ("SINGLE", "lit $HOME \\n"),
        ("DOUBLE", "tab\tnl\nquote\" backslash\\"),
        ("REF", "${OTHER}/path"),
        ("REF_QUOTED", "${OTHER}"),
        ("UNICODE", "héllo wörld ✓"),
        ("ключ", "значение"),
        ("MULTI", "line one\r\nline two"),
        ("MULTI_SINGLE", "a\nb"),
        ("DUP", "second"),
        ("LAST", "no newline at end"),
    ];
    for (k, v) in expect {
        assert_eq!(value(&doc, k).as_deref(), Some(v), "{k}");
    }
    assert!(doc.get("EXPORTED").is_some_and(|e| e.exported()));
    assert_eq!(doc.get("SINGLE").map(|e| e.quote()), Some(Quote::Single));
    assert!(doc.get("BROKEN").is_none());
    assert!(value(&doc, "TRAILING_JUNK").is_none());
    let opaque: Vec<String> = doc.opaque_items().map(|i| doc.expose_raw(i).trim_end().to_owned()).collect();
    assert_eq!(opaque, ["this line is not an assignment", "BROKEN=\"never closed", "TRAILING_JUNK=\"x\" y"]);
    let multi = doc.items().iter().find(|i| i.entry().is_some_and(|e| e.key() == "MULTI")).unwrap();
    assert_eq!(multi.lines(), 18..=19);

    let warnings = doc.warnings();
    assert!(warnings.iter().any(|w| matches!(w, Warning::DuplicateKey { key, lines, effective_line }
        if key == "DUP" && lines.len() == 2 && *effective_line == lines[1])));
    let alias = warnings.iter().find(|w| matches!(w, Warning::AliasConflict { .. })).unwrap();
    assert!(alias.message().contains("GH_TOKEN") && alias.message().contains("GITHUB_TOKEN"));
}

#[test]
fn python_dotenv_reads_the_fixture_the_same_way() {
    // Only where python-dotenv is installed; the bench script installs it.
    let script = r#"
import sys, json
from dotenv import dotenv_values
print(json.dumps(dotenv_values(stream=__import__('io').StringIO(sys.stdin.read()), interpolate=False)))
"#;
    let text = ADVERSARIAL.replace("\u{FEFF}", "");
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(text.as_bytes())?;
            c.wait_with_output()
        });
    let Ok(out) = out else { return };
    if !out.status.success() {
        eprintln!("python-dotenv not available: skipped");
        return;
    }
    let theirs: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let doc = Document::parse(&text);
    let mut agreed = 0;
    for e in doc.entries() {
        // Documented differences: single-quote escapes, lone keys, broken lines.
        if let Some(serde_json::Value::String(v)) = theirs.get(e.key()) {
            if doc.get(e.key()).is_some_and(|last| std::ptr::eq(last, e)) {
                assert_eq!(e.value().expose_secret(), v, "{}", e.key());
                agreed += 1;
            }
        }
    }
    assert!(agreed >= 15, "only {agreed} keys compared");
}

// ---------------------------------------------------------------- proptest

/// Strings shaped like `.env` files, with every awkward feature.
fn dotenv_like() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        "[A-Z_][A-Z0-9_]{0,6}",
        "[a-zé]{1,3}",
        Just("export".to_owned()),
        Just("GH_TOKEN".to_owned()),
        Just("GITHUB_TOKEN".to_owned()),
    ];
    let blank = "[ \t]{0,2}";
    let value = prop_oneof![
        "[a-zA-Z0-9 #=${}.✓]{0,10}",
        "'[a-z \n$\\\\\"]{0,8}'",
        "\"([a-z \n#'$]|\\\\[nt\"\\\\x])*\"",
        "[\"'][a-z]{0,5}",
        "\"[a-z]{0,3}\" ?[a-z#]{0,3}",
    ];
    let assignment = (
        prop::bool::ANY,
        blank,
        key,
        blank,
        blank,
        value,
        prop_oneof![Just(String::new()), "[ \t]{1,2}#[a-z \"']{0,6}"],
    )
        .prop_map(|(export, b1, k, b2, b3, v, c)| {
            format!("{}{b1}{k}{b2}={b3}{v}{c}", if export { "export " } else { "" })
        });
    let line = prop_oneof![
        6 => assignment,
        1 => "[ \t]*#[^\n]{0,10}",
        1 => "[ \t]{0,3}",
        1 => "[^\n]{0,12}",
    ];
    let eol = prop_oneof![Just("\n"), Just("\r\n"), Just("\r")];
    (prop::bool::ANY, prop::collection::vec((line, eol), 0..16), prop::option::of("[^\n]{0,8}")).prop_map(
        |(bom, lines, last)| {
            let mut s = String::new();
            if bom {
                s.push('\u{FEFF}');
            }
            for (l, e) in lines {
                s.push_str(&l);
                s.push_str(e);
            }
            s.push_str(&last.unwrap_or_default());
            s
        },
    )
}

fn check_structure(text: &str) -> Result<(), TestCaseError> {
    let doc = Document::parse(text);
    let printed = doc.print();
    prop_assert_eq!(printed.as_str(), text);
    // Items tile the text and their line numbers follow each other.
    let mut at = if doc.has_bom() { 3 } else { 0 };
    let mut line = 1;
    for item in doc.items() {
        prop_assert_eq!(item.span().start, at);
        prop_assert_eq!(*item.lines().start(), line);
        let newlines = text[item.span()].matches('\n').count();
        let expected_end = line + newlines - usize::from(text[item.span()].ends_with('\n'));
        prop_assert_eq!(*item.lines().end(), expected_end);
        at = item.span().end;
        line = expected_end + 1;
        if let ItemKind::Entry(e) = item.kind() {
            prop_assert!(item.span().contains(&e.value_span().start) || e.value_span().is_empty());
        }
    }
    prop_assert_eq!(at, text.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_string_round_trips(text in any::<String>()) {
        check_structure(&text)?;
    }

    #[test]
    fn dotenv_like_text_round_trips(text in dotenv_like()) {
        check_structure(&text)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Overwriting one key changes its value's bytes and nothing else, and
    /// the file then reads the new value; or the plan is refused because an
    /// unterminated quote on another line would read differently.
    #[test]
    fn an_update_touches_only_the_value(text in dotenv_like(), pick in any::<prop::sample::Index>(),
                                        new in "\\PC{0,10}|[a-z\n\r\t\"'\\\\$ ]{0,10}") {
        let doc = Document::parse(&text);
        let valid = |k: &str| k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let keys: Vec<String> = doc.entries().map(|e| e.key().to_owned()).filter(|k| valid(k)).collect();
        prop_assume!(!keys.is_empty());
        let key = &keys[pick.index(keys.len())];
        let span = doc.get(key).unwrap().value_span();
        let plan = match doc
            .plan(&[DesiredEntry::new(key.clone(), new.clone(), "generic")], &Policy::new(Decision::Overwrite))
        {
            Ok(plan) => plan,
            Err(e) => {
                // Only an unterminated quote elsewhere can make it unsafe.
                prop_assert_eq!(e.code(), ErrorCode::DotenvUnsafePatch);
                prop_assert!(doc.opaque_items().next().is_some());
                return Ok(());
            }
        };
        let after = plan.expose_new_text();
        let same = doc.get(key).is_some_and(|e| e.value().expose_secret() == new);
        if same {
            prop_assert_eq!(after, text.as_str());
        } else {
            let suffix = &text[span.end..];
            prop_assert!(after.starts_with(&text[..span.start]));
            prop_assert!(after.ends_with(suffix));
            let written = &after[span.start..after.len() - suffix.len()];
            prop_assert!(!written.contains('\n'));
            prop_assert_eq!(value(&Document::parse(after), key), Some(new));
        }
    }

    /// Adding keys either works (and every old key reads as before) or is
    /// refused because an open quote would swallow the new block.
    #[test]
    fn adds_never_change_other_keys(text in dotenv_like(), new in "\\PC{0,10}|[ #\"'\n]{0,4}") {
        let doc = Document::parse(&text);
        let desired = [DesiredEntry::new("KC_NEW_KEY", new.clone(), "openai")];
        match doc.plan(&desired, &Policy::new(Decision::Overwrite)) {
            Ok(plan) => {
                let after = Document::parse(plan.expose_new_text());
                prop_assert!(plan.expose_new_text().starts_with(&text));
                for e in doc.entries() {
                    if e.key() != "KC_NEW_KEY" {
                        prop_assert_eq!(value(&after, e.key()), value(&doc, e.key()));
                    }
                }
                prop_assert_eq!(value(&after, "KC_NEW_KEY"), Some(new));
            }
            Err(e) => {
                prop_assert_eq!(e.code(), ErrorCode::DotenvUnsafePatch);
                prop_assert!(doc.opaque_items().next().is_some());
            }
        }
    }
}

// ---------------------------------------------------------------- plans

#[test]
fn patch_changes_only_the_target_line() {
    let text = "# top\r\nexport A = \"old\" # keep me\r\nB=2\r\nA=older\r\nC='3'\r\ngarbage line\r\n";
    let doc = Document::parse(text);
    let plan = doc
        .plan(&[DesiredEntry::new("A", "brand new", "generic")], &Policy::new(Decision::Overwrite))
        .unwrap();
    let before: Vec<&str> = text.split_inclusive('\n').collect();
    let after: Vec<&str> = plan.expose_new_text().split_inclusive('\n').collect();
    assert_eq!(before.len(), after.len());
    let changed: Vec<usize> = (0..before.len()).filter(|&i| before[i] != after[i]).collect();
    assert_eq!(changed, [3], "only the effective (last) A changes");
    assert_eq!(after[3], "A=\"brand new\"\r\n");
    assert_eq!(plan.changes()[0].line, Some(4));
}

#[test]
fn new_keys_go_in_provider_blocks_after_a_missing_newline() {
    let doc = Document::parse("export A=1\nexport B=2");
    let desired = [
        DesiredEntry::new("GITHUB_TOKEN", "ghp_x", "github"),
        DesiredEntry::new("STRIPE_SECRET_KEY", "sk_test_x", "stripe"),
    ];
    let plan = doc.plan(&desired, &Policy::default()).unwrap();
    assert_eq!(
        plan.expose_new_text(),
        "export A=1\nexport B=2\n\n# GitHub\nexport GITHUB_TOKEN=ghp_x\n\n# Stripe\nexport STRIPE_SECRET_KEY=sk_test_x\n"
    );
}

#[test]
fn masked_diff_never_shows_a_value() {
    let old_values = ["0ld-S3cret-Alpha", "0ld-S3cret-Beta", "0ld-multi-Gamma", "0ld-open-Delta"];
    let text = format!(
        "# config\nALPHA={}\nBETA=\"{}\" # note\nGAMMA=\"{}\nsecond-line-Epsilon\"\nDELTA=\"{}\nTAIL=1\n",
        old_values[0], old_values[1], old_values[2], old_values[3]
    );
    let new_values = ["N3w-Value-Zeta", "N3w value Eta", "N3w-Added-Theta"];
    let doc = Document::parse(&text);
    let desired = [
        DesiredEntry::new("ALPHA", new_values[0], "generic"),
        DesiredEntry::new("BETA", new_values[1], "generic"),
        DesiredEntry::new("OPENAI_API_KEY", new_values[2], "openai"),
    ];
    let plan = doc.plan(&desired, &Policy::new(Decision::Overwrite)).unwrap();
    let diff = plan.masked_diff(".env");
    for v in old_values.iter().chain(&new_values).chain(&["second-line-Epsilon"]) {
        assert!(!diff.contains(v), "{v} leaked:\n{diff}");
    }
    assert!(diff.contains("\n-ALPHA=••••••\n") && diff.contains("\n+ALPHA=••••••(new)\n"), "{diff}");
    assert!(diff.contains("\n-BETA=\"••••••\" # note\n+ALPHA"), "{diff}");
    assert!(diff.contains("+OPENAI_API_KEY=••••••(new)"), "{diff}");
    assert!(diff.contains("+# OpenAI"), "{diff}");
    assert!(diff.starts_with("--- a/.env\n+++ b/.env\n"), "{diff}");
    let debug = format!("{plan:?} {:?} {:?}", plan.changes(), plan.warnings());
    for v in old_values.iter().chain(&new_values) {
        assert!(!debug.contains(v), "{v} leaked in {debug}");
    }
}

// ---------------------------------------------------------------- disk

fn setup(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    fs::write(&path, text).unwrap();
    (dir, path)
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn overwrite(path: &Path, key: &str, value: &str) -> dotenv::Plan {
    let doc = Document::read(path).unwrap();
    doc.plan(&[DesiredEntry::new(key, value, "generic")], &Policy::new(Decision::Overwrite)).unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn apply_backs_up_and_replaces_atomically_keeping_endings_and_mode() {
    let original = "# x\r\nA=1\r\nB=2";
    let (dir, path) = setup(original);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    }
    let plan = overwrite(&path, "A", "42");
    let now = Utc.with_ymd_and_hms(2026, 2, 6, 14, 25, 0).single();
    let report = dotenv::apply(&path, &plan, &ApplyOptions { now, ..ApplyOptions::default() }).unwrap();
    assert!(report.written && !report.created);
    assert_eq!(report.counts.updated, 1);
    assert_eq!(fs::read_to_string(&path).unwrap(), "# x\r\nA=42\r\nB=2");
    let backup = report.backup.clone().unwrap();
    assert_eq!(backup.file_name().unwrap(), ".env.keyclave-backup-20260206T142500Z");
    assert_eq!(fs::read_to_string(&backup).unwrap(), original);
    #[cfg(unix)]
    {
        assert_eq!(mode(&path), 0o640, "the original's mode is kept");
        assert_eq!(mode(&backup), 0o600, "backups are owner-only");
    }
    assert_eq!(dir_names(dir.path()), [".env", ".env.keyclave-backup-20260206T142500Z"]);
    let meta = report.audit_metadata().to_string();
    assert!(!meta.contains("42") && !meta.contains(".env") && !meta.contains("\"A\""), "{meta}");
    // Nothing to do: nothing written, no backup.
    let again = dotenv::apply(&path, &overwrite(&path, "A", "42"), &ApplyOptions::default()).unwrap();
    assert!(!again.written && again.backup.is_none());
    assert_eq!(again.counts.unchanged, 1);
}

#[cfg(unix)]
#[test]
fn a_new_file_is_owner_only_and_generate_never_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env");
    let plan = Document::read(&path)
        .unwrap()
        .plan(&[DesiredEntry::new("A", "1", "generic")], &Policy::default())
        .unwrap();
    let r = dotenv::apply(&path, &plan, &ApplyOptions::default()).unwrap();
    assert!(r.created && r.backup.is_none());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(fs::read_to_string(&path).unwrap(), "# Unassigned\nA=1\n");

    let gen_path = dir.path().join("generated.env");
    let entries = [DesiredEntry::new("GH_TOKEN", "ghp_generated", "github")];
    let options = GenerateOptions { canonical_names: true, ..GenerateOptions::default() };
    let plan = dotenv::generate(&entries, &options).unwrap();
    assert!(!plan.masked_diff("generated.env").contains("ghp_generated"));
    dotenv::apply(&gen_path, &plan, &ApplyOptions::default()).unwrap();
    assert_eq!(mode(&gen_path), 0o600);
    let doc = Document::read(&gen_path).unwrap();
    assert_eq!(value(&doc, "GITHUB_TOKEN").as_deref(), Some("ghp_generated"));
    let e = dotenv::apply(&gen_path, &plan, &ApplyOptions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DotenvAlreadyExists);
}

#[test]
fn backups_rotate_to_the_newest_n() {
    let (dir, path) = setup("A=0\n");
    for i in 1..=6u32 {
        let now = Utc.with_ymd_and_hms(2026, 1, i, 0, 0, 0).single();
        let plan = overwrite(&path, "A", &i.to_string());
        let r =
            dotenv::apply(&path, &plan, &ApplyOptions { keep_backups: 3, now, ..ApplyOptions::default() })
                .unwrap();
        assert_eq!(r.backups_removed, usize::from(i > 3));
    }
    let backups = dotenv::list_backups(&path).unwrap();
    let names: Vec<String> =
        backups.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(
        names,
        [
            ".env.keyclave-backup-20260104T000000Z",
            ".env.keyclave-backup-20260105T000000Z",
            ".env.keyclave-backup-20260106T000000Z"
        ]
    );
    assert_eq!(fs::read_to_string(&backups[2]).unwrap(), "A=5\n");
    // Same second twice: a suffix, not an overwrite.
    let now = Utc.with_ymd_and_hms(2026, 1, 6, 0, 0, 0).single();
    dotenv::apply(&path, &overwrite(&path, "A", "7"), &ApplyOptions { now, ..ApplyOptions::default() })
        .unwrap();
    assert!(dir_names(dir.path()).contains(&".env.keyclave-backup-20260106T000000Z-1".to_owned()));
    assert_eq!(dotenv::list_backups(&path).unwrap().len(), 4);
}

#[test]
fn a_crash_at_any_step_leaves_the_original_or_the_new_file() {
    let original = "A=original\nB=2\n";
    for stage in [ApplyStage::BackupWritten, ApplyStage::TempWritten, ApplyStage::Renamed] {
        let (dir, path) = setup(original);
        let plan = overwrite(&path, "A", "patched");
        let options = ApplyOptions { stop_after: Some(stage), ..ApplyOptions::default() };
        let e = dotenv::apply(&path, &plan, &options).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DotenvInterrupted);
        let now = fs::read_to_string(&path).unwrap();
        let backups = dotenv::list_backups(&path).unwrap();
        assert_eq!(backups.len(), 1, "{stage:?}: the backup is there");
        assert_eq!(fs::read_to_string(&backups[0]).unwrap(), original);
        let names = dir_names(dir.path());
        match stage {
            ApplyStage::BackupWritten => {
                assert_eq!(now, original);
                assert_eq!(names.len(), 2, "{names:?}");
            }
            ApplyStage::TempWritten => {
                assert_eq!(now, original);
                assert!(names.iter().any(|n| n.starts_with(".env.keyclave-tmp-")), "{names:?}");
                // The next apply cleans up the leftover and succeeds.
                dotenv::apply(&path, &plan, &ApplyOptions::default()).unwrap();
                assert!(!dir_names(dir.path()).iter().any(|n| n.contains("keyclave-tmp")));
                assert_eq!(fs::read_to_string(&path).unwrap(), "A=patched\nB=2\n");
            }
            ApplyStage::Renamed => assert_eq!(now, "A=patched\nB=2\n"),
        }
    }
}

#[test]
fn a_file_changed_since_the_preview_is_refused() {
    let (_dir, path) = setup("A=1\n");
    let plan = overwrite(&path, "A", "2");
    fs::write(&path, "A=1\nB=someone else\n").unwrap();
    let e = dotenv::apply(&path, &plan, &ApplyOptions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DotenvChangedOnDisk);
    assert_eq!(fs::read_to_string(&path).unwrap(), "A=1\nB=someone else\n");
    fs::remove_file(&path).unwrap();
    let e = dotenv::apply(&path, &plan, &ApplyOptions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DotenvChangedOnDisk);
}

#[cfg(unix)]
#[test]
fn a_symlink_is_followed_and_kept() {
    let (dir, real) = setup("A=1\n");
    let link = dir.path().join("link.env");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    dotenv::apply(&link, &overwrite(&link, "A", "2"), &ApplyOptions::default()).unwrap();
    assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(fs::read_to_string(&real).unwrap(), "A=2\n");
}

#[test]
fn bad_files_get_structured_errors_without_values() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "S3cr3t-NotUtf8-Value";
    let bin = dir.path().join("bin.env");
    let mut bytes = format!("A={secret}\n").into_bytes();
    bytes.extend_from_slice(&[0xff, 0xfe, 0x00]);
    fs::write(&bin, &bytes).unwrap();
    let e = Document::read(&bin).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DotenvNotUtf8);
    assert!(!format!("{e:?} {}", e.suggestion()).contains(secret));

    assert_eq!(Document::read(dir.path()).unwrap_err().code(), ErrorCode::DotenvNotAFile);

    let big = dir.path().join("big.env");
    fs::File::create(&big).unwrap().set_len(dotenv::MAX_FILE_LEN + 1).unwrap();
    assert_eq!(Document::read(&big).unwrap_err().code(), ErrorCode::DotenvTooLarge);

    let (_d, path) = setup("A=1\n");
    let plan = overwrite(&path, "A", "2");
    let e = dotenv::apply(&path, &plan, &ApplyOptions { keep_backups: 0, ..ApplyOptions::default() })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::InputInvalid);

    let doc = Document::parse("A=1\n");
    let e = doc
        .plan(
            &[DesiredEntry::new("A", secret, "generic"), DesiredEntry::new("A", secret, "generic")],
            &Policy::default(),
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::DotenvDuplicateKey);
    assert!(!format!("{e:?}").contains(secret));
}

#[test]
fn plans_report_actions_and_alias_hints() {
    let doc = Document::parse("GH_TOKEN=old\nKEEP=same\n");
    let desired = [
        DesiredEntry::new("GITHUB_TOKEN", "new", "github"),
        DesiredEntry::new("KEEP", "same", "generic"),
        DesiredEntry::new("GH_TOKEN", "other", "github"),
    ];
    let plan =
        doc.plan(&desired, &Policy::new(Decision::Skip).with("GITHUB_TOKEN", Decision::Overwrite)).unwrap();
    let got: Vec<(&str, Action)> = plan.changes().iter().map(|c| (c.key.as_str(), c.action)).collect();
    assert_eq!(
        got,
        [("GITHUB_TOKEN", Action::Add), ("KEEP", Action::Skipped), ("GH_TOKEN", Action::Skipped)]
    );
    assert_eq!(plan.changes()[0].aliases_in_file, ["GH_TOKEN"]);
}

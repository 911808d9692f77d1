//! Bulk import from pasted text or a file: how dotenv and JSON input is
//! read (adversarial input included), the preview, conflict decisions,
//! all-or-nothing writes, and that no value leaks anywhere.

use crate::common::*;
use keyclave_core::conflict::{ConflictDecision, ImportDecisions};
use keyclave_core::import::{self, Format, ImportOptions, Parsed, Reason};
use keyclave_core::secrets;
use keyclave_core::secrets::{NewSecret, Provenance, SourceType};
use keyclave_core::{ErrorCode, Vault};
use proptest::prelude::*;
use std::cell::RefCell;
use std::path::Path;

fn parse_as(text: &str, format: Format) -> Parsed {
    import::parse(text.as_bytes(), format).expect("parses")
}

fn parse(text: &str) -> Parsed {
    parse_as(text, Format::Auto)
}

/// (key, value, first line, last line) of every importable entry.
fn read(p: &Parsed) -> Vec<(String, String, u32, u32)> {
    p.entries()
        .iter()
        .map(|e| (e.key_name().to_owned(), e.value().expose_secret().to_owned(), e.line(), e.last_line()))
        .collect()
}

fn value_of(p: &Parsed, key: &str) -> String {
    let e = p.entries().iter().find(|e| e.key_name() == key).unwrap_or_else(|| panic!("no entry {key}"));
    e.value().expose_secret().to_owned()
}

fn reveal(v: &Vault, key: &str) -> String {
    secrets::reveal(v, key, None, None).expect("reveal").expose_secret().to_owned()
}

fn import_text(
    v: &Vault,
    text: &str,
    decisions: &ImportDecisions,
) -> keyclave_core::Result<import::ImportReport> {
    import::apply(v, parse(text), &ImportOptions::default(), decisions)
}

// --- reading dotenv -------------------------------------------------------------

#[test]
fn dotenv_edge_cases_read_like_python_dotenv() {
    let text = concat!(
        "\u{FEFF}# exported from a shell\r\n",
        "PLAIN=plain-value\r\n",
        "export EXPORTED=from-export\r\n",
        "  SPACED =  spaced out value   # trailing comment\r\n",
        "HASH_IN_VALUE=abc#def\n",
        "SINGLE='lit \\n $HOME # not a comment'\n",
        "DOUBLE=\"tab\\there \\\"quoted\\\" back\\\\slash\"\n",
        "MULTI=\"-----BEGIN KEY-----\nline two\n-----END KEY-----\"\n",
        "REF=${OTHER_VAR}/suffix\n",
        "REF_QUOTED=\"${OTHER_VAR}\"\n",
        "UNICODE_VALUE=Grüße 🔑 ключ\n",
        "\n",
        "LAST=no-trailing-newline"
    );
    let p = parse(text);
    assert_eq!(p.format(), Format::Dotenv);
    assert!(p.unparsed().is_empty(), "{:?}", p.unparsed());
    assert!(p.rejected().is_empty(), "{:?}", p.rejected());
    let got = read(&p);
    let expect: &[(&str, &str, u32, u32)] = &[
        ("PLAIN", "plain-value", 2, 2),
        ("EXPORTED", "from-export", 3, 3),
        ("SPACED", "spaced out value", 4, 4),
        ("HASH_IN_VALUE", "abc#def", 5, 5),
        ("SINGLE", "lit \\n $HOME # not a comment", 6, 6),
        ("DOUBLE", "tab\there \"quoted\" back\\slash", 7, 7),
        ("MULTI", "-----BEGIN KEY-----\nline two\n-----END KEY-----", 8, 10),
        ("REF", "${OTHER_VAR}/suffix", 11, 11),
        ("REF_QUOTED", "${OTHER_VAR}", 12, 12),
        ("UNICODE_VALUE", "Grüße 🔑 ключ", 13, 13),
        ("LAST", "no-trailing-newline", 15, 15),
    ];
    let expect: Vec<(String, String, u32, u32)> =
        expect.iter().map(|(k, v, a, b)| (k.to_string(), v.to_string(), *a, *b)).collect();
    assert_eq!(got, expect);
    // CR never leaks into a single-line value; ${…} gets a warning.
    assert!(got.iter().all(|(_, v, a, b)| a != b || !v.contains('\r')));
    let v = Fixture::new();
    let preview = import::preview(&v.unlock(), &p, &ImportOptions::default()).expect("preview");
    let refs = preview.entries.iter().find(|e| e.key_name == "REF").expect("REF");
    assert!(refs.warnings.iter().any(|w| w.contains("${…}")), "{:?}", refs.warnings);
}

#[test]
fn crlf_inside_a_multi_line_value_is_kept_as_written() {
    // Documented choice: the value is what the file holds (python-dotenv
    // would turn it into LF through universal newlines).
    let p = parse("CERT=\"a\r\nb\"\r\nNEXT=1\r\n");
    assert_eq!(value_of(&p, "CERT"), "a\r\nb");
    assert_eq!(value_of(&p, "NEXT"), "1");
    assert_eq!(read(&p)[1].2, 3);
}

#[test]
fn duplicates_last_one_wins_and_earlier_lines_are_reported() {
    let p = parse("A=first\nB=only\nA=second\n# c\nA=third\n");
    assert_eq!(value_of(&p, "A"), "third");
    let a = p.entries().iter().find(|e| e.key_name() == "A").expect("A");
    assert_eq!((a.line(), a.superseded_lines()), (5, &[1u32, 3][..]));
    assert_eq!(p.superseded_count(), 2);
    assert_eq!(p.entries().len(), 2);
    assert_eq!(p.entries()[0].key_name(), "B", "entries in the order of their effective line");

    // The last assignment wins even when it cannot be imported.
    let p = parse("EMPTY_LAST=value\nEMPTY_LAST=\n");
    assert!(p.entries().is_empty());
    assert_eq!(p.rejected()[0].reason, Reason::EmptyValue);
    assert_eq!(p.rejected()[0].superseded_lines, [1]);
}

#[test]
fn lines_that_are_not_entries_are_listed_by_number_and_reason_only() {
    let text = "GOOD=1\nJUST_A_WORD\nAPI_KEY: sk-proj-abcdefghijklmnop\n=orphan\nOPEN=\"never closed\nMY KEY=1\nTAIL=\"x\" junk\n";
    let p = parse(text);
    assert_eq!(read(&p), [("GOOD".to_string(), "1".to_string(), 1, 1)]);
    let got: Vec<(u32, Reason)> = p.unparsed().iter().map(|u| (u.line, u.reason)).collect();
    assert_eq!(
        got,
        [
            (2, Reason::NotAnAssignment),
            (3, Reason::NotAnAssignment),
            (4, Reason::MissingKey),
            (5, Reason::QuoteNotClosed),
            (6, Reason::MalformedKey),
            (7, Reason::QuoteNotClosed),
        ]
    );
    assert!(p.unparsed().iter().all(|u| u.message == u.reason.message()));
}

#[test]
fn invalid_key_names_are_rejected_without_stopping_the_rest() {
    let text = concat!(
        "GOOD_ONE=1\n",
        "my-key=2\n",
        "1ABC=3\n",
        "ключ=4\n",
        "app.port=5\n",
        "EMPTY=\n",
        "BLANK='   '\n",
        "dGhpcyBpcyBhIHNlY3JldA==\n",
        "https://user:pw@example.com/?a=b\n",
        "lower_ok=6\n",
    );
    let p = parse(text);
    let names: Vec<&str> = p.entries().iter().map(|e| e.key_name()).collect();
    assert_eq!(names, ["GOOD_ONE", "lower_ok"]);
    let rejected: Vec<(Option<&str>, u32, Reason)> =
        p.rejected().iter().map(|r| (r.key_name.as_deref(), r.line, r.reason)).collect();
    assert_eq!(
        rejected,
        [
            (Some("my-key"), 2, Reason::InvalidKeyName),
            (Some("1ABC"), 3, Reason::InvalidKeyName),
            (Some("ключ"), 4, Reason::InvalidKeyName),
            (Some("app.port"), 5, Reason::InvalidKeyName),
            (Some("EMPTY"), 6, Reason::EmptyValue),
            (Some("BLANK"), 7, Reason::EmptyValue),
            (None, 8, Reason::KeyLooksLikeValue),
            (None, 9, Reason::InvalidKeyName),
        ]
    );

    let f = Fixture::new();
    let v = f.unlock();
    // Strict: nothing is written, and the lines are named.
    let strict = ImportOptions { strict: true, ..ImportOptions::default() };
    let e = import::apply(&v, parse(text), &strict, &ImportDecisions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportRejectedLines);
    assert!(e.message().starts_with("8 line(s)") && e.message().contains("2, 3, 4"), "{}", e.message());
    assert_eq!(secrets::count(&v), 0);
    // Lenient (the default): the rest is imported.
    let report = import::apply(&v, parse(text), &ImportOptions::default(), &ImportDecisions::default())
        .expect("import");
    assert_eq!((report.counts.added, report.rejected, report.unparsed), (2, 8, 0));
    assert_eq!(reveal(&v, "lower_ok"), "6");
}

#[test]
fn empty_blank_and_comment_only_input_has_nothing_to_import() {
    let f = Fixture::new();
    let v = f.unlock();
    for text in ["", "\u{FEFF}", "\n\n  \r\n\t", "# only a comment\n# another"] {
        let p = parse(text);
        assert!(p.entries().is_empty() && p.unparsed().is_empty() && p.rejected().is_empty(), "{text:?}");
        let e = import::apply(&v, p, &ImportOptions::default(), &ImportDecisions::default()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ImportNothingFound, "{text:?}");
    }
    let e = import_text(&v, "garbage\nmore garbage", &ImportDecisions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportNothingFound);
    assert!(e.message().contains("2 line(s)"), "{}", e.message());
    assert_eq!(v.audit_log(10, Some("secret.import")).expect("audit").len(), 0);
}

#[test]
fn binary_and_utf16_input_is_refused_and_odd_utf8_is_read_line_by_line() {
    let e = import::parse(&[0x41, 0x3d, 0xff, 0xfe, 0x00], Format::Auto).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportInputNotUtf8);
    let utf16: Vec<u8> = "\u{FEFF}A=1".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let e = import::parse(&utf16, Format::Auto).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportInputNotUtf8);
    assert!(e.message().contains("UTF-16"), "{}", e.message());
    // Valid UTF-8 full of control characters: no panic, nothing imported.
    let p = parse("\u{0}\u{1}\u{7f}=\u{1b}[2J\nA\u{0}B=1\n\u{0}\n");
    assert!(p.entries().is_empty());
    assert_eq!(p.rejected().len() + p.unparsed().len(), 3);
    assert!(p.rejected().iter().all(|r| r.key_name.is_none()), "control characters are never echoed");
}

#[test]
fn huge_input_is_a_structured_error_not_a_crash() {
    let big = vec![b'#'; import::MAX_INPUT_LEN + 1];
    assert_eq!(import::parse(&big, Format::Auto).unwrap_err().code(), ErrorCode::ImportInputTooLarge);
    let e = import::read_input(std::io::repeat(b'A')).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportInputTooLarge);
    let ok = import::read_input(&b"A=1\n"[..]).expect("small input");
    assert_eq!(&ok[..], b"A=1\n");

    let many: String = (0..=import::MAX_ENTRIES).map(|i| format!("K{i}=v\n")).collect();
    assert!(many.len() < import::MAX_INPUT_LEN);
    assert_eq!(
        import::parse(many.as_bytes(), Format::Auto).unwrap_err().code(),
        ErrorCode::ImportInputTooLarge
    );
    let json = format!(
        "{{{}\"K\":1}}",
        (0..import::MAX_ENTRIES).map(|i| format!("\"K{i}\":1,")).collect::<String>()
    );
    for format in [Format::Json, Format::Auto] {
        let e = import::parse(json.as_bytes(), format).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ImportInputTooLarge, "{format:?}");
    }

    // A 2 MiB value (the limit is 1 MiB) is read, then rejected on its own line only.
    let huge_value = format!("BIG={}\nSMALL=1\n", "x".repeat(2 << 20));
    let p = parse(&huge_value);
    assert_eq!(p.rejected()[0].reason, Reason::ValueTooLarge);
    assert_eq!(read(&p), [("SMALL".to_string(), "1".to_string(), 2, 2)]);
}

// --- reading JSON -----------------------------------------------------------------

#[test]
fn json_strings_numbers_bools_and_what_is_rejected() {
    let text = "\u{FEFF}\n{\n  \"OPENAI_API_KEY\": \"sk-proj-json\\u00e9\\n\",\n  \"PORT\": 8080,\n  \"RATE\": 1e3,\n  \"BIG\": 123456789012345678901234567890,\n  \"DEBUG\": true,\n  \"NESTED\": {\"a\": \"b\"},\n  \"LIST\": [\n    1,\n    2\n  ],\n  \"NOTHING\": null,\n  \"DUP\": \"one\",\n  \"DUP\": \"two\",\n  \"bad-name\": \"x\",\n  \"ключ\": \"значение\"\n}\n";
    let p = parse(text);
    assert_eq!(p.format(), Format::Json);
    assert_eq!(
        read(&p),
        [
            ("OPENAI_API_KEY".to_string(), "sk-proj-jsoné\n".to_string(), 3, 3),
            ("PORT".to_string(), "8080".to_string(), 4, 4),
            ("RATE".to_string(), "1e3".to_string(), 5, 5),
            ("BIG".to_string(), "123456789012345678901234567890".to_string(), 6, 6),
            ("DEBUG".to_string(), "true".to_string(), 7, 7),
            ("DUP".to_string(), "two".to_string(), 15, 15),
        ]
    );
    let dup = p.entries().iter().find(|e| e.key_name() == "DUP").expect("DUP");
    assert_eq!(dup.superseded_lines(), [14]);
    let rejected: Vec<(Option<&str>, u32, u32, Reason)> =
        p.rejected().iter().map(|r| (r.key_name.as_deref(), r.line, r.last_line, r.reason)).collect();
    assert_eq!(
        rejected,
        [
            (Some("NESTED"), 8, 8, Reason::NestedObject),
            (Some("LIST"), 9, 12, Reason::NestedArray),
            (Some("NOTHING"), 13, 13, Reason::NullValue),
            (Some("bad-name"), 16, 16, Reason::InvalidKeyName),
            (Some("ключ"), 17, 17, Reason::InvalidKeyName),
        ]
    );
    assert!(p.unparsed().is_empty());
    let f = Fixture::new();
    let preview = import::preview(&f.unlock(), &p, &ImportOptions::default()).expect("preview");
    assert!(preview.entries[1].warnings.iter().any(|w| w.contains("JSON number")));
    assert!(preview.entries[4].warnings.iter().any(|w| w.contains("true/false")));
    assert_eq!(preview.entries[0].provider_id, "openai");
}

#[test]
fn auto_reads_dotenv_when_it_is_not_a_json_object() {
    // Starts with `{` but is not JSON: dotenv, with a note.
    let p = parse("{broken\nA=1\n");
    assert_eq!(p.format(), Format::Dotenv);
    assert_eq!(value_of(&p, "A"), "1");
    assert_eq!(p.notes(), ["Read as dotenv: the text is not valid JSON (line 1, column 2)."]);
    // A JSON array is not an object: dotenv too.
    assert_eq!(parse("[\"A=1\"]").format(), Format::Dotenv);
    // Forced dotenv on a JSON object reads its lines as dotenv.
    let p = parse_as("{\"A\": \"1\"}", Format::Dotenv);
    assert_eq!((p.format(), p.entries().len(), p.unparsed().len()), (Format::Dotenv, 0, 1));
    // A JSON object with leading blanks and a BOM is still JSON.
    assert_eq!(parse("\u{FEFF}  \n {\"A\":\"1\"}").format(), Format::Json);
    assert_eq!(parse("{}").format(), Format::Json);
}

#[test]
fn forced_json_that_is_not_an_object_fails_without_quoting_the_text() {
    let secret = "ghp_JsonLeak0123456789abcdefghijklmnopq";
    for text in [
        format!("\"{secret}\""),
        format!("[\"{secret}\"]"),
        format!("{{\"A\": \"{secret}\"}} trailing"),
        format!("{{\"A\": \"{secret}"),
        format!("{{\"A\" \"{secret}\"}}"),
        "A=1".to_owned(),
        String::new(),
    ] {
        let e = import::parse(text.as_bytes(), Format::Json).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ImportInvalidJson, "{text}");
        assert!(e.message().contains("line 1, column"), "{}", e.message());
        let all = format!("{e} {e:?} {}", serde_json::to_string(&e).expect("json"));
        assert!(!all.contains("JsonLeak"), "{all}");
    }
}

#[test]
fn deeply_nested_json_is_rejected_not_a_stack_overflow() {
    // serde_json skips a raw value without recursion, so depth is no limit.
    let deep = format!("{{\"A\": {}1{}, \"B\": \"ok\"}}", "[".repeat(100_000), "]".repeat(100_000));
    for format in [Format::Auto, Format::Json] {
        let p = parse_as(&deep, format);
        assert_eq!(p.rejected()[0].reason, Reason::NestedArray);
        assert_eq!(value_of(&p, "B"), "ok");
    }
}

// --- preview and conflicts ------------------------------------------------------------

#[test]
fn preview_suggests_providers_flags_conflicts_and_writes_nothing() {
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GH_TOKEN", "ghp_existing0000000000000000000000000000")).expect("add");
    let p = parse("GH_TOKEN=ghp_new\nOPENAI_KEY=sk-x\nANTHROPIC_API_KEY=sk-ant-x\nmy_thing=1\n");
    let preview = import::preview(&v, &p, &ImportOptions::default()).expect("preview");
    let got: Vec<(&str, &str, bool)> =
        preview.entries.iter().map(|e| (e.key_name.as_str(), e.provider_id.as_str(), e.conflict)).collect();
    assert_eq!(
        got,
        [
            ("GH_TOKEN", "github", true),
            ("OPENAI_KEY", "openai", false),
            ("ANTHROPIC_API_KEY", "anthropic", false),
            ("my_thing", "generic", false)
        ]
    );
    assert_eq!(preview.conflicts(), 1);
    assert_eq!(preview.entries[3].warnings, ["upper-case key names are recommended (MY_THING)"]);
    assert_eq!(secrets::count(&v), 1, "a preview writes nothing");

    // A provider for all: the conflict is judged under that provider.
    let stripe = ImportOptions { provider_id: Some("stripe".into()), ..ImportOptions::default() };
    let preview = import::preview(&v, &p, &stripe).expect("preview");
    assert!(preview.entries.iter().all(|e| e.provider_id == "stripe" && !e.conflict));
    let bad = ImportOptions { provider_id: Some("nope".into()), ..ImportOptions::default() };
    assert_eq!(import::preview(&v, &p, &bad).unwrap_err().code(), ErrorCode::ProviderNotFound);
    assert_eq!(
        import::apply(&v, p, &bad, &ImportDecisions::all(ConflictDecision::Replace)).unwrap_err().code(),
        ErrorCode::ProviderNotFound
    );
}

/// A vault with A, B, C (generic) and an import text touching them plus a new key.
fn conflict_setup(f: &Fixture) -> Vault {
    let v = f.unlock();
    for (k, val) in [("KEY_A", "old-a"), ("KEY_B", "old-b"), ("KEY_C", "old-c")] {
        secrets::add(&v, NewSecret::new(k, val)).expect("add");
    }
    v
}

const CONFLICT_TEXT: &str = "KEY_A=new-a\nKEY_B=new-b\nKEY_C=new-c\nKEY_NEW=new-n\n";

#[test]
fn an_undecided_conflict_refuses_the_import_and_writes_nothing() {
    let f = Fixture::new();
    let v = conflict_setup(&f);
    let e = import_text(&v, CONFLICT_TEXT, &ImportDecisions::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportConflict);
    assert!(e.message().contains("KEY_A (generic)") && !e.message().contains("new-a"), "{}", e.message());
    assert_eq!(secrets::count(&v), 3);
    assert!(secrets::find(&v, "KEY_NEW", None).is_err());
}

#[test]
fn each_conflict_decision_does_what_it_says() {
    for (decision, expect_a, added, replaced, kept, skipped) in [
        (ConflictDecision::Keep, "old-a", 1, 0, 3, 0),
        (ConflictDecision::Replace, "new-a", 1, 3, 0, 0),
        (ConflictDecision::Skip, "old-a", 1, 0, 0, 3),
    ] {
        let f = Fixture::new();
        let v = conflict_setup(&f);
        let report = import_text(&v, CONFLICT_TEXT, &ImportDecisions::all(decision)).expect("import");
        let c = report.counts;
        assert_eq!(
            (c.added, c.replaced, c.kept, c.skipped),
            (added, replaced, kept, skipped),
            "{decision:?}"
        );
        assert_eq!(reveal(&v, "KEY_A"), expect_a, "{decision:?}");
        assert_eq!(reveal(&v, "KEY_NEW"), "new-n", "a new key is added whatever the default");
        let a = secrets::find(&v, "KEY_A", None).expect("A");
        let expected_source =
            if decision == ConflictDecision::Replace { SourceType::Paste } else { SourceType::Manual };
        assert_eq!(a.source_type, expected_source, "{decision:?}");
    }
}

#[test]
fn per_key_decisions_override_apply_to_all() {
    let f = Fixture::new();
    let v = conflict_setup(&f);
    let mut d = ImportDecisions::all(ConflictDecision::Keep);
    d.per_key.insert(("generic".into(), "KEY_B".into()), ConflictDecision::Replace);
    d.per_key.insert(("generic".into(), "KEY_C".into()), ConflictDecision::Skip);
    d.per_key.insert(("generic".into(), "KEY_NEW".into()), ConflictDecision::Skip);
    let c = import_text(&v, CONFLICT_TEXT, &d).expect("import").counts;
    assert_eq!((c.added, c.replaced, c.kept, c.skipped), (0, 1, 1, 2));
    assert_eq!([reveal(&v, "KEY_A"), reveal(&v, "KEY_B"), reveal(&v, "KEY_C")], ["old-a", "new-b", "old-c"]);
    assert!(secrets::find(&v, "KEY_NEW", None).is_err(), "skipping a new key is allowed");

    // Replaced values survive a re-open, with the import's provenance.
    drop(v);
    let v = f.unlock();
    assert_eq!(reveal(&v, "KEY_B"), "new-b");
    let b = secrets::find(&v, "KEY_B", None).expect("B");
    assert!(b.imported_at.is_some());
    assert_eq!(secrets::list(&v, &Default::default()).total, 3);
}

#[test]
fn provenance_is_paste_or_the_file_name_only() {
    let f = Fixture::new();
    let v = f.unlock();
    let opts = ImportOptions { provenance: Provenance::paste(Some("clipboard")), ..ImportOptions::default() };
    import::apply(&v, parse("PASTED=1\n"), &opts, &ImportDecisions::default()).expect("import");
    let s = secrets::find(&v, "PASTED", None).expect("PASTED");
    assert_eq!((s.source_type, s.source_label.as_deref()), (SourceType::Paste, Some("clipboard")));
    assert!(s.imported_at.is_some());

    let path = Path::new("/home/alice/clients/acme/.env.production");
    let opts = ImportOptions { provenance: Provenance::file_import(path), ..ImportOptions::default() };
    import::apply(&v, parse("FROM_FILE=1\n"), &opts, &ImportDecisions::default()).expect("import");
    let s = secrets::find(&v, "FROM_FILE", None).expect("FROM_FILE");
    assert_eq!((s.source_type, s.source_label.as_deref()), (SourceType::FileImport, Some(".env.production")));

    let events = v.audit_log(10, Some("secret.import")).expect("audit");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].metadata["source_type"], "file_import");
    assert_eq!(events[0].metadata["added"], 1);
    assert!(!events[0].metadata.to_string().contains("acme"), "no path or label in the audit log");
}

// --- all or nothing --------------------------------------------------------------

fn assert_unchanged(v: &Vault) {
    assert_eq!(secrets::count(v), 3);
    assert_eq!([reveal(v, "KEY_A"), reveal(v, "KEY_B"), reveal(v, "KEY_C")], ["old-a", "old-b", "old-c"]);
    assert!(secrets::find(v, "KEY_NEW", None).is_err());
    assert!(secrets::find(v, "KEY_A", None).expect("A").imported_at.is_none());
    assert_eq!(v.audit_log(50, Some("secret.import")).expect("audit").len(), 0);
}

#[test]
fn a_failure_midway_leaves_the_vault_unchanged() {
    // Fail (1) on an insert after other rows were written, (2) on the audit
    // event, after every insert and update: the transaction rolls back and
    // the in-memory catalog is untouched.
    let triggers = [
        "CREATE TRIGGER boom BEFORE INSERT ON secrets WHEN NEW.key_name = 'KEY_BOOM'
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
        "CREATE TRIGGER boom BEFORE INSERT ON audit_events WHEN NEW.event_type = 'secret.import'
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    ];
    for trigger in triggers {
        let f = Fixture::new();
        let v = conflict_setup(&f);
        f.raw_vault().execute(trigger, []).expect("trigger");
        let text = format!("{CONFLICT_TEXT}KEY_BOOM=boom-value\nKEY_AFTER=after\n");
        let e = import_text(&v, &text, &ImportDecisions::all(ConflictDecision::Replace)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StorageDatabase, "{trigger}");
        assert!(!e.message().contains("new-a") && !e.message().contains("boom-value"), "{}", e.message());
        f.raw_vault().execute("DROP TRIGGER boom", []).expect("drop trigger");
        assert_unchanged(&v);
        drop(v);
        assert_unchanged(&f.unlock());
    }
}

// --- no value leaks -----------------------------------------------------------------

/// Distinctive and not shaped like a known token, so redaction cannot be
/// what hides it: it must never be put anywhere in the first place.
const CANARY: &str = "Canary-kq7-swordfish";

#[test]
fn values_never_appear_in_preview_debug_errors_or_audit() {
    let dotenv = format!(
        "GOOD={CANARY}\nGOOD_DUP={CANARY}-old\nGOOD_DUP={CANARY}\nmy-key={CANARY}\n{CANARY}\nAPI_KEY: {CANARY}\nOPEN=\"{CANARY}\nhttps://user:{CANARY}@example.com/?a=b\nEMPTY=\n"
    );
    let json =
        format!("{{\"GOOD\": \"{CANARY}\", \"NESTED\": {{\"x\": \"{CANARY}\"}}, \"ARR\": [\"{CANARY}\"]}}");
    let f = Fixture::new();
    let v = f.unlock();
    secrets::add(&v, NewSecret::new("GOOD", "existing")).expect("add");
    let mut outputs: Vec<String> = Vec::new();
    for (text, format) in [(dotenv.as_str(), Format::Auto), (json.as_str(), Format::Json)] {
        let p = parse_as(text, format);
        assert!(p.entries().iter().any(|e| e.value().expose_secret() == CANARY), "the canary is read");
        outputs.push(format!("{p:?} {:?} {:?} {:?}", p.entries(), p.rejected(), p.unparsed()));
        let preview = import::preview(&v, &p, &ImportOptions::default()).expect("preview");
        outputs.push(serde_json::to_string(&preview).expect("json"));
        outputs.push(format!("{preview:?}"));
        // Every refusal: undecided conflict, strict.
        for (opts, d) in [
            (ImportOptions::default(), ImportDecisions::default()),
            (
                ImportOptions { strict: true, ..ImportOptions::default() },
                ImportDecisions::all(ConflictDecision::Replace),
            ),
        ] {
            let e = import::apply(&v, parse_as(text, format), &opts, &d).unwrap_err();
            outputs.push(format!("{e} {e:?} {}", serde_json::to_string(&e).expect("json")));
        }
        let report =
            import::apply(&v, p, &ImportOptions::default(), &ImportDecisions::all(ConflictDecision::Replace))
                .expect("import");
        outputs.push(format!("{report:?} {}", serde_json::to_string(&report).expect("json")));
    }
    let e = import::parse(format!("[\"{CANARY}\"]").as_bytes(), Format::Json).unwrap_err();
    outputs.push(format!("{e} {e:?}"));
    let not_utf8 = [CANARY.as_bytes(), &[0xff]].concat();
    let e = import::parse(&not_utf8, Format::Auto).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ImportInputNotUtf8);
    outputs.push(format!("{e} {e:?}"));
    let events = v.audit_log(100, None).expect("audit");
    outputs.push(serde_json::to_string(&events).expect("json"));
    for o in &outputs {
        assert!(!o.contains(CANARY) && !o.contains("kq7"), "value leaked: {o}");
    }
    assert_eq!(reveal(&v, "GOOD"), CANARY, "and it was imported");
}

// --- fuzzing ------------------------------------------------------------------------

/// Pieces that matter to the readers, so random input hits their edges.
const PIECES: &[&str] = &[
    "A", "KEY_1", "=", "\"", "'", "\\", "#", " ", "\t", "\n", "\r\n", "\r", "export ", "${X}", "$", "{", "}",
    "[", "]", ":", ",", "null", "1e3", "true", "ключ", "🔑", "\u{FEFF}", "\u{0}", "_",
];

fn check_input(v: &RefCell<Vault>, bytes: &[u8]) -> Result<(), TestCaseError> {
    for format in [Format::Auto, Format::Dotenv, Format::Json] {
        let p = match import::parse(bytes, format) {
            Ok(p) => p,
            Err(e) => {
                prop_assert!(
                    matches!(e.code(), ErrorCode::ImportInputNotUtf8 | ErrorCode::ImportInvalidJson),
                    "unexpected {}",
                    e.code()
                );
                continue;
            }
        };
        prop_assert!(p.format() != Format::Auto);
        let v = v.borrow_mut();
        let preview = import::preview(&v, &p, &ImportOptions::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(preview.entries.len(), p.entries().len());
        for e in p.entries() {
            prop_assert!(e.line() >= 1 && e.line() <= e.last_line());
        }
        match import::apply(
            &v,
            p,
            &ImportOptions::default(),
            &ImportDecisions::all(ConflictDecision::Replace),
        ) {
            Ok(r) => prop_assert_eq!(r.counts.added + r.counts.replaced, preview.entries.len() as u32),
            Err(e) => prop_assert_eq!(e.code(), ErrorCode::ImportNothingFound),
        }
    }
    Ok(())
}

#[test]
fn arbitrary_input_never_panics() {
    use proptest::test_runner::{Config, TestRunner};
    let f = Fixture::new();
    let v = RefCell::new(f.unlock());
    let config = Config { cases: 256, failure_persistence: None, ..Config::default() };
    TestRunner::new(config.clone())
        .run(&proptest::collection::vec(any::<u8>(), 0..400), |bytes| check_input(&v, &bytes))
        .expect("arbitrary bytes");
    let pieces = proptest::collection::vec(proptest::sample::select(PIECES), 0..80).prop_map(|p| p.concat());
    TestRunner::new(config.clone())
        .run(&pieces, |text| check_input(&v, text.as_bytes()))
        .expect("dotenv-ish text");
    TestRunner::new(config)
        .run(&any::<String>(), |text| check_input(&v, text.as_bytes()))
        .expect("arbitrary text");
}

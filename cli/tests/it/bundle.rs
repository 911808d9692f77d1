//! Bundles from the command line: export, inspect, import into another
//! profile, and the error codes of each failure.

use crate::util::*;
use serde_json::Value;
use std::process::Command;

#[test]
fn bundle_export_inspect_import_into_a_second_profile() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_cliBundle0123456789abcdefghij")));
    assert_ok(&h.run(&["secret", "add", "OPENAI_API_KEY"], Some("sk-proj-cliBundle-0123456789")));
    h.add_profile("Home");
    let out = h.path("work.kcbundle");
    let bp = h.bundle_pass_file();
    let bp = bp.to_str().expect("utf8");

    let mut args = vec!["--profile", "Work"];
    args.extend(export_args(&out, bp, &["--key", "GH_TOKEN", "--key", "OPENAI_API_KEY"]));
    let summary = h.json(&args);
    assert_eq!(summary["count"], 2);
    let bytes = std::fs::read(&out).expect("bundle written");
    assert!(!String::from_utf8_lossy(&bytes).contains("ghp_cliBundle"), "no value in clear");

    // Inspect: no profile, no password.
    let header = h.json(&["bundle", "inspect", &out]);
    assert_eq!(header["header"]["count"], 2);
    assert_eq!(header["header"]["bundle_id"], summary["header"]["bundle_id"]);
    assert_eq!(header["expired"], false);
    let human = stdout(&h.run(&["bundle", "inspect", &out], None));
    assert!(human.contains("secrets:  2") && human.contains("expires:  never"), "{human}");

    // Preview, then import into the second profile.
    let preview =
        h.json(&["--profile", "Home", "bundle", "import", &out, "--bundle-passphrase-file", bp, "--preview"]);
    assert_eq!(preview["entries"].as_array().expect("entries").len(), 2);
    assert_eq!(h.json(&["--profile", "Home", "secret", "list"])["total"], 0, "preview writes nothing");
    let counts = h.json(&["--profile", "Home", "bundle", "import", &out, "--bundle-passphrase-file", bp]);
    assert_eq!(counts["added"], 2);
    assert_eq!(
        stdout(&h.run(&["--profile", "Home", "secret", "reveal", "GH_TOKEN"], None)),
        "ghp_cliBundle0123456789abcdefghij\n"
    );
    let list = h.json(&["--profile", "Home", "secret", "list"]);
    assert_eq!(list["items"][0]["source_type"], "export_bundle_import");

    // Again: every key conflicts; without a decision nothing is written.
    let (code, err) =
        h.fails(&["--profile", "Home", "bundle", "import", &out, "--bundle-passphrase-file", bp], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("import.conflict")));
    assert!(err["suggestion"].as_str().is_some_and(|s| s.contains("--on-conflict")), "{err}");
    let counts = h.json(&[
        "--profile",
        "Home",
        "bundle",
        "import",
        &out,
        "--bundle-passphrase-file",
        bp,
        "--on-conflict",
        "skip",
    ]);
    assert_eq!((counts["added"].as_u64(), counts["skipped"].as_u64()), (Some(0), Some(2)));

    // The bundle password may come from stdin after the vault passphrase.
    let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
    c.arg("--home").arg(h.dir.path().join("data")).args([
        "--profile",
        "Home",
        "--json",
        "bundle",
        "import",
        &out,
    ]);
    c.args(["--on-conflict", "replace"]);
    let o = run_cmd(c, Some(&format!("{PASS}\n{BUNDLE_PASS}\n")));
    assert_ok(&o);
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).expect("json")["replaced"], 2);

    let audit = h.json(&["--profile", "Work", "audit", "--type", "bundle.export"]);
    assert_eq!(audit[0]["metadata"]["count"], 2);
    assert!(!audit.to_string().contains("work.kcbundle"), "no path in the audit log");
}

#[test]
fn bundle_errors_have_distinct_codes() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_cliErrors0123456789abcdef")));
    let out = h.path("e.kcbundle");
    let bp = h.bundle_pass_file();
    let bp = bp.to_str().expect("utf8");
    assert_ok(&h.run(&export_args(&out, bp, &[]), None));
    let good = std::fs::read(&out).expect("read");

    // Exists already: no silent overwrite; --force replaces it.
    let (code, err) = h.fails(&export_args(&out, bp, &[]), None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert_ok(&h.run(&export_args(&out, bp, &["--force"]), None));
    let good2 = std::fs::read(&out).expect("read");
    assert_ne!(good, good2);
    let good = good2;

    // A path the person gave is never masked as if it were a token:
    // errors about it do not name it (the person just typed it).
    let tokenish = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
    std::fs::create_dir(h.dir.path().join(tokenish)).expect("mkdir");
    for (path, said) in [
        (h.path(tokenish), "is a folder"),
        (h.path(&format!("{tokenish}-missing/x.kcbundle")), "folder does not exist"),
    ] {
        let (code, err) = h.fails(&export_args(&path, bp, &[]), None);
        assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
        let text = err.to_string();
        assert!(text.contains(said) && !text.contains("REDACTED"), "{text}");
    }

    let bad_expiry = h.fails(&export_args(&h.path("x.kcbundle"), bp, &["--expires", "next tuesday"]), None);
    assert_eq!(bad_expiry.1["code"], "input.invalid");

    let write = |name: &str, bytes: &[u8]| {
        let p = h.path(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    let import = |file: &str| h.fails(&["bundle", "import", file, "--bundle-passphrase-file", bp], None);

    let not = write("notes.txt", b"GH_TOKEN=ghp_x\n");
    assert_eq!(h.fails(&["bundle", "inspect", &not], None).1["code"], "import.not_a_bundle");
    assert_eq!(import(&not).1["code"], "import.not_a_bundle");

    let mut future = good.clone();
    future[4..6].copy_from_slice(&3u16.to_be_bytes());
    let future = write("future.kcbundle", &future);
    assert_eq!(h.fails(&["bundle", "inspect", &future], None).1["code"], "import.bundle_unsupported_version");
    assert_eq!(import(&future).1["code"], "import.bundle_unsupported_version");

    let truncated = write("truncated.kcbundle", &good[..good.len() - 5]);
    assert_eq!(h.fails(&["bundle", "inspect", &truncated], None).1["code"], "import.bundle_malformed");
    assert_eq!(import(&truncated).1["code"], "import.bundle_malformed");

    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let flipped = write("flipped.kcbundle", &flipped);
    let (code, err) = import(&flipped);
    assert_eq!((code, err["code"].as_str()), (2, Some("import.bundle_wrong_password_or_tampered")));

    let wrong = h.file("wrong.txt", "not the bundle password\n");
    let (_, err) =
        h.fails(&["bundle", "import", &out, "--bundle-passphrase-file", wrong.to_str().expect("utf8")], None);
    assert_eq!(err["code"], "import.bundle_wrong_password_or_tampered");

    // An expiry in the past (set by editing the header: expiry is checked
    // before authentication, so the edit shows as "expired").
    let hl = u32::from_be_bytes(good[6..10].try_into().expect("4 bytes")) as usize;
    let mut header: Value = serde_json::from_slice(&good[10..10 + hl]).expect("header");
    header["expires_at"] = "2001-01-01T00:00:00.000Z".into();
    let hj = serde_json::to_vec(&header).expect("json");
    let mut expired = good[..6].to_vec();
    expired.extend_from_slice(&(hj.len() as u32).to_be_bytes());
    expired.extend_from_slice(&hj);
    expired.extend_from_slice(&good[10 + hl..]);
    let expired = write("expired.kcbundle", &expired);
    assert_eq!(h.json(&["bundle", "inspect", &expired])["expired"], true);
    assert_eq!(import(&expired).1["code"], "import.bundle_expired");

    let (_, err) =
        h.fails(&["bundle", "import", &out, "--bundle-passphrase-file", bp, "--on-conflict", "merge"], None);
    assert_eq!(err["code"], "input.invalid");
    // Nothing was imported by any of the failures.
    assert_eq!(h.json(&["secret", "list"])["total"], 1);
}

/// A bundle to a person: `identity show` on the receiving profile, export
/// with `--recipient` (no password asked), import with no password; a
/// third profile is told it is not for it.
#[test]
fn bundle_to_a_recipient_needs_no_password() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", "GH_TOKEN"], Some("ghp_cliRecipient0123456789abcdefgh")));
    h.add_profile("Home");
    h.add_profile("Other");
    let recipient = stdout(&h.run(&["--profile", "Home", "identity", "show"], None));
    let recipient = recipient.trim();
    assert!(recipient.starts_with("age1") && !recipient.contains(' '), "{recipient}");
    let shown = h.json(&["--profile", "Home", "identity", "show"]);
    assert_eq!(shown["recipient"], recipient, "the same identity every time");

    let out = h.path("to-home.kcbundle");
    // The vault passphrase is the only thing on stdin: no bundle password is read.
    let summary = h.json(&["--profile", "Work", "bundle", "export", &out, "--recipient", recipient]);
    assert_eq!(summary["count"], 1);
    assert_eq!(summary["header"]["recipients"]["count"], 1);
    let header = h.json(&["bundle", "inspect", &out]);
    assert_eq!((header["version"].as_u64(), header["mode"].as_str()), (Some(2), Some("recipients")));
    let human = stdout(&h.run(&["bundle", "inspect", &out], None));
    assert!(human.contains("age-x25519 to 1 recipient(s), no password"), "{human}");

    let (_, err) = h.fails(&["--profile", "Other", "bundle", "import", &out], None);
    assert_eq!(err["code"], "import.bundle_not_for_this_profile");
    assert!(err["suggestion"].as_str().is_some_and(|s| s.contains("identity show")), "{err}");
    assert_eq!(h.json(&["--profile", "Home", "bundle", "import", &out])["added"], 1);
    assert_eq!(
        stdout(&h.run(&["--profile", "Home", "secret", "reveal", "GH_TOKEN"], None)),
        "ghp_cliRecipient0123456789abcdefgh\n"
    );

    // A mistyped recipient is refused before anything is unlocked or written.
    let bad = h.path("bad.kcbundle");
    let (code, err) =
        h.fails(&["--profile", "Work", "bundle", "export", &bad, "--recipient", "age1typo"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("input.invalid")));
    assert!(!std::path::Path::new(&bad).exists());
    // A password and recipients together are refused by the parser.
    let bp = h.bundle_pass_file();
    let o = h.run(
        &[
            "bundle",
            "export",
            &bad,
            "--recipient",
            recipient,
            "--bundle-passphrase-file",
            bp.to_str().unwrap(),
        ],
        None,
    );
    assert!(!o.status.success());
}

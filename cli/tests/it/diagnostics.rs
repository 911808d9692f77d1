//! `keyclave diagnostics`: the package tells what a bug report needs and
//! nothing planted anywhere in the vault, the index or the log.

use serde_json::Value;

use crate::util::*;

const VALUE: &str = "zqxplant-value-8c1f0e9d7b6a5c4e3f2a1b0c";
const KEY: &str = "ZQXPLANT_CLIENT_TOKEN";
const NOTE: &str = "zqxplant-note for the Initech account";

#[test]
fn the_package_holds_facts_and_nothing_planted() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "add", KEY, "--notes", NOTE, "--tag", "zqxplant-tag"], Some(VALUE)));
    assert_ok(&h.run(&["secret", "add", "OPENAI_API_KEY"], Some("sk-proj-zqxplantAbcdefghijklmnopqrstuvwx")));
    let project = h.dir.path().join("zqxplant-project");
    std::fs::create_dir(&project).expect("mkdir");
    std::fs::write(project.join("README.md"), format!("Set `{KEY}` before running.\n")).expect("readme");
    assert_ok(&h.run(&["scan", project.to_str().expect("utf8")], None));
    h.add_profile("Zqxplant Client Co");
    // A log line carrying everything it must not (the log's own writer
    // never writes these; the package must not trust that).
    let logs = h.dir.path().join("data/logs");
    std::fs::create_dir_all(&logs).expect("logs");
    let home = h.dir.path().to_str().expect("utf8").to_owned();
    let planted = format!(
        "{{\"provider\":\"openai\",\"path\":\"{home}/zqxplant-project/.env\",\"error\":\"{KEY}\",\"note\":\"{KEY}={VALUE}\"}}\nnot a record {VALUE}\n"
    );
    let mut log = String::new();
    for i in 0..700 {
        log.push_str(&format!(
            "{{\"provider\":\"github\",\"method\":\"GET\",\"path\":\"/user\",\"attempt\":{i}}}\n"
        ));
    }
    log.push_str(&planted);
    std::fs::write(logs.join("network.log"), log).expect("log");

    let out = h.dir.path().join("diag.json");
    let out_s = out.to_str().expect("utf8");
    let mut cmd = h.cmd(&["--json", "--profile", "Work", "diagnostics", "--out", out_s]);
    cmd.env("HOME", h.dir.path());
    let done = run_cmd(cmd, None);
    assert_ok(&done);
    let summary: Value = serde_json::from_slice(&done.stdout).expect("JSON");
    assert_eq!(summary["profiles"], 2);
    assert_eq!(summary["integrity_ok"], true);

    let text = std::fs::read_to_string(&out).expect("package");
    for planted in [VALUE, KEY, NOTE, "zqxplant", "Zqxplant", "Work", PASS, home.as_str()] {
        assert!(!text.contains(planted), "the package holds {planted:?}:\n{text}");
    }
    let p: Value = serde_json::from_str(&text).expect("package is JSON");
    assert_eq!(p["profile_count"], 2);
    let first = &p["profiles"][0];
    assert_eq!(first["unlocked"], true);
    assert_eq!(first["rows"]["secrets"], 2, "{first}");
    assert_eq!(first["integrity"]["vault"]["ok"], true);
    assert_eq!(first["settings"]["online_mode_enabled"], false);
    assert!(first["schema_version"].as_i64().expect("schema") >= 1);
    assert_eq!(p["profiles"][1]["unlocked"], false);
    assert!(p["profiles"][1]["settings"].is_null());
    assert!(p["index_rows"]["app_profiles"].as_i64() == Some(2), "{}", p["index_rows"]);
    let tail = p["log_tail"].as_array().expect("log tail");
    assert_eq!(tail.len(), 499, "the last 500 lines, less the one that is not a record");
    assert_eq!(p["log_lines_left_out"], 1);
    let last: Value =
        serde_json::from_str(tail.last().expect("line").as_str().expect("text")).expect("record");
    assert_eq!(
        last,
        serde_json::json!({"provider": "openai", "path": "<path in the home folder>", "error": "<key name>"})
    );
    assert!(p["os"]["os"].is_string() && p["app_version"].is_string());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the package is private");
    }

    // An existing file is not replaced without --force; --locked asks for nothing.
    let (_, err) = h.fails(&["--profile", "Work", "diagnostics", "--out", out_s], None);
    assert_eq!(err["code"], "input.invalid");
    let locked =
        run_cmd(h.cmd_without_passphrase(&["diagnostics", "--out", out_s, "--force", "--locked"]), None);
    assert_ok(&locked);
    let p: Value = serde_json::from_str(&std::fs::read_to_string(&out).expect("package")).expect("JSON");
    assert!(p["profiles"].as_array().expect("profiles").iter().all(|f| f["unlocked"] == false));
}

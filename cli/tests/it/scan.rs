//! Scans, projects, requirements and what `run` gets from them.

use crate::util::*;

#[test]
fn scan_reports_requirements_and_decisions_stick() {
    let (h, project) = scanned_project();
    let dir = project.to_str().expect("utf-8 path");

    let human = h.run(&["scan", dir], None);
    assert_ok(&human);
    let text = stdout(&human);
    assert!(text.contains("OpenAI (openai) required, confidence 1.00"), "{text}");
    assert!(text.contains("README.md:5-7:"), "the fenced block is cited: {text}");
    assert!(text.contains("Transactional email: Postmark"), "{text}");
    assert!(!text.contains("zqxDOCvalue"), "{text}");

    let report = h.json(&["scan", dir]);
    assert_eq!(report["progress"]["files_unchanged"], 1, "{report}");
    let reqs = report["requirements"].as_array().expect("requirements");
    let github = reqs.iter().find(|r| r["provider_id"] == "github").expect("github");
    assert_eq!(github["env_vars"][0]["state"], "in_vault");
    assert_eq!(github["necessity"], "required", "its env var is named");
    assert_eq!(github["citations"][0]["line_start"], 8);

    let id = requirement_id(&report, "github");
    assert_ok(&h.run(&["requirement", "reject", &id], None));
    let shown = h.json(&["project", "show", dir]);
    let rejected = shown["requirements"]
        .as_array()
        .expect("reqs")
        .iter()
        .find(|r| r["id"] == id.as_str())
        .expect("kept");
    assert_eq!(rejected["user_status"], "rejected");
    let listed = h.json(&["project", "list"]);
    assert_eq!(listed.as_array().map(Vec::len), Some(1));

    // env write without --key writes what the project needs.
    assert_ok(&h.run(&["env", "write", dir], None));
    let written = std::fs::read_to_string(project.join(".env")).expect("read");
    assert!(
        written.starts_with("PORT=8080\n") && written.contains(&format!("OPENAI_API_KEY={ENV_OAI}")),
        "{written}"
    );
    assert!(!written.contains("GITHUB_TOKEN"), "rejected: {written}");

    let (code, err) = h.fails(&["requirement", "accept", "no-such-id"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("requirement.not_found")));
    let (code, err) = h.fails(&["scan", &format!("{dir}/missing")], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("project.invalid_root")));
    let (code, err) = h.fails(&["project", "show", "nope"], None);
    assert_eq!((code, err["code"].as_str()), (2, Some("project.not_found")));

    assert_ok(&h.run(&["project", "rm", dir], None));
    assert_eq!(h.json(&["project", "list"]).as_array().map(Vec::len), Some(0));
    assert!(project.join("README.md").exists());
}

// Unix only: the child is `sh -c` printing its environment. Windows has no
// `sh`; the selection itself is covered on every OS by the core test
// `a_scanned_project_selects_its_keys_for_dotenv_and_run_and_records_the_target`.
#[cfg(unix)]
#[test]
fn run_project_gets_what_the_scan_says_it_needs() {
    let (h, project) = scanned_project();
    let dir = project.to_str().expect("utf-8 path");
    let report = h.json(&["scan", dir]);

    let show = "printf %s \"$OPENAI_API_KEY|$GITHUB_TOKEN\"";
    let out = h.run(&["run", "--project", dir, "--", "sh", "-c", show], None);
    assert_ok(&out);
    assert_eq!(stdout(&out), format!("{ENV_OAI}|{ENV_GH}"));
    assert_ok(&h.run(&["requirement", "reject", &requirement_id(&report, "github")], None));
    let out = h.run(&["run", "--project", dir, "--", "sh", "-c", show], None);
    assert_eq!(stdout(&out), format!("{ENV_OAI}|"), "a rejected requirement is not injected");
}

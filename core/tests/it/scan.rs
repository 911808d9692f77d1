//! Project scanning against real folders: what is read and skipped, the
//! requirements and recommendations stored, incremental rescans, decisions,
//! and the keys a project then gets in `.env` files and `keyclave run`.

use crate::common::*;
use keyclave_core::ErrorCode;
use keyclave_core::dotenv::{ApplyOptions, Decision, Policy};
use keyclave_core::inject::KeySelection;
use keyclave_core::projects::{EnvVarState, ReviewStatus, ScanReport};
use keyclave_core::scan::{Rule, ScanOptions, ScanProgress, SkipReason};
use keyclave_core::secrets::NewSecret;
use keyclave_core::{Vault, scan};
use keyclave_core::{inject, projects, secrets};
use std::fs;
use std::path::Path;

fn write(root: &Path, rel: &str, text: impl AsRef<[u8]>) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn scan_it(v: &Vault, root: &Path) -> ScanReport {
    projects::scan(v, root, &ScanOptions::default(), &mut |_| {}).unwrap()
}

fn providers_of(r: &ScanReport) -> Vec<(String, f64)> {
    r.requirements.iter().map(|q| (q.provider_id.clone(), q.confidence)).collect()
}

const README: &str = "# Acme\r\n\r\nWe use [Stripe](https://stripe.com) for card payments.\r\n\r\n\
```sh\r\nexport STRIPE_SECRET_KEY=sk_live_zqxDOCSVALUE0000000000001\r\nexport ACME_WIDGET_TOKEN=changeme\r\n```\r\n\r\n\
| Service | Variable |\r\n|---|---|\r\n| GitHub | `GH_TOKEN` |\r\n\r\n    OPENAI_API_KEY=sk-zqxINDENTED00000000000000002\r\n";

fn project() -> (Fixture, tempfile::TempDir) {
    let fx = Fixture::new();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "README.md", README);
    write(root, "docs/deep/a/b/c/d/e/f/g/h/notes.markdown", "Deploys go to Vercel.\n");
    write(root, "README", "Password resets require transactional email.\n");
    write(root, "node_modules/pkg/README.md", "ANTHROPIC_API_KEY\n");
    write(root, "target/doc.md", "ANTHROPIC_API_KEY\n");
    write(root, ".git/info.md", "ANTHROPIC_API_KEY\n");
    write(root, "ignored/skip.md", "ANTHROPIC_API_KEY\n");
    write(root, ".gitignore", "ignored/\n");
    write(root, "notes.txt", "ANTHROPIC_API_KEY is not in Markdown\n");
    write(root, "blob.md", b"GH_TOKEN\x00\x01\x02binary");
    // One line more than the default 4 MiB limit.
    write(root, "huge.md", "MISTRAL_API_KEY\n".repeat((1 << 18) + 1));
    (fx, dir)
}

#[test]
fn a_scan_finds_requirements_with_citations_and_skips_what_it_should() {
    let (fx, dir) = project();
    let v = fx.unlock();
    let mut last = ScanProgress::default();
    let report = projects::scan(&v, dir.path(), &ScanOptions::default(), &mut |p| last = *p).unwrap();

    assert_eq!(last, report.progress, "the last progress call carries the final counts");
    assert_eq!(report.progress.files_seen, 5, "README.md, README, notes.markdown, blob.md, huge.md");
    assert_eq!(report.progress.files_parsed, 3);
    let skipped: Vec<_> = report.skipped.iter().map(|s| (s.path.as_str(), &s.reason)).collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0], ("blob.md", &SkipReason::Binary));
    assert!(matches!(skipped[1], ("huge.md", SkipReason::TooLarge { .. })));

    let expected: Vec<(String, f64)> =
        [("github", 1.0), ("stripe", 1.0), ("openai", 0.8), ("generic", 0.5), ("vercel", 0.3)]
            .iter()
            .map(|(p, c)| (p.to_string(), *c))
            .collect();
    assert_eq!(
        providers_of(&report),
        expected,
        "anthropic is only in excluded, ignored or non-Markdown files"
    );

    let stripe = report.requirements.iter().find(|r| r.provider_id == "stripe").unwrap();
    assert_eq!(stripe.env_vars[0].name, "STRIPE_SECRET_KEY");
    assert_eq!(stripe.env_vars[0].state, EnvVarState::Missing);
    let code = stripe.citations.iter().find(|c| c.rule == Rule::EnvVar).unwrap();
    assert_eq!((code.path.as_str(), code.line_start, code.line_end), ("README.md", 5, 8), "the fenced block");
    let generic = report.requirements.iter().find(|r| r.provider_id == "generic").unwrap();
    assert_eq!(generic.env_vars[0].name, "ACME_WIDGET_TOKEN");
    let vercel = report.requirements.iter().find(|r| r.provider_id == "vercel").unwrap();
    assert_eq!(vercel.citations[0].path, "docs/deep/a/b/c/d/e/f/g/h/notes.markdown");

    // Card payments are served by Stripe, which the docs name: only email.
    let caps: Vec<_> = report.recommendations.iter().map(|r| r.capability_needed.as_str()).collect();
    assert_eq!(caps, vec!["transactional_email"]);
    assert_eq!(report.recommendations[0].recommended_provider_id.as_deref(), Some("postmark"));
    assert!(report.recommendations[0].requirement_text.starts_with("README:1:"));

    // No value from the docs is stored or reported.
    let json = serde_json::to_string(&report).unwrap();
    for value in ["zqxDOCSVALUE", "zqxINDENTED"] {
        assert!(!json.contains(value), "{value} leaked into the report");
    }
    let reqs_json: String = fx
        .raw_vault()
        .query_row("SELECT group_concat(citations_json) FROM project_requirements", [], |r| r.get(0))
        .unwrap();
    let docs_json: String = fx
        .raw_vault()
        .query_row("SELECT group_concat(findings_json) FROM project_docs", [], |r| r.get(0))
        .unwrap();
    for value in ["zqxDOCSVALUE", "zqxINDENTED"] {
        assert!(!reqs_json.contains(value) && !docs_json.contains(value), "{value} stored");
    }
}

#[test]
fn env_var_status_follows_the_vault_and_the_projects_dotenv() {
    let (fx, dir) = project();
    let v = fx.unlock();
    secrets::add_many(&v, vec![NewSecret::new("STRIPE_SECRET_KEY", "sk_live_zqxVAULT0000000000000000003")])
        .unwrap();
    write(dir.path(), ".env", "GH_TOKEN=local\n");
    let report = scan_it(&v, dir.path());
    let state = |provider: &str| {
        let r = report.requirements.iter().find(|r| r.provider_id == provider).unwrap();
        r.env_vars[0].state
    };
    assert_eq!(state("stripe"), EnvVarState::InVault);
    assert_eq!(state("github"), EnvVarState::InDotenv);
    assert_eq!(state("openai"), EnvVarState::Missing);
}

#[test]
fn rescans_parse_only_changed_files_and_keep_decisions() {
    let (fx, dir) = project();
    let v = fx.unlock();
    let first = scan_it(&v, dir.path());
    let github = first.requirements.iter().find(|r| r.provider_id == "github").unwrap().id.clone();
    let vercel = first.requirements.iter().find(|r| r.provider_id == "vercel").unwrap().id.clone();
    projects::set_requirement_status(&v, &github, ReviewStatus::Rejected).unwrap();
    projects::set_requirement_status(&v, &vercel, ReviewStatus::Accepted).unwrap();
    projects::set_recommendation_status(&v, &first.recommendations[0].id, ReviewStatus::Accepted).unwrap();

    let second = scan_it(&v, dir.path());
    assert_eq!((second.progress.files_parsed, second.progress.files_unchanged), (0, 3));
    assert_eq!(providers_of(&second), providers_of(&first), "stored evidence is reused");
    let status = |r: &ScanReport, id: &str| r.requirements.iter().find(|q| q.id == id).unwrap().user_status;
    assert_eq!(status(&second, &github), ReviewStatus::Rejected);
    assert_eq!(status(&second, &vercel), ReviewStatus::Accepted);
    assert_eq!(second.recommendations[0].user_status, ReviewStatus::Accepted);

    // One file changes, one disappears.
    write(dir.path(), "README", "Nothing to see.\nSENTRY_AUTH_TOKEN goes here.\n");
    fs::remove_dir_all(dir.path().join("docs")).unwrap();
    let third = scan_it(&v, dir.path());
    assert_eq!((third.progress.files_parsed, third.progress.files_unchanged, third.files_removed), (1, 1, 1));
    let ids: Vec<_> = third.requirements.iter().map(|r| r.provider_id.as_str()).collect();
    assert!(ids.contains(&"sentry") && !ids.contains(&"vercel"), "{ids:?}");
    assert!(third.recommendations.is_empty(), "the email phrase is gone");
    assert_eq!(status(&third, &github), ReviewStatus::Rejected);
}

#[test]
fn projects_are_registered_once_found_by_path_name_or_id_and_removed() {
    let (fx, dir) = project();
    let v = fx.unlock();
    let a = projects::add(&v, dir.path()).unwrap();
    let b = projects::add(&v, &dir.path().join("docs/..")).unwrap();
    assert_eq!(a.id, b.id, "the same folder, however it is written");
    assert_eq!(projects::list(&v).unwrap().len(), 1);
    assert_eq!(projects::find(&v, &a.display_name).unwrap().id, a.id);
    assert_eq!(projects::find(&v, dir.path().to_str().unwrap()).unwrap().id, a.id);

    let missing = projects::add(&v, &dir.path().join("nope")).unwrap_err();
    assert_eq!(missing.code(), ErrorCode::ProjectInvalidRoot);
    let file = projects::add(&v, &dir.path().join("README.md")).unwrap_err();
    assert_eq!(file.code(), ErrorCode::ProjectInvalidRoot);
    assert_eq!(projects::find(&v, "nothing").unwrap_err().code(), ErrorCode::ProjectNotFound);
    assert_eq!(
        projects::set_requirement_status(&v, "nope", ReviewStatus::Accepted).unwrap_err().code(),
        ErrorCode::RequirementNotFound
    );
    assert_eq!(
        projects::set_recommendation_status(&v, "nope", ReviewStatus::Accepted).unwrap_err().code(),
        ErrorCode::RecommendationNotFound
    );

    scan_it(&v, dir.path());
    projects::remove(&v, &a.id).unwrap();
    assert!(projects::list(&v).unwrap().is_empty());
    let left: i64 = fx.raw_vault().query_row("SELECT count(*) FROM project_docs", [], |r| r.get(0)).unwrap();
    assert_eq!(left, 0, "docs go with the project");
    assert!(dir.path().join("README.md").exists(), "the folder is untouched");

    let audit = v.audit_log(50, None).unwrap();
    let types: Vec<_> = audit.iter().map(|e| e.event_type.as_str()).collect();
    for t in ["project.add", "project.scan", "project.remove"] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    let root = dir.path().to_string_lossy();
    assert!(
        audit.iter().all(|e| !e.metadata.to_string().contains(root.as_ref())),
        "no paths in the audit log"
    );
}

#[test]
fn a_scanned_project_selects_its_keys_for_dotenv_and_run_and_records_the_target() {
    let (fx, dir) = project();
    let v = fx.unlock();
    secrets::add_many(
        &v,
        vec![
            NewSecret::new("STRIPE_SECRET_KEY", "sk_live_zqxVAULT0000000000000000003"),
            NewSecret::new("GH_TOKEN", "ghp_zqxVAULT00000000000000000000000004"),
            NewSecret::new("UNRELATED_TOKEN", "zqx-unrelated-value-5"),
        ],
    )
    .unwrap();
    let selection = KeySelection::Project(dir.path().to_path_buf());
    // Not scanned yet: nothing is known about what it needs.
    assert_eq!(inject::command_env(&v, &selection, None, None).unwrap_err().code(), ErrorCode::InputInvalid);

    let report = scan_it(&v, dir.path());
    let env = inject::command_env(&v, &selection, None, None).unwrap();
    let mut names: Vec<_> = env.iter().map(|(n, _)| n.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["GH_TOKEN", "STRIPE_SECRET_KEY"]);

    let github = report.requirements.iter().find(|r| r.provider_id == "github").unwrap();
    projects::set_requirement_status(&v, &github.id, ReviewStatus::Rejected).unwrap();
    let env = inject::command_env(&v, &selection, None, None).unwrap();
    assert_eq!(env.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), vec!["STRIPE_SECRET_KEY"]);

    let file = dir.path().join(".env");
    let plan = inject::plan_dotenv(&v, &file, &selection, &Policy::new(Decision::Overwrite)).unwrap();
    inject::write_dotenv(&v, &file, &plan, &ApplyOptions::default(), None).unwrap();
    assert!(fs::read_to_string(&file).unwrap().contains("STRIPE_SECRET_KEY="));
    let (path, summary): (String, String) = fx
        .raw_vault()
        .query_row("SELECT path, last_diff_summary_json FROM dotenv_targets", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(path, ".env");
    assert!(summary.contains("added"), "{summary}");
    assert!(!summary.contains("zqxVAULT"));
}

#[test]
fn adversarial_trees_do_not_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // Deep nesting, odd names, unterminated fences, invalid UTF-8, CRLF,
    // lone CRs, a file of only backticks, an empty file.
    let mut deep = String::new();
    for i in 0..60 {
        deep.push_str(&format!("d{i}/"));
    }
    write(root, &format!("{deep}README.md"), "```\nGH_TOKEN\n");
    write(root, "weird name ü.md", b"\xff\xfeOpenAI \xc3\x28 OPENAI_API_KEY\r\r\n````\n~~~\n");
    write(root, "ticks.md", "`".repeat(10_000));
    write(root, "empty.md", "");
    write(
        root,
        "links.md",
        "[x](https://api.github.com) <https://stripe.com> ![i](https://openai.com/a.png)\n",
    );
    let mut progress_calls = 0;
    let scan =
        scan::scan_folder(root, &ScanOptions::default(), &Default::default(), &mut |_| progress_calls += 1)
            .unwrap();
    assert_eq!(scan.progress.files_seen, 5);
    assert!(progress_calls >= 1);
    assert_eq!(scan.files[0].path(), format!("{deep}README.md"), "sorted by path");

    let not_a_dir =
        scan::scan_folder(&root.join("empty.md"), &ScanOptions::default(), &Default::default(), &mut |_| {});
    assert_eq!(not_a_dir.unwrap_err().code(), ErrorCode::ProjectInvalidRoot);
}

#[test]
fn a_cancelled_scan_stores_nothing() {
    let (fx, dir) = project();
    let v = fx.unlock();
    let cancel = v.job_token();
    cancel.cancel();
    let options = ScanOptions { cancel: Some(cancel), ..ScanOptions::default() };
    let err = projects::scan(&v, dir.path(), &options, &mut |_| {}).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ScanCancelled);
    let docs: i64 = fx.raw_vault().query_row("SELECT count(*) FROM project_docs", [], |r| r.get(0)).unwrap();
    let reqs: i64 =
        fx.raw_vault().query_row("SELECT count(*) FROM project_requirements", [], |r| r.get(0)).unwrap();
    assert_eq!((docs, reqs), (0, 0));
    assert!(projects::list(&v).unwrap().is_empty(), "a cancelled first scan registers nothing");

    let options = ScanOptions { cancel: Some(v.job_token()), ..ScanOptions::default() };
    let report = projects::scan(&v, dir.path(), &options, &mut |_| {}).unwrap();
    assert_eq!(report.progress.files_parsed, 3, "a new token, a new scan");
}

#[test]
fn a_name_two_projects_share_is_refused_and_paths_still_work() {
    let fx = Fixture::new();
    let v = fx.unlock();
    let dir = tempfile::tempdir().unwrap();
    for parent in ["a", "b"] {
        fs::create_dir_all(dir.path().join(parent).join("app")).unwrap();
        projects::add(&v, &dir.path().join(parent).join("app")).unwrap();
    }
    let err = projects::find(&v, "app").unwrap_err();
    assert_eq!(err.code(), ErrorCode::ProjectNotFound);
    assert!(err.suggestion().contains("folder path"), "{}", err.suggestion());
    let a = dir.path().join("a/app");
    assert_eq!(
        projects::find(&v, a.to_str().unwrap()).unwrap().root_path,
        fs::canonicalize(&a).unwrap().to_string_lossy()
    );
}

/// Set a file's modification time `secs` seconds in the past.
fn age(path: &std::path::Path, secs: u64) {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs);
    fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

#[test]
fn a_rescan_reads_no_unchanged_file_only_changed_or_racy_ones() {
    let fx = Fixture::new();
    let v = fx.unlock();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..20).map(|i| dir.path().join(format!("doc{i}.md"))).collect();
    for f in &files {
        fs::write(f, "Needs `OPENAI_API_KEY`.\n").unwrap();
        age(f, 3600);
    }
    let scan = || projects::scan(&v, dir.path(), &ScanOptions::default(), &mut |_| {}).unwrap().progress;
    let first = scan();
    assert_eq!((first.files_parsed, first.files_unchanged), (20, 0));
    assert!(first.bytes_read > 0);

    let again = scan();
    assert_eq!(
        (again.files_parsed, again.files_unchanged, again.bytes_read),
        (0, 20, 0),
        "stat alone decides"
    );

    // A changed file (new size and mtime) is read and parsed, alone.
    fs::write(&files[3], "Needs `OPENAI_API_KEY` and `GITHUB_TOKEN`.\n").unwrap();
    let changed = scan();
    assert_eq!((changed.files_parsed, changed.files_unchanged), (1, 19));
    assert_eq!(changed.bytes_read, fs::metadata(&files[3]).unwrap().len());
    let reqs = projects::requirements(&v, &dir.path().to_string_lossy()).unwrap();
    assert!(reqs.iter().any(|r| r.provider_id == "github"), "the change was seen");

    // Its record is racy (taken right after it changed): the next scan
    // hashes it again (same hash: unchanged), and then trusts the stat.
    let racy = scan();
    assert_eq!((racy.files_parsed, racy.files_unchanged), (0, 20));
    assert_eq!(racy.bytes_read, fs::metadata(&files[3]).unwrap().len());
    age(&files[3], 3600);
    let touched = scan();
    assert_eq!((touched.files_parsed, touched.bytes_read), (0, fs::metadata(&files[3]).unwrap().len()));
    assert_eq!(scan().bytes_read, 0, "re-recorded with its new mtime: not read again");

    // A removed file is noticed without reading anything.
    fs::remove_file(&files[0]).unwrap();
    let report = projects::scan(&v, dir.path(), &ScanOptions::default(), &mut |_| {}).unwrap();
    assert_eq!((report.files_removed, report.progress.bytes_read), (1, 0));
}

#[test]
fn findings_of_older_rules_are_parsed_again_even_from_unchanged_files() {
    let fx = Fixture::new();
    let v = fx.unlock();
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..3).map(|i| dir.path().join(format!("doc{i}.md"))).collect();
    for f in &files {
        fs::write(f, "Needs `OPENAI_API_KEY`.\n").unwrap();
        age(f, 3600);
    }
    let scan = || projects::scan(&v, dir.path(), &ScanOptions::default(), &mut |_| {}).unwrap();
    assert_eq!(scan().progress.files_parsed, 3);
    // As an older KeyClave left them: findings of version-0 rules, which
    // (say) saw GitHub where today's rules see OpenAI.
    let stale = r#"[{"rule":"provider_name","subject":"github","matched":"GitHub","line_start":1,"line_end":1,"in_code":false,"excerpt":"GitHub"}]"#;
    let changed = fx
        .raw_vault()
        .execute(
            "UPDATE project_docs SET rules_version = 0, findings_json = ?1 WHERE path = 'doc1.md'",
            [stale],
        )
        .unwrap();
    assert_eq!(changed, 1);

    let report = scan();
    assert_eq!((report.progress.files_parsed, report.progress.files_unchanged), (1, 2), "only the stale doc");
    let found: Vec<_> = report.requirements.iter().map(|r| r.provider_id.as_str()).collect();
    assert_eq!(found, ["openai"], "the stale findings are gone");
    let again = scan().progress;
    assert_eq!((again.files_parsed, again.bytes_read), (0, 0), "stored with today's version");
    fs::remove_file(&files[2]).unwrap();
    assert_eq!(scan().files_removed, 1);
}

#[test]
fn env_templates_mdx_and_rst_are_read_but_never_a_real_env_changelogs_or_assistant_notes() {
    let fx = Fixture::new();
    let v = fx.unlock();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        ".env.local.example",
        "# Anthropic: https://console.anthropic.com\nANTHROPIC_API_KEY=sk-ant-zqxTEMPLATEVALUE00000000\n\n\
         OPENROUTER_API_KEY=\"zqxQUOTED\nSECOND LINE\"\nACME_SERVICE_SECRET=\nLOG_LEVEL=debug\n",
    );
    write(root, ".env", "MISTRAL_API_KEY=zqxREALVALUE000000000000\n");
    write(root, ".env.production", "XAI_API_KEY=zqxREALVALUE000000000000\n");
    write(root, "docs/guide.mdx", "import X from './x'\n\nSet `GROQ_API_KEY` first.\n");
    write(root, "README.rst", "Setup\n=====\n\nExport it::\n\n    COHERE_API_KEY=...\n");
    write(root, "CHANGELOG.md", "- Added `PINECONE_API_KEY` support\n");
    write(root, "CLAUDE.md", "Use `REPLICATE_API_TOKEN` in examples.\n");
    write(root, ".cursor/rules/db.md", "`RESEND_API_KEY`\n");
    write(root, "site/blog/why-we-left-pinecone.mdx", "We dropped `PINECONE_API_KEY`.\n");
    let report = scan_it(&v, root);

    let found: Vec<String> = providers_of(&report).into_iter().map(|(p, _)| p).collect();
    for needed in ["anthropic", "openrouter", "groq", "cohere", "generic"] {
        assert!(found.iter().any(|p| p == needed), "{needed} missing from {found:?}");
    }
    for never in ["mistral", "xai", "pinecone", "replicate", "resend"] {
        assert!(!found.iter().any(|p| p == never), "{never} came from a file never read: {found:?}");
    }
    assert_eq!(report.progress.files_seen, 3, "the template, the MDX and the RST only");

    // A template's assignment is code naming its variable, cited by line,
    // with the value left out of the excerpt.
    let anthropic = report.requirements.iter().find(|r| r.provider_id == "anthropic").unwrap();
    assert!(anthropic.confidence >= 0.8, "{}", anthropic.confidence);
    let c = anthropic.citations.iter().find(|c| c.rule == Rule::EnvVar).unwrap();
    assert_eq!(
        (c.path.as_str(), c.line_start, c.excerpt.as_str()),
        (".env.local.example", 2, "ANTHROPIC_API_KEY=")
    );
    let openrouter = report.requirements.iter().find(|r| r.provider_id == "openrouter").unwrap();
    assert_eq!(openrouter.citations[0].line_start, 4, "line numbers survive a multi-line value");
    let generic = report.requirements.iter().find(|r| r.provider_id == "generic").unwrap();
    assert_eq!(
        generic.env_vars.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
        vec!["ACME_SERVICE_SECRET"]
    );

    let json = serde_json::to_string(&report).unwrap();
    let docs_json: String = fx
        .raw_vault()
        .query_row("SELECT group_concat(findings_json) FROM project_docs", [], |r| r.get(0))
        .unwrap();
    for value in ["zqxTEMPLATEVALUE", "zqxQUOTED", "SECOND LINE", "zqxREALVALUE"] {
        assert!(!json.contains(value) && !docs_json.contains(value), "{value} leaked");
    }
}

//! The one setup helper: a temporary home with a profile, and ways to run
//! the built `keyclave` binary in it.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use tempfile::TempDir;

pub const PASS: &str = "correct horse battery staple";

pub struct Home {
    pub dir: TempDir,
}

impl Home {
    /// A home with one profile `Work`, created non-interactively with cheap
    /// KDF parameters.
    pub fn with_profile() -> Self {
        Home::with_profile_in(Home { dir: tempfile::tempdir().expect("tempdir") })
    }

    /// [`Home::with_profile`] in an empty home folder made elsewhere (on a
    /// small file system, under an odd path).
    pub fn with_profile_in(h: Home) -> Self {
        std::fs::create_dir(h.dir.path().join("run")).expect("mkdir run");
        std::fs::write(h.pass_file(), format!("{PASS}\n")).expect("write pass file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(h.pass_file(), std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let out =
            h.run(&["profile", "create", "Work", "--kdf-memory-kib", "256", "--kdf-iterations", "1"], None);
        assert_ok(&out);
        h
    }

    pub fn pass_file(&self) -> PathBuf {
        self.dir.path().join("pass.txt")
    }

    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).expect("write");
        p
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.cmd_without_passphrase(&[]);
        c.arg("--passphrase-file").arg(self.pass_file());
        c.args(args);
        c
    }

    /// A command given no passphrase: it must come from the unlock agent
    /// (or the prompt, or standard input).
    pub fn cmd_without_passphrase(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_keyclave"));
        c.arg("--home").arg(self.dir.path().join("data"));
        c.args(args);
        c.env_remove("KEYCLAVE_HOME").env_remove("KEYCLAVE_PROFILE");
        // The home's own runtime folder: an agent started by one test is
        // never found by another (or by the user's shell).
        c.env("XDG_RUNTIME_DIR", self.dir.path().join("run"));
        c
    }

    /// Run with `stdin` as standard input (closed when `None`).
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_cmd(self.cmd(args), stdin)
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a, None);
        assert_ok(&out);
        serde_json::from_slice(&out.stdout).expect("stdout is JSON")
    }

    /// Run with `--json`, expect failure; returns (exit code, error JSON).
    pub fn fails(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a, stdin);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "panic: {stderr}");
        let line = stderr.lines().last().expect("an error line");
        let err: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("error is JSON: {stderr}"));
        (out.status.code().expect("exit code"), err)
    }
}

pub fn run_cmd(mut c: Command, stdin: Option<&str>) -> Output {
    c.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn keyclave");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

pub fn assert_ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// --- bundles

pub const BUNDLE_PASS: &str = "a bundle password";
/// Cheap bundle KDF: the format is tested here, not Argon2's cost.
pub const BUNDLE_KDF: &[&str] = &["--bundle-kdf-memory-kib", "8", "--bundle-kdf-iterations", "1"];

impl Home {
    pub fn bundle_pass_file(&self) -> PathBuf {
        self.file("bundle-pass.txt", &format!("{BUNDLE_PASS}\n"))
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().expect("utf8").to_owned()
    }

    /// A second profile `Home` with the same passphrase.
    pub fn add_profile(&self, name: &str) {
        assert_ok(
            &self.run(&["profile", "create", name, "--kdf-memory-kib", "256", "--kdf-iterations", "1"], None),
        );
    }
}

pub fn export_args<'a>(out: &'a str, bp: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["bundle", "export", out, "--bundle-passphrase-file", bp];
    a.extend_from_slice(BUNDLE_KDF);
    a.extend_from_slice(extra);
    a
}

// --- TOTP

pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs()
}

/// Now, with at least 15 s left in the current 30 s step.
pub fn settled_now() -> u64 {
    loop {
        let now = unix_now();
        if 30 - now % 30 >= 15 {
            return now;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

// --- env and projects

pub const ENV_GH: &str = "ghp_zqxCLIenvGithubValue01";
pub const ENV_OAI: &str = "sk-zqxCLIenvOpenaiValue02";

/// A home whose vault holds a GitHub and an OpenAI key, and a project
/// folder with a `.env`.
pub fn home_with_keys(dotenv: &str) -> (Home, PathBuf) {
    let h = Home::with_profile();
    for (name, value) in [("GITHUB_TOKEN", ENV_GH), ("OPENAI_API_KEY", ENV_OAI)] {
        assert_ok(&h.run(&["secret", "add", name], Some(value)));
    }
    let project = h.dir.path().join("project");
    std::fs::create_dir(&project).expect("mkdir");
    std::fs::write(project.join(".env"), dotenv).expect("write .env");
    (h, project)
}

/// A home with GitHub and OpenAI keys, and a project whose README needs both
/// (OpenAI in a fenced block, GitHub inline) and describes a capability.
pub fn scanned_project() -> (Home, PathBuf) {
    let (h, project) = home_with_keys("PORT=8080\n");
    std::fs::write(
        project.join("README.md"),
        "# App\n\nUses the OpenAI API.\n\n```sh\nexport OPENAI_API_KEY=sk-zqxDOCvalue000000000000001\n```\n\
         Releases need `GITHUB_TOKEN`.\nPassword resets require transactional email.\n",
    )
    .expect("write README");
    (h, project)
}

pub fn requirement_id(report: &Value, provider: &str) -> String {
    let reqs = report["requirements"].as_array().expect("requirements");
    let r = reqs.iter().find(|r| r["provider_id"] == provider).expect("requirement");
    r["id"].as_str().expect("id").to_owned()
}

/// Every secret's name and value, read back through `inject` in one
/// command. The template is written outside the home (which may be on a
/// full disk) and removed.
pub fn all_values(h: &Home) -> std::collections::BTreeMap<String, String> {
    all_values_in(h, &[])
}

/// [`all_values`] of the profile `--profile` names (`profile`: those two
/// arguments, or none for the only profile).
pub fn all_values_in(h: &Home, profile: &[&str]) -> std::collections::BTreeMap<String, String> {
    let mut args = profile.to_vec();
    args.extend(["secret", "list"]);
    let list = h.json(&args);
    let items = list["items"].as_array().expect("items");
    assert_eq!(list["total"].as_u64(), Some(items.len() as u64), "the list is whole");
    let template: String = items
        .iter()
        .map(|s| s["key_name"].as_str().expect("name"))
        .map(|n| format!("{n}={{{{ keyclave://{n} }}}}\n"))
        .collect();
    let tpl = tempfile::NamedTempFile::new().expect("template file");
    std::fs::write(tpl.path(), template).expect("template");
    let mut args = profile.to_vec();
    args.extend(["inject", "-i", tpl.path().to_str().expect("utf8")]);
    let out = h.run(&args, None);
    assert_ok(&out);
    stdout(&out)
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("NAME=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// The error code of a failed `--json` command, and its whole stderr.
pub fn failure(out: &Output) -> (String, String) {
    assert!(!out.status.success(), "should have failed: {}", stdout(out));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let code = stderr
        .lines()
        .last()
        .and_then(|l| serde_json::from_str::<Value>(l).ok())
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("not a JSON error: {stderr}"));
    (code, stderr)
}

/// No file under `dir` (however deep) holds `mark`, which every planted
/// value contains: a plaintext leak is a byte search.
pub fn assert_no_plaintext(dir: &std::path::Path, mark: &str) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            assert_no_plaintext(&path, mark);
        } else {
            let bytes = std::fs::read(&path).expect("read");
            assert!(
                !bytes.windows(mark.len()).any(|w| w == mark.as_bytes()),
                "{} holds a value in plaintext",
                path.display()
            );
        }
    }
}

/// Copy a folder tree (a profile folder to "another machine").
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

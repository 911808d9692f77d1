//! The unlock agent: `keyclave unlock` starts or reuses it, later commands
//! need no passphrase, it locks on `keyclave lock` and after the auto-lock
//! timeout, it refuses other users, it survives a stale socket, and it
//! holds profiles separately.
//!
//! Unix only: the agent is a unix-socket process (no named pipe on
//! Windows yet; there every command unlocks by itself).
#![cfg(unix)]

use serde_json::Value;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::util::{Home, assert_ok, run_cmd, stdout};

/// Locks everything in the home's agent when a test ends, pass or fail, so
/// no agent outlives its test (it would also exit once its socket's
/// folder is removed).
struct Agent<'a>(&'a Home);

impl Drop for Agent<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["lock", "--all"], None);
    }
}

fn unlock(h: &Home) -> Agent<'_> {
    let out = h.run(&["unlock"], None);
    assert_ok(&out);
    assert!(stdout(&out).contains("Work is unlocked"), "{}", stdout(&out));
    Agent(h)
}

/// A command given no passphrase at all (standard input closed).
fn without_pass(h: &Home, args: &[&str]) -> Output {
    run_cmd(h.cmd_without_passphrase(args), None)
}

fn error_code(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().last().unwrap_or_default();
    let err: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("error is JSON: {stderr}"));
    err["code"].as_str().unwrap().to_owned()
}

fn status(h: &Home) -> Value {
    let out = without_pass(h, &["--json", "status"]);
    assert_ok(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

fn unlocked_names(h: &Home) -> Vec<String> {
    let s = status(h);
    s["unlocked"].as_array().unwrap().iter().map(|u| u["display_name"].as_str().unwrap().to_owned()).collect()
}

fn add(h: &Home, name: &str, value: &str) {
    assert_ok(&h.run(&["secret", "add", name], Some(value)));
}

#[test]
fn unlock_starts_the_agent_and_later_commands_need_no_passphrase() {
    let h = Home::with_profile();
    add(&h, "OPENAI_API_KEY", "sk-zqxAGENTvalue000000001");
    // Without the agent a command with no passphrase is refused.
    let out = without_pass(&h, &["--json", "secret", "list"]);
    assert_eq!(error_code(&out), "vault.passphrase_missing");

    let _agent = unlock(&h);
    let first = status(&h);
    let pid = first["pid"].as_u64().unwrap();
    assert!(first["agent_running"].as_bool().unwrap());
    assert_eq!(unlocked_names(&h), ["Work"]);

    let out = without_pass(&h, &["secret", "list"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("OPENAI_API_KEY"));
    let out = without_pass(&h, &["secret", "reveal", "OPENAI_API_KEY"]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "sk-zqxAGENTvalue000000001\n");
    // Writes go through it too.
    assert_ok(&run_cmd(
        h.cmd_without_passphrase(&["secret", "add", "GH_TOKEN"]),
        Some("ghp_zqxAGENTvalue0002"),
    ));
    let out = without_pass(&h, &["secret", "reveal", "GH_TOKEN"]);
    assert_eq!(stdout(&out), "ghp_zqxAGENTvalue0002\n");

    // A second unlock reuses the agent and asks nothing (the passphrase
    // file is not even read: a wrong one does not matter).
    std::fs::write(h.pass_file(), "wrong passphrase\n").unwrap();
    let out = h.run(&["unlock"], None);
    assert_ok(&out);
    assert_eq!(status(&h)["pid"].as_u64().unwrap(), pid, "the same agent");
}

#[test]
fn the_audit_log_has_one_unlock_not_a_pair_per_command() {
    let h = Home::with_profile();
    add(&h, "OPENAI_API_KEY", "sk-zqxAGENTaudit00000001");
    let _agent = unlock(&h);
    for _ in 0..3 {
        assert_ok(&without_pass(&h, &["secret", "list"]));
    }
    assert_ok(&without_pass(&h, &["secret", "reveal", "OPENAI_API_KEY"]));
    let out = without_pass(&h, &["--json", "audit", "--limit", "20"]);
    assert_ok(&out);
    let events: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let types: Vec<&str> = events.iter().map(|e| e["event_type"].as_str().unwrap()).collect();
    // Newest first: the reveal, then the agent's unlock; nothing between.
    assert_eq!(&types[..2], ["secret.reveal", "vault.unlock"], "{types:?}");
    assert_eq!(events[0]["metadata"]["delivered"], true);
    // `--type` filters.
    let out = without_pass(&h, &["--json", "audit", "--type", "vault.unlock"]);
    let unlocks: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(unlocks.iter().all(|e| e["event_type"] == "vault.unlock"));
}

#[test]
fn lock_ends_it_and_commands_ask_again() {
    let h = Home::with_profile();
    let agent = unlock(&h);
    let out = without_pass(&h, &["lock"]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "Locked Work.\n");
    assert!(unlocked_names(&h).is_empty());
    let out = without_pass(&h, &["--json", "secret", "list"]);
    assert_eq!(error_code(&out), "vault.passphrase_missing");
    let out = without_pass(&h, &["lock"]);
    assert_eq!(stdout(&out), "Nothing was unlocked.\n");
    // The lock was recorded.
    let events = h.json(&["audit", "--type", "vault.lock", "--limit", "5"]);
    assert!(!events.as_array().unwrap().is_empty());
    drop(agent);
}

#[test]
fn it_locks_after_the_auto_lock_timeout_and_then_exits() {
    let h = Home::with_profile();
    let out = h.run(&["profile", "settings", "--auto-lock", "5"], None);
    assert_ok(&out);
    let _agent = unlock(&h);
    let pid = status(&h)["pid"].as_u64().unwrap();
    assert_ok(&without_pass(&h, &["secret", "list"]));
    // 5 s without a command: locked (checked twice a second).
    let started = Instant::now();
    while !unlocked_names(&h).is_empty() {
        assert!(started.elapsed() < Duration::from_secs(20), "still unlocked after 20 s");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert!(started.elapsed() >= Duration::from_secs(3), "locked too early");
    let out = without_pass(&h, &["--json", "secret", "list"]);
    assert_eq!(error_code(&out), "vault.passphrase_missing");
    // With nothing unlocked the agent leaves (after a short grace).
    let started = Instant::now();
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && is_agent(pid) {
        assert!(started.elapsed() < Duration::from_secs(30), "the agent did not exit");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The process is still a keyclave agent (not a reused pid).
fn is_agent(pid: u64) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains("agent"))
        .unwrap_or(false)
}

/// The process exists and has not yet exited (a zombie has closed its files).
fn is_running(pid: u64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn a_stale_socket_after_a_crash_is_replaced() {
    let h = Home::with_profile();
    let _agent = unlock(&h);
    let pid = status(&h)["pid"].as_u64().unwrap();
    let killed = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    assert!(killed.success());
    // `kill` returns once the signal is sent; until the process has exited its
    // listening socket still accepts, so wait for it to be gone (or a zombie).
    let started = Instant::now();
    while is_running(pid) {
        assert!(started.elapsed() < Duration::from_secs(10), "the killed agent did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let socket_dir = h.dir.path().join("run/keyclave");
    let sockets = || std::fs::read_dir(&socket_dir).unwrap().filter_map(|e| e.ok()).count();
    assert_eq!(sockets(), 1, "the killed agent left its socket");
    // A command falls back to unlocking by itself (no agent error).
    let out = without_pass(&h, &["--json", "secret", "list"]);
    assert_eq!(error_code(&out), "vault.passphrase_missing");
    assert_ok(&h.run(&["secret", "list"], None));
    // `unlock` starts a new agent over the stale socket.
    let _agent = unlock(&h);
    let new_pid = status(&h)["pid"].as_u64().unwrap();
    assert_ne!(new_pid, pid);
    assert_ok(&without_pass(&h, &["secret", "list"]));
    assert_eq!(sockets(), 1);
}

#[test]
fn two_profiles_are_held_and_locked_separately() {
    let h = Home::with_profile();
    h.add_profile("Home");
    assert_ok(&h.run(&["--profile", "Home", "secret", "add", "HOME_KEY"], Some("home-value-zqx")));
    let _agent = Agent(&h);
    let out = h.run(&["--profile", "Work", "unlock"], None);
    assert_ok(&out);
    let out = h.run(&["--profile", "Home", "unlock"], None);
    assert_ok(&out);
    assert_eq!(unlocked_names(&h), ["Home", "Work"]);
    let out = without_pass(&h, &["--profile", "Home", "secret", "reveal", "HOME_KEY"]);
    assert_eq!(stdout(&out), "home-value-zqx\n");
    // Work's vault does not have Home's key.
    let out = without_pass(&h, &["--json", "--profile", "Work", "secret", "reveal", "HOME_KEY"]);
    assert_eq!(error_code(&out), "secret.not_found");

    assert_ok(&without_pass(&h, &["--profile", "Work", "lock"]));
    assert_eq!(unlocked_names(&h), ["Home"]);
    let out = without_pass(&h, &["--json", "--profile", "Work", "secret", "list"]);
    assert_eq!(error_code(&out), "vault.passphrase_missing");
    assert_ok(&without_pass(&h, &["--profile", "Home", "secret", "list"]));
}

#[test]
fn a_folder_others_can_enter_is_not_used() {
    let h = Home::with_profile();
    let _agent = unlock(&h);
    let dir = h.dir.path().join("run/keyclave");
    chmod(&dir, 0o755);
    // Commands warn and unlock by themselves (another user could have
    // made the folder; failing would let them block every command).
    let out = without_pass(&h, &["--json", "secret", "list"]);
    assert_eq!(error_code(&out), "vault.passphrase_missing");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not private"));
    // Starting an agent there is refused.
    let (_, err) = h.fails(&["unlock"], None);
    assert_eq!(err["code"], "agent.refused");
    chmod(&dir, 0o700);
    assert_ok(&without_pass(&h, &["secret", "list"]));
}

#[test]
fn looking_for_an_agent_leaves_no_folder_behind() {
    let h = Home::with_profile();
    assert_ok(&h.run(&["secret", "list"], None));
    assert!(!h.dir.path().join("run/keyclave").exists());
}

fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Another uid that reaches the socket (its folder and socket opened up on
/// purpose) is refused by the agent's own peer check. Needs root to run a
/// process as another user; skipped (with a message) otherwise.
#[test]
fn another_user_is_refused_by_the_peer_check() {
    if !nix_is_root() {
        eprintln!("skipped: needs root to connect as another uid");
        return;
    }
    let h = Home::with_profile();
    let _agent = unlock(&h);
    let dir = h.dir.path().join("run/keyclave");
    let socket = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    for d in [h.dir.path(), &h.dir.path().join("run"), &dir] {
        chmod(d, 0o711);
    }
    chmod(&socket, 0o666);
    // The agent answers a refused peer at once, before any request.
    let script = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n\
                  print(s.makefile().readline())";
    // Debian's python3 (a user's pyenv under /root is not readable by nobody).
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", script])
        .arg(&socket)
        .output()
        .unwrap();
    assert_ok(&out);
    let reply: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply["reply"], "error", "{reply}");
    assert_eq!(reply["code"], "agent.refused");
    assert!(!stdout(&out).contains("Work"), "nothing about the profiles leaks");
    chmod(&dir, 0o700);
    assert_eq!(unlocked_names(&h), ["Work"], "the agent still serves its user");
}

fn nix_is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().map(|o| stdout(&o).trim() == "0").unwrap_or(false)
}

#[test]
fn run_and_inject_get_values_through_the_agent() {
    let h = Home::with_profile();
    add(&h, "OPENAI_API_KEY", "sk-zqxAGENTrun0000000001");
    let _agent = unlock(&h);
    let out = without_pass(
        &h,
        &["run", "--key", "OPENAI_API_KEY", "--", "sh", "-c", "printf %s \"$OPENAI_API_KEY\""],
    );
    assert_ok(&out);
    assert_eq!(stdout(&out), "sk-zqxAGENTrun0000000001");
    let tpl = h.file("config.tpl", "key: {{ keyclave://openai/OPENAI_API_KEY }}\n");
    let out = without_pass(&h, &["inject", "-i", tpl.to_str().unwrap()]);
    assert_ok(&out);
    assert_eq!(stdout(&out), "key: sk-zqxAGENTrun0000000001\n");
}

#[test]
fn rotating_the_key_locks_the_profile_in_the_agent_first() {
    let h = Home::with_profile();
    add(&h, "OPENAI_API_KEY", "sk-zqxAGENTrotate0000001");
    let _agent = unlock(&h);
    assert_ok(&h.run(&["profile", "rotate-key"], None));
    assert!(unlocked_names(&h).is_empty(), "the old key is not kept open");
    let _agent = unlock(&h);
    let out = without_pass(&h, &["secret", "reveal", "OPENAI_API_KEY"]);
    assert_eq!(stdout(&out), "sk-zqxAGENTrotate0000001\n");
}

#[test]
fn settings_changed_through_the_agent_apply_at_once() {
    let h = Home::with_profile();
    let _agent = unlock(&h);
    let out = without_pass(&h, &["profile", "settings", "--auto-lock", "900"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("900 s"), "{}", stdout(&out));
    let locks_in = status(&h)["unlocked"][0]["locks_in_secs"].as_u64().unwrap();
    assert!((890..=900).contains(&locks_in), "{locks_in}");
    let (code, err) = h.fails(&["profile", "settings", "--auto-lock", "1"], None);
    assert_eq!((code, err["code"].as_str().unwrap()), (2, "input.invalid"));
}

#[test]
fn what_another_command_wrote_is_seen_through_the_agent() {
    let h = Home::with_profile();
    let _agent = unlock(&h);
    // `import` unlocks by itself (it does not go through the agent).
    let file = h.file("keys.env", "IMPORTED_KEY=imported-value-zqx\n");
    assert_ok(&h.run(&["import", file.to_str().unwrap()], None));
    let out = without_pass(&h, &["secret", "list"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("IMPORTED_KEY"), "{}", stdout(&out));
    let out = without_pass(&h, &["secret", "reveal", "IMPORTED_KEY"]);
    assert_eq!(stdout(&out), "imported-value-zqx\n");
}

#[test]
fn a_malformed_message_gets_an_error_and_the_agent_keeps_serving() {
    use std::io::{BufRead, Write};
    let h = Home::with_profile();
    let _agent = unlock(&h);
    let dir = h.dir.path().join("run/keyclave");
    let socket = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    stream.write_all(b"{\"request\":\"vault\",\"op\":{\"op\":\"no_such_op\"}}\n").unwrap();
    let mut line = String::new();
    std::io::BufReader::new(&stream).read_line(&mut line).unwrap();
    let reply: Value = serde_json::from_str(&line).unwrap();
    assert_eq!((reply["reply"].as_str(), reply["code"].as_str()), (Some("error"), Some("agent.unavailable")));
    assert_eq!(unlocked_names(&h), ["Work"], "still serving");
}

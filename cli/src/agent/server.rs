//! The agent process (`keyclave agent`, started by `keyclave unlock`): a
//! thread per connection, one [`Session`] per unlocked profile, and a
//! watchdog that locks idle profiles and ends the process when nothing is
//! unlocked or its socket is gone.
//!
//! The map of sessions is locked only to look up, insert or remove one:
//! the KDF of an unlock and every vault operation run outside it, on the
//! connection's own thread, with a clone of the vault handle.

use keyclave_core::index::ProfileRecord;
use keyclave_core::paths::Root;
use keyclave_core::session::Session;
use keyclave_core::{Error, ErrorCode, KeyClave, Result};
use std::collections::HashMap;
use std::io::BufReader;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use super::ops;
use super::protocol::{self, Reply, Request, Unlocked, VaultOp, WireError};

/// How long the agent stays with nothing unlocked before it exits.
const EMPTY_GRACE: Duration = Duration::from_secs(10);

struct Profile {
    display_name: String,
    session: Session,
}

struct Agent {
    root: Root,
    /// The profile index, for looking profiles up (a moment each). An
    /// unlock opens its own, so its KDF holds nothing shared.
    index: Mutex<KeyClave>,
    socket: PathBuf,
    /// The socket file's inode: what this agent removes at exit, and how
    /// it sees that the file was removed or taken by another agent.
    inode: Option<u64>,
    /// By profile id.
    profiles: Mutex<HashMap<String, Arc<Profile>>>,
    /// When the map last became empty (or the agent started).
    empty_since: Mutex<Option<Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Run the agent for `root` until nothing is unlocked: bind the socket
/// (replacing a stale one, refusing when another agent answers), serve.
pub fn serve(root: Root) -> Result<()> {
    let socket = super::socket_path(&root, super::Create::Yes)?
        .ok_or_else(|| Error::new(ErrorCode::AgentUnavailable, "no runtime folder for the agent socket"))?;
    let listener = bind(&socket)?;
    let inode = std::fs::metadata(&socket).map(|m| m.ino()).ok();
    let index = Mutex::new(KeyClave::open(root.clone())?);
    let agent = Arc::new(Agent {
        root,
        index,
        socket,
        inode,
        profiles: Mutex::new(HashMap::new()),
        empty_since: Mutex::new(Some(Instant::now())),
    });
    let on_signal = Arc::clone(&agent);
    // SIGTERM or SIGINT: lock (recording it) and leave no socket behind.
    let _ = ctrlc::set_handler(move || on_signal.shut_down());
    let watchdog = Arc::clone(&agent);
    std::thread::spawn(move || watchdog.watch());
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        let agent = Arc::clone(&agent);
        std::thread::spawn(move || agent.connection(stream));
    }
    Ok(())
}

fn bind(socket: &Path) -> Result<UnixListener> {
    if UnixStream::connect(socket).is_ok() {
        return Err(Error::new(
            ErrorCode::AgentUnavailable,
            "an unlock agent is already running for this data folder",
        ));
    }
    // Nothing answers: a socket left by an agent that was killed.
    let _ = std::fs::remove_file(socket);
    let listener = UnixListener::bind(socket).map_err(|e| {
        Error::new(ErrorCode::AgentUnavailable, format!("cannot listen on {}: {e}", socket.display()))
    })?;
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
        Error::new(ErrorCode::AgentUnavailable, format!("cannot make the socket private: {e}"))
    })?;
    Ok(listener)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    Ok(getsockopt(stream, PeerCredentials)?.uid())
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn peer_uid(stream: &UnixStream) -> std::io::Result<u32> {
    Ok(nix::unistd::getpeereid(stream)?.0.as_raw())
}

impl Agent {
    fn connection(&self, stream: UnixStream) {
        let own = nix::unistd::geteuid().as_raw();
        let Ok(mut writer) = stream.try_clone() else { return };
        match peer_uid(&stream) {
            Ok(uid) if uid == own => {}
            peer => {
                // Never reached through a private folder; checked anyway, as
                // ssh-agent does, in case the folder's mode was loosened.
                let who = peer.map_or_else(|e| format!("unknown ({e})"), |u| u.to_string());
                let e = Error::new(
                    ErrorCode::AgentRefused,
                    format!("the unlock agent serves uid {own} only, not uid {who}"),
                );
                let _ = protocol::send(&mut writer, &Reply::Error(WireError::from(&e)));
                return;
            }
        }
        let mut reader = BufReader::new(stream);
        loop {
            let request = match protocol::receive::<Request>(&mut reader) {
                Ok(Some(request)) => request,
                Ok(None) => break,
                Err(e) => {
                    // Not a message of ours: say so, and end this connection.
                    let _ = protocol::send(&mut writer, &Reply::Error(WireError::from(&e)));
                    break;
                }
            };
            let reply = self.handle(request, &mut |value| {
                // A reveal: the value goes out, then the client says
                // whether it reached its reader.
                if protocol::send(&mut writer, &Reply::Value { value }).is_err() {
                    return false;
                }
                matches!(protocol::receive(&mut reader), Ok(Some(Request::Delivered { delivered: true })))
            });
            let reply = reply.unwrap_or_else(|e| Reply::Error(WireError::from(&e)));
            if protocol::send(&mut writer, &reply).is_err() {
                break;
            }
        }
    }

    /// Hold a vault just unlocked (replacing an older unlock of it).
    fn keep(&self, vault: keyclave_core::Vault) -> Result<Reply> {
        let profile = vault.profile();
        let (id, display_name) = (profile.id, profile.display_name);
        let entry = {
            let mut map = lock(&self.profiles);
            let entry = Arc::clone(map.entry(id.clone()).or_insert_with(|| {
                Arc::new(Profile { display_name: display_name.clone(), session: Session::new() })
            }));
            *lock(&self.empty_since) = None;
            entry
        };
        if let Some(previous) = entry.session.unlocked(vault) {
            previous.close()?;
        }
        Ok(Reply::Unlocked(describe(&id, &entry)))
    }

    /// The profile a request names (or the only one).
    fn select(&self, profile: Option<&str>) -> Result<ProfileRecord> {
        lock(&self.index).select_profile(profile)
    }

    fn handle(
        &self,
        request: Request,
        deliver: &mut dyn FnMut(protocol::Sensitive) -> bool,
    ) -> Result<Reply> {
        match request {
            Request::Status => Ok(Reply::Status {
                version: protocol::VERSION,
                pid: std::process::id(),
                unlocked: self.unlocked_list(),
            }),
            Request::Unlock { profile, passphrase } => {
                let rec = self.select(profile.as_deref())?;
                // Its own index connection, outside the shared lock: the
                // KDF takes half a second.
                let keyclave = KeyClave::open(self.root.clone())?;
                let vault = keyclave.unlock_profile(rec, &passphrase.into_secret())?;
                self.keep(vault)
            }
            Request::UnlockWithKeychain { profile } => {
                let rec = self.select(profile.as_deref())?;
                let keyclave = KeyClave::open(self.root.clone())?;
                let vault = keyclave.unlock_with_keychain(rec)?;
                self.keep(vault)
            }
            Request::Lock { profile, all } => {
                let ids: Vec<String> = if all {
                    lock(&self.profiles).keys().cloned().collect()
                } else {
                    vec![self.select(profile.as_deref())?.id]
                };
                let mut names = Vec::new();
                for id in ids {
                    if let Some(p) = self.remove(&id) {
                        if let Some(locked) = p.session.lock() {
                            locked.close()?;
                            names.push(p.display_name.clone());
                        }
                    }
                }
                Ok(Reply::Locked { profiles: names })
            }
            Request::Vault { profile, op } => {
                let rec = self.select(profile.as_deref())?;
                let entry = lock(&self.profiles).get(&rec.id).cloned();
                let Some(vault) = entry.and_then(|p| p.session.for_user().ok()) else {
                    return Ok(Reply::NotUnlocked { display_name: rec.display_name });
                };
                if matches!(op, VaultOp::Touch) {
                    return Ok(Reply::Done);
                }
                // A command that unlocked by itself (an import, say) may
                // have written since.
                vault.sync_external_changes()?;
                ops::execute(&vault, op, deliver)
            }
            Request::Delivered { .. } => Err(Error::invalid("no value was handed out")),
        }
    }

    fn unlocked_list(&self) -> Vec<Unlocked> {
        let map = lock(&self.profiles);
        let mut list: Vec<Unlocked> =
            map.iter().filter(|(_, p)| p.session.is_unlocked()).map(|(id, p)| describe(id, p)).collect();
        list.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        list
    }

    fn remove(&self, id: &str) -> Option<Arc<Profile>> {
        let mut map = lock(&self.profiles);
        let removed = map.remove(id);
        if map.is_empty() {
            lock(&self.empty_since).get_or_insert_with(Instant::now);
        }
        removed
    }

    /// Once a second: lock what has been idle too long; exit when nothing
    /// has been unlocked for [`EMPTY_GRACE`] or the socket is not ours any
    /// more (removed, or replaced by another agent's).
    fn watch(&self) {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let now = SystemTime::now();
            let profiles: Vec<(String, Arc<Profile>)> =
                lock(&self.profiles).iter().map(|(id, p)| (id.clone(), Arc::clone(p))).collect();
            for (id, p) in profiles {
                if let Some(locked) = p.session.lock_if_idle(now) {
                    self.remove(&id);
                    if let Err(e) = locked.close() {
                        tracing::warn!("recording the auto-lock failed: {e}");
                    }
                }
            }
            let empty_too_long = lock(&self.empty_since).is_some_and(|t| t.elapsed() >= EMPTY_GRACE);
            if !self.socket_is_ours() || empty_too_long {
                self.shut_down();
            }
        }
    }

    /// Lock everything, remove the socket (if still ours) and exit.
    fn shut_down(&self) -> ! {
        let profiles: Vec<Arc<Profile>> = lock(&self.profiles).drain().map(|(_, p)| p).collect();
        for p in profiles {
            if let Some(locked) = p.session.lock() {
                let _ = locked.close();
            }
        }
        if self.socket_is_ours() {
            let _ = std::fs::remove_file(&self.socket);
        }
        std::process::exit(0)
    }

    fn socket_is_ours(&self) -> bool {
        self.inode.is_some() && std::fs::metadata(&self.socket).map(|m| m.ino()).ok() == self.inode
    }
}

fn describe(id: &str, p: &Profile) -> Unlocked {
    let timeout = p.session.vault().map(|v| v.settings().auto_lock_timeout_seconds).unwrap_or(0);
    let idle = p.session.idle_for(SystemTime::now()).as_secs();
    Unlocked {
        profile_id: id.to_owned(),
        display_name: p.display_name.clone(),
        locks_in_secs: u64::from(timeout).saturating_sub(idle),
    }
}

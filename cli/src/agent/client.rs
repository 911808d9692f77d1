//! A command's side of the agent: find it, start it, ask it.

use keyclave_core::paths::Root;
use keyclave_core::{Error, ErrorCode, Result};

use super::protocol::{self, Reply, Request, Sensitive, VaultOp};

/// How long `keyclave unlock` waits for a new agent's socket.
#[cfg(unix)]
const START_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A connection to a running agent.
pub struct Connection {
    #[cfg(unix)]
    reader: std::io::BufReader<std::os::unix::net::UnixStream>,
    #[cfg(unix)]
    writer: std::os::unix::net::UnixStream,
}

/// The agent of this data folder, when one is running; `None` otherwise
/// (a missing or stale socket), so the command unlocks by itself. The
/// socket's name carries the protocol version: an agent of another
/// version is not found. A runtime folder that is not private is not
/// used (it may be someone else's trap): a warning, and `None`.
pub fn connect(root: &Root) -> Result<Option<Connection>> {
    #[cfg(unix)]
    {
        let path = match super::socket_path(root, super::Create::No) {
            Ok(Some(path)) => path,
            Ok(None) => return Ok(None),
            Err(e) => {
                crate::output::warn(&format!("not using the unlock agent: {}", e.message()));
                return Ok(None);
            }
        };
        let Ok(stream) = std::os::unix::net::UnixStream::connect(&path) else {
            return Ok(None);
        };
        let reader = std::io::BufReader::new(stream.try_clone().map_err(io)?);
        Ok(Some(Connection { reader, writer: stream }))
    }
    #[cfg(not(unix))]
    {
        let _ = root;
        Ok(None)
    }
}

/// The running agent, or a new one started in the background (in its own
/// process group, so Ctrl-C in this terminal does not stop it).
pub fn start(root: &Root) -> Result<Connection> {
    #[cfg(unix)]
    {
        // Made (or refused) here, before anything is started.
        super::runtime_dir(super::Create::Yes)?;
    }
    if let Some(conn) = connect(root)? {
        return Ok(conn);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let exe = std::env::current_exe()
            .map_err(|e| unavailable(format!("cannot find the keyclave program: {e}")))?;
        let mut child = std::process::Command::new(exe)
            .arg("--home")
            .arg(root.dir())
            .arg("agent")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| unavailable(format!("cannot start the unlock agent: {e}")))?;
        let started = std::time::Instant::now();
        while started.elapsed() < START_TIMEOUT {
            if let Some(conn) = connect(root)? {
                // Reaped by init once it exits: it outlives this command.
                drop(child);
                return Ok(conn);
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(unavailable(format!("the unlock agent stopped at start ({status})")));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        Err(unavailable("the unlock agent did not answer within 5 seconds"))
    }
    #[cfg(not(unix))]
    Err(Error::new(ErrorCode::AgentUnavailable, "the unlock agent is not available on this system yet")
        .with_suggestion("Every command asks for the passphrase (or reads --passphrase-file) instead."))
}

fn unavailable(message: impl AsRef<str>) -> Error {
    Error::new(ErrorCode::AgentUnavailable, message)
}

#[cfg(unix)]
fn io(e: std::io::Error) -> Error {
    unavailable(format!("the unlock agent connection failed: {e}"))
}

impl Connection {
    /// Send `request` and return the agent's reply; an error reply is the
    /// error. A value the agent hands out on the way goes to `deliver`,
    /// whose answer (did it reach the reader?) goes back to the agent.
    pub fn request(
        &mut self,
        request: &Request,
        deliver: &mut dyn FnMut(Sensitive) -> bool,
    ) -> Result<Reply> {
        self.exchange(request, deliver)
    }

    fn exchange(
        &mut self,
        request: &impl serde::Serialize,
        deliver: &mut dyn FnMut(Sensitive) -> bool,
    ) -> Result<Reply> {
        #[cfg(unix)]
        {
            protocol::send(&mut self.writer, request)?;
            loop {
                let reply: Reply = protocol::receive(&mut self.reader)?
                    .ok_or_else(|| unavailable("the unlock agent closed the connection"))?;
                match reply {
                    Reply::Value { value } => {
                        let delivered = deliver(value);
                        protocol::send(&mut self.writer, &Request::Delivered { delivered })?;
                    }
                    Reply::Error(e) => return Err(e.into()),
                    other => return Ok(other),
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (request, deliver);
            Err(unavailable("the unlock agent is not available on this system yet"))
        }
    }

    /// A vault operation on `profile`; `None` when the agent does not have
    /// it unlocked (the caller still holds `op`, to carry it out itself).
    pub fn vault(
        &mut self,
        profile: Option<&str>,
        op: &VaultOp,
        deliver: &mut dyn FnMut(Sensitive) -> bool,
    ) -> Result<Option<Reply>> {
        match self.exchange(&protocol::VaultRequest::new(profile, op), deliver)? {
            Reply::NotUnlocked { .. } => Ok(None),
            reply => Ok(Some(reply)),
        }
    }
}

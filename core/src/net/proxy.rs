//! The allowlisting HTTP proxy an automation script's network goes through
//! (security rule 6: part of `core::net`, behind the Online Mode gate, to
//! allowlisted hosts only, logged to `logs/network.log`).
//!
//! The sandbox has a network namespace of its own with nothing in it; the
//! only way out is this proxy, which core runs on a unix socket mounted
//! into the sandbox (the runtime bridges it to a loopback port there and
//! points `HTTPS_PROXY`, `HTTP_PROXY` and Chromium at it). It serves
//! `CONNECT host:port` (HTTPS, tunnelled without looking inside) and
//! absolute-form plain HTTP requests (only ever allowed to a key's own
//! loopback endpoint), each checked against the script's [`Allowlist`].
//! Anything else — and everything while Online Mode is off, checked per
//! connection — gets `403` and an event naming the host; nothing is
//! resolved for a refused host.
//!
//! One thread per connection: a script opens a handful, and the work is
//! blocking I/O that must stay off any async runtime.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::Duration;
use url::Url;

use super::allow::Allowlist;
use super::oplog::{Line, OpLog};
use crate::error::{Error, Result};

/// The longest request head read, in bytes.
const MAX_HEAD: usize = 16 * 1024;

/// What the proxy tells the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyEvent {
    /// A connection to `target` was allowed.
    Allowed {
        /// `host:port`.
        target: String,
    },
    /// A connection to `target` was refused.
    Refused {
        /// `host:port` (or what was asked).
        target: String,
        /// Why.
        reason: String,
    },
}

/// A running proxy; stopped (and its socket removed) when dropped.
#[derive(Debug)]
pub struct Proxy {
    path: PathBuf,
    stop: Arc<AtomicBool>,
}

/// Whether the gate is open now (Online Mode), asked per connection.
pub type GateCheck = Arc<dyn Fn() -> bool + Send + Sync>;

/// Who the proxy serves, and where it reports.
struct Context {
    provider_id: String,
    allowlist: Allowlist,
    gate: GateCheck,
    log: OpLog,
    events: Sender<ProxyEvent>,
}

impl Context {
    fn refuse(&self, mut client: UnixStream, target: String, reason: &str, error: &'static str) {
        self.log(&target, "CONNECT", None, Some(error));
        let _ = self.events.send(ProxyEvent::Refused { target, reason: reason.to_string() });
        let body = format!("KeyClave refused this connection: {reason}\n");
        let _ = write!(
            client,
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    }

    /// One line in the network log: the host and port, never a path or query.
    fn log(&self, target: &str, method: &str, status: Option<u16>, error: Option<&'static str>) {
        let line = Line {
            provider: &self.provider_id,
            method,
            path: target,
            status,
            error,
            duration_ms: 0,
            attempt: 1,
        };
        self.log.write(&line);
    }

    /// The refusal for `host:port`, if any: the gate first, then the list.
    fn check(&self, host: &str, port: u16, url: Option<&Url>) -> Option<(&'static str, &'static str)> {
        if !(self.gate)() {
            return Some(("Online Mode is off; nothing was sent", "net.offline"));
        }
        let allowed = match url {
            Some(u) => u.scheme() == "http" && self.allowlist.allows(u),
            None => self.allowlist.allows_host(host, port),
        };
        (!allowed).then_some(("the host is not on this script's allowlist", "net.domain_not_allowed"))
    }
}

impl Proxy {
    /// Listen on a unix socket at `path` for a script of `provider_id`
    /// with `allowlist`; `gate` says whether Online Mode is on; requests
    /// are logged in `logs_dir`.
    pub fn start(
        path: &Path,
        provider_id: &str,
        allowlist: Allowlist,
        gate: GateCheck,
        logs_dir: PathBuf,
        events: Sender<ProxyEvent>,
    ) -> Result<Proxy> {
        if path.as_os_str().len() > 100 {
            return Err(Error::invalid(format!(
                "the data folder's path is too long for a socket: {}",
                path.display()
            ))
            .with_suggestion("Use a shorter KEYCLAVE_HOME for automation runs."));
        }
        let listener = UnixListener::bind(path)?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let context = Arc::new(Context {
            provider_id: provider_id.to_string(),
            allowlist,
            gate,
            log: OpLog::new(logs_dir),
            events,
        });
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let context = context.clone();
                        std::thread::spawn(move || serve(client, &context));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(_) => break,
                }
            }
        });
        Ok(Proxy { path: path.to_path_buf(), stop })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Read the request head (up to the blank line).
fn read_head(reader: &mut BufReader<UnixStream>) -> Option<Vec<String>> {
    let mut lines = Vec::new();
    let mut total = 0;
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).ok()?;
        total += n;
        if n == 0 || total > MAX_HEAD {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            return Some(lines);
        }
        lines.push(line);
    }
}

fn serve(client: UnixStream, cx: &Context) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(reader_half) = client.try_clone() else { return };
    let mut reader = BufReader::new(reader_half);
    let Some(head) = read_head(&mut reader) else { return };
    let mut parts = head.first().map(|l| l.split_whitespace()).into_iter().flatten();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method.eq_ignore_ascii_case("CONNECT") {
        let host_port = target
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']).to_string(), p.parse::<u16>().ok()?)));
        let Some((host, port)) = host_port else {
            return cx.refuse(
                client,
                target.chars().take(100).collect(),
                "not a host:port",
                "net.bad_response",
            );
        };
        let name = format!("{host}:{port}");
        if let Some((reason, code)) = cx.check(&host, port, None) {
            return cx.refuse(client, name, reason, code);
        }
        let Some(upstream) = connect(&host, port) else {
            return cx.refuse(client, name, "the host could not be reached", "net.unavailable");
        };
        cx.log(&name, "CONNECT", Some(200), None);
        let _ = cx.events.send(ProxyEvent::Allowed { target: name });
        let mut c = client;
        if c.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").is_err() {
            return;
        }
        // Bytes the client sent after the head stay in the reader's buffer.
        let early = reader.buffer().to_vec();
        tunnel(c, upstream, &early);
        return;
    }
    // Plain HTTP in absolute form: only to an allowed origin (a key's own
    // loopback endpoint).
    let Ok(url) = Url::parse(target) else {
        return cx.refuse(
            client,
            target.chars().take(100).collect(),
            "not a proxy request",
            "net.bad_response",
        );
    };
    let host = url.host_str().unwrap_or("").to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let name = format!("{host}:{port}");
    if let Some((reason, code)) = cx.check(&host, port, Some(&url)) {
        return cx.refuse(client, name, reason, code);
    }
    let Some(mut upstream) = connect(&host, port) else {
        return cx.refuse(client, name, "the host could not be reached", "net.unavailable");
    };
    cx.log(&name, method, Some(200), None);
    let _ = cx.events.send(ProxyEvent::Allowed { target: name });
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut out = format!("{method} {path} HTTP/1.1\r\n");
    for line in &head[1..] {
        let name = line.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
        // One request per proxied connection: its host cannot change.
        if !matches!(name.as_str(), "connection" | "proxy-connection" | "keep-alive" | "proxy-authorization")
        {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    if upstream.write_all(out.as_bytes()).is_err() {
        return;
    }
    let early = reader.buffer().to_vec();
    tunnel(client, upstream, &early);
}

fn connect(host: &str, port: u16) -> Option<TcpStream> {
    let addrs = (host, port).to_socket_addrs().ok()?;
    addrs.into_iter().find_map(|a| TcpStream::connect_timeout(&a, Duration::from_secs(5)).ok())
}

/// Copy both ways until either side closes.
fn tunnel(client: UnixStream, mut upstream: TcpStream, early: &[u8]) {
    if !early.is_empty() && upstream.write_all(early).is_err() {
        return;
    }
    let _ = client.set_read_timeout(None);
    let (Ok(mut client_read), Ok(mut upstream_read)) = (client.try_clone(), upstream.try_clone()) else {
        return;
    };
    let mut client_write = client;
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut upstream);
        let _ = upstream.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream_read, &mut client_write);
    let _ = client_write.shutdown(Shutdown::Both);
    let _ = up.join();
}

//! The allowlisting HTTP proxy a script's network goes through.
//!
//! The sandbox has a network namespace of its own with nothing in it; the
//! only way out is this proxy, which core runs on a unix socket mounted
//! into the sandbox (the runtime bridges it to a loopback port there and
//! points `HTTPS_PROXY`, `HTTP_PROXY` and Chromium at it). It serves
//! `CONNECT host:port` (HTTPS, tunnelled without looking inside) and
//! absolute-form plain HTTP requests (only ever allowed to a key's own
//! loopback endpoint), each checked against the script's [`Allowlist`].
//! Anything else gets `403` and an event naming the host; nothing is
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

use super::check::Allowlist;
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

impl Proxy {
    /// Listen on a unix socket at `path` for a script of `allowlist`.
    pub fn start(path: &Path, allowlist: Allowlist, events: Sender<ProxyEvent>) -> Result<Proxy> {
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
        let allowlist = Arc::new(allowlist);
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (allowlist, events) = (allowlist.clone(), events.clone());
                        std::thread::spawn(move || serve(client, &allowlist, &events));
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

fn refuse(mut client: UnixStream, events: &Sender<ProxyEvent>, target: String, reason: &str) {
    let _ = events.send(ProxyEvent::Refused { target, reason: reason.to_string() });
    let body = format!("KeyClave refused this connection: {reason}\n");
    let _ = write!(
        client,
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
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

fn serve(client: UnixStream, allowlist: &Allowlist, events: &Sender<ProxyEvent>) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(reader_half) = client.try_clone() else { return };
    let mut reader = BufReader::new(reader_half);
    let Some(head) = read_head(&mut reader) else { return };
    let mut parts = head.first().map(|l| l.split_whitespace()).into_iter().flatten();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method.eq_ignore_ascii_case("CONNECT") {
        let Some((host, port)) = target
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        else {
            return refuse(client, events, target.to_string(), "not a host:port");
        };
        if !allowlist.allows_host(host, port) {
            return refuse(
                client,
                events,
                format!("{host}:{port}"),
                "the host is not on this script's allowlist",
            );
        }
        let Some(upstream) = connect(host, port) else {
            return refuse(client, events, format!("{host}:{port}"), "the host could not be reached");
        };
        let _ = events.send(ProxyEvent::Allowed { target: format!("{host}:{port}") });
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
        return refuse(client, events, target.chars().take(100).collect(), "not a proxy request");
    };
    let host = url.host_str().unwrap_or("").to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    if url.scheme() != "http" || !allowlist.allows(&url) {
        return refuse(
            client,
            events,
            format!("{host}:{port}"),
            "the host is not on this script's allowlist",
        );
    }
    let Some(mut upstream) = connect(&host, port) else {
        return refuse(client, events, format!("{host}:{port}"), "the host could not be reached");
    };
    let _ = events.send(ProxyEvent::Allowed { target: format!("{host}:{port}") });
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

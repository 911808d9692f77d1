//! Shared by the benches: a second connection to a profile's vault file,
//! keyed from the passphrase (for the SQL baselines the benches compare
//! against, which the vault handle does not expose).

use keyclave_core::crypto;
use keyclave_core::index::Index;
use keyclave_core::paths::Root;

/// A raw SQLCipher connection to `profile_id`'s vault under `root`.
#[allow(dead_code)] // not every bench compares with SQL
pub fn raw_vault(root: &Root, profile_id: &str, passphrase: &str) -> rusqlite::Connection {
    let meta = Index::open(&root.index_db()).expect("index").vault_meta(profile_id).expect("meta");
    let kek = crypto::derive_kek(passphrase.as_bytes(), &meta.kdf_salt, meta.kdf_params).expect("kdf");
    let pvk = crypto::unwrap_pvk(&kek, &meta.wrapped_pvk, profile_id, meta.rotation_version).expect("pvk");
    let conn = rusqlite::Connection::open(root.vault_db(profile_id)).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"{}\";", pvk.db_key().pragma_value().as_str())).expect("key");
    conn.busy_timeout(std::time::Duration::from_secs(5)).expect("busy timeout");
    conn
}

/// A fake HTTP/1.1 server on 127.0.0.1 with keep-alive: every request (a
/// GET without a body) is answered 200 after `delay`, with the headers
/// (each ending in `\r\n`) and body `answer` gives for its request line.
/// A thread per connection and nothing kept: a recording server (wiremock
/// keeps what each mock matched) would be the memory growth some benches
/// look for. Returns `http://127.0.0.1:PORT`.
#[allow(dead_code)] // not every bench starts a server
pub fn fake_server(delay: std::time::Duration, answer: fn(&str) -> (String, String)) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().expect("clone"));
                let mut writer = conn;
                loop {
                    let mut first = String::new();
                    match reader.read_line(&mut first) {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let mut line = String::new();
                    loop {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let (headers, body) = answer(&first);
                    std::thread::sleep(delay);
                    let reply =
                        format!("HTTP/1.1 200 OK\r\n{headers}content-length: {}\r\n\r\n{body}", body.len());
                    if writer.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

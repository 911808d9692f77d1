//! Dashboard refresh at scale: 200 keys across 10 fake providers on
//! 127.0.0.1 that each answer in 100 ms, with `core::net`'s default
//! politeness in force (2 requests in flight and 50 ms between starts per
//! provider). Then 100 refresh cycles, printing the process's resident
//! memory as they go (it should level off, not grow).
//!
//! `cargo bench -p keyclave-core --bench refresh` (`make bench-refresh`).
//! Target: one refresh of the 200 keys ≤ 3 s wall.

mod support;

use criterion::Criterion;
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::paths::Root;
use keyclave_core::providers::{self, Validation, Verdict};
use keyclave_core::secrets::{self, NewSecret};
use keyclave_core::{KeyClave, Vault, dashboard, validation};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const PASS: &str = "correct horse battery staple";
const PROVIDERS: usize = 10;
const KEYS_PER_PROVIDER: usize = 20;
const MEMORY_CYCLES: usize = 100;

/// Ten registry providers whose check is a plain GET read by status
/// (the fake answers them all the same way).
fn plain_providers() -> Vec<&'static str> {
    providers::all()
        .iter()
        .filter(|p| match p.validation {
            Validation::Check(c) => {
                c.verdict == Verdict::Status
                    && c.companion.is_none()
                    && !c.needs_endpoint
                    && c.method == "GET"
            }
            Validation::Unverifiable { .. } => false,
        })
        .map(|p| p.id)
        .take(PROVIDERS)
        .collect()
}

/// A fake provider: every request answered after 100 ms.
fn fake_provider() -> String {
    support::fake_server(Duration::from_millis(100), |_| {
        (
            "content-type: application/json\r\nx-ratelimit-limit: 5000\r\nx-ratelimit-remaining: 4200\r\n"
                .to_owned(),
            r#"{"login":"bench"}"#.to_owned(),
        )
    })
}

fn setup() -> (tempfile::TempDir, Vault) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut kc = KeyClave::open(Root::at(dir.path())).expect("root");
    kc.create_profile("Bench", &SecretString::from(PASS), KdfParams { m_kib: 8, t: 1, p: 1 })
        .expect("create");
    let vault = kc.unlock("Bench", &SecretString::from(PASS)).expect("unlock");
    let s = vault.settings().with_named("online-mode", "on").expect("setting");
    vault.update_settings(s).expect("settings");
    let ids = plain_providers();
    assert_eq!(ids.len(), PROVIDERS, "the registry has ten plain GET checks");
    let servers: Vec<String> = (0..PROVIDERS).map(|_| fake_provider()).collect();
    for (p, (id, server)) in ids.iter().zip(&servers).enumerate() {
        for k in 0..KEYS_PER_PROVIDER {
            let mut n = NewSecret::new(
                format!("BENCH_{p:02}_{k:02}_KEY"),
                format!("bench-value-{p:02}-{k:02}-0123456789"),
            );
            n.provider_id = Some((*id).to_owned());
            n.endpoint = Some(server.clone());
            secrets::add(&vault, n).expect("add");
        }
    }
    (dir, vault)
}

fn refresh_once(rt: &tokio::runtime::Runtime, vault: &Vault) -> Duration {
    let t0 = Instant::now();
    let targets = validation::select(vault, &[], true).expect("select");
    let report = rt
        .block_on(dashboard::refresh(vault, targets, &CancellationToken::new(), &|_, _| {}))
        .expect("refresh");
    assert_eq!(report.refreshed as usize, PROVIDERS * KEYS_PER_PROVIDER, "{report:?}");
    assert_eq!(report.failed, 0, "{report:?}");
    t0.elapsed()
}

/// Resident memory of this process, from /proc (Linux).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0.0);
    pages * 4096.0 / 1_048_576.0
}

fn main() {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (_dir, vault) = setup();
    let mut c =
        Criterion::default().configure_from_args().sample_size(10).warm_up_time(Duration::from_secs(2));
    c.bench_function("refresh 200 keys, 10 providers at 100 ms", |b| b.iter(|| refresh_once(&rt, &vault)));
    c.final_summary();

    // KEYCLAVE_BENCH_CYCLES: fewer cycles, e.g. under a heap profiler.
    let cycles =
        std::env::var("KEYCLAVE_BENCH_CYCLES").ok().and_then(|n| n.parse().ok()).unwrap_or(MEMORY_CYCLES);
    println!("memory over {cycles} refresh cycles of 200 keys (RSS, MiB):");
    let start = rss_mib();
    let mut walls = Vec::new();
    for cycle in 1..=cycles {
        walls.push(refresh_once(&rt, &vault));
        if cycle == 1 || cycle % 10 == 0 {
            let fds = std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0);
            println!("  after cycle {cycle:>3}: {:.1} ({fds} open files)", rss_mib());
        }
    }
    walls.sort();
    println!(
        "  start {start:.1}, end {:.1}; wall per cycle: median {:.2} s, max {:.2} s",
        rss_mib(),
        walls[walls.len() / 2].as_secs_f64(),
        walls[walls.len() - 1].as_secs_f64()
    );
}

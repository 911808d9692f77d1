//! Hot paths of the vault: unlock (total, KDF alone, everything but the
//! KDF), bulk add, first page and substring search over 100,000 secrets.
//!
//! `cargo bench -p keyclave-core --bench vault`; compare figures from the
//! same run, timings on shared machines drift.

#[path = "support.rs"]
mod support;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keyclave_core::crypto::{self, KdfParams, SecretString};
use keyclave_core::paths::Root;
use keyclave_core::secrets;
use keyclave_core::secrets::{NewSecret, SecretQuery};
use keyclave_core::{KeyClave, Vault};
use std::hint::black_box;
use std::time::Duration;
use tempfile::TempDir;

const PASS: &str = "correct horse battery staple";
/// The cheapest parameters Argon2 accepts: the KDF costs ~nothing, so an
/// unlock measures everything else.
const NEGLIGIBLE_KDF: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };

fn profile(params: KdfParams) -> (TempDir, KeyClave) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut kc = KeyClave::open(Root::at(dir.path())).expect("root");
    kc.create_profile("Bench", &SecretString::from(PASS), params).expect("create");
    (dir, kc)
}

fn secrets(n: usize) -> Vec<NewSecret> {
    let providers = ["github", "openai", "stripe", "aws", "generic"];
    (0..n)
        .map(|i| {
            let mut s =
                NewSecret::new(format!("SERVICE_{i:06}_API_KEY"), format!("value-{i:06}-0123456789abcdef"));
            s.provider_id = Some(providers[i % providers.len()].to_owned());
            s.notes = Some(format!("note for service {i}"));
            s.tags = vec![format!("team{}", i % 17)];
            s
        })
        .collect()
}

fn unlock(kc: &KeyClave) -> Vault {
    kc.unlock("Bench", &SecretString::from(PASS)).expect("unlock")
}

fn bench_unlock(c: &mut Criterion) {
    let mut g = c.benchmark_group("unlock");
    g.sample_size(10).measurement_time(Duration::from_secs(12));

    let salt = [7u8; 16];
    g.bench_function("kdf_alone_argon2id_default", |b| {
        b.iter(|| crypto::derive_kek(black_box(PASS.as_bytes()), &salt, KdfParams::DEFAULT).expect("kdf"))
    });

    let (_d1, kc) = profile(KdfParams::DEFAULT);
    {
        let v = unlock(&kc);
        secrets::add_many(&v, secrets(50)).expect("add");
    }
    g.bench_function("total_default_kdf_50_secrets", |b| b.iter(|| unlock(&kc)));

    let (_d2, kc) = profile(NEGLIGIBLE_KDF);
    {
        let v = unlock(&kc);
        secrets::add_many(&v, secrets(50)).expect("add");
    }
    g.sample_size(30).measurement_time(Duration::from_secs(5));
    g.bench_function("without_kdf_50_secrets", |b| b.iter(|| unlock(&kc)));
    g.finish();
}

fn bench_bulk_add(c: &mut Criterion) {
    let mut g = c.benchmark_group("secrets");
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    let (_d, kc) = profile(NEGLIGIBLE_KDF);
    g.bench_function("add_10000_one_transaction", |b| {
        b.iter_batched(
            || {
                // A fresh, empty vault each time: delete what the last run added.
                let id = kc.profiles().expect("profiles")[0].id.clone();
                support::raw_vault(kc.root(), &id, PASS).execute("DELETE FROM secrets", []).expect("clear");
                (unlock(&kc), secrets(10_000))
            },
            |(v, batch)| {
                secrets::add_many(&v, batch).expect("add");
                v
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn bench_list_100k(c: &mut Criterion) {
    let (_d, kc) = profile(NEGLIGIBLE_KDF);
    {
        let v = unlock(&kc);
        secrets::add_many(&v, secrets(100_000)).expect("add 100k");
    }
    let mut g = c.benchmark_group("list_100000");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("unlock_without_kdf", |b| b.iter(|| unlock(&kc)));
    let v = unlock(&kc);
    assert_eq!(secrets::count(&v), 100_000);

    g.bench_function("first_page_50", |b| {
        let q = SecretQuery { limit: Some(50), ..Default::default() };
        b.iter(|| secrets::list(&v, black_box(&q)))
    });
    g.bench_function("search_substring_few_matches", |b| {
        let q = SecretQuery { search: Some("0424".into()), limit: Some(50), ..Default::default() };
        b.iter(|| {
            let page = secrets::list(&v, black_box(&q));
            assert!(page.total > 0);
            page
        })
    });
    g.bench_function("search_substring_many_matches", |b| {
        let q = SecretQuery { search: Some("team1".into()), limit: Some(50), ..Default::default() };
        b.iter(|| secrets::list(&v, black_box(&q)))
    });
    // The design this replaces, measured in the same run for comparison.
    g.bench_function("baseline_sql_like_scan", |b| {
        let id = kc.profiles().expect("profiles")[0].id.clone();
        let raw = support::raw_vault(kc.root(), &id, PASS);
        let mut stmt = raw
            .prepare(
                "SELECT id, key_name, provider_id FROM secrets WHERE key_name LIKE ?1 OR provider_id LIKE ?1
                 OR notes LIKE ?1 OR tags_json LIKE ?1 ORDER BY key_name LIMIT 50",
            )
            .expect("prepare");
        b.iter(|| {
            let rows: Vec<(String, String, String)> = stmt
                .query_map(["%0424%"], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            rows
        })
    });
    g.finish();
}

criterion_group!(benches, bench_unlock, bench_bulk_add, bench_list_100k);
criterion_main!(benches);

//! Bulk import of a 10,000-line dotenv text (target: at most 1 s into the
//! vault): parse alone, parse + preview, parse + import into an empty vault
//! (one transaction), and parse + import replacing every key.
//!
//! `cargo bench -p keyclave-core --bench import`; compare figures from the
//! same run, timings on shared machines drift.

#[path = "support.rs"]
mod support;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keyclave_core::conflict::{ConflictDecision, ImportDecisions};
use keyclave_core::crypto::{KdfParams, SecretString};
use keyclave_core::import::{self, Format, ImportOptions};
use keyclave_core::paths::Root;
use keyclave_core::{KeyClave, Vault};
use std::hint::black_box;
use std::time::Duration;
use tempfile::TempDir;

const PASS: &str = "correct horse battery staple";
/// The cheapest parameters Argon2 accepts: unlocking is setup here.
const NEGLIGIBLE_KDF: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };
const LINES: usize = 10_000;

/// 10,000 lines as a pasted `.env` would have them: comments and blank
/// lines, `export`, quoted values with comments, a multi-line certificate
/// now and then, and keys in no particular order (the catalog is sorted,
/// so sorted input would flatter the import).
fn fixture() -> String {
    let mut lines: Vec<String> = Vec::with_capacity(LINES);
    while lines.len() < LINES {
        let n = lines.len();
        // A permutation of 0..10,000 (7,919 is prime, coprime with 10,000).
        let k = (n * 7_919) % LINES;
        if n % 50 == 0 {
            lines.push(format!("# section {}", n / 50));
        } else if n % 50 == 1 {
            lines.push(String::new());
        } else if n % 500 == 2 {
            lines.push(format!("CERT_{k:05}=\"-----BEGIN CERTIFICATE-----"));
            lines.push("MIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw".to_owned());
            lines.push("-----END CERTIFICATE-----\"".to_owned());
        } else if n % 7 == 0 {
            lines.push(format!("export SERVICE_{k:05}_TOKEN='tok_{k:05}_abcdef0123456789'"));
        } else if n % 5 == 0 {
            lines.push(format!("SERVICE_{k:05}_URL=\"https://api{k}.example.com/v1?x=1\" # endpoint"));
        } else {
            lines.push(format!("SERVICE_{k:05}_API_KEY=key_{k:05}_0123456789abcdefABCDEF"));
        }
    }
    lines.truncate(LINES);
    lines.join("\n") + "\n"
}

fn profile() -> (TempDir, KeyClave) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut kc = KeyClave::open(Root::at(dir.path())).expect("root");
    kc.create_profile("Bench", &SecretString::from(PASS), NEGLIGIBLE_KDF).expect("create");
    (dir, kc)
}

fn unlock(kc: &KeyClave) -> Vault {
    kc.unlock("Bench", &SecretString::from(PASS)).expect("unlock")
}

/// An unlocked vault without secrets (what the last run added is deleted,
/// then the vault is re-opened so its catalog is empty too).
fn empty_vault(kc: &KeyClave) -> Vault {
    let id = kc.profiles().expect("profiles")[0].id.clone();
    support::raw_vault(kc.root(), &id, PASS).execute("DELETE FROM secrets", []).expect("clear");
    unlock(kc)
}

fn bench(c: &mut Criterion) {
    let text = fixture();
    let parsed = import::parse(text.as_bytes(), Format::Auto).expect("parse");
    let keys = parsed.entries().len();
    println!("keyclave: {LINES} lines, {keys} keys, {} unparsed", parsed.unparsed().len());
    assert!(parsed.unparsed().is_empty() && parsed.rejected().is_empty());
    let (_dir, kc) = profile();
    let options = ImportOptions::default();

    let mut g = c.benchmark_group(format!("import_{LINES}_lines"));
    g.sample_size(10).measurement_time(Duration::from_secs(15));
    g.bench_function("parse", |b| {
        b.iter(|| import::parse(black_box(text.as_bytes()), Format::Auto).expect("parse"))
    });
    {
        let v = empty_vault(&kc);
        g.bench_function("parse_and_preview", |b| {
            b.iter(|| {
                let p = import::parse(black_box(text.as_bytes()), Format::Auto).expect("parse");
                import::preview(&v, &p, &options).expect("preview")
            })
        });
    }
    g.bench_function("parse_and_import_into_empty_vault", |b| {
        b.iter_batched(
            || empty_vault(&kc),
            |v| {
                let p = import::parse(black_box(text.as_bytes()), Format::Auto).expect("parse");
                let report = import::apply(&v, p, &options, &ImportDecisions::default()).expect("import");
                assert_eq!(report.counts.added as usize, keys);
                v
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("parse_and_import_replacing_every_key", |b| {
        b.iter_batched(
            || {
                let v = empty_vault(&kc);
                let p = import::parse(text.as_bytes(), Format::Auto).expect("parse");
                import::apply(&v, p, &options, &ImportDecisions::default()).expect("seed");
                v
            },
            |v| {
                let p = import::parse(black_box(text.as_bytes()), Format::Auto).expect("parse");
                let d = ImportDecisions::all(ConflictDecision::Replace);
                let report = import::apply(&v, p, &options, &d).expect("import");
                assert_eq!(report.counts.replaced as usize, keys);
                v
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

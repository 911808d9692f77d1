//! `.env` hot paths on a 10,000-line file: parse, plan a patch (one update,
//! three new keys), plan + apply it to disk (backup, temp file, fsync,
//! rename), and the masked diff of that patch.
//!
//! `cargo bench -p keyclave-core --bench dotenv`. With
//! `KEYCLAVE_BENCH_DOTENV=FILE` the file is read from there instead of
//! generated (`scripts/bench-dotenv-python.sh` passes the file it times
//! python-dotenv on, so both parse the same bytes).

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use keyclave_core::dotenv::{self, ApplyOptions, Decision, DesiredEntry, Document, Policy};
use std::hint::black_box;
use std::time::Duration;

/// The 10,000-line fixture; `scripts/bench-dotenv-python.sh` has the same
/// generator in Python.
fn fixture() -> String {
    if let Ok(path) = std::env::var("KEYCLAVE_BENCH_DOTENV") {
        return std::fs::read_to_string(path).expect("KEYCLAVE_BENCH_DOTENV names a UTF-8 file");
    }
    let mut lines: Vec<String> = Vec::with_capacity(10_000);
    while lines.len() < 10_000 {
        let n = lines.len();
        if n % 50 == 0 {
            lines.push(format!("# section {}", n / 50));
        } else if n % 50 == 1 {
            lines.push(String::new());
        } else if n % 500 == 2 {
            lines.push(format!("CERT_{n:05}=\"-----BEGIN CERTIFICATE-----"));
            lines.push("MIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw".to_owned());
            lines.push("-----END CERTIFICATE-----\"".to_owned());
        } else if n % 7 == 0 {
            lines.push(format!("export SERVICE_{n:05}_TOKEN='tok_{n:05}_abcdef0123456789'"));
        } else if n % 5 == 0 {
            lines.push(format!("SERVICE_{n:05}_URL=\"https://api{n}.example.com/v1?x=1&y=2\" # endpoint"));
        } else {
            lines.push(format!("SERVICE_{n:05}_API_KEY=key_{n:05}_0123456789abcdefABCDEF"));
        }
    }
    lines.truncate(10_000);
    lines.join("\n") + "\n"
}

fn desired() -> Vec<DesiredEntry> {
    vec![
        DesiredEntry::new("SERVICE_00003_API_KEY", "key_00003_rotated", "generic"),
        DesiredEntry::new("OPENAI_API_KEY", "sk-proj-bench0123456789", "openai"),
        DesiredEntry::new("GITHUB_TOKEN", "ghp_bench0123456789", "github"),
        DesiredEntry::new("STRIPE_SECRET_KEY", "sk_test_bench0123456789", "stripe"),
    ]
}

fn bench(c: &mut Criterion) {
    let text = fixture();
    let lines = text.lines().count();
    println!("keyclave: {} keys", Document::parse(&text).entries().count());
    let policy = Policy::new(Decision::Overwrite);
    let mut g = c.benchmark_group(format!("dotenv_{lines}_lines"));
    g.measurement_time(Duration::from_secs(5));

    g.bench_function("parse", |b| b.iter(|| black_box(Document::parse(black_box(&text)))));

    let doc = Document::parse(&text);
    let want = desired();
    g.bench_function("plan", |b| b.iter(|| black_box(doc.plan(&want, &policy).expect("plan"))));

    let plan = doc.plan(&want, &policy).expect("plan");
    g.bench_function("masked_diff", |b| b.iter(|| black_box(plan.masked_diff(".env"))));

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(".env");
    g.bench_function("read_plan_apply", |b| {
        b.iter_batched(
            || std::fs::write(&path, &text).expect("write fixture"),
            |()| {
                let doc = Document::read(&path).expect("read");
                let plan = doc.plan(&want, &policy).expect("plan");
                black_box(dotenv::apply(&path, &plan, &ApplyOptions::default()).expect("apply"))
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

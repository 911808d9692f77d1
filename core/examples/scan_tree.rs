//! Scan a folder with the project scanner (no vault) and print the time in
//! milliseconds: `cargo run --release -p keyclave-core --example scan_tree -- DIR`.
//! Used by `scripts/bench-scan.sh` to compare with ripgrep in the same run.

use keyclave_core::scan::requirements::{DocEvidence, infer_requirements};
use keyclave_core::scan::{ScanOptions, scan_folder};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: scan_tree DIR")?);
    let started = std::time::Instant::now();
    let scan = scan_folder(&dir, &ScanOptions::default(), &Default::default(), &mut |_| {})?;
    let docs: Vec<DocEvidence<'_>> = scan
        .files
        .iter()
        .filter_map(|f| match f {
            keyclave_core::scan::FileScan::Parsed { path, evidence, .. } => {
                Some(DocEvidence { path, evidence })
            }
            _ => None,
        })
        .collect();
    let reqs = infer_requirements(&docs);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "{} files, {} bytes, {} requirements",
        scan.progress.files_seen,
        scan.progress.bytes_read,
        reqs.len()
    );
    println!("{ms:.0}");
    Ok(())
}

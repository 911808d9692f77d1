//! The committed TypeScript bindings match the commands and events.
//! `KEYCLAVE_WRITE_BINDINGS=1 cargo test -p keyclave-desktop --test it bindings`
//! (or `make bindings`) rewrites them.

#[test]
fn bindings_are_up_to_date() {
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
    if std::env::var_os("KEYCLAVE_WRITE_BINDINGS").is_some() {
        keyclave_desktop::export_bindings(&committed).expect("export bindings");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = dir.path().join("bindings.ts");
    keyclave_desktop::export_bindings(&fresh).expect("export bindings");
    let fresh = std::fs::read_to_string(fresh).expect("read fresh");
    let old = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(fresh == old, "ui/src/lib/bindings.ts is stale: run `make bindings` and commit it");
}

//! reference_library/manifest.db: upserts by source name and full-text search.

use super::*;

// ---------------------------------------------------------------------------
// reference_library/manifest.db
// ---------------------------------------------------------------------------

#[test]
fn reference_manifest_is_upserted_by_source_name() {
    let conn = open(db("reference_library"));
    insert(&conn, "reference_library_manifest", "m1", &[("source_name", "'playwright-python'")])
        .expect("row");
    conn.execute(
        "INSERT INTO reference_library_manifest \
         (id, source_name, source_url, commit_sha, downloaded_at, local_path, file_count, total_size_bytes, checksum) \
         VALUES ('m2', 'playwright-python', 'https://github.com/microsoft/playwright-python', 'ffff', \
                 '2026-03-01T00:00:00Z', 'playwright-python', 20, 50000, 'ee') \
         ON CONFLICT (source_name) DO UPDATE SET commit_sha = excluded.commit_sha, file_count = excluded.file_count",
        [],
    )
    .expect("re-download upserts");
    let row: (String, String, i64) = conn
        .query_row("SELECT id, commit_sha, file_count FROM reference_library_manifest", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("one row");
    assert_eq!(row, ("m1".to_string(), "ffff".to_string(), 20));
}

#[test]
fn reference_fts_searches_file_content_only() {
    let conn = open(db("reference_library"));
    let columns: Vec<String> = strings(&conn, "SELECT name FROM pragma_table_info('reference_library_fts')");
    assert_eq!(columns, ["source_name", "path", "content"]);

    for (source, path, content) in [
        ("playwright-python", "docs/navigations.md", "Clicking a locator waits until it is visible."),
        ("puppeteer", "docs/api/page.md", "page.click() clicks the first matching element."),
        ("puppeteer", "docs/playwright-migration.md", "Differences in browser contexts."),
    ] {
        conn.execute(
            "INSERT INTO reference_library_fts (source_name, path, content) VALUES (?1, ?2, ?3)",
            [source, path, content],
        )
        .expect("index a file");
    }
    let search = |query: &str| {
        let mut stmt = conn
            .prepare(
                "SELECT path FROM reference_library_fts WHERE reference_library_fts MATCH ?1 ORDER BY path",
            )
            .expect("prepare search");
        stmt.query_map([query], |r| r.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .expect("search")
    };
    // Stemmed: "click" finds "Clicking" and "clicks".
    assert_eq!(search("click"), ["docs/api/page.md", "docs/navigations.md"]);
    assert_eq!(search("context"), ["docs/playwright-migration.md"]);
    // source_name and path are stored, not indexed.
    assert!(search("playwright").is_empty());
    assert!(search("navigations").is_empty());

    // A re-downloaded source replaces its rows.
    conn.execute("DELETE FROM reference_library_fts WHERE source_name = 'puppeteer'", [])
        .expect("drop a source");
    assert_eq!(search("click"), ["docs/navigations.md"]);
}

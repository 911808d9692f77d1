//! Every specified index exists and unique keys refuse a second row.

use super::*;

use rusqlite::Connection;

// ---------------------------------------------------------------------------
// Indexes and unique keys
// ---------------------------------------------------------------------------

#[test]
fn every_specified_index_exists() {
    for &(table, columns, unique) in INDEXES {
        let conn = open(db_for(table));
        let mut stmt =
            conn.prepare("SELECT name, \"unique\" FROM pragma_index_list(?1)").expect("index_list");
        let indexes: Vec<(String, bool)> = stmt
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(|rows| rows.collect())
            .expect("index_list rows");
        let mut found = Vec::new();
        for (name, is_unique) in indexes {
            let mut stmt = conn
                .prepare("SELECT name, \"desc\" FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno")
                .expect("index_xinfo");
            let keys: Vec<String> = stmt
                .query_map([&name], |r| {
                    let column: String = r.get(0)?;
                    let desc: bool = r.get(1)?;
                    Ok(if desc { format!("{column} DESC") } else { column })
                })
                .and_then(|rows| rows.collect())
                .expect("index_xinfo rows");
            found.push((name, keys, is_unique));
        }
        assert!(
            found.iter().any(|(_, keys, is_unique)| keys == columns && (*is_unique || !unique)),
            "{table}: no {}index on ({}); found {found:?}",
            if unique { "unique " } else { "" },
            columns.join(", ")
        );
    }
}

#[test]
fn unique_keys_refuse_a_second_row() {
    let conns: Vec<Connection> = DBS.iter().map(open_with_parents).collect();
    for &(table, overrides, code) in UNIQUE_KEYS {
        let i = db_index(table);
        probe(&conns[i], |conn| {
            insert(conn, table, "u1", overrides).unwrap_or_else(|e| panic!("{table}: first row: {e}"));
            assert_violation(insert(conn, table, "u2", overrides), code, &format!("{table}: second row"));
        });
    }
}

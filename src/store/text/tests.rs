//! The index against SQLite's FTS5 on texts both read the same way (words whose stems agree), and
//! what FTS5 never had to do: deleted items, ids used again, segments merged.

use super::build::ItemText;
use super::*;
use rusqlite::Connection;

/// Words Porter's and Snowball's stemmers leave as they are.
const VOCABULARY: [&str; 16] = [
    "knee", "back", "pain", "mri", "neck", "hip", "spine", "rest", "walk", "cold", "heat", "drug",
    "dose", "scan", "left", "right",
];

/// Items (id, title, summary, rationale) of words drawn from [`VOCABULARY`] with a seed.
fn items(n: usize, seed: u64) -> Vec<(i64, String, String, String)> {
    let mut s = seed;
    let mut next = |k: usize| {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s % k as u64) as usize
    };
    let mut text = |most: usize| {
        let len = 1 + next(most);
        (0..len)
            .map(|_| VOCABULARY[next(VOCABULARY.len())])
            .collect::<Vec<_>>()
            .join(" ")
    };
    (1..=n as i64)
        .map(|id| (id, text(3), text(30), text(50)))
        .collect()
}

/// A database with the index's tables (and an items table whose deletions it learns of).
fn database() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE items (id INTEGER PRIMARY KEY) STRICT;")
        .unwrap();
    conn.execute_batch(&super::super::schema::V8.replace("DROP TABLE items_fts;", ""))
        .unwrap();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE fts USING fts5 (title, clinical_summary, rationale, \
         tokenize = 'porter unicode61 remove_diacritics 2');",
    )
    .unwrap();
    conn
}

/// Adds `items` to both indexes, a segment every `per_segment` of them (each a letter of one).
fn add(conn: &Connection, items: &[(i64, String, String, String)], per_segment: usize) {
    let mut b = SegmentBuilder::default();
    for (k, (id, title, summary, rationale)) in items.iter().enumerate() {
        conn.execute("INSERT INTO items (id) VALUES (?1)", [id])
            .unwrap();
        conn.execute(
            "INSERT INTO fts (rowid, title, clinical_summary, rationale) VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![id, title, summary, rationale],
        )
        .unwrap();
        let it = ItemText {
            id: *id,
            title,
            rationale,
        };
        b.add_letter(summary, &[it]);
        if (k + 1) % per_segment == 0 {
            b.flush(conn).unwrap();
        }
    }
    b.flush(conn).unwrap();
}

fn delete(conn: &Connection, ids: &[i64]) {
    for id in ids {
        conn.execute("DELETE FROM items WHERE id = ?1", [id])
            .unwrap();
        conn.execute("DELETE FROM fts WHERE rowid = ?1", [id])
            .unwrap();
    }
}

/// FTS5's matches of `expression`, best first, with their BM25 scores (higher is better).
fn fts5(conn: &Connection, expression: &str) -> Vec<(i64, f64)> {
    conn.prepare(
        "SELECT rowid, -bm25(fts, 4.0, 1.0, 2.0) FROM fts WHERE fts MATCH ?1 \
         ORDER BY bm25(fts, 4.0, 1.0, 2.0), rowid",
    )
    .unwrap()
    .query_map([expression], |r| Ok((r.get(0)?, r.get(1)?)))
    .unwrap()
    .collect::<rusqlite::Result<_>>()
    .unwrap()
}

fn phrase(words: &str) -> Phrase {
    Phrase {
        words: words.split(' ').map(str::to_owned).collect(),
        prefix: false,
        prefix_stem: None,
    }
}

/// `words` with the last a prefix (and no stem of its own).
fn starting(words: &str) -> Phrase {
    Phrase {
        prefix: true,
        ..phrase(words)
    }
}

/// Queries in both forms: ours, and the FTS5 expression of the same.
fn queries() -> Vec<(TextQuery, &'static str)> {
    let q = |clauses: Vec<Vec<Phrase>>, negated: Vec<Phrase>| TextQuery { clauses, negated };
    let prefix = Phrase {
        words: vec!["sp".into()],
        prefix: true,
        prefix_stem: Some("sp".into()),
    };
    vec![
        (q(vec![vec![phrase("knee")]], vec![]), r#""knee""#),
        (
            q(vec![vec![phrase("knee")], vec![phrase("mri")]], vec![]),
            r#""knee" AND "mri""#,
        ),
        (
            q(vec![vec![phrase("neck"), phrase("hip")]], vec![]),
            r#"("neck" OR "hip")"#,
        ),
        (q(vec![vec![phrase("left knee")]], vec![]), r#""left knee""#),
        (
            q(vec![vec![phrase("back pain rest")]], vec![]),
            r#""back pain rest""#,
        ),
        (
            q(vec![vec![phrase("drug")]], vec![phrase("dose")]),
            r#""drug" NOT "dose""#,
        ),
        (q(vec![vec![prefix]], vec![]), r#""sp"*"#),
        // Prefixes of several terms: "rest" and "right", alone and last in a phrase.
        (q(vec![vec![starting("r")]], vec![]), r#""r"*"#),
        (q(vec![vec![starting("left r")]], vec![]), r#""left r"*"#),
    ]
}

fn assert_same(conn: &Connection, what: &str) {
    for (q, expression) in queries() {
        let ours = search(conn, &q, true).unwrap().best(usize::MAX);
        let theirs = fts5(conn, expression);
        assert_eq!(ours.len(), theirs.len(), "{what}: {expression}");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_eq!(a.0, b.0, "{what}: {expression}: {ours:?} {theirs:?}");
            assert!(
                (a.1 - b.1).abs() <= 1e-9 * b.1.abs().max(1.0),
                "{what}: {a:?} {b:?}"
            );
        }
        let unranked = search(conn, &q, false).unwrap();
        let mut ids: Vec<i64> = theirs.iter().map(|t| t.0).collect();
        ids.sort_unstable();
        assert_eq!(unranked.ids, ids, "{what}: {expression}");
    }
}

/// Matches, their order and their BM25 scores are FTS5's, in one segment or many merged, after
/// deletions and after the index is tidied.
#[test]
fn searches_are_fts5s() {
    let all = items(400, 7);
    // One segment; many merged once; one per item, merged twice (into a second level).
    for per_segment in [1000, 3, 1] {
        let conn = database();
        add(&conn, &all, per_segment);
        let what = format!("{per_segment} a segment");
        assert_same(&conn, &what);
        let segments: i64 = conn
            .query_row("SELECT count(*) FROM text_segments", [], |r| r.get(0))
            .unwrap();
        // Merged a level at a time: fewer than a full level of each.
        let most = 2 * (super::build::MERGE_FACTOR - 1);
        assert!(segments <= most, "{what}: {segments} segments");
        let top: i64 = conn
            .query_row("SELECT max(level) FROM text_segments", [], |r| r.get(0))
            .unwrap();
        let levels = match per_segment {
            1000 => 0,
            3 => 1,
            _ => 2,
        };
        assert_eq!(top, levels, "{what}");
        let dead: Vec<i64> = (1..=400).filter(|i| i % 3 == 0).collect();
        delete(&conn, &dead);
        assert_same(&conn, &format!("{what}, a third deleted"));
        assert!(tidy(&conn).unwrap());
        let (segments, deleted): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM text_segments), (SELECT count(*) FROM text_deleted)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((segments, deleted), (1, 0), "{what}");
        assert_same(&conn, &format!("{what}, tidied"));
    }
}

/// An id deleted and then given to a new item finds the new item's words, not the old one's;
/// the same within one batch (its postings not yet written).
#[test]
fn ids_used_again_find_their_new_texts() {
    let conn = database();
    let one = |id: i64, word: &str| vec![(id, word.to_string(), String::new(), String::new())];
    add(&conn, &one(5, "knee"), 10);
    delete(&conn, &[5]);
    add(&conn, &one(5, "hip"), 10);
    let found = |w: &str| {
        search(
            &conn,
            &TextQuery {
                clauses: vec![vec![phrase(w)]],
                negated: vec![],
            },
            false,
        )
        .unwrap()
        .ids
    };
    assert_eq!(found("knee"), Vec::<i64>::new());
    assert_eq!(found("hip"), [5]);
    // In one batch: added, forgotten, added again.
    let mut b = SegmentBuilder::default();
    let it = |title| ItemText {
        id: 9,
        title,
        rationale: "",
    };
    b.add_letter("", &[it("neck")]);
    b.forget(&[9]);
    b.add_letter("", &[it("spine")]);
    b.flush(&conn).unwrap();
    assert_eq!(found("neck"), Vec::<i64>::new());
    assert_eq!(found("spine"), [9]);
}

/// Batches of added, deleted and re-used ids (the highest id deleted is given again), merged
/// level by level and now and then tidied: every word and phrase finds exactly the items a
/// plain list of the live texts holds.
#[test]
fn merges_and_deletions_agree_with_the_live_texts() {
    let mut deepest = 0;
    for seed in 1..=12u64 {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = |k: usize| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % k as u64) as usize
        };
        let conn = database();
        let mut live: std::collections::BTreeMap<i64, String> = Default::default();
        // For two seeds, enough batches for segments merged twice, into a second level.
        let f = super::build::MERGE_FACTOR;
        let batches = if seed <= 2 { f * f + 50 } else { 150 };
        for batch in 0..batches {
            let mut b = SegmentBuilder::default();
            for _ in 0..1 + next(10) {
                if !live.is_empty() && next(3) == 0 {
                    let ids: Vec<i64> = live.keys().copied().collect();
                    let id = match next(2) {
                        0 => ids[ids.len() - 1],
                        _ => ids[next(ids.len())],
                    };
                    conn.execute("DELETE FROM items WHERE id = ?1", [id])
                        .unwrap();
                    b.forget(&[id]);
                    live.remove(&id);
                } else {
                    let text: Vec<&str> = (0..1 + next(4)).map(|_| VOCABULARY[next(6)]).collect();
                    let text = text.join(" ");
                    conn.execute("INSERT INTO items DEFAULT VALUES", [])
                        .unwrap();
                    let id = conn.last_insert_rowid();
                    let it = ItemText {
                        id,
                        title: &text,
                        rationale: "",
                    };
                    b.add_letter("", &[it]);
                    live.insert(id, text);
                }
            }
            b.flush(&conn).unwrap();
            // Never tidied for the first seed: its segments go up the levels.
            if seed > 1 && next(8) == 0 {
                tidy(&conn).unwrap();
            }
            let level: i64 = conn
                .query_row(
                    "SELECT coalesce(max(level), 0) FROM text_segments",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            deepest = deepest.max(level);
            for w in &VOCABULARY[..6] {
                for words in [w.to_string(), format!("{w} back")] {
                    let q = TextQuery {
                        clauses: vec![vec![phrase(&words)]],
                        negated: vec![],
                    };
                    let found = search(&conn, &q, false).unwrap().ids;
                    let within = |t: &String| format!(" {t} ").contains(&format!(" {words} "));
                    let want: Vec<i64> = live
                        .iter()
                        .filter(|(_, t)| within(t))
                        .map(|(&id, _)| id)
                        .collect();
                    assert_eq!(found, want, "seed {seed}, batch {batch}: {words:?}");
                }
            }
        }
    }
    assert!(deepest >= 2, "no segment merged twice: {deepest}");
}

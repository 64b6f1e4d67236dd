use super::*;
use crate::letter::{DisputedItem, Letter};
use crate::treatment::{Category, DrugClass};
use crate::Decision;

/// The sample letters of `data/letters`, parsed.
fn seeds() -> Vec<Letter> {
    let dir = std::path::PathBuf::from(concat!(env!("IMR_ROOT"), "/data/letters"));
    let files = crate::parse::discover(&[dir]).unwrap();
    crate::parse::read_letters(&files, || {})
        .into_iter()
        .collect::<Result<Vec<_>>>()
        .unwrap()
}

fn indexed(l: &Letter, n: usize) -> IndexedLetter {
    let mut x = IndexedLetter {
        file: FileInfo {
            source: l.header.source.clone(),
            size: 100 + n as u64,
            mtime_ns: n as i64,
            sha256: format!("{n:064x}"),
        },
        letter: l.clone(),
        replaces: None,
        scores: Vec::new(),
        text: None,
    };
    // Half with their postings made beforehand, as `imr index` does: the same index either way.
    if n.is_multiple_of(2) {
        x.prepare_text();
    }
    x
}

/// A database of the sample letters, in a directory that lives as long as it.
fn seed_store() -> (tempfile::TempDir, Store, Vec<Letter>) {
    let letters = seeds();
    let (dir, store) = store_of(&letters);
    (dir, store, letters)
}

/// A database of `letters`, in a directory that lives as long as it.
fn store_of(letters: &[Letter]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let batch: Vec<IndexedLetter> = letters
        .iter()
        .enumerate()
        .map(|(i, l)| indexed(l, i))
        .collect();
    store.write_batch(&batch).unwrap();
    (dir, store)
}

/// Every letter the store holds, in its reading order (by source path).
fn letters_of(store: &Store) -> Vec<Letter> {
    let mut letters = Vec::new();
    store
        .each_letter(|l| {
            letters.push(l);
            std::ops::ControlFlow::Continue(())
        })
        .unwrap();
    letters
}

#[test]
fn letters_read_back_as_parsed_in_file_order() {
    let (_dir, store, mut letters) = seed_store();
    let back = letters_of(&store);
    letters.sort_by(|a, b| {
        std::path::Path::new(&a.header.source).cmp(std::path::Path::new(&b.header.source))
    });
    assert_eq!(back, letters);
    let items: usize = letters.iter().map(|l| l.items.len()).sum();
    assert_eq!(store.counts().unwrap(), (letters.len(), items));
    store.integrity_check().unwrap();
}

#[test]
fn a_changed_file_replaces_its_rows_and_a_case_in_two_files_is_reported() {
    let (_dir, mut store, letters) = seed_store();
    let before = store.counts().unwrap();
    let mut changed = indexed(&letters[0], 99);
    changed.letter.items.truncate(1);
    let r = store.write_batch(std::slice::from_ref(&changed)).unwrap();
    assert_eq!(r.replaced, [letters[0].header.source.clone()]);
    assert!(r.same_case.is_empty(), "{:?}", r.same_case);
    let removed = letters[0].items.len() - 1;
    assert_eq!(store.counts().unwrap(), (before.0, before.1 - removed));
    let fi = store.file_info(&letters[0].header.source).unwrap().unwrap();
    assert_eq!(fi.sha256, changed.file.sha256);
    // The full-text index lost the replaced items too.
    let all = Filters {
        words: Some("the".parse().unwrap()),
        ..Filters::default()
    };
    assert_eq!(store.matches(&all).unwrap().items, before.1 - removed);

    let mut copy = indexed(&letters[1], 7);
    copy.file.source = "elsewhere/copy.txt".into();
    let r = store.write_batch(&[copy]).unwrap();
    assert_eq!(
        r.same_case,
        [(
            letters[1].header.case_number.clone(),
            "elsewhere/copy.txt".to_string(),
            letters[1].header.source.clone()
        )]
    );
}

#[test]
fn an_older_database_is_migrated_and_a_newer_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let old = Store::create_at_version(&path, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        // A letter as version 1 holds it (this imr's writer writes the newest schema).
        old.conn
            .execute(
                "INSERT INTO letters (case_number, source, sha256, file_size, file_mtime_ns, \
                 decision_date, reviewer_licensure) \
                 VALUES ('CM1', 'a.txt', 'x', 1, 1, '2016-03-04', '[]')",
                [],
            )
            .unwrap();
        let id = old.conn.last_insert_rowid();
        for (n, category) in [(1, "pharmaceuticals"), (2, "surgery")] {
            old.conn
                .execute(
                    "INSERT INTO items (letter_id, item, title, category, treatment, decision, \
                     rationale) VALUES (?1, ?2, 't', ?3, 't', 'Upheld', 'r')",
                    rusqlite::params![id, n, category],
                )
                .unwrap();
        }
        // Version 1 has no scores table.
        assert!(old.scoring_model().is_err());
    }
    let err = Store::open_read_only(&path).unwrap_err().to_string();
    assert!(err.contains("older than this imr's"), "{err}");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::SCHEMA_VERSION);
    assert_eq!(
        store.counts().unwrap().0,
        1,
        "the letter survives the migration"
    );
    assert_eq!(store.scoring_model().unwrap(), None);
    // An older file keeps its page size; a new one takes the store's.
    let page_size = |s: &Store| -> i64 {
        s.conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(page_size(&store), 4096);
    let new = Store::open(&dir.path().join("new.db")).unwrap();
    assert_eq!(page_size(&new).to_string(), super::PAGE_SIZE);
    // Version 4 copies each letter's decision date to its items, and walks them by category.
    let dated: i64 = store
        .conn
        .query_row(
            "SELECT count(*) FROM items WHERE decision_date = '2016-03-04'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dated, 2);
    let surgery = Filters {
        category: Some(Category::Surgery),
        ..Filters::default()
    };
    let walked = store.page(&surgery, None, 20, true, None).unwrap();
    assert_eq!(
        walked.iter().map(|h| h.item).collect::<Vec<_>>(),
        [2],
        "{walked:?}"
    );
    store
        .conn
        .pragma_update(None, "user_version", schema::SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    for err in [
        Store::open(&path).unwrap_err(),
        Store::open_read_only(&path).unwrap_err(),
    ] {
        assert!(matches!(err, Error::DatabaseVersion { .. }), "{err}");
        assert!(err.to_string().contains("newer than this imr's"), "{err}");
    }
}

/// A version below any imr's is refused, not migrated from (there is no migration -1).
#[test]
fn a_negative_schema_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    drop(Store::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", -1).unwrap();
    drop(conn);
    for err in [
        Store::open(&path).unwrap_err(),
        Store::open_read_only(&path).unwrap_err(),
    ] {
        assert!(matches!(err, Error::NotADatabase { .. }), "{err}");
        assert!(err.to_string().contains("schema version -1"), "{err}");
    }
}

#[test]
fn files_that_are_not_imr_databases_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("letter.txt");
    let content = "IMR Case Number: CM16-0000001\n".repeat(200);
    std::fs::write(&text, &content).unwrap();
    let err = Store::open(&text).unwrap_err();
    assert!(err.to_string().contains("not a SQLite file"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        content,
        "left as it was"
    );
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    let err = Store::open(&other).unwrap_err();
    assert!(err.to_string().contains("another program"), "{err}");
    let mode: String = rusqlite::Connection::open(&other)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "its journal mode is left as it was");
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let err = Store::open_read_only(&empty).unwrap_err();
    assert!(err.to_string().contains("an empty file"), "{err}");
    let err = Store::open_read_only(&dir.path().join("absent.db")).unwrap_err();
    assert!(matches!(err, Error::NoDatabase { .. }), "{err}");
    // imr's tables with schema version 0: refused, not migrated over (SQL text in the message).
    let zeroed = dir.path().join("zeroed.db");
    drop(Store::open(&zeroed).unwrap());
    rusqlite::Connection::open(&zeroed)
        .unwrap()
        .pragma_update(None, "user_version", 0)
        .unwrap();
    for err in [
        Store::open(&zeroed).unwrap_err(),
        Store::open_read_only(&zeroed).unwrap_err(),
    ] {
        assert!(
            err.to_string().contains("schema version 0, which no imr"),
            "{err}"
        );
    }
}

#[test]
fn words_become_phrases_of_stems() {
    let q = |s: &str| s.parse::<FtsQuery>().map(|q| q.expression().to_string());
    assert_eq!(
        q("physical therapy").unwrap(),
        r#"("physic") AND ("therapi")"#
    );
    assert_eq!(
        q(r#""functional restoration""#).unwrap(),
        r#"("function restor")"#
    );
    // A prefix is matched as written, not stemmed ("acupunct" is no stem of a word).
    assert_eq!(q("acupunct*").unwrap(), r#"("acupunct"*)"#);
    assert_eq!(q("Therapies*").unwrap(), r#"("therapies"*)"#);
    // A number last in a word also starts a word (a dose and its unit); in quotes, whole.
    assert_eq!(q("norco 10/325").unwrap(), r#"("norco") AND ("10 325"*)"#);
    assert_eq!(q(r#""10/325""#).unwrap(), r#"("10 325")"#);
    assert_eq!(
        q("opioid OR opiate mri").unwrap(),
        r#"("opioid" OR "opiat") AND ("mri")"#
    );
    assert_eq!(q("mri -surgery").unwrap(), r#"(("mri")) NOT "surgeri""#);
    // Quoted, OR is a word.
    assert_eq!(q(r#"a "OR" b"#).unwrap(), r#"("a") AND ("or") AND ("b")"#);
    // Accents and case are the index's: "Café" is "cafe".
    assert_eq!(q("Café").unwrap(), q("cafe").unwrap());
    // Operators and SQL are only words; punctuation alone is dropped.
    assert_eq!(
        q(r#"'; DROP TABLE items; -- NEAR(a b) title:x ^y a"b"#)
            .unwrap_err()
            .to_string(),
        concat!(
            "search words \u{201C}'; DROP TABLE items; -- NEAR(a b) title:x ^y a\"b\u{201D}: ",
            "a quote (\") is not closed"
        )
    );
    assert_eq!(
        q("'; DROP TABLE items; -- NEAR(a b) title:x ^y AND z").unwrap(),
        concat!(
            r#"("drop") AND ("tabl") AND ("item") AND ("near a") AND ("b") AND "#,
            r#"("titl x") AND ("y") AND ("z")"#
        )
    );
    for bad in [
        "",
        "  ",
        "OR",
        "a OR",
        "OR a",
        "a OR OR b",
        "-a",
        "a OR -b",
        "\"a",
        "; --",
        "mri\0",
        "\"mri\0\"",
        &format!("{}x", "mri OR ".repeat(64)),
        &"mri ".repeat(65),
        &format!("\"{}\"", "of ".repeat(65)),
        // Marks alone fold to nothing: no word to search for.
        "\u{093F}*",
    ] {
        assert!(q(bad).is_err(), "{bad:?} should be refused");
    }
    assert!(q(&"mri ".repeat(64)).is_ok());
}

/// NOT and AND in capitals as search engines read them (`a NOT b` is `a -b`; AND joins words,
/// as a space does); quoted or in lower case, words.
#[test]
fn not_and_and_are_operators_in_capitals() {
    let q = |s: &str| s.parse::<FtsQuery>().map(|q| q.expression().to_string());
    assert_eq!(q("mri NOT surgery").unwrap(), q("mri -surgery").unwrap());
    assert_eq!(
        q(r#"NOT "physical therapy" mri"#).unwrap(),
        r#"(("mri")) NOT "physic therapi""#
    );
    assert_eq!(
        q(r#"mri "NOT" b"#).unwrap(),
        r#"("mri") AND ("not") AND ("b")"#
    );
    assert_eq!(q("mri not b").unwrap(), r#"("mri") AND ("not") AND ("b")"#);
    assert_eq!(q("mri AND b").unwrap(), q("mri b").unwrap());
    assert_eq!(q("mri and b").unwrap(), r#"("mri") AND ("and") AND ("b")"#);
    for bad in [
        "a NOT",
        "NOT a",
        "a NOT NOT b",
        "a NOT OR b",
        "a OR NOT b",
        "AND",
        "AND a",
        "a AND",
        "a NOT AND b",
        "a OR AND b",
        "a AND OR b",
        "a AND AND b",
        "NOT -a",
        "x NOT -a",
    ] {
        assert!(q(bad).is_err(), "{bad:?} should be refused");
    }
    assert_eq!(q("mri AND NOT b").unwrap(), q("mri -b").unwrap());
}

/// An order is read in any case; an unknown one is named as written.
#[test]
fn orders_are_read_in_any_case() {
    assert_eq!("NEWEST".parse::<Sort>().unwrap(), Sort::Newest);
    let e = "Newest!".parse::<Sort>().unwrap_err().to_string();
    assert!(e.contains("\"Newest!\""), "{e}");
}

/// Quotes as phones and word processors type them make a phrase, and an ellipsis a range.
#[test]
fn typographic_quotes_and_ellipses_are_read() {
    let q = |s: &str| s.parse::<FtsQuery>().unwrap().expression().to_string();
    assert_eq!(
        q("\u{201C}functional restoration\u{201D}"),
        q("\"functional restoration\"")
    );
    let r = |s: &str| s.parse::<DateRange>().unwrap();
    assert_eq!(r("2016\u{2026}2017-03"), r("2016..2017-03"));
}

#[test]
fn date_ranges_read_periods() {
    let r = |s: &str| {
        s.parse::<DateRange>()
            .map(|r| (r.from.map(|d| d.to_string()), r.to.map(|d| d.to_string())))
    };
    let s = |d: &str| Some(d.to_string());
    assert_eq!(r("2016").unwrap(), (s("2016-01-01"), s("2016-12-31")));
    assert_eq!(r("2016-02").unwrap(), (s("2016-02-01"), s("2016-02-29")));
    assert_eq!(
        r("2016-03..2017").unwrap(),
        (s("2016-03-01"), s("2017-12-31"))
    );
    assert_eq!(r("..2017-01-15").unwrap(), (None, s("2017-01-15")));
    assert_eq!(r("2017-01-15..").unwrap(), (s("2017-01-15"), None));
    // Days as the letters print them.
    assert_eq!(
        r("12/09/2016..January 5, 2017").unwrap(),
        (s("2016-12-09"), s("2017-01-05"))
    );
    assert_eq!(r("2/29/2016").unwrap(), (s("2016-02-29"), s("2016-02-29")));
    for (bad, why) in [
        ("2/30/2016", "2016-02 has 29 days, not 30"),
        ("Decembr 9, 2016", "or a range FROM..TO of them"),
        (" .. ", "it has neither a start nor an end"),
    ] {
        let e = r(bad).unwrap_err().to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
    for bad in [
        "2017..2016",
        "16",
        "2016-13",
        "2016-02-30",
        "yesterday",
        "2016-1-1x",
    ] {
        assert!(r(bad).is_err(), "{bad:?} should be refused");
    }
    // A date in the right form that is no date says which part is wrong; another form says what
    // is taken.
    for (bad, why) in [
        ("2016-02-30", "2016-02 has 29 days, not 30"),
        ("2016-13", "there is no month 13"),
        ("2016-2017", "or a range FROM..TO of them"),
    ] {
        let e = r(bad).unwrap_err().to_string();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

/// A store of one letter (a seed's, without its clinical summary) whose items are
/// `item(k, first)` for k below `n`, numbered from 1, `first` the seed's first item.
fn store_of_items(
    n: usize,
    item: impl Fn(usize, DisputedItem) -> DisputedItem,
) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let mut letter = seeds().remove(0);
    letter.clinical_summary = None;
    let first = letter.items[0].clone();
    letter.items = (0..n)
        .map(|k| DisputedItem {
            number: k + 1,
            ..item(k, first.clone())
        })
        .collect();
    store.write_batch(&[indexed(&letter, 0)]).unwrap();
    (dir, store)
}

/// How many items of `store` the filters `set` makes keep.
fn kept(store: &Store, set: impl FnOnce(&mut Filters)) -> usize {
    let mut f = Filters::default();
    set(&mut f);
    let n = store.matches(&f).unwrap().items;
    // A count reads some filters another way than a page does (every item kept, not the first):
    // both keep the same items.
    let every = Search {
        filters: f,
        sort: Sort::Best,
        limit: usize::MAX,
        offset: 0,
    };
    assert_eq!(store.search(&every).unwrap().len(), n);
    n
}

/// Hostile values in every filter and in the words: never an SQL error, never a change.
#[test]
fn hostile_values_are_only_values() {
    let (_dir, store, _) = seed_store();
    let before = store.counts().unwrap();
    let hostile = [
        "'; DROP TABLE items; --",
        "\" OR 1=1 --",
        "%",
        "_",
        "\\",
        "x' OR 'x'='x",
        "NEAR(a b)",
        "title:mri",
        "*",
        "a\"b",
    ];
    for h in hostile {
        let f = |f: Filters| {
            let s = Search {
                filters: f,
                sort: Sort::Best,
                limit: 5,
                offset: 0,
            };
            store.search(&s).map(|hits| hits.len())
        };
        let text = Some(h.to_string());
        for filters in [
            Filters {
                treatment: text.clone(),
                ..Filters::default()
            },
            Filters {
                specialty: text.clone(),
                ..Filters::default()
            },
            Filters {
                guideline: text.clone(),
                ..Filters::default()
            },
            Filters {
                case_number: text.clone(),
                ..Filters::default()
            },
        ] {
            assert_eq!(f(filters).unwrap(), 0, "{h:?} matches nothing");
        }
        // A theme outside the codebook is refused, in the tool's words.
        let theme = f(Filters {
            theme: text.clone(),
            ..Filters::default()
        });
        assert!(
            matches!(&theme, Err(Error::Query { what }) if what.contains("no such theme")),
            "{h:?}: {theme:?}"
        );
        match h.parse::<FtsQuery>() {
            Ok(words) => {
                f(Filters {
                    words: Some(words),
                    ..Filters::default()
                })
                .unwrap();
            }
            Err(e) => assert!(matches!(e, Error::Query { .. }), "{h:?}: {e}"),
        }
    }
    assert_eq!(store.counts().unwrap(), before);
    store.integrity_check().unwrap();
}

/// Version 6 reads each item's guidelines again: a database indexed before it gets the document
/// a list of sections ran into, which it left out.
#[test]
fn migration_reads_guidelines_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.db");
    let line = "Decision based on MTUS Low Back Complaints 2004, Section(s): Initial Care, \
                Physical Methods, and Chronic Pain Medical Treatment 2016, Section(s): TENS.";
    {
        let old = Store::create_at_version(&path, 5).unwrap();
        old.conn
            .execute_batch(&format!(
                "INSERT INTO letters (case_number, source, sha256, file_size, file_mtime_ns, \
                 reviewer_licensure) VALUES ('CM1', 'a.txt', 'x', 1, 1, '[]'); \
                 INSERT INTO items (letter_id, item, title, category, treatment, decision, \
                 rationale, reviewer_guideline) \
                 VALUES (1, 1, 't', 'other', 't', 'Upheld', 'r', '{line}'); \
                 INSERT INTO item_guidelines VALUES (1, 'MTUS Low Back Complaints 2004');"
            ))
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let cited: Vec<String> = store
        .conn
        .prepare("SELECT guideline FROM item_guidelines ORDER BY guideline")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        cited,
        [
            "MTUS Chronic Pain Medical Treatment 2016",
            "MTUS Low Back Complaints 2004"
        ]
    );
}

/// Version 8 puts the full-text index of `store/text` in FTS5's place, built from the texts a
/// database already holds: a database of version 7 finds its items by their words after it.
#[test]
fn migration_builds_the_full_text_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v7.db");
    {
        let old = Store::create_at_version(&path, 7).unwrap();
        old.conn
            .execute_batch(
                "INSERT INTO letters (case_number, source, sha256, file_size, file_mtime_ns, \
                 reviewer_licensure, clinical_summary) \
                 VALUES ('CM1', 'a.txt', 'x', 1, 1, '[]', 'Injured lifting boxes.'); \
                 INSERT INTO items (letter_id, item, title, category, treatment, decision, \
                 rationale) VALUES (1, 1, 'Acupuncture x6', 'rehabilitation', 'acupuncture', \
                 'Upheld', 'Guidelines support acupuncture.'), (1, 2, 'Norco 10/325mg #60', \
                 'pharmaceuticals', 'hydrocodone', 'Overturned', 'Opioids are supported.');",
            )
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), schema::SCHEMA_VERSION);
    let found = |w: &str| {
        let f = Filters {
            words: Some(w.parse().unwrap()),
            ..Filters::default()
        };
        let hits = store
            .search(&Search {
                filters: f.clone(),
                sort: Sort::Best,
                limit: 10,
                offset: 0,
            })
            .unwrap();
        (
            hits.iter().map(|h| h.item).collect::<Vec<_>>(),
            store.matches(&f).unwrap().items,
        )
    };
    assert_eq!(found("acupuncture"), (vec![1], 1));
    assert_eq!(found("lifting"), (vec![1, 2], 2));
    assert_eq!(found("norco 10/325"), (vec![2], 1));
    assert_eq!(found("\"boxes\" -opioids"), (vec![1], 1));
}

/// A full-text index another analyzer made is refused for searching, with what to do, and made
/// again by the next open for writing (as `imr index` opens it).
#[test]
fn an_index_of_another_analyzer_is_made_again() {
    let (dir, store, _) = seed_store();
    let path = dir.path().join("t.db");
    let words = |s: &Store| {
        let f = Filters {
            words: Some("medically".parse().unwrap()),
            ..Filters::default()
        };
        s.matches(&f).unwrap().items
    };
    let before = words(&store);
    assert!(before > 0);
    store
        .conn
        .execute_batch("UPDATE text_settings SET analyzer = 0; DELETE FROM text_postings;")
        .unwrap();
    drop(store);
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(
        matches!(err, Error::TextIndexOlder { found: 0, .. })
            && err.to_string().contains("imr index --db"),
        "{err}"
    );
    let mut told = Vec::new();
    let store = Store::open_reporting(&path, &mut |done, total| told.push((done, total))).unwrap();
    assert_eq!(words(&store), before);
    assert_eq!(
        store.text_analyzer().unwrap(),
        super::text::ANALYZER_VERSION
    );
    // The progress ends at every item.
    let items = store.counts().unwrap().1;
    assert_eq!(told.last(), Some(&(items, items)));
    // Made once: the next open says nothing.
    drop(store);
    let mut again = 0;
    Store::open_reporting(&path, &mut |_, _| again += 1).unwrap();
    assert_eq!(again, 0);
    assert_eq!(words(&Store::open_read_only(&path).unwrap()), before);
}

/// A guideline filter takes whole words of a cited name: `MTUS` finds the MTUS documents, not
/// "Outside the MTUS" (asked for by `outside`) nor "Other non-MTUS source"; parts of words find
/// nothing.
#[test]
fn guideline_filters_take_whole_words() {
    let lines = [
        "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): NSAIDs.",
        "Decision based on MTUS Low Back Complaints 2004, Section(s): X.",
        "The Expert Reviewer based their decision on recommendation(s) outside of the MTUS \
         Guidelines. Decision based on Non-MTUS Citation UpToDate.com.",
        "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) MRI.",
        "Decision based on MTUS Elbow Complaints 2007, Section(s): Diagnostic Criteria, and \
         Forearm, Wrist, and Hand Complaints 2004, Section(s): Special Studies.",
    ];
    let (_dir, store) = store_of_items(lines.len(), |k, item| DisputedItem {
        reviewer_guideline: Some(lines[k].to_string()),
        ..item
    });
    let count = |g: &str| kept(&store, |f| f.guideline = Some(g.into()));
    assert_eq!(count("MTUS"), 3);
    assert_eq!(count("mtus low back"), 1);
    // A name's commas are no part of its words; its second document is found too.
    assert_eq!(count("wrist"), 1);
    assert_eq!(count("Forearm, Wrist"), 1);
    assert_eq!(count("forearm wrist and hand"), 1);
    assert_eq!(count("elbow complaints 2007"), 1);
    assert_eq!(count("Chronic   Pain"), 1);
    assert_eq!(count("outside the MTUS"), 1);
    assert_eq!(count("non-MTUS"), 1);
    assert_eq!(count("ODG"), 1);
    assert_eq!(count("Chron"), 0);
    assert_eq!(count("2004"), 2);
}

/// A treatment filter takes whole words of a treatment name, in order: a kind of test finds every
/// site, a drug its combinations, a site every test of it; parts of words find nothing.
#[test]
fn treatment_filters_take_whole_words() {
    let titles = [
        ("Norco 10/325mg #60", "hydrocodone/acetaminophen"),
        ("MRI of the lumbar spine", "MRI lumbar spine"),
        ("MRI of the right shoulder", "MRI shoulder"),
        ("X-ray of the lumbar spine", "X-ray lumbar spine"),
        ("Tramadol 50mg #90", "tramadol"),
    ];
    let (_dir, store) = store_of_items(titles.len(), |k, item| {
        let (title, treatment) = titles[k];
        let kind = crate::treatment::classify(title, None);
        assert_eq!(kind.treatment, treatment, "{title}");
        DisputedItem {
            title: title.to_string(),
            kind,
            ..item
        }
    });
    let count = |t: &str| kept(&store, |f| f.treatment = Some(t.into()));
    assert_eq!(count("MRI"), 2);
    assert_eq!(count("mri lumbar spine"), 1);
    assert_eq!(count("MRI  lumbar"), 1);
    assert_eq!(count("lumbar spine"), 2);
    assert_eq!(count("hydrocodone"), 1);
    assert_eq!(count("ACETAMINOPHEN"), 1);
    assert_eq!(count("hydrocodone/acetaminophen"), 1);
    assert_eq!(count("x-ray"), 1);
    assert_eq!(count("tramadol"), 1);
    assert_eq!(count("lumbar MRI"), 0);
    assert_eq!(count("hydro"), 0);
    assert_eq!(count("spine x"), 0);
}

/// A stored name is split into words by the rule a filter is ([`super::query`]'s one function,
/// called from SQL): runs of spaces, tabs, commas and slashes alike.
#[test]
fn treatment_names_split_as_filters_are() {
    let names = ["MRI  cervical\tspine,hand", "ibuprofen/ famotidine"];
    let (_dir, store) = store_of_items(names.len(), |k, mut item| {
        item.kind.treatment = names[k].to_string();
        item
    });
    let count = |t: &str| kept(&store, |f| f.treatment = Some(t.into()));
    assert_eq!(count("cervical spine"), 1);
    assert_eq!(count("spine hand"), 1);
    assert_eq!(count("MRI cervical spine hand"), 1);
    assert_eq!(count("famotidine"), 1);
    assert_eq!(count("ibuprofen famotidine"), 1);
    assert_eq!(count("cervical hand"), 0);
}

#[test]
fn stats_count_every_item_once_per_group() {
    let (_dir, store, letters) = seed_store();
    let items: Vec<_> = letters.iter().flat_map(|l| &l.items).collect();
    let rows = store
        .stats(&[StatsKey::Category], &Filters::default())
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.items).sum::<usize>(), items.len());
    let overturned = items.iter().filter(|i| i.decision.is_overturned()).count();
    assert_eq!(rows.iter().map(|r| r.overturned).sum::<usize>(), overturned);
    for r in &rows {
        let c: Category = r.values[0].as_deref().unwrap().parse().unwrap();
        assert_eq!(
            r.items,
            items.iter().filter(|i| i.kind.category == c).count()
        );
        assert!(r.rate_low <= r.rate && r.rate <= r.rate_high, "{r:?}");
    }
    assert!(
        rows.windows(2).all(|w| w[0].items >= w[1].items),
        "largest first"
    );
    let upheld = Filters {
        outcome: Some(Decision::Upheld),
        ..Filters::default()
    };
    let rows = store
        .stats(&[StatsKey::Year, StatsKey::Category], &upheld)
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.items).sum::<usize>(),
        items.len() - overturned
    );
    assert!(rows.iter().all(|r| r.overturned == 0));
}

/// The best matches taken first give the page of ranking every match, whenever they fill it; the
/// best of the kept matches, always.
#[test]
fn a_window_of_the_best_matches_gives_the_exact_page() {
    let (_dir, store, _) = seed_store();
    for words in ["the", "request", "medical OR patient", "pain -surgery"] {
        for outcome in [None, Some(Decision::Upheld), Some(Decision::Overturned)] {
            let f = Filters {
                words: Some(words.parse().unwrap()),
                outcome,
                ..Filters::default()
            };
            for limit in 1..=6 {
                let full = store.search_page(&f, None, limit).unwrap();
                let mut filled = 0;
                for window in 1..=14 {
                    let best = store
                        .best_kept(&f, f.words.as_ref().unwrap(), limit)
                        .unwrap();
                    assert_eq!(best, full, "{words:?} {outcome:?}");
                    let page = store.search_page(&f, Some(window), limit).unwrap();
                    if page.len() == limit {
                        filled += 1;
                        assert_eq!(page, full, "{words:?} {outcome:?} window {window}");
                    }
                }
                if full.len() == limit {
                    assert!(
                        filled > 0,
                        "{words:?} {outcome:?} {limit}: no window filled it"
                    );
                }
            }
            let all = Search {
                filters: f.clone(),
                sort: Sort::Best,
                limit: 3,
                offset: 2,
            };
            let full = store.search_page(&f, None, 5).unwrap();
            assert_eq!(store.search(&all).unwrap(), full[full.len().min(2)..]);
        }
    }
}

/// The sample letters three times over (distinct files and cases), with decision dates that tie,
/// fall out of file order, and are missing for some.
fn dated_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let batch: Vec<IndexedLetter> = (0..3)
        .flat_map(|copy| seeds().into_iter().map(move |l| (copy, l)))
        .enumerate()
        .map(|(i, (copy, mut l))| {
            l.header.source = format!("{}.{copy}", l.header.source);
            l.header.case_number = format!("{}-{copy}", l.header.case_number);
            l.header.decision_date = (i % 7 != 2)
                .then(|| crate::Date::new(2015 + (i as u16 * 3) % 4, 1 + (i % 2) as u8, 1))
                .flatten();
            l.header.date_of_injury = crate::Date::new(2012 + (i % 3) as u16, 5, 1);
            indexed(&l, i)
        })
        .collect();
    store.write_batch(&batch).unwrap();
    (dir, store)
}

/// Walking an index newest first (the letters', or the items' by category or drug class) and
/// letting the planner sort give the same page, ties and letters without a date included.
#[test]
fn both_plans_of_a_search_without_words_give_the_same_page() {
    let (_dir, store) = dated_store();
    let with = |f: &dyn Fn(&mut Filters)| {
        let mut filters = Filters::default();
        f(&mut filters);
        filters
    };
    let filters = [
        Filters::default(),
        with(&|f| f.outcome = Some(Decision::Upheld)),
        with(&|f| f.category = Some(Category::Pharmaceuticals)),
        with(&|f| f.category = Some(Category::Injections)),
        with(&|f| {
            f.category = Some(Category::DiagnosticTesting);
            f.outcome = Some(Decision::Upheld);
        }),
        with(&|f| {
            f.category = Some(Category::Injections);
            f.decided = "2016..2017".parse().unwrap();
            f.injured = "2013..".parse().unwrap();
        }),
        with(&|f| f.drug_class = Some(DrugClass::Opioids)),
        with(&|f| {
            f.drug_class = Some(DrugClass::Other);
            f.category = Some(Category::Pharmaceuticals);
            f.specialty = Some("a".into());
        }),
        with(&|f| f.specialty = Some("a".into())),
    ];
    for f in filters {
        let all = store.page(&f, None, 1000, false, None).unwrap();
        assert!(!all.is_empty(), "{f:?} matches nothing");
        for limit in [1, 3, 20] {
            let walked = store.page(&f, None, limit, true, None).unwrap();
            assert_eq!(
                walked,
                store.page(&f, None, limit, false, None).unwrap(),
                "{f:?}"
            );
            assert_eq!(store.search_page(&f, None, limit).unwrap(), walked);
        }
    }
    // A query over its budget is interrupted, and the store stays usable.
    let long = || {
        store
            .conn
            .query_row(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                 WHERE x < 100000000) SELECT count(*) FROM c",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(store.err())
    };
    let budget = std::time::Duration::from_millis(1);
    assert_eq!(store.bounded(budget, long).unwrap(), None);
    assert_eq!(store.counts().unwrap().0, 15);
}

/// Each order gives the same items as the default one, in its own order; letters without a date
/// come last either way.
#[test]
fn searches_sort_by_date_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let batch: Vec<IndexedLetter> = seeds()
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut l = l.clone();
            // Dates out of file order, and one letter without.
            l.header.decision_date = (i != 2)
                .then(|| crate::Date::new(2014 + (i as u16 * 3) % 5, 6, 1))
                .flatten();
            indexed(&l, i)
        })
        .collect();
    store.write_batch(&batch).unwrap();
    for words in [None, Some("injection OR therapy")] {
        let search = |sort| {
            let filters = Filters {
                words: words.map(|w| w.parse().unwrap()),
                ..Filters::default()
            };
            let q = Search {
                filters,
                sort,
                limit: 100,
                offset: 0,
            };
            store.search(&q).unwrap()
        };
        let key = |h: &Hit| (h.case_number.clone(), h.item);
        let mut best: Vec<_> = search(Sort::Best).iter().map(key).collect();
        best.sort();
        assert!(best.len() > 3);
        for sort in Sort::ALL {
            let hits = search(sort);
            let mut items: Vec<_> = hits.iter().map(key).collect();
            items.sort();
            assert_eq!(items, best, "{sort:?} {words:?}");
            if !matches!(sort, Sort::Newest | Sort::Oldest) {
                continue;
            }
            let dates: Vec<Option<&str>> =
                hits.iter().map(|h| h.decision_date.as_deref()).collect();
            let n = dates.iter().take_while(|d| d.is_some()).count();
            assert!(
                n > 0 && dates[n..].iter().all(Option::is_none),
                "{sort:?}: {dates:?}"
            );
            let ordered = |w: &[Option<&str>]| match sort {
                Sort::Oldest => w[0] <= w[1],
                _ => w[0] >= w[1],
            };
            assert!(dates[..n].windows(2).all(ordered), "{sort:?}: {dates:?}");
        }
    }
    assert_eq!("Overturned".parse::<Sort>().unwrap(), Sort::Overturned);
    assert!("sideways".parse::<Sort>().is_err());
}

/// A search with words in date order gives the same page walking the items in that order as
/// fetching its matches and sorting them: ties, letters without a date, filters and pages.
#[test]
fn both_plans_of_a_search_with_words_in_date_order_give_the_same_page() {
    let (_dir, store) = dated_store();
    let mut walked = 0;
    for words in [
        "the",
        "request OR patient",
        "pain -surgery",
        "\"the patient\"",
        "zzz",
    ] {
        for filters in [
            Filters::default(),
            Filters {
                outcome: Some(Decision::Upheld),
                ..Filters::default()
            },
            Filters {
                category: Some(Category::DiagnosticTesting),
                decided: "2016..".parse().unwrap(),
                ..Filters::default()
            },
        ] {
            let f = Filters {
                words: Some(words.parse().unwrap()),
                ..filters
            };
            let w = f.words.as_ref().unwrap();
            for sort in [Sort::Newest, Sort::Oldest] {
                for want in [1, 3, 7, 1000] {
                    let sorted = store
                        .page(&f, None, want, false, Some(sort.order()))
                        .unwrap();
                    let by_date = store.kept_by_date(&f, w, sort, want, 0).unwrap();
                    assert_eq!(by_date.as_ref(), Some(&sorted), "{words} {sort:?} {want}");
                    walked += sorted.len();
                }
                // Other orders, and too few matches, are left to the sort.
                assert_eq!(
                    store.kept_by_date(&f, w, sort, 5, usize::MAX).unwrap(),
                    None
                );
            }
            assert_eq!(
                store.kept_by_date(&f, w, Sort::Overturned, 5, 0).unwrap(),
                None
            );
        }
    }
    assert!(walked > 100);
}

/// The matches the filters keep are the same looked up one by one or read from the filters' own
/// indexes, and their counts those of joining each match to its item, with and without filters.
#[test]
fn word_matches_are_kept_the_same_looked_up_or_merged() {
    let (_dir, store) = dated_store();
    let filters = [
        Filters::default(),
        Filters {
            outcome: Some(Decision::Overturned),
            ..Filters::default()
        },
        Filters {
            category: Some(Category::DiagnosticTesting),
            ..Filters::default()
        },
        Filters {
            specialty: Some("a".into()),
            decided: "2016..".parse().unwrap(),
            ..Filters::default()
        },
    ];
    let mut overturned = 0;
    for words in [
        "the",
        "request",
        "medical OR patient",
        "pain -surgery",
        "\"the patient\"",
    ] {
        for f in &filters {
            let f = Filters {
                words: Some(words.parse().unwrap()),
                ..f.clone()
            };
            let found = store.word_matches(f.words.as_ref().unwrap()).unwrap();
            // Each match looked up, or the filters' ids and the matches taken together.
            let looked_up = store.filtered_ids(&f, &found, usize::MAX).unwrap();
            assert_eq!(
                store.filtered_ids(&f, &found, 0).unwrap(),
                looked_up,
                "{f:?}"
            );
            let joined = store.matches_joined(&f, Some(&found)).unwrap();
            assert_eq!(joined.items, looked_up.len(), "{f:?}");
            assert_eq!(store.matches(&f).unwrap(), joined, "{f:?}");
            overturned += joined.overturned;
        }
    }
    // Not a test of nothing: some matches are overturned.
    assert!(overturned > 0);
}

/// A letter is found by its case number as written, or typed in lower case where it is in
/// capitals (the DWC's are); one in lower case is not found by capitals.
#[test]
fn a_letter_is_found_by_its_case_number_in_any_case() {
    let (_dir, mut store, letters) = seed_store();
    let mut upper = indexed(&letters[0], 50);
    upper.file.source = "/elsewhere/CM16-0000001.txt".into();
    upper.letter.header.case_number = "CM16-0000001".into();
    store.write_batch(std::slice::from_ref(&upper)).unwrap();
    for typed in ["CM16-0000001", "cm16-0000001"] {
        let l = store.letter_by_case(typed).unwrap().unwrap();
        assert_eq!(l.header.case_number, "CM16-0000001", "{typed}");
    }
    let lower = &letters[1].header.case_number;
    assert!(store.letter_by_case(lower).unwrap().is_some());
    let capitals = lower.to_uppercase();
    assert!(
        store.letter_by_case(&capitals).unwrap().is_none(),
        "{capitals}"
    );
}

/// Two runs scoring with two models at once: the one that took the scores last keeps them, and
/// the other stops at its next batch, so the database never holds two models' scores.
#[test]
fn scores_of_two_models_at_once_are_refused() {
    let (dir, mut a, _) = seed_store();
    let mut b = Store::open(&dir.path().join("t.db")).unwrap();
    let model = |name: &str| ModelInfo {
        digest: format!("sha256:{name}"),
        name: name.into(),
        format_version: "imr-model/6".into(),
        themes: None,
    };
    let (first, second) = (model("first"), model("second"));
    let score = |item_id| theme_score(item_id, &[]);
    a.write_scores(&first, &[score(1)]).unwrap();
    b.clear_scores(&second).unwrap();
    let e = a.write_scores(&first, &[score(2)]).unwrap_err();
    assert!(
        matches!(&e, crate::Error::ScoresTaken { other, .. } if other.starts_with("second")),
        "{e}"
    );
    b.write_scores(&second, &[score(1), score(2)]).unwrap();
    assert_eq!(a.scoring_model().unwrap().unwrap().name, "second");
    // Before any run took them, the first to write takes them.
    b.clear_scores(&second).unwrap();
    b.write_scores(&second, &[score(3)]).unwrap();
    let e = a.write_scores(&first, &[score(4)]).unwrap_err().to_string();
    assert!(e.contains("scores this database with second"), "{e}");
    // A claim with no score left (its run stopped before a batch) still owns the scores, so a run
    // with another model replaces it (as `imr index --model` does) rather than stop.
    a.clear_scores(&first).unwrap();
    assert_eq!(b.scoring_model().unwrap(), None);
    assert_eq!(b.scores_owner().unwrap().unwrap().name, "first");
    b.clear_scores(&second).unwrap();
    b.write_scores(&second, &[score(1)]).unwrap();
    assert_eq!(a.scores_owner().unwrap().unwrap().name, "second");
}

/// A model named "m" that assigns `themes` (None: not recorded, as before schema 5).
fn theme_model(themes: Option<&[&str]>) -> ModelInfo {
    ModelInfo {
        digest: format!("sha256:{themes:?}"),
        name: "m".into(),
        format_version: "imr-model/6".into(),
        themes: themes.map(|t| t.iter().map(|s| s.to_string()).collect()),
    }
}

/// Item `item_id`'s scores, with `themes`.
fn theme_score(item_id: i64, themes: &[&str]) -> ItemScores {
    ItemScores {
        item_id,
        p_overturned: Some(0.5),
        p_low: None,
        p_high: None,
        predicted: Some(Decision::Upheld),
        abstention: None,
        themes: themes.iter().map(|s| s.to_string()).collect(),
    }
}

fn theme_filter(theme: Option<&str>) -> Filters {
    Filters {
        theme: theme.map(String::from),
        ..Filters::default()
    }
}

/// What a theme filter can see: the themes the scoring model assigns. A theme the model has not
/// is an error, not an empty answer, and the notes say why no item has one.
#[test]
fn themes_are_those_of_the_scoring_model() {
    let (_dir, mut store, _) = seed_store();
    let filters = theme_filter;
    // No scores: the codebook's themes are accepted, and the note says none is scored.
    store.check_filters(&filters(Some("criteria_met"))).unwrap();
    assert!(store
        .scores_note("t.db", true, Naming::AsGiven)
        .unwrap()
        .unwrap()
        .contains("indexed without a model"));
    let (model, score) = (theme_model, theme_score);
    // A model without theme models: any theme is an error, and counts by theme say why.
    let none = model(Some(&[]));
    store.clear_scores(&none).unwrap();
    store
        .write_scores(&none, &[score(1, &[]), score(2, &[])])
        .unwrap();
    let e = store
        .check_filters(&filters(Some("criteria_met")))
        .unwrap_err();
    assert!(
        e.to_string().contains("a model without theme models"),
        "{e}"
    );
    assert!(store
        .scores_note("t.db", true, Naming::AsGiven)
        .unwrap()
        .unwrap()
        .contains("its scores are m's, a model without theme models"));
    // Nor are its items counted as of no theme.
    let by_theme = store.stats(&[StatsKey::Theme], &filters(None)).unwrap();
    assert!(by_theme.is_empty(), "{by_theme:?}");
    // A model with themes: one of them is taken, another is an error naming them.
    let some = model(Some(&["criteria_met", "not_recommended"]));
    store.clear_scores(&some).unwrap();
    store
        .write_scores(&some, &[score(1, &["criteria_met"]), score(2, &[])])
        .unwrap();
    store.check_filters(&filters(Some("criteria_met"))).unwrap();
    let e = store
        .check_filters(&filters(Some("exceeds_limits")))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("its themes: criteria_met, not_recommended"),
        "{e}"
    );
}

/// The notes and errors about the scoring model name it by its file alone where the naming says
/// so (the web page), and as given otherwise; a theme error names the file alone either way.
#[test]
fn notes_name_the_model_as_the_naming_says() {
    let (_dir, mut store, _) = seed_store();
    let model = ModelInfo {
        name: "/srv/models/m.json".into(),
        ..theme_model(Some(&[]))
    };
    store.clear_scores(&model).unwrap();
    store.write_scores(&model, &[theme_score(1, &[])]).unwrap();
    let note = |naming| {
        store
            .scores_note("/srv/t.db", true, naming)
            .unwrap()
            .unwrap()
    };
    let given = note(Naming::AsGiven);
    assert!(
        given.contains("of /srv/t.db has themes: its scores are /srv/models/m.json's"),
        "{given}"
    );
    let names = note(Naming::FileNames);
    assert!(
        names.contains("of t.db has themes: its scores are m.json's"),
        "{names}"
    );
    assert!(!names.contains("/srv"), "{names}");
    let e = store
        .check_filters(&theme_filter(Some("criteria_met")))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("the scores here are m.json's") && !e.contains("/srv"),
        "{e}"
    );
}

/// Theme counts of a database partly scored: shares are of the scored items, and the note names
/// the others; a row an older imr wrote (no themes recorded) takes the codebook's themes.
#[test]
fn theme_counts_are_of_the_scored_items() {
    let (_dir, mut store, _) = seed_store();
    let filters = theme_filter;
    let (model, score) = (theme_model, theme_score);
    let some = model(Some(&["criteria_met", "not_recommended"]));
    store.clear_scores(&some).unwrap();
    store
        .write_scores(&some, &[score(1, &["criteria_met"]), score(2, &[])])
        .unwrap();
    // Two of the items scored: theme shares are of those two; the rest are named.
    let items = store.counts().unwrap().1;
    let note = store
        .scores_note("t.db", true, Naming::AsGiven)
        .unwrap()
        .unwrap();
    assert!(
        note.starts_with(&format!("{} of the {items} items", items - 2)),
        "{note}"
    );
    assert!(note.contains("left out"), "{note}");
    // Ordered by score, the unscored come last: not left out.
    let note = store
        .scores_note("t.db", false, Naming::AsGiven)
        .unwrap()
        .unwrap();
    assert!(note.contains("listed last"), "{note}");
    let rows = store.stats(&[StatsKey::Theme], &filters(None)).unwrap();
    let shares: Vec<(Option<&str>, usize, f64)> = rows
        .iter()
        .map(|r| (r.values[0].as_deref(), r.items, r.share))
        .collect();
    assert_eq!(shares, [(Some("criteria_met"), 1, 0.5), (None, 1, 0.5)]);
    // A row an older imr wrote (no themes recorded): the codebook's themes are taken.
    let old = model(None);
    store.clear_scores(&old).unwrap();
    store.write_scores(&old, &[score(1, &[])]).unwrap();
    store
        .check_filters(&filters(Some("exceeds_limits")))
        .unwrap();
    // Its themes recorded when it scores again (nothing new to score): then known.
    let known = ModelInfo {
        themes: Some(Vec::new()),
        ..old.clone()
    };
    store.record_themes(&known).unwrap();
    let e = store
        .check_filters(&filters(Some("exceeds_limits")))
        .unwrap_err();
    assert!(
        e.to_string().contains("a model without theme models"),
        "{e}"
    );
}

/// Counts by specialty are by each specialty, as other outputs list them: a letter whose reviewer
/// holds two counts its items in both, and no group is two specialties joined.
#[test]
fn specialties_are_counted_one_by_one() {
    let mut letters = seeds();
    letters[0].header.reviewer.specialty =
        vec!["Preventive Medicine".into(), "Occupational Medicine".into()];
    let first_items = letters[0].items.len();
    let (_dir, store) = store_of(&letters);
    let rows = store
        .stats(&[StatsKey::Specialty], &Filters::default())
        .unwrap();
    let items = |name: &str| {
        rows.iter()
            .find(|r| r.values[0].as_deref() == Some(name))
            .map_or(0, |r| r.items)
    };
    assert!(rows
        .iter()
        .all(|r| !r.values[0].as_deref().unwrap_or("").contains(',')));
    assert_eq!(items("Preventive Medicine"), first_items);
    let occupational: usize = letters
        .iter()
        .filter(|l| {
            l.header
                .reviewer
                .specialty
                .iter()
                .any(|s| s == "Occupational Medicine")
        })
        .map(|l| l.items.len())
        .sum();
    assert_eq!(items("Occupational Medicine"), occupational);
    let total: usize = letters.iter().map(|l| l.items.len()).sum();
    assert_eq!(
        rows.iter().map(|r| r.items).sum::<usize>(),
        total + first_items
    );
    assert!(StatsKey::Specialty.is_multi());
}

/// A batch written with its scores counts the scores it wrote: none for a letter another run
/// wrote meanwhile (unchanged), whose scores come later.
#[test]
fn a_scored_batch_counts_the_scores_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db")).unwrap();
    let letter = seeds().remove(0);
    let mut l = indexed(&letter, 0);
    l.scores = (0..letter.items.len())
        .map(|_| theme_score(0, &["criteria_met"]))
        .collect();
    let model = theme_model(Some(&["criteria_met"]));
    let first = store
        .write_batch_scored(std::slice::from_ref(&l), Some(&model))
        .unwrap();
    assert_eq!((first.letters, first.scored), (1, letter.items.len()));
    assert!(store.letters_without_scores().unwrap().is_empty());
    let again = store.write_batch_scored(&[l], Some(&model)).unwrap();
    assert_eq!((again.unchanged, again.scored), (1, 0));
}

/// A stored date is `YYYY-MM-DD` alone, as the filters compare it: another form in a row (written
/// by another program) is an error naming the field, not a date read another way.
#[test]
fn stored_dates_are_iso_alone() {
    let (_dir, store, _) = seed_store();
    store
        .conn
        .execute("UPDATE letters SET decision_date = '12/09/2016'", [])
        .unwrap();
    let e = store
        .each_letter(|_| std::ops::ControlFlow::Continue(()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("decision_date") && e.contains("12/09/2016"),
        "{e}"
    );
}

/// SQLite's errors a user can act on are said with what to do.
#[test]
fn lock_and_disk_errors_say_what_to_do() {
    let said = |code: std::os::raw::c_int| {
        let e = rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None);
        super::db_error(std::path::Path::new("x.db"), e).to_string()
    };
    let busy = said(rusqlite::ffi::SQLITE_BUSY);
    assert!(
        busy.contains("x.db") && busy.contains("write lock"),
        "{busy}"
    );
    assert!(busy.contains("running it again"), "{busy}");
    assert!(said(rusqlite::ffi::SQLITE_FULL).contains("the disk is full"));
    assert!(said(rusqlite::ffi::SQLITE_READONLY).contains("cannot be written"));
    // Others as SQLite says them.
    assert!(said(rusqlite::ffi::SQLITE_CORRUPT).contains("malformed"));
}

/// Scores it could not read back are refused before anything is written: a probability outside
/// 0 to 1 (or NaN), a range upside down, a theme of two words.
#[test]
fn scores_out_of_range_are_refused() {
    let (_dir, mut store, _) = seed_store();
    let model = ModelInfo {
        digest: "sha256:m".into(),
        name: "m".into(),
        format_version: "imr-model/6".into(),
        themes: None,
    };
    let ok = theme_score(1, &["criteria_met"]);
    let bad = [
        ItemScores {
            p_overturned: Some(7.0),
            ..ok.clone()
        },
        ItemScores {
            p_overturned: Some(f64::NAN),
            ..ok.clone()
        },
        ItemScores {
            p_low: Some(0.9),
            p_high: Some(0.1),
            ..ok.clone()
        },
        theme_score(1, &["x y"]),
    ];
    for s in bad {
        let e = store.write_scores(&model, &[ok.clone(), s]).unwrap_err();
        assert!(e.to_string().contains("item id 1"), "{e}");
    }
    assert!(
        store.scoring_model().unwrap().is_none(),
        "nothing was written"
    );
    store.write_scores(&model, &[ok]).unwrap();
}

/// Indexing the items as precedents tells each letter read once, in order, of all the letters;
/// the index holds every item.
#[test]
fn precedents_tell_the_letters_read() {
    let (_dir, store, letters) = seed_store();
    let mut told = Vec::new();
    let index = store
        .precedent_index_reporting(&mut |done, of| told.push((done, of)))
        .unwrap();
    let n = letters.len();
    assert_eq!(told, (1..=n).map(|k| (k, n)).collect::<Vec<_>>());
    let items: usize = letters.iter().map(|l| l.items.len()).sum();
    assert_eq!(index.len(), items);
}

/// The database's precedent index, its letters counted a batch at a time, is the one built from
/// the same letters held at once.
#[test]
fn the_database_precedent_index_is_the_letters_index() {
    use crate::ParamGuard;
    let (_dir, store, _) = seed_store();
    let letters = letters_of(&store);
    let items = crate::precedent::precedents(&letters);
    let params = crate::precedent::PrecedentParams::new().check().unwrap();
    let built =
        crate::precedent::PrecedentIndex::build(&params, items.iter().map(|(p, t)| (p.clone(), t)))
            .unwrap();
    assert!(store.precedent_index().unwrap() == built);
}

/// A database another program holds alone (here, SQLite's exclusive locking mode) is waited for
/// once, then said as a reader's error: not the writer's, and not after waiting twice.
#[test]
fn a_database_held_alone_is_said_to_readers() {
    let (_dir, store, _) = seed_store();
    let path = store.path.clone();
    drop(store);
    let wait = std::time::Duration::from_secs(1);
    TEST_WAIT.with(|w| w.set(Some(wait)));
    let holder = Connection::open(&path).unwrap();
    holder
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let n: i64 = holder
        .query_row("SELECT count(*) FROM letters", [], |r| r.get(0))
        .unwrap();
    assert!(n > 0);
    let started = std::time::Instant::now();
    let e = Store::open_read_only(&path).unwrap_err().to_string();
    let waited = started.elapsed();
    TEST_WAIT.with(|w| w.set(None));
    assert!(e.contains("another program holds it alone"), "{e}");
    assert!(e.ends_with("try again when it is done"), "{e}");
    assert!(waited >= wait && waited < 2 * wait, "waited {waited:?}");
}

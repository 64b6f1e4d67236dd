//! The decision database end to end: `imr index`, `search`, `stats`, and learning from `--db`.

use crate::util;

use imr::store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use util::*;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `n` distinct letters made from the sample letters: each a copy with its own first line (so its
/// own content) and file name (its case number), in `dir` (made if absent); with their item
/// counts by file name.
fn many_letters(dir: &Path, n: usize) -> BTreeMap<String, usize> {
    std::fs::create_dir_all(dir).unwrap();
    let seeds: Vec<(String, usize)> = std::fs::read_dir(root().join("data/letters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| {
            let out = imr(&["parse", "--json", s(&p)]);
            let items = json_lines(&stdout(&out))[0]["items"]
                .as_array()
                .unwrap()
                .len();
            (std::fs::read_to_string(&p).unwrap(), items)
        })
        .collect();
    let mut counts = BTreeMap::new();
    for i in 0..n {
        let (text, items) = &seeds[i % seeds.len()];
        let name = format!("letter{i:05}.txt");
        write(dir, &name, format!("Replica {i}\n{text}").as_bytes());
        counts.insert(name, *items);
    }
    counts
}

fn text_of(dir: &Path, i: usize) -> String {
    std::fs::read_to_string(dir.join(format!("letter{i:05}.txt"))).unwrap()
}

/// A test directory holding a database of the sample letters: the directory and the database.
fn indexed_samples(test: &str) -> (TestDir, PathBuf) {
    let dir = tempdir(test);
    let db = dir.join("t.db");
    let out = imr(&["index", "data/letters", "--db", s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    (dir, db)
}

fn letters_and_items(db: &Path) -> (usize, usize) {
    Store::open_read_only(db).unwrap().counts().unwrap()
}

#[test]
fn index_search_and_stats_on_the_corpus_agree_with_the_gold_file() {
    let Some(corpus) = corpus("index_search_and_stats_on_the_corpus") else {
        return;
    };
    let dir = tempdir("db-corpus");
    let db = dir.join("imr.db");
    let pdfs = corpus.join("dwc/pdf");
    // The gold file holds the corpus's items and the sample letters'.
    let out = imr(&["index", s(&pdfs), "data/letters", "--db", s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let gold: Vec<serde_json::Value> =
        json_lines(&std::fs::read_to_string(corpus.join("dwc/gold/items.jsonl")).unwrap());
    let gold_over: BTreeSet<(String, u64)> = gold
        .iter()
        .filter(|g| g["decision"] == "Overturned")
        .map(|g| {
            (
                g["case_number"].as_str().unwrap().to_string(),
                g["item"].as_u64().unwrap(),
            )
        })
        .collect();

    let out = imr(&["stats", "--by", "category", "--db", s(&db), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = json_lines(&stdout(&out));
    let sum = |f: &str| rows.iter().map(|r| r[f].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("items"), gold.len() as u64);
    assert_eq!(sum("overturned"), gold_over.len() as u64);

    // Each MTUS document is counted for every item whose reviewer's line names it, wherever it
    // stands in the line (a second document follows a list of sections).
    let out = imr(&["stats", "--by", "guideline", "--db", s(&db), "--json"]);
    let by_guideline: BTreeMap<String, u64> = json_lines(&stdout(&out))
        .iter()
        .map(|r| {
            let g = r["guideline"].as_str().unwrap_or_default().to_string();
            (g, r["items"].as_u64().unwrap())
        })
        .collect();
    let conn = rusqlite::Connection::open(&db).unwrap();
    for doc in [
        "Chronic Pain Medical Treatment 2016",
        "Forearm, Wrist, and Hand Complaints 2004",
        "Knee Complaints 2004",
    ] {
        let naming: u64 = conn
            .query_row(
                "SELECT count(*) FROM items WHERE instr(reviewer_guideline, ?1) > 0",
                [doc],
                |r| r.get(0),
            )
            .unwrap();
        assert!(naming > 0, "{doc}");
        assert_eq!(
            by_guideline.get(&format!("MTUS {doc}")),
            Some(&naming),
            "{doc}"
        );
    }
    drop(conn);

    // The Overturned items found by search are the gold file's.
    let out = imr(&[
        "search",
        "--outcome",
        "overturned",
        "--limit",
        "1000",
        "--json",
        "--db",
        s(&db),
    ]);
    let found: BTreeSet<(String, u64)> = json_lines(&stdout(&out))
        .iter()
        .map(|h| {
            (
                h["case_number"].as_str().unwrap().to_string(),
                h["item"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(found, gold_over);
    // The filter under its output field's name: the same.
    let named = imr(&[
        "search",
        "--decision",
        "overturned",
        "--limit",
        "1000",
        "--json",
        "--db",
        s(&db),
    ]);
    assert_eq!(stdout(&named), stdout(&out));
    // A DWC case number typed in lower case finds its letter.
    let (case, _) = found.iter().next().unwrap();
    let out = imr(&[
        "search",
        "--case",
        &case.to_lowercase(),
        "--json",
        "--db",
        s(&db),
    ]);
    let hits = json_lines(&stdout(&out));
    assert!(!hits.is_empty() && hits.iter().all(|h| h["case_number"] == case.as_str()));

    // Indexed again: nothing added.
    let again = imr(&["index", s(&pdfs), "data/letters", "--db", s(&db)]);
    assert!(
        stderr(&again).contains("indexed 0 letters (0 items); 155 unchanged"),
        "{}",
        stderr(&again)
    );
    assert_eq!(letters_and_items(&db), (155, gold.len()));

    // Volume by month, drawn.
    let plot = dir.join("months.svg");
    let out = imr(&["stats", "--by", "month", "--db", s(&db), "--plot", s(&plot)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = std::fs::read_to_string(&plot).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
    assert!(svg.contains("Items decided by month"));

    // Words that start with a dash are words to stats as to search.
    let out = imr(&[
        "stats",
        "--by",
        "category",
        "--words",
        "-lumbar mri",
        "--json",
        "--db",
        s(&db),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let counted: u64 = json_lines(&stdout(&out))
        .iter()
        .map(|r| r["items"].as_u64().unwrap())
        .sum();
    let out = imr(&[
        "search",
        "--limit",
        "1000",
        "--json",
        "--db",
        s(&db),
        "--",
        "-lumbar",
        "mri",
    ]);
    assert_eq!(counted as usize, json_lines(&stdout(&out)).len());
    assert!(counted > 0);

    // Without words, newest decisions first, those without a date last.
    let out = imr(&["search", "--limit", "400", "--json", "--db", s(&db)]);
    let dates: Vec<Option<String>> = json_lines(&stdout(&out))
        .iter()
        .map(|h| h["decision_date"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(dates.len(), gold.len());
    assert!(
        !stderr(&out).contains("more match"),
        "every item was written"
    );
    // A page of exactly every match says nothing of more either.
    let every = gold.len().to_string();
    let out = imr(&["search", "--limit", &every, "--csv", "--db", s(&db)]);
    assert_eq!(stdout(&out).lines().count(), gold.len() + 1);
    assert!(!stderr(&out).contains("more match"), "{}", stderr(&out));
    assert!(dates.windows(2).all(|w| match (&w[0], &w[1]) {
        (Some(a), Some(b)) => a >= b,
        (a, b) => a.is_some() || b.is_none(),
    }));

    // Full-text words, in BM25 order: the best match names the treatment in its title.
    let out = imr(&[
        "search",
        "acupunct*",
        "--json",
        "--limit",
        "3",
        "--db",
        s(&db),
    ]);
    let hits = json_lines(&stdout(&out));
    assert_eq!(hits.len(), 3, "{}", stderr(&out));
    // A page of more matches says so on stderr, with the next page's offset.
    let note = stderr(&out);
    assert!(
        note.contains("items 1 to 3 written, and more match")
            && note.contains("--offset 3 give the next"),
        "{note}"
    );
    assert!(hits[0]["title"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("acupuncture"));
    let rel: Vec<f64> = hits
        .iter()
        .map(|h| h["relevance"].as_f64().unwrap())
        .collect();
    assert!(rel.windows(2).all(|w| w[0] >= w[1]), "{rel:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn index_is_incremental_and_reports_what_it_skips() {
    let dir = tempdir("db-incremental");
    let (letters, db) = (dir.join("letters"), dir.join("t.db"));
    many_letters(&letters, 6);
    write(&letters, "bad.pdf", b"%PDF-1.4 not really");
    write(&letters, "binary.txt", b"\x00\x01\x02");
    let out = imr(&["index", s(&letters), "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("bad.pdf") && err.contains("binary.txt"),
        "{err}"
    );
    assert!(err.contains("indexed 6 letters"), "{err}");

    // A copy elsewhere is the same content; a changed file replaces its rows; one case in two files
    // is said.
    let other = dir.join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(letters.join("letter00001.txt"), other.join("copy.txt")).unwrap();
    std::fs::copy(letters.join("letter00001.txt"), other.join("copy2.txt")).unwrap();
    write(
        &other,
        "new.txt",
        b"Replica new\n"
            .iter()
            .chain(text_of(&letters, 4).as_bytes())
            .copied()
            .collect::<Vec<_>>()
            .as_slice(),
    );
    write(
        &other,
        "new-copy.txt",
        b"Replica new\n"
            .iter()
            .chain(text_of(&letters, 4).as_bytes())
            .copied()
            .collect::<Vec<_>>()
            .as_slice(),
    );
    let text = std::fs::read_to_string(letters.join("letter00002.txt")).unwrap();
    write(
        &letters,
        "letter00002.txt",
        text.replace("Replica 2", "Replica two").as_bytes(),
    );
    write(
        &other,
        "letter00003.txt",
        b"Another\n"
            .iter()
            .chain(text.as_bytes())
            .copied()
            .collect::<Vec<_>>()
            .as_slice(),
    );
    let out = imr(&["index", s(&letters), s(&other), "--db", s(&db)]);
    let err = stderr(&out);
    assert!(err.contains("copy.txt: the same content as"), "{err}");
    assert!(err.contains("copy2.txt: the same content as"), "{err}");
    assert!(err.contains("new.txt: the same content as"), "{err}");
    assert!(
        err.contains("letter00002.txt: changed since it was indexed"),
        "{err}"
    );
    assert!(
        err.contains("case letter00003: in 2 files, all indexed")
            && err.contains("1 case number in more than one file"),
        "{err}"
    );
    assert!(err.contains("indexed 3 letters"), "{err}");
    assert_eq!(letters_and_items(&db).0, 8);
    // A run that adds nothing says it again: the count is the database's.
    let out = imr(&["index", s(&letters), s(&other), "--db", s(&db)]);
    let err = stderr(&out);
    assert!(err.contains("1 case number in more than one file"), "{err}");
    // A copy of a file that cannot be read fails with it; it is no copy of an indexed file.
    let bad = dir.join("bad");
    std::fs::create_dir_all(&bad).unwrap();
    for name in ["a.txt", "b.txt"] {
        write(&bad, name, b"not a letter at all");
    }
    let out = imr(&["index", s(&bad), "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("b.txt: the same content as") && err.contains("which could not be read"),
        "{err}"
    );
    assert!(err.contains("0 copies of indexed files, 2 failed"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What happens to indexed files is said: two files that swapped names hold no case twice; a file
/// written over with a copy of another is that copy (its old letter's rows removed); a file that
/// changed and cannot be read keeps its letter, said; a deleted file's letter is kept and counted,
/// or removed with `--prune` (never under a folder that holds no letter).
#[test]
fn files_swapped_overwritten_unreadable_or_gone_are_said() {
    let dir = tempdir("db-file-changes");
    let (letters, db) = (dir.join("letters"), dir.join("t.db"));
    many_letters(&letters, 4);
    let index = |extra: &[&str]| {
        let mut args = vec!["index", s(&letters), "--db", s(&db)];
        args.extend(extra);
        let out = imr(&args);
        (out.status.code(), stderr(&out))
    };
    assert_eq!(index(&[]).0, Some(0));
    let file = |i: usize| letters.join(format!("letter{i:05}.txt"));
    let (a, b) = (text_of(&letters, 1), text_of(&letters, 2));
    std::fs::write(file(1), &b).unwrap();
    std::fs::write(file(2), &a).unwrap();
    let (code, err) = index(&[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("warning"), "{err}");
    assert_eq!(letters_and_items(&db).0, 4);
    std::fs::write(file(1), &a).unwrap();
    let (_, err) = index(&[]);
    assert!(
        err.contains("letter00001.txt: now the same content as")
            && err.contains("1 copy of indexed files"),
        "{err}"
    );
    assert_eq!(letters_and_items(&db).0, 3);
    std::fs::write(file(3), "not a letter any more").unwrap();
    let (code, err) = index(&[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("letter00003.txt: the letter indexed from it before it changed is kept"),
        "{err}"
    );
    assert_eq!(letters_and_items(&db).0, 3);
    std::fs::remove_file(file(3)).unwrap();
    let (_, err) = index(&[]);
    assert!(
        err.contains("1 indexed letters' files are gone") && err.contains("letter00003.txt"),
        "{err}"
    );
    assert_eq!(letters_and_items(&db).0, 3);
    let (code, err) = index(&["--prune"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 letter whose file is gone removed"), "{err}");
    assert_eq!(letters_and_items(&db).0, 2);
    let (_, err) = index(&[]);
    assert!(!err.contains("gone"), "{err}");
    // A file moved over an indexed one (`mv`): its rows follow it, the other letter's go.
    std::fs::rename(file(0), file(2)).unwrap();
    let (code, err) = index(&["--prune"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("over the letter indexed from it before"),
        "{err}"
    );
    // letter 2 (letter 0's text, read again under its new name) and letter 1 (no copy now).
    assert_eq!(letters_and_items(&db).0, 2, "{err}");
    // A folder emptied (a share not mounted) is a failed path: nothing under it is pruned.
    std::fs::rename(&letters, dir.join("away")).unwrap();
    std::fs::create_dir_all(&letters).unwrap();
    let (code, err) = index(&["--prune"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("nothing indexed from it is pruned"), "{err}");
    assert_eq!(letters_and_items(&db).0, 2, "{err}");
    // Without --prune, the note says the way that removes them: a folder above.
    let (_, err) = index(&[]);
    assert!(err.contains("`--prune` with a folder above"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A folder under the one given that holds no letter now (a share not mounted on it) keeps what
/// was indexed from it under `--prune`; deleted whole, its letters go.
#[test]
fn prune_keeps_the_letters_of_an_emptied_folder_below() {
    let dir = tempdir("db-prune-below");
    let (top, db) = (dir.join("top"), dir.join("t.db"));
    many_letters(&top.join("a"), 4);
    std::fs::create_dir_all(top.join("b")).unwrap();
    for i in [2, 3] {
        let name = format!("letter{i:05}.txt");
        std::fs::rename(top.join("a").join(&name), top.join("b").join(&name)).unwrap();
    }
    let index = |extra: &[&str]| {
        let mut args = vec!["index", s(&top), "--db", s(&db)];
        args.extend(extra);
        let out = imr(&args);
        (out.status.code(), stderr(&out))
    };
    assert_eq!(index(&[]).0, Some(0));
    assert_eq!(letters_and_items(&db).0, 4);
    std::fs::rename(top.join("b"), dir.join("b-away")).unwrap();
    std::fs::create_dir(top.join("b")).unwrap();
    let (code, err) = index(&["--prune"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("holds no letter files (a share not mounted?), so the 2 letters"),
        "{err}"
    );
    assert_eq!(letters_and_items(&db).0, 4, "{err}");
    std::fs::remove_dir(top.join("b")).unwrap();
    let (code, err) = index(&["--prune"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("2 letters whose files are gone removed"),
        "{err}"
    );
    assert_eq!(letters_and_items(&db).0, 2, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn training_from_the_database_gives_the_model_of_the_files() {
    let dir = tempdir("db-train");
    let db = dir.join("t.db");
    let flipped = flipped_letter(&dir);
    // A database gives its letters in path order (absolute paths): the files are named in that
    // order too, both under the test's directory so that where the checkout lies does not matter.
    let letters = dir.join("letters");
    std::fs::create_dir_all(&letters).unwrap();
    for e in std::fs::read_dir(root().join("data/letters")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, letters.join(p.file_name().unwrap())).unwrap();
    }
    let out = imr(&["index", s(&letters), s(&flipped), "--db", s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (from_db, from_files) = (dir.join("db.json"), dir.join("files.json"));
    let common = ["--date", "2026-01-01", "--cv-folds", "0", "--params"];
    let params = write(&dir, "p.json", br#"{"outcome": {"calibration_folds": 0}}"#);
    let out = imr(&[
        &["train", "--db", s(&db), "--out", s(&from_db)][..],
        &common,
        &[s(&params)],
    ]
    .concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let out = imr(&[
        &[
            "train",
            "--data",
            s(&flipped),
            s(&letters),
            "--out",
            s(&from_files),
        ][..],
        &common,
        &[s(&params)],
    ]
    .concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let read = |p: &Path| std::fs::read_to_string(p).unwrap();
    assert!(
        read(&from_db) == read(&from_files),
        "the two model files differ"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_killed_index_leaves_whole_batches() {
    const BATCH: usize = 3;
    let dir = tempdir("db-kill");
    let letters = dir.join("letters");
    let expected = many_letters(&letters, 600);
    let db = dir.join("t.db");
    // With a model, each batch's scores are written with it.
    let index = |scored: bool| {
        let batch = BATCH.to_string();
        let mut args = vec![
            "-j",
            "1",
            "index",
            s(&letters),
            "--db",
            s(&db),
            "--batch",
            &batch,
        ];
        if scored {
            args.extend(["--model", "default"]);
        }
        Command::new(crate::util::bin())
            .args(args)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let letters_now = || -> Option<usize> {
        let conn =
            rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .ok()?;
        conn.query_row("SELECT count(*) FROM letters", [], |r| r.get::<_, i64>(0))
            .ok()
            .map(|n| n as usize)
    };
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let (mut kills, mut partial) = (0, 0);
    for run in 0..8 {
        let scored = run % 2 == 1;
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Killed once the run has written at least `at` letters (0: at once), mid-batch most
        // likely: a batch is parsed and written between commits.
        let at = (seed % (expected.len() as u64 - 10 * BATCH as u64)) as usize;
        let mut child = index(scored);
        while at > 0 && child.try_wait().unwrap().is_none() {
            if letters_now().is_some_and(|n| n >= at) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_micros(500));
        }
        let killed = child.kill().is_ok();
        let status = child.wait().unwrap();
        if !killed || status.success() {
            continue;
        }
        kills += 1;
        if !db.exists() {
            continue; // killed before it made the file
        }
        // Opened for writing, as the next run opens it: a kill during its creation leaves an
        // empty file, which is then made a database.
        let store = Store::open(&db).unwrap();
        store.integrity_check().unwrap();
        let (n, _) = store.counts().unwrap();
        assert!(n % BATCH == 0, "{n} letters: a batch was cut");
        partial += usize::from(n > 0 && n < expected.len());
        eprintln!("killed after {n} letters");
        // Every letter written is whole: all its items, each in the full-text index.
        let mut items = 0;
        store
            .each_letter(|l| {
                let name = Path::new(&l.header.source)
                    .file_name()
                    .unwrap()
                    .to_str()
                    .unwrap();
                assert_eq!(l.items.len(), expected[name], "{}", l.header.source);
                items += l.items.len();
                std::ops::ControlFlow::Continue(())
            })
            .unwrap();
        let conn = rusqlite::Connection::open(&db).unwrap();
        // The full-text index holds each item once (its segments written with their batches).
        let indexed: i64 = conn
            .query_row(
                "SELECT coalesce(sum(docs), 0) FROM text_segments",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed as usize, items);
        let unscored: i64 = conn
            .query_row(
                "SELECT count(*) FROM items WHERE id NOT IN (SELECT item_id FROM item_scores)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            unscored,
            if scored { 0 } else { items as i64 },
            "scored: {scored}"
        );
    }
    assert!(kills >= 4, "only {kills} of 8 runs were stopped midway");
    assert!(
        partial >= 2,
        "only {partial} runs were stopped after writing some batches"
    );
    // The last killed run's database is completed by the next run.
    assert!(index(false).wait().unwrap().success());
    assert_eq!(letters_and_items(&db).0, expected.len());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The writer's thread fails at its third batch (a trigger refuses the letter): the run stops with
/// that error, does not wait on the parse, and keeps the batches written before.
#[test]
fn a_failed_write_stops_the_index_and_keeps_earlier_batches() {
    let dir = tempdir("db-write-error");
    let letters = dir.join("letters");
    many_letters(&letters, 40);
    let db = dir.join("t.db");
    // An empty database of this imr's schema, then the trigger.
    drop(Store::open(&db).unwrap());
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON letters \
             WHEN (SELECT count(*) FROM letters) >= 4 \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        )
        .unwrap();
    let mut child = Command::new(crate::util::bin())
        .args(["index", s(&letters), "--db", s(&db), "--batch", "2"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "imr index hangs after a failed write"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("refused by the test"),
        "{}",
        stderr(&out)
    );
    assert_eq!(letters_and_items(&db).0, 4);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Changed letters are named one by one up to a point, then counted: a folder of them would
/// bury the run's other messages.
#[test]
fn many_changed_letters_are_counted_not_each_named() {
    let dir = tempdir("db-many-changed");
    let letters = dir.join("letters");
    many_letters(&letters, 25);
    let db = dir.join("t.db");
    assert!(imr(&["index", s(&letters), "--db", s(&db)])
        .status
        .success());
    for i in 0..25 {
        let text = text_of(&letters, i);
        write(
            &letters,
            &format!("letter{i:05}.txt"),
            format!("{text}\n").as_bytes(),
        );
    }
    let out = imr(&["index", s(&letters), "--db", s(&db)]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        err.matches("changed since it was indexed; its rows")
            .count(),
        20,
        "{err}"
    );
    assert_eq!(err.matches("more letters changed").count(), 1, "{err}");
    assert!(err.contains("25 replaced"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A letter is kept by its file's canonical path: `v1`, `./v1` and the absolute path name the
/// same files, and a database an older imr filled with relative paths is brought to them (with
/// a file indexed under two spellings kept once).
#[test]
fn one_file_under_any_spelling_of_its_path() {
    let dir = tempdir("db-spelling");
    let letters = dir.join("v1");
    many_letters(&letters, 5);
    let out = imr_in(&dir, &["index", "v1", "--db", "t.db"]);
    assert!(out.status.success(), "{}", stderr(&out));
    write(
        &letters,
        "letter00002.txt",
        format!("{}x\n", text_of(&letters, 2)).as_bytes(),
    );
    let out = imr_in(&dir, &["index", "./v1", "v1", "--db", "t.db"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("indexed 1 letter (") && err.contains("4 unchanged, 0 copies"),
        "{err}"
    );
    assert!(
        err.contains("1 replaced, 0 case numbers in more than one file"),
        "{err}"
    );
    let abs = std::fs::canonicalize(&letters).unwrap();
    let out = imr_in(&dir, &["index", s(&abs), "--db", "t.db"]);
    assert!(
        stderr(&out).contains("indexed 0 letters (0 items); 5 unchanged"),
        "{}",
        stderr(&out)
    );
    assert_eq!(letters_and_items(&dir.join("t.db")).0, 5);

    // As an older imr left it: relative paths, and one file under two of them.
    let conn = rusqlite::Connection::open(dir.join("t.db")).unwrap();
    let prefix = format!("{}/", abs.display());
    conn.execute(
        "UPDATE letters SET source = 'v1/' || substr(source, length(?1) + 1)",
        [&prefix],
    )
    .unwrap();
    drop(conn);
    let twice = letters.join("letter00003.txt");
    let mut store = Store::open(&dir.join("t.db")).unwrap();
    store
        .write_batch(&[imr::store::IndexedLetter {
            file: imr::store::FileInfo {
                source: "./v1/letter00003.txt".into(),
                size: 0,
                mtime_ns: 0,
                sha256: "an older content".into(),
            },
            letter: imr::parse::read_letter(&twice).unwrap(),
            replaces: None,
            scores: Vec::new(),
            text: None,
        }])
        .unwrap();
    drop(store);
    assert_eq!(letters_and_items(&dir.join("t.db")).0, 6);
    let out = imr_in(&dir, &["index", "v1", "--db", "t.db"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("v1/letter00003.txt: the same file as"),
        "{err}"
    );
    // The copy kept may be either: an older content is read again.
    assert!(err.contains("it holds 5 letters"), "{err}");
    let conn = rusqlite::Connection::open(dir.join("t.db")).unwrap();
    let relative: i64 = conn
        .query_row(
            "SELECT count(*) FROM letters WHERE source NOT LIKE '/%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(relative, 0);
    assert_eq!(letters_and_items(&dir.join("t.db")).0, 5);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two runs at once on one new database: both end well, and each letter is written once (the
/// later run finds it indexed under the write lock and says it is unchanged, not replaced).
#[test]
fn two_index_runs_at_once() {
    let dir = tempdir("db-two-runs");
    let letters = dir.join("letters");
    many_letters(&letters, 30);
    for round in 0..3 {
        let db = dir.join(format!("t{round}.db"));
        let run = || {
            Command::new(crate::util::bin())
                .args(["index", s(&letters), "--db", s(&db), "--batch", "4"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (run(), run());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        for o in [&a, &b] {
            assert!(o.status.success(), "round {round}: {}", stderr(o));
            // A letter the other run wrote is unchanged, not a copy of itself.
            assert!(
                !stderr(o).contains("replaced") && !stderr(o).contains("same content"),
                "round {round}: {}",
                stderr(o)
            );
        }
        let indexed = |o: &std::process::Output| -> usize {
            let e = stderr(o);
            let at = e.find("indexed ").unwrap() + "indexed ".len();
            e[at..].split(' ').next().unwrap().parse().unwrap()
        };
        assert_eq!(indexed(&a) + indexed(&b), 30, "round {round}");
        assert_eq!(letters_and_items(&db).0, 30);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reading commands leave the folder as they found it: no `-wal` or `-shm` file beside the
/// database (a read-only connection would make both and could not remove them), and the file's
/// bytes unchanged.
#[test]
fn reading_leaves_no_files_and_changes_nothing() {
    let (dir, db) = indexed_samples("db-reading-leaves");
    let before = std::fs::read(&db).unwrap();
    for args in [
        vec!["search", "--db", s(&db), "trigger", "--json"],
        vec!["search", "--db", s(&db), "--category", "injections"],
        vec!["stats", "--db", s(&db), "--by", "category", "--by", "month"],
        vec![
            "similar",
            "--db",
            s(&db),
            "--title",
            "MRI of the lumbar spine",
        ],
    ] {
        let out = imr(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["t.db"], "{args:?}");
        assert!(
            std::fs::read(&db).unwrap() == before,
            "{args:?} changed the file"
        );
    }
}

/// A database in a directory nothing may be written to (a read-only share, a disc) is searched
/// and counted: SQLite cannot make the `-shm` file that WAL readers need, so it is read as an
/// unchanging file. The directory is made read-only by its mode, or where that does not bind (as
/// root) by `chattr +i`; where neither can, the test says SKIP.
#[test]
fn a_database_in_a_read_only_directory_is_read() {
    let dir = tempdir("db-read-only-dir");
    let ro = dir.join("ro dir?#%");
    std::fs::create_dir_all(&ro).unwrap();
    let db = ro.join("t.db");
    let out = imr(&["index", "data/letters", "--db", s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!ro.join("t.db-wal").exists() && !ro.join("t.db-shm").exists());
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let probe = ro.join("probe");
    let mut immutable = false;
    if std::fs::write(&probe, b"").is_ok() {
        let _ = std::fs::remove_file(&probe);
        immutable = Command::new("chattr")
            .arg("+i")
            .arg(&ro)
            .output()
            .is_ok_and(|o| o.status.success());
        if !immutable || std::fs::write(&probe, b"").is_ok() {
            let _ = Command::new("chattr").arg("-i").arg(&ro).output();
            std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
            eprintln!("SKIP: {} stays writable here (no chattr +i)", ro.display());
            return;
        }
    }
    let search = imr(&["search", "--db", s(&db), "trigger", "--json"]);
    let stats = imr(&["stats", "--db", s(&db), "--by", "category", "--json"]);
    if immutable {
        let _ = Command::new("chattr").arg("-i").arg(&ro).output();
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(search.status.success(), "{}", stderr(&search));
    assert!(!json_lines(&stdout(&search)).is_empty());
    assert!(stats.status.success(), "{}", stderr(&stats));
    let items: u64 = json_lines(&stdout(&stats))
        .iter()
        .map(|v| v["items"].as_u64().unwrap())
        .sum();
    assert_eq!(items as usize, letters_and_items(&db).1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database file that cannot be written, in a folder that can, is refused by `index` before
/// anything is read (no `-wal` or `-shm` left beside it), even where nothing would change.
#[test]
fn a_database_file_that_cannot_be_written_is_refused_by_index() {
    let dir = tempdir("db-read-only-file");
    let db = dir.join("t.db");
    let out = imr(&["index", "data/letters", "--db", s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Read-only by its mode where that binds (not root), else immutable (root, where the file
    // system has the flag).
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();
    let writable = || std::fs::OpenOptions::new().append(true).open(&db).is_ok();
    if writable() {
        let _ = Command::new("chattr").arg("+i").arg(&db).output();
    }
    if writable() {
        let _ = Command::new("chattr").arg("-i").arg(&db).output();
        eprintln!(
            "SKIP: {} stays writable here (root, no chattr +i)",
            db.display()
        );
        return;
    }
    let out = imr(&["index", "data/letters", "--db", s(&db)]);
    let left: Vec<_> = ["t.db-wal", "t.db-shm"]
        .iter()
        .filter(|n| dir.join(n).exists())
        .collect();
    let search = imr(&["search", "--db", s(&db), "trigger", "--json"]);
    let _ = Command::new("chattr").arg("-i").arg(&db).output();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("t.db: database error: the file cannot be written"),
        "{}",
        stderr(&out)
    );
    assert!(left.is_empty(), "{left:?}");
    assert!(search.status.success(), "{}", stderr(&search));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database path that is a directory (or a device) is said to be one; a new database may go in
/// folders that do not exist yet.
#[test]
fn database_paths_that_are_directories_or_in_new_folders() {
    let dir = tempdir("db-paths");
    for args in [
        vec!["search", "--db", s(&dir), "trigger"],
        vec!["stats", "--db", s(&dir), "--by", "category"],
        vec!["index", "data/letters", "--db", s(&dir)],
    ] {
        let out = imr(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("a directory; --db names the database file"),
            "{args:?}"
        );
    }
    #[cfg(unix)]
    for args in [
        vec!["index", "data/letters", "--db", "/dev/null"],
        vec!["stats", "--db", "/dev/null", "--by", "category"],
    ] {
        let out = imr(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("a device; --db names the database file"),
            "{args:?}: {err}"
        );
    }
    let db = dir.join("new/sub/t.db");
    let out = imr(&["index", "data/letters", "--db", s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(letters_and_items(&db).0, 5);
    // A name ending in `/` names a folder (SQLite would make a file without the `/`); a path the
    // system cannot follow is said in its words, not as a database that is not there.
    std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
    let db = s(&db);
    let (slash, into_file) = (format!("{db}/"), format!("{db}/x.db"));
    let under_new = format!("{}/", dir.join("newer").display());
    let loop_ = dir.join("loop");
    let cases = [
        (
            &slash[..],
            "a folder's name (it ends with `/`), not a database file",
        ),
        (
            &under_new,
            "a folder's name (it ends with `/`), not a database file",
        ),
        (&into_file, "Not a directory"),
        (s(&loop_), "Too many levels of symbolic links"),
    ];
    for (path, says) in cases {
        for args in [
            vec!["search", "--db", path, "mri"],
            vec!["index", "data/letters", "--db", path],
        ] {
            let out = imr(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        }
    }
    assert!(
        !dir.join("newer").exists(),
        "nothing made for a refused name"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two files whose names differ only in bytes that are not UTF-8 would be one path as text, so
/// one letter would replace the other at every run: each is named as an error, the rest indexed.
#[cfg(unix)]
#[test]
fn files_whose_names_are_not_text_are_named_and_the_rest_indexed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempdir("db-bytes");
    let letters = dir.join("letters");
    std::fs::create_dir_all(&letters).unwrap();
    let samples: Vec<_> = std::fs::read_dir(root().join("data/letters"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    for (name, from) in [
        (&b"a\xff.txt"[..], &samples[0]),
        (b"a\xfe.txt", &samples[1]),
    ] {
        let to = letters.join(std::ffi::OsStr::from_bytes(name));
        std::fs::copy(from, to).unwrap();
    }
    std::fs::copy(&samples[2], letters.join("b.txt")).unwrap();
    let db = dir.join("t.db");
    let out = imr(&["index", s(&letters), "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("the path is not UTF-8 text").count(),
        2,
        "{err}"
    );
    assert_eq!(letters_and_items(&db).0, 1);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A specialty is one group whichever way a letter spells "and" in its name: a sample letter
/// writes "Physical Medicine and Rehabilitation", the DWC's "&"; a filter finds both spellings.
#[test]
fn a_specialty_is_one_name_however_spelt() {
    let (_dir, db) = indexed_samples("db-specialty");
    let out = imr(&["stats", "--by", "specialty", "--db", s(&db), "--json"]);
    let names: Vec<String> = json_lines(&stdout(&out))
        .iter()
        .map(|r| r["reviewer_specialty"].as_str().unwrap().to_string())
        .collect();
    assert!(
        names.contains(&"Physical Medicine & Rehabilitation".to_string()),
        "{names:?}"
    );
    assert!(names.iter().all(|n| !n.contains(" and ")), "{names:?}");
    let found = |spelt: &str| {
        let out = imr(&["search", "--specialty", spelt, "--db", s(&db), "--json"]);
        json_lines(&stdout(&out)).len()
    };
    for spelt in ["physical medicine and rehab", "PHYSICAL MEDICINE AND REHAB"] {
        assert_eq!(found(spelt), 3, "{spelt}");
    }
    // A letter an older parser read keeps the "and" it was written with; filters find it too.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE letters SET reviewer_specialty = replace(reviewer_specialty, ' & ', ' and ')",
            [],
        )
        .unwrap();
    for spelt in [
        "Physical Medicine & Rehabilitation",
        "physical medicine and rehab",
    ] {
        assert_eq!(found(spelt), 3, "{spelt}");
    }
}

#[test]
fn schema_versions_on_the_command_line() {
    let dir = tempdir("db-versions");
    let db = dir.join("v1.db");
    drop(Store::create_at_version(&db, 1).unwrap());
    let out = imr(&["search", "--db", s(&db)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("older than this imr's"),
        "{}",
        stderr(&out)
    );
    let out = imr(&["index", "--db", s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let store = Store::open_read_only(&db).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        imr::store::schema::SCHEMA_VERSION
    );
    drop(store);
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    for args in [
        &["stats", "--by", "year"][..],
        &["index"],
        &["search", "mri"],
        &["train", "--out", "never.json"],
    ] {
        let out = imr(&[args, &["--db", s(&db)]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&out).contains("schema version 999 is newer than this imr's"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    // Without letters, `index` (bring up to date, score) makes no database where there is none.
    // A link to nothing is no database either: SQLite would make the file it names.
    let absent = dir.join("absent.db");
    let link = dir.join("link.db");
    std::os::unix::fs::symlink(dir.join("target.db"), &link).unwrap();
    for db in [&absent, &link] {
        for args in [
            &["search"][..],
            &["index"],
            &["index", "--model", "default"],
        ] {
            let out = imr(&[args, &["--db", s(db)]].concat());
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            assert!(
                stderr(&out).contains("no database here; create one with `imr index"),
                "{args:?}: {}",
                stderr(&out)
            );
            assert!(!db.exists(), "{args:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_words_and_filters_on_the_command_line() {
    let (dir, db) = indexed_samples("db-hostile");
    let drop = "'; DROP TABLE letters; --";
    // A theme outside the codebook is an error that names the themes.
    let out = imr(&["search", drop, "--theme", drop, "--db", s(&db), "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no such theme; the themes: "),
        "{}",
        stderr(&out)
    );
    for filter in ["--specialty", "--treatment", "--guideline", "--case"] {
        let out = imr(&["search", drop, filter, drop, "--db", s(&db), "--json"]);
        assert!(out.status.success(), "{filter}: {}", stderr(&out));
        assert_eq!(stdout(&out), "");
        let out = imr(&[
            "stats",
            "--by",
            "category",
            filter,
            "\" OR 1=1 --",
            "--db",
            s(&db),
        ]);
        assert!(out.status.success(), "{filter}: {}", stderr(&out));
        // An empty value is refused the same way by every filter (it had matched all or none).
        let empty = format!("{filter}= ");
        for args in [
            &["search", &empty, "--db", s(&db)][..],
            &["stats", "--by", "year", &empty, "--db", s(&db)],
        ] {
            let out = imr(args);
            let command = args[0];
            assert_eq!(out.status.code(), Some(2), "{command} {filter}");
            assert!(
                stderr(&out).contains(": an empty value; give one, or leave the filter out"),
                "{command} {filter}: {}",
                stderr(&out)
            );
        }
    }
    // Blank dates and blank words too (a script's unset variable had taken every item).
    for blank in [
        &["search", "--decided", "", "--db", s(&db)][..],
        &["search", "--injured", " ", "--db", s(&db)],
        &["stats", "--by", "year", "--decided", "", "--db", s(&db)],
        &["search", "", "--db", s(&db)],
        &["stats", "--by", "year", "--words", " ", "--db", s(&db)],
    ] {
        let out = imr(blank);
        assert_eq!(out.status.code(), Some(2), "{blank:?}");
        assert!(
            stderr(&out).contains("an empty value; give"),
            "{blank:?}: {}",
            stderr(&out)
        );
    }
    // A case number is matched as given (the samples' are in lower case), not in any case.
    let out = imr(&[
        "search",
        "--case",
        "000_8FD8BBED53D6CA0B",
        "--db",
        s(&db),
        "--json",
    ]);
    assert_eq!(stdout(&out), "");
    let out = imr(&[
        "search",
        "--case",
        " 000_8fd8bbed53d6ca0b",
        "--db",
        s(&db),
        "--json",
    ]);
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stderr(&out));
    for (words, says) in [
        ("\"unclosed", "a quote (\") is not closed"),
        ("OR", "OR needs a word on each side"),
        ("-surgery", "a word that is not excluded"),
    ] {
        let out = imr(&["search", "--db", s(&db), "--", words]);
        assert_eq!(out.status.code(), Some(2), "{words}");
        let err = stderr(&out);
        assert!(
            err.contains(says) && !err.to_lowercase().contains("sql"),
            "{words}: {err}"
        );
    }
    for bad in [
        &["--decided", "2017..2016"][..],
        &["--category", "drugs"],
        &["--outcome", "maybe"],
    ] {
        let out = imr(&[&["search", "--db", s(&db)][..], bad].concat());
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
    assert_eq!(letters_and_items(&db), (5, 12));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stats_draw_rates_and_volume() {
    let (dir, db) = indexed_samples("db-plot");
    for (key, file) in [("category", "c.svg"), ("treatment", "t.png")] {
        let plot: PathBuf = dir.join(file);
        let out = imr(&[
            "stats",
            "--by",
            key,
            "--db",
            s(&db),
            "--plot",
            s(&plot),
            "--csv",
        ]);
        assert!(out.status.success(), "{key}: {}", stderr(&out));
        let csv = csv_records(&stdout(&out));
        assert_eq!(
            csv[0][1..],
            [
                "items",
                "share",
                "overturned",
                "rate",
                "rate_low",
                "rate_high"
            ]
        );
        let bytes = std::fs::read(&plot).unwrap();
        if file.ends_with(".svg") {
            let svg = String::from_utf8(bytes).unwrap();
            let doc = roxmltree::Document::parse(&svg).unwrap();
            assert!(svg.contains("Overturn rate by category"));
            // The groups top down in the table's order.
            let label_y = |label: &str| -> f64 {
                let node = doc
                    .descendants()
                    .find(|n| {
                        n.has_tag_name("text")
                            && n.text().is_some_and(|t| t.trim_start().starts_with(label))
                    })
                    .unwrap_or_else(|| panic!("no label {label:?}"));
                node.attribute("y").unwrap().parse().unwrap()
            };
            let ys: Vec<f64> = csv[1..]
                .iter()
                .map(|r| label_y(&format!("{} (", r[0])))
                .collect();
            assert!(ys.windows(2).all(|w| w[0] < w[1]), "{ys:?}");
        } else {
            let (w, _, _) = read_png(&bytes).unwrap();
            assert!(w >= 800);
        }
    }
    // Two keys: the table crosses them, the plot is the first key's alone (as one --by draws).
    let (both, first) = (dir.join("both.svg"), dir.join("first.svg"));
    let plot = |keys: &[&str], to: &Path| {
        let mut args = vec!["stats", "--db", s(&db), "--plot", s(to)];
        for k in keys {
            args.extend(["--by", k]);
        }
        imr(&args)
    };
    let out = plot(&["category", "guideline"], &both);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("guideline"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("by category alone"),
        "{}",
        stderr(&out)
    );
    assert!(plot(&["category"], &first).status.success());
    assert_eq!(
        std::fs::read(&both).unwrap(),
        std::fs::read(&first).unwrap()
    );
    // Nothing to draw: the table is printed, the plot is not written, and the exit says so.
    let none = dir.join("none.svg");
    let out = imr(&[
        "stats",
        "--by",
        "year",
        "--case",
        "CM00-0000000",
        "--db",
        s(&db),
        "--plot",
        s(&none),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("year"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("100%"), "no share of no items");
    assert!(stderr(&out).contains("not written: no matching item has a year to draw"));
    assert!(!none.exists());
    // Indexed without a model: sorting by the score, or a theme filter, says why it cannot help.
    for args in [["--sort", "overturned"], ["--theme", "criteria_met"]] {
        let mut all = vec!["search", "--db", s(&db)];
        all.extend(args);
        let out = imr(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        let note = format!(
            "no item of {0} has themes or scores: it was indexed without a model (`imr index \
             --db {0} --model default`",
            s(&db)
        );
        assert!(stderr(&out).contains(&note), "{args:?}: {}", stderr(&out));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn scores_and_themes_of_a_model_are_indexed_and_replaced_by_another() {
    let dir = tempdir("db-scores");
    let db = dir.join("t.db");
    let out = imr(&[
        "index",
        "data/letters",
        "--db",
        s(&db),
        "--model",
        "default",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("12 items scored by default"),
        "{}",
        stderr(&out)
    );
    let out = imr(&["stats", "--by", "theme", "--db", s(&db), "--json"]);
    let rows = json_lines(&stdout(&out));
    let theme = rows[0]["theme"].as_str().expect("a theme").to_string();
    let out = imr(&[
        "search",
        "--theme",
        &theme,
        "--db",
        s(&db),
        "--json",
        "--limit",
        "100",
    ]);
    let hits = json_lines(&stdout(&out));
    assert_eq!(hits.len() as u64, rows[0]["items"].as_u64().unwrap());
    for h in &hits {
        assert!(h["themes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == theme.as_str()));
        let p = h["p_overturned"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
    }

    // A letter added without --model is scored by the database's model, as the others were.
    let extra = dir.join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    let flipped = flipped_letter(&extra);
    let out = imr(&["index", s(&flipped), "--db", s(&db)]);
    assert!(
        stderr(&out).contains("2 items scored by default"),
        "{}",
        stderr(&out)
    );
    // Where that model is gone (a file since removed), the letter is said to be unscored, and
    // --model alone scores it.
    let named_gone = |name: &str| {
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute("UPDATE models SET name = ?1", [name])
            .unwrap();
    };
    named_gone("gone.json");
    let second = write(
        &extra,
        "second.txt",
        std::fs::read_to_string(&flipped)
            .unwrap()
            .replacen("The patient", "This patient", 1)
            .as_bytes(),
    );
    let out = imr(&["index", s(&second), "--db", s(&db)]);
    assert!(
        stderr(&out).contains("1 letter has no scores of gone.json"),
        "{}",
        stderr(&out)
    );
    named_gone("default");
    let out = imr(&["index", "--db", s(&db), "--model", "default"]);
    assert!(
        stderr(&out).contains("2 items scored by default"),
        "{}",
        stderr(&out)
    );

    // Another model's scores replace the first's.
    let out = imr(&["index", "--db", s(&db), "--model", "case"]);
    assert!(
        stderr(&out).contains("are replaced by case's"),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("16 items scored by case"),
        "{}",
        stderr(&out)
    );
    let store = Store::open_read_only(&db).unwrap();
    assert_eq!(store.scoring_model().unwrap().unwrap().name, "case");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A copy of a file this run replaces with other content is indexed, not skipped as a copy of
/// content the database no longer holds; a letter named by its file (no case number in its text)
/// moved under another name is read again and takes the new name, as `imr parse` gives it.
#[test]
fn copies_of_replaced_files_are_indexed_and_renamed_letters_take_their_new_names() {
    let dir = tempdir("db-copies");
    let (letters, db) = (dir.join("letters"), dir.join("t.db"));
    std::fs::create_dir_all(letters.join("sub")).unwrap();
    many_letters(&letters, 2);
    let first = letters.join("letter00000.txt");
    std::fs::copy(&first, letters.join("sub/copy.txt")).unwrap();
    let err = stderr(&imr(&["index", s(&letters), "--db", s(&db)]));
    assert!(err.contains("copy.txt: the same content as"), "{err}");
    let text = std::fs::read_to_string(&first).unwrap();
    std::fs::write(&first, text.replace("Upheld", "Overturned")).unwrap();
    let err = stderr(&imr(&["index", s(&letters), "--db", s(&db)]));
    assert!(!err.contains("skipped"), "{err}");
    let case = |c: &str| {
        let out = imr(&["search", "--case", c, "--json", "--db", s(&db)]);
        json_lines(&stdout(&out))
    };
    assert!(!case("copy").is_empty(), "{err}");
    let again = stderr(&imr(&["index", s(&letters), "--db", s(&db)]));
    assert!(again.contains("indexed 0 letters"), "{again}");

    std::fs::rename(letters.join("letter00001.txt"), letters.join("renamed.txt")).unwrap();
    let err = stderr(&imr(&["index", s(&letters), "--db", s(&db)]));
    assert!(
        err.contains("moved from") && err.contains("read again"),
        "{err}"
    );
    assert!(case("letter00001").is_empty(), "{err}");
    assert!(!case("renamed").is_empty(), "{err}");
    assert_eq!(letters_and_items(&db).0, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_path_written_over_with_a_copy_is_a_copy_and_a_moved_file_keeps_its_rows() {
    let dir = tempdir("db-moves");
    let (letters, db) = (dir.join("letters"), dir.join("t.db"));
    let items = many_letters(&letters, 3);
    assert!(imr(&["index", s(&letters), "--db", s(&db)])
        .status
        .success());

    // letter 2 now holds letter 0's content: a copy of an indexed file, as one under a new name
    // is; the rows of the letter it held are removed, not left as the file's.
    std::fs::copy(
        letters.join("letter00000.txt"),
        letters.join("letter00002.txt"),
    )
    .unwrap();
    let out = imr(&["index", s(&letters), "--db", s(&db)]);
    assert!(
        stderr(&out).contains("indexed 0 letters")
            && stderr(&out).contains("1 copy of indexed files"),
        "{}",
        stderr(&out)
    );
    let case_of_2 = |db: &Path| {
        let out = imr(&["search", "--case", "letter00002", "--json", "--db", s(db)]);
        json_lines(&stdout(&out)).len()
    };
    assert_eq!(case_of_2(&db), 0, "letter 2's rows are gone");
    assert!(items["letter00002.txt"] > 0);

    // Moved: the rows follow the file, nothing is parsed again.
    let moved = dir.join("moved");
    std::fs::create_dir_all(&moved).unwrap();
    std::fs::rename(
        letters.join("letter00001.txt"),
        moved.join("letter00001.txt"),
    )
    .unwrap();
    let out = imr(&["index", s(&letters), s(&moved), "--db", s(&db)]);
    let err = stderr(&out);
    assert!(
        err.contains("moved from") && err.contains("indexed 0 letters"),
        "{err}"
    );
    assert_eq!(letters_and_items(&db).0, 2);
    let out = imr(&["search", "--case", "letter00001", "--json", "--db", s(&db)]);
    let hits = json_lines(&stdout(&out));
    assert!(
        hits[0]["source"].as_str().unwrap().contains("moved"),
        "{hits:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Letters an older parser read are read again when their files are given, though unchanged; a
/// run not given their files says how many are left.
#[test]
fn letters_an_older_parser_read_are_read_again() {
    let dir = tempdir("db-parser");
    let (a, b) = (dir.join("a"), dir.join("b"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d).unwrap();
    }
    let sample = |n: &str| root().join("data/letters").join(n);
    std::fs::copy(sample("000_8fd8bbed53d6ca0b.txt"), a.join("one.txt")).unwrap();
    std::fs::copy(sample("001_bc98761382c404e6.txt"), b.join("two.txt")).unwrap();
    let db = dir.join("t.db");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let out = imr(&["index", &s(&a), &s(&b), "--db", &s(&db)]);
    assert!(out.status.success(), "{}", stderr(&out));
    let parsers = || -> Vec<i64> {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let mut st = conn
            .prepare("SELECT parser FROM letters ORDER BY source")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(parsers(), [imr::parse::PARSER_VERSION; 2]);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("UPDATE letters SET parser = 1", [])
        .unwrap();
    // Given one folder: its letter is read again, the other's is counted as left.
    let out = imr(&["index", &s(&a), "--db", &s(&db)]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("1 unchanged letter read again"), "{err}");
    assert!(err.contains("1 letter was read by an older imr"), "{err}");
    assert_eq!(parsers(), [imr::parse::PARSER_VERSION, 1]);
    assert_eq!(letters_and_items(&db).0, 2);
    // Given both: the other's too; then nothing is left to read again.
    let out = imr(&["index", &s(&a), &s(&b), "--db", &s(&db)]);
    assert!(
        stderr(&out).contains("1 unchanged letter read again"),
        "{}",
        stderr(&out)
    );
    let out = imr(&["index", &s(&a), &s(&b), "--db", &s(&db)]);
    let err = stderr(&out);
    assert!(
        !err.contains("read again") && !err.contains("older imr"),
        "{err}"
    );
    assert!(err.contains("2 unchanged"), "{err}");
    assert_eq!(parsers(), [imr::parse::PARSER_VERSION; 2]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Letters read again (their files changed) are found by their new words and not by their old
/// ones; once the items replaced are a quarter of those indexed, the full-text index is merged
/// into one segment without them.
#[test]
fn changed_letters_are_found_by_their_new_words_only() {
    let dir = tempdir("db-changed-words");
    let (letters, db) = (dir.join("letters"), dir.join("t.db"));
    let counts = many_letters(&letters, 8);
    // The word goes in each changed letter's clinical summary: each of its items holds it.
    let items: usize = counts.values().take(4).sum();
    let mark = |word: &str| {
        for i in 0..4 {
            let mut text = text_of(&letters, i);
            let summary = text.find("CLINICAL CASE SUMMARY").expect("a summary");
            // Its first sentence names the worker ("The patient ...", "The injured worker ...").
            let worker = ["The patient", "The injured worker"]
                .iter()
                .filter_map(|w| text[summary..].find(w))
                .min()
                .expect("a worker named");
            text.insert_str(summary + worker + 3, &format!(" {word}"));
            write(&letters, &format!("letter{i:05}.txt"), text.as_bytes());
        }
    };
    let found = |word: &str| {
        let out = imr(&["search", word, "--csv", "--db", s(&db)]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).lines().count() - 1
    };
    mark("zebracopy");
    assert!(imr(&["index", s(&letters), "--db", s(&db)])
        .status
        .success());
    assert_eq!(found("zebracopy"), items);
    // Written again with another word: the old one is found nowhere.
    for i in 0..4 {
        let text = text_of(&letters, i).replace(" zebracopy", "");
        write(&letters, &format!("letter{i:05}.txt"), text.as_bytes());
    }
    mark("quaggacopy");
    let out = imr(&["index", s(&letters), "--db", s(&db)]);
    assert!(stderr(&out).contains("4 replaced"), "{}", stderr(&out));
    assert_eq!((found("zebracopy"), found("quaggacopy")), (0, items));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (segments, deleted): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM text_segments), (SELECT count(*) FROM text_deleted)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((segments, deleted), (1, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--db` names a file, whatever it is called: names SQLite reads its own way (`:memory:`, a
/// `file:` URI) are files too, so an index run keeps what it says it indexed.
#[test]
fn a_database_name_is_always_a_file() {
    let d = tempdir("db-names");
    let letters = root().join("data/letters");
    for name in [":memory:", "file:inner.db", "file:gone.db?mode=memory"] {
        let o = imr_in(&d, &["index", s(&letters), "--db", name]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert!(d.join(name).is_file(), "{name}: no file");
        let o = imr_in(&d, &["search", "--db", name, "--json", "--limit", "100"]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(json_lines(&stdout(&o)).len(), 12, "{name}");
    }
}

/// A database kept in the folder it indexes, under a letter's extension, is not read as a letter.
#[test]
fn a_database_in_the_folder_it_indexes_is_not_a_letter() {
    let d = tempdir("db-inside");
    for f in ["000_8fd8bbed53d6ca0b.txt", "001_bc98761382c404e6.txt"] {
        std::fs::copy(root().join("data/letters").join(f), d.join(f)).unwrap();
    }
    for name in ["imr.txt", "imr.pdf"] {
        let db = d.join(name);
        for run in 0..2 {
            let o = imr(&["index", s(&d), "--db", s(&db)]);
            assert!(o.status.success(), "{name}, run {run}: {}", stderr(&o));
        }
        let held = Store::open_read_only(&db).unwrap().counts().unwrap();
        assert_eq!(held.0, 2, "{name}");
        // Gone before the next: another database there is a file that is not a letter.
        std::fs::remove_file(&db).unwrap();
    }
}

/// A database whose tables are not what its schema version says (a table dropped, a version set
/// back by hand, a row gone, full-text postings that do not decode) is said to be damaged in a
/// line, with what to do: not SQLite's text with the statement it failed on, nor a short list.
#[test]
fn a_database_changed_by_another_program_is_said_to_be() {
    let (dir, db) = indexed_samples("db-altered");
    let altered = |name: &str, sql: &str| {
        let copy = dir.join(name);
        std::fs::copy(&db, &copy).unwrap();
        rusqlite::Connection::open(&copy)
            .unwrap()
            .execute_batch(sql)
            .unwrap();
        copy
    };
    for (copy, args, says) in [
        (
            altered("v1.db", "PRAGMA user_version = 1"),
            &["index"][..],
            "table models already exists",
        ),
        (
            altered("dropped.db", "DROP TABLE text_settings"),
            &["search", "mri"],
            "no such table: text_settings",
        ),
        (
            altered("emptied.db", "DELETE FROM text_settings"),
            &["search", "mri"],
            "a row imr keeps is missing",
        ),
        // Full-text postings and lengths cut short, or written over with other bytes.
        (
            altered(
                "postings.db",
                "UPDATE text_postings SET docs = substr(docs, 1, 1)",
            ),
            &["search", "mri"],
            "the full-text postings of `mri` (segment 1) do not decode",
        ),
        (
            altered("positions.db", "UPDATE text_postings SET positions = X'00'"),
            &["search", "\"lumbar spine\""],
            "the full-text postings of `lumbar` (segment 1) do not decode",
        ),
        (
            altered("lengths.db", "UPDATE text_segments SET lengths = X'0001'"),
            &["search", "mri"],
            "the full-text item lengths of segment 1 do not decode",
        ),
    ] {
        let out = imr(&[args, &["--db", s(&copy)]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(says), "{err}");
        assert!(
            err.contains("damaged or was changed by another program: index the letters into a new"),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

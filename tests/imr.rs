//! End-to-end tests of the `imr` binary and library on the sample letters and, where present, the corpus.
//!
//! One test binary holds every integration test (a module per subject), so the suite links once
//! and its tests run side by side. `cargo build --release && cargo test --release --test imr
//! similar::` runs one module (the build first: `--test imr` alone does not build the binary).

mod browser;
mod db;
mod fuzz_regressions;
mod hostile;
mod rewrap;
mod robust;
mod routes;
mod schema;
mod schema_doc;
mod serve;
mod similar;
mod treatment;
mod util;
mod webdriver;

use imr::gold::{title_overlap, Gold};
use std::collections::BTreeMap;
use util::*;

/// (seed prefix, item, title, decision, rationale start, rationale end)
const SEED_ITEMS: [(&str, usize, &str, &str, &str, &str); 12] = [
    ("000", 1, "Bilateral ultrasound guided trigger point injections X 2", "Upheld", "MTUS recommends trigger point injections", "This request is not medically necessary."),
    ("000", 2, "Medrol dose pack #1", "Upheld", "ODG states that oral corticosteroids are", "this request is not medically necessary."),
    ("001", 1, "TRIGGER POINT INJECTIONS FOUR-SIX (4-6) INJECTIONS ONE-TWO (1-2) TIMES PER YEAR TO THE CERVICAL AND SHOULDER REGION", "Upheld", "According to the CA MTUS, trigger point ", " based on the guidelines provided above."),
    ("001", 2, "CERVICAL TRACTION UNIT FOR HOME USE (PURCHASE)", "Upheld", "The CA MTUS states traction, as a physic", "s not been established for this request."),
    ("002", 1, "TRIGGER POINT INJECTIONS (TPI) X 6 TO THE TRAPEZIUS, PERISCAPULAR", "Upheld", "This patient presents with neck pain rat", "not medically necessary and appropriate."),
    ("003", 1, "1 EPIDURAL STEROID INJECTION AT C3-C4", "Upheld", "As noted on page 46 of the Chronic Pain ", "he guideline recommendations of CA MTUS."),
    ("003", 2, "1 MRI OF THE LUMBAR SPINE", "Upheld", "As stated on page 303-304 of the ACOEM L", "he guideline recommendations of CA MTUS."),
    ("003", 3, "1 MRI OF THE THORACIC SPINE WITHOUT CONTRAST TO RULE OUT TOS", "Upheld", "As stated on page 304 of the ACOEM Low B", "line recommendations of CA MTUS and ODG."),
    ("003", 4, "1 BLOOD WORK CMP, RFP, CBC, HFR", "Overturned", "Literature concludes that a large propor", "t for blood work is medically necessary."),
    ("003", 5, "1 PRESCRIPTION OF NORCO 10/325MG", "Upheld", "As noted on page 78-81 of the Chronic Pa", "he guideline recommendations of CA MTUS."),
    ("004", 1, "Ultrasound guided trigger point injections to the bilateral thoracic spine", "Upheld", "The requested ultrasound-guided trigger ", "y necessary or appropriate at this time."),
    ("004", 2, "Additional cognitive behavioral therapy (6 sessions)", "Upheld", "The requested 6 additional cognitive beh", "y necessary or appropriate at this time."),
];

#[test]
fn seed_letters_parse_exactly() {
    let o = imr(&["parse", "--items", "data/letters"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), SEED_ITEMS.len());
    for (r, (seed, n, title, decision, start, end)) in rows.iter().zip(SEED_ITEMS) {
        assert!(r["case_number"].as_str().unwrap().starts_with(seed));
        assert_eq!(r["item"], n);
        assert_eq!(r["title"], title);
        assert_eq!(r["decision"], decision);
        let rat = r["rationale"].as_str().unwrap();
        assert!(
            rat.starts_with(start) && rat.ends_with(end),
            "{seed}/{n}: {rat}"
        );
        for g in ["claims_administrator_guideline", "reviewer_guideline"] {
            assert!(
                r[g].as_str().is_some_and(|s| s.len() > 10),
                "{seed}/{n} {g}"
            );
        }
        assert!(!rat.contains("  ") && !rat.contains('\n'), "clean text");
    }
}

#[test]
fn seed_reviewers_read_from_both_shapes() {
    let o = imr(&["parse", "--json", "data/letters"]);
    let letters = json_lines(&stdout(&o));
    assert_eq!(
        letters[0]["reviewer"]["licensure"],
        serde_json::json!(["Pennsylvania", "Ohio", "California"])
    );
    assert_eq!(
        letters[0]["reviewer"]["specialty"],
        serde_json::json!(["Physical Medicine & Rehabilitation"])
    );
    assert_eq!(letters[0]["patient"]["age"], 54);
    assert_eq!(letters[0]["patient"]["sex"], "male");
    assert_eq!(
        letters[1]["reviewer"]["specialty"],
        serde_json::json!(["Orthopedic Surgery"])
    );
    assert_eq!(
        letters[1]["reviewer"]["licensure"],
        serde_json::json!(["California"])
    );
    // Seeds have no header block: the case number is the file stem, dates are null, not guessed.
    assert_eq!(letters[2]["case_number"], "002_4bd1cf93be37d15a");
    assert!(letters[2]["decision_date"].is_null());
}

/// Tables line up in a terminal whatever a letter's name holds: wide characters take two
/// columns, so the column after a name starts at one column on every row.
#[test]
fn tables_align_wide_characters() {
    let d = tempdir("wide-names");
    for (from, to) in [
        ("000_8fd8bbed53d6ca0b", "ünïcödé_文字"),
        ("001_bc98761382c404e6", "ｆｕｌｌ"),
    ] {
        std::fs::copy(
            util::root().join(format!("data/letters/{from}.txt")),
            d.join(format!("{to}.txt")),
        )
        .unwrap();
    }
    let columns = |line: &str, at: &str| -> usize {
        let i = line
            .find(at)
            .unwrap_or_else(|| panic!("{at:?} in {line:?}"));
        imr::report::width(&line[..i])
    };
    let table = stdout(&imr(&["parse", d.to_str().unwrap()]));
    let rows: Vec<&str> = table.lines().filter(|l| l.contains("1:Upheld")).collect();
    assert_eq!(rows.len(), 2, "{table}");
    assert_eq!(
        columns(rows[0], "1:Upheld"),
        columns(rows[1], "1:Upheld"),
        "{table}"
    );
    let table = stdout(&imr(&["predict", d.to_str().unwrap()]));
    let rows: Vec<&str> = table
        .lines()
        .filter(|l| l.contains("Upheld   0."))
        .collect();
    assert_eq!(rows.len(), 4, "{table}");
    let at: Vec<usize> = rows.iter().map(|r| columns(r, "Upheld   0.")).collect();
    assert!(at.windows(2).all(|w| w[0] == w[1]), "{at:?}\n{table}");
}

#[test]
fn table_is_default_output() {
    let o = imr(&["parse", "data/letters"]);
    let s = stdout(&o);
    assert!(s.starts_with("case_number"), "{s}");
    assert!(s.lines().last().unwrap().contains("12"), "{s}");
}

#[test]
fn csv_rows_hold_what_items_json_holds() {
    let mut dirs = vec![root().join("data/letters")];
    dirs.extend(
        corpus("csv_rows_hold_what_items_json_holds (corpus part)").map(|c| c.join("dwc/pdf")),
    );
    for dir in dirs {
        let dir = dir.to_str().unwrap();
        let csv = imr(&["parse", "--csv", dir]);
        assert!(csv.status.success(), "{}", stderr(&csv));
        let records = csv_records(&stdout(&csv));
        let items = json_lines(&stdout(&imr(&["parse", "--items", dir])));
        assert_eq!(
            records.len(),
            items.len() + 1,
            "{dir}: a header and a row per item"
        );
        let header = &records[0];
        assert_eq!(header[..2], ["case_number", "source"]);
        for (row, item) in records[1..].iter().zip(&items) {
            assert_eq!(row.len(), header.len());
            for (col, cell) in header.iter().zip(row) {
                // The CSV flattens the reviewer and patient objects into reviewer_* and patient_*.
                let c = col.as_str();
                let v = match c.split_once('_') {
                    Some((group @ ("reviewer" | "patient"), field)) if item.get(c).is_none() => {
                        item[group].get(field)
                    }
                    _ => item.get(c),
                };
                let v =
                    v.unwrap_or_else(|| panic!("column {col} is no field of `imr parse --items`"));
                let expected = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|s| s.as_str().unwrap())
                        .collect::<Vec<_>>()
                        .join(" | "),
                    serde_json::Value::Number(n) => n.to_string(),
                    other => panic!("{col}: unexpected {other}"),
                };
                assert_eq!(
                    cell, &expected,
                    "{dir} {} item {}: {col}",
                    item["case_number"], item["item"]
                );
            }
        }
    }
}

#[test]
fn bad_inputs_are_reported_and_good_files_still_parsed() {
    let d = tempdir("bad");
    write(&d, "empty.txt", b"");
    write(&d, "binary.txt", b"abc\0def");
    write(&d, "latin1.txt", b"caf\xe9 IMR");
    write(&d, "truncated.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog");
    write(&d, "nopdf.pdf", b"hello");
    write(
        &d,
        "prose.txt",
        b"Just a note about nothing in particular.\n",
    );
    write(
        &d,
        "old.txt",
        b"IMR DECISION(S) AND RATIONALE(S)\nDOCUMENTS REVIEWED\n",
    );
    write(
        &d,
        "mpr.txt",
        b"MEDICAL PROFESSIONAL REVIEW\nISSUE AT DISPUTE: MRI\n",
    );
    write(
        &d,
        "noitems.txt",
        b"IMR ISSUES, DECISIONS AND RATIONALES\nNothing decided here.\n",
    );
    std::fs::copy(
        root().join("data/letters/002_4bd1cf93be37d15a.txt"),
        d.join("good.txt"),
    )
    .unwrap();
    let o = imr(&["parse", "--json", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    for (file, what) in [
        ("empty.txt", "empty"),
        ("binary.txt", "binary"),
        ("latin1.txt", "not UTF-8"),
        ("truncated.pdf", "PDF"),
        // A .pdf holding text is read as the text it is.
        ("nopdf.pdf", "no IMR letter structure"),
        ("prose.txt", "no IMR letter structure"),
        (
            "old.txt",
            "unsupported MAXIMUS letter format \"decision(s) and rationale(s) layout\"",
        ),
        (
            "mpr.txt",
            "unsupported MAXIMUS letter format \"medical professional review layout\"",
        ),
        ("noitems.txt", "no disputed items"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no error for {file}: {err}"));
        assert!(line.contains(what), "{file}: {line}");
    }
    assert_eq!(err.lines().count(), 9, "{err}");
    let out = json_lines(&stdout(&o));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0]["items"][0]["decision"], "Upheld");
}

/// Paths that do not exist are each named, like bad files (exit 1), and the others still read; a
/// file reached twice (named twice, inside a folder also given, through a link) is read once.
#[test]
fn missing_paths_are_each_reported_and_copies_read_once() {
    let o = imr(&[
        "parse",
        "--items",
        "no/such/dir",
        "data/letters",
        "no/such.pdf",
        "data/letters/002_4bd1cf93be37d15a.txt",
        "./data/letters",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("imr: no/such/dir: cannot read") && err.contains("imr: no/such.pdf: cannot"),
        "{err}"
    );
    assert!(
        err.contains(
            "note: data/letters/002_4bd1cf93be37d15a.txt: the same file as \
             data/letters/002_4bd1cf93be37d15a.txt; read once"
        ),
        "{err}"
    );
    assert!(
        err.contains("note: ./data/letters: 5 files already given under other paths"),
        "{err}"
    );
    assert_eq!(json_lines(&stdout(&o)).len(), 12, "each sample item once");
    #[cfg(unix)]
    {
        let d = tempdir("linked");
        std::os::unix::fs::symlink(root().join("data/letters"), d.join("link")).unwrap();
        let o = imr(&[
            "train",
            "--data",
            "data/letters",
            d.join("link").to_str().unwrap(),
            "--cv-folds",
            "0",
            "--out",
            d.join("m.json").to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("(5 letters, 12 items"),
            "{}",
            stderr(&o)
        );
    }
    // A copy under another name is another file: read, and said to hold a case number another
    // file has (as `imr index` says), since it counts twice.
    let d = tempdir("copied");
    let text = format!(
        "Case Number: CM16-0000001\n{}",
        std::fs::read_to_string(root().join("data/letters/004_4fa3c31427c968ed.txt")).unwrap()
    );
    write(&d, "a.txt", text.as_bytes());
    write(&d, "copy of a.txt", text.as_bytes());
    let o = imr(&[
        "train",
        "--data",
        "data/letters",
        d.to_str().unwrap(),
        "--cv-folds",
        "0",
        "--out",
        d.join("m.json").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("copy of a.txt: case CM16-0000001 is also in")
            && err.contains("a.txt; both are read (a copy counts twice)"),
        "{err}"
    );
    // A directory without letters is reported like a bad file (exit 1), and the other paths are still read.
    let d = tempdir("noletters");
    write(&d, "notes.md", b"not a letter");
    let o = imr(&[
        "parse",
        "--json",
        d.to_str().unwrap(),
        "data/letters/002_4bd1cf93be37d15a.txt",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("noletters: no letter files (.pdf, .txt) in this directory or below"),
        "{}",
        stderr(&o)
    );
    assert_eq!(json_lines(&stdout(&o)).len(), 1);
    // When every input failed, predict and forecast have nothing to score: still a 1, as parse
    // gives, each failure named.
    let broken = write(&d, "broken.pdf", b"%PDF-1.4 not really");
    let (dir, broken) = (d.to_str().unwrap(), broken.to_str().unwrap());
    for args in [
        ["parse", dir],
        ["predict", dir],
        ["forecast", dir],
        ["predict", broken],
    ] {
        let o = imr(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("broken.pdf"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // The cause once: the error's message holds it, so the printed chain does not repeat it.
    let o = imr(&["predict", "--model", "no/such/model.json", "data/letters"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).matches("No such file or directory").count(),
        1,
        "{}",
        stderr(&o)
    );
}

#[test]
fn corpus_letters_match_gold() {
    let Some(c) = corpus("corpus_letters_match_gold") else {
        return;
    };
    let gold = Gold::load(&c.join("dwc/gold/items.jsonl")).unwrap();
    let files = imr::parse::discover(&[c.join("dwc/pdf")]).unwrap();
    assert_eq!(files.len(), 150);
    let mut by_case: BTreeMap<&str, usize> = BTreeMap::new();
    for (case, _) in gold.items.keys() {
        *by_case.entry(case.as_str()).or_default() += 1;
    }
    let (mut items, mut titles_ok) = (0, 0);
    for r in imr::parse::read_letters(&files, || {}) {
        let l = r.expect("every corpus letter parses");
        assert_eq!(
            l.items.len(),
            by_case[l.header.case_number.as_str()],
            "item count of {}",
            l.header.case_number
        );
        for it in &l.items {
            let g = gold.get(&l.header.case_number, it.number).unwrap();
            assert_eq!(
                Some(it.decision),
                g.decision,
                "{} item {}",
                l.header.case_number,
                it.number
            );
            items += 1;
            titles_ok += usize::from(title_overlap(&it.title, &g.title) >= 0.8);
        }
        assert!(
            l.header.decision_date.is_some() && !l.header.reviewer.specialty.is_empty(),
            "{}",
            l.header.case_number
        );
    }
    assert_eq!(items, 344);
    assert!(
        titles_ok as f64 / items as f64 >= 0.97,
        "titles matching gold: {titles_ok}/{items}"
    );
}

#[test]
fn train_is_deterministic_and_predict_explains() {
    let d = tempdir("train");
    let m1 = d.join("a.json");
    let m2 = d.join("b.json");
    let flipped = flipped_letter(&d);
    let flipped_path: &str = flipped.to_str().unwrap().to_string().leak();
    let args = |out: &str, reversed: bool| {
        let data = match reversed {
            false => ["data/letters", flipped_path],
            true => [flipped_path, "data/letters"],
        };
        vec![
            "train",
            "--data",
            data[0],
            data[1],
            "--cv-folds",
            "2",
            "--date",
            "2026-01-02",
            "--out",
            out.to_string().leak(),
        ]
    };
    // The second on one thread, its letters named in the other order: the folds, fitted in
    // parallel, give the same file whatever the thread count, and the letters are read in the
    // order of their paths whatever the order they are named in.
    for (m, threads, reversed) in [(&m1, None, false), (&m2, Some("-j1"), true)] {
        let args = args(m.to_str().unwrap(), reversed);
        let o = imr(&[args, threads.into_iter().collect()].concat());
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (a, b) = (std::fs::read(&m1).unwrap(), std::fs::read(&m2).unwrap());
    assert_eq!(a, b, "same letters, same model file");
    // Scored on its own training letters, named in another order, a model says its figures are
    // no test.
    let o = imr(&[
        "evaluate",
        "--model",
        m1.to_str().unwrap(),
        "--data",
        flipped.to_str().unwrap(),
        "data/letters",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: these are the model's training items"),
        "{}",
        stderr(&o)
    );
    let s = &json_lines(&stdout(&o))[0];
    assert!(s["training_overlap"].is_string(), "{s}");
    assert!(String::from_utf8_lossy(&a).starts_with("{\"format_version\":\"imr-model/7\""));
    let o = imr(&[
        "predict",
        "--model",
        m1.to_str().unwrap(),
        "--json",
        "--text",
        "The request is medically necessary.",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p = &json_lines(&stdout(&o))[0];
    let prob = p["p_overturned"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&prob));
    // A case-view model reads no rationale: it refuses rationale text instead of scoring its intercept.
    let case = d.join("case.json");
    let o = imr(&[
        "train",
        "--data",
        "data/letters",
        flipped.to_str().unwrap(),
        "--view",
        "case",
        "--cv-folds",
        "0",
        "--out",
        case.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = imr(&[
        "predict",
        "--model",
        case.to_str().unwrap(),
        "--text",
        "The request is medically necessary.",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--text: nothing for the case view of")
            && stdout(&o).contains("no score: no text"),
        "{}",
        stderr(&o)
    );
    assert!(
        imr(&["predict", "--model", case.to_str().unwrap(), "data/letters"])
            .status
            .success()
    );
    let o = imr(&["predict", "--model", m1.to_str().unwrap(), "--text", " "]);
    assert!(
        o.status.success() && stdout(&o).contains("no score: no text"),
        "{}",
        stdout(&o)
    );
    // Wrong format version: a clear error.
    let bad = write(&d, "old.json", br#"{"format_version":"imr-model/0"}"#);
    let o = imr(&["predict", "--model", bad.to_str().unwrap(), "--text", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("retrain"), "{}", stderr(&o));
}

/// A small gold file (hand-made labels, not the corpus's, with codebook themes): one theme on a single item, one on
/// none.
#[test]
fn themes_too_rare_to_fit_are_reported_and_the_rest_trained() {
    let d = tempdir("rare");
    let flipped = flipped_letter(&d);
    let names: Vec<String> = std::fs::read_dir(root().join("data/letters"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut gold = String::new();
    for (k, (prefix, item, title, decision, ..)) in SEED_ITEMS.iter().enumerate() {
        let case = names
            .iter()
            .find(|f| f.starts_with(prefix))
            .unwrap()
            .trim_end_matches(".txt");
        let theme = if k == 3 {
            "monitoring_missing"
        } else if k % 2 == 0 {
            "criteria_not_met"
        } else {
            "no_red_flags"
        };
        gold += &format!(
            "{}\n",
            serde_json::json!({"case_number": case, "item": item, "title": title, "decision": decision, "themes": [theme]})
        );
    }
    for (item, theme) in [(1, "criteria_not_met"), (2, "no_red_flags")] {
        gold += &format!(
            "{}\n",
            serde_json::json!({"case_number": "flipped", "item": item, "title": "", "decision": "Overturned", "themes": [theme]})
        );
    }
    // Without the flipped letter's lines, the gold file leaves two items out of the theme models, and says so.
    let partial = write(
        &d,
        "partial.jsonl",
        gold.lines()
            .filter(|l| !l.contains("flipped"))
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    let gold = write(&d, "gold.jsonl", gold.as_bytes());
    let model = d.join("m.json");
    let data = ["data/letters", flipped.to_str().unwrap()];
    let o = imr(&[
        "train",
        "--data",
        data[0],
        data[1],
        "--gold",
        gold.to_str().unwrap(),
        "--cv-folds",
        "2",
        "--date",
        "2026-01-02",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let one = d.join("one-thread.json");
    let o = imr(&[
        "train",
        "-j",
        "1",
        "--data",
        data[0],
        data[1],
        "--gold",
        gold.to_str().unwrap(),
        "--cv-folds",
        "2",
        "--date",
        "2026-01-02",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read(&one).unwrap() == std::fs::read(&model).unwrap(),
        "theme models on one thread: the same file"
    );
    // The settings the file records train it again, theme models included.
    let o = imr(&["inspect", "--model", model.to_str().unwrap(), "--settings"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let settings = write(&d, "settings.json", stdout(&o).as_bytes());
    let again = d.join("again.json");
    let o = imr(&[
        "train",
        "--data",
        data[0],
        data[1],
        "--gold",
        gold.to_str().unwrap(),
        "--cv-folds",
        "2",
        "--date",
        "2026-01-02",
        "--params",
        settings.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        std::fs::read(&again).unwrap() == std::fs::read(&model).unwrap(),
        "retrained from its settings: the same file"
    );
    assert!(
        stderr(&o)
            .contains("theme monitoring_missing: not trained, 1 of the 14 gold items have it"),
        "{}",
        stderr(&o)
    );
    // The codebook's themes the gold file never names are reported too, not left out unsaid.
    assert!(
        stderr(&o).contains("theme criteria_met: not trained, 0 of the 14 gold items have it"),
        "{}",
        stderr(&o)
    );
    let m = json_file(&model);
    let untrained = m["themes"]["untrained"].as_array().unwrap();
    let codebook = imr::features::cues::codebook_themes();
    assert_eq!(untrained.len(), codebook.len() - 2, "{untrained:?}");
    for u in untrained {
        let id = u["id"].as_str().unwrap();
        let positives = u64::from(id == "monitoring_missing");
        assert_eq!(
            *u,
            serde_json::json!({"id": id, "positives": positives, "items": 14})
        );
    }
    // The file loads (its CV summary holds an undefined F1 for the untrained theme) and never assigns it.
    let o = imr(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--json",
        "data/letters",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for r in json_lines(&stdout(&o)) {
        assert_eq!(
            r["theme_scores"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["criteria_not_met", "no_red_flags"]
        );
        assert!(!r["themes"].as_array().unwrap().is_empty());
    }
    let csv = csv_records(&stdout(&imr(&[
        "predict",
        "--model",
        model.to_str().unwrap(),
        "--csv",
        "data/letters",
    ])));
    assert_eq!(
        csv[0]
            .iter()
            .filter(|h| h.starts_with("theme_scores_"))
            .collect::<Vec<_>>(),
        ["theme_scores_criteria_not_met", "theme_scores_no_red_flags"]
    );
    let o = imr(&["inspect", "--model", model.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(json_lines(&stdout(&o))[0]["untrained_themes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == "monitoring_missing" && u["positives"] == 1));
    let table = stdout(&imr(&["inspect", "--model", model.to_str().unwrap()]));
    assert!(table.contains("not trained: 1 of 14 gold items"), "{table}");
    // A rationale model has no refits and keeps no precedents (null in JSON): not "0" of them.
    assert!(
        table.contains("no 90% ranges (no bootstrap refits); no precedents kept"),
        "{table}"
    );
    let built_in = stdout(&imr(&["inspect", "--model", "case"]));
    assert!(built_in.contains(" bootstrap refits; ") && built_in.contains(" precedents"));
    // Scored on labelled letters, the untrained theme's gold item counts as missed.
    let o = imr(&[
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--data",
        data[0],
        data[1],
        "--gold",
        gold.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rare = &json_lines(&stdout(&o))[0]["themes"]["per_theme"]["monitoring_missing"];
    assert_eq!(
        (rare["support"].as_u64(), rare["recall"].as_f64()),
        (Some(1), Some(0.0))
    );
    let o = imr(&[
        "train",
        "--data",
        data[0],
        data[1],
        "--gold",
        partial.to_str().unwrap(),
        "--cv-folds",
        "0",
        "--out",
        d.join("p.json").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("gold themes for 12 of the 14 items; the other 2 are left out"),
        "{}",
        stderr(&o)
    );
    // A case model gives no themes: they are a rationale's reasons, and it reads none.
    let case = d.join("case.json");
    let o = imr(&[
        "train",
        "--view",
        "case",
        "--data",
        data[0],
        data[1],
        "--gold",
        gold.to_str().unwrap(),
        "--cv-folds",
        "0",
        "--out",
        case.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no theme models for the case view"),
        "{}",
        stderr(&o)
    );
    let m = json_file(&case);
    assert!(
        m.get("themes").is_none_or(|t| t.is_null()),
        "{}",
        m["themes"]
    );
    // A gold decision that is not the letter's is named (a join on the wrong item?); an empty theme list is an
    // item not annotated, left out of the theme models like a missing one.
    let text = std::fs::read_to_string(&gold).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[0] = lines[0].replace("\"Upheld\"", "\"Overturned\"");
    lines[1] = regex::Regex::new(r#""themes":\[[^\]]*\]"#)
        .unwrap()
        .replace(&lines[1], r#""themes":[]"#)
        .into_owned();
    // Lines that join no item: an item past its letter's last, a case number no letter has.
    let mut past: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    past["item"] = 99.into();
    let mut stranger = past.clone();
    stranger["case_number"] = "NOPE-1".into();
    lines.extend([past.to_string(), stranger.to_string()]);
    let odd = write(&d, "odd.jsonl", lines.join("\n").as_bytes());
    let o = imr(&[
        "train",
        "--data",
        data[0],
        data[1],
        "--gold",
        odd.to_str().unwrap(),
        "--cv-folds",
        "0",
        "--out",
        d.join("o.json").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("item 1: the gold decision is Overturned, the letter's Upheld; is the item number right?"), "{err}");
    assert!(err.contains("gold themes for 13 of the 14 items"), "{err}");
    let case = past["case_number"].as_str().unwrap();
    assert!(
        err.contains(&format!("case {case} item 99: the letter has ")),
        "{err}"
    );
    assert!(
        err.contains("1 line names a case number none of the letters read has (NOPE-1)"),
        "{err}"
    );
    // Cross-validation says in how many folds a theme could not be fitted.
    let o = imr(&[
        "evaluate",
        "--data",
        data[0],
        data[1],
        "--gold",
        gold.to_str().unwrap(),
        "--folds",
        "2",
        "--repeats",
        "1",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o)
            .contains("theme monitoring_missing: too few training items to fit in 2 of 2 folds"),
        "{}",
        stderr(&o)
    );
    let untrained: Vec<String> = codebook
        .iter()
        .filter(|t| !["criteria_not_met", "no_red_flags"].contains(&t.as_str()))
        .cloned()
        .collect();
    assert!(json_lines(&stdout(&o))
        .iter()
        .filter(|l| l["type"] == "fold")
        .all(|l| l["untrained_themes"] == serde_json::json!(untrained)));
}

#[test]
fn inspect_shows_the_built_in_model() {
    let o = imr(&["inspect", "--json", "--top", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = &json_lines(&stdout(&o))[0];
    // Named as --model takes it, not by the label the tables give it.
    assert_eq!(v["model"], "default");
    assert_eq!(v["outcome"]["view"], "rationale");
    assert_eq!(v["metadata"]["items"], 356);
    assert_eq!(v["metadata"]["params"]["themes"]["threshold_shrink"], 0.5);
    let text = stdout(&imr(&["inspect"]));
    assert!(
        text.contains("threshold shrink 0.5, own-cue scale 3"),
        "{text}"
    );
    assert!(
        text.contains("terms (TF, no IDF), threshold") && text.contains("10 models over"),
        "{text}"
    );
    // Guideline-quote terms (`rq:`) are named as such, not as a prefix left in the term.
    assert!(
        text.contains("rationale quotes:\"") && !text.contains("rq:"),
        "{text}"
    );
    // P(Overturned) is calibrated, and the threshold is the calibrated image of margin 0.
    let (a, b) = (
        v["outcome"]["calibration"]["slope"].as_f64().unwrap(),
        v["outcome"]["calibration"]["intercept"].as_f64().unwrap(),
    );
    assert!(
        a > 0.0
            && (v["outcome"]["threshold"].as_f64().unwrap() - 1.0 / (1.0 + (-b).exp())).abs()
                < 1e-12
    );
    let sign = |ws: &serde_json::Value, positive: bool| {
        let ws = ws.as_array().unwrap();
        ws.len() == 3
            && ws.iter().all(|w| {
                (w["coefficient"].as_f64().unwrap() > 0.0) == positive
                    && !w["term"].as_str().unwrap().is_empty()
            })
    };
    assert!(
        sign(&v["outcome"]["towards_overturned"], true)
            && sign(&v["outcome"]["towards_upheld"], false)
    );
    let themes = v["themes"].as_array().unwrap();
    assert_eq!(themes.len(), 10);
    assert!(themes.iter().all(
        |t| sign(&t["towards"], true) && (0.0..1.0).contains(&t["threshold"].as_f64().unwrap())
    ));
    // The verdict is what weighs most towards Overturned, in the rationale or its verdict field.
    assert!(v["outcome"]["towards_overturned"][0]["term"]
        .as_str()
        .unwrap()
        .contains("necessari"));
    assert!(stdout(&imr(&["inspect"])).contains("towards Overturned"));
}

/// A closed stdout (`imr ... | head -1`) ends the command quietly with exit 0, in every output format: nothing
/// more can be shown, and that is not an error (ripgrep's behaviour).
#[test]
fn a_closed_stdout_ends_quietly_in_every_format() {
    let d = tempdir("closed-stdout");
    let items = write(
        &d,
        "items.jsonl",
        &imr(&["parse", "--items", "data/letters"]).stdout,
    );
    let items = items.to_str().unwrap();
    let runs: [&[&str]; 12] = [
        &["parse", "data/letters"],
        &["parse", "--json", "data/letters"],
        &["parse", "--items", "data/letters"],
        &["parse", "--csv", "data/letters"],
        &["predict", "data/letters"],
        &["predict", "--json", "data/letters"],
        &["predict", "--csv", "--items", items],
        &[
            "predict",
            "--json",
            "--text",
            "The request is not medically necessary.",
        ],
        &["inspect"],
        &["inspect", "--json"],
        &["inspect", "--csv"],
        &[
            "evaluate",
            "--model",
            "default",
            "--data",
            "data/letters",
            "--json",
        ],
    ];
    for args in runs {
        let o = imr_closed(args, true);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(
            !stderr(&o).to_lowercase().contains("broken pipe") && !stderr(&o).contains("error"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// A full disk under standard output (`> /dev/full`) is an error that says it was standard output
/// that could not be written, in every format.
#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_named() {
    let runs: [&[&str]; 5] = [
        &["parse", "--json", "data/letters"],
        &["parse", "--csv", "data/letters"],
        &["inspect", "--csv"],
        &["predict", "--json", "data/letters"],
        &["completions", "bash"],
    ];
    for args in runs {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let o = std::process::Command::new(util::bin())
            .args(args)
            .current_dir(root())
            .stdout(full)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = stderr(&o);
        let said = "\nimr: error: standard output: No space left";
        assert!(format!("\n{err}").contains(said), "{args:?}: {err}");
    }
}

/// A closed stderr never panics (eprintln! would, exit 101): messages are dropped, exit statuses kept.
#[test]
fn a_closed_stderr_never_panics() {
    let d = tempdir("closed-stderr");
    let o = imr_closed(
        &[
            "predict",
            "--json",
            "--text",
            "The request is not medically necessary.",
        ],
        false,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json_lines(&stdout(&o)).len(), 1);
    // Text the model has no term of: a warning on the closed stderr.
    assert_eq!(
        imr_closed(&["predict", "--text", "Zxqv wqplk"], false)
            .status
            .code(),
        Some(0)
    );
    // A failing command: its error message is lost, its exit status is not.
    assert_eq!(
        imr_closed(
            &[
                "predict",
                "--model",
                d.join("none.json").to_str().unwrap(),
                "--text",
                "x"
            ],
            false
        )
        .status
        .code(),
        Some(2)
    );
    let bad = write(
        &d,
        "bad.jsonl",
        b"{\"rationale\": \"The request is not medically necessary.\"}\nnot json\n",
    );
    let o = imr_closed(
        &["predict", "--json", "--items", bad.to_str().unwrap()],
        false,
    );
    assert_eq!(
        (o.status.code(), json_lines(&stdout(&o)).len()),
        (Some(1), 1)
    );
    // `train` says what it wrote on stderr.
    let flipped = flipped_letter(&d);
    let model = d.join("m.json");
    let o = imr_closed(
        &[
            "train",
            "--data",
            "data/letters",
            flipped.to_str().unwrap(),
            "--cv-folds",
            "0",
            "--out",
            model.to_str().unwrap(),
        ],
        false,
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(model.is_file());
}

/// A command that reads stdin says so where stdin is a terminal: it would look hung (run in a
/// terminal of `script`'s; skipped where there is none).
#[test]
fn reading_a_terminal_is_said() {
    for (args, said) in [
        (
            "predict",
            "reading rationales, one a line, from the terminal",
        ),
        (
            "predict --items -",
            "reading items as JSON lines from the terminal",
        ),
        ("parse -", "reading a letter from the terminal"),
    ] {
        let command = format!("timeout 1 {} {args}", util::bin().display());
        let o = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .stdin(std::process::Stdio::null())
            .output();
        let Ok(o) = o else {
            eprintln!("SKIP: no `script` here to run imr in a terminal");
            return;
        };
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(said), "{args}: {out}");
    }
    // Not on a pipe.
    let o = imr_stdin(&["predict"], b"");
    assert!(!stderr(&o).contains("terminal"), "{}", stderr(&o));
}

/// A bad line of --items or of stdin is one error line naming the input and the line; the other lines are scored
/// and the exit status is 1. A byte order mark on line 1 is not an error.
#[test]
fn bad_input_lines_are_reported_and_the_rest_scored() {
    // A PDF or a letter's text piped in where rationales are read, one a line: said, not scored
    // as text (a letter's lines were scored as rationales, its header among them).
    let letter = std::fs::read(util::root().join("data/letters/003_ef80428068f9a7a4.txt")).unwrap();
    for (input, said) in [
        (
            &b"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n"[..],
            "stdin holds a PDF: `imr predict -`",
        ),
        (
            &letter[..],
            "stdin holds a letter, not rationales one a line: `imr predict -`",
        ),
    ] {
        let o = imr_stdin(&["predict", "--json"], input);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(said), "{}", stderr(&o));
        assert_eq!(stdout(&o), "");
        // Given to --items, one error, not one a line.
        for command in ["predict", "forecast"] {
            let o = imr_stdin(&[command, "--json", "--items", "-"], input);
            assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
            assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
            assert!(
                stderr(&o).contains("stdin holds a") && stderr(&o).contains("not JSON lines"),
                "{}",
                stderr(&o)
            );
        }
    }
    let d = tempdir("bad-lines");
    let good = r#"{"title": "PT x 12", "rationale": "There is no documentation of functional improvement. The request is not medically necessary."}"#;
    let mut bytes = format!("\u{feff}{good}\n").into_bytes();
    bytes.extend(b"{\"rationale\": \"bad \xff byte\"}\n");
    bytes.extend(format!("not json\n{{\"title\": 3}}\n\n{good}\n").into_bytes());
    let items = write(&d, "items.jsonl", &bytes);
    for o in [
        imr(&["predict", "--json", "--items", items.to_str().unwrap()]),
        imr_stdin(&["predict", "--json", "--items", "-"], &bytes),
    ] {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let p = json_lines(&stdout(&o));
        // Rows without a case or item number are numbered by their line, which joins them to
        // the input whatever lines were bad or blank.
        assert_eq!(
            p.iter()
                .map(|r| r["item"].as_u64().unwrap())
                .collect::<Vec<_>>(),
            [1, 6]
        );
        let err = stderr(&o);
        let name = if err.contains("stdin:") {
            "stdin".to_string()
        } else {
            items.display().to_string()
        };
        for (line, what) in [
            (2, "not UTF-8"),
            (3, "not a JSON object (it begins \"not json\")"),
            (4, "title: invalid type: integer `3`"),
        ] {
            assert!(
                err.contains(&format!("imr: {name}:{line}: {what}")),
                "{line}: {err}"
            );
        }
        assert_eq!(err.lines().count(), 3, "{err}");
    }
    // Rationales on stdin, one a line.
    let o = imr_stdin(&["predict", "--json"], b"\xEF\xBB\xBFThe request is not medically necessary.\nbad \xff\nThe request is medically necessary.\nbinary\0data\n");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        json_lines(&stdout(&o))
            .iter()
            .map(|r| r["item"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [1, 3]
    );
    assert!(
        stderr(&o).contains("imr: stdin:2: not UTF-8 text (invalid byte at offset 4)"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("stdin:4: holds a NUL character"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn predict_scores_parsed_items_and_undecided_requests() {
    // `imr parse --items` output, fed back: the same scores as the letters themselves.
    let items = imr(&["parse", "--items", "data/letters"]).stdout;
    let o = imr_stdin(&["predict", "--items", "-", "--json"], &items);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("not one imr reads"), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        stdout(&imr(&["predict", "--json", "data/letters"]))
    );
    // Items of the model's training letters are said to be fitted, as the letters are.
    let fitted = "warning: 12 items (5 letters) were of the model's training letters: their \
                  scores are fitted";
    assert!(stderr(&o).contains(fitted), "{}", stderr(&o));
    let o = imr_stdin(&["forecast", "--items", "-"], &items);
    assert!(
        stderr(&o).contains(
            "12 items (5 letters) were of the model's training letters: their \
                             forecasts are fitted"
        ),
        "{}",
        stderr(&o)
    );
    let one = items.split(|&b| b == b'\n').next().unwrap().to_vec();
    let renamed =
        String::from_utf8(one)
            .unwrap()
            .replacen("\"case_number\":\"", "\"case_number\":\"X", 1);
    let o = imr_stdin(&["predict", "--items", "-"], renamed.as_bytes());
    assert!(
        o.status.success() && !stderr(&o).contains("warning"),
        "{}",
        stderr(&o)
    );
    // Files of older versions call the item `number`, and a number may be written as text (as
    // forms send it): read the same.
    let old = String::from_utf8_lossy(&items).replace("\"item\":", "\"number\":");
    assert!(old.contains("\"number\":"));
    let text = regex::Regex::new(r#""item":(\d+)"#)
        .unwrap()
        .replace_all(&String::from_utf8_lossy(&items), r#""item":"$1""#)
        .into_owned();
    assert!(text.contains(r#""item":"1""#));
    for input in [old, text] {
        let o = imr_stdin(&["predict", "--items", "-", "--json"], input.as_bytes());
        assert_eq!(
            stdout(&o),
            stdout(&imr(&["predict", "--json", "data/letters"]))
        );
    }
    // A request not yet decided (no rationale, no decision), forecast by a case-view model.
    let d = tempdir("items");
    let flipped = flipped_letter(&d);
    let case = d.join("case.json");
    let o = imr(&[
        "train",
        "--data",
        "data/letters",
        flipped.to_str().unwrap(),
        "--view",
        "case",
        "--cv-folds",
        "0",
        "--out",
        case.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let undecided: String = json_lines(&String::from_utf8_lossy(&items))
        .into_iter()
        .map(|mut r| {
            let o = r.as_object_mut().unwrap();
            o.remove("rationale");
            o.remove("decision");
            format!("{r}\n")
        })
        .collect();
    let file = write(&d, "undecided.jsonl", undecided.as_bytes());
    let o = imr(&[
        "predict",
        "--model",
        case.to_str().unwrap(),
        "--items",
        file.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 12);
    assert!(rows
        .iter()
        .all(|r| r["decision"].is_null()
            && (0.0..=1.0).contains(&r["p_overturned"].as_f64().unwrap())));
    // The same rows give a rationale-view model nothing to read: each is reported, and gets no score but a
    // reason, never the intercept as a score.
    let o = imr(&["predict", "--items", file.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let rows = json_lines(&stdout(&o));
    assert!(
        rows.len() == 12
            && rows
                .iter()
                .all(|r| r["p_overturned"].is_null() && r["abstention"] == "no text"),
        "{rows:?}"
    );
    assert_eq!(
        stderr(&o)
            .matches("nothing for the rationale view of the built-in model")
            .count(),
        12,
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("undecided.jsonl:12: nothing"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("a request without a rationale is forecast by `imr forecast`"),
        "{}",
        stderr(&o)
    );
    // The built-in case model forecasts them: scores that rank the requests, the same as its file gives.
    let o = imr(&[
        "predict",
        "--model",
        "case",
        "--items",
        file.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let builtin = json_lines(&stdout(&o));
    assert_eq!(builtin.len(), 12);
    assert!(builtin
        .iter()
        .all(|r| r["themes"].as_array().unwrap().is_empty()
            && r["known_terms"].as_u64().unwrap() > 0));
    let p: Vec<f64> = builtin
        .iter()
        .map(|r| r["p_overturned"].as_f64().unwrap())
        .collect();
    assert!(p.iter().any(|&x| x != p[0]), "{p:?}");
    assert_eq!(
        stdout(&imr(&[
            "predict",
            "--model",
            "models/case.json",
            "--items",
            file.to_str().unwrap(),
            "--json"
        ])),
        stdout(&o)
    );
    // A name is a built-in model only as a bare word: ./case is a file (here, none).
    let o = imr_in(&d, &["predict", "--model", "./case", "--text", "x"]);
    assert!(
        o.status.code() == Some(2) && stderr(&o).contains("./case: cannot read"),
        "{}",
        stderr(&o)
    );
    std::fs::copy(&case, d.join("case")).unwrap();
    let o = imr_in(&d, &["inspect", "--model", "case"]);
    assert!(o.status.success() && stderr(&o).contains("--model case is the built-in case model (models/case.json); ./case names the file here"), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("data       155 letters"),
        "the built-in model, not the file: {}",
        stdout(&o)
    );
    let o = imr_in(&d, &["inspect", "--model", "./case"]);
    assert!(
        o.status.success() && stdout(&o).contains("data       6 letters") && stderr(&o).is_empty(),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    let o = imr(&["inspect", "--model", "case"]);
    assert!(
        stdout(&o).contains("the built-in case model (models/case.json)")
            && stdout(&o).contains("view case"),
        "{}",
        stdout(&o)
    );
    // A bad line among good ones: reported with its line number, the others scored, exit 1.
    let o = imr_stdin(
        &["predict", "--items", "-", "--json"],
        b"{\"rationale\": \"The request is medically necessary.\"}\nnot json\n",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("stdin:2:"), "{}", stderr(&o));
    assert_eq!(json_lines(&stdout(&o)).len(), 1);
    // A line with no term the model knows gets no score but a reason; the CSV carries the count.
    let o = imr_stdin(
        &["predict", "--csv"],
        b"There is no documentation of functional improvement.\nZxqv wqplk\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = stdout(&o);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with(
            "case_number,item,title,category,drug_class,treatment,decision,p_overturned,p_low,p_high,\
             predicted,abstention,known_terms,"
        ),
        "{csv}"
    );
    let fields: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(
        (fields[1], fields[7], fields[11], fields[12]),
        ("2", "", "no known terms", "0"),
        "{csv}"
    );
    let first: Vec<&str> = lines[1].split(',').collect();
    assert!(
        first[7].parse::<f64>().is_ok() && first[11].is_empty(),
        "{csv}"
    );
    // --top bounds every explanation; 0 leaves the scores alone, one table line an item.
    let text = "Therefore, the request is medically necessary.";
    for top in [0usize, 1, 2] {
        let o = imr(&[
            "predict",
            "--json",
            "--top",
            &top.to_string(),
            "--text",
            text,
        ]);
        let r = &json_lines(&stdout(&o))[0];
        let lens = |v: &serde_json::Value| v.as_array().unwrap().len();
        assert!(
            lens(&r["top_overturned"]) <= top && lens(&r["top_upheld"]) <= top,
            "--top {top}: {r}"
        );
        assert!(
            r["theme_evidence"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| lens(v) <= top),
            "--top {top}: {r}"
        );
        assert!(
            top == 0 || lens(&r["top_overturned"]) > 0,
            "--top {top}: {r}"
        );
        // A cue is shown as its words, not the context its pattern needed ("s medically necessary").
        if top > 0 {
            assert_eq!(
                r["theme_evidence"]["criteria_met"][0]["text"], "medically necessary",
                "{r}"
            );
        }
    }
    // The rows, above the footer that says what `predicted` means.
    let rows_of = |table: &str| table.split("\n\n").next().unwrap().lines().count();
    let table = stdout(&imr(&["predict", "--top", "0", "--text", text]));
    assert_eq!(rows_of(&table), 2, "{table}");
    assert!(table.contains("\n\npredicted Overturned: "), "{table}");
    // Nothing to explain (no known term): no score, its reason, and no empty explanation line.
    let o = imr(&["predict", "--text", "Zxqv wqplk"]);
    assert_eq!(rows_of(&stdout(&o)), 3, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("no score: no known terms"),
        "{}",
        stdout(&o)
    );
    // Nor a theme: without a known term the theme models' scores are their baselines alone.
    let o = imr(&["predict", "--text", "Zxqv wqplk", "--json"]);
    let r = &json_lines(&stdout(&o))[0];
    assert_eq!(r["themes"], serde_json::json!([]), "{r}");
    assert_eq!(r["theme_evidence"], serde_json::json!({}), "{r}");
}

#[test]
fn too_little_data_is_a_clear_error() {
    let d = tempdir("little");
    let model = d.join("m.json");
    // The sample letters hold one Overturned item: too few to cross-validate, which train does first by default.
    let o = imr(&[
        "train",
        "--data",
        "data/letters",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("needs Overturned items in at least 2 letters")
            && stderr(&o).contains("--cv-folds 0 skips it"),
        "{}",
        stderr(&o)
    );
    assert!(!model.exists());
    let o = imr(&["evaluate", "--data", "data/letters", "--folds", "6"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("6 folds need at least 6 letters, the data has 5"),
        "{}",
        stderr(&o)
    );
    // A gold file that shares no item with the letters.
    let gold = write(&d, "gold.jsonl", br#"{"case_number": "CM00-0000000", "item": 1, "title": "x", "decision": "Upheld", "themes": ["no_red_flags"]}"#);
    let o = imr(&[
        "train",
        "--data",
        "data/letters",
        "--gold",
        gold.to_str().unwrap(),
        "--cv-folds",
        "0",
        "--out",
        model.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("none of the 12 items of the letters is in the gold file"),
        "{}",
        stderr(&o)
    );
    // Every bad line of a gold file is said on a line of its own, after the context.
    let bad = write(
        &d,
        "bad.jsonl",
        b"garbage\n{\"case_number\":\"CM1\",\"item\":\"one\"}\n",
    );
    let o = imr(&[
        "evaluate",
        "--data",
        "data/letters",
        "--gold",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let said: Vec<&str> = err.lines().collect();
    let bad = bad.display();
    assert_eq!(said.len(), 2, "{said:?}");
    for (n, line) in [1, 2].iter().zip(&said) {
        let start = format!("imr: error: reading the gold file: {bad}:{n}: ");
        assert!(line.starts_with(&start), "{line}");
    }
}

#[test]
fn default_model_predicts_sample_letters() {
    let o = imr(&["predict", "--json", "data/letters"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 12);
    for r in &rows {
        let p = r["p_overturned"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(!r["themes"].as_array().unwrap().is_empty());
        assert_eq!(r["theme_scores"].as_object().unwrap().len(), 10);
        // Each assigned theme with the words that pushed towards it, as written.
        let evidence = r["theme_evidence"].as_object().unwrap();
        let themes: std::collections::BTreeSet<&str> = r["themes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(
            evidence
                .keys()
                .map(|k| k.as_str())
                .collect::<std::collections::BTreeSet<_>>(),
            themes
        );
        for words in evidence.values() {
            let words = words.as_array().unwrap();
            assert!(
                !words.is_empty()
                    && words.iter().all(|t| t["weight"].as_f64().unwrap() > 0.0
                        && !t["text"].as_str().unwrap().is_empty())
            );
        }
        let upheld = r["top_upheld"].as_array().unwrap();
        assert!(upheld.iter().all(|t| t["weight"].as_f64().unwrap() < 0.0));
        let words: std::collections::HashSet<String> = upheld
            .iter()
            .map(|t| t["text"].as_str().unwrap().to_lowercase())
            .collect();
        assert_eq!(words.len(), upheld.len(), "each wording listed once");
    }
    // In the table, an item is one row, how its title was read, and one line per side and
    // theme; each matched cue is in curly quotes, a straight quote inside it as it is.
    let table = stdout(&imr(&["predict", "data/letters"]));
    let explanation = regex::Regex::new(r#"^ +[a-z_ A-Z]+: “[^“”\n]*”(?: “[^“”\n]*”)*$"#).unwrap();
    for line in table.split("\n\n").next().unwrap().lines().skip(1) {
        assert!(
            line.starts_with("00")
                || line.contains("base rate of the ")
                || line.trim_start().starts_with("read as: ")
                || explanation.is_match(line),
            "{line}"
        );
    }
    assert!(
        table.contains(r#" “not present" is not correct for this patient"#),
        "{table}"
    );
    // The one Overturned seed item scores above every Upheld one.
    let over = rows.iter().find(|r| r["decision"] == "Overturned").unwrap()["p_overturned"]
        .as_f64()
        .unwrap();
    assert!(rows
        .iter()
        .filter(|r| r["decision"] == "Upheld")
        .all(|r| r["p_overturned"].as_f64().unwrap() < over));
    // The CSV holds the JSON's scores exactly: P(Overturned) and a column per theme.
    let csv = csv_records(&stdout(&imr(&["predict", "--csv", "data/letters"])));
    assert_eq!(csv.len(), 13);
    let col = |name: &str| {
        csv[0]
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}: {:?}", csv[0]))
    };
    for (rec, r) in csv[1..].iter().zip(&rows) {
        assert_eq!(
            rec[col("p_overturned")].parse::<f64>().unwrap(),
            r["p_overturned"].as_f64().unwrap()
        );
        let scores = r["theme_scores"].as_object().unwrap();
        assert_eq!(scores.len(), 10);
        for (id, v) in scores {
            assert_eq!(
                rec[col(&format!("theme_scores_{id}"))]
                    .parse::<f64>()
                    .unwrap(),
                v.as_f64().unwrap(),
                "{id}"
            );
        }
    }
    // The default model is compiled in: the same scores from a directory without models/ (an installed imr).
    let elsewhere = tempdir("elsewhere");
    let o = imr_in(
        &elsewhere,
        &[
            "predict",
            "--json",
            root().join("data/letters").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let p = |rows: &[serde_json::Value]| {
        rows.iter()
            .map(|r| r["p_overturned"].as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(p(&json_lines(&stdout(&o))), p(&rows));
}

#[test]
fn evaluate_reports_summary_json() {
    let Some(c) = corpus("evaluate_reports_summary_json") else {
        return;
    };
    let pdf = c.join("dwc/pdf");
    let gold = c.join("dwc/gold/items.jsonl");
    let plots = tempdir("plots-cv");
    let oof = plots.join("oof.jsonl");
    let o = imr(&[
        "evaluate",
        "--data",
        pdf.to_str().unwrap(),
        "--gold",
        gold.to_str().unwrap(),
        "--folds",
        "3",
        "--repeats",
        "1",
        "--json",
        "--plots",
        plots.to_str().unwrap(),
        "--oof",
        oof.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in ["roc", "pr", "calibration", "confusion", "theme_f1"] {
        assert_plot(&plots, name);
    }
    let lines = json_lines(&stdout(&o));
    assert_eq!(lines.len(), 4);
    let s = lines.last().unwrap();
    assert_eq!(s["type"], "summary");
    for k in ["roc_auc", "pr_auc", "f1"] {
        assert!(s["outcome"][k].as_f64().unwrap() > 0.5, "{k}");
    }
    assert!(s["themes"]["micro_f1"].as_f64().unwrap() > 0.3);
    assert!(s["themes"]["macro_f1"].as_f64().is_some());
    // Per theme: precision, recall and F1 with their sd, and the gold items (each corpus item once).
    let per = s["per_theme"].as_object().unwrap();
    assert_eq!(per.len(), 10);
    for t in per.values() {
        for k in [
            "precision",
            "precision_sd",
            "recall",
            "recall_sd",
            "f1",
            "f1_sd",
        ] {
            assert!((0.0..=1.0).contains(&t[k].as_f64().unwrap()), "{k}: {t}");
        }
    }
    let gold_themes: u64 = per.values().map(|t| t["support"].as_u64().unwrap()).sum();
    assert!(gold_themes >= 344, "{gold_themes}");
    // Every item once, with its fold, its themes and every theme's score; assigned themes come from the scores.
    let rows = json_lines(&std::fs::read_to_string(&oof).unwrap());
    assert_eq!(rows.len(), 344);
    let keys: std::collections::BTreeSet<String> = rows
        .iter()
        .map(|r| format!("{} {}", r["case_number"], r["item"]))
        .collect();
    assert_eq!(keys.len(), rows.len());
    for r in &rows {
        assert!((1..=3).contains(&r["fold"].as_u64().unwrap()));
        let scores = r["theme_scores"].as_object().unwrap();
        assert_eq!(scores.len(), 10);
        assert!(scores
            .values()
            .all(|p| (0.0..=1.0).contains(&p.as_f64().unwrap())));
        let themes = r["themes"].as_array().unwrap();
        assert!(
            !themes.is_empty()
                && themes
                    .iter()
                    .all(|t| scores.contains_key(t.as_str().unwrap()))
        );
        assert_eq!(
            r["decision"] == "Overturned",
            themes == &vec![serde_json::json!("criteria_met")]
        );
    }
    // Each fold model's own decision: one threshold per fold (no higher P(Overturned) Upheld where a lower one is
    // Overturned), and the verdict-reading view finds most Overturned items.
    let over = |r: &serde_json::Value| r["predicted"] == "Overturned";
    for a in &rows {
        assert!(a["predicted"] == "Upheld" || over(a), "{}", a["predicted"]);
        for b in rows
            .iter()
            .filter(|b| b["fold"] == a["fold"] && over(b) && !over(a))
        {
            assert!(a["p_overturned"].as_f64().unwrap() < b["p_overturned"].as_f64().unwrap());
        }
    }
    let found = rows
        .iter()
        .filter(|r| r["decision"] == "Overturned" && over(r))
        .count();
    assert!(
        found * 2
            > rows
                .iter()
                .filter(|r| r["decision"] == "Overturned")
                .count(),
        "{found}"
    );
}

/// Checks that `dir` holds `name`.svg (well-formed XML, an <svg> root with text) and `name`.png (decodes, 800x600,
/// more than one colour).
fn assert_plot(dir: &std::path::Path, name: &str) {
    let svg = std::fs::read_to_string(dir.join(format!("{name}.svg")))
        .unwrap_or_else(|e| panic!("{name}.svg: {e}"));
    let doc =
        roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}.svg is not XML: {e}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg", "{name}.svg");
    assert!(
        doc.descendants().any(|n| n.tag_name().name() == "text"),
        "{name}.svg has no text"
    );
    let bytes = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
    let (w, h, pixels) = read_png(&bytes).unwrap_or_else(|e| panic!("{name}.png: {e}"));
    assert_eq!((w, h), (800, 600), "{name}.png");
    assert!(
        pixels.iter().any(|p| *p != pixels[0]),
        "{name}.png is blank"
    );
}

#[test]
fn evaluate_model_writes_plots() {
    let dir = tempdir("plots-model");
    let o = imr(&[
        "evaluate",
        "--model",
        "models/default.json",
        "--data",
        "data/letters",
        "--plots",
        dir.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in ["roc", "pr", "calibration", "confusion"] {
        assert_plot(&dir, name);
    }
    // The sample letters have no gold themes: no theme chart.
    assert!(!dir.join("theme_f1.svg").exists());
    // A plot that cannot be written costs that plot, said with those written before it: the
    // report is printed all the same.
    let blocked = tempdir("plots-blocked");
    std::fs::create_dir_all(blocked.join("calibration.svg")).unwrap();
    let b = imr(&[
        "evaluate",
        "--model",
        "models/default.json",
        "--data",
        "data/letters",
        "--json",
        "--plots",
        blocked.to_str().unwrap(),
    ]);
    assert_eq!(b.status.code(), Some(2), "{}", stderr(&b));
    assert_eq!(json_lines(&stdout(&b)).len(), 1, "the report");
    assert!(
        stderr(&b).contains(
            "calibration.svg: is a directory; give the name of a file to write; the plots \
             written before it are this run's (roc.svg, roc.png, pr.svg, pr.png)"
        ),
        "{}",
        stderr(&b)
    );
    // The same metrics as cross-validation, as one JSON summary line.
    let oj = imr(&[
        "evaluate",
        "--model",
        "models/default.json",
        "--data",
        "data/letters",
        "--json",
    ]);
    assert!(oj.status.success(), "{}", stderr(&oj));
    // The sample letters are among the default model's training letters, which it lists.
    let warning = "warning: 5 of the 5 letters were among the model's training letters";
    assert!(stderr(&oj).contains(warning), "{}", stderr(&oj));
    let lines = json_lines(&stdout(&oj));
    assert_eq!(lines.len(), 1);
    assert!(lines[0]["training_overlap"].is_string());
    // A letter it was not trained on (a sample's text under another case number): no warning.
    let other = flipped_letter(&dir);
    let unseen = imr(&[
        "evaluate",
        "--model",
        "models/default.json",
        "--data",
        other.to_str().unwrap(),
        "--json",
    ]);
    assert!(unseen.status.success(), "{}", stderr(&unseen));
    assert!(!stderr(&unseen).contains("warning"), "{}", stderr(&unseen));
    assert!(json_lines(&stdout(&unseen))[0]["training_overlap"].is_null());
    // The built-in case model keeps its training letters as precedents, the samples among them.
    let case = imr(&["evaluate", "--model", "case", "--data", "data/letters"]);
    assert!(
        stderr(&case).contains("5 of the 5 letters were among the model's training letters"),
        "{}",
        stderr(&case)
    );
    let s = &lines[0];
    assert_eq!(
        (s["type"].as_str(), s["items"].as_u64()),
        (Some("summary"), Some(12))
    );
    for k in [
        "roc_auc",
        "pr_auc",
        "f1",
        "brier",
        "log_loss",
        "balanced_accuracy",
    ] {
        let v = s["outcome"][k]
            .as_f64()
            .unwrap_or_else(|| panic!("{k} missing"));
        assert!((0.0..=20.0).contains(&v), "{k} = {v}");
    }
    let cm = s["confusion"].as_array().unwrap();
    let total: u64 = cm
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 12);
    assert!(stderr(&o).contains("wrote 8 plots"), "{}", stderr(&o));
    // A plots path that is a file is a clear error, not a panic.
    let file = write(&dir, "not-a-dir", b"x");
    let o = imr(&[
        "evaluate",
        "--model",
        "models/default.json",
        "--data",
        "data/letters",
        "--plots",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not-a-dir"), "{}", stderr(&o));
}

/// TF-IDF and logistic regression against scikit-learn's numbers (tests/fixtures/sklearn_tfidf.json, written by
/// scripts/sklearn_reference.py on the same documents and token lists).
#[test]
fn sklearn_reference() {
    use imr::features::{DocFreq, Norm, TermCounts, TfIdfParams};
    use imr::model::{Csr, LogisticParams};
    use linfa::prelude::*;

    let fixture: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sklearn_tfidf.json")).unwrap(),
    )
    .unwrap();
    let files = imr::parse::discover(&[root().join("data/letters")]).unwrap();
    let letters: Vec<imr::Letter> = imr::parse::read_letters(&files, || {})
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    let items: Vec<&imr::DisputedItem> = letters.iter().flat_map(|l| &l.items).collect();
    let re = regex::Regex::new("[a-z0-9]+").unwrap();
    let mut counts = TermCounts::new();
    for it in &items {
        let lower = it.rationale.to_lowercase();
        counts.push(re.find_iter(&lower).map(|m| m.as_str().to_string()));
    }
    assert_eq!(fixture["documents"], items.len());
    for (name, set) in fixture["option_sets"].as_object().unwrap() {
        let o = &set["options"];
        let mut p = TfIdfParams::new();
        if let Some(v) = o.get("sublinear_tf") {
            p = p.sublinear_tf(v.as_bool().unwrap())
        }
        if let Some(v) = o.get("smooth_idf") {
            p = p.smooth_idf(v.as_bool().unwrap())
        }
        if let Some(v) = o.get("min_df") {
            p = p.min_df(DocFreq::Count(v.as_u64().unwrap() as usize))
        }
        if let Some(v) = o.get("max_df") {
            p = p.max_df(DocFreq::Fraction(v.as_f64().unwrap()))
        }
        if let Some(v) = o.get("norm") {
            assert!(v.is_null());
            p = p.norm(Norm::None)
        }
        if let Some(v) = o.get("max_features") {
            p = p.max_features(Some(v.as_u64().unwrap() as usize))
        }
        let (t, x) = p.check().unwrap().fit_transform(&counts).unwrap();
        let vocab: Vec<String> = set["vocabulary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(t.vocabulary(), vocab.as_slice(), "{name}: vocabulary");
        for (a, b) in t.idf().iter().zip(set["idf"].as_array().unwrap()) {
            assert!((a - b.as_f64().unwrap()).abs() < 1e-9, "{name}: idf");
        }
        let mut ours: Vec<(usize, usize, f64)> = x
            .iter()
            .map(|(v, (r, c))| (r as usize, c as usize, *v))
            .collect();
        ours.sort_by_key(|e| (e.0, e.1));
        let theirs = set["entries"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len(), "{name}: non-zeros");
        for ((r, c, v), e) in ours.iter().zip(theirs) {
            assert_eq!(
                (*r as u64, *c as u64),
                (e[0].as_u64().unwrap(), e[1].as_u64().unwrap()),
                "{name}"
            );
            assert!(
                (v - e[2].as_f64().unwrap()).abs() < 1e-9,
                "{name}: value at ({r}, {c})"
            );
        }
        if name == "default" {
            let lr = &fixture["logistic"];
            let y: Vec<bool> = lr["y"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64() == Some(1))
                .collect();
            let m = LogisticParams::new()
                .c(lr["C"].as_f64().unwrap())
                .tolerance(1e-10)
                .max_iterations(2_000)
                .check()
                .unwrap()
                .fit(&DatasetBase::new(Csr(x.clone()), ndarray::Array1::from(y)))
                .unwrap();
            for (a, b) in m
                .coefficients
                .iter()
                .zip(lr["coefficients"].as_array().unwrap())
            {
                assert!(
                    (a - b.as_f64().unwrap()).abs() < 1e-4,
                    "logistic coefficient {a} vs {b}"
                );
            }
            assert!((m.intercept - lr["intercept"].as_f64().unwrap()).abs() < 1e-4);
        }
    }
    // The outcome calibration against scikit-learn's sigmoid calibration of the same margins.
    let platt = &fixture["platt"];
    let margins: Vec<f64> = platt["margins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let labels: Vec<bool> = platt["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    let p = imr::model::Platt::fit(&margins, &labels).unwrap().unwrap();
    assert!(
        (p.slope - platt["slope"].as_f64().unwrap()).abs() < 1e-4,
        "slope {} vs {}",
        p.slope,
        platt["slope"]
    );
    assert!(
        (p.intercept - platt["intercept"].as_f64().unwrap()).abs() < 1e-4,
        "intercept {} vs {}",
        p.intercept,
        platt["intercept"]
    );
}

#[test]
fn pdf_letters_parse_and_encrypted_pdfs_are_reported() {
    let d = tempdir("pdf");
    let letter = [
        "Case Number: CM99-0000001",
        "Date Assigned: 11/09/2016 Date of Injury: 10/13/2016",
        "Decision Date: 12/09/2016 UR Denial Date: 11/03/2016",
        "Priority: Standard Application",
        "Received: 11/03/2016",
        "",
        "HOW THE IMR FINAL DETERMINATION WAS MADE",
        "The Expert Reviewer has the following credentials:",
        "State(s) of Licensure: California",
        "Certification(s)/Specialty: Family Practice",
        "",
        "CLINICAL CASE SUMMARY",
        "The injured worker is a 48 year old male with neck pain.",
        "",
        "IMR ISSUES, DECISIONS AND RATIONALES",
        "Norco 10/325mg #60 was the original request. Norco 10/325mg #25 was",
        "authorized by the Claims Administrator. The remaining IMR eligible portion of",
        "the original request, Norco 10/325mg #35 is: Upheld",
        "",
        "Claims Administrator guideline: Decision based on MTUS.",
        "",
        "MAXIMUS guideline: Decision based on MTUS Opioids.",
        "",
        "Decision rationale: There is no documentation of functional improvement. The",
        "request is not medically necessary.",
    ];
    let pdf = write(&d, "letter.pdf", &hostile::text_pdf(&letter));
    // A line before the header (a mail gateway's), which PDF readers pass over: the same letter.
    let prefixed = [&b"\r\n"[..], &hostile::text_pdf(&letter)].concat();
    write(&d, "prefixed.pdf", &prefixed);
    std::fs::copy(
        root().join("tests/fixtures/encrypted-pdf.bin"),
        d.join("encrypted.pdf"),
    )
    .unwrap();
    let o = imr(&["parse", "--json", d.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("encrypted.pdf") && err.contains("encrypted"),
        "{err}"
    );
    let lines = json_lines(&stdout(&o));
    let l = &lines[0];
    assert_eq!(l["source"], pdf.to_str().unwrap());
    assert_eq!((&lines[1]["items"], lines.len()), (&l["items"], 2));
    assert_eq!(l["case_number"], "CM99-0000001");
    assert_eq!(l["application_received"], "2016-11-03");
    assert_eq!(
        l["reviewer"]["specialty"],
        serde_json::json!(["Family Practice"])
    );
    let it = &l["items"][0];
    assert_eq!(it["title"], "Norco 10/325mg #35");
    assert_eq!(it["original_request"], "Norco 10/325mg #60");
    assert_eq!(it["authorized"], "Norco 10/325mg #25");
    assert_eq!(it["decision"], "Upheld");
    assert_eq!(it["rationale"], "There is no documentation of functional improvement. The request is not medically necessary.");
}

/// Letters that hold one decision only: the ranking metrics are undefined (null, "-"), and so are
/// balanced accuracy and macro-F1 (the mean over both classes), where scikit-learn's 1.0 averages
/// the one class present.
#[test]
fn evaluate_model_on_one_decision_only() {
    let d = tempdir("upheld");
    for f in ["000_8fd8bbed53d6ca0b.txt", "001_bc98761382c404e6.txt"] {
        std::fs::copy(root().join("data/letters").join(f), d.join(f)).unwrap();
    }
    let o = imr(&[
        "evaluate",
        "--model",
        "models/default.json",
        "--data",
        d.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = &json_lines(&stdout(&o))[0]["outcome"];
    assert!(s["roc_auc"].is_null() && s["pr_auc"].is_null(), "{s}");
    assert!(
        s["balanced_accuracy"].is_null() && s["macro_f1"].is_null(),
        "{s}"
    );
    assert_eq!(s["accuracy"].as_f64(), Some(1.0), "{s}");
    let plots = d.join("plots");
    let o = imr(&[
        "evaluate",
        "--model",
        "models/default.json",
        "--data",
        d.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
    ]);
    let table = stdout(&o);
    assert!(
        table
            .lines()
            .any(|l| l.trim_start().starts_with("roc_auc") && l.contains("undefined")),
        "{table}"
    );
    // No ROC or PR curve to draw: those plots are left out, and that is said; the others are written.
    assert!(
        stderr(&o).contains("no ROC or precision-recall curve"),
        "{}",
        stderr(&o)
    );
    assert!(!plots.join("roc.svg").exists() && !plots.join("pr.png").exists());
    assert_plot(&plots, "calibration");
}

/// Where results go is checked before any data is read or model fitted: these fail on --out / --oof / --plots
/// although --data does not exist, which would otherwise be the first error.
#[test]
fn bad_output_paths_are_errors_before_the_work() {
    let d = tempdir("outputs");
    let file = write(&d, "a-file", b"x");
    let dir = d.to_str().unwrap();
    let under_file = file.join("sub/m.json").display().to_string();
    for (args, what) in [
        (
            vec!["train", "--data", "no/such", "--out", dir],
            "is a directory; give the name of a file to write",
        ),
        (
            vec!["evaluate", "--data", "no/such", "--oof", dir],
            "is a directory; give the name of a file to write",
        ),
        (
            vec!["train", "--data", "no/such", "--out", &under_file],
            "a-file: cannot write: not a directory",
        ),
        // `-` reads stdin where a file is read; here it would make a file named `-`.
        (
            vec!["train", "--data", "no/such", "--out", "-"],
            "-: stdin or stdout, not a file to write",
        ),
        (
            vec!["evaluate", "--data", "no/such", "--oof", "-"],
            "-: stdin or stdout, not a file to write",
        ),
        (
            vec!["index", "data/letters", "--db", "-"],
            "-: stdin or stdout, not a database file",
        ),
        (
            vec![
                "evaluate",
                "--data",
                "no/such",
                "--plots",
                file.to_str().unwrap(),
            ],
            "cannot write plots there",
        ),
    ] {
        let o = imr(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains(what) && !stderr(&o).contains("no/such"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // A model file's directories are made.
    let deep = d.join("new/dir/m.json");
    let flipped = flipped_letter(&d);
    let o = imr(&[
        "train",
        "--data",
        "data/letters",
        flipped.to_str().unwrap(),
        "--cv-folds",
        "0",
        "--out",
        deep.to_str().unwrap(),
    ]);
    assert!(o.status.success() && deep.is_file(), "{}", stderr(&o));
}

/// Two `imr train --out X` at once both succeed, and X is one whole model of theirs; a killed run's stale
/// temporary file beside X is removed.
#[test]
fn concurrent_trains_each_write_a_whole_model() {
    let d = tempdir("concurrent");
    let flipped = flipped_letter(&d);
    let train = |date: &str, out: &std::path::Path| {
        let args = [
            "train",
            "--data",
            "data/letters",
            flipped.to_str().unwrap(),
            "--cv-folds",
            "0",
            "--date",
            date,
            "--out",
            out.to_str().unwrap(),
        ];
        std::process::Command::new(crate::util::bin())
            .args(args)
            .current_dir(root())
            .output()
            .unwrap()
    };
    let dates = ["2026-01-01", "2026-01-02"];
    let alone: Vec<Vec<u8>> = dates
        .iter()
        .map(|date| {
            let out = d.join(format!("{date}.json"));
            assert!(train(date, &out).status.success());
            std::fs::read(&out).unwrap()
        })
        .collect();
    assert_ne!(alone[0], alone[1], "the dates make the two models differ");
    let stale = write(
        &d,
        &format!("{}killed.tmp", imr::output::TEMP_PREFIX),
        b"half a model",
    );
    let f = std::fs::File::options().write(true).open(&stale).unwrap();
    f.set_modified(std::time::SystemTime::now() - imr::output::STALE * 2)
        .unwrap();
    let x = d.join("x.json");
    for _ in 0..3 {
        let runs: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = dates
                .iter()
                .map(|date| s.spawn(|| train(date, &x)))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for o in &runs {
            assert!(o.status.success(), "{}", stderr(o));
            assert!(
                stderr(o).contains(&format!("wrote {}", x.display())),
                "{}",
                stderr(o)
            );
        }
        let got = std::fs::read(&x).unwrap();
        assert!(
            got == alone[0] || got == alone[1],
            "x.json is neither run's model"
        );
    }
    assert!(!stale.exists(), "a stale temporary file is removed");
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".imr-tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `evaluate --oof F` that fails after its path check leaves an existing F as it was (it used to be emptied).
#[test]
fn a_failed_evaluate_leaves_its_oof_file() {
    let d = tempdir("oof-kept");
    let oof = write(&d, "oof.jsonl", b"{\"earlier\": true}\n");
    // Six folds of five letters: an error after the output checks and the reading of the letters.
    let o = imr(&[
        "evaluate",
        "--data",
        "data/letters",
        "--folds",
        "6",
        "--oof",
        oof.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read(&oof).unwrap(), b"{\"earlier\": true}\n");
    assert_eq!(
        std::fs::read_dir(&d).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// Counts out of their documented range are usage errors (exit 2) that say the range, before any work: an
/// absurd --repeats used to run until memory ran out. A params file cannot get past the same bounds.
#[test]
fn absurd_counts_are_usage_errors() {
    for (args, what) in [
        (
            vec![
                "evaluate",
                "--data",
                "data/letters",
                "--repeats",
                "18446744073709551615",
            ],
            "is not in 1..=1000",
        ),
        (
            vec!["evaluate", "--data", "data/letters", "--repeats", "0"],
            "is not in 1..=1000",
        ),
        (
            vec!["evaluate", "--data", "data/letters", "--folds", "1"],
            "is not in 2..=100",
        ),
        (
            vec!["evaluate", "--data", "data/letters", "--folds", "101"],
            "is not in 2..=100",
        ),
        (
            vec!["train", "--data", "data/letters"],
            "the following required arguments were not provided:\n  --out <FILE>",
        ),
        (
            vec!["train", "--data", "data/letters", "--cv-folds", "1"],
            "must be 0 (no cross-validation) or 2 to 100",
        ),
        (
            vec!["train", "--data", "data/letters", "--cv-folds", "1000"],
            "must be 0 (no cross-validation) or 2 to 100",
        ),
        (
            vec!["predict", "--top", "1001", "--text", "x"],
            "is not in 0..=1000",
        ),
        (vec!["inspect", "--top", "99999999999999999999"], "--top"),
        (vec!["-j", "100000", "inspect"], "--threads"),
    ] {
        let o = imr(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(what), "{args:?}: {}", stderr(&o));
    }
    let help = stdout(&imr(&["evaluate", "--help"]));
    assert!(
        help.contains("2 to 100") && help.contains("1 to 1000"),
        "{help}"
    );
    let d = tempdir("bounds");
    let p = write(&d, "p.json", br#"{"outcome": {"calibration_folds": 1000}}"#);
    let o = imr(&[
        "evaluate",
        "--data",
        "data/letters",
        "--params",
        p.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("calibration_folds = 1000: must be 0 (no calibration) or 2 to 100"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn params_file_changes_what_it_names_and_nothing_else() {
    let d = tempdir("params");
    let flipped = flipped_letter(&d);
    let train = |out: &std::path::Path, extra: &[&str]| {
        let base = [
            "train",
            "--data",
            "data/letters",
            flipped.to_str().unwrap(),
            "--cv-folds",
            "0",
            "--date",
            "2026-01-02",
            "--out",
            out.to_str().unwrap(),
        ];
        let o = imr(&[&base[..], extra].concat());
        assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
        std::fs::read(out).unwrap()
    };
    // Every setting written out by `imr params` and read back: the same model file.
    let o = imr(&["params"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = write(&d, "all.json", stdout(&o).as_bytes());
    let shipped = train(&d.join("shipped.json"), &[]);
    assert_eq!(
        train(
            &d.join("all.json.model"),
            &["--params", all.to_str().unwrap()]
        ),
        shipped
    );
    // One change: the model file records it, and the coefficients move.
    let c1 = write(&d, "c1.json", br#"{"outcome": {"logistic": {"c": 1}}}"#);
    let m: serde_json::Value = serde_json::from_slice(&train(
        &d.join("c1.model"),
        &["--params", c1.to_str().unwrap()],
    ))
    .unwrap();
    let s: serde_json::Value = serde_json::from_slice(&shipped).unwrap();
    assert_eq!(m["metadata"]["params"]["outcome"]["logistic"]["c"], 1.0);
    assert_eq!(s["metadata"]["params"]["outcome"]["logistic"]["c"], 10.0);
    assert_ne!(m["outcome"]["logistic"], s["outcome"]["logistic"]);
    assert_eq!(m["outcome"]["tfidf"], s["outcome"]["tfidf"]);
    // The model's recorded settings carry the change and train the same file again.
    let o = imr(&[
        "inspect",
        "--model",
        d.join("c1.model").to_str().unwrap(),
        "--settings",
    ]);
    let recorded = write(&d, "recorded.json", stdout(&o).as_bytes());
    assert!(stdout(&o).contains("\"c\": 1.0"), "{}", stdout(&o));
    assert_eq!(
        train(
            &d.join("recorded.model"),
            &["--params", recorded.to_str().unwrap()]
        ),
        std::fs::read(d.join("c1.model")).unwrap()
    );
    assert_eq!(
        stdout(&imr(&["inspect", "--settings"])),
        stdout(&imr(&["params"])),
        "the built-in model: the shipped settings"
    );
    // Cross-validation with the settings says which they were.
    let cv = [
        "evaluate",
        "--data",
        "data/letters",
        flipped.to_str().unwrap(),
        "--folds",
        "2",
        "--repeats",
        "1",
        "--params",
        c1.to_str().unwrap(),
    ];
    let o = imr(&[&cv[..], &["--json"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        json_lines(&stdout(&o)).last().unwrap()["params"],
        c1.to_str().unwrap()
    );
    assert!(stdout(&imr(&cv))
        .lines()
        .next()
        .unwrap()
        .ends_with(&format!("view rationale, settings {}", c1.display())));
    // A file that is no JSON is said to be none.
    let junk = write(&d, "junk.json", b"C = 1");
    let o = imr(&["params", "--params", junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("junk.json: not valid JSON ("),
        "{}",
        stderr(&o)
    );
    // `imr params` shows a file merged over the shipped settings.
    let o = imr(&["params", "--params", c1.to_str().unwrap(), "--view", "case"]);
    let shown: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        (
            shown["outcome"]["view"].as_str(),
            shown["outcome"]["logistic"]["c"].as_f64()
        ),
        (Some("case"), Some(1.0))
    );
    // Under the change, the case view's own defaults: IDF on (written only when off).
    assert_ne!(shown["outcome"]["tfidf"]["use_idf"], false);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stdout(&imr(&["params"]))).unwrap()["outcome"]
            ["tfidf"]["use_idf"],
        false
    );
    // A bad file is an error naming the file and the setting, before any letter is read.
    let typo = write(&d, "typo.json", br#"{"themes": {"logistic": {"cc": 3}}}"#);
    let bad = write(&d, "bad.json", br#"{"themes": {"threshold_shrink": 2}}"#);
    let case = write(
        &d,
        "case.json",
        br#"{"outcome": {"view": "case", "features": {"fields": ["summary", "rationale"]}}}"#,
    );
    for (cmd, file, what) in [
        ("train", &typo, "typo.json: themes.logistic.cc: unknown field `cc`, expected one of `c`"),
        ("evaluate", &bad, "bad.json: themes.threshold_shrink: invalid parameter threshold_shrink = 2: must be in [0, 1]"),
        ("evaluate", &case, "case.json: outcome.features.fields: invalid parameter fields = rationale: the case view must not see the rationale"),
    ] {
        let out: &[&str] = if cmd == "train" { &["--out", "x.json"] } else { &[] };
        let o = imr(&[&[cmd, "--data", "no/such", "--params", file.to_str().unwrap()], out].concat());
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        assert!(stderr(&o).contains(what) && !stderr(&o).contains("no/such"), "{cmd}: {}", stderr(&o));
    }
    let o = imr(&[
        "evaluate",
        "--data",
        "data/letters",
        "--params",
        case.to_str().unwrap(),
        "--view",
        "rationale",
    ]);
    assert!(
        stderr(&o).contains("outcome.view: case here, but the view asked for is rationale"),
        "{}",
        stderr(&o)
    );
    // A trained model's settings are its own: --params does not go with --model.
    let o = imr(&[
        "evaluate",
        "--data",
        "data/letters",
        "--model",
        "models/default.json",
        "--params",
        c1.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

#[test]
fn shell_completions_cover_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = imr(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for word in [
            "parse",
            "train",
            "evaluate",
            "predict",
            "inspect",
            "params",
            "--gold",
            "--settings",
        ] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    assert_eq!(imr(&["completions", "tcsh"]).status.code(), Some(2));
}

/// `imr forecast`: one request from flags, requests from a file, a backtest on letters; nonsense, another
/// language and an empty title get no number but a reason, in every format.
#[test]
fn forecast_gives_ranges_and_base_rates_or_a_reason() {
    // A request's dates are checked: a typo is not taken for a fact.
    let o = imr(&[
        "forecast",
        "--title",
        "MRI",
        "--injury-date",
        "2016-01-01",
        "--ur-date",
        "2015-06-30",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("ur_denial_date 2015-06-30 is before date_of_injury 2016-01-01"),
        "{}",
        stderr(&o)
    );
    let o = imr(&["forecast", "--items", "data/requests.jsonl", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 3);
    for r in &rows {
        let p = r["p_overturned"].as_f64().expect("a score");
        let (lo, hi) = (r["p_low"].as_f64().unwrap(), r["p_high"].as_f64().unwrap());
        assert!(lo <= p && p <= hi && lo < hi, "{r}");
        // The refits' spread is centred on the model's score: a request of a few rare words is
        // not at the range's edge (refits shrink rare words' weights).
        let at = (p - lo) / (hi - lo);
        assert!((0.2..=0.8).contains(&at), "{at}: {r}");
        let rate = &r["category_base_rate"];
        assert_eq!(rate["group"], r["category"], "{r}");
        assert!(rate["rate_low"].as_f64().unwrap() <= rate["rate"].as_f64().unwrap());
    }
    assert_eq!(
        (
            &rows[0]["category"],
            &rows[0]["drug_class"],
            &rows[0]["treatment"]
        ),
        (
            &serde_json::json!("pharmaceuticals"),
            &serde_json::json!("opioids"),
            &serde_json::json!("hydrocodone/acetaminophen")
        )
    );
    assert_eq!(rows[2]["category"], "diagnostic_testing");
    // The table says what "Overturned" in its `predicted` column means (the model's threshold)
    // and how well the model ranks, from the cross-validation run its file keeps.
    let o = imr(&["forecast", "--items", "data/requests.jsonl"]);
    let table = stdout(&o);
    let info = &json_lines(&stdout(&imr(&["inspect", "--model", "case", "--json"])))[0];
    let threshold = info["outcome"]["threshold"].as_f64().unwrap();
    let auc = info["metadata"]["cv"]["pooled"]["roc_auc"]
        .as_f64()
        .unwrap();
    assert!(
        table.contains(&format!("P(Overturned) of {threshold:.3} or more")),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "cross-validated ROC-AUC {auc:.2} (pooled out-of-fold) on "
        )),
        "{table}"
    );
    // A title of which neither the model nor the treatment rules know a word gets no number,
    // whatever its summary: the number would be the summary's. A title the rules read, though
    // rarer than the model's vocabulary floor, is scored.
    let summary = "The injured worker is a 50 year old male with low back pain, on opioids, with \
                   no functional improvement documented.";
    let forecast = |title: &str| {
        let o = imr_stdin(
            &["forecast", "--title", title, "--summary", "-", "--json"],
            summary.as_bytes(),
        );
        json_lines(&stdout(&o)).remove(0)
    };
    let r = forecast("asdf qwer zxcv");
    assert_eq!(r["abstention"], "unknown title", "{r}");
    assert!(r["p_overturned"].is_null(), "{r}");
    for title in ["Norco 10/325mg #120", "Flexeril 10mg #60"] {
        let r = forecast(title);
        assert!(r["p_overturned"].is_f64(), "{r}");
    }
    // A request the model cannot score says what to give it, as the web page does.
    let o = imr(&["forecast", "--title", "Norco"]);
    let table = stdout(&o);
    assert!(table.contains("no score: too little text"), "{table}");
    assert!(
        table.contains("Give more of the request: the clinical summary"),
        "{table}"
    );
    // A request with a case number of its own is a request too.
    let o = imr_stdin(
        &["forecast", "--items", "-"],
        b"{\"case_number\": \"REQ-9\", \"title\": \"Norco\"}\n",
    );
    assert!(
        stdout(&o).contains("Give more of the request"),
        "{}",
        stdout(&o)
    );
    // The names of forecast's options and of the web API are taken as the file's own; an age
    // the options refuse is said and read as unknown.
    let line = |fields: &str| format!("{{\"title\": \"Norco 10/325mg #60\", {fields}}}\n");
    let summary = "The injured worker has chronic low back pain with no documentation of \
                   functional improvement, rated 7/10, despite months of hydrocodone.";
    let guideline = "MTUS Chronic Pain Medical Treatment Guidelines, Opioids, criteria for use";
    let input = [
        line(&format!("\"clinical_summary\": \"{summary}\"")),
        line(&format!("\"summary\": \"{summary}\"")),
        line(&format!(
            "\"claims_administrator_guideline\": \"{guideline}\""
        )),
        line(&format!("\"guideline\": \"{guideline}\"")),
        line(&format!("\"summary\": \"{summary}\", \"age\": 5")),
        line("\"patient\": {\"age\": 300}"),
        line("\"age\": 52"),
    ]
    .concat();
    let o = imr_stdin(&["forecast", "--items", "-", "--json"], input.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("stdin:5: age: 5 is outside 14 to 110"),
        "{err}"
    );
    assert!(
        err.contains("stdin:6: age: 300 is outside 14 to 110"),
        "{err}"
    );
    assert!(!err.contains("stdin:7"), "{err}");
    assert!(!err.contains("not one imr reads"), "{err}");
    let rows = json_lines(&stdout(&o));
    let known = |i: usize| rows[i]["known_terms"].as_u64().unwrap();
    assert_eq!((known(0), known(2)), (known(1), known(3)));
    assert!(known(0) > known(6) && known(2) > known(6), "{rows:?}");
    // A misspelt field is named, once, with the name it is nearest to; the row is still read.
    let input =
        "{\"title\": \"Norco\", \"titel\": \"x\", \"clinical_sumary\": \"pain\", \"zz\": 1}\n"
            .repeat(2);
    let o = imr_stdin(&["forecast", "--items", "-", "--json"], input.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    for note in [
        "stdin:1: field `titel` is not one imr reads; ignored (did you mean `title`?)",
        "stdin:1: field `clinical_sumary` is not one imr reads; ignored (did you mean \
         `clinical_summary`?)",
        "stdin:1: field `zz` is not one imr reads; ignored\n",
    ] {
        assert!(err.contains(note), "{note}: {err}");
    }
    assert!(!err.contains("stdin:2"), "{err}");
    assert_eq!(json_lines(&stdout(&o)).len(), 2);
    // A letter of `imr parse --json` given as items: the command that writes items is named.
    let letter = stdout(&imr(&[
        "parse",
        "--json",
        "data/letters/000_8fd8bbed53d6ca0b.txt",
    ]));
    let o = imr_stdin(&["predict", "--items", "-", "--json"], letter.as_bytes());
    assert!(
        stderr(&o).contains(
            "field `items` is not one imr reads; ignored (a letter of `imr parse \
             --json`? `imr parse --items` writes one item a line)"
        ),
        "{}",
        stderr(&o)
    );
    for title in [
        "zzz qqq xkcd",
        // Numbers and quantities alone say nothing of a treatment.
        "1 2 3 4 5 6 7 8 9 10",
        "xyzzy #60 #90",
        "Resonancia magnética de la rodilla derecha",
        "",
    ] {
        for format in ["--json", "--csv", "--top=5"] {
            let o = imr(&["forecast", "--title", title, format]);
            assert!(o.status.success(), "{title:?}: {}", stderr(&o));
            let out = stdout(&o);
            match format {
                "--json" => {
                    let r = &json_lines(&out)[0];
                    assert!(
                        r["p_overturned"].is_null() && r["predicted"].is_null(),
                        "{r}"
                    );
                    let reason = r["abstention"].as_str().unwrap();
                    assert!(
                        [
                            "no known terms",
                            "no text",
                            "no title",
                            "unknown title",
                            "unfamiliar words"
                        ]
                        .contains(&reason),
                        "{r}"
                    );
                }
                "--csv" => {
                    let row = out.lines().nth(1).unwrap();
                    assert!(
                        [
                            ",,,,,no known terms,",
                            ",,,,,no text,",
                            ",,,,,no title,",
                            ",,,,,unknown title,",
                            ",,,,,unfamiliar words,",
                        ]
                        .iter()
                        .any(|r| row.contains(r)),
                        "{row}"
                    );
                }
                _ => assert!(out.contains("  ?  ") && out.contains("no score: "), "{out}"),
            }
        }
    }
    // A title of spaces is none: no title, said in its row alone.
    let o = imr_stdin(
        &["forecast", "--items", "-", "--json"],
        b"{\"title\": \"   \"}\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = &json_lines(&stdout(&o))[0];
    assert!(r["abstention"] == "no title" && r["title"].is_null(), "{r}");
    assert!(!stderr(&o).contains("nothing for"), "{}", stderr(&o));
    // A request in another language, or of made-up words, with a summary: its few shared words
    // and numbers are no reading. A request without a title has nothing to forecast.
    let spanish = "El trabajador lesionado es un hombre de 52 años que sufrió una lesión lumbar \
                   el 3 de marzo de 2015. Se queja de dolor lumbar crónico irradiado a la pierna \
                   izquierda. Se solicita una resonancia magnética de la columna lumbar.";
    let french = "Le travailleur blessé est un homme de 52 ans qui s'est blessé au dos le 3 mars \
                  2015. Il se plaint de douleurs lombaires chroniques. Une IRM de la colonne \
                  lombaire est demandée.";
    let made_up = "blorf quexing 2016 zarvit left plomb 12 dravish kelm sorvat mib tronquel";
    for (title, summary, reason) in [
        (
            "Resonancia magnética de la columna lumbar",
            spanish,
            "unfamiliar words",
        ),
        ("IRM de la colonne lombaire", french, "unfamiliar words"),
        ("zarvit plomb", made_up, "unfamiliar words"),
        // A long title alone, one word of it known: another language, not too little text.
        (
            "Resonancia magnética de la columna lumbar sin contraste para la paciente",
            "",
            "unfamiliar words",
        ),
        ("", spanish, "no title"),
        (
            "  ",
            "Chronic low back pain with radiation to the left leg.",
            "no title",
        ),
    ] {
        let o = imr_stdin(
            &["forecast", "--title", title, "--summary", "-", "--json"],
            summary.as_bytes(),
        );
        assert!(o.status.success(), "{title:?}: {}", stderr(&o));
        let r = &json_lines(&stdout(&o))[0];
        assert!(r["p_overturned"].is_null() && r["p_low"].is_null(), "{r}");
        assert_eq!(r["abstention"], reason, "{r}");
    }
    // Scored with the rationale model, the themes are not read either.
    let o = imr(&["predict", "--text", spanish, "--json"]);
    let r = &json_lines(&stdout(&o))[0];
    assert_eq!(r["abstention"], "unfamiliar words", "{r}");
    assert_eq!(r["themes"], serde_json::json!([]), "{r}");
    let scores = r["theme_scores"].as_object().unwrap();
    assert!(
        !scores.is_empty() && scores.values().all(|v| v.is_null()),
        "{r}"
    );
    let o = imr(&["predict", "--text", spanish, "--csv"]);
    let csv = csv_records(&stdout(&o));
    let at = csv[0]
        .iter()
        .position(|h| h.starts_with("theme_scores_"))
        .unwrap();
    assert_eq!(csv[1][at], "", "{csv:?}");
    // One request from flags: the summary from stdin, the facts given.
    let o = imr_stdin(
        &[
            "forecast",
            "--title",
            "Norco 10/325mg #60",
            "--summary",
            "-",
            "--age",
            "52",
            "--sex",
            "male",
            "--ur-date",
            "2016-11-14",
            "--json",
        ],
        b"The injured worker reports chronic low back pain treated with opioids for months.",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let r = &json_lines(&stdout(&o))[0];
    assert!(r["p_overturned"].as_f64().is_some() && r["known_terms"].as_u64().unwrap() > 5);
    // A summary is read as a text letter is: UTF-16 with a byte order mark gives the same
    // forecast; bytes that are no text are named with their offset.
    let summary = "The injured worker reports chronic low back pain treated with opioids.";
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(summary.encode_utf16().flat_map(u16::to_le_bytes));
    let args = [
        "forecast",
        "--title",
        "Norco 10/325mg #60",
        "--summary",
        "-",
        "--json",
    ];
    let p = |bytes: &[u8]| {
        let o = imr_stdin(&args, bytes);
        assert!(o.status.success(), "{}", stderr(&o));
        json_lines(&stdout(&o))[0]["p_overturned"].clone()
    };
    assert_eq!(p(&utf16), p(summary.as_bytes()));
    let o = imr_stdin(&args, b"caf\xe9 au lait");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--summary: stdin: not UTF-8 text (invalid byte at offset 3)"),
        "{}",
        stderr(&o)
    );
    // Each error of a summary file said one way: the flag, the file, what is wrong.
    let d = tempdir("summary-errors");
    let binary = write(&d, "junk.txt", b"a\0b");
    for (path, said) in [
        (d.join("nope.txt"), "nope.txt: cannot read: "),
        (binary, "junk.txt: binary data, not a text letter"),
        (d.to_path_buf(), "cannot read: "),
    ] {
        let o = imr(&[
            "forecast",
            "--title",
            "MRI",
            "--summary",
            path.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.starts_with("imr: error: --summary: ") && err.contains(said),
            "{err}"
        );
    }
    // A backtest reads the letters' pre-decision parts only: the rationale is none of it.
    let o = imr(&["forecast", "data/letters", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The built-in model was trained on them: said, as no backtest.
    assert!(
        stderr(&o).contains("5 of the 5 letters were among the model's training letters")
            && stderr(&o).contains("not a backtest"),
        "{}",
        stderr(&o)
    );
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 12);
    assert!(rows.iter().all(|r| r["decision"].is_string()
        && r["top_overturned"]
            .as_array()
            .unwrap()
            .iter()
            .chain(r["top_upheld"].as_array().unwrap())
            .all(|t| !t["term"].as_str().unwrap().starts_with("r:"))));
    // One request's flags are refused beside requests given otherwise, not silently dropped.
    // Nor does `imr similar` take the forecast's --top and --similar, which it would not use.
    for (args, says) in [
        (
            &["forecast", "--items", "data/requests.jsonl", "--age", "40"][..],
            "cannot be used with",
        ),
        (
            &["forecast", "data/letters", "--guideline", "MTUS"],
            "cannot be used with",
        ),
        (
            &["similar", "--title", "MRI knee", "--top", "3"],
            "unexpected argument '--top'",
        ),
        // A trained model is scored, not cross-validated: no folds, repeats or seed.
        (
            &[
                "evaluate",
                "--model",
                "case",
                "--data",
                "data/letters",
                "--folds",
                "7",
            ],
            "cannot be used with",
        ),
        (
            &[
                "evaluate",
                "--model",
                "case",
                "--data",
                "data/letters",
                "--seed",
                "3",
            ],
            "cannot be used with",
        ),
        (
            &["similar", "--title", "MRI knee", "--similar", "3"],
            "unexpected argument",
        ),
        // A database to look for past decisions in, without asking for them: said, not ignored.
        (
            &["forecast", "--title", "MRI knee", "--db", "x.db"],
            "--db x.db: the past decisions (--similar K) are looked for there",
        ),
        (&["similar"], "no request: give --title"),
    ] {
        let o = imr(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    // Facts the model does not read are named, not dropped without a word.
    let o = imr(&["forecast", "--title", "MRI knee", "--age", "45", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("reads no structured facts") && stderr(&o).contains("--age left out"),
        "{}",
        stderr(&o)
    );
    // And the facts of `--items` rows, by their fields; rows that give none are scored quietly.
    let rows = b"{\"title\":\"MRI knee\",\"sex\":\"F\",\"age\":44}\n{\"title\":\"Norco\"}\n";
    let o = imr_stdin(&["forecast", "--items", "-", "--json"], rows);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(json_lines(&stdout(&o)).len(), 2);
    assert!(
        stderr(&o).contains("reads no structured facts")
            && stderr(&o).contains("age, sex left out"),
        "{}",
        stderr(&o)
    );
    let o = imr_stdin(&["forecast", "--items", "-"], b"{\"title\":\"Norco\"}\n");
    assert!(!stderr(&o).contains("structured facts"), "{}", stderr(&o));
    // Numbers and booleans as text, as the web API takes them: a body is a line.
    let line = br#"{"title":"PT","age":"45","partly_certified":"true","items_disputed":"2"}"#;
    let o = imr_stdin(&["forecast", "--items", "-", "--json"], line);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("age, items_disputed, partly_certified left out"),
        "{}",
        stderr(&o)
    );
    let o = imr_stdin(
        &["forecast", "--items", "-"],
        br#"{"title":"PT","age":"4x5"}"#,
    );
    assert!(
        stderr(&o).contains("age: \"4x5\": expected a whole number"),
        "{}",
        stderr(&o)
    );
    // A rationale model is no forecaster.
    let o = imr(&["forecast", "--model", "default", "--title", "MRI knee"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("a forecast needs a case-view model"),
        "{}",
        stderr(&o)
    );
}

/// `imr predict --check`: the stated decision beside the verdict-masked reading, flagged where they disagree,
/// with the sentences that pull against the stated decision.
#[test]
fn predict_check_flags_disagreements_with_their_sentences() {
    // A rationale of verdict sentences alone leaves the masked view nothing, and is said so.
    let line = "{\"title\": \"Assistant surgeon\", \"decision\": \"Upheld\", \"rationale\": \
                \"As the requested surgical intervention is not medically necessary, the \
                associated request is not medically necessary.\"}\n";
    let o = imr_stdin(&["predict", "--check", "--items", "-"], line.as_bytes());
    assert!(
        stderr(&o).contains(
            "stdin:1: nothing for the rationale_masked view of the built-in \
             verdict-masked model (models/masked.json) to read: its rationale is only verdict \
             sentences"
        ),
        "{}",
        stderr(&o)
    );
    let o = imr(&[
        "predict",
        "--check",
        "--check-level",
        "0.5",
        "data/letters",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = json_lines(&stdout(&o));
    assert_eq!(rows.len(), 12);
    for r in &rows {
        let c = &r["check"];
        let p = r["p_overturned"].as_f64().unwrap();
        let d = c["disagreement"].as_f64().unwrap();
        let want = if r["decision"] == "Upheld" {
            p
        } else {
            1.0 - p
        };
        assert!((d - want).abs() < 1e-12, "{r}");
        assert_eq!(c["flagged"], d >= 0.5, "{r}");
        for s in c["sentences"].as_array().unwrap() {
            let s = s.as_str().unwrap();
            assert!(
                !s.contains("medically necessary"),
                "a verdict sentence: {s}"
            );
        }
    }
    assert!(rows
        .iter()
        .any(|r| !r["check"]["sentences"].as_array().unwrap().is_empty()));
    // Stated Overturned, read as Upheld by the model's baseline alone (no sentence pulls against
    // it): flagged at 0.5 with a word on where the disagreement comes from; under a higher level,
    // a lean against, not a flag.
    let line = "{\"case_number\":\"CM1\",\"item\":1,\"title\":\"Physical therapy\",\
                \"decision\":\"Overturned\",\"rationale\":\"The patient has pain.\"}\n";
    let check = |level: &str| {
        let args = ["predict", "--check", "--check-level", level, "--items", "-"];
        stdout(&imr_stdin(&args, line.as_bytes()))
    };
    let args = ["predict", "--check", "--items", "-", "--json"];
    let json = json_lines(&stdout(&imr_stdin(&args, line.as_bytes())));
    let d = json[0]["check"]["disagreement"].as_f64().unwrap();
    assert!((0.5..0.95).contains(&d), "{}", json[0]);
    let flagged = check("0.5");
    assert!(
        flagged.contains("check: DISAGREES with the stated decision"),
        "{flagged}"
    );
    assert!(
        flagged.contains("no sentence of the reasoning reads against it"),
        "{flagged}"
    );
    let leans = check("0.95");
    assert!(
        leans.contains("check: leans against the stated decision") && leans.contains("from 0.95"),
        "{leans}"
    );
    assert!(!leans.contains("no sentence of the reasoning"), "{leans}");
    // Below 0.5 a reading leans to the stated decision: no level there.
    let o = imr(&["predict", "--check", "--check-level", "0.3", "data/letters"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("from 0.5 to 1"), "{}", stderr(&o));
    let o = imr(&["predict", "--check", "--check-level", "1", "data/letters"]);
    assert!(
        o.status.success() && !stdout(&o).contains("DISAGREES"),
        "{}",
        stdout(&o)
    );
    // Scores of the model's own training letters are said to be fitted.
    assert!(
        stderr(&o).contains("5 of the 5 letters were among the model's training letters"),
        "{}",
        stderr(&o)
    );
    // Only a verdict-masked model reads reasoning without its verdict.
    let o = imr(&["predict", "--check", "--model", "default", "data/letters"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not rationale_masked"),
        "{}",
        stderr(&o)
    );
}

/// `imr similar`: past decisions like a request, from the built-in case model's training items.
#[test]
fn similar_lists_past_decisions_with_their_reasons() {
    // A renamed copy of a training letter (the samples' case number is their file's name) is
    // known by its text: neither it nor its letter's other items are its precedents.
    let d = tempdir("renamed");
    let copy = d.join("mine.txt");
    std::fs::copy(root().join("data/letters/000_8fd8bbed53d6ca0b.txt"), &copy).unwrap();
    let o = imr(&["similar", copy.to_str().unwrap(), "-k", "5", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut full = 0;
    for r in json_lines(&stdout(&o)) {
        let cases: Vec<&str> = r["similar"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["case_number"].as_str().unwrap())
            .collect();
        // Up to 5, none less alike than the floor of what is shown: fewer only where fewer are
        // alike enough (a weak likeness the boost ranked high gives its place to the next).
        assert!((1..=5).contains(&cases.len()), "{r}");
        full += usize::from(cases.len() == 5);
        for n in r["similar"].as_array().unwrap() {
            assert!(n["similarity"].as_f64().unwrap() >= 0.05, "{n}");
        }
        assert!(!cases.contains(&"000_8fd8bbed53d6ca0b"), "{r}");
    }
    assert!(full > 0, "no item had 5 precedents");
    let o = imr(&[
        "similar",
        "--title",
        "MRI of the lumbar spine",
        "-k",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = &json_lines(&stdout(&o))[0];
    let similar = r["similar"].as_array().unwrap();
    assert_eq!(similar.len(), 3, "{r}");
    let sims: Vec<f64> = similar
        .iter()
        .map(|s| s["similarity"].as_f64().unwrap())
        .collect();
    assert!(sims.iter().all(|&s| s > 0.0 && s <= 1.0), "{sims:?}");
    assert!(
        similar
            .iter()
            .all(|s| s["title"].as_str().unwrap().contains("MRI")),
        "{r}"
    );
    assert!(similar
        .iter()
        .all(|s| s["decision"].is_string() && s["case_number"].is_string()));
    // The table marks the precedents of the request's own category, which rank higher.
    let same = similar
        .iter()
        .filter(|s| s["category"] == r["category"])
        .count();
    let o = imr(&["similar", "--title", "MRI of the lumbar spine", "-k", "3"]);
    let table = stdout(&o);
    assert!(
        table.contains("those of its category ranked higher"),
        "{table}"
    );
    assert_eq!(table.matches(", same kind)").count(), same, "{table}");
    // Nothing alike is an empty list, said in the table; not looked up, no field at all.
    let o = imr(&["similar", "--title", "asdf qwer zxcv", "--json"]);
    assert_eq!(json_lines(&stdout(&o))[0]["similar"], serde_json::json!([]));
    let table = stdout(&imr(&["similar", "--title", "asdf qwer zxcv"]));
    assert!(
        table.contains("no past decision alike enough to show"),
        "{table}"
    );
    let o = imr(&["forecast", "--title", "MRI of the lumbar spine", "--json"]);
    assert!(json_lines(&stdout(&o))[0].get("similar").is_none());
    // Predictions of decided letters get precedents too (the built-in case model's), never from their own
    // letter.
    let o = imr(&["predict", "data/letters", "--similar", "2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for r in json_lines(&stdout(&o)) {
        let similar = r["similar"].as_array().unwrap();
        assert_eq!(similar.len(), 2, "{r}");
        assert!(
            similar.iter().all(|s| s["case_number"] != r["case_number"]),
            "{r}"
        );
    }
}

/// A model whose calibration could not be fitted says so when it is trained: its scores are the
/// class-weighted ones, which overstate Overturned.
#[test]
fn an_uncalibrated_model_is_said_at_training() {
    let d = tempdir("uncalibrated");
    let out = d.join("m.json");
    let o = imr(&[
        "train",
        "--data",
        "data/letters",
        "--cv-folds",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: P(Overturned) is not calibrated"),
        "{}",
        stderr(&o)
    );
    let m = json_file(&out);
    assert!(m["outcome"]["calibration"].is_null());
}

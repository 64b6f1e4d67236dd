//! Every output checked against docs/schema.md: each JSON line and each CSV file of every command,
//! on the sample letters (and on the corpus where present), has the documented fields, names and
//! types, and the documented schema version.

use crate::schema_doc;
use crate::util;

use schema_doc::Schema;
use util::*;

/// Runs `imr args` (which must succeed) and checks each JSON line against `object`.
fn json_output(s: &Schema, object: &str, args: &[&str]) -> usize {
    let o = imr(args);
    assert!(o.status.success(), "imr {args:?}: {}", stderr(&o));
    let lines = json_lines(&stdout(&o));
    assert!(!lines.is_empty(), "imr {args:?} printed nothing");
    check_lines(s, object, &lines, &format!("imr {args:?}"));
    lines.len()
}

fn check_lines(s: &Schema, object: &str, lines: &[serde_json::Value], what: &str) {
    for (i, l) in lines.iter().enumerate() {
        let errors = s.check_line(object, l);
        assert!(errors.is_empty(), "{what}, line {}: {errors:#?}", i + 1);
    }
}

/// Runs `imr args` (which must succeed) and checks its CSV against `object`.
fn csv_output(s: &Schema, object: &str, args: &[&str]) {
    let o = imr(args);
    assert!(o.status.success(), "imr {args:?}: {}", stderr(&o));
    let records = csv_records(&stdout(&o));
    assert!(records.len() > 1, "imr {args:?}: no rows");
    let errors = s.check_csv(object, &records);
    assert!(errors.is_empty(), "imr {args:?}: {errors:#?}");
}

#[test]
fn the_schema_document_reads() {
    let s = Schema::load();
    assert!(s.version >= 1);
    assert_eq!(s.values["decision"], ["Upheld", "Overturned"]);
    assert_eq!(s.values["category"].len(), 11);
    assert_eq!(u64::from(imr::schema::SCHEMA_VERSION), s.version);
    // Every type a field names is a primitive, a value type or a documented object.
    for (object, fields) in &s.objects {
        for f in fields {
            let base = f.ty.trim_matches(|c| "[]{}?".contains(c));
            let known = ["string", "integer", "number", "boolean", "object"].contains(&base)
                || s.values.contains_key(base)
                || s.objects.contains_key(base);
            assert!(known, "{object}.{}: unknown type `{}`", f.name, f.ty);
        }
    }
    // The value types list what the library writes.
    let categories: Vec<String> = imr::treatment::Category::ALL
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(s.values["category"], categories);
}

/// The checker itself finds what differs: an undocumented field, a missing one, a wrong type, a
/// bad value, a wrong version, a column out of place.
#[test]
fn the_checker_fails_what_differs() {
    let s = Schema::load();
    let good = serde_json::json!({"schema_version": 2, "items": 3, "overturned": 1});
    assert!(
        s.check_line("matches", &good).len() == 1,
        "matches has no schema_version"
    );
    let about = serde_json::json!({"schema_version": 2, "imr_version": "0.1.0",
        "database_version": 3, "letters": 5, "items": 12, "model": "m", "forecast_model": "c",
        "precedents": 12});
    assert!(s.check_line("api_about", &about).is_empty());
    let mut bad = about.clone();
    bad["extra"] = 1.into();
    assert!(!s.check_line("api_about", &bad).is_empty());
    let mut bad = about.clone();
    bad.as_object_mut().unwrap().remove("letters");
    assert!(!s.check_line("api_about", &bad).is_empty());
    let mut bad = about.clone();
    bad["letters"] = "5".into();
    assert!(!s.check_line("api_about", &bad).is_empty());
    let mut bad = about.clone();
    bad["schema_version"] = 0.into();
    assert!(!s.check_line("api_about", &bad).is_empty());
    let mut e = Vec::new();
    s.check_value("decision?", &"Denied".into(), "d", &mut e);
    s.check_value("date", &"11/09/2016".into(), "d", &mut e);
    s.check_value(
        "[category]",
        &serde_json::json!(["surgery", 3]),
        "d",
        &mut e,
    );
    assert_eq!(e.len(), 3, "{e:?}");
    let csv = |rows: &[&[&str]]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    };
    let head: &[&str] = &["items", "overturned"];
    assert!(s
        .check_csv("matches", &csv(&[head, &["3", "1"]]))
        .is_empty());
    assert!(!s
        .check_csv("matches", &csv(&[head, &["3", "x"]]))
        .is_empty());
    assert!(!s
        .check_csv("matches", &csv(&[&["overturned", "items"], &["1", "3"]]))
        .is_empty());
    assert!(!s
        .check_csv(
            "matches",
            &csv(&[&["items", "overturned", "z"], &["1", "3", ""]])
        )
        .is_empty());
}

#[test]
fn parse_outputs_match_the_schema() {
    let s = Schema::load();
    json_output(&s, "letter", &["parse", "--json", "data/letters"]);
    json_output(&s, "item", &["parse", "--items", "data/letters"]);
    csv_output(&s, "item.csv", &["parse", "--csv", "data/letters"]);
    let Some(c) = corpus("parse_outputs_match_the_schema (corpus letters)") else {
        return;
    };
    let pdf = c.join("dwc/pdf");
    let pdf = pdf.to_str().unwrap();
    json_output(&s, "letter", &["parse", "--json", pdf]);
    csv_output(&s, "item.csv", &["parse", "--csv", pdf]);
}

#[test]
fn score_outputs_match_the_schema() {
    let s = Schema::load();
    let letters = "data/letters";
    json_output(
        &s,
        "prediction",
        &["predict", "--json", "--similar", "2", letters],
    );
    json_output(&s, "prediction", &["predict", "--check", "--json", letters]);
    json_output(
        &s,
        "prediction",
        &[
            "predict",
            "--json",
            "--text",
            "Physical therapy is not medically necessary.",
        ],
    );
    json_output(&s, "prediction", &["forecast", "--json", letters]);
    json_output(
        &s,
        "prediction",
        &["forecast", "--json", "--title", "Norco 10/325mg #60"],
    );
    json_output(
        &s,
        "prediction",
        &["similar", "--json", "--title", "MRI of the lumbar spine"],
    );
    csv_output(
        &s,
        "prediction.csv",
        &["predict", "--csv", "--similar", "2", letters],
    );
    csv_output(
        &s,
        "prediction.csv",
        &["predict", "--check", "--csv", letters],
    );
    csv_output(&s, "prediction.csv", &["forecast", "--csv", letters]);
    // What `parse --items` writes, `predict --items` reads.
    let items = stdout(&imr(&["parse", "--items", letters]));
    let o = imr_stdin(&["predict", "--items", "-", "--json"], items.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    check_lines(
        &s,
        "prediction",
        &json_lines(&stdout(&o)),
        "predict --items",
    );
}

#[test]
fn model_outputs_match_the_schema() {
    let s = Schema::load();
    json_output(&s, "model", &["inspect", "--json"]);
    json_output(&s, "model", &["inspect", "--json", "--model", "case"]);
    csv_output(&s, "weight.csv", &["inspect", "--csv"]);
    csv_output(&s, "weight.csv", &["inspect", "--csv", "--model", "case"]);
    let model_csv = [
        "evaluate",
        "--model",
        "default",
        "--data",
        "data/letters",
        "--csv",
    ];
    csv_output(&s, "model_summary.csv", &model_csv);
    json_output(
        &s,
        "model_summary",
        &[
            "evaluate",
            "--model",
            "default",
            "--data",
            "data/letters",
            "--json",
        ],
    );
    let Some(c) = corpus("model_outputs_match_the_schema (cross-validation)") else {
        return;
    };
    let dir = tempdir("schema-evaluate");
    let oof = dir.join("oof.jsonl");
    let gold = c.join("dwc/gold/items.jsonl");
    let pdf = c.join("dwc/pdf");
    let args = [
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
        "--oof",
        oof.to_str().unwrap(),
    ];
    let o = imr(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines = json_lines(&stdout(&o));
    let (summary, folds) = lines.split_last().unwrap();
    assert_eq!(folds.len(), 3);
    check_lines(&s, "fold", folds, "evaluate --json (folds)");
    check_lines(
        &s,
        "summary",
        std::slice::from_ref(summary),
        "evaluate --json (summary)",
    );
    let oof = json_lines(&std::fs::read_to_string(&oof).unwrap());
    check_lines(&s, "oof", &oof, "evaluate --oof");
    // The same run as CSV: the documented columns, and the JSON's figures in them.
    let mut csv_args: Vec<&str> = args[..args.len() - 3].to_vec();
    csv_args.push("--csv");
    let o = imr(&csv_args);
    assert!(o.status.success(), "{}", stderr(&o));
    let records = csv_records(&stdout(&o));
    let errors = s.check_csv("fold.csv", &records);
    assert!(errors.is_empty(), "evaluate --csv: {errors:#?}");
    assert_eq!(records.len(), 1 + folds.len() + 2);
    let column = |name: &str| records[0].iter().position(|c| c == name).unwrap();
    let figure = |row: usize, name: &str| records[row][column(name)].parse::<f64>().unwrap();
    let json = |v: &serde_json::Value| v.as_f64().unwrap();
    assert_eq!(
        figure(1, "outcome_roc_auc"),
        json(&folds[0]["outcome"]["roc_auc"])
    );
    assert_eq!(
        figure(3, "outcome_masked_f1"),
        json(&folds[2]["outcome_masked"]["f1"])
    );
    assert_eq!(
        figure(4, "outcome_brier"),
        json(&summary["outcome"]["brier"])
    );
    assert_eq!(
        figure(5, "themes_micro_f1"),
        json(&summary["themes_sd"]["micro_f1"])
    );
    let args = [
        "evaluate",
        "--model",
        "default",
        "--data",
        pdf.to_str().unwrap(),
        "--gold",
        gold.to_str().unwrap(),
        "--json",
    ];
    json_output(&s, "model_summary", &args);
}

#[test]
fn database_outputs_match_the_schema() {
    let s = Schema::load();
    let dir = tempdir("schema-db");
    let db = dir.join("t.db");
    let db = db.to_str().unwrap();
    let o = imr(&["index", "data/letters", "--db", db, "--model", "default"]);
    assert!(o.status.success(), "{}", stderr(&o));
    json_output(&s, "hit", &["search", "--db", db, "--json"]);
    json_output(
        &s,
        "hit",
        &["search", "--db", db, "--json", "physical therapy"],
    );
    csv_output(&s, "hit.csv", &["search", "--db", db, "--csv"]);
    for by in [
        &["category", "drug-class"][..],
        &["specialty"],
        &["theme"],
        &["guideline"],
        &["month"],
        &["year"],
        &["treatment"],
    ] {
        let mut args = vec!["stats", "--db", db, "--json"];
        for k in by {
            args.extend(["--by", k]);
        }
        json_output(&s, "group", &args);
        args[3] = "--csv";
        csv_output(&s, "group.csv", &args);
    }
}

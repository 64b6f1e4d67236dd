//! `imr predict`: score new letters or rationales with a trained model, with the terms that drove each score.

use super::parse::read_reporting;
use anyhow::{bail, Context, Result};
use imr::features::ItemText;
use imr::model::{outcome::explain, TermWeight};
use imr::Decision;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Score disputed items: P(Overturned), predicted decision, themes, and the top terms for each side.
///
/// Input: letters and directories, or --text, or rationales on stdin (one per line) when no input is given.
/// Exit status: 0 on success, 1 when some letters could not be read (the others are scored), 2 on error.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    /// Model file [default: the built-in model, models/default.json compiled in].
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Letter files or directories.
    pub inputs: Vec<PathBuf>,
    /// Score this rationale text.
    #[arg(long, conflicts_with = "inputs")]
    pub text: Option<String>,
    /// Score items given as JSON lines ("-" for stdin), with the fields of `imr parse --items`: title, rationale,
    /// clinical_summary, claims_administrator_guideline, reviewer_guideline, and optionally case_number, number and
    /// decision. A request not yet decided, for instance, scored by a case-view model.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["inputs", "text"])]
    pub items: Option<PathBuf>,
    /// Terms to show for each side.
    #[arg(long, default_value_t = 5)]
    pub top: usize,
    /// One JSON object per item.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row.
    #[arg(long)]
    pub csv: bool,
}

/// One scored item.
#[derive(Debug, Serialize)]
pub struct Prediction {
    pub case_number: Option<String>,
    pub item: usize,
    pub title: Option<String>,
    /// The letter's own decision, where the input has one.
    pub decision: Option<Decision>,
    pub p_overturned: f64,
    pub predicted: Decision,
    pub themes: Vec<String>,
    pub theme_scores: BTreeMap<String, f64>,
    /// For each assigned theme, the words of the item pushing most towards it.
    pub theme_evidence: BTreeMap<String, Vec<TermWeight>>,
    pub top_overturned: Vec<TermWeight>,
    pub top_upheld: Vec<TermWeight>,
}

pub fn run(a: PredictArgs) -> Result<ExitCode> {
    let (model, model_name) = super::data::load_model(a.model.as_deref())?;
    let mut rows: Vec<Row> = Vec::new();
    let mut failed = 0;
    let row = |source: String, case, item, title, decision, text| Row { source, case, item, title, decision, text };
    if let Some(t) = &a.text {
        rows.push(row("--text".into(), None, 1, None, None, ItemText::from_rationale(t)));
    } else if let Some(path) = &a.items {
        (rows, failed) = read_items(path)?;
    } else if !a.inputs.is_empty() {
        let (letters, f) = read_reporting(&a.inputs)?;
        failed = f;
        for l in &letters {
            for it in &l.items {
                let source = format!("{} (case {}, item {})", l.source, l.case_number, it.number);
                rows.push(row(source, Some(l.case_number.clone()), it.number, Some(it.title.clone()), Some(it.decision), ItemText::from_item(l, it)));
            }
        }
    } else {
        for (i, line) in std::io::stdin().lock().lines().enumerate() {
            let line = line?;
            if !line.trim().is_empty() {
                rows.push(row(format!("stdin:{}", i + 1), None, i + 1, None, None, ItemText::from_rationale(&line)));
            }
        }
        if rows.is_empty() {
            bail!("no input: give letters, --text, or rationales on stdin");
        }
    }
    // An item with none of the text the model's view reads would score the model's intercept: report it instead
    // (a case-view model given rationale text, a letter item without a rationale).
    let view = model.outcome.view;
    let fields = view.fields();
    let (rows, unreadable): (Vec<Row>, Vec<Row>) = rows.into_iter().partition(|r| fields.iter().any(|f| !f.text(&r.text).trim().is_empty()));
    let names = fields.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ");
    for r in &unreadable {
        eprintln!("imr: {}: nothing for the {} view of {model_name} to read (it reads {names})", r.source, view.name());
    }
    failed += unreadable.len();
    if rows.is_empty() {
        bail!("no item to score");
    }
    let docs: Vec<ItemText> = rows.iter().map(|r| r.text.clone()).collect();
    let p = model.outcome.predict_proba(&docs)?;
    let theme_scores = model.themes.as_ref().map(|t| t.predict_proba(&docs)).transpose()?;
    let f = model.outcome.featurizer()?;
    let theme_f = model.themes.as_ref().map(|t| t.featurizer()).transpose()?;
    // Explanations cost more than the scores: one item per task, in input order.
    let preds: Vec<Prediction> = rows
        .into_par_iter()
        .enumerate()
        .map(|(i, Row { case, item, title, decision, text, .. })| {
            let (top_overturned, top_upheld) = explain(&model.outcome.tfidf, &model.outcome.logistic, &f, &text, a.top);
            let (themes, scores, evidence) = match (&model.themes, &theme_scores, &theme_f) {
                (Some(tm), Some(s), Some(tf)) => {
                    let themes = tm.assign_for(&s[i], decision);
                    let evidence = tm.evidence(tf, &text, &themes, a.top);
                    (themes, tm.themes.iter().map(|t| t.id.clone()).zip(s[i].iter().copied()).collect(), evidence)
                }
                _ => (Vec::new(), BTreeMap::new(), BTreeMap::new()),
            };
            Prediction {
                case_number: case,
                item,
                title,
                decision,
                p_overturned: p[i],
                predicted: if p[i] >= model.outcome.threshold { Decision::Overturned } else { Decision::Upheld },
                themes,
                theme_scores: scores,
                theme_evidence: evidence,
                top_overturned,
                top_upheld,
            }
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if a.json {
        for p in &preds {
            serde_json::to_writer(&mut out, p)?;
            out.write_all(b"\n")?;
        }
    } else if a.csv {
        writeln!(out, "case_number,item,title,decision,p_overturned,predicted,themes,theme_evidence,top_overturned,top_upheld")?;
        for p in &preds {
            let words = |v: &[TermWeight]| v.iter().map(|t| t.text.clone()).collect::<Vec<_>>().join("; ");
            let evidence = p.theme_evidence.iter().map(|(id, v)| format!("{id}: {}", words(v))).collect::<Vec<_>>().join(" | ");
            let fields = [
                p.case_number.clone().unwrap_or_default(),
                p.item.to_string(),
                p.title.clone().unwrap_or_default(),
                p.decision.map(|d| d.to_string()).unwrap_or_default(),
                format!("{:.4}", p.p_overturned),
                p.predicted.to_string(),
                p.themes.join(" "),
                evidence,
                words(&p.top_overturned),
                words(&p.top_upheld),
            ];
            writeln!(out, "{}", fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","))?;
        }
    } else {
        writeln!(out, "{:<22} {:>4}  {:<40} {:>10}  {:>6}  {:<10}  themes", "case", "item", "title", "decision", "p(ovr)", "predicted")?;
        for p in &preds {
            let title: String = p.title.clone().unwrap_or_else(|| "(rationale)".into()).chars().take(40).collect();
            writeln!(
                out,
                "{:<22} {:>4}  {:<40} {:>10}  {:>6.3}  {:<10}  {}",
                p.case_number.clone().unwrap_or_else(|| "-".into()),
                p.item,
                title,
                p.decision.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                p.p_overturned,
                p.predicted.to_string(),
                p.themes.join(", ")
            )?;
            let words = |v: &[TermWeight]| v.iter().map(|t| format!("\"{}\"", t.text)).collect::<Vec<_>>().join(" ");
            writeln!(out, "{:>29} {}\n{:>29} {}", "towards Overturned:", words(&p.top_overturned), "towards Upheld:", words(&p.top_upheld))?;
            for (id, v) in &p.theme_evidence {
                writeln!(out, "{:>29} {}", format!("{id}:"), words(v))?;
            }
        }
    }
    out.flush()?;
    Ok(if failed > 0 { ExitCode::from(super::EXIT_SOME_FAILED) } else { ExitCode::SUCCESS })
}

/// One `--items` row: the fields of `imr parse --items` that a model reads (others are ignored).
#[derive(Debug, Deserialize)]
struct ItemInput {
    case_number: Option<String>,
    number: Option<usize>,
    #[serde(default)]
    title: String,
    decision: Option<Decision>,
    #[serde(default)]
    rationale: String,
    claims_administrator_guideline: Option<String>,
    reviewer_guideline: Option<String>,
    clinical_summary: Option<String>,
}

/// One item to score, and where it came from (for messages).
struct Row {
    source: String,
    case: Option<String>,
    item: usize,
    title: Option<String>,
    decision: Option<Decision>,
    text: ItemText,
}

/// The rows of a JSON-lines file (or stdin); each bad line is reported on stderr and counted, the others kept.
fn read_items(path: &Path) -> Result<(Vec<Row>, usize)> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(path).with_context(|| format!("{}: cannot read", path.display()))?))
    };
    let name = if path == Path::new("-") { "stdin".to_string() } else { path.display().to_string() };
    let (mut rows, mut failed) = (Vec::new(), 0);
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("{name}: cannot read"))?;
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<ItemInput>(&line) {
            Ok(r) => rows.push(Row {
                source: format!("{name}:{}", i + 1),
                text: ItemText::from_parts(
                    &r.title,
                    &r.rationale,
                    r.claims_administrator_guideline.as_deref(),
                    r.reviewer_guideline.as_deref(),
                    r.clinical_summary.as_deref(),
                ),
                case: r.case_number,
                item: r.number.unwrap_or(i + 1),
                title: Some(r.title).filter(|t| !t.is_empty()),
                decision: r.decision,
            }),
            Err(e) => {
                failed += 1;
                eprintln!("imr: {name}:{}: {e}", i + 1);
            }
        }
    }
    Ok((rows, failed))
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

//! `imr predict`: score new letters or rationales with a trained model, with the terms that drove each score.

use super::parse::read_reporting;
use anyhow::{bail, Context, Result};
use imr::features::ItemText;
use imr::input::Lines;
use imr::model::{ItemToScore, Prediction, TermWeight};
use imr::Decision;
use serde::Deserialize;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Score disputed items: P(Overturned), predicted decision, themes, and the top terms for each side.
///
/// Input: letters and directories, or --text, or rationales on stdin (one per line) when no input is given.
/// A line of --items or stdin that cannot be read (not UTF-8, not JSON, wrong fields, over 16 MiB)
/// is reported with its line number and the others are scored.
/// Exit status: 0 on success, 1 when some letters or lines could not be read (the others are
/// scored), 2 on error.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    #[arg(long, value_name = "FILE|NAME", help = super::data::MODEL_HELP, long_help = format!("{} [default: default, compiled in]", super::data::MODEL_HELP))]
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
    /// Terms to show for each side and each assigned theme: 0 to 1000 (0: scores only, no
    /// explanations).
    #[arg(long, default_value_t = 5, value_parser = super::counts(0, super::MAX_TOP))]
    pub top: usize,
    /// One JSON object per item.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row.
    #[arg(long)]
    pub csv: bool,
}

pub fn run(a: PredictArgs) -> Result<ExitCode> {
    let (model, model_name) = super::data::load_model(a.model.as_deref())?;
    let mut rows: Vec<Row> = Vec::new();
    let mut failed = 0;
    if let Some(t) = &a.text {
        rows.push(Row {
            source: "--text".into(),
            item: ItemToScore::from_rationale(t, 1),
        });
    } else if let Some(path) = &a.items {
        (rows, failed) = read_items(path)?;
    } else if !a.inputs.is_empty() {
        let (letters, f) = read_reporting(&a.inputs)?;
        failed = f;
        for l in &letters {
            for it in &l.items {
                let source = format!("{} (case {}, item {})", l.source, l.case_number, it.number);
                rows.push(Row {
                    source,
                    item: ItemToScore::from_item(l, it),
                });
            }
        }
    } else {
        for line in Lines::new(std::io::stdin().lock()) {
            match line.context("stdin: cannot read")? {
                (n, Ok(text)) if !text.trim().is_empty() => {
                    rows.push(Row {
                        source: format!("stdin:{n}"),
                        item: ItemToScore::from_rationale(&text, n),
                    });
                }
                (_, Ok(_)) => {}
                (n, Err(e)) => {
                    failed += 1;
                    say!("imr: stdin:{n}: {e}");
                }
            }
        }
        if rows.is_empty() && failed == 0 {
            bail!("no input: give letters, --text, or rationales on stdin");
        }
    }
    // An item with none of the text the model's view reads would score the model's intercept: report it instead
    // (a case-view model given rationale text, a letter item without a rationale).
    let (rows, unreadable): (Vec<Row>, Vec<Row>) =
        rows.into_iter().partition(|r| model.reads(&r.item.text));
    let view = model.outcome.view;
    let names = view
        .fields()
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ");
    let hint = if view == imr::model::View::Case {
        ""
    } else {
        "; a request without a rationale is forecast by --model case"
    };
    for r in &unreadable {
        say!(
            "imr: {}: nothing for the {} view of {model_name} to read (it reads {names}){hint}",
            r.source,
            view.name()
        );
    }
    failed += unreadable.len();
    if rows.is_empty() {
        bail!("no item to score");
    }
    // The fitted themes (an untrained one has no score).
    let mut ids: Vec<String> = model
        .themes
        .iter()
        .flat_map(|t| &t.themes)
        .map(|t| t.id.clone())
        .collect();
    ids.sort_unstable();
    let format = if a.json {
        Format::Json
    } else if a.csv {
        Format::Csv
    } else {
        Format::Table
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_header(&mut out, format, &ids)?;
    // Scored in chunks and written as they come: memory follows the chunk, not the input, and output starts at
    // once. Each item's scores and explanations depend on it alone (tested in model::predict), so the chunking
    // changes nothing in the output.
    let pb = super::progress::bar(rows.len(), "predict");
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<Row> = rows.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        let (sources, items): (Vec<String>, Vec<ItemToScore>) =
            chunk.into_iter().map(|r| (r.source, r.item)).unzip();
        let preds = model.predict(items, a.top)?;
        // Scored, but on no evidence: say so rather than let the intercept pass for a reading.
        for (p, source) in preds.iter().zip(&sources) {
            if p.known_terms == 0 {
                say!("imr: {source}: no term of it is in the outcome vocabulary of {model_name}; its P(Overturned) is the model's intercept, not a reading");
            }
        }
        for p in &preds {
            write_prediction(&mut out, format, &ids, a.top, p)?;
        }
        pb.inc(preds.len() as u64);
    }
    pb.finish_and_clear();
    out.flush()?;
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Items scored at a time.
const CHUNK: usize = 8192;

#[derive(Debug, Clone, Copy)]
enum Format {
    Table,
    Json,
    Csv,
}

fn write_header(out: &mut impl Write, format: Format, ids: &[String]) -> std::io::Result<()> {
    match format {
        Format::Json => Ok(()),
        Format::Csv => {
            // Every fitted theme's score gets a column, as `theme_scores` in --json.
            let mut header: Vec<String> = [
                "case_number",
                "item",
                "title",
                "decision",
                "p_overturned",
                "predicted",
                "known_terms",
                "themes",
            ]
            .map(String::from)
            .into();
            header.extend(ids.iter().map(|id| format!("theme_score_{id}")));
            header.extend(["theme_evidence", "top_overturned", "top_upheld"].map(String::from));
            super::csv_record(out, &header)
        }
        Format::Table => writeln!(
            out,
            "{:<22} {:>4}  {:<40} {:>10}  {:>6}  {:<10}  themes",
            "case", "item", "title", "decision", "p(ovr)", "predicted"
        ),
    }
}

fn write_prediction(
    out: &mut impl Write,
    format: Format,
    ids: &[String],
    top: usize,
    p: &Prediction,
) -> Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer(&mut *out, p)?;
            out.write_all(b"\n")?;
        }
        Format::Csv => {
            // Numbers in full (shortest round-trip) precision, so that a ranking read from the CSV is the model's.
            let words = |v: &[TermWeight]| {
                v.iter()
                    .map(|t| t.text.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let evidence = p
                .theme_evidence
                .iter()
                .map(|(id, v)| format!("{id}: {}", words(v)))
                .collect::<Vec<_>>()
                .join(" | ");
            let mut fields = vec![
                p.case_number.clone().unwrap_or_default(),
                p.item.to_string(),
                p.title.clone().unwrap_or_default(),
                p.decision.map(|d| d.to_string()).unwrap_or_default(),
                p.p_overturned.to_string(),
                p.predicted.to_string(),
                p.known_terms.to_string(),
                p.themes.join(" "),
            ];
            fields.extend(ids.iter().map(|id| {
                p.theme_scores
                    .get(id)
                    .map(f64::to_string)
                    .unwrap_or_default()
            }));
            fields.extend([evidence, words(&p.top_overturned), words(&p.top_upheld)]);
            super::csv_record(out, &fields)?;
        }
        Format::Table => {
            let title: String = p
                .title
                .clone()
                .unwrap_or_else(|| "(rationale)".into())
                .chars()
                .take(40)
                .collect();
            writeln!(
                out,
                "{:<22} {:>4}  {:<40} {:>10}  {:>6.3}  {:<10}  {}",
                p.case_number.clone().unwrap_or_else(|| "-".into()),
                p.item,
                title,
                p.decision
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "-".into()),
                p.p_overturned,
                p.predicted.to_string(),
                p.themes.join(", ")
            )?;
            // --top 0: the scores alone, one line an item.
            if top == 0 {
                return Ok(());
            }
            // A side or theme without a term (an item of unknown words, a theme set by the decision rule) gets no line.
            let sides = [
                ("towards Overturned", &p.top_overturned),
                ("towards Upheld", &p.top_upheld),
            ];
            for (label, v) in sides
                .into_iter()
                .chain(p.theme_evidence.iter().map(|(id, v)| (id.as_str(), v)))
            {
                if !v.is_empty() {
                    // Quoted as Rust strings: a quote or a line break inside a matched cue is escaped, so each
                    // term's bounds and the table's lines stay readable.
                    let words: Vec<String> = v.iter().map(|t| format!("{:?}", t.text)).collect();
                    writeln!(out, "{:>29} {}", format!("{label}:"), words.join(" "))?;
                }
            }
        }
    }
    Ok(())
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
    item: ItemToScore,
}

/// The rows of a JSON-lines file (or stdin); each bad line is reported on stderr and counted, the others kept.
fn read_items(path: &Path) -> Result<(Vec<Row>, usize)> {
    let reader: Box<dyn BufRead> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(
            std::fs::File::open(path)
                .with_context(|| format!("{}: cannot read", path.display()))?,
        ))
    };
    let name = if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    let (mut rows, mut failed) = (Vec::new(), 0);
    for line in Lines::new(reader) {
        let (n, line) = line.with_context(|| format!("{name}: cannot read"))?;
        let i = n - 1;
        let parsed = line.and_then(|l| match l.trim() {
            "" => Ok(None),
            _ => serde_json::from_str::<ItemInput>(&l)
                .map(Some)
                .map_err(|e| e.to_string()),
        });
        match parsed {
            Ok(None) => {}
            Ok(Some(r)) => rows.push(Row {
                source: format!("{name}:{}", i + 1),
                item: ItemToScore {
                    text: ItemText::from_parts(
                        &r.title,
                        &r.rationale,
                        r.claims_administrator_guideline.as_deref(),
                        r.reviewer_guideline.as_deref(),
                        r.clinical_summary.as_deref(),
                    ),
                    case_number: r.case_number,
                    item: r.number.unwrap_or(i + 1),
                    title: Some(r.title).filter(|t| !t.is_empty()),
                    decision: r.decision,
                },
            }),
            Err(e) => {
                failed += 1;
                say!("imr: {name}:{}: {e}", i + 1);
            }
        }
    }
    Ok((rows, failed))
}

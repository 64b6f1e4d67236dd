//! `imr predict`: score new letters or rationales with a trained model, with the terms that drove
//! each score.

use super::parse::read_reporting;
use anyhow::{bail, Context, Result};
use imr::features::ItemText;
use imr::input::Lines;
use imr::model::{ItemToScore, Prediction, TermWeight};
use imr::Decision;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::Value;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Score disputed items: P(Overturned), predicted decision, themes, and the top terms for each
/// side.
///
/// Input: letters and directories, or --text, or rationales on stdin (one per line) when no input
/// is given. A line of --items or stdin that cannot be read (not UTF-8, not JSON, wrong fields,
/// over 16 MiB) is reported with its line number and the others are scored. Exit status: 0 on
/// success, 1 when some letters or lines could not be read (the others are scored), 2 on error.
#[derive(Debug, clap::Args)]
pub struct PredictArgs {
    #[arg(long, value_name = "FILE|NAME", help = super::data::MODEL_HELP, long_help = format!("{} [default: default, compiled in]", super::data::MODEL_HELP))]
    pub model: Option<PathBuf>,
    /// Letter files or directories.
    pub inputs: Vec<PathBuf>,
    /// Score this rationale text.
    #[arg(long, conflicts_with = "inputs")]
    pub text: Option<String>,
    /// Score items given as JSON lines ("-" for stdin), with the fields of `imr parse --items`:
    /// title, rationale, clinical_summary, claims_administrator_guideline, reviewer_guideline, and
    /// optionally case_number, item (`number` in older files) and decision. A request not yet
    /// decided, for instance, scored by a case-view model.
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
    /// Quality review of decided letters: each item's stated decision beside a verdict-masked
    /// model's reading of its reasoning (default model: masked), flagging strong disagreements with
    /// the sentences behind them.
    #[arg(long, conflicts_with = "text")]
    pub check: bool,
    /// With --check: flag items whose disagreement (P(the other decision)) is at least this, 0.5
    /// to 1 (below 0.5 the reading leans to the stated decision).
    #[arg(long, default_value_t = 0.8, requires = "check", value_parser = check_level)]
    pub check_level: f64,
    /// The K past decisions most like each item: from the model's training items, or the built-in
    /// case model's when the model keeps none; 0 to 100.
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = super::counts(0, 100))]
    pub similar: usize,
}

/// A disagreement level: a reading is against the stated decision from 0.5 on.
fn check_level(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.5..=1.0).contains(&v) => Ok(v),
        _ => Err(
            "must be a number from 0.5 to 1 (a reading below 0.5 leans to the stated \
                  decision)"
                .into(),
        ),
    }
}

pub fn run(a: PredictArgs) -> Result<ExitCode> {
    if let Some(t) = &a.text {
        // One short text: the model's parse is most of the time, and the regexes its analysis
        // needs are compiled meanwhile on another core (each compiled once per process, whoever
        // asks first).
        let t = t.clone();
        // A thread the system will not start only leaves the compiling to the scoring.
        let _ = std::thread::Builder::new().spawn(move || warm_up(&t));
    }
    let path = match (&a.model, a.check) {
        (None, true) => Some(PathBuf::from("masked")),
        (m, _) => m.clone(),
    };
    let (model, model_name) = super::data::load_model(path.as_deref())?;
    if a.check && model.outcome.view != imr::model::View::RationaleMasked {
        bail!(
            "--check reads reasoning without its verdict: {model_name} is of the {} view, not rationale_masked",
            model.outcome.view.name()
        );
    }
    let mut source = row_source(&a, &model, &model_name)?;
    if a.check {
        source = checked_source(source)?;
    }
    let format = Format::new(a.json, a.csv);
    let check = a.check.then_some(a.check_level);
    let show = Show {
        format,
        top: a.top,
        check,
        similar: a.similar,
        fitted: a.items.is_some().then_some("scores"),
    };
    let code = score_rows(&model, &model_name, source.as_mut(), show);
    // The process ends next: its memory goes back whole, without freeing the model's many small
    // allocations one by one (a noticeable part of a short run).
    std::mem::forget(model);
    code
}

/// Where the items to score come from: `--text`, `--items`, letters, or rationales on stdin.
fn row_source(
    a: &PredictArgs,
    model: &imr::model::ModelFile,
    model_name: &str,
) -> Result<Box<dyn RowSource>> {
    if let Some(t) = &a.text {
        let row = Row {
            source: "--text".into(),
            item: ItemToScore::from_rationale(t, 1),
        };
        Ok(AllRows::boxed(vec![row], 0))
    } else if let Some(path) = &a.items {
        read_items(path, needs_whole_input(model))
    } else if !a.inputs.is_empty() {
        letter_rows(&a.inputs, model, model_name)
    } else {
        stdin_rows()
    }
}

/// Every item of the letters under `inputs`; bad files are reported and counted. Letters the
/// model was trained on are said: their scores are fitted, not a test.
fn letter_rows(
    inputs: &[PathBuf],
    model: &imr::model::ModelFile,
    model_name: &str,
) -> Result<Box<dyn RowSource>> {
    let (letters, failed) = read_reporting(inputs)?;
    let cases = letters.iter().map(|l| l.header.case_number.as_str());
    if let Some(o) = super::data::trained_letters(model, cases) {
        say!("imr: warning: {o}: their scores are fitted, not a test of {model_name}");
    }
    let mut rows = Vec::new();
    for l in &letters {
        for it in &l.items {
            rows.push(Row::of_letter(l, it, ItemToScore::from_item(l, it)));
        }
    }
    Ok(AllRows::boxed(rows, failed))
}

/// One rationale per non-blank line of stdin; a line that cannot be read is reported and counted.
fn stdin_rows() -> Result<Box<dyn RowSource>> {
    let (mut rows, mut failed) = (Vec::new(), 0);
    if let Some(kind) = imr::input::stdin_device() {
        bail!("stdin: {kind}, not rationales (not read)");
    }
    super::note_typing("rationales, one a line,");
    let mut stdin = std::io::stdin().lock();
    // A letter piped in is not rationales, one a line: said, rather than its bytes scored.
    let start = std::io::BufRead::fill_buf(&mut stdin).context("stdin: cannot read")?;
    if imr::parse::looks_like_pdf(start) {
        bail!("stdin holds a PDF: `imr predict -` reads one letter from stdin");
    }
    if imr::parse::looks_like_letter_text(start) {
        bail!("stdin holds a letter, not rationales one a line: `imr predict -` reads one letter from stdin");
    }
    for line in Lines::new(stdin) {
        match line.context("stdin: cannot read")? {
            // Binary data, refused as in an --items field or a letter file.
            (n, Ok(text)) if text.contains('\0') => {
                failed += 1;
                say!("imr: stdin:{n}: holds a NUL character (binary data), not a rationale");
            }
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
    Ok(AllRows::boxed(rows, failed))
}

/// `--check`: the whole input read first, so that the count of items without a stated decision
/// comes before any item.
fn checked_source(mut source: Box<dyn RowSource>) -> Result<Box<dyn RowSource>> {
    let all = AllRows::drain(source.as_mut())?;
    let undecided = all
        .rows
        .iter()
        .flatten()
        .filter(|r| r.item.decision.is_none())
        .count();
    if undecided > 0 {
        say!(
            "imr: --check: {} not checked",
            super::count(
                undecided,
                "item has no stated decision and is",
                "items have no stated decision and are"
            )
        );
    }
    Ok(Box::new(all))
}

/// Compiles what scoring `text` will need, on two threads: the cues that may match it on one, the
/// tokenizer and the guideline-sentence patterns on the other.
fn warm_up(text: &str) {
    std::thread::scope(|s| {
        s.spawn(|| {
            let analyzer = imr::analysis::Analyzer::from_config(&Default::default());
            analyzer.tokens(text);
            for r in imr::features::sentences(text) {
                imr::features::cues::is_guideline_sentence(&text[r]);
            }
        });
        if let Ok(m) = imr::features::cues::CueMatcher::new(&imr::features::cues::codebook()) {
            m.warm_up(text);
        }
    });
}

/// What to show of each scored item.
pub(super) struct Show {
    pub(super) format: Format,
    /// Terms per side.
    pub(super) top: usize,
    /// The level of a consistency check (`--check`).
    pub(super) check: Option<f64>,
    /// Precedents per item (`--similar`).
    pub(super) similar: usize,
    /// What the rows' outputs are ("scores", "forecasts"), where the items of the model's training
    /// letters are to be counted as they pass and said at the end (`--items`; letters are said as
    /// they are read).
    pub(super) fitted: Option<&'static str>,
}

/// Scores the rows of `source` with `model` and writes them as they are scored; inputs that could
/// not be read were reported as they were read.
pub(super) fn score_rows(
    model: &imr::model::ModelFile,
    model_name: &str,
    source: &mut dyn RowSource,
    show: Show,
) -> Result<ExitCode> {
    let Show {
        format,
        top,
        check,
        similar,
        fitted,
    } = show;
    // The first rows are read before anything else is said, as the whole input once was.
    let first = source.next_rows()?;
    let fallback = precedent_model(model, model_name, similar)?;
    let precedents = fallback.as_ref().unwrap_or(model);
    let Some(first) = first else {
        return no_rows(model, source, format, check);
    };
    let trained = fitted.map(|_| super::data::TrainedItems::of(model));
    let unread = |rows: &[Row]| {
        report_unread(model, model_name, rows);
        if let Some(t) = &trained {
            t.see(rows.iter().map(|r| r.item.case_number.as_deref()));
        }
    };
    let ids = theme_ids(model);
    let scorer = model.scorer()?;
    // Scored in chunks and written as they come: memory follows the chunk, not the input, and
    // output starts at once. Each item's scores and explanations depend on it alone (tested in
    // model::predict), so the chunking changes nothing in the output. A thread of its own writes
    // one chunk while the next is scored.
    let pb = super::progress::bar(0, "predict");
    unread(&first);
    let footer = (format == Format::Table).then(|| table_footer(model));
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Prediction>>(1);
        let (ids, pb, footer) = (&ids, &pb, &footer);
        let writer = s.spawn(move || -> Result<()> {
            let mut out = std::io::BufWriter::new(super::stdout());
            write_header(&mut out, format, ids, check.is_some())?;
            for preds in rx {
                for p in &preds {
                    write_prediction(&mut out, format, ids, top, p, check)?;
                }
                pb.inc(preds.len() as u64);
            }
            if let Some(footer) = footer {
                out.write_all(footer.as_bytes())?;
            }
            out.flush()?;
            Ok(())
        });
        let scoring = Scoring {
            scorer: &scorer,
            precedents,
            show: &show,
        };
        let scored = score_batches(&scoring, source, first, pb, &unread, (tx, &writer));
        // The writer's error first: a closed pipe stops the scoring, not the other way round.
        let written = writer.join().expect("the writer does not panic");
        written.and(scored)
    })?;
    pb.finish_and_clear();
    if let (Some(what), Some(o)) = (fitted, trained.as_ref().and_then(|t| t.said())) {
        say!("imr: warning: {o}: their {what} are fitted, not a test of {model_name}");
    }
    Ok(if source.failed() > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// No item is an empty answer, not an error: a CSV still has its header, for the program that
/// reads it. Inputs that failed were each reported: as with `imr parse`, a 1.
fn no_rows(
    model: &imr::model::ModelFile,
    source: &dyn RowSource,
    format: Format,
    check: Option<f64>,
) -> Result<ExitCode> {
    if format == Format::Csv {
        let mut out = std::io::BufWriter::new(super::stdout());
        write_header(&mut out, format, &theme_ids(model), check.is_some())?;
        out.flush()?;
    }
    say!("imr: note: no item to score");
    Ok(match source.failed() {
        0 => ExitCode::SUCCESS,
        _ => ExitCode::from(super::EXIT_SOME_FAILED),
    })
}

/// What scores a chunk: the model's scorer, the precedents for `--similar`, what is shown.
struct Scoring<'a> {
    scorer: &'a imr::model::Scorer<'a>,
    precedents: &'a imr::model::ModelFile,
    show: &'a Show,
}

/// The writer's end: where predictions go, and the writer's thread. The writer ends before its
/// input does only on an error (a closed pipe): then no more input is read for it.
type ToWriter<'a, 's> = (
    std::sync::mpsc::SyncSender<Vec<Prediction>>,
    &'a std::thread::ScopedJoinHandle<'s, Result<()>>,
);

/// Scores the batches from `first` on, a chunk at a time, each chunk's predictions sent to the
/// writer; stops early where the writer has stopped (its error is the one returned). The next
/// batch is read while one is scored, so reading leaves no core idle.
fn score_batches(
    scoring: &Scoring<'_>,
    source: &mut dyn RowSource,
    first: Vec<Row>,
    pb: &indicatif::ProgressBar,
    unread: &dyn Fn(&[Row]),
    (tx, writer): ToWriter<'_, '_>,
) -> Result<()> {
    let stopped = || writer.is_finished();
    let mut batch = first;
    loop {
        pb.inc_length(batch.len() as u64);
        let (scored, next) = std::thread::scope(|s| {
            let tx = &tx;
            let scorer = s.spawn(move || score_batch(scoring, batch, tx, &stopped));
            let next = if stopped() {
                Ok(None)
            } else {
                source.next_rows()
            };
            (scorer.join().expect("scoring does not panic"), next)
        });
        if !scored? || stopped() {
            return Ok(());
        }
        match next? {
            Some(rows) => {
                unread(&rows);
                batch = rows;
            }
            None => return Ok(()),
        }
    }
}

/// Scores one batch a chunk at a time and sends each chunk's predictions; false where the writer
/// has stopped.
fn score_batch(
    scoring: &Scoring<'_>,
    batch: Vec<Row>,
    tx: &std::sync::mpsc::SyncSender<Vec<Prediction>>,
    stopped: &dyn Fn() -> bool,
) -> Result<bool> {
    let mut rows = batch.into_iter();
    loop {
        let chunk: Vec<Row> = rows.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            return Ok(true);
        }
        if stopped() {
            return Ok(false);
        }
        let preds = score_chunk(scoring, chunk)?;
        if tx.send(preds).is_err() {
            return Ok(false);
        }
    }
}

/// Items scored at a time.
const CHUNK: usize = 8192;

/// The model whose training items serve as precedents for `--similar`, when not `model` itself:
/// a rationale model keeps none, so the built-in case model's serve.
fn precedent_model(
    model: &imr::model::ModelFile,
    model_name: &str,
    similar: usize,
) -> Result<Option<imr::model::ModelFile>> {
    let fallback = match (similar, &model.precedents) {
        (0, _) | (_, Some(_)) => None,
        _ => Some(super::data::load_model(Some(Path::new("case")))?.0),
    };
    if similar > 0 && fallback.as_ref().unwrap_or(model).precedents.is_none() {
        bail!("{model_name} keeps no precedents: --similar needs a case model trained by this imr");
    }
    Ok(fallback)
}

/// An item with none of the text the model's view reads gets no score (its row says why); this
/// says on stderr what that view reads (a case-view model given rationale text, a letter item
/// without a rationale).
fn report_unread(model: &imr::model::ModelFile, model_name: &str, rows: &[Row]) {
    let view = model.outcome.view;
    // A request without a title is said in its row ("no title"), not again here.
    let titled = |r: &&Row| view != imr::model::View::Case || !r.item.untitled_request();
    let mut unread = rows
        .iter()
        .filter(|r| !model.reads(&r.item.text))
        .filter(titled)
        .peekable();
    if unread.peek().is_none() {
        return;
    }
    let names = view
        .fields()
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ");
    let hint = if view == imr::model::View::Case {
        ""
    } else {
        "; a request without a rationale is forecast by `imr forecast`"
    };
    for r in unread {
        let (source, view_name) = (&r.source, view.name());
        let what = format!("the {view_name} view of {model_name}");
        // A rationale made only of verdict sentences is there, but the masked view hides it all.
        let all_verdict =
            view == imr::model::View::RationaleMasked && !r.item.text.rationale.trim().is_empty();
        if all_verdict {
            say!("imr: {source}: nothing for {what} to read: its rationale is only verdict sentences (\"... is (not) medically necessary\"), which the view masks");
        } else {
            say!("imr: {source}: nothing for {what} to read (it reads {names}){hint}");
        }
    }
}

/// The ids of the fitted themes, sorted (an untrained one has no score).
fn theme_ids(model: &imr::model::ModelFile) -> Vec<String> {
    let mut ids: Vec<String> = model
        .themes
        .iter()
        .flat_map(|t| &t.themes)
        .map(|t| t.id.clone())
        .collect();
    ids.sort_unstable();
    ids
}

/// One chunk of rows scored, with the quality checks and the precedents `show` asks for
/// (`precedents`: the model that keeps them).
fn score_chunk(scoring: &Scoring<'_>, chunk: Vec<Row>) -> Result<Vec<Prediction>> {
    let Scoring {
        scorer,
        precedents,
        show,
    } = *scoring;
    let items: Vec<ItemToScore> = chunk.into_iter().map(|r| r.item).collect();
    let texts: Vec<ItemText> = if show.check.is_some() || show.similar > 0 {
        items.iter().map(|i| i.text.clone()).collect()
    } else {
        Vec::new()
    };
    let mut preds = scorer.predict(items, show.top)?;
    if let Some(level) = show.check {
        let (outcome, f) = (&scorer.model().outcome, scorer.featurizer());
        for (p, text) in preds.iter_mut().zip(&texts) {
            if let (Some(d), Some(po)) = (p.decision, p.p_overturned) {
                p.check = Some(imr::model::Check::new(outcome, f, text, d, po, level, 2));
            }
        }
    }
    if show.similar > 0 {
        for (p, text) in preds.iter_mut().zip(&texts) {
            let case = p.case_number.as_deref();
            p.similar = Some(precedents.similar(text, p.category, show.similar, case));
        }
    }
    Ok(preds)
}

/// How scored items are written: a table, one JSON object per line, or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Table,
    Json,
    Csv,
}

impl Format {
    pub(super) fn new(json: bool, csv: bool) -> Self {
        match (json, csv) {
            (true, _) => Format::Json,
            (_, true) => Format::Csv,
            _ => Format::Table,
        }
    }
}

/// The CSV columns before the theme scores: `--json`'s fields, a nested one named by its path
/// joined with "_" (docs/schema.md).
const CSV_HEAD: [&str; 23] = [
    "case_number",
    "item",
    "title",
    "category",
    "drug_class",
    "treatment",
    "decision",
    "p_overturned",
    "p_low",
    "p_high",
    "predicted",
    "abstention",
    "known_terms",
    "category_base_rate_items",
    "category_base_rate_overturned",
    "category_base_rate_rate",
    "category_base_rate_rate_low",
    "category_base_rate_rate_high",
    "drug_class_base_rate_items",
    "drug_class_base_rate_overturned",
    "drug_class_base_rate_rate",
    "drug_class_base_rate_rate_low",
    "drug_class_base_rate_rate_high",
];

fn write_header(
    out: &mut impl Write,
    format: Format,
    ids: &[String],
    check: bool,
) -> std::io::Result<()> {
    match format {
        Format::Json => Ok(()),
        Format::Csv => {
            // Every fitted theme gets a column of `theme_scores` and one of `theme_evidence`, as
            // the keys of those objects in --json.
            let mut header: Vec<String> = CSV_HEAD.map(String::from).into();
            header.push("themes".into());
            header.extend(ids.iter().map(|id| format!("theme_scores_{id}")));
            header.extend(ids.iter().map(|id| format!("theme_evidence_{id}")));
            header.extend(["top_overturned", "top_upheld", "similar"].map(String::from));
            if check {
                header.extend(
                    ["check_disagreement", "check_flagged", "check_sentences"].map(String::from),
                );
            }
            super::csv_record(out, &header)
        }
        Format::Table => writeln!(
            out,
            "{:<CASE_W$} {:>4}  {:<36} {:<21} {:>10}  {:>6} {:>11}  {:<10}  themes",
            "case_number",
            "item",
            "title",
            "category",
            "decision",
            "p(ovr)",
            "90% range",
            "predicted"
        ),
    }
}

/// An optional cell: empty when absent.
fn cell<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn write_prediction(
    out: &mut impl Write,
    format: Format,
    ids: &[String],
    top: usize,
    p: &Prediction,
    check: Option<f64>,
) -> Result<()> {
    match format {
        Format::Json => {
            imr::schema::write_json_line(&mut *out, p)?;
        }
        Format::Csv => write_csv(out, ids, p, check.is_some())?,
        Format::Table => write_table(out, top, p, check)?,
    }
    Ok(())
}

fn write_csv(out: &mut impl Write, ids: &[String], p: &Prediction, check: bool) -> Result<()> {
    // Numbers in full (shortest round-trip) precision, so that a ranking read from the CSV is the
    // model's.
    let words = |v: &[TermWeight]| imr::schema::csv_list(v.iter().map(|t| t.text.as_str()));
    let rate = |r: &Option<imr::model::BaseRate>| -> [String; 5] {
        match r {
            Some(r) => [
                r.items.to_string(),
                r.overturned.to_string(),
                r.rate.to_string(),
                r.low.to_string(),
                r.high.to_string(),
            ],
            None => Default::default(),
        }
    };
    let mut fields = vec![
        cell(p.case_number.as_ref()),
        p.item.to_string(),
        cell(p.title.as_ref()),
        cell(p.category),
        cell(p.drug_class),
        cell(p.treatment.as_ref()),
        cell(p.decision),
        cell(p.p_overturned),
        cell(p.p_low),
        cell(p.p_high),
        cell(p.predicted),
        cell(p.abstention.as_ref()),
        p.known_terms.to_string(),
    ];
    fields.extend(rate(&p.category_base_rate));
    fields.extend(rate(&p.drug_class_base_rate));
    fields.push(imr::schema::csv_list(&p.themes));
    fields.extend(
        ids.iter()
            .map(|id| cell(p.theme_scores.get(id).copied().flatten())),
    );
    fields.extend(ids.iter().map(|id| {
        p.theme_evidence
            .get(id)
            .map(|v| words(v))
            .unwrap_or_default()
    }));
    fields.extend([words(&p.top_overturned), words(&p.top_upheld)]);
    fields.push(imr::schema::csv_list(p.similar.iter().flatten().map(|s| {
        format!(
            "{} {} {} {}",
            s.case_number, s.item, s.decision, s.similarity
        )
    })));
    if check {
        let c = p.check.as_ref();
        fields.extend([
            cell(c.map(|c| c.disagreement)),
            cell(c.map(|c| c.flagged)),
            c.map(|c| imr::schema::csv_list(&c.sentences))
                .unwrap_or_default(),
        ]);
    }
    super::csv_record(out, &fields)?;
    Ok(())
}

fn write_table(
    out: &mut impl Write,
    top: usize,
    p: &Prediction,
    check_level: Option<f64>,
) -> Result<()> {
    let title = imr::report::fit(p.title.as_deref().unwrap_or("-"), 36);
    let score = p.p_overturned.map_or("?".into(), |v| format!("{v:.3}"));
    let range = p
        .shown_range()
        .map_or(String::new(), |(l, h)| format!("{l:.2}-{h:.2}"));
    writeln!(
        out,
        "{} {:>4}  {} {:<21} {:>10}  {:>6} {:>11}  {:<10}  {}",
        imr::report::fit(p.case_number.as_deref().unwrap_or("-"), CASE_W),
        p.item,
        title,
        p.category.map_or("-", |c| c.id()),
        p.decision.map_or("-".into(), |d| d.to_string()),
        score,
        range,
        p.predicted.map_or("-".into(), |d| d.to_string()),
        p.themes.join(", ")
    )?;
    if let Some(reason) = &p.abstention {
        writeln!(out, "{:INDENT$}no score: {reason}", "")?;
        // A request's (undecided; titled, or refused for want of a title): what to give.
        let request =
            p.decision.is_none() && (p.title.is_some() || reason == imr::model::outcome::NO_TITLE);
        if let Some(advice) = imr::model::outcome::advice(reason).filter(|_| request) {
            writeln!(out, "{:INDENT$}{advice}", "")?;
        }
    }
    if let Some(level) = check_level {
        write_check(out, p, level)?;
    }
    write_context(out, p)?;
    // --top 0: the scores alone.
    if top > 0 {
        write_terms(out, p)?;
    }
    Ok(())
}

/// What a table's `predicted` column means and how far the model's scores are to be trusted, from
/// the cross-validation run its file keeps: "Overturned" is a score past the model's threshold,
/// which is far below 0.5, and most items so marked are still upheld.
fn table_footer(model: &imr::model::ModelFile) -> String {
    let mut out = format!(
        "\npredicted Overturned: P(Overturned) of {:.3} or more, where the model (trained with \
         both\ndecisions weighed alike) leans to Overturned",
        model.outcome.threshold
    );
    if let Some(cv) = &model.metadata.cv {
        let (auc, how) = match cv.pooled {
            Some(p) => (p.roc_auc, "pooled out-of-fold"),
            None => (cv.outcome.roc_auc, "mean of folds"),
        };
        if cv.outcome.precision.is_finite() {
            out.push_str(&format!(
                "; in cross-validation, {:.0}% of items so marked were overturned",
                100.0 * cv.outcome.precision
            ));
        }
        out.push_str(&format!(
            ".\nhow well it ranks: cross-validated ROC-AUC {auc:.2} ({how}) on {} letters (0.5 is \
             chance, 1 is perfect)",
            cv.letters
        ));
    }
    out.push_str(".\n");
    out
}

/// The table's case number column: a DWC case number, or a letter's file name where the letter
/// gives none (the sample letters').
const CASE_W: usize = 20;

/// How far the lines under an item's row are indented: to the title's column.
const INDENT: usize = CASE_W + 1 + 4 + 2;

/// `--check`'s verdict, and the sentences behind a disagreement flagged from `level` on.
fn write_check(out: &mut impl Write, p: &Prediction, level: f64) -> std::io::Result<()> {
    let Some(c) = &p.check else {
        return Ok(());
    };
    // Three readings: with the stated decision, against it under the level, and flagged.
    let d = c.disagreement;
    let verdict = match (c.flagged, d >= 0.5) {
        (true, _) => format!("DISAGREES with the stated decision (disagreement {d:.2})"),
        (false, true) => {
            format!("leans against the stated decision (disagreement {d:.2}, flagged from {level})")
        }
        (false, false) => format!("agrees with the stated decision (disagreement {d:.2})"),
    };
    writeln!(out, "{:INDENT$}check: {verdict}", "")?;
    if c.flagged {
        for s in &c.sentences {
            writeln!(out, "{:INDENT$}  {:?}", "", s)?;
        }
        if c.sentences.is_empty() {
            writeln!(
                out,
                "{:INDENT$}  no sentence of the reasoning reads against it: the disagreement \
                 is the model's baseline (most decisions are Upheld) or text outside the reasoning",
                ""
            )?;
        }
    }
    Ok(())
}

/// The item's kind as the rules read it, the base rates of that kind, and its precedents.
fn write_context(out: &mut impl Write, p: &Prediction) -> std::io::Result<()> {
    if let (Some(t), Some(c)) = (p.treatment.as_deref().filter(|t| !t.is_empty()), p.category) {
        let class = p
            .drug_class
            .map(|d| format!(", {}", d.id()))
            .unwrap_or_default();
        writeln!(out, "{:INDENT$}read as: {t} ({}{class})", "", c.id())?;
    }
    let rates = [
        ("category", &p.category_base_rate),
        ("drug class", &p.drug_class_base_rate),
    ];
    for (what, r) in rates {
        if let Some(r) = r {
            writeln!(
                out,
                "{:INDENT$}base rate of the {what}, {}",
                "",
                r.describe()
            )?;
        }
    }
    let similar = p.similar.as_deref().unwrap_or_default();
    if p.similar.is_some() && similar.is_empty() {
        writeln!(out, "{:INDENT$}no past decision alike enough to show", "")?;
    }
    if !similar.is_empty() {
        // The order is the similarity with those of the request's own kind raised: said, so
        // that a weaker likeness above a stronger one is not taken for a mistake.
        writeln!(
            out,
            "{:INDENT$}past decisions most like it (those of its category ranked higher; \
             \"same kind\" marks them):",
            ""
        )?;
    }
    for s in similar {
        let same = match s.same_kind {
            true => ", same kind",
            false => "",
        };
        writeln!(
            out,
            "{:INDENT$}like {} item {} ({}, {}, similarity {:.2}{same}): {}",
            "",
            s.case_number,
            s.item,
            s.decision,
            s.decision_date.map_or("-".into(), |d| d.to_string()),
            s.similarity,
            s.title
        )?;
        if let Some(r) = &s.reason {
            writeln!(out, "{:INDENT$}  why: {r:?}", "")?;
        }
    }
    Ok(())
}

/// The words behind the scores, a line a side and a theme. A side or theme without a term (an
/// item of unknown words, a theme set by the decision rule) gets no line.
fn write_terms(out: &mut impl Write, p: &Prediction) -> std::io::Result<()> {
    let sides = [
        ("towards Overturned", &p.top_overturned),
        ("towards Upheld", &p.top_upheld),
    ];
    for (label, v) in sides
        .into_iter()
        .chain(p.theme_evidence.iter().map(|(id, v)| (id.as_str(), v)))
    {
        if !v.is_empty() {
            // In curly quotes, so a straight quote inside a matched cue does not blur its bounds;
            // a line break inside one is a space, so the table's lines stay one a line.
            let words: Vec<String> = v
                .iter()
                .map(|t| format!("\u{201c}{}\u{201d}", imr::report::clip(&t.text, usize::MAX)))
                .collect();
            writeln!(out, "{:INDENT$}{label}: {}", "", words.join(" "))?;
        }
    }
    Ok(())
}

/// One `--items` row: the fields of `imr parse --items` that a model reads (others are ignored).
/// The structured facts (patient, priority, dates, a partial certification) feed the case view's
/// forecast.
#[derive(Debug, Deserialize)]
struct ItemInput {
    case_number: Option<String>,
    /// `item`, as `imr parse --items` writes it (`number` in files of older versions).
    #[serde(
        rename = "item",
        alias = "number",
        default,
        deserialize_with = "imr::input::optional_item_number"
    )]
    number: Option<usize>,
    #[serde(default)]
    title: String,
    decision: Option<Decision>,
    #[serde(default)]
    rationale: String,
    /// `guideline`, `summary` and `age`: the names of `imr forecast`'s options and of the web
    /// API, taken too.
    #[serde(alias = "guideline")]
    claims_administrator_guideline: Option<String>,
    reviewer_guideline: Option<String>,
    #[serde(alias = "summary")]
    clinical_summary: Option<String>,
    #[serde(default)]
    patient: PatientInput,
    /// `age` and `sex` at the top (the forecast options' and the web API's names) or in
    /// `patient` (as `imr parse --items` writes them). The facts are kept as written and read
    /// by [`ItemInput::read_facts`]: one that cannot be read is said and taken as unknown, and
    /// the request is still scored.
    age: Option<Value>,
    sex: Option<Value>,
    priority: Option<Value>,
    #[serde(alias = "injury_date")]
    date_of_injury: Option<Value>,
    #[serde(alias = "ur_date")]
    ur_denial_date: Option<Value>,
    original_request: Option<String>,
    authorized: Option<String>,
    /// Said outright, or read from `original_request` / `authorized`.
    partly_certified: Option<Value>,
    /// How many requests the application disputes: said outright, or the rows of its case.
    items_disputed: Option<Value>,
    /// The facts as read.
    #[serde(skip)]
    read: ReadFacts,
}

/// An `--items` row's patient.
#[derive(Debug, Default, Deserialize)]
struct PatientInput {
    age: Option<Value>,
    sex: Option<Value>,
}

/// An `--items` row's structured facts, read ([`ItemInput::read_facts`]).
#[derive(Debug, Default)]
struct ReadFacts {
    age: Option<u8>,
    sex: Option<imr::Sex>,
    priority: Option<imr::Priority>,
    date_of_injury: Option<imr::Date>,
    ur_denial_date: Option<imr::Date>,
    partly_certified: Option<bool>,
    items_disputed: Option<usize>,
}

/// A fact's value read by `read`, or None and a note naming the field where it cannot be.
fn fact<T>(
    notes: &mut Vec<String>,
    field: &str,
    v: Option<&Value>,
    read: impl Fn(&Value) -> Result<T, String>,
) -> Option<T> {
    match read(v?) {
        Ok(x) => Some(x),
        Err(why) => {
            notes.push(format!("{field}: {why}; read as unknown"));
            None
        }
    }
}

impl ItemInput {
    /// Reads the structured facts; returns a note on each that could not be read (it is then
    /// unknown): a request is scored without a fact rather than not at all.
    fn read_facts(&mut self) -> Vec<String> {
        use imr::input::{flag_of, text_of, whole_of};
        let mut notes = Vec::new();
        let ages = imr::features::facts::AGES;
        let age = |v: &Value| {
            let a: i64 = whole_of(v)?;
            u8::try_from(a)
                .ok()
                .filter(|a| ages.contains(a))
                .ok_or_else(|| format!("{a} is outside {} to {}", ages.start(), ages.end()))
        };
        let (top, inner) = (self.age.as_ref(), self.patient.age.as_ref());
        if let (Some(t), Some(i)) = (top, inner) {
            if whole_of::<i64>(t).ok() != whole_of::<i64>(i).ok() {
                notes.push(format!(
                    "age {t} and patient.age {i} differ; patient.age read"
                ));
            }
        }
        let n = &mut notes;
        let (sex_top, sex_inner) = (self.sex.as_ref(), self.patient.sex.as_ref());
        self.read = ReadFacts {
            age: fact(n, "age", inner.or(top), age),
            sex: fact(n, "sex", sex_inner.or(sex_top), text_of),
            priority: fact(n, "priority", self.priority.as_ref(), text_of),
            date_of_injury: fact(n, "date_of_injury", self.date_of_injury.as_ref(), text_of),
            ur_denial_date: fact(n, "ur_denial_date", self.ur_denial_date.as_ref(), text_of),
            partly_certified: fact(
                n,
                "partly_certified",
                self.partly_certified.as_ref(),
                flag_of,
            ),
            items_disputed: fact(n, "items_disputed", self.items_disputed.as_ref(), |v| {
                let counts = imr::features::facts::ITEMS_DISPUTED;
                whole_of::<usize>(v)
                    .ok()
                    .filter(|d| counts.contains(d))
                    .ok_or_else(|| {
                        let (from, to) = (counts.start(), counts.end());
                        format!("{v}: expected a whole number from {from} to {to}")
                    })
            }),
        };
        // Dates that cannot both be right (one in the future, a denial before the injury): both
        // unknown, as a date that is none is.
        let dates = imr::features::RequestFacts {
            date_of_injury: self.read.date_of_injury,
            ur_denial_date: self.read.ur_denial_date,
            ..Default::default()
        };
        if let Some(problem) = dates.date_problem(imr::Date::today()) {
            let both = dates.date_of_injury.is_some() && dates.ur_denial_date.is_some();
            let read = if both { "both dates" } else { "it is" };
            notes.push(format!("{problem}; {read} read as unknown"));
            self.read.date_of_injury = None;
            self.read.ur_denial_date = None;
        }
        notes
    }

    /// The first text field holding a NUL character: binary data, refused as a `--summary` file
    /// holding one is, not scored as text.
    fn field_with_nul(&self) -> Option<&'static str> {
        let fields = [
            ("case_number", self.case_number.as_deref()),
            ("title", Some(self.title.as_str())),
            ("rationale", Some(self.rationale.as_str())),
            (
                "claims_administrator_guideline",
                self.claims_administrator_guideline.as_deref(),
            ),
            ("reviewer_guideline", self.reviewer_guideline.as_deref()),
            ("clinical_summary", self.clinical_summary.as_deref()),
            ("original_request", self.original_request.as_deref()),
            ("authorized", self.authorized.as_deref()),
        ];
        fields
            .into_iter()
            .find(|(_, text)| text.is_some_and(|t| t.contains('\0')))
            .map(|(name, _)| name)
    }

    /// The item to score; `items_disputed`: how many rows of the input share its case number.
    fn into_item(self, line: usize, items_disputed: Option<usize>) -> ItemToScore {
        let facts = self.facts(items_disputed);
        let (text, kind) = request_text(
            &self.title,
            &self.rationale,
            self.claims_administrator_guideline.as_deref(),
            self.reviewer_guideline.as_deref(),
            self.clinical_summary.as_deref(),
            facts,
        );
        ItemToScore {
            text,
            case_number: self.case_number,
            item: self.number.unwrap_or(line),
            title: Some(self.title).filter(|t| !t.trim().is_empty()),
            decision: self.decision,
            kind,
        }
    }

    /// The request's structured facts, as a model that reads them would.
    fn facts(&self, items_disputed: Option<usize>) -> imr::features::RequestFacts {
        let r = &self.read;
        imr::features::RequestFacts {
            age: r.age,
            sex: r.sex,
            priority: r.priority,
            date_of_injury: r.date_of_injury,
            ur_denial_date: r.ur_denial_date,
            partly_certified: r
                .partly_certified
                .unwrap_or(self.original_request.is_some() || self.authorized.is_some()),
            items_disputed: r.items_disputed.or(items_disputed),
            ..Default::default()
        }
    }
}

/// A request's kind and its text (`imr predict --items` and `imr forecast` alike).
pub(super) use imr::model::request_text;

/// One item to score, and where it came from (for messages).
pub(super) struct Row {
    pub(super) source: String,
    pub(super) item: ItemToScore,
}

impl Row {
    /// Item `it` of letter `l`, scored as `item`, named by its file, case and number.
    pub(super) fn of_letter(l: &imr::Letter, it: &imr::DisputedItem, item: ItemToScore) -> Row {
        let h = &l.header;
        Row {
            source: format!("{} (case {}, item {})", h.source, h.case_number, it.number),
            item,
        }
    }
}

/// Where the rows to score come from, a batch at a time.
pub(super) trait RowSource {
    /// The next rows, none empty (None at the end); lines that cannot be read are reported as they
    /// are.
    fn next_rows(&mut self) -> Result<Option<Vec<Row>>>;
    /// How many inputs could not be read so far.
    fn failed(&self) -> usize;
    /// The structured facts the rows so far have given, by their output names (where the source
    /// reads them for a model that does not, so that it can be said).
    fn facts_given(&self) -> std::collections::BTreeSet<&'static str> {
        Default::default()
    }
}

/// Rows all read before scoring (letters, --text, stdin, or --items where the whole input is
/// needed).
pub(super) struct AllRows {
    rows: Option<Vec<Row>>,
    failed: usize,
}

impl AllRows {
    pub(super) fn boxed(rows: Vec<Row>, failed: usize) -> Box<dyn RowSource> {
        Box::new(AllRows {
            rows: Some(rows).filter(|r| !r.is_empty()),
            failed,
        })
    }

    /// Every row of `source`, read now.
    fn drain(source: &mut dyn RowSource) -> Result<AllRows> {
        let mut rows = Vec::new();
        while let Some(more) = source.next_rows()? {
            rows.extend(more);
        }
        Ok(AllRows {
            rows: Some(rows).filter(|r| !r.is_empty()),
            failed: source.failed(),
        })
    }
}

impl RowSource for AllRows {
    fn next_rows(&mut self) -> Result<Option<Vec<Row>>> {
        Ok(self.rows.take())
    }
    fn failed(&self) -> usize {
        self.failed
    }
}

/// Whether `model` reads the structured facts, whose `items_disputed` counts the rows of an item's
/// case number in the whole input: then the input is read whole before scoring, else a batch at a
/// time.
pub(super) fn needs_whole_input(model: &imr::model::ModelFile) -> bool {
    model.reads_facts()
}

/// The rows of a JSON-lines file (or stdin); each bad line is reported on stderr and counted, the
/// others kept. Read a batch at a time, each batch's lines parsed on all cores; with `whole`, all
/// at once.
pub(super) fn read_items(path: &Path, whole: bool) -> Result<Box<dyn RowSource>> {
    let mut reader: Box<dyn BufRead> = if path == Path::new("-") {
        if let Some(kind) = imr::input::stdin_device() {
            bail!("stdin: {kind}, not a file of JSON lines (not read)");
        }
        super::note_typing("items as JSON lines");
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(imr::input::open_stream(
            path,
            "a file of JSON lines",
        )?))
    };
    let name = if path == Path::new("-") {
        "stdin".to_string()
    } else {
        path.display().to_string()
    };
    // A letter given as --items would be an error on every line: said once.
    let start = reader
        .fill_buf()
        .with_context(|| format!("{name}: cannot read"))?;
    let letter = match () {
        _ if imr::parse::looks_like_pdf(start) => Some("a PDF"),
        _ if imr::parse::looks_like_letter_text(start) => Some("a letter's text"),
        _ => None,
    };
    if let Some(kind) = letter {
        bail!(
            "{name} holds {kind}, not JSON lines of items (as `imr parse --items` writes): give a \
             letter as a path, not to --items"
        );
    }
    let mut lines = ItemLines {
        lines: Lines::new(reader),
        name,
        failed: 0,
        done: false,
        unknown: Default::default(),
        numbers: ItemNumbers::default(),
        facts_given: Default::default(),
    };
    if !whole {
        return Ok(Box::new(lines));
    }
    let mut inputs = Vec::new();
    while let Some(batch) = lines.next_inputs()? {
        inputs.extend(batch);
    }
    // Rows of one case number are the items one application disputes.
    let mut per_case: std::collections::HashMap<String, usize> = Default::default();
    for (_, r) in &inputs {
        if let Some(c) = &r.case_number {
            *per_case.entry(c.clone()).or_default() += 1;
        }
    }
    let name = &lines.name;
    let rows = inputs
        .into_iter()
        .map(|(n, r)| {
            let disputed = r.case_number.as_ref().map(|c| per_case[c]);
            Row {
                source: format!("{name}:{n}"),
                item: r.into_item(n, disputed),
            }
        })
        .collect();
    Ok(AllRows::boxed(rows, lines.failed))
}

/// Lines read in batches.
struct ItemLines {
    lines: Lines<Box<dyn BufRead>>,
    name: String,
    failed: usize,
    done: bool,
    /// Fields named in the input that no row has (each reported once).
    unknown: std::collections::BTreeSet<String>,
    numbers: ItemNumbers,
    /// The facts rows have given ([`RowSource::facts_given`]).
    facts_given: std::collections::BTreeSet<&'static str>,
}

/// The item numbers of rows that give none: one past the last of the rows of their case number
/// so far, so that rows of one case are its items 1, 2, ... as in a letter, whatever lines lie
/// between; a row without a case number is numbered by its line, which joins it to its input.
#[derive(Default)]
struct ItemNumbers {
    last: std::collections::HashMap<String, usize>,
}

impl ItemNumbers {
    fn number(&mut self, r: &ItemInput, line: usize) -> usize {
        let Some(case) = &r.case_number else {
            return r.number.unwrap_or(line);
        };
        let last = match self.last.get_mut(case) {
            Some(last) => last,
            None => self.last.entry(case.clone()).or_default(),
        };
        let number = r.number.unwrap_or(*last + 1);
        *last = number.max(*last);
        number
    }
}

/// The names [`ItemInput`] reads besides the fields of `imr parse --items`' rows: older files',
/// the forecast's options' and the web API's (whose bodies are `--items` lines).
const OTHER_ITEM_FIELDS: [&str; 9] = [
    "number",
    "summary",
    "guideline",
    "age",
    "sex",
    "injury_date",
    "ur_date",
    "partly_certified",
    "items_disputed",
];

/// The top-level fields an `--items` row may have: what `imr parse --items` writes, and
/// [`OTHER_ITEM_FIELDS`]. Any other is named on stderr (a misspelt `titel` would otherwise leave
/// the request without its title, silently).
static ITEM_FIELDS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let mut fields = super::parse::item_row_fields();
    fields.extend(OTHER_ITEM_FIELDS.map(String::from));
    fields
});

/// Lines whose field names are checked: files are written by one program, so their first lines
/// show a misspelt name as well as all of them would, at no cost to a long input's speed.
const CHECKED_LINES: usize = 100;

/// The fields of a JSON object line that `--items` does not know.
fn unknown_fields(line: &str) -> Vec<String> {
    let Ok(fields) =
        serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(line)
    else {
        return Vec::new();
    };
    fields
        .into_keys()
        .filter(|k| !ITEM_FIELDS.contains(k))
        .collect()
}

/// The known field nearest to `name` in spelling (at most two edits, for longer names), if any.
fn nearest_field(name: &str) -> Option<&'static str> {
    let most = if name.chars().count() >= 5 { 2 } else { 1 };
    ITEM_FIELDS
        .iter()
        .map(|f| (edits(name, f), f.as_str()))
        .filter(|&(d, _)| d <= most)
        .min()
        .map(|(_, f)| f)
}

/// Edits between two names (insert, delete, replace, or swap two neighbours: "titel" is one
/// from "title"), by characters.
fn edits(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let replace = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = replace.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

/// Lines read and parsed at a time.
const LINES: usize = 8192;

impl ItemLines {
    /// The next batch's items with their line numbers (None at the end), bad lines reported.
    fn next_inputs(&mut self) -> Result<Option<Vec<(usize, ItemInput)>>> {
        if self.done {
            return Ok(None);
        }
        let mut batch = Vec::with_capacity(LINES);
        while batch.len() < LINES {
            let Some(line) = self.lines.next() else {
                self.done = true;
                break;
            };
            let (n, line) = line.with_context(|| format!("{}: cannot read", self.name))?;
            batch.push((n, line));
        }
        if batch.is_empty() {
            return Ok(None);
        }
        type Parsed = (usize, Result<Option<ItemInput>, String>, Vec<String>);
        let parsed: Vec<Parsed> = batch
            .into_par_iter()
            .map(|(n, line)| {
                let mut unknown = Vec::new();
                let parsed = line.and_then(|l| match l.trim() {
                    "" => Ok(None),
                    _ => {
                        if n <= CHECKED_LINES {
                            unknown = unknown_fields(&l);
                        }
                        let r = imr::input::json_object::<ItemInput>(&l)?;
                        match r.field_with_nul() {
                            Some(f) => Err(format!("{f}: holds a NUL character (binary data)")),
                            None => Ok(Some(r)),
                        }
                    }
                });
                (n, parsed, unknown)
            })
            .collect();
        let mut inputs = Vec::with_capacity(parsed.len());
        for (n, p, unknown) in parsed {
            for field in unknown {
                if self.unknown.insert(field.clone()) {
                    // A line of `imr parse --json` is a letter, its items inside it.
                    let hint = match field.as_str() {
                        "items" => Some(
                            " (a letter of `imr parse --json`? `imr parse --items` writes one \
                             item a line)"
                                .to_string(),
                        ),
                        _ => nearest_field(&field).map(|f| format!(" (did you mean `{f}`?)")),
                    };
                    let hint = hint.unwrap_or_default();
                    say!(
                        "imr: note: {}:{n}: field `{field}` is not one imr reads; ignored{hint}",
                        self.name
                    );
                }
            }
            match p {
                Ok(None) => {}
                Ok(Some(mut r)) => {
                    for note in r.read_facts() {
                        say!("imr: note: {}:{n}: {note}", self.name);
                    }
                    r.number = Some(self.numbers.number(&r, n));
                    inputs.push((n, r))
                }
                Err(e) => {
                    self.failed += 1;
                    say!("imr: {}:{n}: {e}", self.name);
                }
            }
        }
        Ok(Some(inputs))
    }
}

impl RowSource for ItemLines {
    fn next_rows(&mut self) -> Result<Option<Vec<Row>>> {
        while let Some(inputs) = self.next_inputs()? {
            for (_, r) in &inputs {
                self.facts_given.extend(r.facts(None).given());
            }
            let name = &self.name;
            // No model read this way reads the facts, so no count of a case's rows is made.
            let rows: Vec<Row> = inputs
                .into_par_iter()
                .map(|(n, r)| Row {
                    source: format!("{name}:{n}"),
                    item: r.into_item(n, None),
                })
                .collect();
            if !rows.is_empty() {
                return Ok(Some(rows));
            }
        }
        Ok(None)
    }
    fn failed(&self) -> usize {
        self.failed
    }
    fn facts_given(&self) -> std::collections::BTreeSet<&'static str> {
        self.facts_given.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A web API body is an `--items` line: the forecast options' names (`injury_date`,
    /// `ur_date`, `sex` at the top, `partly_certified`, `items_disputed`) and values in any case
    /// give the request that `imr parse --items`' names give.
    #[test]
    fn an_api_body_is_an_items_line() {
        let item = |line: &str| {
            let mut row = imr::input::json_object::<ItemInput>(line).unwrap();
            assert!(unknown_fields(line).is_empty(), "{line}");
            assert!(row.read_facts().is_empty(), "{line}");
            let item = row.into_item(1, None);
            (item.text.facts, item.decision)
        };
        let api = item(
            r#"{"title": "MRI", "injury_date": "2015-01-02", "ur_date": "2016-03-04",
                "sex": "MALE", "priority": "standard", "partly_certified": true,
                "items_disputed": 2, "age": 52, "decision": "upheld"}"#,
        );
        let parsed = item(
            r#"{"title": "MRI", "date_of_injury": "2015-01-02", "ur_denial_date": "2016-03-04",
                "patient": {"sex": "male", "age": 52}, "priority": "Standard",
                "original_request": "MRI x2", "decision": "Upheld"}"#,
        );
        let mut with_count = parsed.clone();
        with_count.0 = item(
            r#"{"title": "MRI", "date_of_injury": "2015-01-02", "ur_denial_date": "2016-03-04",
                "patient": {"sex": "male", "age": 52}, "priority": "Standard",
                "original_request": "MRI x2", "decision": "Upheld", "items_disputed": 2}"#,
        )
        .0;
        assert_eq!(api, with_count);
        assert_ne!(api.0, parsed.0, "items_disputed is a fact");
        assert_eq!(api.1, Some(imr::Decision::Upheld));
    }

    #[test]
    fn a_misspelt_field_is_matched_to_its_nearest_name() {
        assert_eq!(edits("titel", "title"), 1);
        assert_eq!(edits("", "abc"), 3);
        assert_eq!(edits("kitten", "sitting"), 3);
        assert_eq!(nearest_field("titel"), Some("title"));
        assert_eq!(nearest_field("clinical_sumary"), Some("clinical_summary"));
        assert_eq!(nearest_field("Title"), Some("title"));
        assert_eq!(nearest_field("zz"), None);
        // What `imr parse --items` writes is known, its nested objects by their top-level name.
        for f in [
            "schema_version",
            "reviewer",
            "patient",
            "clinical_summary",
            "drug_class",
        ] {
            assert!(
                ITEM_FIELDS.iter().any(|k| k == f),
                "{f}: {:?}",
                *ITEM_FIELDS
            );
        }
        assert_eq!(
            unknown_fields(r#"{"title": 1, "zz": {"a": 2}, "item": 3}"#),
            ["zz"]
        );
        assert!(unknown_fields("not json").is_empty());
        let error = |line: &str| imr::input::json_object::<ItemInput>(line).unwrap_err();
        assert!(
            error("{not json").starts_with("not valid JSON ("),
            "{}",
            error("{not json")
        );
        assert!(
            error(r#"{"item": -1}"#).starts_with("item: -1 is no item number (they count from 1)")
        );
        assert!(error(r#"{"item": 1e30}"#).starts_with("item: 1e+30 is too large to be an item"));
        assert!(error(r#"{"item": 1.5}"#).starts_with("item: 1.5 is no whole number"));
        let e = error(r#"{"item": 0, "title": "MRI"}"#);
        assert!(
            e.starts_with("item: 0 is no item number (they count from 1)"),
            "{e}"
        );
        assert!(serde_json::from_str::<ItemInput>(r#"{"item": null}"#).is_ok());
        assert!(serde_json::from_str::<ItemInput>(r#"{"title": "MRI"}"#).is_ok());
        assert_eq!(error("[1,2]"), "not a JSON object: it is a JSON array");
    }

    /// A fact that cannot be read is named and unknown; the request is still read, and a date is
    /// read as people write it.
    #[test]
    fn facts_that_cannot_be_read_are_named_and_unknown() {
        let read = |line: &str| {
            let mut row = imr::input::json_object::<ItemInput>(line).unwrap();
            let notes = row.read_facts();
            (row.facts(None), notes)
        };
        let (facts, notes) = read(
            r#"{"title": "MRI", "patient": {"age": "x"}, "sex": "unknown", "priority": "urgent",
                "date_of_injury": "06/01/2016", "ur_denial_date": "Jan 3, 2017", "age": [40],
                "partly_certified": "maybe", "items_disputed": 0}"#,
        );
        assert_eq!(
            (facts.age, facts.sex, facts.priority, facts.items_disputed),
            (None, None, None, None)
        );
        assert_eq!(facts.date_of_injury, imr::Date::new(2016, 6, 1));
        assert_eq!(facts.ur_denial_date, imr::Date::new(2017, 1, 3));
        let named: Vec<&str> = notes.iter().map(|n| n.split(':').next().unwrap()).collect();
        assert_eq!(
            named,
            [
                "age",
                "sex",
                "priority",
                "partly_certified",
                "items_disputed"
            ]
        );
        assert!(
            notes[0].starts_with("age: \"x\": expected a whole number"),
            "{notes:?}"
        );
        let (facts, notes) = read(r#"{"title": "MRI", "age": 47, "patient": {"age": 50}}"#);
        assert_eq!(
            notes,
            ["age 47 and patient.age 50 differ; patient.age read"]
        );
        assert_eq!(facts.age, Some(50));
        let (facts, notes) = read(r#"{"title": "MRI", "age": "52", "sex": "F"}"#);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!((facts.age, facts.sex), (Some(52), Some(imr::Sex::Female)));
        // Dates that cannot both be right: said, both unknown.
        let (facts, notes) = read(
            r#"{"title": "MRI", "date_of_injury": "2016-06-01", "ur_denial_date": "2016-01-03"}"#,
        );
        assert_eq!(
            notes,
            ["ur_denial_date 2016-01-03 is before date_of_injury 2016-06-01; both dates read as \
              unknown"]
        );
        assert_eq!((facts.date_of_injury, facts.ur_denial_date), (None, None));
    }

    /// A NUL in a text field (a JSON escape) is binary data: named, the line not scored.
    #[test]
    fn a_nul_in_a_text_field_is_named() {
        let read = |line: &str| imr::input::json_object::<ItemInput>(line).unwrap();
        assert_eq!(
            read(r#"{"title":"MRI","clinical_summary":"x\u0000y"}"#).field_with_nul(),
            Some("clinical_summary")
        );
        assert_eq!(
            read(r#"{"title":"MRI","rationale":"x"}"#).field_with_nul(),
            None
        );
    }

    /// Rows without an item number are their case's items 1, 2, ... in order (rows of other
    /// cases between them, or rows that give one, do not shift them); rows without a case number
    /// by their line.
    #[test]
    fn rows_without_a_number_count_within_their_case() {
        let mut numbers = ItemNumbers::default();
        let rows = [
            r#"{"case_number":"A"}"#,
            r#"{"case_number":"B"}"#,
            r#"{"case_number":"A"}"#,
            r#"{}"#,
            r#"{"case_number":"B","item":4}"#,
            r#"{"case_number":"B"}"#,
            r#"{}"#,
        ];
        let got: Vec<usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| numbers.number(&serde_json::from_str(r).unwrap(), i + 1))
            .collect();
        assert_eq!(got, [1, 1, 2, 4, 4, 5, 7]);
    }
}

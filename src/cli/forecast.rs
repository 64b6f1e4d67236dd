//! `imr forecast`: P(Overturned) for a request before IMR decides it, from what exists then (the
//! request, the clinical summary, the claims administrator's guideline, the structured facts), with
//! its 90% range, the base rate of its kind, and the terms behind it.

use super::predict::{
    needs_whole_input, read_items, request_text, score_rows, AllRows, Format, Row, Show,
};
use anyhow::{bail, Context, Result};
use imr::features::RequestFacts;
use imr::model::{ItemToScore, View};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// What one request's flags (--summary, --age, ...) cannot stand beside: requests given otherwise.
const REQUEST_SOURCES: [&str; 2] = ["items", "inputs"];

/// Forecast requests not yet decided: P(Overturned) with a 90% range, the base rate of the
/// request's kind, and the terms pushing each way. An item the model cannot read (nonsense, another
/// language, no title) gets no number but a reason.
///
/// Input: one request from the flags (--title and the others), requests as JSON lines (--items; the
/// fields of `imr parse --items`, see data/requests.jsonl), or decided letters: a backtest that
/// reads only their pre-decision parts and shows their decisions beside the forecast. The
/// structured facts (--age, --sex, --priority, the dates, --partly-certified, --items-disputed) are
/// read by a case model trained with the `facts` field; the built-in one reads the text alone
/// (docs/experiments.md). Exit status: 0 on success, 1 when some letters or lines could not be read
/// (the others are forecast), 2 on error.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    /// Terms to show for each side: 0 to 1000.
    #[arg(long, default_value_t = 5, value_parser = super::counts(0, super::MAX_TOP))]
    pub top: usize,
    /// The K past decisions most like each request (from the model's training items): case, item,
    /// title, decision, date, similarity and the sentence that said why; 0 to 100.
    #[arg(long, value_name = "K", default_value_t = 0, value_parser = super::counts(0, 100))]
    pub similar: usize,
}

/// The requests to forecast (or to find past decisions like), and how to print them: what
/// `imr forecast` and `imr similar` share.
#[derive(Debug, clap::Args)]
pub struct RequestArgs {
    /// A case-view model file, or a built-in model name [default: case, compiled in].
    #[arg(long, value_name = "FILE|NAME")]
    pub model: Option<PathBuf>,
    /// Decided letters (files or directories) to backtest on: only their pre-decision parts are
    /// read.
    #[arg(conflicts_with_all = ["title", "items"])]
    pub inputs: Vec<PathBuf>,
    /// The request as utilization review denied it ("Norco 10/325mg #60").
    #[arg(long, conflicts_with = "items")]
    pub title: Option<String>,
    /// A file with the clinical summary ("-": stdin).
    #[arg(long, value_name = "FILE|-", requires = "title", conflicts_with_all = REQUEST_SOURCES)]
    pub summary: Option<PathBuf>,
    /// The guideline the claims administrator cited ("MTUS Chronic Pain ... Opioids").
    #[arg(long, value_name = "TEXT", requires = "title", conflicts_with_all = REQUEST_SOURCES)]
    pub guideline: Option<String>,
    /// The injured worker's age.
    #[arg(long, value_name = "N", requires = "title", conflicts_with_all = REQUEST_SOURCES, value_parser = clap::value_parser!(u8).range(age_range()))]
    pub age: Option<u8>,
    /// The injured worker's sex: male or female.
    #[arg(long, value_name = "S", requires = "title", conflicts_with_all = REQUEST_SOURCES, value_parser = str::parse::<imr::Sex>)]
    pub sex: Option<imr::Sex>,
    /// Review priority: standard or expedited.
    #[arg(long, value_name = "P", requires = "title", conflicts_with_all = REQUEST_SOURCES)]
    pub priority: Option<imr::Priority>,
    /// Date of injury: YYYY-MM-DD, MM/DD/YYYY (or 11-3-16) or "December 9, 2016".
    #[arg(long, value_name = "DATE", requires = "title", conflicts_with_all = REQUEST_SOURCES)]
    pub injury_date: Option<imr::Date>,
    /// Date of the utilization review denial, written as --injury-date is.
    #[arg(long, value_name = "DATE", requires = "title", conflicts_with_all = REQUEST_SOURCES)]
    pub ur_date: Option<imr::Date>,
    /// Utilization review certified part of the request (the rest is disputed).
    #[arg(long, requires = "title", conflicts_with_all = REQUEST_SOURCES)]
    pub partly_certified: bool,
    /// How many requests the application disputes, this one included.
    #[arg(long, value_name = "N", requires = "title", conflicts_with_all = REQUEST_SOURCES, value_parser = super::counts(1, 1000))]
    pub items_disputed: Option<usize>,
    /// Requests as JSON lines ("-": stdin), with the fields of `imr parse --items` (see
    /// data/requests.jsonl).
    #[arg(long, value_name = "FILE")]
    pub items: Option<PathBuf>,
    /// Look for the past decisions (--similar, `imr similar`) in this database, made by
    /// `imr index`, instead of among the model's training items.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// One JSON object per request.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row.
    #[arg(long)]
    pub csv: bool,
}

/// The past decisions most like a request: case, item, title, decision, date, similarity and the
/// sentence that said why, each request with its forecast.
///
/// Input as for `imr forecast`: a request by its flags, --items FILE, or decided letters. Exit
/// status: 0 on success, 1 when some letters or lines could not be read (the others are
/// answered), 2 on error.
#[derive(Debug, clap::Args)]
pub struct SimilarArgs {
    /// How many past decisions to show per request: 1 to 100.
    #[arg(short = 'k', value_name = "K", default_value_t = 5, value_parser = super::counts(1, 100))]
    pub k: usize,
    #[command(flatten)]
    pub request: RequestArgs,
}

/// The past decisions most like each request: a forecast with `--similar K` and no term lists.
pub fn run_similar(a: SimilarArgs) -> Result<ExitCode> {
    run(ForecastArgs {
        request: a.request,
        top: 0,
        similar: a.k,
    })
}

pub fn run(f: ForecastArgs) -> Result<ExitCode> {
    let (a, top, similar) = (f.request, f.top, f.similar);
    let path = a.model.clone().unwrap_or_else(|| "case".into());
    let (mut model, model_name) = super::data::load_model(Some(&path))?;
    if model.outcome.view != View::Case {
        bail!(
            "{model_name} reads {} (the {} view): a forecast needs a case-view model (`imr train --view case`)",
            model.outcome.features.fields.iter().map(|f| f.name()).collect::<Vec<_>>().join(", "),
            model.outcome.view.name()
        );
    }
    if let Some(db) = &a.db {
        if similar == 0 {
            bail!(
                "--db {}: the past decisions (--similar K) are looked for there; give --similar \
                 K too",
                db.display()
            );
        }
        model.precedents = Some(precedents_of(db)?);
    }
    let mut source = if let Some(title) = &a.title {
        note_unread_facts(&a, &model, &model_name);
        AllRows::boxed(vec![one_request(&a, title)?], 0)
    } else if let Some(items) = &a.items {
        read_items(items, needs_whole_input(&model))?
    } else if !a.inputs.is_empty() {
        let (rows, cases, failed) = backtest_rows(&a.inputs)?;
        let cases = cases.iter().map(String::as_str);
        if let Some(o) = super::data::trained_letters(&model, cases) {
            say!(
                "imr: warning: {o}: their forecasts are fitted, not a backtest of {model_name} \
                 (`imr evaluate --view case` gives cross-validated figures)"
            );
        }
        AllRows::boxed(rows, failed)
    } else {
        bail!("no request: give --title (and --summary, ...), --items FILE, or letters");
    };
    let show = Show {
        format: Format::new(a.json, a.csv),
        top,
        check: None,
        similar,
        fitted: a.items.is_some().then_some("forecasts"),
    };
    let code = score_rows(&model, &model_name, source.as_mut(), show);
    if a.items.is_some() {
        note_facts_left_out(&model_name, source.facts_given());
    }
    // The process ends next: its memory goes back whole, without freeing the model's many small
    // allocations one by one (a noticeable part of a short run).
    std::mem::forget(model);
    code
}

/// Says which of the request's facts the model does not read (the built-in case model reads its
/// text alone), rather than take them and leave them out without a word.
fn note_unread_facts(a: &RequestArgs, model: &imr::model::ModelFile, model_name: &str) {
    // Each fact by the flag that gave it: the dates' flags are shorter than their fields.
    let flag = |fact: &str| match fact {
        "date_of_injury" => "--injury-date".to_string(),
        "ur_denial_date" => "--ur-date".to_string(),
        other => format!("--{}", other.replace('_', "-")),
    };
    let given: Vec<String> = model
        .unread_facts(&request_facts(a))
        .into_iter()
        .map(flag)
        .collect();
    if !given.is_empty() {
        say!(
            "imr: note: {model_name} reads no structured facts (a model trained with the facts \
             field does); {} left out",
            given.join(", ")
        );
    }
}

/// Says which facts `--items` rows gave that the model left out (it reads the rows a batch at a
/// time only where it reads no facts), by the rows' field names.
fn note_facts_left_out(model_name: &str, given: std::collections::BTreeSet<&'static str>) {
    if !given.is_empty() {
        say!(
            "imr: note: {model_name} reads no structured facts (a model trained with the facts \
             field does); the rows' {} left out",
            given.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
}

/// Every item of the database as a precedent, indexed as a case model indexes its training items.
fn precedents_of(db: &Path) -> Result<imr::precedent::PrecedentIndex> {
    let store = imr::store::Store::open_read_only(db)?;
    if store.counts()?.1 == 0 {
        bail!(
            "{}: the database holds no items to find past decisions among",
            db.display()
        );
    }
    let mut bar = super::progress::Precedents::default();
    let index = store
        .precedent_index_reporting(&mut |done, of| bar.tell(done, of))
        .with_context(|| format!("indexing the items of {} as precedents", db.display()));
    bar.finish();
    index
}

/// The summary of `--summary PATH` (`-`: stdin), read as a text letter is (UTF-8 or UTF-16 with
/// a byte order mark), its errors as precise.
fn read_summary_of(p: &Path) -> Result<Option<String>> {
    let (bytes, name) = if p.as_os_str() == "-" {
        super::note_typing("the clinical summary");
        (read_summary(std::io::stdin(), "stdin")?, Path::new("stdin"))
    } else {
        let file = imr::input::open_stream(p, "a text file")?;
        (read_summary(file, p)?, p)
    };
    Ok(imr::parse::decode_text(&bytes, name)?)
}

/// A summary's bytes, up to the largest letter file read (`--max-file-size`): a stream that does
/// not end is refused once past it, not read into memory without end.
fn read_summary(from: impl Read, name: impl AsRef<Path>) -> Result<Vec<u8>> {
    let name = name.as_ref();
    let limit = super::read_limits().max_file_size * 1_000_000;
    let mut bytes = Vec::new();
    from.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read", name.display()))?;
    if bytes.len() as u64 > limit {
        return Err(imr::Error::TooLarge {
            path: name.into(),
            size: bytes.len() as u64,
            limit,
        }
        .into());
    }
    Ok(bytes)
}

/// The structured facts the flags give.
fn request_facts(a: &RequestArgs) -> RequestFacts {
    RequestFacts {
        age: a.age,
        sex: a.sex,
        priority: a.priority,
        date_of_injury: a.injury_date,
        ur_denial_date: a.ur_date,
        partly_certified: a.partly_certified,
        items_disputed: a.items_disputed,
        ..Default::default()
    }
}

/// The request of the flags.
fn one_request(a: &RequestArgs, title: &str) -> Result<Row> {
    // Read as a text letter is (UTF-8 or UTF-16 with a byte order mark), its errors as precise.
    let summary = match &a.summary {
        None => None,
        // Every error of the summary said one way: "--summary: FILE: what is wrong".
        Some(p) => read_summary_of(p).context("--summary")?,
    };
    let guideline = a.guideline.as_deref();
    let facts = request_facts(a);
    if let Some(problem) = facts.date_problem(imr::Date::today()) {
        bail!("{problem}");
    }
    let (text, kind) = request_text(title, "", guideline, None, summary.as_deref(), facts);
    Ok(Row {
        source: "--title".into(),
        item: ItemToScore {
            case_number: None,
            item: 1,
            title: Some(title.to_string()).filter(|_| kind.is_some()),
            decision: None,
            kind,
            text,
        },
    })
}

/// Every item of the letters, with only what existed before the decision: no rationale, no
/// reviewer's guideline. The letter's decision stays beside the forecast, to compare.
/// The rows of the letters' items, their case numbers, and how many inputs failed.
fn backtest_rows(paths: &[PathBuf]) -> Result<(Vec<Row>, Vec<String>, usize)> {
    let (letters, failed) = super::parse::read_reporting(paths)?;
    let mut rows = Vec::new();
    let cases = letters
        .iter()
        .map(|l| l.header.case_number.clone())
        .collect();
    for l in &letters {
        for it in &l.items {
            let mut item = ItemToScore::from_item(l, it);
            item.text.rationale = Arc::default();
            item.text.guidelines = item.text.claims_guideline.clone();
            rows.push(Row::of_letter(l, it, item));
        }
    }
    Ok((rows, cases, failed))
}

/// `--age`: one of [`imr::features::facts::AGES`], in the form clap's range checks take.
fn age_range() -> std::ops::RangeInclusive<i64> {
    let ages = imr::features::facts::AGES;
    i64::from(*ages.start())..=i64::from(*ages.end())
}

//! `imr evaluate`: grouped cross-validation, or scoring a trained model on labelled letters.

use super::data;
use super::progress;
use anyhow::{Context, Result};
use imr::eval::cv::{
    cross_validate_counted, outcome_values, CountedItems, CvConfig, CvFeaturizers, MultiLabelF1,
    OutcomeMetrics,
};
use imr::eval::metrics::{BinaryMetrics, ThemeMetrics};
use imr::features::ItemText;
use imr::model::{View, MIN_ITEMS_PER_CLASS};
use imr::report::{write_plots, PlotData, Run};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Evaluate with cross-validation (stratified by outcome, grouped by letter, analyzer and TF-IDF
/// refitted in every fold), or score a trained model (--model) on labelled letters.
///
/// Exit status: 0 on success, 1 when some letters could not be read, 2 on error.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Letter files or directories (labels: their own decisions).
    #[arg(long = "data", required_unless_present = "db", num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Letters from a database made by `imr index`, instead of --data: the same letters give the
    /// same result.
    #[arg(long, value_name = "FILE", conflicts_with = "data")]
    pub db: Option<PathBuf>,
    /// Gold items with themes, to evaluate the theme models too.
    #[arg(long)]
    pub gold: Option<PathBuf>,
    /// Score this trained model instead of cross-validating: a file, or a built-in model (default,
    /// case, masked).
    #[arg(long, value_name = "FILE|NAME")]
    pub model: Option<PathBuf>,
    /// The text the outcome model sees [default: rationale, or the params file's outcome.view].
    #[arg(long, value_enum, conflicts_with = "model")]
    pub view: Option<View>,
    /// Settings that differ from the shipped ones, as JSON (`imr params` prints them all).
    #[arg(long, value_name = "FILE", conflicts_with = "model")]
    pub params: Option<PathBuf>,
    /// Folds per repeat (grouped by letter, stratified by outcome): 2 to 100.
    #[arg(
        long,
        default_value_t = 5,
        value_parser = super::counts(2, imr::eval::cv::MAX_FOLDS),
        conflicts_with = "model"
    )]
    pub folds: usize,
    /// Repeats, each with its own shuffle of the letters: 1 to 1000.
    #[arg(
        long,
        default_value_t = 3,
        value_parser = super::counts(1, imr::eval::cv::MAX_REPEATS),
        conflicts_with = "model"
    )]
    pub repeats: usize,
    /// Seed for the folds and every inner fold (calibration, theme thresholds).
    #[arg(long, default_value_t = 42, conflicts_with = "model")]
    pub seed: u64,
    /// Skip the verdict-masked ablation of the rationale view (halves the time).
    #[arg(long, conflicts_with = "model")]
    pub no_ablation: bool,
    /// Write plots here (ROC, precision-recall, calibration, confusion matrix, per-theme F1; SVG
    /// and PNG).
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
    /// Write every out-of-fold prediction here, one JSON object per line (repeat, fold, case, item,
    /// title, decision, p_overturned, predicted decision, predicted themes, every theme's score,
    /// gold themes): the folds themselves, for error analysis or another tool.
    #[arg(long, value_name = "FILE", conflicts_with = "model")]
    pub oof: Option<PathBuf>,
    /// One JSON object per line: one per fold, then {"type": "summary", ...}.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV: a row per fold, then the mean and the sd over folds (with --model, one row); each
    /// metric a column (the pooled figures and per-theme tables are in --json and the table).
    #[arg(long)]
    pub csv: bool,
}

pub fn run(a: EvaluateArgs) -> Result<ExitCode> {
    // Where the results go is checked before the (possibly long) run, not after it.
    if let Some(dir) = &a.plots {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot write plots there", dir.display()))?;
    }
    // Checked now, written at the end (whole, or not at all): an existing file stays as it is until
    // then.
    if let Some(p) = &a.oof {
        let named = [
            ("--db", a.db.as_deref()),
            ("--gold", a.gold.as_deref()),
            ("--model", a.model.as_deref()),
            ("--params", a.params.as_deref()),
        ];
        data::refuse_output_over_input(p, "--oof", &data::inputs(&named, &a.data))?;
        imr::output::check_writable(p)?;
    }
    let letters = data::Letters::of(&a.data, a.db.as_deref());
    let mut out = super::stdout();
    match &a.model {
        Some(path) => {
            let d = data::load(letters, a.gold.as_deref())?;
            evaluate_model(&a, path, &d, &mut out)
        }
        None => cross_validate(&a, letters, &mut out),
    }
}

/// What a cross-validation run read and gave.
struct CvRun {
    items: CountedItems,
    /// Each item's number and title, by index (for the out-of-fold file).
    named: Vec<(usize, String)>,
    theme_ids: Vec<String>,
    report: imr::eval::cv::CvReport,
    with_themes: bool,
    failed: usize,
}

/// Grouped cross-validation of the settings on the letters, then its outputs.
fn cross_validate(
    a: &EvaluateArgs,
    letters: data::Letters<'_>,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let run = run_folds(a, letters)?;
    warn_untrained(&run.report);
    // The report first: a file that cannot be written (a full disk) costs that file, said, not
    // the run's figures; a report that cannot be written (a closed pipe) costs no file.
    let report = if a.json {
        write_cv_json(out, &run.report, a.params.as_deref())
    } else if a.csv {
        Ok(write_cv_csv(out, &run.report)?)
    } else {
        write_cv_table(out, &run.report, run.with_themes, a.params.as_deref())
    }
    .and_then(|()| Ok(out.flush()?));
    let oof = a.oof.as_ref().map(|path| write_oof(path, &run));
    let plots = a.plots.as_ref().map(|dir| cv_plots(dir, a.repeats, &run));
    report?;
    files_written([oof, plots], exit(run.failed))
}

/// The exit code after the report's files: each one that could not be written said, and the
/// run's code then an error's.
fn files_written(
    results: impl IntoIterator<Item = Option<Result<()>>>,
    code: ExitCode,
) -> Result<ExitCode> {
    let mut failed = false;
    for e in results.into_iter().flatten().filter_map(|r| r.err()) {
        say!("imr: error: {e:#}");
        failed = true;
    }
    Ok(if failed {
        ExitCode::from(super::EXIT_ERROR)
    } else {
        code
    })
}

/// Reads the letters (each item's text counted, then dropped) and runs the folds.
fn run_folds(a: &EvaluateArgs, letters: data::Letters<'_>) -> Result<CvRun> {
    let (params, theme_params) =
        super::params::resolve(a.params.as_deref(), a.view, a.gold.is_some())?;
    let cfg = CvConfig::new(a.folds, a.repeats, a.seed, !a.no_ablation);
    let featurizers = CvFeaturizers::new(&params, theme_params.as_ref(), cfg.ablation)?;
    let mut counter = CountedItems::counter(&featurizers, letters.expected_items()?);
    let mut named = Vec::new();
    let read = data::read_examples(letters, a.gold.as_deref(), false, |e| {
        named.push((e.item, e.title));
        counter.push(e.case_number, e.decision, e.themes, e.text);
    })?;
    let items = counter.finish();
    let theme_ids = read
        .gold
        .as_ref()
        .map(|g| g.theme_ids())
        .unwrap_or_default();
    let pb = progress::bar(a.folds * a.repeats, "evaluate");
    let report = cross_validate_counted(
        &items,
        &featurizers,
        &params,
        theme_params.as_ref(),
        &theme_ids,
        &cfg,
        &|| pb.inc(1),
    )?;
    pb.finish_and_clear();
    Ok(CvRun {
        items,
        named,
        theme_ids,
        report,
        with_themes: theme_params.is_some(),
        failed: read.failed,
    })
}

/// Themes too rare in some folds' training items to fit there.
fn warn_untrained(r: &imr::eval::cv::CvReport) {
    let mut untrained: BTreeMap<&str, usize> = BTreeMap::new();
    for id in r.folds.iter().flat_map(|f| &f.untrained_themes) {
        *untrained.entry(id).or_default() += 1;
    }
    for (id, n) in untrained {
        say!(
            "imr: warning: theme {id}: too few training items to fit in {n} of {} folds (needs {MIN_ITEMS_PER_CLASS} with and {MIN_ITEMS_PER_CLASS} without it); there it is never assigned",
            r.folds.len()
        );
    }
}

/// A line of `--oof`, its fields in the order docs/schema.md lists them.
#[derive(serde::Serialize)]
struct OofRow<'a, D: serde::Serialize, G: serde::Serialize> {
    repeat: usize,
    fold: usize,
    case_number: &'a str,
    item: usize,
    title: &'a str,
    decision: D,
    p_overturned: f64,
    predicted: imr::Decision,
    themes: Option<&'a [String]>,
    theme_scores: Option<serde_json::Map<String, serde_json::Value>>,
    gold_themes: G,
}

/// `--oof`: every out-of-fold prediction, one JSON object per line.
fn write_oof(path: &std::path::Path, run: &CvRun) -> Result<()> {
    let (r, items, named, theme_ids) = (&run.report, &run.items, &run.named, &run.theme_ids);
    let mut rows = Vec::with_capacity(r.oof.len());
    for o in &r.oof {
        let (item, title) = &named[o.index];
        let theme_scores: Option<serde_json::Map<String, serde_json::Value>> =
            o.theme_scores.as_ref().map(|sc| {
                theme_ids
                    .iter()
                    .cloned()
                    .zip(sc.iter().map(|&p| json!(p)))
                    .collect()
            });
        rows.push(OofRow {
            repeat: o.repeat + 1,
            fold: o.fold + 1,
            case_number: &items.case_numbers[o.index],
            item: *item,
            title,
            decision: items.decisions[o.index],
            p_overturned: o.p_overturned,
            predicted: o.predicted,
            themes: o.themes.as_deref(),
            theme_scores,
            gold_themes: &items.themes[o.index],
        });
    }
    imr::output::write_with(path, |w| {
        rows.iter()
            .try_for_each(|row| imr::schema::write_json_line(w, row))
    })?;
    Ok(())
}

/// `--plots`: the charts of the out-of-fold predictions, one run per repeat.
fn cv_plots(dir: &std::path::Path, repeats: usize, run: &CvRun) -> Result<()> {
    let (r, items) = (&run.report, &run.items);
    let runs = (0..repeats)
        .map(|rep| {
            let oof: Vec<_> = r.oof.iter().filter(|o| o.repeat == rep).collect();
            Run {
                label: format!("repeat {}", rep + 1),
                y: oof
                    .iter()
                    .map(|o| items.decisions[o.index].is_overturned())
                    .collect(),
                p: oof.iter().map(|o| o.p_overturned).collect(),
                predicted: oof.iter().map(|o| o.predicted.is_overturned()).collect(),
            }
        })
        .collect();
    let s = &r.summary;
    let data = PlotData {
        subtitle: format!(
            "{} view, {}-fold x {} grouped CV, {} items of {} letters",
            s.view, s.folds, s.repeats, s.items, s.letters
        ),
        runs,
        threshold: None,
        theme_f1: s.per_theme.as_ref().map(|per| {
            per.iter()
                .map(|(k, t)| {
                    let bar = imr::report::ThemeF1 {
                        f1: t.f1,
                        sd: Some(t.f1_sd),
                        gold: t.support,
                    };
                    (k.clone(), bar)
                })
                .collect()
        }),
    };
    report_plots(dir, &data)
}

/// `--json`: one object per fold, then the summary with the settings that gave it.
fn write_cv_json(
    out: &mut impl Write,
    r: &imr::eval::cv::CvReport,
    params: Option<&std::path::Path>,
) -> Result<()> {
    for f in &r.folds {
        let mut v = serde_json::to_value(f)?;
        let o = v.as_object_mut().expect("object");
        o.insert("type".into(), json!("fold"));
        // Counted from 1, as the table and the plots count them.
        o.insert("repeat".into(), json!(f.repeat + 1));
        o.insert("fold".into(), json!(f.fold + 1));
        imr::schema::write_json_line(out, &v)?;
    }
    let mut v = serde_json::to_value(&r.summary)?;
    let o = v.as_object_mut().expect("object");
    o.insert("type".into(), json!("summary"));
    // Which settings gave these figures: the params file, or null for the shipped settings.
    o.insert(
        "params".into(),
        json!(params.map(|p| p.display().to_string())),
    );
    imr::schema::write_json_line(out, &v)?;
    Ok(())
}

/// The outcome metrics' CSV columns (after a prefix), in `fold_metrics`' order (docs/schema.md).
const OUTCOME_COLUMNS: [Column; 10] = [
    ("accuracy", |m| m.accuracy),
    ("balanced_accuracy", |m| m.balanced_accuracy),
    ("precision", |m| m.precision),
    ("recall", |m| m.recall),
    ("f1", |m| m.f1),
    ("macro_f1", |m| m.macro_f1),
    ("roc_auc", |m| m.roc_auc),
    ("pr_auc", |m| m.pr_auc),
    ("brier", |m| m.brier),
    ("log_loss", |m| m.log_loss),
];

/// A CSV cell of a figure: at full precision, empty where it is undefined (null in --json).
fn cell(v: f64) -> String {
    if v.is_nan() {
        String::new()
    } else {
        v.to_string()
    }
}

/// The CSV cells of outcome metrics (empty where there are none).
fn metric_cells(out: &mut Vec<String>, m: Option<&OutcomeMetrics>) {
    let value = |(_, f): &Column| m.map_or(String::new(), |m| cell(f(m)));
    out.extend(OUTCOME_COLUMNS.iter().map(value));
}

/// The theme F1s' CSV columns, after the outcome metrics'.
const THEME_COLUMNS: [&str; 2] = ["themes_micro_f1", "themes_macro_f1"];

fn theme_cells(out: &mut Vec<String>, t: Option<MultiLabelF1>) {
    out.extend(
        [t.map(|t| t.micro_f1), t.map(|t| t.macro_f1)].map(|f| f.map(cell).unwrap_or_default()),
    );
}

/// The header of columns `prefix_<metric>`.
fn metric_header(out: &mut Vec<String>, prefix: &str) {
    out.extend(OUTCOME_COLUMNS.iter().map(|(n, _)| format!("{prefix}_{n}")));
}

/// `--csv` of a cross-validation: a row per fold, then the mean and the sd over the folds
/// (`fold.csv` in docs/schema.md).
fn write_cv_csv(out: &mut impl Write, r: &imr::eval::cv::CvReport) -> std::io::Result<()> {
    let mut header: Vec<String> = ["type", "repeat", "fold", "train_items", "test_items"]
        .map(String::from)
        .into();
    metric_header(&mut header, "outcome");
    metric_header(&mut header, "outcome_masked");
    header.extend(THEME_COLUMNS.map(String::from));
    super::csv_record(&mut *out, &header)?;
    for f in &r.folds {
        let mut row: Vec<String> = vec!["fold".into()];
        let counts = [f.repeat + 1, f.fold + 1, f.train_items, f.test_items];
        row.extend(counts.map(|n| n.to_string()));
        metric_cells(&mut row, Some(&OutcomeMetrics::of(&f.outcome)));
        metric_cells(
            &mut row,
            f.outcome_masked.as_ref().map(OutcomeMetrics::of).as_ref(),
        );
        theme_cells(&mut row, f.themes.as_ref().map(MultiLabelF1::of));
        super::csv_record(&mut *out, &row)?;
    }
    let s = &r.summary;
    let over_folds = [
        ("mean", &s.outcome, s.outcome_masked.as_ref(), s.themes),
        ("sd", &s.outcome_sd, None, s.themes_sd),
    ];
    for (kind, outcome, masked, themes) in over_folds {
        // The fold's columns (repeat, fold, train and test items) stay empty.
        let mut row: Vec<String> = vec![kind.into()];
        row.resize(5, String::new());
        metric_cells(&mut row, Some(outcome));
        metric_cells(&mut row, masked);
        theme_cells(&mut row, themes);
        super::csv_record(&mut *out, &row)?;
    }
    Ok(())
}

/// `evaluate --model --csv`: one row (`model_summary.csv` in docs/schema.md).
fn write_model_csv(out: &mut impl Write, r: &ModelReport<'_>) -> std::io::Result<()> {
    let mut header: Vec<String> = ["model", "items", "letters", "training_overlap"]
        .map(String::from)
        .into();
    metric_header(&mut header, "outcome");
    header.extend(THEME_COLUMNS.map(String::from));
    super::csv_record(&mut *out, &header)?;
    let mut row = vec![
        imr::model::output_name(r.name).to_string(),
        r.d.examples.len().to_string(),
        r.d.letters.to_string(),
        r.overlap.unwrap_or_default().to_string(),
    ];
    metric_cells(&mut row, Some(&OutcomeMetrics::of(r.outcome)));
    theme_cells(&mut row, r.themes.map(MultiLabelF1::of));
    super::csv_record(&mut *out, &row)
}

/// A metric in a table, to 3 places; "-" where it is undefined (null in --json).
fn num(v: f64) -> String {
    if v.is_nan() {
        "-".to_string()
    } else {
        format!("{v:.3}")
    }
}

/// Why a metric of one evaluation is undefined.
fn undefined_why(metric: &str) -> &'static str {
    match metric {
        "precision" => "no item predicted Overturned",
        "recall" => "no Overturned item",
        "f1" => "no Overturned item, none predicted",
        _ => "the items hold one decision only",
    }
}

/// A column of the table: its metric's name, and that metric.
type Column = (&'static str, fn(&OutcomeMetrics) -> f64);

/// The table's columns: each outcome metric, a row per fold, then the mean and the sd.
fn write_cv_rows(
    out: &mut impl Write,
    r: &imr::eval::cv::CvReport,
    with_themes: bool,
) -> std::io::Result<()> {
    // The table's metrics, in the order it reads best: those of the CSV but accuracy, macro-F1.
    let shown = [
        "roc_auc",
        "pr_auc",
        "f1",
        "precision",
        "recall",
        "balanced_accuracy",
        "brier",
        "log_loss",
    ];
    let columns: Vec<&Column> = shown
        .into_iter()
        .filter_map(|name| OUTCOME_COLUMNS.iter().find(|c| c.0 == name))
        .collect();
    write!(out, "{:<8}", "fold")?;
    for (n, _) in &columns {
        write!(out, " {:>9}", short(n))?;
    }
    writeln!(out, "{}", if with_themes { "  themes µF1" } else { "" })?;
    let mut row = |label: &str, m: &OutcomeMetrics, micro_f1: Option<f64>| {
        write!(out, "{label:<8}")?;
        for (_, value) in &columns {
            write!(out, " {:>9}", num(value(m)))?;
        }
        let themes = micro_f1.map(|f| format!("  {f:>10.3}"));
        writeln!(out, "{}", themes.unwrap_or_default())
    };
    for f in &r.folds {
        let label = format!("{}.{}", f.repeat + 1, f.fold + 1);
        let micro_f1 = f.themes.as_ref().map(|t| t.micro_f1);
        row(&label, &OutcomeMetrics::of(&f.outcome), micro_f1)?;
    }
    let s = &r.summary;
    row("mean", &s.outcome, s.themes.as_ref().map(|t| t.micro_f1))?;
    row(
        "sd",
        &s.outcome_sd,
        s.themes_sd.as_ref().map(|t| t.micro_f1),
    )
}

/// The theme models' F1, and each theme's precision, recall and F1 with its sd over folds.
fn write_cv_themes(out: &mut impl Write, s: &imr::eval::cv::CvSummary) -> std::io::Result<()> {
    let (Some(t), Some(per)) = (&s.themes, &s.per_theme) else {
        return Ok(());
    };
    writeln!(
        out,
        "themes: micro-F1 {:.3}, macro-F1 {:.3}",
        t.micro_f1, t.macro_f1
    )?;
    writeln!(
        out,
        "  {:<28} {:>9} {:>9} {:>15} {:>6}",
        "theme", "precision", "recall", "F1 +- sd", "gold"
    )?;
    for (id, m) in per {
        writeln!(
            out,
            "  {id:<28} {:>9} {:>9} {:>7} +- {:<5} {:>6}",
            num(m.precision),
            num(m.recall),
            num(m.f1),
            num(m.f1_sd),
            m.support
        )?;
    }
    Ok(())
}

/// The table: each fold's outcome metrics, their mean and sd, the pooled figures, the masked
/// ablation and the themes.
fn write_cv_table(
    out: &mut impl Write,
    r: &imr::eval::cv::CvReport,
    with_themes: bool,
    params: Option<&std::path::Path>,
) -> Result<()> {
    let s = &r.summary;
    let settings = params.map_or("shipped settings".into(), |p| {
        format!("settings {}", p.display())
    });
    writeln!(out, "{}-fold x {} cross-validation, grouped by letter, seed {}: {} items of {} letters, view {}, {settings}", s.folds, s.repeats, s.seed, s.items, s.letters, s.view)?;
    write_cv_rows(out, r, with_themes)?;
    write_pooled(out, s)?;
    if let Some(m) = &s.outcome_masked {
        writeln!(out, "verdict sentences masked: ROC-AUC {:.3}, PR-AUC {:.3}, F1 {:.3} (the skill left without the sentence that states the outcome)", m.roc_auc, m.pr_auc, m.f1)?;
    }
    write_cv_themes(out, s)?;
    Ok(())
}

/// Whether the letters are (some of) the model's training letters: the same items (the digest
/// the model file records), or case numbers among those it was trained on (format 6 files list
/// them; a case model's precedents are its training items). What to warn, or None.
fn training_overlap(m: &imr::model::ModelFile, d: &data::Data) -> Option<String> {
    if data::corpus_digest(&d.examples) == m.metadata.corpus_digest {
        return Some("these are the model's training items (the same corpus digest)".into());
    }
    data::trained_letters(m, d.examples.iter().map(|e| e.case_number.as_str()))
}

/// `--model`: the trained model scored on the letters' items.
fn evaluate_model(
    a: &EvaluateArgs,
    path: &std::path::Path,
    d: &data::Data,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let (m, name) = data::load_model(Some(path))?;
    let overlap = training_overlap(&m, d);
    if let Some(o) = &overlap {
        say!("imr: warning: {o}: these figures are not a test of {name}");
    }
    let docs: Vec<&ItemText> = d.examples.iter().map(|e| &e.text).collect();
    let y: Vec<bool> = d
        .examples
        .iter()
        .map(|e| e.decision.is_overturned())
        .collect();
    let p = m.outcome.predict_proba(&docs)?;
    let outcome = BinaryMetrics::compute(&y, &p, m.outcome.threshold);
    let themes = model_theme_metrics(&m, d, &docs)?;
    let report = ModelReport {
        name: &name,
        d,
        overlap: overlap.as_deref(),
        outcome: &outcome,
        themes: themes.as_ref(),
    };
    // The report first, as for cross-validation.
    let written = if a.json {
        write_model_json(out, &report)
    } else if a.csv {
        Ok(write_model_csv(out, &report)?)
    } else {
        write_model_table(out, &report)
    }
    .and_then(|()| Ok(out.flush()?));
    let plots = a.plots.as_ref().map(|dir| {
        let predicted = p
            .iter()
            .map(|&p| m.outcome.decide(p).is_overturned())
            .collect();
        let run = Run {
            label: "held out".into(),
            y: y.clone(),
            predicted,
            p: p.clone(),
        };
        model_plots(dir, path, d, run, m.outcome.threshold, themes.as_ref())
    });
    written?;
    files_written([plots], exit(d.failed))
}

/// What `evaluate --model` found, for its JSON or its table.
struct ModelReport<'a> {
    name: &'a str,
    d: &'a data::Data,
    overlap: Option<&'a str>,
    outcome: &'a BinaryMetrics,
    themes: Option<&'a ThemeMetrics>,
}

/// The theme models on the items with gold themes (none without a theme model or gold themes).
fn model_theme_metrics(
    m: &imr::model::ModelFile,
    d: &data::Data,
    docs: &[&ItemText],
) -> Result<Option<ThemeMetrics>> {
    let with: Vec<usize> = (0..d.examples.len())
        .filter(|&i| d.examples[i].themes.is_some())
        .collect();
    let Some(tm) = &m.themes else {
        if !with.is_empty() {
            say!("imr: note: --gold: the model has no theme models, so its themes are not scored");
        }
        return Ok(None);
    };
    if with.is_empty() {
        return Ok(None);
    }
    let decisions: Vec<_> = with.iter().map(|&i| Some(d.examples[i].decision)).collect();
    let pred = tm.predict(
        &with.iter().map(|&i| docs[i]).collect::<Vec<_>>(),
        &decisions,
    )?;
    // Untrained themes too: their gold occurrences count as missed.
    let ids = tm.theme_ids();
    let truth: Vec<Vec<String>> = with
        .iter()
        .map(|&i| d.examples[i].themes.clone().unwrap_or_default())
        .collect();
    Ok(Some(ThemeMetrics::compute(&ids, &truth, &pred)))
}

/// `--plots` of `evaluate --model`: the one run of held-out scores.
fn model_plots(
    dir: &std::path::Path,
    path: &std::path::Path,
    d: &data::Data,
    run: Run,
    threshold: f64,
    themes: Option<&ThemeMetrics>,
) -> Result<()> {
    let data = PlotData {
        subtitle: format!(
            "model {} on {} items of {} letters",
            file_name(path),
            d.examples.len(),
            d.letters
        ),
        runs: vec![run],
        threshold: Some(threshold),
        theme_f1: themes.map(|t| {
            t.per_theme
                .iter()
                .map(|(k, v)| {
                    let bar = imr::report::ThemeF1 {
                        f1: v.f1,
                        sd: None,
                        gold: v.support,
                    };
                    (k.clone(), bar)
                })
                .collect()
        }),
    };
    report_plots(dir, &data)
}

/// `evaluate --model --json`: one summary line.
fn write_model_json(out: &mut impl Write, r: &ModelReport<'_>) -> Result<()> {
    let outcome_map: BTreeMap<&str, f64> = outcome_values(r.outcome).into_iter().collect();
    let themes = r
        .themes
        .map(|t| json!({"micro_f1": t.micro_f1, "macro_f1": t.macro_f1, "per_theme": t.per_theme}));
    let summary = json!({
        "type": "summary", "model": imr::model::output_name(r.name), "items": r.d.examples.len(), "letters": r.d.letters,
        "training_overlap": r.overlap,
        "outcome": outcome_map, "confusion": r.outcome.confusion,
        "themes": themes,
    });
    imr::schema::write_json_line(out, &summary)?;
    Ok(())
}

/// `evaluate --model`'s table: the outcome metrics, the confusion matrix and the themes.
fn write_model_table(out: &mut impl Write, r: &ModelReport<'_>) -> Result<()> {
    let (name, d, outcome) = (r.name, r.d, r.outcome);
    let outcome_map: BTreeMap<&str, f64> = outcome_values(outcome).into_iter().collect();
    writeln!(
        out,
        "model {name} on {} items of {} letters",
        d.examples.len(),
        d.letters
    )?;
    for (k, v) in &outcome_map {
        if v.is_nan() {
            // Null in --json.
            writeln!(out, "  {k:<18} -       (undefined: {})", undefined_why(k))?;
        } else {
            writeln!(out, "  {k:<18} {v:.4}")?;
        }
    }
    writeln!(
        out,
        "  confusion          [[TN FP] [FN TP]] = {:?}",
        outcome.confusion
    )?;
    if let Some(t) = r.themes {
        writeln!(
            out,
            "  themes micro-F1    {:.4}\n  themes macro-F1    {:.4}",
            t.micro_f1, t.macro_f1
        )?;
        writeln!(
            out,
            "  {:<28} {:>9} {:>9} {:>9} {:>6}",
            "theme", "precision", "recall", "F1", "gold"
        )?;
        for (id, m) in &t.per_theme {
            writeln!(
                out,
                "  {id:<28} {:>9} {:>9} {:>9} {:>6}",
                num(m.precision),
                num(m.recall),
                num(m.f1),
                m.support
            )?;
        }
    }
    Ok(())
}

/// The pooled out-of-fold figures (what the plots draw) and the quintiles, labelled apart from the
/// fold means.
fn write_pooled(out: &mut impl Write, s: &imr::eval::cv::CvSummary) -> Result<()> {
    let Some(p) = &s.pooled else { return Ok(()) };
    let how = match s.repeats {
        1 => "all scores at once, as plotted".to_string(),
        n => format!("each repeat's scores at once, as plotted; mean of {n} repeats"),
    };
    writeln!(
        out,
        "pooled out-of-fold ({how}): ROC-AUC {:.3}, PR-AUC {:.3}, Brier {:.4} (base rate's \
         {:.4}, skill {:+.3}); the row \"mean\" above is the mean over folds",
        p.roc_auc, p.pr_auc, p.brier, p.base_brier, p.brier_skill
    )?;
    if !s.quintiles.is_empty() {
        let bins: Vec<String> = s
            .quintiles
            .iter()
            .map(|b| format!("{:.3} vs {:.3}", b.mean_p, b.overturned_share))
            .collect();
        writeln!(
            out,
            "quintiles of the pooled scores, mean P(Overturned) vs Overturned share: {}",
            bins.join(", ")
        )?;
    }
    Ok(())
}

/// Writes the plots; says where on stderr, so stdout stays the report (or JSON lines).
fn report_plots(dir: &std::path::Path, data: &PlotData) -> Result<()> {
    let files = write_plots(dir, data)?;
    let why = if data.ranks() {
        ""
    } else {
        " (no ROC or precision-recall curve: the items hold one decision only)"
    };
    say!("imr: wrote {} plots to {}{why}", files.len(), dir.display());
    Ok(())
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn short(n: &str) -> &str {
    match n {
        "balanced_accuracy" => "bal_acc",
        "precision" => "prec",
        other => other,
    }
}

fn exit(failed: usize) -> ExitCode {
    if failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

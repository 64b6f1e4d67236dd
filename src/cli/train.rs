//! `imr train`: fit the outcome model (and theme models with --gold) and write one model file.

use super::data;
use super::progress;
use anyhow::{Context, Result};
use imr::eval::cv::{cross_validate_counted, CountedItems, CvConfig, CvFeaturizers};
use imr::model::{
    ModelFile, OutcomeModel, ThemeModels, TrainingMetadata, TrainingParams, View, FORMAT_VERSION,
    MIN_ITEMS_PER_CLASS,
};
use imr::ParamGuard;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::process::ExitCode;

/// Train the outcome model (labels: the letters' own decisions) and, with --gold, one model per
/// theme.
///
/// The same input, seed and --date give the same model file byte for byte. Exit status: 0 on
/// success, 1 when some letters could not be read (the model is still written from the others), 2
/// on error.
#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Letter files or directories.
    #[arg(long = "data", required_unless_present = "db", num_args = 1..)]
    pub data: Vec<PathBuf>,
    /// Letters from a database made by `imr index`, instead of --data: the same letters give the
    /// same result.
    #[arg(long, value_name = "FILE", conflicts_with = "data")]
    pub db: Option<PathBuf>,
    /// Gold items (JSON lines: case_number, item, themes) to train the theme models.
    #[arg(long)]
    pub gold: Option<PathBuf>,
    /// The text the outcome model sees [default: rationale, or the params file's outcome.view].
    #[arg(long, value_enum)]
    pub view: Option<View>,
    /// Settings that differ from the shipped ones, as JSON (`imr params` prints them all).
    #[arg(long, value_name = "FILE")]
    pub params: Option<PathBuf>,
    /// Seed for every random choice (calibration and threshold folds, cross-validation).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Cross-validation folds run at training time and stored in the metadata: 2 to 100, or 0 to
    /// skip.
    #[arg(long, default_value_t = 5, value_parser = super::cv_folds)]
    pub cv_folds: usize,
    /// Training date written into the metadata (YYYY-MM-DD); default today (UTC).
    #[arg(long)]
    pub date: Option<imr::Date>,
    /// Where to write the model file (required: a model is never written where you did not say).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run(a: TrainArgs) -> Result<ExitCode> {
    // A bad --out is said now, not after the training it would throw away.
    let named = [
        ("--db", a.db.as_deref()),
        ("--gold", a.gold.as_deref()),
        ("--params", a.params.as_deref()),
    ];
    data::refuse_output_over_input(&a.out, "--out", &data::inputs(&named, &a.data))?;
    imr::model::ModelFile::check_writable(&a.out)?;
    let (params, theme_params) =
        super::params::resolve(a.params.as_deref(), a.view, a.gold.is_some())?;
    let letters = data::Letters::of(&a.data, a.db.as_deref());
    let cv_run = a.cv_folds >= 2;
    let featurizers =
        CvFeaturizers::new(&params, theme_params.as_ref().filter(|_| cv_run), cv_run)?;
    let t = read_training(&a, letters, &featurizers, &params)?;
    let cv = if cv_run {
        Some(cv_before_training(
            &a,
            &t,
            &featurizers,
            &params,
            theme_params.as_ref(),
        )?)
    } else {
        None
    };
    let failed = t.read.failed;
    let file = fit(&a, t, &params, theme_params.as_ref(), cv)?;
    file.save(&a.out)?;
    report_written(&a.out, &file);
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The training items, read once: each item's text counted as its letter is read, then dropped.
/// What stays is the counts, each item's labels and kind, and the texts the theme models and
/// precedents read.
struct Training {
    items: imr::eval::cv::CountedItems,
    kinds: Vec<imr::treatment::TreatmentKind>,
    /// The gold items' texts, themes and letters (the theme models' training set).
    gold: Vec<(imr::features::ItemText, Vec<String>, String)>,
    digest: Sha256,
    theme_ids: Vec<String>,
    read: data::Read,
}

fn read_training(
    a: &TrainArgs,
    letters: data::Letters<'_>,
    featurizers: &CvFeaturizers,
    params: &imr::model::OutcomeValidParams,
) -> Result<Training> {
    let mut counter = CountedItems::counter(featurizers, letters.expected_items()?);
    let (mut kinds, mut gold, mut digest) = (Vec::new(), Vec::new(), Sha256::new());
    let read = data::read_examples(
        letters,
        a.gold.as_deref(),
        params.view() == View::Case,
        |e| {
            data::digest_example(&mut digest, &e);
            kinds.push(e.kind);
            if let Some(themes) = &e.themes {
                gold.push((e.text.clone(), themes.clone(), e.case_number.clone()));
            }
            counter.push(e.case_number, e.decision, e.themes, e.text);
        },
    )?;
    let theme_ids = read
        .gold
        .as_ref()
        .map(|g| g.theme_ids())
        .unwrap_or_default();
    Ok(Training {
        items: counter.finish(),
        kinds,
        gold,
        digest,
        theme_ids,
        read,
    })
}

/// `--cv-folds`: a cross-validation of the same settings, kept in the model's metadata.
fn cv_before_training(
    a: &TrainArgs,
    t: &Training,
    featurizers: &CvFeaturizers,
    params: &imr::model::OutcomeValidParams,
    theme_params: Option<&imr::model::ThemeValidParams>,
) -> Result<imr::eval::cv::CvSummary> {
    let pb = progress::bar(a.cv_folds, "cv");
    let r = cross_validate_counted(
        &t.items,
        featurizers,
        params,
        theme_params,
        &t.theme_ids,
        &CvConfig::new(a.cv_folds, 1, a.seed, true),
        &|| pb.inc(1),
    )
    .context("the cross-validation run before training (--cv-folds 0 skips it)")?;
    pb.finish_and_clear();
    Ok(r.summary)
}

/// The outcome and theme models, the precedents and base rates, and the metadata: the model file.
fn fit(
    a: &TrainArgs,
    t: Training,
    params: &imr::model::OutcomeValidParams,
    theme_params: Option<&imr::model::ThemeValidParams>,
    cv: Option<imr::eval::cv::CvSummary>,
) -> Result<ModelFile> {
    let Training {
        items,
        kinds,
        gold,
        digest,
        theme_ids,
        read,
    } = t;
    let y: Vec<bool> = items.decisions.iter().map(|d| d.is_overturned()).collect();
    let pb = progress::bar(2, "train");
    let groups = items.case_numbers.clone();
    let mut cases = groups.clone();
    cases.sort_unstable();
    cases.dedup();
    let outcome = OutcomeModel::fit_counts(params, items.into_counts(), &y, &groups, a.seed)
        .context("training the outcome model")?;
    if params.calibration_folds() >= 2 && outcome.calibration.is_none() {
        say!(
            "imr: warning: P(Overturned) is not calibrated: too few letters with an Overturned item to fit a calibration on {} inner folds; the model's scores are its class-weighted ones, which overstate the chance of Overturned",
            params.calibration_folds()
        );
    }
    pb.inc(1);
    let themes = theme_params
        .map(|tp| fit_themes(tp, &gold, &theme_ids, a.seed))
        .transpose()?;
    pb.finish_and_clear();
    for u in themes.iter().flat_map(|t| &t.untrained) {
        say!(
            "imr: warning: theme {}: not trained, {} of the {} gold items have it (needs {MIN_ITEMS_PER_CLASS} with and {MIN_ITEMS_PER_CLASS} without); the model never assigns it",
            u.id, u.positives, u.items
        );
    }
    let date = a.date.unwrap_or_else(imr::Date::today);
    Ok(ModelFile {
        format_version: FORMAT_VERSION.into(),
        outcome,
        themes,
        precedents: match params.view() {
            View::Case => Some(precedents(&read)?),
            _ => None,
        },
        base_rates: Some(imr::model::BaseRates::count(
            kinds.iter().zip(y.iter().copied()),
        )),
        metadata: TrainingMetadata {
            imr_version: env!("CARGO_PKG_VERSION").into(),
            corpus_digest: format!("sha256:{:x}", digest.finalize()),
            letters: read.letters,
            items: y.len(),
            overturned: y.iter().filter(|&&b| b).count(),
            gold_items: gold.len(),
            training_cases: Some(cases),
            seed: a.seed,
            treatment_rules: Some(imr::treatment::VERSION.into()),
            params: Some(TrainingParams::new(params, theme_params)),
            date: date.to_string(),
            cv,
        },
    })
}

/// The theme models, from the gold items' texts, decisions and themes.
fn fit_themes(
    tp: &imr::model::ThemeValidParams,
    gold: &[(imr::features::ItemText, Vec<String>, String)],
    theme_ids: &[String],
    seed: u64,
) -> Result<ThemeModels> {
    ThemeModels::fit(
        tp,
        &gold.iter().map(|g| g.0.clone()).collect::<Vec<_>>(),
        &gold.iter().map(|g| g.1.clone()).collect::<Vec<_>>(),
        &gold.iter().map(|g| g.2.clone()).collect::<Vec<_>>(),
        theme_ids,
        seed,
    )
    .context("training the theme models")
}

/// The training items as precedents (a case model keeps them for `similar`).
fn precedents(read: &data::Read) -> Result<imr::precedent::PrecedentIndex> {
    imr::precedent::PrecedentIndex::build(
        &imr::precedent::PrecedentParams::new().check()?,
        read.precedents.iter().map(|(p, t)| (p.clone(), t)),
    )
    .context("indexing the training items as precedents")
}

/// What was written, and the cross-validation's figures where one ran.
fn report_written(out: &std::path::Path, file: &ModelFile) {
    say!(
        "imr: wrote {} ({} letters, {} items, {} overturned, {} theme models)",
        out.display(),
        file.metadata.letters,
        file.metadata.items,
        file.metadata.overturned,
        file.themes.as_ref().map_or(0, |t| t.themes.len())
    );
    if let Some(cv) = &file.metadata.cv {
        say!(
            "imr: {}-fold CV: ROC-AUC {:.3}, F1 {:.3}{}",
            cv.folds,
            cv.outcome.roc_auc,
            cv.outcome.f1,
            cv.themes
                .as_ref()
                .map(|t| format!(", theme micro-F1 {:.3}", t.micro_f1))
                .unwrap_or_default()
        );
    }
}

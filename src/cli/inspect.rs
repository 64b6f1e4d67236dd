//! `imr inspect`: what a model file holds, and the terms that weigh most in each of its models.

use super::data::load_model;
use anyhow::{Context, Result};
use imr::features::TfIdf;
use imr::model::{BinaryLogistic, ClassWeight, LogisticValidParams, ModelFile};
use serde::Serialize;
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Show what a model file holds: its training data and metadata, the CV run at training time, and
/// for the outcome model and each theme model its threshold and the terms with the largest
/// coefficients.
///
/// Exit status: 0 on success, 2 when the model cannot be read.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    #[arg(long, value_name = "FILE|NAME", help = super::data::MODEL_HELP, long_help = format!("{} [default: default, compiled in]", super::data::MODEL_HELP))]
    pub model: Option<PathBuf>,
    /// Terms to show for each side of each model: 0 to 1000.
    #[arg(long, default_value_t = 8, value_parser = super::counts(0, super::MAX_TOP))]
    pub top: usize,
    /// One JSON object.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// The heaviest terms as CSV, a row each: part (`outcome` or the theme), towards (Overturned,
    /// Upheld, or the theme), rank, field, term, coefficient.
    #[arg(long)]
    pub csv: bool,
    /// Print only the settings the model was trained with, as a params file: `imr train --params`
    /// with it, the same data, seed and date trains the same file again.
    #[arg(long, conflicts_with_all = ["json", "csv", "top"])]
    pub settings: bool,
}

/// One term and its coefficient; `term` is the analysed form (stemmed, negation-marked), `field`
/// where it is counted ("cue" for a codebook cue).
#[derive(Debug, Serialize)]
struct Weight {
    field: &'static str,
    term: String,
    coefficient: f64,
}

/// The `k` largest and the `k` smallest coefficients (only those of their sign).
fn extremes(tfidf: &TfIdf, m: &BinaryLogistic, k: usize) -> (Vec<Weight>, Vec<Weight>) {
    let mut order: Vec<usize> = (0..m.coefficients.len()).collect();
    order.sort_by(|&a, &b| {
        m.coefficients[b]
            .total_cmp(&m.coefficients[a])
            .then(a.cmp(&b))
    });
    let weight = |j: usize| {
        let t = tfidf.term(j);
        Weight {
            field: t.namespace.name(),
            term: t.text.to_string(),
            coefficient: m.coefficients[j],
        }
    };
    let pos = order
        .iter()
        .take_while(|&&j| m.coefficients[j] > 0.0)
        .take(k)
        .map(|&j| weight(j))
        .collect();
    let neg = order
        .iter()
        .rev()
        .take_while(|&&j| m.coefficients[j] < 0.0)
        .take(k)
        .map(|&j| weight(j))
        .collect();
    (pos, neg)
}

pub fn run(a: InspectArgs) -> Result<ExitCode> {
    let (m, name) = load_model(a.model.as_deref())?;
    if a.settings {
        return print_settings(&m, &name);
    }
    let (over, upheld) = extremes(&m.outcome.tfidf, &m.outcome.logistic, a.top);
    let themes: Vec<_> = m
        .themes
        .iter()
        .flat_map(|tm| {
            tm.themes
                .iter()
                .map(move |t| (t, extremes(&tm.tfidf, &t.logistic, a.top).0))
        })
        .collect();
    let mut out = std::io::BufWriter::new(super::stdout());
    if a.json {
        let md = &m.metadata;
        let v = json!({
            "model": imr::model::output_name(&name), "format_version": m.format_version, "metadata": md,
            "outcome": {"view": m.outcome.view.name(), "terms": m.outcome.tfidf.vocabulary().len(), "threshold": m.outcome.threshold,
                        "calibration": m.outcome.calibration, "towards_overturned": over, "towards_upheld": upheld},
            "themes": themes.iter().map(|(t, top)| json!({"id": t.id, "threshold": t.threshold, "towards": top})).collect::<Vec<_>>(),
            "untrained_themes": m.themes.as_ref().map(|t| &t.untrained),
            "min_known_terms": m.outcome.min_known_terms,
            "bootstrap_refits": m.outcome.bootstrap.as_ref().map(|b| b.replicates()),
            "base_rates": m.base_rates,
            "precedents": m.precedents.as_ref().map(|p| p.len()),
        });
        imr::schema::write_json_line(&mut out, &v)?;
    } else if a.csv {
        write_weights_csv(&mut out, (&over, &upheld), &themes)?;
    } else {
        write_training(&mut out, &m, &name)?;
        write_scoring(&mut out, &m, a.top, (&over, &upheld), &themes)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `--csv`: the heaviest terms, a row each (`weight.csv` in docs/schema.md).
fn write_weights_csv(
    out: &mut impl Write,
    (over, upheld): Sides<'_>,
    themes: &[(&imr::model::ThemeModel, Vec<Weight>)],
) -> std::io::Result<()> {
    super::csv_record(&mut *out, WEIGHT_COLUMNS)?;
    let outcome = [("Overturned", over), ("Upheld", upheld)].map(|(to, w)| ("outcome", to, w));
    let themes = themes
        .iter()
        .map(|(t, w)| (t.id.as_str(), t.id.as_str(), w.as_slice()));
    for (part, towards, weights) in outcome.into_iter().chain(themes) {
        for (rank, w) in weights.iter().enumerate() {
            let rank = (rank + 1).to_string();
            let coefficient = w.coefficient.to_string();
            let cells = [part, towards, &rank, w.field, &w.term, &coefficient];
            super::csv_record(&mut *out, cells)?;
        }
    }
    Ok(())
}

const WEIGHT_COLUMNS: [&str; 6] = ["part", "towards", "rank", "field", "term", "coefficient"];

/// `--settings`: the settings the model was trained with, as a params file.
fn print_settings(m: &ModelFile, name: &str) -> Result<ExitCode> {
    let s = m
        .training_settings()
        .with_context(|| format!("{name}: its recorded settings fail today's checks"))?
        .with_context(|| {
            format!("{name}: the file does not record its training settings (format 2 or older)")
        })?;
    writeln!(super::stdout(), "{}", serde_json::to_string_pretty(&s)?)?;
    Ok(ExitCode::SUCCESS)
}

/// The table's first lines: the model, its data, its fit and the cross-validation at training.
fn write_training(out: &mut impl Write, m: &ModelFile, name: &str) -> Result<()> {
    let md = &m.metadata;
    writeln!(
        out,
        "model      {name} ({}, imr {}, trained {}, seed {})",
        m.format_version, md.imr_version, md.date, md.seed
    )?;
    writeln!(
        out,
        "data       {} letters, {} items ({} Overturned), {} with gold themes; {}",
        md.letters, md.items, md.overturned, md.gold_items, md.corpus_digest
    )?;
    if let Some(p) = &md.params {
        let lr = |l: &LogisticValidParams| {
            let w = match l.class_weight() {
                ClassWeight::None => "no class weights".to_string(),
                ClassWeight::Balanced => "balanced class weights".to_string(),
                ClassWeight::Manual { positive, negative } => {
                    format!("class weights {positive} / {negative}")
                }
            };
            format!("C {}, {w}", l.c())
        };
        writeln!(
            out,
            "fit        outcome {}, calibration folds {}",
            lr(&p.outcome.logistic),
            p.outcome.calibration_folds
        )?;
        if let Some(t) = &p.themes {
            writeln!(
                out,
                "           themes {}, threshold folds {}, threshold shrink {}, own-cue scale {}",
                lr(&t.logistic),
                t.threshold_folds,
                t.threshold_shrink,
                t.own_cue_scale
            )?;
        }
    }
    if let Some(cv) = &md.cv {
        let themes = cv
            .themes
            .as_ref()
            .map(|t| format!(", theme micro-F1 {:.3}", t.micro_f1))
            .unwrap_or_default();
        // Both ROC-AUC figures, each named: the mean over folds and that of the pooled scores
        // (what the plots draw and the forecast's footer gives) differ.
        let pooled = cv
            .pooled
            .map(|p| format!(", pooled {:.3}", p.roc_auc))
            .unwrap_or_default();
        writeln!(
            out,
            "cv         {}-fold at training: ROC-AUC {:.3} (mean of folds{pooled}), F1 \
             {:.3}{themes}",
            cv.folds, cv.outcome.roc_auc, cv.outcome.f1
        )?;
    }
    Ok(())
}

/// Terms of one side of a model, with their fields and coefficients.
type Sides<'a> = (&'a [Weight], &'a [Weight]);

/// The table's scoring lines: the outcome model and its heaviest terms, abstention, base rates,
/// and each theme model.
fn write_scoring(
    out: &mut impl Write,
    m: &ModelFile,
    top: usize,
    (over, upheld): Sides<'_>,
    themes: &[(&imr::model::ThemeModel, Vec<Weight>)],
) -> Result<()> {
    let calibration = match m.outcome.calibration {
        Some(c) => format!("P = sigmoid({:.3} x margin {:+.3})", c.slope, c.intercept),
        None => "none (the class-weighted score)".into(),
    };
    writeln!(
        out,
        "outcome    view {}, {} terms ({}), threshold {:.3}, calibration {calibration}",
        m.outcome.view.name(),
        m.outcome.tfidf.vocabulary().len(),
        weighting(&m.outcome.tfidf),
        m.outcome.threshold
    )?;
    if top > 0 {
        writeln!(
            out,
            "  towards Overturned  {}\n  towards Upheld      {}",
            weights(over),
            weights(upheld)
        )?;
    }
    // What the model has not (null in `--json`) is said so, not counted as 0.
    let ranges = match &m.outcome.bootstrap {
        Some(b) => format!("90% ranges from {} bootstrap refits", b.replicates()),
        None => "no 90% ranges (no bootstrap refits)".into(),
    };
    let precedents = match &m.precedents {
        Some(p) => format!("{} precedents", p.len()),
        None => "no precedents kept".into(),
    };
    writeln!(
        out,
        "scores     none below {} known text terms; {ranges}; {precedents}",
        m.outcome.min_known_terms,
    )?;
    if let Some(r) = &m.base_rates {
        let rates: Vec<String> = r
            .categories
            .iter()
            .map(|(c, n)| format!("{} {}/{}", c.id(), n.overturned, n.items))
            .collect();
        writeln!(out, "base rates {} (Overturned/items)", rates.join(", "))?;
    }
    if let Some(tm) = &m.themes {
        write_themes(out, tm, themes)?;
    }
    Ok(())
}

/// Terms with their field and coefficient, on one line.
fn weights(v: &[Weight]) -> String {
    v.iter()
        .map(|w| format!("{}:\"{}\" {:+.2}", w.field, w.term, w.coefficient))
        .collect::<Vec<_>>()
        .join("  ")
}

fn weighting(t: &imr::features::TfIdf) -> &'static str {
    if t.params().use_idf() {
        "TF-IDF"
    } else {
        "TF, no IDF"
    }
}

/// The theme models: each one's threshold and heaviest terms, then the themes not trained.
fn write_themes(
    out: &mut impl Write,
    tm: &imr::model::ThemeModels,
    themes: &[(&imr::model::ThemeModel, Vec<Weight>)],
) -> Result<()> {
    writeln!(
        out,
        "themes     {} models over {} terms ({})",
        tm.themes.len(),
        tm.tfidf.vocabulary().len(),
        weighting(&tm.tfidf)
    )?;
    for (t, top) in themes {
        let line = format!(
            "  {:<28} threshold {:.3}  {}",
            t.id,
            t.threshold,
            weights(top)
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    for u in &tm.untrained {
        writeln!(
            out,
            "  {:<28} not trained: {} of {} gold items",
            u.id, u.positives, u.items
        )?;
    }
    Ok(())
}

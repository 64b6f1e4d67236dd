//! Repeated, stratified, letter-grouped cross-validation of the outcome and theme models. The
//! analyzer, the TF-IDF and the models are refitted inside every fold, on that fold's training
//! items only.

use crate::error::{Error, Result};
use crate::features::{Counter, Featurizer, ItemText, TermCounts};
use crate::folds::{stratified_group_kfold, Split};
use crate::metrics::summary::{mean, mean_sd};
use crate::metrics::{BinaryMetrics, ThemeMetrics};
use crate::model::{Example, OutcomeModel, OutcomeValidParams, ThemeModels, ThemeValidParams};
use crate::Decision;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use crate::folds::MAX_FOLDS;
pub use crate::metrics::summary::{
    Bin, CvSummary, MultiLabelF1, OutcomeMetrics, PooledMetrics, ThemeSummary,
};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CvConfig {
    pub folds: usize,
    pub repeats: usize,
    pub seed: u64,
    /// Also evaluate the rationale view with its verdict sentences masked.
    pub ablation: bool,
    /// Folds are fitted in parallel while the items' term counts have at most this many non-zeros,
    /// and one at a time past it. Parallel folds hold one training matrix per thread; one at a
    /// time, the solver's row blocks use the threads instead: at 44,144 rationales, 5-fold CV peak
    /// RSS 263 -> 186-210 MB for 2.8 -> 2.9-3.2 s (`scripts/bench-features`). The results are the
    /// same either way.
    #[serde(default = "default_parallel_folds_max_nnz")]
    pub parallel_folds_max_nnz: usize,
}

fn default_parallel_folds_max_nnz() -> usize {
    1 << 20
}

/// The most repeats: each is a full cross-validation, and its predictions are held in memory.
pub const MAX_REPEATS: usize = 1000;

impl CvConfig {
    pub fn new(folds: usize, repeats: usize, seed: u64, ablation: bool) -> Self {
        CvConfig {
            folds,
            repeats,
            seed,
            ablation,
            parallel_folds_max_nnz: default_parallel_folds_max_nnz(),
        }
    }

    pub fn check(&self) -> Result<()> {
        if !(2..=MAX_FOLDS).contains(&self.folds) {
            return Err(Error::InvalidParam {
                name: "folds",
                value: self.folds.to_string(),
                reason: "must be 2 to 100",
            });
        }
        if !(1..=MAX_REPEATS).contains(&self.repeats) {
            return Err(Error::InvalidParam {
                name: "repeats",
                value: self.repeats.to_string(),
                reason: "must be 1 to 1000",
            });
        }
        Ok(())
    }
}

/// Metrics of one fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    pub repeat: usize,
    pub fold: usize,
    pub train_items: usize,
    pub test_items: usize,
    pub outcome: BinaryMetrics,
    /// The same outcome model with the verdict sentences masked (rationale view only).
    pub outcome_masked: Option<BinaryMetrics>,
    pub themes: Option<ThemeMetrics>,
    /// Themes this fold's training items held too few examples of to fit (scored as never
    /// assigned).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untrained_themes: Vec<String>,
}

/// An out-of-fold prediction for one item in one repeat (for plots and error analysis).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OofPrediction {
    pub repeat: usize,
    pub fold: usize,
    pub index: usize,
    pub p_overturned: f64,
    /// The fold model's decision (P(Overturned) against its threshold).
    pub predicted: Decision,
    pub themes: Option<Vec<String>>,
    /// Every theme's probability, in the `theme_ids` order given to [`cross_validate`]; NaN for a
    /// theme this fold could not fit.
    pub theme_scores: Option<Vec<f64>>,
}

/// The pooled metrics and quintiles of out-of-fold scores `p` of items labelled `y`.
///
/// # Panics
/// Where `y` and `p` differ in length.
pub fn pooled(y: &[bool], p: &[f64]) -> (PooledMetrics, Vec<Bin>) {
    let share = y.iter().filter(|&&o| o).count() as f64 / y.len().max(1) as f64;
    let base = crate::metrics::brier(y, &vec![share; y.len()]);
    let b = crate::metrics::brier(y, p);
    let metrics = PooledMetrics {
        roc_auc: crate::metrics::roc_auc(y, p),
        pr_auc: crate::metrics::average_precision(y, p),
        brier: b,
        base_brier: base,
        brier_skill: 1.0 - b / base,
    };
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]).then(a.cmp(&b)));
    let bins = (0..5)
        .map(|k| {
            let part = &order[k * order.len() / 5..(k + 1) * order.len() / 5];
            let n = part.len().max(1) as f64;
            Bin {
                mean_p: part.iter().map(|&i| p[i]).sum::<f64>() / n,
                overturned_share: part.iter().filter(|&&i| y[i]).count() as f64 / n,
                items: part.len(),
            }
        })
        .collect();
    (metrics, bins)
}

#[derive(Debug, Clone)]
pub struct CvReport {
    pub folds: Vec<FoldResult>,
    pub summary: CvSummary,
    pub oof: Vec<OofPrediction>,
}

/// Outcome metric names and values, in a fixed order.
pub fn outcome_values(m: &BinaryMetrics) -> Vec<(&'static str, f64)> {
    vec![
        ("accuracy", m.accuracy),
        ("balanced_accuracy", m.balanced_accuracy),
        ("precision", m.precision),
        ("recall", m.recall),
        ("f1", m.f1),
        ("macro_f1", m.macro_f1),
        ("roc_auc", m.roc_auc),
        ("pr_auc", m.pr_auc),
        ("log_loss", m.log_loss),
        ("brier", m.brier),
    ]
}

/// Every fold needs test letters, and every training side both outcomes: so at least `folds`
/// letters, and each decision in at least two letters (the folds put such letters in different
/// folds). Returns the letter count.
fn check_data(groups: &[String], y: &[bool], folds: usize) -> Result<usize> {
    let letters = |want: bool| {
        groups
            .iter()
            .zip(y)
            .filter(|(_, &o)| o == want)
            .map(|(g, _)| g)
            .collect::<std::collections::BTreeSet<_>>()
            .len()
    };
    let all = groups
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if all < folds {
        return Err(Error::TooFewLetters {
            folds,
            letters: all,
        });
    }
    for (want, name) in [(true, "Overturned"), (false, "Upheld")] {
        let (n, l) = (y.iter().filter(|&&o| o == want).count(), letters(want));
        if l < 2 {
            return Err(Error::DecisionInOneLetter {
                decision: name,
                items: n,
                letters: l,
            });
        }
    }
    Ok(all)
}

/// What cross-validation reads of each item once its texts are counted: its letter, decision and
/// gold themes, and its term counts by each featurizer the run needs. Built from examples
/// ([`CountedItems::count`]) or item by item from a stream ([`CountedItems::counter`]), so the
/// texts need not all be held at once.
pub struct CountedItems {
    pub case_numbers: Vec<String>,
    pub decisions: Vec<Decision>,
    pub themes: Vec<Option<Vec<String>>>,
    counts: TermCounts,
    masked: Option<TermCounts>,
    theme_counts: Option<TermCounts>,
}

/// The featurizers a cross-validation run counts with: the outcome model's, the masked rationale
/// view's (the ablation), and the theme models'.
pub struct CvFeaturizers {
    outcome: Featurizer,
    masked: Option<(OutcomeValidParams, Featurizer)>,
    themes: Option<Featurizer>,
}

impl CvFeaturizers {
    pub fn new(
        outcome_params: &OutcomeValidParams,
        theme_params: Option<&ThemeValidParams>,
        ablation: bool,
    ) -> Result<Self> {
        let masked = (ablation && outcome_params.view() == crate::model::View::Rationale)
            .then(|| outcome_params.masked())
            .transpose()?
            .map(|mp| Featurizer::new(mp.features().clone()).map(|f| (mp, f)))
            .transpose()?;
        Ok(CvFeaturizers {
            outcome: Featurizer::new(outcome_params.features().clone())?,
            masked,
            themes: theme_params
                .map(|tp| Featurizer::new(tp.features().clone()))
                .transpose()?,
        })
    }
}

/// [`CountedItems`] built as items arrive, counted in batches of [`crate::features::BATCH`] (so
/// the counts are those of the same items in one slice).
pub struct ItemCounter<'f> {
    items: CountedItems,
    outcome: Counter<'f>,
    masked: Option<Counter<'f>>,
    themes: Option<Counter<'f>>,
    batch: Vec<ItemText>,
}

impl<'f> ItemCounter<'f> {
    /// Adds one item: its letter, decision, gold themes and text.
    pub fn push(
        &mut self,
        case_number: String,
        decision: Decision,
        themes: Option<Vec<String>>,
        text: ItemText,
    ) {
        self.items.case_numbers.push(case_number);
        self.items.decisions.push(decision);
        self.items.themes.push(themes);
        self.batch.push(text);
        if self.batch.len() == crate::features::BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        self.outcome.push(&self.batch);
        for c in [&mut self.masked, &mut self.themes].into_iter().flatten() {
            c.push(&self.batch);
        }
        self.batch.clear();
    }

    pub fn finish(mut self) -> CountedItems {
        self.flush();
        CountedItems {
            counts: self.outcome.finish(),
            masked: self.masked.map(Counter::finish),
            theme_counts: self.themes.map(Counter::finish),
            ..self.items
        }
    }
}

impl CountedItems {
    /// The examples, counted.
    pub fn count(examples: &[Example], featurizers: &CvFeaturizers) -> Self {
        let mut counter = Self::counter(featurizers, Some(examples.len()));
        for e in examples {
            counter.push(
                e.case_number.clone(),
                e.decision,
                e.themes.clone(),
                e.text.clone(),
            );
        }
        counter.finish()
    }

    /// Items counted as they arrive; `expected` items in all, when known.
    pub fn counter(featurizers: &CvFeaturizers, expected: Option<usize>) -> ItemCounter<'_> {
        ItemCounter {
            items: CountedItems {
                case_numbers: Vec::new(),
                decisions: Vec::new(),
                themes: Vec::new(),
                counts: TermCounts::default(),
                masked: None,
                theme_counts: None,
            },
            outcome: featurizers.outcome.counter(expected),
            masked: featurizers
                .masked
                .as_ref()
                .map(|(_, f)| f.counter(expected)),
            themes: featurizers.themes.as_ref().map(|f| f.counter(expected)),
            batch: Vec::with_capacity(crate::features::BATCH),
        }
    }

    /// The outcome model's counts, taken (for the final fit once cross-validation is done).
    pub fn into_counts(self) -> TermCounts {
        self.counts
    }

    pub fn len(&self) -> usize {
        self.decisions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.decisions.is_empty()
    }
}

/// Runs the cross-validation. Themes are evaluated where `theme_params` is given, on the items with
/// gold themes.
pub fn cross_validate(
    examples: &[Example],
    outcome_params: &OutcomeValidParams,
    theme_params: Option<&ThemeValidParams>,
    theme_ids: &[String],
    cfg: &CvConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<CvReport> {
    cfg.check()?;
    let featurizers = CvFeaturizers::new(outcome_params, theme_params, cfg.ablation)?;
    let items = CountedItems::count(examples, &featurizers);
    cross_validate_counted(
        &items,
        &featurizers,
        outcome_params,
        theme_params,
        theme_ids,
        cfg,
        progress,
    )
}

/// [`cross_validate`] of items already counted by `featurizers` (made with the same params and
/// `cfg.ablation`).
pub fn cross_validate_counted(
    items: &CountedItems,
    featurizers: &CvFeaturizers,
    outcome_params: &OutcomeValidParams,
    theme_params: Option<&ThemeValidParams>,
    theme_ids: &[String],
    cfg: &CvConfig,
    progress: &(dyn Fn() + Sync),
) -> Result<CvReport> {
    cfg.check()?;
    let groups = &items.case_numbers;
    let y: Vec<bool> = items.decisions.iter().map(|d| d.is_overturned()).collect();
    let letters = check_data(groups, &y, cfg.folds)?;
    let splits = stratified_group_kfold(groups, &y, cfg.folds, cfg.repeats, cfg.seed)?;
    let run = CvRun {
        items,
        y,
        outcome_params,
        masked_params: featurizers.masked.as_ref().map(|(mp, _)| mp),
        theme_params,
        theme_ids,
        seed: cfg.seed,
    };
    let fold = |s: &Split| -> Result<(FoldResult, Vec<OofPrediction>)> {
        let result = run.fold(s)?;
        progress();
        Ok(result)
    };
    // See `CvConfig::parallel_folds_max_nnz`.
    let results: Vec<(FoldResult, Vec<OofPrediction>)> =
        if items.counts.nnz() <= cfg.parallel_folds_max_nnz {
            splits.par_iter().map(fold).collect::<Result<_>>()?
        } else {
            splits.iter().map(fold).collect::<Result<_>>()?
        };
    let (folds, oof): (Vec<FoldResult>, Vec<Vec<OofPrediction>>) = results.into_iter().unzip();
    let oof: Vec<OofPrediction> = oof.into_iter().flatten().collect();
    let (pooled, quintiles) = pooled_over_repeats(&oof, &items.decisions, cfg.repeats);
    let (outcome, outcome_sd, outcome_masked) = outcome_summary(&folds);
    let (themes, themes_sd, per_theme) = theme_summary(&folds, theme_ids, cfg.repeats);
    Ok(CvReport {
        summary: CvSummary {
            view: outcome_params.view().name().into(),
            folds: cfg.folds,
            repeats: cfg.repeats,
            seed: cfg.seed,
            letters,
            items: items.len(),
            outcome,
            outcome_sd,
            outcome_masked,
            themes,
            themes_sd,
            per_theme,
            pooled: Some(pooled),
            quintiles,
        },
        folds,
        oof,
    })
}

/// What every fold of a run reads. The analyzer learns nothing from data, so every item was
/// analysed once per feature set (`items`); the TF-IDF vocabulary and IDF, and the models, are
/// fitted inside each fold on its training rows only.
struct CvRun<'a> {
    items: &'a CountedItems,
    /// Whether each item was Overturned.
    y: Vec<bool>,
    outcome_params: &'a OutcomeValidParams,
    /// The verdict-masked view's, for the ablation.
    masked_params: Option<&'a OutcomeValidParams>,
    theme_params: Option<&'a ThemeValidParams>,
    theme_ids: &'a [String],
    seed: u64,
}

/// One fold's training side as the outcome models see it, and its test labels.
struct Fold<'s> {
    split: &'s Split,
    train_y: Vec<bool>,
    test_y: Vec<bool>,
    train_groups: Vec<String>,
    /// The fold's own stream for the inner folds (calibration, theme thresholds).
    seed: u64,
}

/// A fold's themes: their metrics on its test items with gold, each such item's assigned themes
/// and every theme's score (by item), and the themes its training items could not fit.
struct FoldThemes {
    metrics: ThemeMetrics,
    predicted: BTreeMap<usize, (Vec<String>, Vec<f64>)>,
    untrained: Vec<String>,
}

impl CvRun<'_> {
    /// Fits the fold's models on its training items and scores its test items.
    fn fold(&self, s: &Split) -> Result<(FoldResult, Vec<OofPrediction>)> {
        let labels = |idx: &[usize]| -> Vec<bool> { idx.iter().map(|&i| self.y[i]).collect() };
        let groups = &self.items.case_numbers;
        let fold = Fold {
            split: s,
            train_y: labels(&s.train),
            test_y: labels(&s.test),
            train_groups: s.train.iter().map(|&i| groups[i].clone()).collect(),
            seed: self
                .seed
                .wrapping_add(s.repeat as u64 * 1000 + s.fold as u64),
        };
        let (model, p, outcome) = self.outcome(self.outcome_params, &self.items.counts, &fold)?;
        let outcome_masked = match (self.masked_params, self.items.masked.as_ref()) {
            (Some(mp), Some(mc)) => Some(self.outcome(mp, mc, &fold)?.2),
            _ => None,
        };
        let themes = self.themes(s, fold.seed)?;
        let (theme_metrics, predicted, untrained_themes) = match themes {
            Some(t) => (Some(t.metrics), t.predicted, t.untrained),
            None => (None, BTreeMap::new(), Vec::new()),
        };
        let result = FoldResult {
            repeat: s.repeat,
            fold: s.fold,
            train_items: s.train.len(),
            test_items: s.test.len(),
            outcome,
            outcome_masked,
            themes: theme_metrics,
            untrained_themes,
        };
        Ok((result, out_of_fold(s, &p, &model, predicted)))
    }

    /// The outcome model of `params` fitted on the fold's training rows of `counts`, its scores of
    /// the test rows, and their metrics.
    fn outcome(
        &self,
        params: &OutcomeValidParams,
        counts: &TermCounts,
        fold: &Fold,
    ) -> Result<(OutcomeModel, Vec<f64>, BinaryMetrics)> {
        let s = fold.split;
        let model = OutcomeModel::fit_rows(
            params,
            counts,
            &s.train,
            &fold.train_y,
            &fold.train_groups,
            fold.seed,
        )?;
        let p = model.predict_proba_rows(counts, &s.test);
        let metrics = BinaryMetrics::compute(&fold.test_y, &p, model.threshold);
        Ok((model, p, metrics))
    }

    /// The theme models fitted on the fold's training items with gold themes, and scored on its
    /// test items with gold; None where the run has no themes.
    fn themes(&self, s: &Split, seed: u64) -> Result<Option<FoldThemes>> {
        let (Some(tp), Some(tc)) = (self.theme_params, self.items.theme_counts.as_ref()) else {
            return Ok(None);
        };
        let items = self.items;
        let with_gold = |idx: &[usize]| -> Vec<usize> {
            idx.iter()
                .copied()
                .filter(|&i| items.themes[i].is_some())
                .collect()
        };
        let (tr, te) = (with_gold(&s.train), with_gold(&s.test));
        let gold = |i: usize| items.themes[i].clone().unwrap_or_default();
        let tm = ThemeModels::fit_rows(
            tp,
            tc,
            &tr,
            &tr.iter().map(|&i| gold(i)).collect::<Vec<_>>(),
            &tr.iter()
                .map(|&i| items.case_numbers[i].clone())
                .collect::<Vec<_>>(),
            self.theme_ids,
            seed,
        )?;
        let decisions: Vec<_> = te.iter().map(|&i| Some(items.decisions[i])).collect();
        let scores = tm.predict_proba_rows(tc, &te);
        let pred = tm.assign_all(&scores, &decisions);
        let metrics = ThemeMetrics::compute(
            self.theme_ids,
            &te.iter().map(|&i| gold(i)).collect::<Vec<_>>(),
            &pred,
        );
        let predicted = te
            .iter()
            .zip(&pred)
            .zip(scores)
            .map(|((&i, p), sc)| (i, (p.clone(), tm.scores_in(self.theme_ids, &sc))))
            .collect();
        Ok(Some(FoldThemes {
            metrics,
            predicted,
            untrained: tm.untrained.into_iter().map(|u| u.id).collect(),
        }))
    }
}

/// The fold's predictions of its test items: P(Overturned) `p` and `model`'s decision, and the
/// themes `predicted` for the items with gold.
fn out_of_fold(
    s: &Split,
    p: &[f64],
    model: &OutcomeModel,
    mut predicted: BTreeMap<usize, (Vec<String>, Vec<f64>)>,
) -> Vec<OofPrediction> {
    s.test
        .iter()
        .zip(p)
        .map(|(&i, &p)| {
            let (themes, theme_scores) = predicted.remove(&i).unzip();
            OofPrediction {
                repeat: s.repeat,
                fold: s.fold,
                index: i,
                p_overturned: p,
                predicted: model.decide(p),
                themes,
                theme_scores,
            }
        })
        .collect()
}

/// The pooled metrics and the quintiles of the out-of-fold scores. Each repeat's scores score
/// every item once: pooled per repeat (a curve of the plots), then the mean over repeats; the
/// quintiles take every repeat's scores at once.
fn pooled_over_repeats(
    oof: &[OofPrediction],
    decisions: &[Decision],
    repeats: usize,
) -> (PooledMetrics, Vec<Bin>) {
    let of_repeat = |rep: Option<usize>| -> (Vec<bool>, Vec<f64>) {
        oof.iter()
            .filter(|o| rep.is_none_or(|r| o.repeat == r))
            .map(|o| (decisions[o.index].is_overturned(), o.p_overturned))
            .unzip()
    };
    let per_repeat: Vec<PooledMetrics> = (0..repeats)
        .map(|r| {
            let (y, p) = of_repeat(Some(r));
            pooled(&y, &p).0
        })
        .collect();
    let (all_y, all_p) = of_repeat(None);
    (mean(&per_repeat), pooled(&all_y, &all_p).1)
}

/// The outcome metrics' mean and sd over the folds, and the masked view's mean where every fold
/// has it.
fn outcome_summary(
    folds: &[FoldResult],
) -> (OutcomeMetrics, OutcomeMetrics, Option<OutcomeMetrics>) {
    let outcome: Vec<OutcomeMetrics> = folds
        .iter()
        .map(|f| OutcomeMetrics::of(&f.outcome))
        .collect();
    let (mean, sd) = mean_sd(&outcome);
    let masked: Option<Vec<OutcomeMetrics>> = folds
        .iter()
        .map(|f| f.outcome_masked.as_ref().map(OutcomeMetrics::of))
        .collect();
    (mean, sd, masked.map(|m| mean_sd(&m).0))
}

/// The themes' micro- and macro-F1 mean and sd over the folds that have themes, and each theme's
/// summary; all None where none has.
fn theme_summary(
    folds: &[FoldResult],
    theme_ids: &[String],
    repeats: usize,
) -> (
    Option<MultiLabelF1>,
    Option<MultiLabelF1>,
    Option<BTreeMap<String, ThemeSummary>>,
) {
    let with_themes: Vec<&ThemeMetrics> = folds.iter().filter_map(|f| f.themes.as_ref()).collect();
    if with_themes.is_empty() {
        return (None, None, None);
    }
    let f1: Vec<MultiLabelF1> = with_themes.iter().map(|t| MultiLabelF1::of(t)).collect();
    let (mean, sd) = mean_sd(&f1);
    let per = theme_ids
        .iter()
        .map(|id| (id.clone(), ThemeSummary::of(id, &with_themes, repeats)))
        .collect();
    (Some(mean), Some(sd), Some(per))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OutcomeParams;
    use linfa::ParamGuard;

    #[test]
    fn pooled_metrics_and_quintiles() {
        let y: Vec<bool> = (0..10).map(|i| i >= 8).collect();
        let p: Vec<f64> = (0..10).map(|i| i as f64 / 10.0).collect();
        let (m, bins) = pooled(&y, &p);
        assert_eq!(m.roc_auc, 1.0);
        // Always forecasting the Overturned share, 0.2: 0.2 x 0.8.
        assert!((m.base_brier - 0.16).abs() < 1e-12, "{m:?}");
        assert!((m.brier_skill - (1.0 - m.brier / 0.16)).abs() < 1e-12);
        assert_eq!(bins.iter().map(|b| b.items).sum::<usize>(), 10);
        assert!((bins[0].mean_p - 0.05).abs() < 1e-12 && (bins[4].mean_p - 0.85).abs() < 1e-12);
        assert_eq!(
            (bins[0].overturned_share, bins[4].overturned_share),
            (0.0, 1.0)
        );
    }
    use crate::letter::Decision;
    use crate::model::ThemeParams;

    fn examples() -> Vec<Example> {
        let words = [
            "pain", "relief", "therapy", "imaging", "opioid", "function", "sessions", "flags",
        ];
        (0..60)
            .map(|i| {
                let overturned = i % 4 == 0;
                let verdict = if overturned {
                    "is medically necessary"
                } else {
                    "is not medically necessary"
                };
                let text = format!(
                    "{} {} {} documented. The request {verdict}.",
                    words[i % 8],
                    words[(i * 3) % 8],
                    words[(i * 5 + 1) % 8]
                );
                Example {
                    case_number: format!("CM{}", i / 2),
                    item: i % 2 + 1,
                    title: String::new(),
                    kind: crate::treatment::classify("", None),
                    decision: if overturned {
                        Decision::Overturned
                    } else {
                        Decision::Upheld
                    },
                    text: ItemText::from_rationale(&text),
                    themes: Some(vec![if overturned {
                        "criteria_met"
                    } else if i % 3 == 0 {
                        "no_red_flags"
                    } else {
                        "criteria_not_met"
                    }
                    .into()]),
                }
            })
            .collect()
    }

    /// Folds and repeats out of range are errors for a library caller too, not a run that never
    /// ends.
    #[test]
    fn folds_and_repeats_are_bounded() {
        let err = |folds, repeats| {
            CvConfig::new(folds, repeats, 1, false)
                .check()
                .map_err(|e| e.to_string())
        };
        assert!(err(5, 3).is_ok() && err(MAX_FOLDS, MAX_REPEATS).is_ok());
        assert_eq!(
            err(101, 1).unwrap_err(),
            "invalid parameter folds = 101: must be 2 to 100"
        );
        assert_eq!(
            err(1, 1).unwrap_err(),
            "invalid parameter folds = 1: must be 2 to 100"
        );
        assert_eq!(
            err(5, usize::MAX).unwrap_err(),
            format!(
                "invalid parameter repeats = {}: must be 1 to 1000",
                usize::MAX
            )
        );
        assert!(err(5, 0).is_err());
    }

    #[test]
    fn folds_one_at_a_time_give_the_parallel_report() {
        let examples = examples();
        let ids: Vec<String> = ["criteria_met", "criteria_not_met", "no_red_flags"]
            .map(String::from)
            .to_vec();
        let (op, tp) = (
            OutcomeParams::new(crate::model::View::Rationale)
                .check()
                .unwrap(),
            ThemeParams::new().check().unwrap(),
        );
        let run = |max_nnz| {
            let cfg = CvConfig {
                parallel_folds_max_nnz: max_nnz,
                ..CvConfig::new(3, 2, 7, true)
            };
            cross_validate(&examples, &op, Some(&tp), &ids, &cfg, &|| {}).unwrap()
        };
        let (parallel, sequential) = (run(usize::MAX), run(0));
        assert_eq!(parallel.folds.len(), 6);
        assert!(parallel.summary.themes.is_some() && parallel.summary.outcome_masked.is_some());
        assert_eq!(parallel.folds, sequential.folds);
        assert_eq!(parallel.oof, sequential.oof);
        assert_eq!(parallel.summary, sequential.summary);
    }

    #[test]
    fn a_theme_too_rare_to_fit_is_reported_and_the_summary_reloads() {
        let examples = examples();
        let ids: Vec<String> = ["criteria_met", "criteria_not_met", "no_red_flags", "absent"]
            .map(String::from)
            .to_vec();
        let (op, tp) = (
            OutcomeParams::new(crate::model::View::Rationale)
                .check()
                .unwrap(),
            ThemeParams::new().check().unwrap(),
        );
        let r = cross_validate(
            &examples,
            &op,
            Some(&tp),
            &ids,
            &CvConfig::new(3, 1, 7, false),
            &|| {},
        )
        .unwrap();
        assert!(r.folds.iter().all(|f| f.untrained_themes == ["absent"]));
        for o in &r.oof {
            let sc = o.theme_scores.as_ref().unwrap();
            assert!(sc[..3].iter().all(|p| (0.0..=1.0).contains(p)) && sc[3].is_nan());
            assert!(!o.themes.as_ref().unwrap().contains(&"absent".to_string()));
        }
        // Its F1 is undefined in every fold: NaN, written as null, read back as NaN (a model file
        // keeps this summary).
        let absent = r.summary.per_theme.as_ref().unwrap()["absent"];
        assert!(absent.f1.is_nan() && absent.precision.is_nan() && absent.support == 0);
        let json = serde_json::to_string(&r.summary).unwrap();
        assert!(json.contains(r#""absent":{"precision":null"#), "{json}");
        let back: CvSummary = serde_json::from_str(&json).unwrap();
        assert!(back.per_theme.as_ref().unwrap()["absent"].f1.is_nan());
        // Each item once: the supports add up to the items' gold themes.
        let per = back.per_theme.as_ref().unwrap();
        assert_eq!(
            per.values().map(|t| t.support).sum::<usize>(),
            examples.len()
        );
        assert_eq!(
            per["criteria_met"],
            r.summary.per_theme.as_ref().unwrap()["criteria_met"]
        );
        assert_eq!(back.outcome, r.summary.outcome);
        assert_eq!(back.themes, r.summary.themes);
    }

    #[test]
    fn too_few_letters_or_outcomes_are_errors_that_say_so() {
        let mut examples = examples();
        let (op, ids) = (
            OutcomeParams::new(crate::model::View::Rationale)
                .check()
                .unwrap(),
            Vec::new(),
        );
        let run = |ex: &[Example], folds| {
            cross_validate(
                ex,
                &op,
                None,
                &ids,
                &CvConfig::new(folds, 1, 7, false),
                &|| {},
            )
            .unwrap_err()
            .to_string()
        };
        assert_eq!(
            run(&examples, 31),
            "cross-validation: 31 folds need at least 31 letters, the data has 30"
        );
        // Overturned items in one letter only: some training side would have none.
        for (i, e) in examples.iter_mut().enumerate() {
            if i >= 2 {
                e.decision = Decision::Upheld;
            }
        }
        assert_eq!(run(&examples, 3), "cross-validation: needs Overturned items in at least 2 letters, so that every training side has one; the data has 1 in 1");
    }
}

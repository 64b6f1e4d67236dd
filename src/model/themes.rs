//! Rationale themes: one binary logistic model per codebook theme, each with its own decision
//! threshold chosen inside cross-validation on the training items.

use super::logistic::{sigmoid, BinaryLogistic, ClassWeight, LogisticParams, LogisticValidParams};
use super::outcome::{default_tfidf, explain_each, explain_row, TermWeight};
use crate::error::{Error, Result};
use crate::features::{
    Columns, FeatureConfig, Featurizer, Field, Indicators, ItemText, Namespace, TermCounts, TfIdf,
    TfIdfValidParams,
};
use crate::folds::{stratified_group_kfold, MAX_FOLDS};
use crate::letter::Decision;
use crate::metrics::best_f1_threshold;
use linfa::ParamGuard;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::collections::BTreeMap;

/// Everything that defines how the theme models are trained, checked (see [`ThemeParams`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeValidParams {
    features: FeatureConfig,
    tfidf: TfIdfValidParams,
    logistic: LogisticValidParams,
    /// Inner folds for choosing each theme's threshold.
    threshold_folds: usize,
    /// The theme of an Overturned item (the codebook's `criteria_met`). Where an item's decision is
    /// known (a letter states it), an Overturned item gets this theme alone and an Upheld item
    /// never gets it: the codebook's rule (its gain in docs/experiments.md). None
    /// turns the rule off.
    overturned_theme: Option<String>,
    /// A theme's own codebook cues (`c:<theme>`, `c:<theme>.<variant>`) have their penalty in its
    /// model divided by this squared ([`LogisticValidParams::fit_penalty_scaled`]): the prior that
    /// the codebook's cues for a theme speak for it more than an n-gram or another theme's cue
    /// does (the values tried: docs/experiments.md).
    own_cue_scale: f64,
    /// How far each theme's threshold moves from the F1-best cut of its inner folds towards 0.5, in
    /// log-odds (0 keeps the cut, 1 is 0.5 for every theme). The cut is a noisy estimate (a few
    /// dozen positives over three inner folds) and 0.5 is the natural cut of a class-balanced
    /// model, so the two are averaged (the values tried: docs/experiments.md).
    threshold_shrink: f64,
}

/// [`ThemeValidParams`] as serde reads and writes it. The functions serde derives
/// for it are private to this module; the public serde impls (`checked_params!`) call them and
/// check what they read.
#[derive(Serialize, Deserialize)]
#[serde(remote = "ThemeValidParams", deny_unknown_fields)]
struct ThemeSerde {
    features: FeatureConfig,
    tfidf: TfIdfValidParams,
    logistic: LogisticValidParams,
    threshold_folds: usize,
    overturned_theme: Option<String>,
    own_cue_scale: f64,
    threshold_shrink: f64,
}

/// Unchecked theme-model hyperparameters: the shipped defaults, changed one by one, then `check()`
/// (linfa's `ParamGuard`).
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeParams(ThemeValidParams);

impl Default for ThemeParams {
    fn default() -> Self {
        ThemeParams(ThemeValidParams {
            // Guideline quotes apart: a quoted "is not recommended" or "functional improvement" is
            // the guideline's wording, not the reviewer's reason (measured in docs/experiments.md).
            features: FeatureConfig {
                quotes_apart: true,
                cues: crate::features::cues::codebook(),
                ..FeatureConfig::new(vec![Field::Rationale, Field::Title])
            },
            // Cue terms as binary indicators beside the TF-IDF of the n-grams, not inside it, so a
            // cue counts once however long the rationale. No IDF: on a few hundred items the
            // rarest n-grams are one reviewer's wording, which IDF weighs most and a new letter
            // will not share. The cue weight and both choices: docs/experiments.md.
            tfidf: default_tfidf()
                .use_idf(false)
                .indicators(Some(Indicators {
                    namespace: Namespace::Cue,
                    weight: 0.25,
                }))
                .check_unwrap(),
            logistic: LogisticParams::new()
                .c(10.0)
                .class_weight(ClassWeight::Balanced)
                .check_unwrap(),
            threshold_folds: 3,
            overturned_theme: Some("criteria_met".into()),
            own_cue_scale: 3.0,
            threshold_shrink: 0.5,
        })
    }
}

impl ThemeParams {
    pub fn new() -> Self {
        Self::default()
    }
}

checked_params!(ThemeParams => ThemeValidParams as ThemeSerde, validate;
    threshold_folds: usize, own_cue_scale: f64, threshold_shrink: f64;
    ref features: FeatureConfig, tfidf: TfIdfValidParams, logistic: LogisticValidParams,
    overturned_theme: Option<String>);

fn validate(p: &ThemeValidParams) -> Result<()> {
    p.features.check()?;
    if !(2..=MAX_FOLDS).contains(&p.threshold_folds) {
        return Err(Error::InvalidParam {
            name: "threshold_folds",
            value: p.threshold_folds.to_string(),
            reason: "must be 2 to 100",
        });
    }
    if let Some(t) = p.overturned_theme.as_deref() {
        // A name that is no theme would turn the rule off without a word.
        if !crate::features::cues::codebook_themes()
            .iter()
            .any(|c| c == t)
        {
            return Err(Error::InvalidParam {
                name: "overturned_theme",
                value: t.to_string(),
                reason: "must name a theme of the codebook (null turns the rule off)",
            });
        }
    }
    if !(p.own_cue_scale.is_finite() && p.own_cue_scale > 0.0) {
        return Err(Error::InvalidParam {
            name: "own_cue_scale",
            value: crate::error::num(p.own_cue_scale),
            reason: "must be positive and finite",
        });
    }
    if !(0.0..=1.0).contains(&p.threshold_shrink) {
        return Err(Error::InvalidParam {
            name: "threshold_shrink",
            value: crate::error::num(p.threshold_shrink),
            reason: "must be in [0, 1]",
        });
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeModel {
    pub id: String,
    pub logistic: BinaryLogistic,
    pub threshold: f64,
}

/// A theme of the gold file left without a model: its training items hold fewer than
/// [`MIN_ITEMS_PER_CLASS`] positive or negative examples. It is never assigned, and counts as
/// missed where evaluation finds it in the gold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UntrainedTheme {
    pub id: String,
    /// Training items with the theme.
    pub positives: usize,
    /// Training items.
    pub items: usize,
}

/// The fewest positive and negative training items a theme model is fitted from.
pub const MIN_ITEMS_PER_CLASS: usize = 2;

/// The fitted theme models, sharing one analyzer and TF-IDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeModels {
    pub features: FeatureConfig,
    pub tfidf: TfIdf,
    pub themes: Vec<ThemeModel>,
    /// See [`ThemeValidParams::overturned_theme`]; kept only when it is one of the fitted themes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overturned_theme: Option<String>,
    /// The themes asked for that had too few training items to fit (a small or partial gold file).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub untrained: Vec<UntrainedTheme>,
}

/// Themes fitted for the given ids, and the columns of the counts they were fitted from.
struct Fitted {
    tfidf: TfIdf,
    cols: Columns,
    models: Vec<BinaryLogistic>,
}

/// Fits one model per theme of `ids`, `labels[t]` the labels of `ids[t]`.
fn fit_all(
    params: &ThemeValidParams,
    counts: &TermCounts,
    rows: &[usize],
    ids: &[&str],
    labels: &[Vec<bool>],
) -> Result<Fitted> {
    let (tfidf, cols) = params.tfidf.fit_rows(counts, rows)?;
    let x = tfidf.transform_counts(counts, rows, &cols);
    let models = ids
        .par_iter()
        .zip(labels)
        .map(|(id, y)| {
            params.logistic.fit_penalty_scaled(
                &x,
                y,
                &own_cue_scales(&tfidf, id, params.own_cue_scale),
            )
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Fitted {
        tfidf,
        cols,
        models,
    })
}

/// Per column of `tfidf`: `scale` for the cues of theme `id`, 1 for every other term.
fn own_cue_scales(tfidf: &TfIdf, id: &str, scale: f64) -> Vec<f64> {
    (0..tfidf.n_features())
        .map(|j| match tfidf.term(j).cue_theme() {
            Some(theme) if theme == id => scale,
            _ => 1.0,
        })
        .collect()
}

/// The themes that can be fitted, with their labels, and those that cannot.
struct Trainable {
    ids: Vec<String>,
    /// `labels[t][k]`: whether item k has theme `ids[t]`.
    labels: Vec<Vec<bool>>,
    untrained: Vec<UntrainedTheme>,
}

/// Splits `theme_ids` into the themes the items' gold (`themes`) holds enough positive and negative
/// examples of to fit, and the others; an error when none can be fitted.
fn trainable(theme_ids: &[String], themes: &[Vec<String>], items: usize) -> Result<Trainable> {
    let mut untrained = Vec::new();
    let (mut ids, mut labels): (Vec<String>, Vec<Vec<bool>>) = (Vec::new(), Vec::new());
    for id in theme_ids {
        let y: Vec<bool> = themes.iter().map(|t| t.contains(id)).collect();
        let positives = y.iter().filter(|&&b| b).count();
        if positives < MIN_ITEMS_PER_CLASS || y.len() - positives < MIN_ITEMS_PER_CLASS {
            untrained.push(UntrainedTheme {
                id: id.clone(),
                positives,
                items: y.len(),
            });
        } else {
            ids.push(id.clone());
            labels.push(y);
        }
    }
    if ids.is_empty() {
        return Err(no_trainable_theme(&untrained, items));
    }
    Ok(Trainable {
        ids,
        labels,
        untrained,
    })
}

fn no_trainable_theme(untrained: &[UntrainedTheme], items: usize) -> Error {
    let positives = if untrained.is_empty() {
        "the gold file names no theme".to_string()
    } else {
        let counts: Vec<String> = untrained
            .iter()
            .map(|u| format!("{} {}", u.id, u.positives))
            .collect();
        counts.join(", ")
    };
    Error::NoTrainableTheme {
        min: MIN_ITEMS_PER_CLASS,
        items,
        positives,
    }
}

/// The training items of the fittable themes: the documents `rows` of `counts`, and
/// `labels[t][k]` whether `rows[k]` has theme `ids[t]`.
struct TrainingRows<'a> {
    params: &'a ThemeValidParams,
    counts: &'a TermCounts,
    rows: &'a [usize],
    ids: &'a [String],
    labels: &'a [Vec<bool>],
}

impl TrainingRows<'_> {
    /// Each theme's threshold: the F1-best cut of its out-of-fold probabilities from inner grouped
    /// folds of the training items, shrunk towards 0.5.
    fn thresholds(&self, groups: &[String], seed: u64) -> Result<Vec<f64>> {
        let oof = self.out_of_fold(groups, seed)?;
        let thresholds = self
            .labels
            .iter()
            .zip(&oof)
            .map(|(y, p)| {
                let (y, p): (Vec<bool>, Vec<f64>) = y
                    .iter()
                    .zip(p)
                    .filter(|(_, p)| p.is_finite())
                    .map(|(a, b)| (*a, *b))
                    .unzip();
                if y.iter().any(|&b| b) {
                    shrink_threshold(
                        best_f1_threshold(&y, &p).clamp(0.05, 0.95),
                        self.params.threshold_shrink,
                    )
                } else {
                    0.5
                }
            })
            .collect();
        Ok(thresholds)
    }

    /// Every theme's out-of-fold probabilities (`[t][k]` for `rows[k]`), from inner grouped folds;
    /// NaN where a fold could not fit the theme.
    fn out_of_fold(&self, groups: &[String], seed: u64) -> Result<Vec<Vec<f64>>> {
        let any: Vec<bool> = self.labels.first().cloned().unwrap_or_default();
        let splits = stratified_group_kfold(groups, &any, self.params.threshold_folds, 1, seed)?;
        let mut oof = vec![vec![f64::NAN; self.rows.len()]; self.ids.len()];
        for s in &splits {
            let train_rows: Vec<usize> = s.train.iter().map(|&k| self.rows[k]).collect();
            let test_rows: Vec<usize> = s.test.iter().map(|&k| self.rows[k]).collect();
            let train_labels: Vec<Vec<bool>> = self
                .labels
                .iter()
                .map(|y| s.train.iter().map(|&k| y[k]).collect())
                .collect();
            // A theme absent from an inner training split keeps the default threshold.
            let ok: Vec<usize> = (0..self.ids.len())
                .filter(|&t| {
                    train_labels[t].iter().any(|&b| b) && train_labels[t].iter().any(|&b| !b)
                })
                .collect();
            let ok_ids: Vec<&str> = ok.iter().map(|&t| self.ids[t].as_str()).collect();
            let fitted = fit_all(
                self.params,
                self.counts,
                &train_rows,
                &ok_ids,
                &ok.iter()
                    .map(|&t| train_labels[t].clone())
                    .collect::<Vec<_>>(),
            )?;
            let x = fitted
                .tfidf
                .transform_counts(self.counts, &test_rows, &fitted.cols);
            for (m, &t) in fitted.models.iter().zip(&ok) {
                for (p, &k) in m.predict_proba(&x).into_iter().zip(&s.test) {
                    oof[t][k] = p;
                }
            }
        }
        Ok(oof)
    }
}

impl ThemeModels {
    /// Fits one model per theme id; `themes[i]` are item i's gold themes, `groups[i]` its letter
    /// (for the inner threshold folds). A theme with fewer than [`MIN_ITEMS_PER_CLASS`] positive or
    /// negative items is listed in [`ThemeModels::untrained`] instead; it is an error only when no
    /// theme can be fitted.
    pub fn fit<D: Borrow<ItemText> + Sync>(
        params: &ThemeValidParams,
        docs: &[D],
        themes: &[Vec<String>],
        groups: &[String],
        theme_ids: &[String],
        seed: u64,
    ) -> Result<ThemeModels> {
        let counts = Featurizer::new(params.features.clone())?.count(docs);
        Self::fit_rows(
            params,
            &counts,
            &(0..docs.len()).collect::<Vec<_>>(),
            themes,
            groups,
            theme_ids,
            seed,
        )
    }

    /// Fits on the documents `rows` of `counts` (counted with `params.features`); `themes[k]` and
    /// `groups[k]` belong to `rows[k]`.
    pub fn fit_rows(
        params: &ThemeValidParams,
        counts: &TermCounts,
        rows: &[usize],
        themes: &[Vec<String>],
        groups: &[String],
        theme_ids: &[String],
        seed: u64,
    ) -> Result<ThemeModels> {
        // Each list for the rows, named: a short one is the caller's, not the folds' labels.
        super::one_per_row(
            rows.len(),
            &[
                ("theme models: themes of the training rows", themes.len()),
                ("theme models: letters of the training rows", groups.len()),
            ],
        )?;
        let Trainable {
            ids,
            labels,
            untrained,
        } = trainable(theme_ids, themes, rows.len())?;
        let data = TrainingRows {
            params,
            counts,
            rows,
            ids: &ids,
            labels: &labels,
        };
        let thresholds = data.thresholds(groups, seed)?;
        let all: Vec<&str> = ids.iter().map(String::as_str).collect();
        let fitted = fit_all(params, counts, rows, &all, &labels)?;
        Ok(ThemeModels {
            features: params.features.clone(),
            tfidf: fitted.tfidf,
            themes: ids
                .iter()
                .zip(fitted.models)
                .zip(thresholds)
                .map(|((id, logistic), threshold)| ThemeModel {
                    id: id.clone(),
                    logistic,
                    threshold,
                })
                .collect(),
            overturned_theme: params.overturned_theme.clone().filter(|t| ids.contains(t)),
            untrained,
        })
    }

    /// For each of `ids` (assigned themes, say), the `k` terms of `doc` pushing most towards it
    /// (coefficient x tf-idf, cues as the text they matched), as written; `f` is
    /// [`ThemeModels::featurizer`].
    pub fn evidence(
        &self,
        f: &Featurizer,
        doc: &ItemText,
        ids: &[String],
        k: usize,
    ) -> BTreeMap<String, Vec<TermWeight>> {
        self.evidence_by(ids, |models| {
            explain_each(&self.tfidf, models, f, doc, (k, 0))
        })
    }

    /// [`ThemeModels::evidence`] from the document's TF-IDF row already made (`indices`,
    /// `values`); `written(j)` is how the text has the term of column j.
    pub fn evidence_row(
        &self,
        ids: &[String],
        indices: &[u32],
        values: &[f64],
        written: impl Fn(usize) -> String,
        k: usize,
    ) -> BTreeMap<String, Vec<TermWeight>> {
        self.evidence_by(ids, |models| {
            explain_row(&self.tfidf, models, indices, values, written, (k, 0))
        })
    }

    /// The terms towards each of `ids`' models, as `explain` lists them for those models.
    fn evidence_by(
        &self,
        ids: &[String],
        explain: impl FnOnce(&[&BinaryLogistic]) -> Vec<(Vec<TermWeight>, Vec<TermWeight>)>,
    ) -> BTreeMap<String, Vec<TermWeight>> {
        let models: Vec<&ThemeModel> = ids
            .iter()
            .filter_map(|id| self.themes.iter().find(|t| &t.id == id))
            .collect();
        let logistic: Vec<&BinaryLogistic> = models.iter().map(|t| &t.logistic).collect();
        models
            .iter()
            .zip(explain(&logistic))
            .map(|(t, (towards, _))| (t.id.clone(), towards))
            .collect()
    }

    pub fn featurizer(&self) -> Result<Featurizer> {
        Featurizer::new(self.features.clone())
    }

    /// Every theme id the models were asked for: the fitted ones in `self.themes` order, then the
    /// untrained.
    pub fn theme_ids(&self) -> Vec<String> {
        self.themes
            .iter()
            .map(|t| &t.id)
            .chain(self.untrained.iter().map(|u| &u.id))
            .cloned()
            .collect()
    }

    /// One document's `scores` (in `self.themes` order) in the order of `ids`: NaN for an id
    /// without a model.
    pub fn scores_in(&self, ids: &[String], scores: &[f64]) -> Vec<f64> {
        ids.iter()
            .map(|id| {
                self.themes
                    .iter()
                    .position(|t| &t.id == id)
                    .map_or(f64::NAN, |k| scores[k])
            })
            .collect()
    }

    /// Every theme's probability per document, in `self.themes` order.
    pub fn predict_proba<D: Borrow<ItemText> + Sync>(&self, docs: &[D]) -> Result<Vec<Vec<f64>>> {
        let counts = self.featurizer()?.count(docs);
        let p = self.predict_proba_rows(&counts, &(0..docs.len()).collect::<Vec<_>>());
        for (k, t) in self.themes.iter().enumerate() {
            let scores: Vec<f64> = p.iter().map(|s| s[k]).collect();
            super::predict::check_scores(&format!("P({})", t.id), &scores, |i| {
                format!("item {}", i + 1)
            })?;
        }
        Ok(p)
    }

    /// Every theme's probability for the documents `rows` of `counts` (counted with this model's
    /// features).
    pub fn predict_proba_rows(&self, counts: &TermCounts, rows: &[usize]) -> Vec<Vec<f64>> {
        let x = self
            .tfidf
            .transform_counts(counts, rows, &self.tfidf.columns(counts));
        let per_theme: Vec<Vec<f64>> = self
            .themes
            .iter()
            .map(|t| t.logistic.predict_proba(&x))
            .collect();
        (0..rows.len())
            .map(|i| per_theme.iter().map(|p| p[i]).collect())
            .collect()
    }

    /// The assigned theme ids of each document.
    pub fn predict<D: Borrow<ItemText> + Sync>(
        &self,
        docs: &[D],
        decisions: &[Option<Decision>],
    ) -> Result<Vec<Vec<String>>> {
        Ok(self.assign_all(&self.predict_proba(docs)?, decisions))
    }

    /// [`ThemeModels::assign_for`] of each document's scores and decision (where known).
    pub fn assign_all(
        &self,
        scores: &[Vec<f64>],
        decisions: &[Option<Decision>],
    ) -> Vec<Vec<String>> {
        scores
            .iter()
            .zip(decisions)
            .map(|(s, &d)| self.assign_for(s, d))
            .collect()
    }

    /// [`ThemeModels::assign`], or where the decision is known, the decision rule of
    /// [`ThemeValidParams::overturned_theme`]: the Overturned theme alone, or the other themes by
    /// the same rule.
    pub fn assign_for(&self, scores: &[f64], decision: Option<Decision>) -> Vec<String> {
        let (Some(ot), Some(d)) = (&self.overturned_theme, decision) else {
            return self.assign(scores);
        };
        if d.is_overturned() {
            return vec![ot.clone()];
        }
        // Upheld: the other themes, by the same rule.
        over_or_nearest(
            self.themes
                .iter()
                .zip(scores.iter().copied())
                .filter(|(t, _)| &t.id != ot)
                .collect(),
        )
    }

    /// Theme ids over their thresholds; every item has at least one theme (the one furthest over,
    /// or nearest under, its threshold), as the codebook requires.
    pub fn assign(&self, scores: &[f64]) -> Vec<String> {
        over_or_nearest(self.themes.iter().zip(scores.iter().copied()).collect())
    }
}

/// `t` moved by `w` of the way towards 0.5 in log-odds.
fn shrink_threshold(t: f64, w: f64) -> f64 {
    sigmoid((1.0 - w) * (t / (1.0 - t)).ln())
}

/// The themes over their thresholds, or else the one nearest its threshold (score / threshold
/// highest).
fn over_or_nearest(scored: Vec<(&ThemeModel, f64)>) -> Vec<String> {
    let over: Vec<String> = scored
        .iter()
        .filter(|(t, s)| *s >= t.threshold)
        .map(|(t, _)| t.id.clone())
        .collect();
    if !over.is_empty() {
        return over;
    }
    scored
        .iter()
        .max_by(|a, b| (a.1 / a.0.threshold).total_cmp(&(b.1 / b.0.threshold)))
        .map(|(t, _)| vec![t.id.clone()])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{TermCounts, TfIdfParams};
    use linfa::ParamGuard;

    fn models() -> ThemeModels {
        let mut c = TermCounts::new();
        c.push(["x"]);
        let tfidf = TfIdfParams::new().check().unwrap().fit(&c).unwrap();
        let theme = |id: &str, threshold: f64| ThemeModel {
            id: id.into(),
            logistic: BinaryLogistic {
                coefficients: vec![0.0],
                intercept: 0.0,
            },
            threshold,
        };
        ThemeModels {
            features: ThemeParams::new().check().unwrap().features,
            tfidf,
            themes: vec![theme("criteria_met", 0.5), theme("a", 0.5), theme("b", 0.2)],
            overturned_theme: Some("criteria_met".into()),
            untrained: Vec::new(),
        }
    }

    #[test]
    fn the_decision_rule_applies_where_the_decision_is_known() {
        let m = models();
        let scores = [0.9, 0.6, 0.1];
        assert_eq!(m.assign_for(&scores, None), vec!["criteria_met", "a"]);
        assert_eq!(
            m.assign_for(&scores, Some(Decision::Overturned)),
            vec!["criteria_met"]
        );
        assert_eq!(m.assign_for(&scores, Some(Decision::Upheld)), vec!["a"]);
        // Upheld and nothing else over its threshold: the nearest other theme, never criteria_met.
        assert_eq!(
            m.assign_for(&[0.9, 0.1, 0.15], Some(Decision::Upheld)),
            vec!["b"]
        );
        let off = ThemeModels {
            overturned_theme: None,
            ..m
        };
        assert_eq!(
            off.assign_for(&scores, Some(Decision::Overturned)),
            vec!["criteria_met", "a"]
        );
    }

    #[test]
    fn thresholds_shrink_towards_one_half_in_log_odds() {
        assert!((shrink_threshold(0.2, 0.0) - 0.2).abs() < 1e-12);
        assert!((shrink_threshold(0.2, 1.0) - 0.5).abs() < 1e-12);
        // Half way in log-odds: 0.2 is odds 1/4, so odds 1/2.
        assert!((shrink_threshold(0.2, 0.5) - 1.0 / 3.0).abs() < 1e-12);
        assert!((shrink_threshold(0.8, 0.5) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn only_a_themes_own_cues_are_scaled() {
        let mut c = TermCounts::new();
        c.push_terms([
            (Namespace::Cue, "no_red_flags"),
            (Namespace::Cue, "no_red_flags.absent"),
            (Namespace::Cue, "criteria_not_met"),
            (Namespace::Field(Field::Rationale), "no_red_flags"),
            (Namespace::Field(Field::Title), "mri"),
        ]);
        let tfidf = TfIdfParams::new().check().unwrap().fit(&c).unwrap();
        // Columns in spelling order: c:criteria_not_met, c:no_red_flags, c:no_red_flags.absent,
        // r:no_red_flags, t:mri.
        assert_eq!(
            own_cue_scales(&tfidf, "no_red_flags", 3.0),
            [1.0, 3.0, 3.0, 1.0, 1.0]
        );
        // A theme whose id starts another's does not take its cues.
        assert_eq!(own_cue_scales(&tfidf, "no_red", 3.0), [1.0; 5]);
    }

    #[test]
    fn themes_with_too_few_items_are_listed_not_fitted() {
        let words = ["flags", "imaging", "relief", "sessions", "opioid", "screen"];
        let docs: Vec<ItemText> = (0..24)
            .map(|i| {
                ItemText::from_rationale(&format!(
                    "No {} or {} documented.",
                    words[i % 6],
                    words[(i + 2) % 6]
                ))
            })
            .collect();
        let themes: Vec<Vec<String>> = (0..24)
            .map(|i| {
                vec![if i == 5 {
                    "rare"
                } else if i % 2 == 0 {
                    "common"
                } else {
                    "other"
                }
                .to_string()]
            })
            .collect();
        let groups: Vec<String> = (0..24).map(|i| format!("CM{}", i / 2)).collect();
        let ids: Vec<String> = ["common", "other", "rare", "absent"]
            .map(String::from)
            .to_vec();
        let p = ThemeParams::new().check().unwrap();
        let m = ThemeModels::fit(&p, &docs, &themes, &groups, &ids, 1).unwrap();
        // A short list is named as the list it is.
        let e = ThemeModels::fit(&p, &docs, &themes, &groups[..2], &ids, 1).unwrap_err();
        assert!(
            e.to_string().contains("letters of the training rows"),
            "{e}"
        );
        let e = ThemeModels::fit(&p, &docs, &themes[..2], &groups, &ids, 1).unwrap_err();
        assert!(e.to_string().contains("themes of the training rows"), "{e}");
        assert_eq!(
            m.themes.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(),
            ["common", "other"]
        );
        assert_eq!(
            m.untrained,
            vec![
                UntrainedTheme {
                    id: "rare".into(),
                    positives: 1,
                    items: 24
                },
                UntrainedTheme {
                    id: "absent".into(),
                    positives: 0,
                    items: 24
                }
            ]
        );
        assert_eq!(m.theme_ids(), ids);
        let scores = m.predict_proba(&docs).unwrap();
        let aligned = m.scores_in(&ids, &scores[0]);
        assert_eq!(&aligned[..2], &scores[0][..]);
        assert!(aligned[2].is_nan() && aligned[3].is_nan());
        for (s, t) in m
            .predict(&docs, &vec![None; docs.len()])
            .unwrap()
            .iter()
            .zip(&scores)
        {
            assert!(
                !s.is_empty() && s.iter().all(|id| id == "common" || id == "other"),
                "{s:?} {t:?}"
            );
        }
        // Saved and loaded, the list stays; a file without it (every theme fitted) still loads.
        let back: ThemeModels = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back.untrained, m.untrained);
        assert!(!serde_json::to_string(&models())
            .unwrap()
            .contains("untrained"));
        // Thresholds: the inner folds' cut, moved towards 0.5 in log-odds by threshold_shrink.
        let cut = ThemeModels::fit(
            &ThemeParams::from(p.clone())
                .threshold_shrink(0.0)
                .check()
                .unwrap(),
            &docs,
            &themes,
            &groups,
            &ids,
            1,
        )
        .unwrap();
        let logit = |t: f64| (t / (1.0 - t)).ln();
        for (half, cut) in m.themes.iter().zip(&cut.themes) {
            assert!(
                (logit(half.threshold) - logit(cut.threshold) / 2.0).abs() < 1e-9,
                "{} {}",
                half.threshold,
                cut.threshold
            );
        }
        let none = ThemeModels::fit(
            &ThemeParams::from(p.clone())
                .threshold_shrink(1.0)
                .check()
                .unwrap(),
            &docs,
            &themes,
            &groups,
            &ids,
            1,
        )
        .unwrap();
        assert!(none
            .themes
            .iter()
            .all(|t| (t.threshold - 0.5).abs() < 1e-12));
        // No theme with enough items: an error that says so, with the counts.
        let e = ThemeModels::fit(&p, &docs, &themes, &groups, &ids[2..], 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no theme has at least 2 positive and 2 negative")
                && e.contains("rare 1, absent 0"),
            "{e}"
        );
    }

    #[test]
    fn params_are_checked_with_the_value_and_the_rule_in_the_message() {
        let err = |p: ThemeParams| p.check().unwrap_err().to_string();
        let e = err(ThemeParams::new().threshold_shrink(1.5));
        assert!(
            e.contains("threshold_shrink") && e.contains("1.5") && e.contains("[0, 1]"),
            "{e}"
        );
        let e = err(ThemeParams::new().own_cue_scale(0.0));
        assert!(e.contains("own_cue_scale") && e.contains("positive"), "{e}");
        // One inner fold would leave nothing to choose a threshold on; 0 used to index an empty
        // fold list.
        for n in [0, 1, 101] {
            assert!(
                err(ThemeParams::new().threshold_folds(n)).contains("threshold_folds"),
                "{n}"
            );
        }
        for name in [" ", "nope"] {
            let e = err(ThemeParams::new().overturned_theme(Some(name.into())));
            assert!(
                e.contains("overturned_theme") && e.contains("codebook"),
                "{e}"
            );
        }
        // Nested parameters are checked where they are made: a bad one cannot come from JSON.
        let mut json = serde_json::to_value(ThemeParams::new().check().unwrap()).unwrap();
        json["tfidf"]["max_features"] = 0.into();
        let e = serde_json::from_value::<ThemeValidParams>(json).unwrap_err();
        assert!(e.to_string().contains("max_features"), "{e}");
        let mut features = ThemeParams::new().check().unwrap().features;
        features.fields.clear();
        assert!(err(ThemeParams::new().features(features)).contains("fields"));
        // The shipped defaults pass, and a checked set goes back to a builder unchanged.
        let ok = ThemeParams::new().check().unwrap();
        assert_eq!(ThemeParams::from(ok.clone()).check().unwrap(), ok);
        assert!(ThemeParams::new().overturned_theme(None).check().is_ok());
    }
}

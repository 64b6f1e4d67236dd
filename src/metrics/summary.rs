//! What a cross-validation run measured, as a model file keeps it ([`CvSummary`]): the mean and sd
//! over folds of each metric, each theme's, and the pooled out-of-fold figures. Here, below both
//! `eval` (which computes it) and `model` (whose files hold it).

use super::{BinaryMetrics, MeanSd, Prf, ThemeMetrics};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

/// Mean (and sd over folds) of every metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    pub view: String,
    pub folds: usize,
    pub repeats: usize,
    pub seed: u64,
    pub letters: usize,
    pub items: usize,
    pub outcome: OutcomeMetrics,
    pub outcome_sd: OutcomeMetrics,
    #[serde(default)]
    pub outcome_masked: Option<OutcomeMetrics>,
    #[serde(default)]
    pub themes: Option<MultiLabelF1>,
    #[serde(default)]
    pub themes_sd: Option<MultiLabelF1>,
    /// Each theme's precision, recall and F1 over the folds.
    #[serde(default)]
    pub per_theme: Option<BTreeMap<String, ThemeSummary>>,
    /// Over each repeat's out-of-fold scores at once (what the plots draw, a curve a repeat), then
    /// the mean over repeats, where `outcome` is a mean over folds: `roc_auc`, `pr_auc`, `brier`,
    /// `base_brier` (always forecasting the Overturned share) and `brier_skill` (1 - brier /
    /// base_brier).
    #[serde(default)]
    pub pooled: Option<PooledMetrics>,
    /// Every repeat's out-of-fold scores at once, in five bins of equal size, lowest first: how
    /// near each bin's mean score is to its Overturned share.
    #[serde(default)]
    pub quintiles: Vec<Bin>,
}

/// The outcome metrics of [`BinaryMetrics`] (its counts aside): their mean over folds, or their
/// sd. An undefined metric is NaN, null in JSON. Fields in name order, the order a model file has
/// always had them in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct OutcomeMetrics {
    #[serde(deserialize_with = "f64_or_null")]
    pub accuracy: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub balanced_accuracy: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub brier: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub f1: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub log_loss: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub macro_f1: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub pr_auc: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub precision: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub recall: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub roc_auc: f64,
}

impl OutcomeMetrics {
    /// The metrics of one evaluation.
    pub fn of(m: &BinaryMetrics) -> Self {
        OutcomeMetrics {
            accuracy: m.accuracy,
            balanced_accuracy: m.balanced_accuracy,
            brier: m.brier,
            f1: m.f1,
            log_loss: m.log_loss,
            macro_f1: m.macro_f1,
            pr_auc: m.pr_auc,
            precision: m.precision,
            recall: m.recall,
            roc_auc: m.roc_auc,
        }
    }
}

impl Metrics for OutcomeMetrics {
    fn from_fn(f: impl Fn(fn(&Self) -> f64) -> f64) -> Self {
        OutcomeMetrics {
            accuracy: f(|m| m.accuracy),
            balanced_accuracy: f(|m| m.balanced_accuracy),
            brier: f(|m| m.brier),
            f1: f(|m| m.f1),
            log_loss: f(|m| m.log_loss),
            macro_f1: f(|m| m.macro_f1),
            pr_auc: f(|m| m.pr_auc),
            precision: f(|m| m.precision),
            recall: f(|m| m.recall),
            roc_auc: f(|m| m.roc_auc),
        }
    }
}

/// The micro- and macro-F1 of the theme assignments (a multi-label task, [`ThemeMetrics`]): their
/// mean over folds, or their sd.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelF1 {
    #[serde(deserialize_with = "f64_or_null")]
    pub macro_f1: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub micro_f1: f64,
}

impl MultiLabelF1 {
    /// The F1s of one evaluation.
    pub fn of(t: &ThemeMetrics) -> Self {
        MultiLabelF1 {
            macro_f1: t.macro_f1,
            micro_f1: t.micro_f1,
        }
    }
}

impl Metrics for MultiLabelF1 {
    fn from_fn(f: impl Fn(fn(&Self) -> f64) -> f64) -> Self {
        MultiLabelF1 {
            macro_f1: f(|t| t.macro_f1),
            micro_f1: f(|t| t.micro_f1),
        }
    }
}

/// See [`CvSummary::pooled`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PooledMetrics {
    #[serde(deserialize_with = "f64_or_null")]
    pub base_brier: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub brier: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub brier_skill: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub pr_auc: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub roc_auc: f64,
}

impl Metrics for PooledMetrics {
    fn from_fn(f: impl Fn(fn(&Self) -> f64) -> f64) -> Self {
        PooledMetrics {
            base_brier: f(|m| m.base_brier),
            brier: f(|m| m.brier),
            brier_skill: f(|m| m.brier_skill),
            pr_auc: f(|m| m.pr_auc),
            roc_auc: f(|m| m.roc_auc),
        }
    }
}

/// A set of metrics, each a field: so that a mean over folds is taken field by field without
/// naming a metric twice.
pub(crate) trait Metrics: Sized {
    /// The set whose every metric is `f` of the accessor of that metric's field.
    fn from_fn(f: impl Fn(fn(&Self) -> f64) -> f64) -> Self;
}

/// The mean and the sd of every metric over `sets`, of their finite values.
pub(crate) fn mean_sd<M: Metrics>(sets: &[M]) -> (M, M) {
    let of = |field: fn(&M) -> f64| MeanSd::of(&sets.iter().map(field).collect::<Vec<_>>());
    (M::from_fn(|f| of(f).mean), M::from_fn(|f| of(f).sd))
}

/// The plain mean of every metric over `sets` (NaN if one is NaN).
pub(crate) fn mean<M: Metrics>(sets: &[M]) -> M {
    M::from_fn(|f| sets.iter().map(f).sum::<f64>() / sets.len() as f64)
}

/// Scores in one bin: their mean, the Overturned share of their items, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    pub mean_p: f64,
    pub overturned_share: f64,
    pub items: usize,
}

/// One theme's precision, recall and F1: mean and sd over the folds where each is defined (NaN,
/// null in JSON, where none is: a theme that no fold had in its gold or its predictions), and its
/// gold items.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ThemeSummary {
    #[serde(deserialize_with = "f64_or_null")]
    pub precision: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub precision_sd: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub recall: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub recall_sd: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub f1: f64,
    #[serde(deserialize_with = "f64_or_null")]
    pub f1_sd: f64,
    /// Items whose gold has the theme (each item once: a repeat's folds cover every item once).
    pub support: usize,
}

impl ThemeSummary {
    pub(crate) fn of(id: &str, folds: &[&ThemeMetrics], repeats: usize) -> ThemeSummary {
        let prf: Vec<_> = folds.iter().filter_map(|t| t.per_theme.get(id)).collect();
        let of = |f: fn(&Prf) -> f64| MeanSd::of(&prf.iter().map(|p| f(p)).collect::<Vec<_>>());
        let (p, r, f1) = (of(|p| p.precision), of(|p| p.recall), of(|p| p.f1));
        ThemeSummary {
            precision: p.mean,
            precision_sd: p.sd,
            recall: r.mean,
            recall_sd: r.sd,
            f1: f1.mean,
            f1_sd: f1.sd,
            support: prf.iter().map(|p| p.support).sum::<usize>() / repeats.max(1),
        }
    }
}

fn f64_or_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The metrics are written as the maps they replaced were (a model file keeps them): names in
    /// order, NaN as null; and null reads back as NaN.
    #[test]
    fn metrics_are_written_as_sorted_maps() {
        let outcome = OutcomeMetrics::of(&BinaryMetrics {
            roc_auc: f64::NAN,
            ..Default::default()
        });
        let pooled = PooledMetrics {
            base_brier: 0.25,
            brier: 0.1,
            brier_skill: 0.6,
            pr_auc: 1.0,
            roc_auc: 1.0,
        };
        let themes = MultiLabelF1::of(&ThemeMetrics::default());
        for json in [
            serde_json::to_string(&outcome).unwrap(),
            serde_json::to_string(&pooled).unwrap(),
            serde_json::to_string(&themes).unwrap(),
        ] {
            // A `Value`'s object is a sorted map.
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(json, value.to_string());
        }
        let json = serde_json::to_string(&outcome).unwrap();
        assert!(json.contains(r#""roc_auc":null"#), "{json}");
        let back: OutcomeMetrics = serde_json::from_str(&json).unwrap();
        assert!(back.roc_auc.is_nan() && back.accuracy == 0.0);
    }
}

//! Classification metrics, as scikit-learn defines them, and the summary of a cross-validation
//! run built from them.

pub mod summary;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Outcome metrics of one evaluation (P(Overturned) scores against the letters' decisions).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BinaryMetrics {
    pub n: usize,
    pub accuracy: f64,
    pub balanced_accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub macro_f1: f64,
    pub roc_auc: f64,
    pub pr_auc: f64,
    pub log_loss: f64,
    pub brier: f64,
    /// [[true negatives, false positives], [false negatives, true positives]]
    pub confusion: [[usize; 2]; 2],
}

fn div(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        0.0
    } else {
        a / b
    }
}

fn f1(p: f64, r: f64) -> f64 {
    div(2.0 * p * r, p + r)
}

/// `a / b`, NaN where `b` is 0: a precision with nothing predicted, a recall with nothing to find
/// (scikit-learn's `zero_division=np.nan`), so that a mean over folds skips it, not counts a 0.
fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::NAN
    } else {
        a / b
    }
}

/// Precision, recall and F1 (2TP / (2TP + FP + FN)) of one class from its counts: each NaN where
/// undefined, F1 only where the class is in neither the labels nor the predictions.
fn prf(tp: f64, fp: f64, fneg: f64) -> (f64, f64, f64) {
    (
        ratio(tp, tp + fp),
        ratio(tp, tp + fneg),
        ratio(2.0 * tp, 2.0 * tp + fp + fneg),
    )
}

/// The precondition of every metric here: a score for each label, in the same order. Many
/// labels with few scores is a caller's mistake, never data, so it stops the caller (as a slice
/// zip of unequal lengths would not, giving a wrong number).
fn same_length(y: &[bool], p: &[f64]) {
    assert_eq!(
        y.len(),
        p.len(),
        "a metric needs a score for each label: {} labels, {} scores",
        y.len(),
        p.len()
    );
}

impl BinaryMetrics {
    /// # Panics
    /// Where `y` and `p` differ in length.
    pub fn compute(y: &[bool], p: &[f64], threshold: f64) -> BinaryMetrics {
        same_length(y, p);
        let n = y.len();
        let c = confusion(y, p, threshold);
        let (tn, fp, fneg, tp) = (
            c[0][0] as f64,
            c[0][1] as f64,
            c[1][0] as f64,
            c[1][1] as f64,
        );
        // Each NaN only where Overturned is missing from the labels (recall) or from both
        // (F1): there the averages below leave that class out.
        let (prec, rec, f1_overturned) = prf(tp, fp, fneg);
        let (prec0, rec0) = (div(tn, tn + fneg), div(tn, tn + fp));
        // Balanced accuracy is the mean of both classes' recall, macro-F1 of both classes' F1:
        // undefined (NaN) where a class's is. scikit-learn averages the classes it has, so a
        // fold of Upheld letters all predicted so scores 1 there; here it says nothing, and a
        // mean over folds leaves it out rather than count a 1 the model did not earn.
        let in_labels = [tn + fp > 0.0, fneg + tp > 0.0];
        let in_either = [in_labels[0] || fneg > 0.0, in_labels[1] || fp > 0.0];
        let mean_over = |present: [bool; 2], v: [f64; 2]| match present {
            [true, true] => (v[0] + v[1]) / 2.0,
            _ => f64::NAN,
        };
        let eps = 1e-15;
        BinaryMetrics {
            n,
            accuracy: div(tp + tn, n as f64),
            balanced_accuracy: mean_over(in_labels, [rec0, rec]),
            precision: prec,
            recall: rec,
            f1: f1_overturned,
            macro_f1: mean_over(in_either, [f1(prec0, rec0), f1_overturned]),
            roc_auc: roc_auc(y, p),
            pr_auc: average_precision(y, p),
            log_loss: div(
                y.iter()
                    .zip(p)
                    .map(|(&t, &s)| {
                        let s = s.clamp(eps, 1.0 - eps);
                        if t {
                            -s.ln()
                        } else {
                            -(1.0 - s).ln()
                        }
                    })
                    .sum(),
                n as f64,
            ),
            brier: brier(y, p),
            confusion: c,
        }
    }
}

/// [[TN, FP], [FN, TP]] at `threshold` (scores at or above it are predicted positive).
///
/// # Panics
/// Where `y` and `p` differ in length.
pub fn confusion(y: &[bool], p: &[f64], threshold: f64) -> [[usize; 2]; 2] {
    same_length(y, p);
    confusion_of(y.iter().copied().zip(p.iter().map(|&s| s >= threshold)))
}

/// [[TN, FP], [FN, TP]] of (label, predicted) pairs.
pub fn confusion_of(pairs: impl IntoIterator<Item = (bool, bool)>) -> [[usize; 2]; 2] {
    let mut c = [[0usize; 2]; 2];
    for (t, p) in pairs {
        c[usize::from(t)][usize::from(p)] += 1;
    }
    c
}

/// Mean squared error of the probabilities.
///
/// # Panics
/// Where `y` and `p` differ in length.
pub fn brier(y: &[bool], p: &[f64]) -> f64 {
    same_length(y, p);
    div(
        y.iter()
            .zip(p)
            .map(|(&t, &s)| (s - f64::from(u8::from(t))).powi(2))
            .sum(),
        y.len() as f64,
    )
}

/// Area under the ROC curve by the rank-sum statistic (ties count half). NaN without both classes.
///
/// # Panics
/// Where `y` and `p` differ in length.
pub fn roc_auc(y: &[bool], p: &[f64]) -> f64 {
    same_length(y, p);
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut ranks = vec![0.0; y.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && p[idx[j + 1]] == p[idx[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            ranks[k] = r;
        }
        i = j + 1;
    }
    let n_pos = y.iter().filter(|&&t| t).count() as f64;
    let n_neg = y.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    let sum: f64 = y
        .iter()
        .zip(&ranks)
        .filter(|(&t, _)| t)
        .map(|(_, r)| r)
        .sum();
    (sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// Average precision (scikit-learn's step-wise area under the precision-recall curve).
pub fn average_precision(y: &[bool], p: &[f64]) -> f64 {
    let curve = pr_curve(y, p);
    let mut ap = 0.0;
    let mut last_r = 0.0;
    for &(r, prec, _) in &curve {
        ap += (r - last_r) * prec;
        last_r = r;
    }
    if y.iter().any(|&t| t) {
        ap
    } else {
        f64::NAN
    }
}

/// (recall, precision, threshold) at each distinct score, thresholds decreasing.
///
/// # Panics
/// Where `y` and `p` differ in length.
pub fn pr_curve(y: &[bool], p: &[f64]) -> Vec<(f64, f64, f64)> {
    same_length(y, p);
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let n_pos = y.iter().filter(|&&t| t).count() as f64;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = Vec::new();
    for (k, &i) in idx.iter().enumerate() {
        if y[i] {
            tp += 1.0
        } else {
            fp += 1.0
        }
        if k + 1 == idx.len() || p[idx[k + 1]] != p[i] {
            out.push((div(tp, n_pos), div(tp, tp + fp), p[i]));
        }
    }
    out
}

/// (false positive rate, true positive rate) points, from (0, 0) to (1, 1).
pub fn roc_curve(y: &[bool], p: &[f64]) -> Vec<(f64, f64)> {
    let mut idx: Vec<usize> = (0..y.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
    let n_pos = y.iter().filter(|&&t| t).count() as f64;
    let n_neg = y.len() as f64 - n_pos;
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut out = vec![(0.0, 0.0)];
    for (k, &i) in idx.iter().enumerate() {
        if y[i] {
            tp += 1.0
        } else {
            fp += 1.0
        }
        if k + 1 == idx.len() || p[idx[k + 1]] != p[i] {
            out.push((div(fp, n_neg), div(tp, n_pos)));
        }
    }
    out
}

/// The threshold that maximises F1 on (labels, scores): the midpoint below the best-scoring cut.
pub fn best_f1_threshold(y: &[bool], p: &[f64]) -> f64 {
    let curve = pr_curve(y, p);
    let mut best = (f64::NEG_INFINITY, 0.5);
    for (k, &(r, prec, t)) in curve.iter().enumerate() {
        let f = f1(prec, r);
        if f > best.0 {
            let next = curve.get(k + 1).map_or(0.0, |c| c.2);
            best = (f, (t + next) / 2.0);
        }
    }
    best.1
}

/// Per-theme and pooled multi-label metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ThemeMetrics {
    pub per_theme: BTreeMap<String, Prf>,
    pub micro_f1: f64,
    pub macro_f1: f64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: usize,
}

impl ThemeMetrics {
    /// `truth[i]` and `pred[i]` are the theme ids of item i.
    pub fn compute(
        theme_ids: &[String],
        truth: &[Vec<String>],
        pred: &[Vec<String>],
    ) -> ThemeMetrics {
        let mut per_theme = BTreeMap::new();
        let (mut tp_all, mut fp_all, mut fn_all) = (0.0, 0.0, 0.0);
        for id in theme_ids {
            let (mut tp, mut fp, mut fneg, mut support) = (0.0, 0.0, 0.0, 0);
            for (t, p) in truth.iter().zip(pred) {
                let (a, b) = (t.contains(id), p.contains(id));
                support += usize::from(a);
                match (a, b) {
                    (true, true) => tp += 1.0,
                    (false, true) => fp += 1.0,
                    (true, false) => fneg += 1.0,
                    _ => {}
                }
            }
            tp_all += tp;
            fp_all += fp;
            fn_all += fneg;
            // Undefined scores are NaN, not 0: a theme neither in the gold nor predicted in a fold
            // has no F1 there (scikit-learn also leaves it out of its macro average), and means
            // over folds skip them.
            let (precision, recall, f1) = prf(tp, fp, fneg);
            let prf = Prf {
                precision,
                recall,
                f1,
                support,
            };
            per_theme.insert(id.clone(), prf);
        }
        let micro_f1 = prf(tp_all, fp_all, fn_all).2;
        let defined: Vec<f64> = per_theme
            .values()
            .map(|m| m.f1)
            .filter(|f| f.is_finite())
            .collect();
        let macro_f1 = div(defined.iter().sum(), defined.len() as f64);
        ThemeMetrics {
            per_theme,
            micro_f1,
            macro_f1,
        }
    }
}

/// Mean and (sample) standard deviation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: f64,
}

impl MeanSd {
    pub fn of(v: &[f64]) -> MeanSd {
        let v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return MeanSd {
                mean: f64::NAN,
                sd: f64::NAN,
            };
        }
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        // One value has no spread to measure: undefined, not 0.
        let sd = if v.len() > 1 {
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            f64::NAN
        };
        MeanSd { mean, sd }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores and labels of different lengths stop the caller with both counts, in every
    /// metric, rather than give a number of the shorter list.
    #[test]
    fn labels_and_scores_of_different_lengths_are_refused() {
        let (y, p) = ([true, false, true], [0.9]);
        type Run = fn(&[bool], &[f64]);
        let runs: [Run; 5] = [
            |y, p| {
                brier(y, p);
            },
            |y, p| {
                roc_auc(y, p);
            },
            |y, p| {
                pr_curve(y, p);
            },
            |y, p| {
                confusion(y, p, 0.5);
            },
            |y, p| {
                BinaryMetrics::compute(y, p, 0.5);
            },
        ];
        for run in runs {
            let e = std::panic::catch_unwind(|| run(&y, &p)).unwrap_err();
            let e = e.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(e.contains("3 labels, 1 scores"), "{e}");
        }
    }

    #[test]
    fn matches_sklearn_on_a_small_case() {
        // sklearn: roc_auc_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.75; average_precision_score =
        // 0.8333...
        let y = [false, false, true, true];
        let p = [0.1, 0.4, 0.35, 0.8];
        assert!((roc_auc(&y, &p) - 0.75).abs() < 1e-12);
        assert!((average_precision(&y, &p) - 0.833_333_333_333_333_4).abs() < 1e-12);
        let m = BinaryMetrics::compute(&y, &p, 0.5);
        assert_eq!(m.confusion, [[2, 0], [1, 1]]);
        assert!((m.f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.balanced_accuracy - 0.75).abs() < 1e-12);
        // log_loss([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.4722879538...
        assert!((m.log_loss - 0.472_287_953_809_176_15).abs() < 1e-9);
    }

    /// Balanced accuracy and macro-F1 where a class is missing: the mean of both classes'
    /// figures, so undefined where one class's is. Labels of one class: no balanced accuracy
    /// (scikit-learn's 1.0 and 0.5 average only the class present); macro-F1 only where the
    /// other class was predicted (its F1 is then 0, as scikit-learn's 0.3333).
    #[test]
    fn a_missing_class_leaves_the_balance_undefined() {
        let nan = f64::NAN;
        let cases: [(&[bool], &[f64], f64, f64); 4] = [
            (&[false; 4], &[0.1; 4], nan, nan),
            (&[false, false, true, true], &[0.1; 4], 0.5, 1.0 / 3.0),
            (&[false, false], &[0.1, 0.9], nan, 1.0 / 3.0),
            (&[], &[], nan, nan),
        ];
        let same = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() < 1e-12;
        for (y, p, balanced, macro_f1) in cases {
            let m = BinaryMetrics::compute(y, p, 0.5);
            assert!(
                same(m.balanced_accuracy, balanced) && same(m.macro_f1, macro_f1),
                "{y:?} {p:?}: {m:?}"
            );
        }
    }

    /// A fold without an Overturned item, none predicted: its precision, recall and F1 are
    /// undefined (NaN, null in JSON), so a mean over folds skips it rather than count a 0.
    /// Nothing predicted: precision undefined, recall and F1 0. Nothing to find, some predicted:
    /// recall undefined, precision and F1 0.
    #[test]
    fn undefined_precision_recall_and_f1_are_nan() {
        let none = BinaryMetrics::compute(&[false; 3], &[0.1; 3], 0.5);
        assert!(none.precision.is_nan() && none.recall.is_nan() && none.f1.is_nan());
        assert!(none.macro_f1.is_nan() && none.balanced_accuracy.is_nan());
        assert_eq!(none.accuracy, 1.0);
        let missed = BinaryMetrics::compute(&[false, true], &[0.1, 0.2], 0.5);
        assert!(missed.precision.is_nan());
        assert_eq!((missed.recall, missed.f1), (0.0, 0.0));
        let false_alarm = BinaryMetrics::compute(&[false, false], &[0.1, 0.9], 0.5);
        assert!(false_alarm.recall.is_nan());
        assert_eq!((false_alarm.precision, false_alarm.f1), (0.0, 0.0));
        let good = BinaryMetrics::compute(&[false, true, true], &[0.1, 0.9, 0.2], 0.5);
        assert_eq!((good.precision, good.recall), (1.0, 0.5));
        assert!((good.f1 - 2.0 / 3.0).abs() < 1e-12);
        let folds = [
            summary::OutcomeMetrics::of(&none),
            summary::OutcomeMetrics::of(&good),
        ];
        let (mean, sd) = summary::mean_sd(&folds);
        assert_eq!((mean.precision, mean.recall), (1.0, 0.5));
        assert!(sd.precision.is_nan(), "one defined value has no sd");
        assert!(sd.accuracy > 0.0);
        let themes = ThemeMetrics::compute(
            &["a".into(), "b".into()],
            &[vec!["a".into()], vec![]],
            &[vec![], vec![]],
        );
        let (a, b) = (themes.per_theme["a"], themes.per_theme["b"]);
        assert!(a.precision.is_nan() && a.recall == 0.0 && a.f1 == 0.0);
        assert!(b.precision.is_nan() && b.recall.is_nan() && b.f1.is_nan());
        assert_eq!((themes.micro_f1, themes.macro_f1), (0.0, 0.0));
    }

    #[test]
    fn ties_count_half_and_threshold_maximises_f1() {
        assert_eq!(roc_auc(&[false, true], &[0.5, 0.5]), 0.5);
        assert!(roc_auc(&[true, true], &[0.1, 0.2]).is_nan());
        let t = best_f1_threshold(&[false, true, true, false], &[0.2, 0.7, 0.6, 0.5]);
        assert!(t > 0.5 && t < 0.6, "{t}");
    }

    #[test]
    fn theme_micro_and_macro() {
        let ids = vec!["a".to_string(), "b".to_string()];
        let truth = vec![
            vec!["a".to_string()],
            vec!["a".to_string(), "b".to_string()],
        ];
        let pred = vec![vec!["a".to_string()], vec!["b".to_string()]];
        let m = ThemeMetrics::compute(&ids, &truth, &pred);
        assert!((m.micro_f1 - 0.8).abs() < 1e-12);
        assert!((m.per_theme["a"].f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.macro_f1 - (2.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
        // A theme neither in the gold nor predicted is undefined and left out of the macro average.
        let ids3 = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let m3 = ThemeMetrics::compute(&ids3, &truth, &pred);
        assert!(m3.per_theme["c"].f1.is_nan());
        assert_eq!(m3.macro_f1, m.macro_f1);
        // Predicted but absent from the gold: a real 0.
        let m4 = ThemeMetrics::compute(
            &ids3,
            &truth,
            &[vec!["a".to_string()], vec!["c".to_string()]],
        );
        assert_eq!(m4.per_theme["c"].f1, 0.0);
    }
}

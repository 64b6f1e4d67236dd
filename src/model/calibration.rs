//! Platt scaling: turns a class-weighted model's margins into probabilities.
//!
//! The outcome model is fitted with balanced class weights (Overturned items are about one in ten),
//! which ranks well but inflates P(Overturned): weighting the rare class up moves every score
//! towards it. A user reading `p_overturned` wants a probability, so the model file stores `P =
//! sigmoid(slope * margin + intercept)` fitted on out-of-fold margins (items the margins' model did
//! not see) and reports that.

use super::logistic::{log1p_exp_neg, sigmoid};
use serde::{Deserialize, Serialize};

/// P = sigmoid(slope * margin + intercept).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platt {
    pub slope: f64,
    pub intercept: f64,
}

impl Platt {
    /// Fits on out-of-fold `(margin, label)` pairs by Newton's method with a backtracking line
    /// search (Lin, Lin and Weng 2007). The targets are Platt's, (n+ + 1) / (n+ + 2) and 1 / (n- +
    /// 2) rather than 1 and 0, so that margins which separate the classes still give a finite slope
    /// (scikit-learn's `sigmoid` calibration uses the same targets). `None` when a class is missing
    /// or the margins do not rank positives higher (slope <= 0): a calibration that would reverse
    /// or flatten the model's order is not one; an error when the two lists differ in length.
    pub fn fit(margins: &[f64], labels: &[bool]) -> crate::Result<Option<Platt>> {
        if margins.len() != labels.len() {
            return Err(crate::Error::Mismatch {
                what: "Platt calibration labels",
                expected: margins.len(),
                found: labels.len(),
            });
        }
        Ok(Self::fit_checked(margins, labels))
    }

    fn fit_checked(margins: &[f64], labels: &[bool]) -> Option<Platt> {
        let n_pos = labels.iter().filter(|&&y| y).count() as f64;
        let n_neg = labels.len() as f64 - n_pos;
        if n_pos == 0.0 || n_neg == 0.0 {
            return None;
        }
        let (hi, lo) = ((n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0));
        let targets: Vec<f64> = labels.iter().map(|&y| if y { hi } else { lo }).collect();
        // Loss per item: log(1 + exp(z)) - t z with z = a f + b, finite for large |z|.
        let loss = |a: f64, b: f64| -> f64 {
            margins
                .iter()
                .zip(&targets)
                .map(|(&f, &t)| {
                    let z = a * f + b;
                    log1p_exp_neg(-z) - t * z
                })
                .sum()
        };
        let (mut a, mut b) = (0.0, ((n_pos + 1.0) / (n_neg + 1.0)).ln());
        let mut f = loss(a, b);
        for _ in 0..100 {
            let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-12, 0.0, 1e-12);
            for (&m, &t) in margins.iter().zip(&targets) {
                let p = sigmoid(a * m + b);
                let w = p * (1.0 - p);
                ga += (p - t) * m;
                gb += p - t;
                haa += w * m * m;
                hab += w * m;
                hbb += w;
            }
            if ga.abs() < 1e-10 * labels.len() as f64 && gb.abs() < 1e-10 * labels.len() as f64 {
                break;
            }
            let det = haa * hbb - hab * hab;
            let (da, db) = (-(hbb * ga - hab * gb) / det, -(haa * gb - hab * ga) / det);
            let slope = ga * da + gb * db;
            let mut step = 1.0;
            loop {
                let (na, nb) = (a + step * da, b + step * db);
                let nf = loss(na, nb);
                if nf <= f + 1e-4 * step * slope {
                    (a, b, f) = (na, nb, nf);
                    break;
                }
                step /= 2.0;
                if step < 1e-10 {
                    break;
                }
            }
            if step < 1e-10 {
                break;
            }
        }
        (a > 0.0 && a.is_finite() && b.is_finite()).then_some(Platt {
            slope: a,
            intercept: b,
        })
    }

    /// The calibrated probability of a margin.
    pub fn proba(&self, margin: f64) -> f64 {
        sigmoid(self.slope * margin + self.intercept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Margins drawn from a known sigmoid: the fit recovers its slope and intercept.
    #[test]
    fn recovers_a_known_sigmoid() {
        let (slope, intercept) = (1.7, -2.0);
        let mut state = 7u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let margins: Vec<f64> = (0..20_000)
            .map(|i| -4.0 + 8.0 * i as f64 / 20_000.0)
            .collect();
        let labels: Vec<bool> = margins
            .iter()
            .map(|&m| uniform() < sigmoid(slope * m + intercept))
            .collect();
        let p = Platt::fit(&margins, &labels).unwrap().unwrap();
        assert!(
            (p.slope - slope).abs() < 0.08 && (p.intercept - intercept).abs() < 0.08,
            "{p:?}"
        );
    }

    /// Separable margins keep a finite slope (Platt's targets), and a lower margin never gets a
    /// higher probability.
    #[test]
    fn separable_margins_give_a_finite_monotone_fit() {
        let margins = [-3.0, -2.0, -1.5, -0.5, 0.5, 2.0, 3.0];
        let labels = [false, false, false, false, true, true, true];
        let p = Platt::fit(&margins, &labels).unwrap().unwrap();
        assert!(p.slope > 0.0 && p.slope < 50.0, "{p:?}");
        assert!(margins.windows(2).all(|w| p.proba(w[0]) <= p.proba(w[1])));
        assert!(p.proba(3.0) < 1.0 && p.proba(-3.0) > 0.0);
    }

    #[test]
    fn no_fit_without_both_classes_or_against_the_order() {
        assert_eq!(Platt::fit(&[1.0, 2.0], &[true, true]).unwrap(), None);
        assert!(Platt::fit(&[1.0, 2.0], &[true]).is_err());
        assert_eq!(Platt::fit(&[], &[]).unwrap(), None);
        // The positives have the lower margins: no calibration rather than a reversed one.
        assert_eq!(
            Platt::fit(&[-2.0, -1.0, 1.0, 2.0], &[true, true, false, false]).unwrap(),
            None
        );
    }
}

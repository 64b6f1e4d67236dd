//! The spread of a forecast: the outcome model refitted on bootstrap resamples of the training
//! letters (whole letters drawn with replacement, so that one letter's items stay together), kept
//! as each refit's coefficient differences from the model, and read as a 90% interval of
//! P(Overturned) per item.
//!
//! The refits share the model's vocabulary and IDF, and their margins go through the model's
//! calibration: the interval is the uncertainty of the fitted weights given these letters, not of
//! the feature choice. Differences are stored as 8-bit steps of each refit's largest difference
//! (base64 in the model file): at that resolution a margin moves by far less than the spread it
//! measures, and the file stays small.

use super::logistic::BinaryLogistic;
use crate::error::{Error, Result};
use crate::features::SparseRows;
use crate::folds::SplitMix64;
use serde::{Deserialize, Serialize};

/// The interval's coverage: the 5th to the 95th percentile of the refits' margins, centred on
/// the model's own ([`super::OutcomeModel::interval`]).
pub const COVERAGE: f64 = 0.90;

/// The refits of a model, as differences from its coefficients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bootstrap {
    replicates: Vec<Replicate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Replicate {
    /// A coefficient difference is `scale * step`.
    scale: f64,
    intercept: f64,
    steps: Steps,
}

/// One signed byte a coefficient, serialised as base64.
#[derive(Debug, Clone, PartialEq)]
struct Steps(Vec<i8>);

impl Bootstrap {
    /// `replicates` refits of `model` on resamples of the rows of `x` by their letter `groups`;
    /// `fit` fits a logistic model on the rows given (with repeats) and their labels.
    pub(crate) fn fit(
        model: &BinaryLogistic,
        x: &SparseRows,
        overturned: &[bool],
        groups: &[String],
        replicates: usize,
        seed: u64,
        fit: impl Fn(SparseRows, &[bool]) -> Result<BinaryLogistic>,
    ) -> Result<Option<Bootstrap>> {
        if replicates == 0 {
            return Ok(None);
        }
        let mut letters: Vec<&str> = Vec::new();
        let mut rows_of: std::collections::HashMap<&str, Vec<usize>> = Default::default();
        for (i, g) in groups.iter().enumerate() {
            let rows = rows_of.entry(g).or_default();
            if rows.is_empty() {
                letters.push(g);
            }
            rows.push(i);
        }
        let mut out = Vec::with_capacity(replicates);
        for b in 0..replicates as u64 {
            let mut rng =
                SplitMix64::new(seed ^ 0xB007_57AB ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let rows: Vec<usize> = (0..letters.len())
                .flat_map(|_| {
                    let l = letters[(rng.next_u64() % letters.len() as u64) as usize];
                    rows_of[l].iter().copied()
                })
                .collect();
            let y: Vec<bool> = rows.iter().map(|&i| overturned[i]).collect();
            // A resample of one class only cannot be fitted; it is drawn again under the next seed.
            if !y.contains(&true) || !y.contains(&false) {
                continue;
            }
            let refit = fit(select_rows(x, &rows), &y)?;
            out.push(Replicate::new(model, &refit));
        }
        if out.len() < replicates / 2 {
            return Err(Error::DegenerateBootstrap {
                kept: out.len(),
                replicates,
            });
        }
        Ok(Some(Bootstrap { replicates: out }))
    }

    pub fn replicates(&self) -> usize {
        self.replicates.len()
    }

    /// Every refit's margin for a row whose margin under the model is `margin`: `(j, x_j)` its
    /// entries.
    pub fn margins(&self, margin: f64, row: &[(usize, f64)]) -> Vec<f64> {
        self.replicates
            .iter()
            .map(|r| {
                let d: f64 = row
                    .iter()
                    .map(|&(j, v)| f64::from(r.steps.0.get(j).copied().unwrap_or(0)) * v)
                    .sum();
                margin + r.scale * d + r.intercept
            })
            .collect()
    }

    /// Checks against the model's coefficient count, and the sizes a fit gives (a hand-edited
    /// file).
    pub(crate) fn check(&self, n_coefficients: usize) -> std::result::Result<(), String> {
        if self.replicates.is_empty() {
            return Err(
                "no replicate; a range needs one or more (a model without a range has \
                 \"bootstrap\": null)"
                    .into(),
            );
        }
        for (k, r) in self.replicates.iter().enumerate() {
            if r.steps.0.len() != n_coefficients {
                return Err(format!(
                    "replicate {k} has {} coefficients, the model {n_coefficients}",
                    r.steps.0.len()
                ));
            }
            if !r.scale.is_finite() || r.scale < 0.0 || !r.intercept.is_finite() {
                return Err(format!(
                    "replicate {k}: scale {} and intercept {} must be finite (scale >= 0)",
                    r.scale, r.intercept
                ));
            }
            // Checked as a model's own weights: past them a range is 0 to 1, whatever the request.
            let largest = r.scale * f64::from(i8::MAX);
            if let Some(why) = super::check::weight_fault(largest) {
                return Err(format!("replicate {k}: a difference up to {why}"));
            }
            if let Some(why) = super::check::weight_fault(r.intercept) {
                return Err(format!("replicate {k}: an intercept of {why}"));
            }
        }
        Ok(())
    }
}

/// The `q`-th quantile (0..=1; others are taken as the nearer end) of `v`, linearly
/// interpolated (NumPy's default); NaN for no values.
pub fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
    let at = q * (v.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    v[lo] + (v[hi] - v[lo]) * (at - lo as f64)
}

impl Replicate {
    fn new(model: &BinaryLogistic, refit: &BinaryLogistic) -> Self {
        let diffs: Vec<f64> = refit
            .coefficients
            .iter()
            .zip(&model.coefficients)
            .map(|(r, m)| r - m)
            .collect();
        let largest = diffs.iter().fold(0.0f64, |a, d| a.max(d.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 0.0 };
        let steps = diffs
            .iter()
            .map(|d| {
                if scale > 0.0 {
                    (d / scale).round() as i8
                } else {
                    0
                }
            })
            .collect();
        Replicate {
            scale,
            intercept: refit.intercept - model.intercept,
            steps: Steps(steps),
        }
    }
}

/// The rows `rows` of `x` (repeats kept), as a matrix of their own.
fn select_rows(x: &SparseRows, rows: &[usize]) -> SparseRows {
    let (mut indptr, mut indices, mut data) = (vec![0usize], Vec::new(), Vec::new());
    for &i in rows {
        if let Some(r) = x.outer_view(i) {
            for (j, &v) in r.iter() {
                indices.push(j as u32);
                data.push(v);
            }
        }
        indptr.push(indices.len());
    }
    SparseRows::new((rows.len(), x.cols()), indptr, indices, data)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Serialize for Steps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let bytes: Vec<u8> = self.0.iter().map(|&b| b as u8).collect();
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for c in bytes.chunks(3) {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (k, &b)| n | u32::from(b) << (16 - 8 * k));
            for k in 0..4 {
                if k <= c.len() {
                    out.push(B64[(n >> (18 - 6 * k) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        s.serialize_str(&out)
    }
}

impl<'de> Deserialize<'de> for Steps {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom("steps: not base64");
        if s.len() % 4 != 0 {
            return Err(bad());
        }
        let mut out = Vec::with_capacity(s.len() / 4 * 3);
        for c in s.as_bytes().chunks(4) {
            let pad = c.iter().rev().take_while(|&&b| b == b'=').count();
            if pad > 2 {
                return Err(bad());
            }
            let mut n = 0u32;
            for (k, &b) in c[..4 - pad].iter().enumerate() {
                let v = B64.iter().position(|&x| x == b).ok_or_else(bad)? as u32;
                n |= v << (18 - 6 * k);
            }
            for k in 0..3 - pad {
                out.push((n >> (16 - 8 * k)) as u8 as i8);
            }
        }
        Ok(Steps(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_through_base64() {
        for n in 0..8 {
            let steps = Steps(
                (0..n)
                    .map(|i| (i as i8).wrapping_mul(37).wrapping_sub(100))
                    .collect(),
            );
            let json = serde_json::to_string(&Replicate {
                scale: 0.5,
                intercept: 0.0,
                steps: steps.clone(),
            })
            .unwrap();
            let back: Replicate = serde_json::from_str(&json).unwrap();
            assert_eq!(back.steps, steps, "{json}");
        }
        assert!(serde_json::from_str::<Steps>("\"A=A=\"").is_err());
        assert!(serde_json::from_str::<Steps>("\"AB\"").is_err());
    }

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile(&mut [3.0, 1.0, 2.0, 4.0, 5.0], 0.5), 3.0);
        assert_eq!(quantile(&mut [0.0, 10.0], 0.05), 0.5);
        assert_eq!(quantile(&mut [7.0], 0.95), 7.0);
        assert!(quantile(&mut [], 0.5).is_nan());
        assert_eq!(quantile(&mut [1.0, 2.0], 2.0), 2.0);
        assert_eq!(quantile(&mut [1.0, 2.0], -1.0), 1.0);
    }

    #[test]
    fn replicates_hold_their_differences_to_a_step() {
        let model = BinaryLogistic {
            coefficients: vec![1.0, -2.0, 0.5],
            intercept: 0.1,
        };
        let refit = BinaryLogistic {
            coefficients: vec![1.5, -2.0, 0.25],
            intercept: -0.2,
        };
        let r = Replicate::new(&model, &refit);
        let b = Bootstrap {
            replicates: vec![r],
        };
        let row = [(0, 1.0), (2, 2.0)];
        let exact = 1.5 + 0.5 - 0.2;
        let m = b.margins(1.0 + 1.0 + 0.1, &row)[0];
        assert!((m - exact).abs() < 0.5 / 127.0 * 3.0, "{m} vs {exact}");
        assert_eq!(b.check(3), Ok(()));
        assert!(b
            .check(4)
            .unwrap_err()
            .contains("3 coefficients, the model 4"));
        // A difference no fit gives (a hand-edited scale) is refused: its range would be 0 to 1.
        let mut edited = b.clone();
        edited.replicates[0].scale = 1e10;
        let e = edited.check(3).unwrap_err();
        assert!(e.contains("a difference up to 1.27e12"), "{e}");
    }
}

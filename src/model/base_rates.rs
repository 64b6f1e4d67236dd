//! How often requests of each kind were overturned in the training letters: the base rate a
//! forecast is read against, with a Wilson 95% interval ("surgery: 8 of 30 overturned, 27%
//! (14-44%)").

use crate::treatment::{Category, DrugClass, TreatmentKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Items and Overturned items of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub items: usize,
    pub overturned: usize,
}

/// The training items counted by category and drug class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseRates {
    pub all: Count,
    pub categories: BTreeMap<Category, Count>,
    pub drug_classes: BTreeMap<DrugClass, Count>,
}

/// One group's base rate, as outputs give it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaseRate {
    /// The category or drug class id (`all` for every training item).
    pub group: String,
    pub items: usize,
    pub overturned: usize,
    pub rate: f64,
    /// Wilson 95% interval of the rate: `rate_low` and `rate_high`, as in `imr stats` (`low` and
    /// `high` before schema version 1).
    #[serde(rename = "rate_low", alias = "low")]
    pub low: f64,
    #[serde(rename = "rate_high", alias = "high")]
    pub high: f64,
}

impl BaseRates {
    /// Counts `(kind, overturned)` pairs.
    pub fn count<'a>(items: impl IntoIterator<Item = (&'a TreatmentKind, bool)>) -> Self {
        let mut out = BaseRates::default();
        for (kind, overturned) in items {
            for c in [
                &mut out.all,
                out.categories.entry(kind.category).or_default(),
            ] {
                c.items += 1;
                c.overturned += usize::from(overturned);
            }
            if let Some(d) = kind.drug_class {
                let c = out.drug_classes.entry(d).or_default();
                c.items += 1;
                c.overturned += usize::from(overturned);
            }
        }
        out
    }

    pub fn category(&self, c: Category) -> Option<BaseRate> {
        self.categories.get(&c).map(|n| BaseRate::new(c.id(), *n))
    }

    pub fn drug_class(&self, d: DrugClass) -> Option<BaseRate> {
        self.drug_classes.get(&d).map(|n| BaseRate::new(d.id(), *n))
    }

    /// Counts that cannot be (more Overturned than items, totals that do not add up): a hand-edited
    /// file.
    pub(crate) fn check(&self) -> std::result::Result<(), String> {
        let groups = std::iter::once(("all".to_string(), self.all))
            .chain(
                self.categories
                    .iter()
                    .map(|(c, n)| (c.id().to_string(), *n)),
            )
            .chain(
                self.drug_classes
                    .iter()
                    .map(|(d, n)| (d.id().to_string(), *n)),
            );
        for (g, n) in groups {
            if n.overturned > n.items {
                return Err(format!(
                    "{g}: {} Overturned of {} items",
                    n.overturned, n.items
                ));
            }
        }
        let sum: usize = self.categories.values().map(|n| n.items).sum();
        if sum != self.all.items {
            return Err(format!(
                "the categories hold {sum} items, all {}",
                self.all.items
            ));
        }
        Ok(())
    }
}

impl BaseRate {
    pub fn new(group: &str, n: Count) -> Self {
        let (low, high) = wilson(n.overturned, n.items);
        BaseRate {
            group: group.to_string(),
            items: n.items,
            overturned: n.overturned,
            rate: if n.items == 0 {
                0.0
            } else {
                n.overturned as f64 / n.items as f64
            },
            low,
            high,
        }
    }

    /// "surgery: 8 of 30 overturned, 27% (95% interval 14-44%)": the interval named, beside a
    /// forecast's 90% range.
    pub fn describe(&self) -> String {
        let pct = |p: f64| (p * 100.0).round();
        format!(
            "{}: {} of {} overturned, {}% (95% interval {}-{}%)",
            self.group,
            self.overturned,
            self.items,
            pct(self.rate),
            pct(self.low),
            pct(self.high)
        )
    }
}

/// The Wilson score interval (95%) of `k` successes in `n` trials; (0, 1) for none. More
/// successes than trials are taken as `n` of `n`.
pub fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let k = k.min(n);
    const Z: f64 = 1.959_963_984_540_054;
    let (n, p) = (n as f64, k as f64 / n as f64);
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // The interval holds the rate: rounding can leave 0 of n a bound a hair above 0.
    ((centre - half).clamp(0.0, p), (centre + half).clamp(p, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_its_textbook_values() {
        // Newcombe (1998), example: 81 of 263 gives 0.2553 to 0.3662.
        let (lo, hi) = wilson(81, 263);
        assert!(
            (lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10);
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 5e-4, "{hi}");
        // Every interval holds its rate, 0 and 1 among them (0 of 12 once gave a low of 3e-17).
        for n in 1..200 {
            for k in [0, 1, n / 2, n - 1, n] {
                let (lo, hi) = wilson(k, n);
                let p = k as f64 / n as f64;
                assert!(
                    (0.0..=p).contains(&lo) && (p..=1.0).contains(&hi),
                    "{k} of {n}"
                );
            }
        }
        assert_eq!(wilson(0, 12).0, 0.0);
        assert_eq!(wilson(12, 12).1, 1.0);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        // Counts edited by hand (more overturned than items) give an interval, not a panic.
        assert_eq!(wilson(5, 2), wilson(2, 2));
        assert_eq!(
            BaseRate::new(
                "surgery",
                Count {
                    items: 30,
                    overturned: 8
                }
            )
            .describe(),
            "surgery: 8 of 30 overturned, 27% (95% interval 14-44%)"
        );
    }

    #[test]
    fn counts_by_category_and_drug_class() {
        let kind = |c, d| TreatmentKind {
            category: c,
            drug_class: d,
            treatment: String::new(),
        };
        let opioid = kind(Category::Pharmaceuticals, Some(DrugClass::Opioids));
        let mri = kind(Category::DiagnosticTesting, None);
        let r = BaseRates::count([(&opioid, true), (&opioid, false), (&mri, false)]);
        assert_eq!(
            r.all,
            Count {
                items: 3,
                overturned: 1
            }
        );
        assert_eq!(r.category(Category::Pharmaceuticals).unwrap().overturned, 1);
        assert_eq!(r.drug_class(DrugClass::Opioids).unwrap().items, 2);
        assert!(r.category(Category::Surgery).is_none());
        assert_eq!(r.check(), Ok(()));
        let mut bad = r.clone();
        bad.all.items = 4;
        assert!(bad
            .check()
            .unwrap_err()
            .contains("categories hold 3 items, all 4"));
    }
}

//! Cross-validation splits: stratified by outcome, grouped by letter, shuffled by a seed.
//!
//! linfa's `Dataset::fold` is unshuffled, unstratified and ungrouped; one letter's items share a
//! reviewer and boilerplate, so splitting them across train and test would leak.

use std::collections::BTreeMap;

/// The most folds (per repeat, and of the inner folds of calibration and theme thresholds): more
/// folds than this are nearly leave-one-letter-out, at the cost of that many fits.
pub const MAX_FOLDS: usize = 100;

/// SplitMix64: a tiny, fully specified generator, so a seed gives the same folds on every platform
/// and release.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// One split: indices of training and test items.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub repeat: usize,
    pub fold: usize,
    pub train: Vec<usize>,
    pub test: Vec<usize>,
}

/// `k` folds of items grouped by `groups[i]` (no group on both sides), balancing the positives of
/// `labels` across folds; `repeats` reshuffles, each from its own stream of the seed. An error
/// for `k` 0 or lists of different lengths.
pub fn stratified_group_kfold(
    groups: &[String],
    labels: &[bool],
    k: usize,
    repeats: usize,
    seed: u64,
) -> crate::Result<Vec<Split>> {
    check_fold_input(groups, labels, k)?;
    let groups = group_items(groups, labels);
    let mut out = Vec::new();
    for r in 0..repeats {
        let mut rng = SplitMix64::new(seed ^ (r as u64).wrapping_mul(0xA24B_AED4_963E_E407));
        let assign = assign_folds(&groups, k, &mut rng);
        out.extend((0..k).map(|f| split_of(&groups, &assign, r, f)));
    }
    Ok(out)
}

fn check_fold_input(groups: &[String], labels: &[bool], k: usize) -> crate::Result<()> {
    if groups.len() != labels.len() {
        return Err(crate::Error::Mismatch {
            what: "fold labels",
            expected: groups.len(),
            found: labels.len(),
        });
    }
    if k == 0 {
        return Err(crate::Error::InvalidParam {
            name: "folds",
            value: "0".into(),
            reason: "there must be at least one fold",
        });
    }
    if k > MAX_FOLDS {
        return Err(crate::Error::InvalidParam {
            name: "folds",
            value: k.to_string(),
            reason: "there can be at most 100 folds (MAX_FOLDS)",
        });
    }
    Ok(())
}

/// Each group's items and positives, in a stable order (the groups' names).
fn group_items(groups: &[String], labels: &[bool]) -> Vec<(Vec<usize>, usize)> {
    let mut by_group: BTreeMap<&str, (Vec<usize>, usize)> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let e = by_group.entry(g.as_str()).or_default();
        e.0.push(i);
        e.1 += usize::from(labels[i]);
    }
    by_group.into_values().collect()
}

/// The fold of each group: each in turn to the fold with the fewest positives (a group with
/// positives) or items (one without), so both spread evenly. `k` >= 1.
fn assign_folds(groups: &[(Vec<usize>, usize)], k: usize, rng: &mut SplitMix64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    rng.shuffle(&mut order);
    // Groups with positives first, larger first; the shuffle breaks ties.
    order.sort_by(|&a, &b| {
        groups[b]
            .1
            .cmp(&groups[a].1)
            .then(groups[b].0.len().cmp(&groups[a].0.len()))
    });
    let mut pos = vec![0usize; k];
    let mut size = vec![0usize; k];
    let mut assign = vec![0usize; groups.len()];
    for &g in &order {
        let (items, p) = &groups[g];
        let f = (0..k)
            .min_by_key(|&f| {
                if *p > 0 {
                    (pos[f], size[f])
                } else {
                    (size[f], pos[f])
                }
            })
            .unwrap_or(0); // k >= 1, checked by the caller
        assign[g] = f;
        pos[f] += p;
        size[f] += items.len();
    }
    assign
}

/// Fold `f` of repeat `r`: its groups' items to test, the others' to train.
fn split_of(groups: &[(Vec<usize>, usize)], assign: &[usize], r: usize, f: usize) -> Split {
    let mut train = Vec::new();
    let mut test = Vec::new();
    for (g, (items, _)) in groups.iter().enumerate() {
        if assign[g] == f {
            test.extend(items)
        } else {
            train.extend(items)
        }
    }
    train.sort_unstable();
    test.sort_unstable();
    Split {
        repeat: r,
        fold: f,
        train,
        test,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A fold count past the limit is an error, not an allocation of that many folds.
    #[test]
    fn too_many_folds_are_refused() {
        let groups: Vec<String> = (0..6).map(|i| format!("L{i}")).collect();
        let labels = [true, false, true, false, true, false];
        for k in [MAX_FOLDS + 1, usize::MAX] {
            let e = stratified_group_kfold(&groups, &labels, k, 1, 0).unwrap_err();
            assert!(e.to_string().contains(&MAX_FOLDS.to_string()), "{e}");
        }
        assert!(stratified_group_kfold(&groups, &labels, 3, 1, 0).is_ok());
    }

    #[test]
    fn groups_never_straddle_and_positives_spread() {
        let groups: Vec<String> = (0..60).map(|i| format!("L{}", i / 3)).collect();
        let labels: Vec<bool> = (0..60).map(|i| i % 7 == 0).collect();
        let splits = stratified_group_kfold(&groups, &labels, 5, 2, 42).unwrap();
        assert_eq!(splits.len(), 10);
        for s in &splits {
            let tr: HashSet<&String> = s.train.iter().map(|&i| &groups[i]).collect();
            assert!(s.test.iter().all(|&i| !tr.contains(&groups[i])));
            assert_eq!(s.train.len() + s.test.len(), 60);
            let p = s.test.iter().filter(|&&i| labels[i]).count();
            assert!((1..=3).contains(&p), "fold positives {p}");
        }
        // every item is tested exactly once per repeat
        let mut seen: Vec<usize> = splits[..5].iter().flat_map(|s| s.test.clone()).collect();
        seen.sort();
        assert_eq!(seen, (0..60).collect::<Vec<_>>());
        // same seed, same folds; another seed, other folds
        assert_eq!(
            splits,
            stratified_group_kfold(&groups, &labels, 5, 2, 42).unwrap()
        );
        assert_ne!(
            splits,
            stratified_group_kfold(&groups, &labels, 5, 2, 43).unwrap()
        );
        // Bad inputs are errors, not panics.
        assert!(stratified_group_kfold(&groups, &labels[1..], 5, 1, 42).is_err());
        assert!(stratified_group_kfold(&groups, &labels, 0, 1, 42).is_err());
    }
}

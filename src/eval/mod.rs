//! Stage 4: honest evaluation: grouped, stratified, repeated cross-validation and the metrics.

pub mod cv;

// The folds and metrics sit below both `eval` and `model` (which splits and scores inside a fit
// too); these keep their `eval` paths.
pub use crate::{folds, metrics};

pub use folds::{stratified_group_kfold, Split, SplitMix64};
pub use metrics::{BinaryMetrics, MeanSd, Prf, ThemeMetrics};

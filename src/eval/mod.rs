//! Stage 4: honest evaluation: grouped, stratified, repeated cross-validation and the metrics.

pub mod cv;
pub mod folds;
pub mod metrics;

pub use folds::{stratified_group_kfold, Split, SplitMix64};
pub use metrics::{BinaryMetrics, MeanSd, Prf, ThemeMetrics};

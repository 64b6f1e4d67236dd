//! Stage 3: logistic models: the outcome (P(Overturned)) and one model per rationale theme.

pub mod base_rates;
pub mod bootstrap;
pub mod calibration;
mod check;
pub mod consistency;
pub mod examples;
pub mod file;
pub mod logistic;
pub mod outcome;
mod packed;
pub mod params;
pub mod predict;
pub mod themes;

pub use base_rates::{BaseRate, BaseRates};
pub use bootstrap::Bootstrap;
pub use calibration::Platt;
pub use consistency::Check;
pub use examples::{examples, Example};
pub use file::{
    output_name, ModelFile, OutcomeFit, ThemeFit, TrainingMetadata, TrainingParams, BUILTIN_MODELS,
    BUILTIN_NAME, FORMAT_VERSION,
};
pub use logistic::{BinaryLogistic, ClassWeight, Csr, LogisticParams, LogisticValidParams};
pub use outcome::{OutcomeModel, OutcomeParams, OutcomeValidParams, TermWeight, View};
pub use params::{ParamsFile, ResolvedParams};
pub use predict::{request_text, Highlight, ItemToScore, Prediction, Scorer, Similar};
pub use themes::{
    ThemeModel, ThemeModels, ThemeParams, ThemeValidParams, UntrainedTheme, MIN_ITEMS_PER_CLASS,
};

/// Each list given for the training rows has one value a row: the first that does not is named
/// with its length (a caller's short list, not the folds' labels built from it).
pub(crate) fn one_per_row(
    rows: usize,
    lists: &[(&'static str, usize)],
) -> crate::error::Result<()> {
    match lists.iter().find(|(_, found)| *found != rows) {
        Some(&(what, found)) => Err(crate::error::Error::Mismatch {
            what,
            expected: rows,
            found,
        }),
        None => Ok(()),
    }
}

//! `imr`: read California workers' compensation IMR Final Determination Letters and learn from them.
//!
//! The pipeline, one module per stage:
//! 1. [`parse`]: letters (PDF or text) into typed [`Letter`]s with their [`DisputedItem`]s;
//! 2. [`analysis`] (tokenize, normalize, stem: the `Analyzer`) and [`features`] (fields, codebook cues, sparse
//!    `TfIdf`);
//! 3. [`model`]: the sparse logistic estimator, the `OutcomeModel` (P(Overturned)) and the `ThemeModels`, saved as
//!    one versioned `ModelFile`, which scores new items as `Prediction`s;
//! 4. [`eval`] (grouped, stratified cross-validation and its metrics) and [`report`] (plots).
//!
//! [`gold`] reads the hand-annotated items that the theme models learn from.

#[macro_use]
mod macros;

pub mod analysis;
pub mod eval;
pub mod error;
pub mod features;
pub mod gold;
pub mod letter;
pub mod model;
pub mod parse;
pub mod report;

pub use error::{Error, Result};
/// `check()` of every `*Params` builder (linfa's trait), so a caller needs no direct linfa dependency.
pub use linfa::ParamGuard;
pub use letter::{Date, Decision, DisputedItem, Letter, Patient, Priority, Reviewer, Sex};

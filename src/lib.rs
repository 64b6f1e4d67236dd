//! `imr`: read California workers' compensation IMR Final Determination Letters and learn from
//! them.
//!
//! The pipeline, one module per stage:
//! 1. [`parse`]: letters (PDF or text) into typed [`Letter`]s with their [`DisputedItem`]s;
//! 2. [`analysis`] (tokenize, normalize, stem: the `Analyzer`) and [`features`] (fields, codebook
//!    cues, sparse `TfIdf`);
//! 3. [`model`]: the sparse logistic estimator, the `OutcomeModel` (P(Overturned)) and the
//!    `ThemeModels`, saved as one versioned `ModelFile`, which scores new items as `Prediction`s;
//! 4. [`eval`] (grouped, stratified cross-validation) and [`report`] (plots), with [`folds`] and
//!    [`metrics`], which [`model`] uses too.
//!
//! [`precedent`] finds the past decisions most like a request, with the sentence that gave each
//! one's reason.
//!
//! [`gold`] reads the hand-annotated items that the theme models learn from; [`model::ParamsFile`]
//! reads settings changed in a JSON file (`--params`) over the shipped ones, checked as the
//! builders check them.
//!
//! From letters to a fitted outcome model and its scores, on the sample letters of this repository
//! (`data/letters`; in a program of your own, a folder of yours), as `imr train` does with
//! cross-validation, calibration, theme models and a model file:
//!
//! ```
//! use imr::model::{examples, OutcomeModel, OutcomeParams, View};
//! use imr::ParamGuard;
//!
//! let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/letters"));
//! let files = imr::parse::discover(&[dir])?;
//! let letters = imr::parse::read_letters(&files, || {}).into_iter().collect::<imr::Result<Vec<_>>>()?;
//! let items = examples(&letters, None); // one per disputed item; with a gold file, its themes too
//! let docs: Vec<_> = items.iter().map(|e| &e.text).collect();
//! let overturned: Vec<bool> = items.iter().map(|e| e.decision.is_overturned()).collect();
//! let letter_of: Vec<String> = items.iter().map(|e| e.case_number.clone()).collect();
//!
//! // Checked settings, as linfa's; five letters hold one Overturned item: too few to calibrate on.
//! let params = OutcomeParams::new(View::Rationale).calibration_folds(0).check()?;
//! let model = OutcomeModel::fit(&params, &docs, &overturned, &letter_of, 42)?;
//! let p = model.predict_proba(&docs)?;
//! let top = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
//! assert!(items[top].decision.is_overturned(), "the Overturned item scores highest");
//! # Ok::<(), imr::Error>(())
//! ```

#[macro_use]
mod macros;

pub mod analysis;
pub mod error;
pub mod eval;
pub mod features;
pub mod folds;
pub mod gold;
pub mod input;
pub mod letter;
mod literals;
pub mod metrics;
pub mod model;
pub mod output;
pub mod parse;
pub mod precedent;
pub mod report;
pub mod schema;
pub mod serve;
pub mod store;
pub mod treatment;

pub use error::{Error, Result};
pub use letter::{Date, Decision, DisputedItem, Header, Letter, Patient, Priority, Reviewer, Sex};
/// `check()` of every `*Params` builder (linfa's trait), so a caller needs no direct linfa
/// dependency.
pub use linfa::ParamGuard;

//! `imr`: read California workers' compensation IMR Final Determination Letters and learn from them.
//!
//! The pipeline, one module per stage:
//! 1. [`parse`]: letters (PDF or text) into typed [`Letter`]s with their [`DisputedItem`]s;

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
pub use letter::{Date, Decision, DisputedItem, Letter, Patient, Priority, Reviewer, Sex};

//! Stage 3: logistic models.

pub mod logistic;

pub use logistic::{BinaryLogistic, ClassWeight, Csr, LogisticParams, LogisticValidParams};

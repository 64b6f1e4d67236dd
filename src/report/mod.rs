//! Stage 4: what people look at: evaluation plots.

pub mod plots;

pub use plots::{write_plots, PlotData, Run};

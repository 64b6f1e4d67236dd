//! Stage 4: what people look at: evaluation plots, and counts by group.

mod groups;
pub mod plots;
mod png;

pub use groups::{clip, fit, group_plot_svg, width, write_group_plot, Group};
pub use plots::{write_plots, Bin, PlotData, Run, ThemeF1};

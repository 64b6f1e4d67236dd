//! Progress bars on stderr, shown only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub fn bar(len: usize, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{msg:>10} [{bar:30}] {pos}/{len} ({eta})")
            .expect("static template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// A bar of the letters read into a precedent index, then a spinner while the index is made from
/// them. Made at the first letter, when their number is known.
#[derive(Default)]
pub struct Precedents {
    bar: Option<ProgressBar>,
}

impl Precedents {
    /// `done` letters read of `of`, as [`imr::store::Store::precedent_index_reporting`] tells.
    pub fn tell(&mut self, done: usize, of: usize) {
        let pb = self.bar.get_or_insert_with(|| bar(of, "precedents"));
        pb.set_position(done as u64);
        if done == of {
            pb.set_style(
                ProgressStyle::with_template(
                    "{msg:>10} {spinner} making the index of {len} letters",
                )
                .expect("static template"),
            );
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    }

    pub fn finish(self) {
        if let Some(pb) = self.bar {
            pb.finish_and_clear();
        }
    }
}

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
/// them; `tell` is given to [`imr::store::Store::precedent_index_reporting`].
pub fn precedents() -> (ProgressBar, impl FnMut(usize, usize)) {
    let pb = bar(0, "precedents");
    let shown = pb.clone();
    let tell = move |done: usize, of: usize| {
        shown.set_length(of as u64);
        shown.set_position(done as u64);
        if done == of {
            shown.set_style(
                ProgressStyle::with_template(
                    "{msg:>10} {spinner} making the index of {len} letters",
                )
                .expect("static template"),
            );
            shown.enable_steady_tick(std::time::Duration::from_millis(120));
        }
    };
    (pb, tell)
}

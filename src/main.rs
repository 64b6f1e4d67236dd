//! The `imr` command line. All work happens in `cli`; this file only maps the outcome to an exit
//! code.

mod cli;

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `purge_delay` option: its place in the option enum of the mimalloc built here (the
/// crate names no constant for it; a test checks its default).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the system at once rather than after mimalloc's delay (a second): for
/// a command whose memory peak is a promise (training, in KB an item). Delayed, training's peak
/// varied by a sixth from run to run; at once, it costs training a few percent of its speed.
pub(crate) fn return_memory_at_once() {
    // SAFETY: mi_option_set stores an option's value; 0 is valid for this one (purge at once).
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
}

fn main() -> ExitCode {
    cli::main()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option set is the purge delay: it reads its default in this mimalloc (1000 ms, in its
    /// `options.c`), and 0 once set.
    #[test]
    fn purge_delay_option_is_the_one_set() {
        // SAFETY: reads and stores an option value.
        unsafe {
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), 1000);
            return_memory_at_once();
            assert_eq!(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY), 0);
        }
    }
}

//! The `imr` command line. All work happens in `cli`; this file only maps the outcome to an exit
//! code.

mod cli;

use std::process::ExitCode;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main()
}

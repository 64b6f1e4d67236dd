//! The `imr` command line. All work happens in `cli`; this file only maps the outcome to an exit
//! code.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}

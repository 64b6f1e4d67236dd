//! Command-line front end: clap derive into typed arguments, `anyhow` only at this edge.

mod data;
mod evaluate;
mod inspect;
mod parse;
mod predict;
mod progress;
mod train;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

/// Read California workers' compensation IMR Final Determination Letters and learn from them.
#[derive(Debug, Parser)]
#[command(name = "imr", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Parse(parse::ParseArgs),
    Train(train::TrainArgs),
    Evaluate(evaluate::EvaluateArgs),
    Predict(predict::PredictArgs),
    Inspect(inspect::InspectArgs),
}

/// Exit codes, documented in `--help` of each command.
pub const EXIT_SOME_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(a) => parse::run(a),
        Command::Train(a) => train::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Inspect(a) => inspect::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`imr parse ... | head`) is not an error worth a message.
            if e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "imr: error: {e:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

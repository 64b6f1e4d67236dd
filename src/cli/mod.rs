//! Command-line front end: clap derive into typed arguments, `anyhow` only at this edge.

/// `eprintln!` without its panic when stderr is closed (`2>&-`, a reader gone): a message that
/// cannot be shown is dropped, and the command goes on to its own exit status.
/// Each message is one line: a control character in it (a file name may hold a line break) is
/// written escaped, so that no name breaks a message in two or forges another.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let message = format!($($arg)*);
        let _ = writeln!(std::io::stderr(), "{}", $crate::cli::one_line(&message));
    }};
}

/// `s` with its control characters (but tabs) escaped as Rust escapes them (`\n`, `\u{1b}`).
pub fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\t') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\t' => out.push(c),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

mod data;
mod evaluate;
mod forecast;
mod index;
mod inspect;
mod params;
mod parse;
mod predict;
mod progress;
mod search;
mod serve;
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
    /// Worker threads for parsing, cross-validation and scoring, 1 to 1024 (default: one per core,
    /// or RAYON_NUM_THREADS). Results do not depend on it: a model file is the same byte for byte.
    #[arg(long, short = 'j', global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Apart from each command's own options, under a heading of their own: the commands that
    /// read no letters (search, stats, inspect) take them and leave them unused.
    #[command(
        flatten,
        next_help_heading = "Reading letters (the commands that read them)"
    )]
    pub read: ReadLimits,
}

/// What one letter file may cost, on every command that reads letters. PDFs are extracted in worker
/// processes (one per thread), so a file that crashes the PDF reader, hangs it or blows up its
/// memory is reported by name and the rest of the batch goes on.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadLimits {
    /// Seconds one PDF may take to extract before its worker is stopped and the file reported.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = imr::parse::DEFAULT_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub pdf_timeout: u64,
    /// Memory (address space, MiB) one PDF may add to its worker before the file is reported.
    #[arg(long, global = true, value_name = "MIB", default_value_t = imr::parse::DEFAULT_WORKER_MEMORY >> 20,
          value_parser = clap::value_parser!(u64).range(64..=1_048_576))]
    pub pdf_memory: u64,
    /// Letter files larger than this (MB) are refused without being read.
    #[arg(long, global = true, value_name = "MB", default_value_t = imr::parse::DEFAULT_MAX_FILE_SIZE / 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_file_size: u64,
}

impl ReadLimits {
    /// The reader the commands use: PDFs in workers that are this binary in its hidden worker mode.
    pub fn reader(&self) -> std::io::Result<imr::parse::Reader> {
        let program = std::env::current_exe()?;
        let memory = self.pdf_memory << 20;
        let command = imr::parse::WorkerCommand {
            program,
            args: vec![
                WORKER_MODE.into(),
                "--memory".into(),
                memory.to_string().into(),
            ],
        };
        let limits = imr::parse::WorkerLimits {
            timeout: std::time::Duration::from_secs(self.pdf_timeout),
            memory,
        };
        Ok(imr::parse::Reader::new()
            .max_file_size(self.max_file_size * 1_000_000)
            .isolated(command, limits))
    }
}

/// The hidden subcommand a PDF worker runs as.
const WORKER_MODE: &str = "pdf-worker";

/// The limits given on the command line, for the commands that read letters.
static READ_LIMITS: std::sync::OnceLock<ReadLimits> = std::sync::OnceLock::new();

fn read_limits() -> &'static ReadLimits {
    // Set by `main` from the command line before any command runs; the library's defaults
    // otherwise.
    READ_LIMITS.get_or_init(|| ReadLimits {
        pdf_timeout: imr::parse::DEFAULT_TIMEOUT.as_secs(),
        pdf_memory: imr::parse::DEFAULT_WORKER_MEMORY >> 20,
        max_file_size: imr::parse::DEFAULT_MAX_FILE_SIZE / 1_000_000,
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Parse(parse::ParseArgs),
    Train(train::TrainArgs),
    Evaluate(evaluate::EvaluateArgs),
    Predict(predict::PredictArgs),
    Forecast(forecast::ForecastArgs),
    Similar(forecast::SimilarArgs),
    Index(index::IndexArgs),
    Search(search::SearchArgs),
    Stats(search::StatsArgs),
    Serve(serve::ServeArgs),
    Inspect(inspect::InspectArgs),
    Params(params::ParamsArgs),
    /// Print a shell completion script for imr (e.g. `imr completions bash >
    /// ~/.local/share/bash-completion/completions/imr`).
    ///
    /// Exit status: 0 on success, 2 on a usage error.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// A PDF extraction worker (started by imr itself): requests on stdin, answers on stdout.
    #[command(name = WORKER_MODE, hide = true)]
    PdfWorker {
        /// Address-space cap in bytes.
        #[arg(long)]
        memory: u64,
    },
}

/// The most terms `--top` shows a side: more is a dump of the vocabulary, not an explanation.
pub const MAX_TOP: usize = 1000;

/// `n` and the noun: "1 letter", "3 letters".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Says, where stdin is a terminal, that `what` is read from it: a command waiting on input
/// typed at nothing looks hung.
fn note_typing(what: &str) {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        say!("imr: reading {what} from the terminal; Ctrl-D ends it (--help: other inputs)");
    }
}

/// A count in `min..=max` (the bounds are in each option's help); anything else is a usage error
/// (exit 2).
fn counts(min: usize, max: usize) -> clap::builder::RangedU64ValueParser<usize> {
    clap::builder::RangedU64ValueParser::new().range(min as u64..=max as u64)
}

/// `--cv-folds`: 0 (none) or 2 to [`imr::eval::cv::MAX_FOLDS`]; one fold would leave nothing to
/// test on.
fn cv_folds(s: &str) -> Result<usize, String> {
    let max = imr::eval::cv::MAX_FOLDS;
    match s.parse::<usize>() {
        Ok(n) if n == 0 || (2..=max).contains(&n) => Ok(n),
        _ => Err(format!("must be 0 (no cross-validation) or 2 to {max}")),
    }
}

/// Exit codes, documented in `--help` of each command.
pub const EXIT_SOME_FAILED: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// One CSV record, made by the csv crate (RFC 4180: a field with a comma, quote or line break is
/// quoted, its quotes doubled; records end in `\n`) and written to `out` as one piece: `out`'s
/// buffering is kept (a csv writer over it would flush it at every record), and a write error
/// comes back as it was, so a closed pipe is still a broken pipe.
fn csv_record<I, S>(out: &mut impl Write, fields: I) -> std::io::Result<()>
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(256)
        .from_writer(Vec::with_capacity(256));
    w.write_record(fields).map_err(std::io::Error::other)?;
    let record = w
        .into_inner()
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    out.write_all(&record)
}

/// The worker threads, started now: `--threads`, else `RAYON_NUM_THREADS` (checked as `--threads`
/// is), else one per core. Started lazily, a pool the system refuses threads (a container's limit
/// on processes) would panic wherever it was first used.
fn start_threads(threads: Option<u16>) -> Result<(), String> {
    const VAR: &str = "RAYON_NUM_THREADS";
    let (n, named) = match (threads, std::env::var_os(VAR)) {
        (Some(n), _) => (usize::from(n), format!("--threads {n}")),
        (None, Some(v)) => {
            let v = v.to_string_lossy();
            // 0 is rayon's own "one per core".
            match v.trim().parse::<usize>() {
                Ok(n @ 0..=1024) => (n, format!("{VAR}={v}")),
                _ => {
                    return Err(format!(
                        "{VAR}={v}: must be a whole number from 1 to 1024 (or 0, one per core)"
                    ))
                }
            }
        }
        (None, None) => (0, "the worker threads".to_string()),
    };
    let wanted = match n {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    if let Some(limit) = address_space_limit() {
        // Threads started into too little address space can fail after they start, where the
        // runtime panics, rather than at their start: too many for the limit are refused first.
        let need = wanted as u64 * THREAD_ADDRESS_SPACE + ADDRESS_SPACE_BESIDE_THREADS;
        if need > limit {
            return Err(format!(
                "{named}: cannot start them: {wanted} threads need about {} MB of address space, \
                 and the limit (ulimit -v) is {} MB",
                need >> 20,
                limit >> 20
            ));
        }
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .stack_size(THREAD_STACK)
        .build_global()
        .map_err(|e| format!("{named}: cannot start them: {e}"))
}

/// A worker thread's stack (Rust's default, set here so the address space it takes is known).
const THREAD_STACK: usize = 2 << 20;

/// The address space a worker thread takes: its stack, its guard and signal stacks, and its
/// allocator's first segment.
const THREAD_ADDRESS_SPACE: u64 = THREAD_STACK as u64 + (6 << 20);

/// The address space the process takes besides its worker threads: the binary, its data and
/// the main thread.
const ADDRESS_SPACE_BESIDE_THREADS: u64 = 256 << 20;

/// The process's address-space limit (`ulimit -v`) in bytes, where there is one.
fn address_space_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes the struct it is given, nothing else.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut r) } == 0;
        // rlim_t is not u64 on every Unix.
        #[allow(clippy::unnecessary_cast)]
        let cur = r.rlim_cur as u64;
        (ok && r.rlim_cur != libc::RLIM_INFINITY).then_some(cur)
    }
    #[cfg(not(unix))]
    None
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::PdfWorker { .. }) {
        if let Err(e) = start_threads(cli.threads) {
            let _ = writeln!(std::io::stderr(), "imr: error: {e}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    let _ = READ_LIMITS.set(cli.read.clone());
    let result = match cli.command {
        Command::Parse(a) => parse::run(a),
        Command::Train(a) => {
            crate::return_memory_at_once();
            train::run(a)
        }
        Command::Evaluate(a) => evaluate::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Forecast(a) => forecast::run(a),
        Command::Similar(a) => forecast::run_similar(a),
        Command::Index(a) => index::run(a),
        Command::Search(a) => search::run_search(a),
        Command::Stats(a) => search::run_stats(a),
        Command::Serve(a) => serve::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Params(a) => params::run(a),
        Command::PdfWorker { memory } => imr::parse::worker_main(memory)
            .map(|()| ExitCode::SUCCESS)
            .map_err(Into::into),
        Command::Completions { shell } => {
            // Into a buffer first: `generate` panics on a write error, such as a closed pipe.
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "imr",
                &mut script,
            );
            stdout()
                .write_all(&script)
                .map(|()| ExitCode::SUCCESS)
                .map_err(Into::into)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`imr parse ... | head`) is not an error worth a message.
            if closed_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let _ = say_error(&e);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Standard output, locked, whose write errors say where they happened ("standard output: No space
/// left on device"), keeping their kind (a closed pipe stays one).
pub(crate) fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

pub(crate) struct Stdout(std::io::StdoutLock<'static>);

/// A write error of standard output, named.
#[derive(Debug)]
struct StdoutError(std::io::Error);

impl std::fmt::Display for StdoutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "standard output: {}", self.0)
    }
}

impl std::error::Error for StdoutError {}

fn named(e: std::io::Error) -> std::io::Error {
    match e.kind() {
        std::io::ErrorKind::Interrupted => e,
        kind => std::io::Error::new(kind, StdoutError(e)),
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(named)
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.0.write_all(buf).map_err(named)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(named)
    }
}

/// Says `e` on stderr, on one line; an error naming several bad lines of a file (a gold file) on
/// one line each, after the context it came with.
fn say_error(e: &anyhow::Error) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    let bad = e
        .chain()
        .find_map(|c| match c.downcast_ref::<imr::Error>() {
            Some(imr::Error::BadLines { path, lines }) => Some((path, lines)),
            _ => None,
        });
    let Some((path, lines)) = bad else {
        return writeln!(err, "imr: error: {}", one_line(&format!("{e:#}")));
    };
    // The context above the error ("reading the gold file"), each line after it.
    let context: Vec<String> = e
        .chain()
        .take_while(|c| c.downcast_ref::<imr::Error>().is_none())
        .map(|c| format!("{c}: "))
        .collect();
    for (n, message) in lines {
        let line = format!("{}{}:{n}: {message}", context.concat(), path.display());
        writeln!(err, "imr: error: {}", one_line(&line))?;
    }
    Ok(())
}

/// Whether `e` is a write to a closed pipe: as an io::Error anywhere in the chain, or inside
/// serde_json's error (`--json` output goes through serde_json, which wraps the io error).
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let kind = c.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        let kind = kind.or_else(|| {
            c.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
        });
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    /// clap's own checks of the argument definitions (conflicting names, a global `-j` against a
    /// command's flags).
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    /// The view is `rationale_masked` on the command line as in every output; the kebab-case
    /// spelling of earlier versions is still taken.
    #[test]
    fn the_masked_view_has_one_name() {
        use clap::Parser;
        for spelling in ["rationale_masked", "rationale-masked"] {
            let args = [
                "imr", "train", "--data", "d", "--out", "m.json", "--view", spelling,
            ];
            let cli = super::Cli::try_parse_from(args).unwrap();
            let super::Command::Train(t) = cli.command else {
                panic!("not train");
            };
            assert_eq!(t.view, Some(imr::model::View::RationaleMasked));
        }
        let help = super::Cli::try_parse_from(["imr", "train", "--view", "x"]).unwrap_err();
        assert!(help.to_string().contains("rationale_masked"), "{help}");
    }

    #[test]
    fn csv_records_quote_what_needs_it() {
        let mut out = Vec::new();
        super::csv_record(
            &mut out,
            ["a", "b,c", "say \"no\"", "two\nlines", "cr\r", ""],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"no\"\"\",\"two\nlines\",\"cr\r\",\n"
        );
        // A closed pipe stays a broken pipe (which exits 0), not a CSV error.
        struct Closed;
        impl std::io::Write for Closed {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let e = super::csv_record(&mut Closed, ["a"]).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    }

    /// docs/cli.md's list of commands names every option of every command (shared ones as
    /// `[filters]`, given with `imr search`, and `[request options]`, given with `imr forecast`),
    /// and its table gives each command's exit status, as its `--help` does: the page cannot fall
    /// behind the binary.
    #[test]
    fn the_command_page_names_every_option() {
        use clap::CommandFactory;
        let page = std::fs::read_to_string(concat!(env!("IMR_ROOT"), "/docs/cli.md")).unwrap();
        let list = page
            .split("## Commands")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("a Commands section");
        // Each command's lines: those that run it, with the lines that continue them.
        let lines_of = |name: &str| -> String {
            let mut out = String::new();
            let mut inside = false;
            for line in list.lines() {
                let runs = line.contains(&format!("imr {name} "))
                    || line.ends_with(&format!("imr {name}"));
                let indent = line.len() - line.trim_start().len();
                let continues = indent > 4 && !line.trim_start().starts_with("imr ");
                inside = runs || (inside && continues);
                if inside {
                    out.push_str(line);
                    out.push('\n');
                }
            }
            out
        };
        let cli = super::Cli::command();
        let global: Vec<&str> = cli.get_arguments().filter_map(|a| a.get_long()).collect();
        let mut missing = Vec::new();
        for cmd in cli.get_subcommands().filter(|c| !c.is_hide_set()) {
            let name = cmd.get_name();
            let lines = lines_of(name);
            assert!(!lines.is_empty(), "docs/cli.md lists no `imr {name}`");
            let mut shared = String::new();
            for (marker, with) in [("[filters]", "search"), ("[request options]", "forecast")] {
                if lines.contains(marker) {
                    shared.push_str(&lines_of(with));
                }
            }
            for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
                let Some(long) = arg.get_long() else { continue };
                if global.contains(&long) || ["help", "version"].contains(&long) {
                    continue;
                }
                let named = |text: &str, flag: &str| {
                    text.match_indices(flag).any(|(at, _)| {
                        let after = &text[at + flag.len()..];
                        !after.starts_with(|c: char| c.is_alphanumeric() || c == '-')
                    })
                };
                let mut spellings = vec![format!("--{long}")];
                spellings.extend(arg.get_short().map(|c| format!("-{c}")));
                let documented = spellings
                    .iter()
                    .any(|f| named(&lines, f) || named(&shared, f));
                if !documented {
                    missing.push(format!("imr {name} --{long}"));
                }
            }
            let help = cmd.clone().render_long_help().to_string();
            assert!(
                help.contains("Exit status"),
                "`imr {name} --help` gives no exit status"
            );
            if name != "completions" {
                assert!(
                    page.contains(&format!("| `{name}` |")),
                    "no exit status row for {name}"
                );
            }
        }
        assert!(
            missing.is_empty(),
            "not in docs/cli.md's list of commands: {missing:?}"
        );
    }
}

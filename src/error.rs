//! One error type for the library; every variant says what was wrong and where.

use std::path::PathBuf;

/// Errors of the `imr` library. Non-exhaustive: a later version may say more kinds of mistake,
/// and a caller's match keeps a catch-all arm for them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // The cause is in the message, not also a `source()`: a chain printer (anyhow's `{:#}`) would
    // print it twice.
    #[error("{path}: cannot read: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: cannot write: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: is a directory; give the name of a file to write")]
    IsDirectory { path: PathBuf },
    /// `-` where a file is written: it reads stdin where a file is read, so here it would
    /// silently make a file named `-`.
    #[error("-: stdin or stdout, not {wanted}; give a file's name (./- names a file called -)")]
    Dash { wanted: &'static str },
    #[error("{path}: file is empty")]
    Empty { path: PathBuf },
    #[error("{path}: not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("{path}: binary data, not a text letter (NUL byte at offset {offset})")]
    Binary { path: PathBuf, offset: usize },
    #[error("{path}: unreadable PDF: {reason}")]
    Pdf { path: PathBuf, reason: String },
    #[error("{path}: timed out after {seconds} s (the PDF reader was stopped; --pdf-timeout sets the limit)")]
    TimedOut { path: PathBuf, seconds: f64 },
    #[error("{path}: used more than {} (the PDF reader was stopped; --pdf-memory sets the limit)", human_bytes(*limit))]
    OutOfMemory { path: PathBuf, limit: u64 },
    #[error("{path}: the PDF reader crashed: {cause}")]
    ReaderCrashed { path: PathBuf, cause: String },
    #[error("{path}: {} the {} limit of a letter file (--max-file-size)", size_over(*size, *limit), human_bytes(*limit))]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// A file of another kind (a model, a params file) larger than any of its kind.
    #[error("{path}: {} the {} limit of {what}", size_over(*size, *limit), human_bytes(*limit))]
    FileTooLarge {
        path: PathBuf,
        what: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("{path}: {kind}, not {wanted} (not opened)")]
    NotAFile {
        path: PathBuf,
        kind: &'static str,
        /// What the path should have named: "a letter file", "a file of JSON lines".
        wanted: &'static str,
    },
    #[error("{path}: unsupported file type {extension:?} (expected .pdf or .txt)")]
    UnsupportedFile { path: PathBuf, extension: String },
    #[error("{path}: no IMR letter structure found ({missing})")]
    NotALetter {
        path: PathBuf,
        missing: &'static str,
    },
    #[error("{path}: unsupported MAXIMUS letter format {format:?} (only the \"IMR ISSUES, DECISIONS AND RATIONALES\" format is parsed)")]
    UnsupportedFormat { path: PathBuf, format: &'static str },
    #[error(
        "{path} (case {case}): holds more than one letter (the heading \"{heading}\" is there \
         {times} times): give each letter a file of its own"
    )]
    SeveralLetters {
        path: PathBuf,
        case: String,
        heading: &'static str,
        times: usize,
    },
    #[error("{path} (case {case}): no disputed items found in the IMR ISSUES section")]
    NoItems { path: PathBuf, case: String },
    #[error("{path} (case {case}, item {item}): {what}")]
    BadItem {
        path: PathBuf,
        case: String,
        item: usize,
        what: String,
    },
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParam {
        name: &'static str,
        value: String,
        reason: &'static str,
    },
    /// A params file (`--params`): `at` is the setting (`themes.logistic.c`) or the section.
    #[error("{path}: {at}: {message}")]
    Params {
        path: PathBuf,
        at: String,
        message: String,
    },
    /// A fit given nothing to learn from: `stage` names the fit (TF-IDF, precedent index, plots).
    #[error("{stage}: no {what}")]
    NothingToFit {
        stage: &'static str,
        what: &'static str,
    },
    /// Every term of the training documents fell outside the document-frequency bounds.
    #[error("TF-IDF fit: no terms remain after pruning (min_df {min_df}, max_df {max_df}, {documents} documents)")]
    NoTermsLeft {
        min_df: String,
        max_df: String,
        documents: usize,
    },
    /// A binary model needs both classes among its training rows.
    #[error("logistic fit: both classes are needed, got {positives} positive of {rows}")]
    OneClass { positives: usize, rows: usize },
    /// Feature values that are NaN or infinite.
    #[error("{stage}: features contain NaN or infinity")]
    NotFinite { stage: &'static str },
    /// No rationale theme has enough items of both kinds to train on.
    #[error("themes: no theme has at least {min} positive and {min} negative items among the {items} training items (positives: {positives})")]
    NoTrainableTheme {
        min: usize,
        items: usize,
        positives: String,
    },
    /// Too few bootstrap resamples held both decisions to give an interval.
    #[error("bootstrap: only {kept} of {replicates} resamples of the training letters hold both decisions")]
    DegenerateBootstrap { kept: usize, replicates: usize },
    /// Grouped cross-validation needs as many letters as folds.
    #[error(
        "cross-validation: {folds} folds need at least {folds} letters, the data has {letters}"
    )]
    TooFewLetters { folds: usize, letters: usize },
    /// Grouped cross-validation needs each decision in two letters, so every training side has it.
    #[error("cross-validation: needs {decision} items in at least 2 letters, so that every training side has one; the data has {items} in {letters}")]
    DecisionInOneLetter {
        decision: &'static str,
        items: usize,
        letters: usize,
    },
    /// A model given for a job that needs another view (the forecast needs the case view).
    #[error("{model}: reads the {view} view; {purpose} needs a {needed}-view model")]
    WrongView {
        model: String,
        view: &'static str,
        needed: &'static str,
        purpose: &'static str,
    },
    /// Text that names none of its kind's values (a decision, a category, a sort order, a key).
    #[error("unknown {what} {value:?} (expected {expected})")]
    UnknownName {
        what: &'static str,
        value: String,
        expected: String,
    },
    /// Text that does not read as its kind (a date, a date range).
    #[error("invalid {what} {value:?} ({reason})")]
    InvalidValue {
        what: &'static str,
        value: String,
        reason: String,
    },
    /// A saved precedent index whose rows do not hold together (`row` when one row is at fault).
    #[error("precedent index: {}{what}", row.map(|r| format!("row {r}: ")).unwrap_or_default())]
    BadIndex { row: Option<usize>, what: String },
    /// Two inputs that go together (margins and labels, groups and labels) differ in length.
    #[error("{what}: {found} values where {expected} were expected")]
    Mismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    /// `found`: the file's format_version as JSON text ("imr-model/0", 99), or (none).
    /// `advice`: what to do, which depends on whether the file is older or newer than this imr.
    #[error(
        "{path}: model file has format_version {found}, this imr reads {expected:?}; {advice}"
    )]
    ModelVersion {
        path: PathBuf,
        found: String,
        expected: &'static str,
        advice: &'static str,
    },
    #[error("{path}: invalid model file: {reason}")]
    BadModel { path: PathBuf, reason: String },
    /// A model file that reads as JSON of the right shape but is not a usable model: `field` is the
    /// JSON path of the value at fault (`themes.themes[3].logistic.coefficients`).
    #[error("{path}: invalid model file: {field}: {message}")]
    ModelField {
        path: PathBuf,
        field: String,
        message: String,
    },
    /// A score that is not a number in [0, 1] (a model whose numbers overflow): never passed on to
    /// an output.
    #[error(
        "{item}: {what} is {value}, not a probability; the model's numbers overflow on this text"
    )]
    NotAScore {
        item: String,
        what: String,
        value: f64,
    },
    /// Every bad line of a file read whole (a gold file), each as `path:line: message`.
    #[error("{}", lines.iter().map(|(n, m)| format!("{}:{n}: {m}", path.display())).collect::<Vec<_>>().join("\n"))]
    BadLines {
        path: PathBuf,
        lines: Vec<(usize, String)>,
    },
    #[error("{path}: {}", json_message(cause))]
    Json {
        path: PathBuf,
        cause: serde_json::Error,
    },
    #[error("{path}: cannot draw the plot: {reason}")]
    Plot { path: PathBuf, reason: String },
    /// A set of plots written in part: which are this run's, so that a folder of two runs' plots
    /// is said.
    #[error(
        "{error}; {}, any others in its folder an earlier run's",
        match written.as_slice() {
            [] => "no plot of this run was written".to_string(),
            w => format!("the plots written before it are this run's ({})", w.join(", ")),
        }
    )]
    PlotsPartly {
        error: Box<Error>,
        written: Vec<String>,
    },
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
    /// The decision database (`imr index`): `cause` is SQLite's own message.
    #[error("{path}: database error: {cause}")]
    Database { path: PathBuf, cause: String },
    #[error("{path}: no database here; create one with `imr index LETTERS --db {path}`")]
    NoDatabase { path: PathBuf },
    #[error("{path}: not an imr database ({reason})")]
    NotADatabase { path: PathBuf, reason: String },
    #[error("{path}: database schema version {found} is newer than this imr's ({supported}); use the imr release that wrote it, or index into a new file")]
    DatabaseVersion {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path}: database schema version {found} is older than this imr's ({supported}); upgrade it with `imr index --db {path}`")]
    DatabaseOlder {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path}: its full-text index was made by the text analyzer version {found}, and this imr reads version {supported}; make it again with `imr index --db {path}`")]
    TextIndexOlder {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    /// Another `imr index --model` run took the database's scores over while this one scored.
    #[error("{path}: another imr index run now scores this database with {other}; this run's scores of {ours} were not all written (run it again once the other has finished to replace them)")]
    ScoresTaken {
        path: PathBuf,
        ours: String,
        other: String,
    },
    /// A query stopped by its time budget (the caller then tries another plan).
    #[error("{path}: the query was interrupted")]
    Interrupted { path: PathBuf },
    /// A search or stats request that cannot be run as given: `what` says which part and why.
    #[error("{what}")]
    Query { what: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause: source,
        }
    }
}

/// "2.0 MB is over", or "over" alone for input read only to one byte past the limit (stdin, a
/// file that grew), whose size is not known.
fn size_over(size: u64, limit: u64) -> String {
    match Some(size) == limit.checked_add(1) {
        true => "over".into(),
        false => format!("{} is over", human_bytes(size)),
    }
}

/// A size for people: "1 GiB", "50 MB", "312 bytes".
pub(crate) fn human_bytes(n: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    match n {
        n if n >= GIB && n % GIB == 0 => format!("{} GiB", n / GIB),
        n if n >= MIB && n % MIB == 0 => format!("{} MiB", n / MIB),
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{} MB", n / 1_000_000),
        n if n >= 1_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n => format!("{n} bytes"),
    }
}

/// A JSON reader's complaint for people: text that is not JSON at all says so first.
fn json_message(e: &serde_json::Error) -> String {
    if e.is_syntax() || e.is_eof() {
        format!("not valid JSON ({e})")
    } else {
        e.to_string()
    }
}

/// A number as a reader wants it in a message: 0.5, 1e308 (not 309 digits). An `f32` is said as
/// its own digits (1e30, not the f64 it widens to).
pub(crate) fn num<F>(v: F) -> String
where
    F: Into<f64> + Copy + std::fmt::Display + std::fmt::LowerExp,
{
    let wide: f64 = v.into();
    if wide != 0.0 && !(1e-4..1e6).contains(&wide.abs()) {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}

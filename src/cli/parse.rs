//! `imr parse`: letters into JSON or a table.

use super::progress;
use anyhow::{Context, Result};
use imr::{DisputedItem, Header, Letter};
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Parse IMR letters (PDF or text) into typed disputed items.
///
/// Exit status: 0 when every file parsed, 1 when any file failed or a directory held no letter file
/// (each is reported on stderr and the other files are still written), 2 on a usage or I/O error.
#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    /// Letter files (.pdf, .txt) or directories, searched recursively; `-` reads one letter (PDF or
    /// text) from stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// One JSON object per letter, one per line.
    #[arg(long, conflicts_with_all = ["items", "csv"])]
    pub json: bool,
    /// One JSON object per disputed item (the letter's case fields plus the item's), one per line;
    /// `item` is the item's number in the letter, as in every output.
    #[arg(long, conflicts_with = "csv")]
    pub items: bool,
    /// CSV with a header row, one row per disputed item: the letter's fields, then the item's
    /// (`item` is its number, as in `imr predict --csv`, so the two join on case_number and item);
    /// lists (licensure states, specialties) joined by " | " (docs/schema.md).
    #[arg(long)]
    pub csv: bool,
}

/// `--csv`'s columns after the letter's header fields ([`Header::CSV_COLUMNS`]), in order. The
/// clinical summary goes last: the longest cell, it would push a row's item off screen.
const ITEM_COLUMNS: [&str; 12] = [
    "item",
    "title",
    "category",
    "drug_class",
    "treatment",
    "decision",
    "original_request",
    "authorized",
    "claims_administrator_guideline",
    "reviewer_guideline",
    "rationale",
    "clinical_summary",
];

/// `--csv`'s header row.
fn csv_header() -> impl Iterator<Item = &'static str> {
    Header::CSV_COLUMNS.into_iter().chain(ITEM_COLUMNS)
}

/// One `--csv` row; absent fields are empty cells. Enum cells are written as `--json` writes them.
fn csv_row(l: &Letter, it: &DisputedItem) -> impl Iterator<Item = String> {
    let text = |t: &Option<String>| t.clone().unwrap_or_default();
    let item = [
        it.number.to_string(),
        it.title.clone(),
        it.kind.category.to_string(),
        it.kind
            .drug_class
            .map(|c| c.to_string())
            .unwrap_or_default(),
        it.kind.treatment.clone(),
        it.decision.to_string(),
        text(&it.original_request),
        text(&it.authorized),
        text(&it.claims_administrator_guideline),
        text(&it.reviewer_guideline),
        it.rationale.clone(),
        text(&l.clinical_summary),
    ];
    l.header.csv_cells().into_iter().chain(item)
}

/// One item with its letter's header fields, for `--items`.
#[derive(Serialize)]
struct ItemRow<'a> {
    #[serde(flatten)]
    header: &'a Header,
    /// The letter's, on each of its items: a row holds everything a model reads (`imr predict
    /// --items`).
    clinical_summary: Option<&'a str>,
    #[serde(flatten)]
    item: &'a DisputedItem,
}

/// The top-level fields of an `--items` row (with `schema_version`), as serialised: the names
/// `imr predict --items` and `imr forecast --items` know.
pub fn item_row_fields() -> Vec<String> {
    let item = DisputedItem {
        number: 1,
        title: String::new(),
        kind: imr::treatment::classify("", None),
        decision: imr::Decision::Upheld,
        original_request: None,
        authorized: None,
        claims_administrator_guideline: None,
        reviewer_guideline: None,
        rationale: String::new(),
    };
    let header = Header::default();
    let row = ItemRow {
        header: &header,
        clinical_summary: None,
        item: &item,
    };
    let mut line = Vec::new();
    imr::schema::write_json_line(&mut line, &row).expect("an item row is an object");
    let value: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&line).expect("written as JSON");
    value.into_iter().map(|(k, _)| k).collect()
}

impl<'a> ItemRow<'a> {
    fn new(l: &'a Letter, item: &'a DisputedItem) -> Self {
        ItemRow {
            header: &l.header,
            clinical_summary: l.clinical_summary.as_deref(),
            item,
        }
    }
}

/// In what order a batch's letters are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// As the paths were given (each directory's files in name order): outputs follow the input.
    Given,
    /// By each file's canonical path, whatever order the paths were given in, as a database gives
    /// its letters: a model trained on the same letters is the same model.
    Path,
}

/// Reads letters, reporting every bad file on stderr; returns the good ones and the number that
/// failed. A directory without a letter file counts as one failure (a wrong path, most likely), and
/// so does every entry of a walk that cannot be used (an unreadable directory, a FIFO named like a
/// letter) and every path that does not exist.
pub fn read_reporting(paths: &[PathBuf]) -> Result<(Vec<Letter>, usize)> {
    let mut letters = Vec::new();
    let failed = read_reporting_each(paths, Order::Given, |l| {
        letters.push(l);
        Ok(())
    })?;
    Ok((letters, failed))
}

/// [`read_reporting`] as a stream: each letter goes to `sink` in input order as it is read, so
/// the letters need not all be held at once. Returns the number of inputs that failed; an error
/// of `sink`'s stops the reading and is returned.
pub fn read_reporting_each(
    paths: &[PathBuf],
    order: Order,
    mut sink: impl FnMut(Letter) -> Result<()>,
) -> Result<usize> {
    let stderr = std::io::stderr();
    let (mut files, mut failed) = discover_reporting(paths)?;
    if order == Order::Path {
        // Ordered as the database orders its letters' sources.
        files.sort_by_cached_key(|f| std::fs::canonicalize(f).unwrap_or_else(|_| f.clone()));
    }
    let mut stdin_letter = None;
    let dashes = paths.iter().filter(|p| p.as_os_str() == "-").count();
    if dashes > 1 {
        say!("imr: note: - (stdin) is given {dashes} times; it holds one letter, read once");
    }
    if dashes > 0 {
        stdin_letter = Some(read_stdin()?);
    }
    let reader = super::read_limits().reader()?;
    let pb = progress::bar(files.len(), "parse");
    let mut stopped = None;
    let mut report = |r: imr::Result<Letter>| {
        match r {
            Ok(l) => {
                if let Err(e) = sink(l) {
                    stopped = Some(e);
                    return ControlFlow::Break(());
                }
            }
            Err(e) => {
                failed += 1;
                let message = format!("imr: {e}");
                let _ = writeln!(stderr.lock(), "{}", super::one_line(&message));
            }
        }
        ControlFlow::Continue(())
    };
    // A letter on stdin comes first, as `-` is most often the only input.
    let first = stdin_letter.map(|bytes| reader.parse_bytes(&bytes, Path::new(STDIN_NAME)));
    if first.is_none_or(|r| report(r).is_continue()) {
        reader.read_each(&files, || pb.inc(1), &mut report);
    }
    pb.finish_and_clear();
    match stopped {
        Some(e) => Err(e),
        None => Ok(failed),
    }
}

/// The letter files under `paths` (`-`, stdin, is left to the caller), each problem of the walk
/// reported on stderr; returns the files and the number of problems. A path that does not exist,
/// or a directory without a letter file (a wrong path, most likely), counts as one; the other
/// paths are still read. A file reached twice (named twice, inside a folder also given, through a
/// link) is read once, and said so.
pub fn discover_reporting(paths: &[PathBuf]) -> Result<(Vec<PathBuf>, usize)> {
    let (mut files, mut failed) = (Vec::new(), 0);
    let mut seen: std::collections::HashMap<FileKey, PathBuf> = Default::default();
    for p in paths.iter().filter(|p| p.as_os_str() != "-") {
        let found = match imr::parse::discover_all(std::slice::from_ref(p)) {
            Ok(found) => found,
            Err(e) => {
                failed += 1;
                say!("imr: {e}");
                continue;
            }
        };
        if found.files.is_empty() && found.problems.is_empty() && p.is_dir() {
            failed += 1;
            say!(
                "imr: {}: no letter files (.pdf, .txt) in this directory or below",
                p.display()
            );
        }
        for e in &found.problems {
            failed += 1;
            say!("imr: {e}");
        }
        for d in &found.revisited {
            say!(
                "imr: note: {}: a directory already read (a symlink loop?); not read again",
                d.display()
            );
        }
        let mut copies = Vec::new();
        for f in found.files {
            let key = file_key(&f);
            if let Some(first) = key.and_then(|k| seen.get(&k)) {
                copies.push((f, first.clone()));
                continue;
            }
            if let Some(k) = key {
                seen.insert(k, f.clone());
            }
            files.push(f);
        }
        match copies.as_slice() {
            [] => {}
            [(f, first)] => say!(
                "imr: note: {}: the same file as {}; read once",
                f.display(),
                first.display()
            ),
            [(f, first), ..] => say!(
                "imr: note: {}: {} files already given under other paths ({} is {}, ...); \
                 each read once",
                p.display(),
                copies.len(),
                f.display(),
                first.display()
            ),
        }
    }
    Ok((files, failed))
}

/// A file's identity whatever the path to it: its device and inode.
type FileKey = (u64, u64);

#[cfg(unix)]
fn file_key(path: &Path) -> Option<FileKey> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_key(_path: &Path) -> Option<FileKey> {
    None
}

/// How a letter read from stdin is named in errors and in its `source`.
const STDIN_NAME: &str = "stdin";

/// Stdin's bytes, one past the size cap at most (the reader then refuses them by size).
fn read_stdin() -> Result<Vec<u8>> {
    use std::io::Read;
    let cap = super::read_limits().max_file_size * 1_000_000;
    super::note_typing("a letter");
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .context("stdin: cannot read")?;
    Ok(bytes)
}

pub fn run(args: ParseArgs) -> Result<ExitCode> {
    let mut out = BufWriter::new(super::stdout());
    let failed = if !(args.csv || args.items || args.json) {
        let (letters, failed) = read_reporting(&args.paths)?;
        write_table(&mut out, &letters)?;
        failed
    } else {
        // Machine formats stream: a letter is written as soon as it is read.
        if args.csv {
            super::csv_record(&mut out, csv_header())?;
        }
        read_reporting_each(&args.paths, Order::Given, |l| {
            write_letter(&mut out, &args, &l)
        })?
    };
    out.flush()?;
    Ok(if failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// One letter in the chosen machine format: CSV rows, item lines or the letter's JSON line.
fn write_letter(out: &mut impl Write, args: &ParseArgs, l: &Letter) -> Result<()> {
    if args.csv {
        for it in &l.items {
            super::csv_record(&mut *out, csv_row(l, it))?;
        }
    } else if args.items {
        for it in &l.items {
            imr::schema::write_json_line(&mut *out, &ItemRow::new(l, it))?;
        }
    } else {
        imr::schema::write_json_line(&mut *out, l)?;
    }
    Ok(())
}

fn write_table(out: &mut impl Write, letters: &[Letter]) -> std::io::Result<()> {
    let case_w = letters
        .iter()
        .map(|l| imr::report::width(&super::one_line(&l.header.case_number)))
        .max()
        .unwrap_or(0)
        .max(11);
    writeln!(
        out,
        "{:<case_w$}  {:>5}  {:>6}  {:>10}  decisions",
        "case_number", "items", "upheld", "overturned"
    )?;
    let (mut items, mut up, mut over) = (0, 0, 0);
    for l in letters {
        let o = l
            .items
            .iter()
            .filter(|i| i.decision.is_overturned())
            .count();
        let u = l.items.len() - o;
        let decisions: Vec<String> = l
            .items
            .iter()
            .map(|i| format!("{}:{}", i.number, i.decision))
            .collect();
        writeln!(
            out,
            "{}  {:>5}  {:>6}  {:>10}  {}",
            // A letter named by its file: a line break in the name stays in its row.
            imr::report::fit(&super::one_line(&l.header.case_number), case_w),
            l.items.len(),
            u,
            o,
            decisions.join(" ")
        )?;
        items += l.items.len();
        up += u;
        over += o;
    }
    writeln!(
        out,
        "{:<case_w$}  {:>5}  {:>6}  {:>10}  {} letters",
        "total",
        items,
        up,
        over,
        letters.len()
    )
}

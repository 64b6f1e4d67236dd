//! `imr index`: letters into the decision database, once; `search`, `stats` and `train --db` read
//! it.

use super::{data, parse::discover_reporting, progress};
use anyhow::{Context, Result};
use imr::model::{ItemToScore, ModelFile};
use imr::store::{FileInfo, IndexedLetter, ItemScores, ModelInfo, Store, WriteReport};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Index letters (PDF or text) into a decision database (SQLite), to search, count and train from.
///
/// Incremental: a file already indexed with the same content is skipped, a changed file's rows are
/// replaced, and a case number found in two files is reported. Letters are written in batches, one
/// transaction each: a run stopped at any moment leaves every earlier batch whole.
///
/// Exit status: 0 when every file was indexed or skipped, 1 when some could not be read (each is
/// reported and the others are indexed), 2 on error.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// Letter files (.pdf, .txt) or directories, searched recursively. None: only bring the
    /// database up to this imr's schema (and score it, with --model).
    pub paths: Vec<PathBuf>,
    /// The database file, created when absent (given letters to index).
    #[arg(long, default_value = imr::store::DEFAULT_PATH)]
    pub db: PathBuf,
    /// Score every item with this model too: P(Overturned), its interval and the themes, with the
    /// model's digest. A database holds one model's scores; another model replaces them. Without
    /// it, new letters are scored by the database's model, where it still loads as named.
    #[arg(long, value_name = "FILE|NAME")]
    pub model: Option<PathBuf>,
    /// Letters written per transaction, 1 to 100000.
    #[arg(long, default_value_t = 2000, value_parser = super::counts(1, 100_000))]
    pub batch: usize,
    /// Remove the letters of files under PATHS that are gone (deleted, or no longer letter
    /// files). Without it they are kept, and counted in a note. Nothing is removed under a
    /// folder that holds no letter file (a share not mounted).
    #[arg(long)]
    pub prune: bool,
}

/// What one run did, for its closing line.
#[derive(Default)]
struct Tally {
    indexed: usize,
    items: usize,
    unchanged: usize,
    copies: usize,
    failed: usize,
    replaced: usize,
    same_case: usize,
    scored: usize,
    /// Letters read again, their files unchanged, as an older parser had read them.
    reread: usize,
    /// The files of this run that could not be read.
    failed_sources: std::collections::HashSet<String>,
    /// Case numbers written from a file while another file held them: (case, this, other), said
    /// at the end where both still hold it (a run may rewrite the other file after).
    same_case_found: Vec<(String, String, String)>,
}

pub fn run(a: IndexArgs) -> Result<ExitCode> {
    if a.paths.iter().any(|p| p.as_os_str() == "-") {
        anyhow::bail!("imr index reads letter files, not stdin (-): a letter is kept by its path");
    }
    // Without letters, a run brings a database up to date or scores it: a name that holds none
    // is a mistake (a typo would otherwise make an empty file and say it had done its work).
    if a.paths.is_empty() && a.db.as_os_str() != "-" {
        // Followed: a link to nothing would have SQLite make the file it names.
        if let Err(e) = std::fs::metadata(&a.db) {
            if e.kind() == std::io::ErrorKind::NotFound {
                return Err(imr::Error::NoDatabase { path: a.db }.into());
            }
        }
    }
    // What can be wrong with the inputs is found before the database is made or changed.
    let (files, failed) = if a.paths.is_empty() {
        (Vec::new(), 0)
    } else {
        discover_reporting(&a.paths)?
    };
    let (files, unnamed) = named_in_text(without_database(canonical(files), &a.db));
    let failed = failed + unnamed;
    let model = a
        .model
        .as_deref()
        .map(|m| -> Result<_> {
            let (model, _) = data::load_model(Some(m))?;
            // As named on the command line, so the note on unscored letters gives a command that
            // works.
            let info = model_info(&model, &m.display().to_string())?;
            Ok((model, info))
        })
        .transpose()?;
    let mut store = open_store(&a.db)?;
    let model = match model {
        Some(m) => Some(m),
        None if !files.is_empty() => the_database_model(&store)?,
        None => None,
    };
    if let Some((_, info)) = &model {
        take_scores(&mut store, info)?;
    }
    let mut tally = Tally {
        failed,
        ..Tally::default()
    };
    if !files.is_empty() {
        let (todo, copies) = changed_files(&store, &files, &mut tally)?;
        let scoring = match &model {
            Some((m, info)) => Some((m.scorer()?, info)),
            None => None,
        };
        index_files(&mut store, todo, a.batch, scoring.as_ref(), &mut tally)?;
        report_copies(&copies, &mut tally);
        report_same_case(&store, &mut tally)?;
        note_failed_kept(&store, &tally)?;
    }
    note_older_parser(&store, tally.reread)?;
    let removed = gone_files(&store, &a.paths, &files, a.prune)?;
    match &model {
        Some((model, info)) => tally.scored += score(&mut store, model, info, a.batch)?,
        None => note_unscored(&store)?,
    }
    // Counted over the whole database, so that a run that adds nothing still says it.
    tally.same_case = store.cases_in_several_files()?.len();
    tidy(&mut store, &tally, removed)?;
    say_summary(&a.db, &store, &tally, model.as_ref().map(|(_, info)| info))?;
    Ok(if tally.failed > 0 {
        ExitCode::from(super::EXIT_SOME_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The run's closing line: what it indexed, skipped and scored, and what the database holds.
fn say_summary(db: &Path, store: &Store, tally: &Tally, model: Option<&ModelInfo>) -> Result<()> {
    let (letters, items) = store.counts()?;
    use super::count;
    say!(
        "imr: {}: indexed {} ({}); {} unchanged, {} of indexed files, {} failed{}{}; it holds \
         {}, {}",
        db.display(),
        count(tally.indexed, "letter", "letters"),
        count(tally.items, "item", "items"),
        tally.unchanged,
        count(tally.copies, "copy", "copies"),
        tally.failed,
        match (tally.replaced, tally.same_case) {
            (0, 0) => String::new(),
            (r, c) => format!(
                "; {r} replaced, {} in more than one file",
                count(c, "case number", "case numbers")
            ),
        },
        match model {
            Some(info) => format!(
                "; {} scored by {}",
                count(tally.scored, "item", "items"),
                info.name
            ),
            None => String::new(),
        },
        count(letters, "letter", "letters"),
        count(items, "item", "items"),
    );
    Ok(())
}

/// Says how many letters were read again for an older parser's reading, and how many such
/// letters this run was not given the files of.
fn note_older_parser(store: &Store, reread: usize) -> Result<()> {
    if reread > 0 {
        say!(
            "imr: note: {} read again: an older imr had read them, and this one reads some \
             letters otherwise",
            super::count(reread, "unchanged letter", "unchanged letters")
        );
    }
    let left = store.read_by_older_parser()?.len();
    if left > 0 {
        say!(
            "imr: note: {}: {} read by an older imr; `imr index` given their files (or a \
             folder above) reads them again",
            store.path().display(),
            super::count(left, "letter was", "letters were")
        );
    }
    Ok(())
}

/// Each file once, by its canonical path (absolute, links resolved): a letter is kept by its
/// path, and `v1/a.txt`, `./v1/a.txt` and `/home/me/v1/a.txt` are one file, wherever imr runs.
fn canonical(files: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    files
        .into_iter()
        .map(|f| std::fs::canonicalize(&f).unwrap_or(f))
        .filter(|f| seen.insert(f.clone()))
        .collect()
}

/// The files but the database itself, which a folder indexed may hold under a letter's extension
/// (`--db letters/imr.txt`): not read as a letter that cannot be read, at every run.
fn without_database(files: Vec<PathBuf>, db: &Path) -> Vec<PathBuf> {
    match std::fs::canonicalize(db) {
        Ok(db) => files.into_iter().filter(|f| *f != db).collect(),
        Err(_) => files,
    }
}

/// The files whose paths are text (UTF-8), and how many are not, each reported: the database
/// keeps a letter by its path as text, where two names differing only in bytes that are not
/// text would be one.
fn named_in_text(files: Vec<PathBuf>) -> (Vec<PathBuf>, usize) {
    let (named, unnamed): (Vec<PathBuf>, Vec<PathBuf>) =
        files.into_iter().partition(|f| f.to_str().is_some());
    for f in &unnamed {
        say!(
            "imr: error: {}: the path is not UTF-8 text, and the database keeps letters by their \
             paths as text: rename it to index it",
            f.display()
        );
    }
    (named, unnamed.len())
}

/// Letters an older imr stored under a relative path (as typed) take their file's canonical path
/// where it is one of `files`, so they are recognised; where both spellings were indexed, the
/// relative one's rows are removed.
fn respell_relative(store: &Store, files: &[PathBuf]) -> imr::Result<()> {
    let relative = store.relative_sources()?;
    if relative.is_empty() {
        return Ok(());
    }
    let wanted: std::collections::HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
    store.in_transaction(|store| {
        for old in &relative {
            let Ok(path) = std::fs::canonicalize(old) else {
                continue;
            };
            if !wanted.contains(path.as_path()) {
                continue;
            }
            let new = path.display().to_string();
            if store.respell_source(old, &new)? {
                say!(
                    "imr: note: {old}: the same file as {new}, indexed twice; its rows are removed"
                );
            }
        }
        Ok(())
    })
}

/// Files of this run with the content of another of its files (the first, read): a copy is
/// skipped once its first is indexed, and fails with it where it could not be read.
fn report_copies(copies: &[(String, String)], t: &mut Tally) {
    for (copy, first) in copies {
        if t.failed_sources.contains(first) {
            t.failed += 1;
            say!("imr: {copy}: the same content as {first}, which could not be read");
        } else {
            t.copies += 1;
            say!("imr: note: {copy}: the same content as {first}; skipped");
        }
    }
}

/// Copies within one run: (the copy's source, the first's).
type Copies = Vec<(String, String)>;

/// A file to read and index, and the source of rows it replaces ([`IndexedLetter::replaces`]).
type ToRead = (PathBuf, FileInfo, Option<String>);

/// A source's file stem, which a letter without a case number in its text is named by.
fn stem(source: &str) -> Option<&str> {
    Path::new(source).file_stem().and_then(|s| s.to_str())
}

/// The files whose content the database does not hold yet, with what identifies it, and the
/// copies within this run ([`report_copies`]).
/// - A file with its indexed size and modification time is not read again.
/// - A file whose path is indexed with other content is read again: its rows are replaced.
/// - A new path with indexed content is a copy (skipped with a note), or, where the indexed path
///   is gone, the same file moved (its rows take the new path).
fn changed_files(
    store: &Store,
    files: &[PathBuf],
    tally: &mut Tally,
) -> imr::Result<(Vec<ToRead>, Copies)> {
    respell_relative(store, files)?;
    // Letters an older parser read are read again, their files unchanged.
    let older: std::collections::HashSet<String> =
        store.read_by_older_parser()?.into_iter().collect();
    let mut to_hash = stat_changed(store, files, &older, tally)?;
    hash(&mut to_hash);
    // The files of this run whose content changed, by source: what their rows will hold.
    let new_hash: std::collections::HashMap<&str, &str> = to_hash
        .iter()
        .map(|(_, f, _)| (f.source.as_str(), f.sha256.as_str()))
        .collect();
    let mut first_of: std::collections::HashMap<String, String> = Default::default();
    let mut copies = Vec::new();
    let decided = store.in_transaction(|store| {
        let mut todo = Vec::new();
        for (path, f, old) in &to_hash {
            let read = |replaces| (path.clone(), f.clone(), replaces);
            match old {
                _ if f.sha256.is_empty() => todo.push(read(None)),
                Some(old) if old.sha256 == f.sha256 && older.contains(&f.source) => {
                    first_of.insert(f.sha256.clone(), f.source.clone());
                    tally.reread += 1;
                    todo.push(read(None));
                }
                Some(old) if old.sha256 == f.sha256 => {
                    store.touch(f)?;
                    tally.unchanged += 1;
                }
                Some(_) => match overwritten(store, f, &first_of, &new_hash, tally)? {
                    Overwritten::NotACopy => todo.push(read(None)),
                    Overwritten::Done => {}
                    Overwritten::MovedReadAgain => {
                        first_of.insert(f.sha256.clone(), f.source.clone());
                        todo.push(read(Some(f.source.clone())));
                    }
                },
                None => {
                    if let Some(first) = first_of.get(&f.sha256) {
                        copies.push((f.source.clone(), first.clone()));
                        continue;
                    }
                    // Rows whose file this run replaces with other content hold no copy of it.
                    let earlier = store
                        .source_with_hash(&f.sha256)?
                        .filter(|s| new_hash.get(s.as_str()).is_none_or(|h| *h == f.sha256));
                    match earlier {
                        // Indexed since this run looked, by another run at once.
                        Some(s) if s == f.source => tally.unchanged += 1,
                        Some(s) if !new_hash.contains_key(s.as_str()) && is_gone(&s) => {
                            if follow_move(store, &s, f)? {
                                say!("imr: note: {}: moved from {s}; read again", f.source);
                                first_of.insert(f.sha256.clone(), f.source.clone());
                                todo.push(read(Some(f.source.clone())));
                                continue;
                            }
                            say!("imr: note: {}: moved from {s}", f.source);
                            tally.unchanged += 1;
                        }
                        Some(s) => {
                            say!("imr: note: {}: the same content as {s}; skipped", f.source);
                            tally.copies += 1;
                        }
                        None => {
                            first_of.insert(f.sha256.clone(), f.source.clone());
                            todo.push(read(None));
                        }
                    }
                }
            }
        }
        Ok(todo)
    })?;
    Ok((decided, copies))
}

/// What an indexed path whose content changed now holds.
enum Overwritten {
    /// Content no other file has: read it.
    NotACopy,
    /// A copy of another file (skipped), or a file moved over it (its rows followed it).
    Done,
    /// A file moved over it whose letter is named by its file: read again under its new name.
    MovedReadAgain,
}

/// Where `f`, an indexed path whose content changed, now holds another indexed file's content
/// (or that of a file this run reads), the rows of the letter it held are removed. Then it is a
/// copy, skipped, as a copy under a new name is; or, where that file is gone (`mv a b`), the same
/// file moved, its rows taking the new path.
fn overwritten(
    store: &Store,
    f: &FileInfo,
    first_of: &std::collections::HashMap<String, String>,
    new_hash: &std::collections::HashMap<&str, &str>,
    tally: &mut Tally,
) -> imr::Result<Overwritten> {
    let in_run = first_of.get(&f.sha256).cloned();
    let copy_of = match &in_run {
        Some(first) => Some(first.clone()),
        // Rows whose file this run replaces with other content hold no copy of it.
        None => store
            .source_with_hash(&f.sha256)?
            .filter(|s| *s != f.source && new_hash.get(s.as_str()).is_none_or(|h| *h == f.sha256)),
    };
    let Some(s) = copy_of else {
        return Ok(Overwritten::NotACopy);
    };
    store.remove_source(&f.source)?;
    let moved = in_run.is_none() && !new_hash.contains_key(s.as_str()) && is_gone(&s);
    if !moved {
        say!(
            "imr: note: {}: now the same content as {s}; skipped, the rows of its earlier \
             letter removed",
            f.source
        );
        tally.copies += 1;
        return Ok(Overwritten::Done);
    }
    let read_again = follow_move(store, &s, f)?;
    say!(
        "imr: note: {}: moved from {s}, over the letter indexed from it before",
        f.source
    );
    if read_again {
        return Ok(Overwritten::MovedReadAgain);
    }
    tally.unchanged += 1;
    Ok(Overwritten::Done)
}

/// Moves the rows of the letter indexed from `from` (gone) to `to`, the same file; whether it
/// must be read again: a letter named by its file (its case number its old file name) moved
/// under another name takes the new one, its moved rows replaced in its batch (kept if it cannot
/// be read).
fn follow_move(store: &Store, from: &str, to: &FileInfo) -> imr::Result<bool> {
    let renamed = stem(from) != stem(&to.source);
    let named_by_file = stem(from) == store.case_of(from)?.as_deref();
    store.move_source(from, to)?;
    Ok(renamed && named_by_file)
}

/// Whether nothing is at `path`: a path that cannot be looked at (a folder it may not read) is
/// not gone.
fn is_gone(path: &str) -> bool {
    matches!(Path::new(path).try_exists(), Ok(false))
}

/// The files whose size or modification time is not the one indexed (the others counted as
/// unchanged), each with what the database holds of its path; their hashes still to compute.
fn stat_changed(
    store: &Store,
    files: &[PathBuf],
    older: &std::collections::HashSet<String>,
    tally: &mut Tally,
) -> imr::Result<Vec<(PathBuf, FileInfo, Option<FileInfo>)>> {
    let known: Vec<Option<FileInfo>> = store.reading(|s| {
        files
            .iter()
            .map(|f| s.file_info(&f.display().to_string()))
            .collect()
    })?;
    let mut to_hash = Vec::new();
    for (f, old) in files.iter().zip(known) {
        let (size, mtime_ns) = stat(f);
        if old
            .as_ref()
            .is_some_and(|o| o.size == size && o.mtime_ns == mtime_ns && !older.contains(&o.source))
        {
            tally.unchanged += 1;
            continue;
        }
        let info = FileInfo {
            source: f.display().to_string(),
            size,
            mtime_ns,
            sha256: String::new(),
        };
        to_hash.push((f.clone(), info, old));
    }
    Ok(to_hash)
}

/// Each file's SHA-256, outside any transaction, on every core; an unreadable or oversized file
/// keeps an empty hash, and the reader reports it.
fn hash(files: &mut [(PathBuf, FileInfo, Option<FileInfo>)]) {
    let limit = super::read_limits().max_file_size * 1_000_000;
    files.par_iter_mut().for_each(|(path, f, _)| {
        if f.size <= limit {
            if let Ok(bytes) = std::fs::read(&*path) {
                f.sha256 = format!("{:x}", Sha256::digest(&bytes));
            }
        }
    });
}

/// Size and modification time (ns since the epoch; 0 where unknown).
fn stat(path: &Path) -> (u64, i64) {
    let Ok(m) = std::fs::metadata(path) else {
        return (0, 0);
    };
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64);
    (m.len(), mtime)
}

/// The database, opened for writing, with a progress bar where its full-text index is made
/// again (a file of an older imr, or of another text analyzer), which takes a while.
fn open_store(db: &Path) -> Result<Store> {
    let mut bar: Option<indicatif::ProgressBar> = None;
    let store = Store::open_reporting(db, &mut |done, total| {
        bar.get_or_insert_with(|| progress::bar(total, "text index"))
            .set_position(done as u64);
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(store)
}

/// After a run: the full-text index merged where it replaced or removed letters (their old
/// postings dropped), and the planner's statistics made again where anything changed.
fn tidy(store: &mut Store, tally: &Tally, removed: usize) -> Result<()> {
    if tally.replaced + removed > 0 {
        store.tidy_text()?;
    }
    if tally.indexed + tally.scored + removed > 0 || store.migrated() || !store.has_statistics()? {
        store.analyze()?;
    }
    if let Err(cause) = store.fold_log() {
        say!(
            "imr: warning: {}: its write-ahead log could not be folded into the file ({cause}); \
             every letter is indexed, read from {}-wal until a later run folds it in",
            store.path().display(),
            store.path().display()
        );
    }
    Ok(())
}

/// The writer's thread: each batch of letters written (with their scores, given `model`) as it
/// comes, until the parse is done.
fn write_batches(
    store: &mut Store,
    batches: std::sync::mpsc::Receiver<Vec<IndexedLetter>>,
    model: Option<&ModelInfo>,
) -> imr::Result<Tally> {
    let mut written = Tally::default();
    for pending in batches {
        report(&store.write_batch_scored(&pending, model)?, &mut written);
    }
    Ok(written)
}

/// With `--model`, its scorer and identity: each batch is written with its scores.
type Scoring<'m> = (imr::model::Scorer<'m>, &'m ModelInfo);

/// Parses `todo` in order and writes the letters in batches of `batch` (with their scores, given
/// `scoring`). A thread of its own writes each batch while the next is parsed: SQLite has one
/// writer, and the parse would otherwise wait for it at every batch.
fn index_files(
    store: &mut Store,
    todo: Vec<ToRead>,
    batch: usize,
    scoring: Option<&Scoring<'_>>,
    t: &mut Tally,
) -> Result<()> {
    let (paths, todo): (Vec<PathBuf>, Vec<(FileInfo, Option<String>)>) =
        todo.into_iter().map(|(p, f, r)| (p, (f, r))).unzip();
    let reader = super::read_limits().reader()?;
    let pb = progress::bar(paths.len(), "index");
    let mut infos = todo.into_iter();
    let model = scoring.map(|&(_, info)| info);
    let mut failed_scoring = None;
    std::thread::scope(|s| {
        // One batch waits while one is written: the parse runs a batch ahead, no more.
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<IndexedLetter>>(1);
        let writer = std::thread::Builder::new()
            .spawn_scoped(s, move || write_batches(store, rx, model))
            .context("cannot start the database's writer thread")?;
        // A batch scored, then sent; false where it cannot be (the writer stopped, or the
        // scoring failed, said below).
        let mut send = |mut letters: Vec<IndexedLetter>| {
            if let Some((scorer, _)) = scoring {
                if let Err(e) = score_letters(scorer, &mut letters) {
                    failed_scoring = Some(e);
                    return false;
                }
            }
            // The full-text postings are made here, on every core, not on the one writer.
            letters.par_iter_mut().for_each(IndexedLetter::prepare_text);
            tx.send(letters).is_ok()
        };
        let mut pending: Vec<IndexedLetter> = Vec::with_capacity(batch);
        reader.read_each(
            &paths,
            || pb.inc(1),
            |r| {
                // One result per path, in order: the next file's identity is this letter's.
                let (file, replaces) = infos.next().expect("a result per path");
                match r {
                    Ok(letter) => pending.push(IndexedLetter {
                        file,
                        letter,
                        replaces,
                        scores: Vec::new(),
                        text: None,
                    }),
                    Err(e) => {
                        t.failed += 1;
                        t.failed_sources.insert(file.source.clone());
                        say!("imr: {e}");
                    }
                }
                // A send fails only where the writer has stopped on an error (returned below)
                // or the scoring failed.
                if pending.len() >= batch && !send(std::mem::take(&mut pending)) {
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            },
        );
        pb.finish_and_clear();
        if !pending.is_empty() {
            // As above: a failed send leaves its error to report.
            send(pending);
        }
        drop(tx);
        let written = writer.join().expect("the writer does not panic")?;
        t.add(&written);
        match failed_scoring {
            Some(e) => Err(e.into()),
            None => Ok(()),
        }
    })
}

/// Sets each letter's item scores by `scorer`.
fn score_letters(
    scorer: &imr::model::Scorer<'_>,
    letters: &mut [IndexedLetter],
) -> imr::Result<()> {
    let items: Vec<ItemToScore> = letters
        .iter()
        .flat_map(|l| {
            l.letter
                .items
                .iter()
                .map(|it| ItemToScore::from_item(&l.letter, it))
        })
        .collect();
    let mut predictions = scorer.predict(items, 0)?.into_iter();
    for l in letters {
        l.scores = predictions
            .by_ref()
            .take(l.letter.items.len())
            .map(|p| item_scores(0, p))
            .collect();
    }
    Ok(())
}

/// An item's scores as the database keeps them.
fn item_scores(item_id: i64, p: imr::model::Prediction) -> ItemScores {
    ItemScores {
        item_id,
        p_overturned: p.p_overturned,
        p_low: p.p_low,
        p_high: p.p_high,
        predicted: p.predicted,
        abstention: p.abstention,
        themes: p.themes,
    }
}

impl Tally {
    /// Adds what the writer did.
    fn add(&mut self, w: &Tally) {
        self.indexed += w.indexed;
        self.items += w.items;
        self.replaced += w.replaced;
        self.scored += w.scored;
        self.unchanged += w.unchanged;
        self.same_case_found
            .extend(w.same_case_found.iter().cloned());
    }
}

/// The changed letters named one by one in a run; the rest are counted.
const NAMED_CHANGES: usize = 20;

fn report(r: &WriteReport, t: &mut Tally) {
    t.indexed += r.letters;
    t.unchanged += r.unchanged;
    t.items += r.items;
    // Only those written: a letter another run wrote meanwhile is unchanged, scored later.
    t.scored += r.scored;
    for s in &r.replaced {
        t.replaced += 1;
        if t.replaced <= NAMED_CHANGES {
            say!("imr: note: {s}: changed since it was indexed; its rows are replaced");
        } else if t.replaced == NAMED_CHANGES + 1 {
            // A folder of changed letters would bury the run's other messages.
            say!(
                "imr: note: more letters changed since they were indexed; their rows are \
                 replaced without a note each (the closing line counts them)"
            );
        }
    }
    t.same_case_found.extend(r.same_case.iter().cloned());
}

/// Warns of each case number two indexed files hold, where both still hold it once the run is
/// done (two files that swapped names held one case for a moment only).
fn report_same_case(store: &Store, t: &mut Tally) -> imr::Result<()> {
    let touched: std::collections::BTreeSet<String> = std::mem::take(&mut t.same_case_found)
        .into_iter()
        .map(|(case, _, _)| case)
        .collect();
    for case in touched {
        let files = store.sources_of_case(&case)?;
        if files.len() < 2 {
            continue; // Two files that swapped names held it for a moment.
        }
        let shown = files.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        let more = match files.len() {
            n if n > 3 => format!(" and {} more", n - 3),
            _ => String::new(),
        };
        say!(
            "imr: warning: case {case}: in {} files, all indexed: {shown}{more}",
            files.len()
        );
    }
    Ok(())
}

/// Says which files that could not be read keep the letter indexed from them before they
/// changed, rather than leave the database holding text the file no longer has without a word.
fn note_failed_kept(store: &Store, t: &Tally) -> imr::Result<()> {
    let mut kept: Vec<&String> = t.failed_sources.iter().collect();
    kept.sort_unstable();
    for source in kept {
        if store.file_info(source)?.is_some() {
            say!("imr: note: {source}: the letter indexed from it before it changed is kept");
        }
    }
    Ok(())
}

/// The folder that keeps a gone file's letter from `--prune`: the nearest of its folders still
/// there, at or below `root` (a path given), where that folder holds no letter file at all (an
/// unmounted share's mount point, under the folder given; `holding`: the folders of the files
/// found). A folder deleted whole leaves its letters to prune.
fn kept_by_empty_folder(
    source: &Path,
    root: &Path,
    holding: &std::collections::HashSet<&Path>,
) -> Option<PathBuf> {
    let folder = source
        .ancestors()
        .skip(1)
        .take_while(|a| a.starts_with(root))
        .find(|a| a.is_dir())?;
    (!holding.contains(folder)).then(|| folder.to_path_buf())
}

/// The letters indexed from files under `paths` that are gone (not among the files found, and
/// not there): removed with `prune`, else counted in a note. How many were removed.
fn gone_files(store: &Store, paths: &[PathBuf], files: &[PathBuf], prune: bool) -> Result<usize> {
    let found: std::collections::HashSet<String> =
        files.iter().map(|f| f.display().to_string()).collect();
    let mut gone = std::collections::BTreeSet::new();
    let mut kept = std::collections::BTreeMap::new();
    let holding = std::cell::OnceCell::new();
    let mut empty_folder = None;
    for p in paths {
        let Ok(path) = std::fs::canonicalize(p) else {
            continue;
        };
        // A folder that holds no letter now is more likely a share not mounted (its mount point
        // empty) than an archive deleted: what was indexed from it is kept.
        let emptied = path.is_dir() && !files.iter().any(|f| f.starts_with(&path));
        if emptied && !prune {
            empty_folder = Some(p);
        }
        if emptied && prune {
            say!(
                "imr: note: {}: holds no letter files, so nothing indexed from it is pruned \
                 (remove them with `--prune` once it holds letters again, or from a path \
                 above it)",
                p.display()
            );
            continue;
        }
        for source in store.sources_under(&path.display().to_string())? {
            if found.contains(&source) || !is_gone(&source) {
                continue;
            }
            // Folders holding a letter file found now: every found file's folders, once.
            let holding = holding.get_or_init(|| {
                files
                    .iter()
                    .flat_map(|f| f.ancestors().skip(1))
                    .collect::<std::collections::HashSet<&Path>>()
            });
            // (A path given that is emptied whole is said above, or below with the way out.)
            match kept_by_empty_folder(Path::new(&source), &path, holding) {
                Some(folder) if !emptied => *kept.entry(folder).or_insert(0) += 1,
                _ => {
                    gone.insert(source);
                }
            }
        }
    }
    say_kept(&kept, prune);
    prune_or_note(store, &gone, empty_folder, prune)
}

/// The folders that keep their letters from `--prune`, said with how many each keeps.
fn say_kept(kept: &std::collections::BTreeMap<PathBuf, usize>, prune: bool) {
    for (folder, n) in kept {
        say!(
            "imr: note: {}: holds no letter files (a share not mounted?), so the {} indexed \
             from it are kept{}",
            folder.display(),
            super::count(*n, "letter", "letters"),
            if prune { "" } else { ", even by `--prune`" }
        );
    }
}

/// The gone files' letters removed with `prune` (how many), else counted in a note that says the
/// way to remove them.
fn prune_or_note(
    store: &Store,
    gone: &std::collections::BTreeSet<String>,
    empty_folder: Option<&PathBuf>,
    prune: bool,
) -> Result<usize> {
    if gone.is_empty() {
        return Ok(0);
    }
    let first = gone.iter().next().expect("not empty");
    let which = format!("{first}{}", if gone.len() > 1 { ", ..." } else { "" });
    if !prune {
        // Under a folder that holds no letter, --prune keeps them: the way is a folder above.
        let how = match empty_folder {
            Some(p) => format!(
                "`--prune` with a folder above {} removes them ({0} holds no letter, so \
                 `--prune` on it keeps them)",
                p.display()
            ),
            None => "`--prune` removes them".to_string(),
        };
        say!(
            "imr: note: {} indexed letters' files are gone from the paths given ({which}); \
             their rows are kept: {how}",
            gone.len()
        );
        return Ok(0);
    }
    store.in_transaction(|s| {
        for source in gone {
            s.remove_source(source)?;
        }
        Ok(())
    })?;
    say!(
        "imr: note: {} removed ({which})",
        super::count(
            gone.len(),
            "letter whose file is gone",
            "letters whose files are gone"
        )
    );
    Ok(gone.len())
}
/// The database's scores taken by `info`'s model: another model's are removed, said.
fn take_scores(store: &mut Store, info: &ModelInfo) -> Result<()> {
    store.record_themes(info)?;
    if let Some(old) = store.scores_owner()? {
        if old.digest != info.digest {
            // Said only where scores are dropped: an owner without any (its run stopped early,
            // or its letters were replaced) is taken over quietly.
            if store.scoring_model()?.is_some() {
                say!(
                    "imr: note: {}: the scores of {} ({}) are replaced by {}'s",
                    store.path().display(),
                    old.name,
                    old.digest,
                    info.name
                );
            }
            store.clear_scores(info)?;
        }
    }
    Ok(())
}

/// Scores every item the database holds no scores for (letters indexed earlier, or without a
/// model) with `model`.
fn score(store: &mut Store, model: &ModelFile, info: &ModelInfo, batch: usize) -> Result<usize> {
    let scorer = model.scorer()?;
    let ids = store.letters_without_scores()?;
    let pb = progress::bar(ids.len(), "score");
    let mut scored = 0;
    for chunk in ids.chunks(batch) {
        let (mut items, mut item_ids) = (Vec::new(), Vec::new());
        for &id in chunk {
            let (letter, ids) = store.letter(id)?;
            items.extend(
                letter
                    .items
                    .iter()
                    .map(|it| ItemToScore::from_item(&letter, it)),
            );
            item_ids.extend(ids);
        }
        let predictions = scorer.predict(items, 0)?;
        let scores: Vec<ItemScores> = predictions
            .into_iter()
            .zip(item_ids)
            .map(|(p, item_id)| item_scores(item_id, p))
            .collect();
        store.write_scores(info, &scores)?;
        scored += scores.len();
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    Ok(scored)
}

/// A model's identity: the digest of its JSON, so any change of a coefficient is a new model.
pub(super) fn model_info(model: &ModelFile, name: &str) -> Result<ModelInfo> {
    let mut h = Sha256::new();
    serde_json::to_writer(&mut h, model).context("hashing the model")?;
    Ok(ModelInfo {
        digest: format!("sha256:{:x}", h.finalize()),
        name: name.to_string(),
        format_version: model.format_version.clone(),
        themes: Some(model.themes.iter().flat_map(|t| t.theme_ids()).collect()),
    })
}

/// The model whose scores the database holds, where it can still be loaded as it was named
/// and is the same model: letters added without `--model` are scored by it, as the others were.
fn the_database_model(store: &Store) -> Result<Option<(ModelFile, ModelInfo)>> {
    let Some(held) = store.scoring_model()? else {
        return Ok(None);
    };
    // Loaded quietly (a model the user did not name now): a built-in name, else a file. Gone,
    // changed, or of another imr, the letters are left unscored, said at the end.
    let model = match ModelFile::builtin_named(&held.name) {
        Some(m) => m.ok().map(|(m, _)| m),
        None => ModelFile::load(Path::new(&held.name)).ok(),
    };
    let Some(model) = model else {
        return Ok(None);
    };
    let info = model_info(&model, &held.name)?;
    Ok((info.digest == held.digest).then_some((model, info)))
}

/// Says when items lack the scores the others have (indexed later without --model).
fn note_unscored(store: &Store) -> Result<()> {
    if let Some(m) = store.scoring_model()? {
        let n = store.letters_without_scores()?.len();
        if n > 0 {
            say!(
                "imr: note: {} no scores of {} ({}); `imr index --db {} --model {}` scores them",
                super::count(n, "letter has", "letters have"),
                m.name,
                m.digest,
                store.path().display(),
                m.name
            );
        }
    }
    Ok(())
}

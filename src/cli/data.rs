//! Shared CLI plumbing: reading labelled data.

use super::parse::{read_reporting_each, Order};
use anyhow::{Context, Result};
use imr::features::ItemText;
use imr::gold::Gold;
use imr::model::{Example, ModelFile, BUILTIN_NAME};
use imr::precedent::Precedent;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Refuses an output path that names one of the run's inputs (a file given as `inputs`, or a
/// letter file in a folder given there), before anything is read or written: a typo in `--out`
/// or `--oof` would otherwise replace a database or a letter with the run's output.
pub fn refuse_output_over_input(out: &Path, option: &str, inputs: &[(&str, &Path)]) -> Result<()> {
    let Ok(out_meta) = std::fs::metadata(out) else {
        return Ok(()); // Not there yet, so no input.
    };
    let within = |dir: &Path| {
        let (Ok(d), Ok(o)) = (dir.canonicalize(), out.canonicalize()) else {
            return false;
        };
        o.starts_with(d) && imr::parse::is_letter_path(out)
    };
    for (input_option, input) in inputs {
        let Ok(meta) = std::fs::metadata(input) else {
            continue;
        };
        let same = same_file(&meta, &out_meta);
        if same || (meta.is_dir() && within(input)) {
            let what = if same { "is" } else { "is a letter in" };
            anyhow::bail!(
                "{option} {}: {what} an input of this run ({input_option} {}); give another path \
                 (nothing was written)",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// A run's inputs, by the option naming each: those of `named` given, then every `--data` path.
pub fn inputs<'a>(
    named: &[(&'static str, Option<&'a Path>)],
    data: &'a [PathBuf],
) -> Vec<(&'static str, &'a Path)> {
    let given = named.iter().filter_map(|&(o, p)| Some((o, p?)));
    given
        .chain(data.iter().map(|p| ("--data", p.as_path())))
        .collect()
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.is_file() && b.is_file() && a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// The case numbers a model was trained on: listed in its metadata, or kept as its precedents.
fn training_cases(m: &ModelFile) -> HashSet<&str> {
    let listed = m.metadata.training_cases.iter().flatten();
    let kept = m.precedents.iter().flat_map(|p| p.precedents());
    listed
        .map(String::as_str)
        .chain(kept.map(|p| p.case_number.as_str()))
        .collect()
}

/// How many of the letters of `cases` (case numbers, an item's each) a model was trained on, said
/// where any was: figures on them are fitted, not a test.
pub fn trained_letters<'a>(
    m: &ModelFile,
    cases: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let trained = training_cases(m);
    let mut cases: Vec<&str> = cases.into_iter().collect();
    cases.sort_unstable();
    cases.dedup();
    let seen = cases.iter().filter(|c| trained.contains(*c)).count();
    (seen > 0).then(|| {
        format!(
            "{seen} of the {} {} among the model's training letters",
            super::count(cases.len(), "letter", "letters"),
            if seen == 1 { "was" } else { "were" }
        )
    })
}

/// Items read a batch at a time (`--items`) whose case numbers a model was trained on, counted as
/// they pass and said at the end, as letters are said before: memory follows the model's training
/// letters, not the input.
pub struct TrainedItems<'m> {
    trained: HashSet<&'m str>,
    seen: std::cell::RefCell<(HashSet<&'m str>, usize)>,
}

impl<'m> TrainedItems<'m> {
    pub fn of(m: &'m ModelFile) -> Self {
        TrainedItems {
            trained: training_cases(m),
            seen: Default::default(),
        }
    }

    /// Counts the items of `cases` (an item's case number each, where it has one).
    pub fn see<'a>(&self, cases: impl IntoIterator<Item = Option<&'a str>>) {
        if self.trained.is_empty() {
            return;
        }
        let mut seen = self.seen.borrow_mut();
        for c in cases.into_iter().flatten() {
            if let Some(&t) = self.trained.get(c) {
                seen.0.insert(t);
                seen.1 += 1;
            }
        }
    }

    /// What was seen, where any item was of a training letter.
    pub fn said(&self) -> Option<String> {
        let seen = self.seen.borrow();
        let (letters, items) = (seen.0.len(), seen.1);
        (items > 0).then(|| {
            let plural =
                |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
            format!(
                "{} ({}) were of the model's training letters",
                plural(items, "item"),
                plural(letters, "letter")
            )
        })
    }
}

/// Where labelled letters come from: files and directories, or a database made by `imr index`.
#[derive(Debug, Clone, Copy)]
pub enum Letters<'a> {
    Files(&'a [PathBuf]),
    Db(&'a Path),
}

impl<'a> Letters<'a> {
    /// `--db` when given, else the `--data` paths.
    pub fn of(data: &'a [PathBuf], db: Option<&'a Path>) -> Self {
        db.map_or(Letters::Files(data), Letters::Db)
    }

    /// Each letter to `sink`, in the order of their files' canonical paths, however the paths were
    /// given (a database gives its letters in that order too): the same letters train the same
    /// model. Returns the number of inputs that could not be read.
    pub fn each(self, mut sink: impl FnMut(imr::Letter) -> Result<()>) -> Result<usize> {
        match self {
            Letters::Files(paths) => read_reporting_each(paths, Order::Path, sink),
            Letters::Db(path) => {
                let store = imr::store::Store::open_read_only(path)?;
                let mut stopped = None;
                store.each_letter(|l| match sink(l) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(e) => {
                        stopped = Some(e);
                        ControlFlow::Break(())
                    }
                })?;
                stopped.map_or(Ok(0), Err)
            }
        }
    }

    /// How many items there are, where known before reading them (a database's count).
    pub fn expected_items(self) -> Result<Option<usize>> {
        match self {
            Letters::Files(_) => Ok(None),
            Letters::Db(path) => Ok(Some(imr::store::Store::open_read_only(path)?.counts()?.1)),
        }
    }

    fn describe(self) -> String {
        match self {
            Letters::Files(paths) => paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            Letters::Db(path) => format!("the database {}", path.display()),
        }
    }
}

pub struct Data {
    pub examples: Vec<Example>,
    pub letters: usize,
    pub failed: usize,
}

/// Adds an item to the digest a model file records of its training items (`corpus_digest`): the
/// same items, read the same way, give the same digest.
pub fn digest_example(h: &mut sha2::Sha256, e: &Example) {
    use sha2::Digest;
    for part in [
        e.case_number.as_str(),
        &e.item.to_string(),
        &e.decision.to_string(),
        &e.text.title,
        &e.text.rationale,
        &e.text.guidelines,
        &e.text.summary,
        &e.text.facts.join(" "),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
}

/// The digest of [`digest_example`] over `examples`, as a model file writes it.
pub fn corpus_digest<'a>(examples: impl IntoIterator<Item = &'a Example>) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for e in examples {
        digest_example(&mut h, e);
    }
    format!("sha256:{:x}", h.finalize())
}

/// The letters as examples, joined to the gold file.
pub fn load(letters: Letters<'_>, gold_path: Option<&Path>) -> Result<Data> {
    let mut examples = Vec::new();
    let read = read_examples(letters, gold_path, false, |e| examples.push(e))?;
    Ok(Data {
        examples,
        letters: read.letters,
        failed: read.failed,
    })
}

/// What [`read_examples`] read besides the examples.
pub struct Read {
    pub letters: usize,
    pub gold: Option<Gold>,
    pub failed: usize,
    pub precedents: Vec<(Precedent, ItemText)>,
}

/// Each item of the letters as an example, joined to the gold file, to `each` in order; with
/// `precedents`, every item as a precedent too. Letters are read as a stream: each letter's texts
/// are shared by its examples and precedents, and the letter is dropped once they are made.
pub fn read_examples(
    letters: Letters<'_>,
    gold_path: Option<&Path>,
    with_precedents: bool,
    mut each: impl FnMut(Example),
) -> Result<Read> {
    let gold = gold_path
        .map(|g| Gold::load(g).with_context(|| "reading the gold file"))
        .transpose()?;
    let (mut precedents, mut mismatches) = (Vec::new(), Vec::new());
    let (mut n_letters, mut n_items, mut with_themes) = (0, 0, 0);
    // A case number met again: a copy of a letter under another name counts twice (its items
    // stay in one fold, as a case's do), so it is said, as `imr index` says it.
    let mut first_file: HashMap<String, String> = HashMap::new();
    let mut again: Vec<(String, String, String)> = Vec::new();
    let mut items_of: HashMap<String, usize> = HashMap::new();
    let failed = letters.each(|l| {
        n_letters += 1;
        let case = &l.header.case_number;
        let n = items_of.entry(case.clone()).or_default();
        *n = (*n).max(l.items.len());
        match first_file.get(case) {
            Some(first) => again.push((case.clone(), first.clone(), l.header.source.clone())),
            None => {
                first_file.insert(case.clone(), l.header.source.clone());
            }
        }
        if let Some(gold) = &gold {
            for (item, gold, letter) in gold.decision_mismatches(std::slice::from_ref(&l)) {
                mismatches.push((item.case_number.clone(), item.item, gold, letter));
            }
        }
        for (it, text) in l.items.iter().zip(ItemText::of_letter(&l)) {
            if with_precedents {
                precedents.push((Precedent::from_item(&l, it), text.clone()));
            }
            let e = Example::of(&l, it, text, gold.as_ref());
            n_items += 1;
            with_themes += usize::from(e.themes.is_some());
            each(e);
        }
        Ok(())
    })?;
    if n_letters == 0 {
        anyhow::bail!("no letters could be read from {}", letters.describe());
    }
    report_repeated_cases(&again);
    if let (Some(g), Some(gold)) = (gold_path, &gold) {
        report_gold_join(g, &mismatches, with_themes, n_items)?;
        report_unjoined(g, gold, &items_of);
    }
    Ok(Read {
        letters: n_letters,
        gold,
        failed,
        precedents,
    })
}

/// Names the gold lines of `g` no item joins: an item number past its letter's items (each, up to
/// a few), and case numbers no letter has (how many, a few named, with the letters' spelling where
/// only the case differs). Lines of letters not read (training on part of a corpus) are the
/// latter, so they are counted in one note.
fn report_unjoined(g: &Path, gold: &Gold, items_of: &HashMap<String, usize>) {
    const SHOWN: usize = 5;
    let (no_letter, no_item) = gold.unjoined(items_of);
    for (item, n) in no_item.iter().take(SHOWN) {
        say!(
            "imr: {}: case {} item {}: the letter has {n} items; is the item number right?",
            g.display(),
            item.case_number,
            item.item
        );
    }
    if no_item.len() > SHOWN {
        say!(
            "imr: {}: {} more items past their letter's last",
            g.display(),
            no_item.len() - SHOWN
        );
    }
    if no_letter.is_empty() {
        return;
    }
    let by_lower: HashMap<String, &str> = items_of
        .keys()
        .map(|c| (c.to_lowercase(), c.as_str()))
        .collect();
    let mut cases: Vec<&str> = no_letter.iter().map(|g| g.case_number.as_str()).collect();
    cases.dedup();
    // Those a letter holds in other letter case first: the likely mistake, shown in any case.
    cases.sort_by_key(|c| !by_lower.contains_key(&c.to_lowercase()));
    let named: Vec<String> = cases
        .iter()
        .take(SHOWN)
        .map(|c| match by_lower.get(&c.to_lowercase()) {
            Some(letters) => format!("{c} (a letter has {letters})"),
            None => c.to_string(),
        })
        .collect();
    let lines = match no_letter.len() {
        1 => "1 line names".to_string(),
        n => format!("{n} lines name"),
    };
    say!(
        "imr: note: {}: {lines} a case number none of the letters read has ({}{})",
        g.display(),
        named.join(", "),
        if cases.len() > SHOWN { ", ..." } else { "" }
    );
}

/// Says how the letters' items joined the gold file `g`: the gold decisions that are not the
/// letters' (a few, then how many more), and the items left without themes; an error where none
/// joined.
fn report_gold_join(
    g: &Path,
    mismatches: &[(String, usize, imr::Decision, imr::Decision)],
    with_themes: usize,
    n_items: usize,
) -> Result<()> {
    // Items still train: the outcome's labels are the letters' own; the themes may belong to
    // another item.
    const SHOWN: usize = 5;
    for (case, item, gold, letter) in mismatches.iter().take(SHOWN) {
        say!(
            "imr: {}: case {case} item {item}: the gold decision is {gold}, the letter's {letter}; is the item number right?",
            g.display(),
        );
    }
    if mismatches.len() > SHOWN {
        say!(
            "imr: {}: {} more items whose gold decision is not the letter's",
            g.display(),
            mismatches.len() - SHOWN
        );
    }
    // The join is on case number and item number: say when it found nothing, or left items out.
    if with_themes == 0 {
        anyhow::bail!(
            "{}: none of the {n_items} items of the letters is in the gold file (joined on \
             case number and item number)",
            g.display()
        );
    }
    if with_themes < n_items {
        let others = match n_items - with_themes {
            1 => "the other one is".to_string(),
            n => format!("the other {n} are"),
        };
        say!(
            "imr: {}: gold themes for {with_themes} of the {n_items} items; {others} left out of \
             the theme models and metrics",
            g.display(),
        );
    }
    Ok(())
}

/// Says which files hold a case number another file has (case, first file, this file): a few by
/// name, then how many more.
fn report_repeated_cases(again: &[(String, String, String)]) {
    const SHOWN: usize = 5;
    for (case, first, file) in again.iter().take(SHOWN) {
        say!("imr: note: {file}: case {case} is also in {first}; both are read (a copy counts twice)");
    }
    if again.len() > SHOWN {
        say!(
            "imr: note: {} more files hold a case number another file has",
            again.len() - SHOWN
        );
    }
}

/// The model file at `path`, a built-in model by name (`default`, `case`, `masked`), or the default
/// built-in model; with the name to report it by. A name is a bare word, as rustc's `--target`
/// takes a built-in name or a `.json` file: `./case` is the file.
pub fn load_model(path: Option<&Path>) -> Result<(ModelFile, String)> {
    let Some(p) = path else {
        return Ok((ModelFile::builtin()?, BUILTIN_NAME.to_string()));
    };
    if let Some(m) = p.to_str().and_then(ModelFile::builtin_named) {
        let (m, label) = m?;
        if p.exists() {
            say!(
                "imr: warning: --model {0} is {label}; ./{0} names the file here",
                p.display()
            );
        }
        return Ok((m, label.to_string()));
    }
    let bare_word = p.components().count() == 1 && p.extension().is_none();
    if bare_word && !p.exists() {
        // A misspelt name ("defualt") is no file either: both are said.
        let names: Vec<&str> = imr::model::BUILTIN_MODELS.iter().map(|m| m.0).collect();
        anyhow::bail!(
            "--model {}: no such file, and not a built-in model ({})",
            p.display(),
            names.join(", ")
        );
    }
    let m = ModelFile::load(p)?;
    // Its base rates and precedents' kinds were read by the rules of its day.
    if let Some(rules) = m.metadata.treatment_rules.as_deref() {
        if rules != imr::treatment::VERSION {
            say!(
                "imr: note: {}: trained with treatment rules {rules}; this imr reads titles with \
                 {}, so its base rates and precedents' kinds may differ from new items' kinds \
                 (retrain it to match)",
                p.display(),
                imr::treatment::VERSION
            );
        }
    }
    Ok((m, p.display().to_string()))
}

/// The --model help of every command that reads one.
pub const MODEL_HELP: &str = "Model file, or a built-in model: default (models/default.json: \
rationales, with themes), case (models/case.json: a forecast from the clinical summary, title \
and guideline lines, before any rationale) or masked (models/masked.json: rationales with their \
verdict sentences masked, as --check reads them)";

//! Shared CLI plumbing: reading labelled data.

use super::parse::read_reporting_each;
use anyhow::{Context, Result};
use imr::features::ItemText;
use imr::gold::Gold;
use imr::model::{Example, ModelFile, BUILTIN_NAME};
use imr::precedent::Precedent;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

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

    /// Each letter to `sink`, in the order of the files (a database gives its letters in the order
    /// their files would be read); returns the number of inputs that could not be read.
    pub fn each(self, mut sink: impl FnMut(imr::Letter) -> Result<()>) -> Result<usize> {
        match self {
            Letters::Files(paths) => read_reporting_each(paths, sink),
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
    pub gold: Option<Gold>,
    pub failed: usize,
    /// Every item as a precedent, when asked for: its record and the text the index reads.
    pub precedents: Vec<(imr::precedent::Precedent, imr::features::ItemText)>,
}

/// The letters as examples, joined to the gold file; with `precedents`, every item as
/// a precedent too (a case-view model stores them).
pub fn load(letters: Letters<'_>, gold_path: Option<&Path>, with_precedents: bool) -> Result<Data> {
    let gold = gold_path
        .map(|g| Gold::load(g).with_context(|| "reading the gold file"))
        .transpose()?;
    // Letters are read as a stream: each letter's texts are shared by its examples and
    // precedents, and the letter is dropped as soon as they are made, so the texts are held once.
    let (mut ex, mut precedents, mut mismatches) = (Vec::new(), Vec::new(), Vec::new());
    let mut n_letters = 0;
    let failed = letters.each(|l| {
        n_letters += 1;
        if let Some(gold) = &gold {
            for (item, letter) in gold.decision_mismatches(std::slice::from_ref(&l)) {
                mismatches.push((item.case_number.clone(), item.item, item.decision, letter));
            }
        }
        for (it, text) in l.items.iter().zip(ItemText::of_letter(&l)) {
            ex.push(Example::of(&l, it, text.clone(), gold.as_ref()));
            if with_precedents {
                precedents.push((Precedent::from_item(&l, it), text));
            }
        }
        Ok(())
    })?;
    if n_letters == 0 {
        anyhow::bail!("no letters could be read from {}", letters.describe());
    }
    if let Some(g) = gold_path {
        // Items still train: the outcome's labels are the letters' own; the themes may belong to another item.
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
    }
    if let (Some(g), Some(_)) = (gold_path, &gold) {
        // The join is on case number and item number: say when it found nothing, or left items out.
        let with = ex.iter().filter(|e| e.themes.is_some()).count();
        if with == 0 {
            anyhow::bail!("{}: none of the {} items of the letters is in the gold file (joined on case number and item number)", g.display(), ex.len());
        }
        if with < ex.len() {
            say!("imr: {}: gold themes for {with} of the {} items; the other {} are left out of the theme models and metrics", g.display(), ex.len(), ex.len() - with);
        }
    }
    Ok(Data {
        examples: ex,
        letters: n_letters,
        gold,
        failed,
        precedents,
    })
}

/// The model file at `path`, a built-in model by name (`default`, `case`), or the default built-in model; with the
/// name to report it by. A name is a bare word, as rustc's `--target` takes a built-in name or a `.json` file:
/// `./case` is the file.
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
    Ok((ModelFile::load(p)?, p.display().to_string()))
}

/// The --model help of every command that reads one.
pub const MODEL_HELP: &str = "Model file, or a built-in model: default (models/default.json: rationales, with themes) or case \
(models/case.json: a forecast from the clinical summary, title and guideline lines, before any rationale)";

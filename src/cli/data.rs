//! Shared CLI plumbing: reading labelled data.

use super::parse::read_reporting;
use anyhow::{Context, Result};
use imr::gold::Gold;
use imr::model::{examples, Example, ModelFile, BUILTIN_NAME};
use std::path::{Path, PathBuf};

pub struct Data {
    pub examples: Vec<Example>,
    pub letters: usize,
    pub gold: Option<Gold>,
    pub failed: usize,
    /// Every item as a precedent (`imr similar`): its record and the text the index reads.
    pub precedents: Vec<(imr::precedent::Precedent, imr::features::ItemText)>,
}

pub fn load(paths: &[PathBuf], gold_path: Option<&Path>) -> Result<Data> {
    let (letters, failed) = read_reporting(paths)?;
    if letters.is_empty() {
        anyhow::bail!(
            "no letters could be read from {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let gold = gold_path
        .map(|g| Gold::load(g).with_context(|| "reading the gold file"))
        .transpose()?;
    let ex = examples(&letters, gold.as_ref());
    if let (Some(g), Some(gold)) = (gold_path, &gold) {
        // Items still train: the outcome's labels are the letters' own; the themes may belong to another item.
        let mismatches = gold.decision_mismatches(&letters);
        const SHOWN: usize = 5;
        for (item, letter) in mismatches.iter().take(SHOWN) {
            say!(
                "imr: {}: case {} item {}: the gold decision is {}, the letter's {}; is the item number right?",
                g.display(),
                item.case_number,
                item.item,
                item.decision,
                letter
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
        letters: letters.len(),
        gold,
        failed,
        precedents: imr::precedent::precedents(&letters),
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

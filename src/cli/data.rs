//! Shared CLI plumbing: reading labelled data.

use super::parse::read_reporting;
use anyhow::{Context, Result};
use imr::gold::Gold;
use imr::model::{examples, Example};
use std::path::{Path, PathBuf};

pub struct Data {
    pub examples: Vec<Example>,
    pub letters: usize,
    pub gold: Option<Gold>,
    pub failed: usize,
}

pub fn load(paths: &[PathBuf], gold: Option<&Path>) -> Result<Data> {
    let (letters, failed) = read_reporting(paths)?;
    if letters.is_empty() {
        anyhow::bail!("no letters could be read from {}", paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "));
    }
    let gold = gold.map(|g| Gold::load(g).with_context(|| "reading the gold file")).transpose()?;
    let ex = examples(&letters, gold.as_ref());
    Ok(Data { examples: ex, letters: letters.len(), gold, failed })
}

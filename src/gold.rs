//! Hand-annotated gold items (`items.jsonl`): decisions and rationale themes, joined to letters on case number
//! and item number.

use crate::error::{Error, Result};
use crate::letter::Decision;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldItem {
    pub case_number: String,
    /// 1-based item number within the letter.
    pub item: usize,
    pub title: String,
    pub decision: Decision,
    #[serde(default)]
    pub themes: Vec<String>,
}

/// Gold items keyed by (case number, item number).
#[derive(Debug, Clone, Default)]
pub struct Gold {
    pub items: BTreeMap<(String, usize), GoldItem>,
}

impl Gold {
    /// Reads a JSON-lines gold file; a bad line is an error naming its line number.
    pub fn load(path: &Path) -> Result<Gold> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut items = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let g: GoldItem = serde_json::from_str(line).map_err(|e| Error::Data {
                context: format!("{}:{}", path.display(), i + 1),
                message: e.to_string(),
            })?;
            items.insert((g.case_number.clone(), g.item), g);
        }
        Ok(Gold { items })
    }

    pub fn get(&self, case: &str, item: usize) -> Option<&GoldItem> {
        self.items.get(&(case.to_string(), item))
    }

    /// Every theme id the gold file uses, sorted.
    pub fn theme_ids(&self) -> Vec<String> {
        let set: BTreeSet<&String> = self.items.values().flat_map(|g| &g.themes).collect();
        set.into_iter().cloned().collect()
    }
}

/// Lower-cased alphanumeric tokens of a title.
pub fn title_tokens(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).map(|t| t.to_lowercase()).collect()
}

/// Dice overlap of two titles' normalised token sets: 1 for the same tokens, 0 for none shared.
pub fn title_overlap(a: &str, b: &str) -> f64 {
    let (ta, tb) = (title_tokens(a), title_tokens(b));
    if ta.is_empty() && tb.is_empty() {
        return 1.0;
    }
    2.0 * ta.intersection(&tb).count() as f64 / (ta.len() + tb.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_is_symmetric_and_normalised() {
        assert_eq!(title_overlap("MRI of the Knee:", "mri of the knee"), 1.0);
        assert_eq!(title_overlap("MRI knee", "CT hip"), 0.0);
        assert!((title_overlap("a b c d", "a b c e") - 0.75).abs() < 1e-12);
    }
}

//! Hand-annotated gold items (`items.jsonl`): decisions and rationale themes, joined to letters on case number
//! and item number.

use crate::error::{Error, Result};
use crate::letter::{Decision, Letter};
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
    /// Empty or absent: not annotated for themes (the codebook gives every item at least one), so the item is left
    /// out of the theme models rather than taken as a negative for every theme.
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
        let (mut items, mut lines) = (BTreeMap::new(), BTreeMap::new());
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let context = || format!("{}:{}", path.display(), i + 1);
            let g: GoldItem = serde_json::from_str(line).map_err(|e| Error::Data {
                context: context(),
                message: e.to_string(),
            })?;
            // A second line for one item would silently replace the first: two annotations, or a mistyped number.
            if let Some(first) = lines.insert((g.case_number.clone(), g.item), i + 1) {
                return Err(Error::Data {
                    context: context(),
                    message: format!(
                        "case {} item {} is also on line {first}",
                        g.case_number, g.item
                    ),
                });
            }
            items.insert((g.case_number.clone(), g.item), g);
        }
        Ok(Gold { items })
    }

    /// Items whose gold decision is not the letter's: most likely a join on the wrong item number.
    pub fn decision_mismatches<'a>(
        &'a self,
        letters: &'a [Letter],
    ) -> Vec<(&'a GoldItem, Decision)> {
        letters
            .iter()
            .flat_map(|l| {
                l.items.iter().filter_map(|it| {
                    self.get(&l.case_number, it.number)
                        .map(|g| (g, it.decision))
                })
            })
            .filter(|(g, d)| g.decision != *d)
            .collect()
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
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(|t| t.to_lowercase())
        .collect()
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

    fn gold_file(name: &str, text: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("imr-unit-{}-{name}.jsonl", std::process::id()));
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn a_repeated_item_is_an_error_naming_both_lines() {
        let row = |item, theme| {
            format!(
                r#"{{"case_number":"CM1","item":{item},"title":"t","decision":"Upheld","themes":["{theme}"]}}"#
            )
        };
        let p = gold_file(
            "dup",
            &[row(1, "a"), row(2, "b"), String::new(), row(1, "c")].join("\n"),
        );
        let e = Gold::load(&p).unwrap_err().to_string();
        let _ = std::fs::remove_file(&p);
        assert!(
            e.ends_with("dup.jsonl:4: case CM1 item 1 is also on line 1"),
            "{e}"
        );
    }

    #[test]
    fn decisions_are_checked_against_the_letters() {
        let p = gold_file(
            "mismatch",
            concat!(
                r#"{"case_number":"000_8fd8bbed53d6ca0b","item":1,"title":"t","decision":"Upheld","themes":["a"]}"#,
                "\n",
                r#"{"case_number":"000_8fd8bbed53d6ca0b","item":2,"title":"t","decision":"Overturned","themes":["a"]}"#,
            ),
        );
        let g = Gold::load(&p).unwrap();
        let _ = std::fs::remove_file(&p);
        let letter = crate::parse::read_letter(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/letters/000_8fd8bbed53d6ca0b.txt"
        )))
        .unwrap();
        let m = g.decision_mismatches(std::slice::from_ref(&letter));
        assert_eq!(
            m.iter()
                .map(|(g, d)| (g.item, g.decision, *d))
                .collect::<Vec<_>>(),
            [(2, Decision::Overturned, Decision::Upheld)]
        );
    }

    #[test]
    fn overlap_is_symmetric_and_normalised() {
        assert_eq!(title_overlap("MRI of the Knee:", "mri of the knee"), 1.0);
        assert_eq!(title_overlap("MRI knee", "CT hip"), 0.0);
        assert!((title_overlap("a b c d", "a b c e") - 0.75).abs() < 1e-12);
    }
}

//! Hand-annotated gold items (`items.jsonl`): decisions and rationale themes, joined to letters on
//! case number and item number.

use crate::error::{Error, Result};
use crate::letter::{Decision, Letter};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoldItem {
    pub case_number: String,
    /// 1-based item number within the letter.
    /// `number` in files of older versions, as in `--items`.
    #[serde(alias = "number", deserialize_with = "crate::input::item_number")]
    pub item: usize,
    /// The item's title and decision, where the file has them: the title for people reading the
    /// file, the decision to catch a line joined to the wrong item (it is checked against the
    /// letter's, which is the one used).
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub decision: Option<Decision>,
    /// Empty or absent: not annotated for themes (the codebook gives every item at least one), so
    /// the item is left out of the theme models rather than taken as a negative for every theme.
    #[serde(default)]
    pub themes: Vec<String>,
}

/// Gold items keyed by (case number, item number).
#[derive(Debug, Clone, Default)]
pub struct Gold {
    pub items: BTreeMap<(String, usize), GoldItem>,
}

impl Gold {
    /// Reads a JSON-lines gold file. Labels are all or nothing: a model trained on the lines that
    /// happened to read would quietly learn from less than the file holds, so any bad line (not
    /// UTF-8, not JSON, wrong fields, a theme that is not the codebook's, an item given twice)
    /// fails the load, with every bad line named.
    pub fn load(path: &Path) -> Result<Gold> {
        let file = crate::input::open_stream(path, "a file of JSON lines")?;
        let known = crate::features::cues::codebook_themes();
        let (mut items, mut lines, mut bad) = (BTreeMap::new(), BTreeMap::new(), Vec::new());
        for line in crate::input::Lines::new(std::io::BufReader::new(file)) {
            let (n, text) = line.map_err(|e| Error::io(path, e))?;
            let g = match text.and_then(|t| parse_line(&t, &known)) {
                Ok(Some(g)) => g,
                Ok(None) => continue,
                Err(message) => {
                    bad.push((n, message));
                    continue;
                }
            };
            // A second line for one item would silently replace the first: two annotations, or a
            // mistyped number.
            if let Some(first) = lines.insert((g.case_number.clone(), g.item), n) {
                bad.push((
                    n,
                    format!(
                        "case {} item {} is also on line {first}",
                        g.case_number, g.item
                    ),
                ));
                continue;
            }
            items.insert((g.case_number.clone(), g.item), g);
        }
        if !bad.is_empty() {
            return Err(Error::BadLines {
                path: path.into(),
                lines: bad,
            });
        }
        Ok(Gold { items })
    }

    /// Items whose gold decision is not the letter's: most likely a join on the wrong item number.
    /// Each with the gold decision, then the letter's.
    pub fn decision_mismatches<'a>(
        &'a self,
        letters: &'a [Letter],
    ) -> Vec<(&'a GoldItem, Decision, Decision)> {
        letters
            .iter()
            .flat_map(|l| {
                l.items.iter().filter_map(|it| {
                    let g = self.get(&l.header.case_number, it.number)?;
                    let gold = g.decision.filter(|&d| d != it.decision)?;
                    Some((g, gold, it.decision))
                })
            })
            .collect()
    }

    /// The gold lines no item of the letters joins: those whose case number no letter has, and
    /// those whose letter has fewer items than their item number. `items` gives each letter's
    /// case number and its number of items.
    pub fn unjoined<'a>(
        &'a self,
        items: &std::collections::HashMap<String, usize>,
    ) -> (Vec<&'a GoldItem>, Vec<(&'a GoldItem, usize)>) {
        let (mut no_letter, mut no_item) = (Vec::new(), Vec::new());
        for g in self.items.values() {
            match items.get(&g.case_number) {
                None => no_letter.push(g),
                Some(&n) if g.item > n => no_item.push((g, n)),
                Some(_) => {}
            }
        }
        (no_letter, no_item)
    }

    pub fn get(&self, case: &str, item: usize) -> Option<&GoldItem> {
        self.items.get(&(case.to_string(), item))
    }

    /// The themes a model is trained for: every theme of the codebook, sorted, whether the gold
    /// file uses it or not, so that one it never uses is reported as untrained rather than left
    /// out without a word.
    pub fn theme_ids(&self) -> Vec<String> {
        crate::features::cues::codebook_themes()
    }
}

/// One gold line: None when blank; an error for a line that is not a gold item or names a theme
/// that is not one of `known`.
fn parse_line(line: &str, known: &[String]) -> std::result::Result<Option<GoldItem>, String> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    let g: GoldItem = crate::input::json_object(line)?;
    if let Some(t) = g.themes.iter().find(|t| !known.contains(t)) {
        return Err(format!(
            "theme {t:?} is not a theme of the codebook ({})",
            known.join(", ")
        ));
    }
    Ok(Some(g))
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
            &[
                row(1, "no_red_flags"),
                row(2, "exceeds_limits"),
                String::new(),
                row(1, "criteria_not_met"),
            ]
            .join("\n"),
        );
        let e = Gold::load(&p).unwrap_err().to_string();
        let _ = std::fs::remove_file(&p);
        assert!(
            e.ends_with("dup.jsonl:4: case CM1 item 1 is also on line 1"),
            "{e}"
        );
    }

    /// Every bad line is named, each with its line number, and none of the file is used; a BOM is
    /// not one.
    #[test]
    fn every_bad_line_is_named_and_the_load_fails() {
        let row = |item, theme| {
            format!(
                r#"{{"case_number":"CM1","item":{item},"title":"t","decision":"Upheld","themes":["{theme}"]}}"#
            )
        };
        let lines = [
            format!("\u{feff}{}", row(1, "no_red_flags")),
            row(2, ""),
            "{not json".into(),
            row(3, "common"),
            r#"{"case_number":"CM1","title":"t"}"#.into(),
            "bad byte".into(),
            row(5, "criteria_met"),
            row(0, "criteria_met"),
        ];
        // Line 6 is not UTF-8.
        let bytes = lines
            .join("\n")
            .into_bytes()
            .iter()
            .flat_map(|&b| if b == b'y' { vec![0xff] } else { vec![b] })
            .collect::<Vec<u8>>();
        let p =
            std::env::temp_dir().join(format!("imr-unit-{}-badlines.jsonl", std::process::id()));
        std::fs::write(&p, &bytes).unwrap();
        let e = Gold::load(&p).unwrap_err();
        let bom = gold_file("bom", &format!("\u{feff}{}", row(1, "no_red_flags")));
        let ok = Gold::load(&bom).map(|g| g.items.len());
        let _ = (std::fs::remove_file(&p), std::fs::remove_file(&bom));
        let Error::BadLines { lines, .. } = &e else {
            panic!("{e}")
        };
        assert_eq!(
            lines.iter().map(|l| l.0).collect::<Vec<_>>(),
            [2, 3, 4, 5, 6, 8],
            "{e}"
        );
        let e = e.to_string();
        assert!(
            e.contains("badlines.jsonl:2: theme \"\" is not a theme of the codebook"),
            "{e}"
        );
        assert!(
            e.contains("badlines.jsonl:4: theme \"common\" is not a theme"),
            "{e}"
        );
        assert!(e.contains("badlines.jsonl:5: missing field `item`"), "{e}");
        assert!(e.contains("badlines.jsonl:6: not UTF-8 text"), "{e}");
        assert!(e.contains(":8: item: 0 is no item number"), "{e}");
        assert_eq!(ok.unwrap(), 1, "a byte order mark is not an error");
        // The title and the decision are the file's own notes: a line may go without them.
        let bare = gold_file(
            "bare",
            r#"{"case_number":"CM1","item":2,"themes":["criteria_met"]}"#,
        );
        let g = Gold::load(&bare).unwrap();
        let _ = std::fs::remove_file(&bare);
        let item = g.get("CM1", 2).unwrap();
        assert_eq!((item.title.as_str(), item.decision), ("", None));
    }

    #[test]
    fn decisions_are_checked_against_the_letters() {
        let p = gold_file(
            "mismatch",
            concat!(
                r#"{"case_number":"000_8fd8bbed53d6ca0b","item":1,"title":"t","decision":"Upheld","themes":["no_red_flags"]}"#,
                "\n",
                r#"{"case_number":"000_8fd8bbed53d6ca0b","item":2,"title":"t","decision":"Overturned","themes":["criteria_met"]}"#,
            ),
        );
        let g = Gold::load(&p).unwrap();
        let _ = std::fs::remove_file(&p);
        let letter = crate::parse::read_letter(Path::new(concat!(
            env!("IMR_ROOT"),
            "/data/letters/000_8fd8bbed53d6ca0b.txt"
        )))
        .unwrap();
        let m = g.decision_mismatches(std::slice::from_ref(&letter));
        assert_eq!(
            m.iter()
                .map(|(g, gold, d)| (g.item, *gold, *d))
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

    /// A gold line's error names the field at fault, in words, as `--items` lines do; a line
    /// that is no object says so.
    #[test]
    fn a_bad_gold_line_names_its_field() {
        let read_item = crate::input::json_object::<GoldItem>;
        let e = read_item(r#"{"case_number":"CM1","item":"one","themes":[]}"#).unwrap_err();
        assert_eq!(e, "item: \"one\": expected a whole number at column 33");
        let e = read_item(r#"{"case_number":"CM1","item":[1],"themes":[]}"#).unwrap_err();
        assert_eq!(e, "item: [1]: expected a whole number at column 31");
        let e = read_item(r#"{"case_number":"CM1","item":1,"themes":"x"}"#).unwrap_err();
        assert!(e.starts_with("themes: invalid type: string \"x\""), "{e}");
        let e = read_item(r#"{"case_number":"CM1","themes":[]}"#).unwrap_err();
        assert!(e.starts_with("missing field `item`"), "{e}");
        assert_eq!(
            read_item("[1]").unwrap_err(),
            "not a JSON object: it is a JSON array"
        );
        let e = read_item(r#"{"case_number":"CM1","item":1} x"#).unwrap_err();
        assert!(e.starts_with("not valid JSON (trailing characters"), "{e}");
        // A number written as text, and `item` under its older name, read alike.
        for line in [
            r#"{"case_number":"CM1","item":2}"#,
            r#"{"case_number":"CM1","item":" 2"}"#,
            r#"{"case_number":"CM1","number":2}"#,
        ] {
            assert_eq!(read_item(line).unwrap().item, 2, "{line}");
        }
    }
}

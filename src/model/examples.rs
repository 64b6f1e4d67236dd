//! Labelled examples: one per disputed item, with its text, outcome and (where gold exists) themes.

use crate::features::ItemText;
use crate::gold::Gold;
use crate::letter::{Decision, DisputedItem, Letter};
use crate::treatment::TreatmentKind;

#[derive(Debug, Clone)]
pub struct Example {
    pub case_number: String,
    pub item: usize,
    pub title: String,
    pub kind: TreatmentKind,
    pub decision: Decision,
    pub text: ItemText,
    /// Gold themes, where the gold file has this item with at least one theme.
    pub themes: Option<Vec<String>>,
}

/// Every item of the letters, joined to gold themes on (case number, item number).
pub fn examples(letters: &[Letter], gold: Option<&Gold>) -> Vec<Example> {
    letters
        .iter()
        .flat_map(|l| {
            let texts = ItemText::of_letter(l);
            l.items
                .iter()
                .zip(texts)
                .map(move |(it, text)| Example::of(l, it, text, gold))
        })
        .collect()
}

impl Example {
    /// One item of a letter with its text (from [`ItemText::of_letter`]), joined to gold themes.
    pub fn of(letter: &Letter, item: &DisputedItem, text: ItemText, gold: Option<&Gold>) -> Self {
        Example {
            case_number: letter.header.case_number.clone(),
            item: item.number,
            title: item.title.clone(),
            kind: item.kind.clone(),
            decision: item.decision,
            text,
            themes: gold
                .and_then(|g| g.get(&letter.header.case_number, item.number))
                .filter(|g| !g.themes.is_empty())
                .map(|g| g.themes.clone()),
        }
    }
}

//! Labelled examples: one per disputed item, with its text, outcome and (where gold exists) themes.

use crate::features::ItemText;
use crate::gold::Gold;
use crate::letter::{Decision, Letter};
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
            l.items.iter().map(move |it| Example {
                case_number: l.case_number.clone(),
                item: it.number,
                title: it.title.clone(),
                kind: it.kind.clone(),
                decision: it.decision,
                text: ItemText::from_item(l, it),
                themes: gold
                    .and_then(|g| g.get(&l.case_number, it.number))
                    .filter(|g| !g.themes.is_empty())
                    .map(|g| g.themes.clone()),
            })
        })
        .collect()
}

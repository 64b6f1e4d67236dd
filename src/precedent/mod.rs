//! Precedents: the past decisions most like a request, and what their reviewers said.
//!
//! For an attorney, "what did reviewers decide on requests like mine, and why" often matters more
//! than a probability. A [`Precedent`] is what is kept of a decided item: who, what, the decision
//! and the one sentence of its rationale that gives the reason ([`reason_sentence`]), no more of
//! the letter. A [`PrecedentIndex`] finds the stored items whose title and clinical summary are
//! nearest a request's (cosine of TF-IDF vectors, an inverted index), favouring those of the
//! request's treatment category.
//!
//! ```
//! use imr::precedent::{precedents, PrecedentIndex, PrecedentParams};
//! use imr::ParamGuard;
//!
//! let dir = std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data/letters"));
//! let files = imr::parse::discover(&[dir])?;
//! let letters: Vec<imr::Letter> = imr::parse::read_letters(&files, || {})
//!     .into_iter()
//!     .collect::<imr::Result<_>>()?;
//! let items = precedents(&letters);
//! let params = PrecedentParams::new().check()?;
//! let index = PrecedentIndex::build(&params, items.iter().map(|(p, t)| (p.clone(), t)))?;
//! // The neighbours of the first item, from other letters than its own.
//! let (first, text) = &items[0];
//! let near = index.query(text, Some(first.category), 3, Some(&first.case_number));
//! assert!(near.iter().all(|n| n.precedent.case_number != first.case_number));
//! assert!(near.windows(2).all(|w| w[0].score >= w[1].score));
//! # Ok::<(), imr::Error>(())
//! ```

mod index;
mod reason;

pub use index::{Neighbour, PrecedentIndex, PrecedentParams, PrecedentValidParams, Search};
pub use reason::{reason_sentence, MAX_REASON_LEN};

use crate::features::ItemText;
use crate::letter::{Date, Decision, DisputedItem, Letter};
use crate::treatment::{Category, DrugClass};
use serde::{Deserialize, Serialize};

/// What is kept of one decided item: enough to name it, say how it was decided and why, and no
/// more of the letter (no patient details, no clinical summary).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Precedent {
    pub case_number: String,
    /// The item's 1-based position in its letter.
    pub item: usize,
    pub title: String,
    pub decision: Decision,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_date: Option<Date>,
    pub category: Category,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drug_class: Option<DrugClass>,
    /// The normalised treatment name.
    pub treatment: String,
    /// The rationale's reason sentence ([`reason_sentence`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Precedent {
    /// The precedent of one item of a letter, its treatment kind as the item carries it.
    pub fn from_item(letter: &Letter, item: &DisputedItem) -> Precedent {
        Precedent {
            case_number: letter.header.case_number.clone(),
            item: item.number,
            title: item.title.clone(),
            decision: item.decision,
            decision_date: letter.header.decision_date,
            category: item.kind.category,
            drug_class: item.kind.drug_class,
            treatment: item.kind.treatment.clone(),
            reason: reason_sentence(&item.rationale),
        }
    }
}

/// Every item of the letters as a precedent and the text an index sees of it, in letter and item
/// order.
pub fn precedents(letters: &[Letter]) -> Vec<(Precedent, ItemText)> {
    letters
        .iter()
        .flat_map(|l| {
            let texts = ItemText::of_letter(l);
            l.items
                .iter()
                .zip(texts)
                .map(move |(it, text)| (Precedent::from_item(l, it), text))
        })
        .collect()
}

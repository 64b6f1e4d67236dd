//! A consistency check of decided letters: the stated decision beside what a verdict-masked model
//! reads in the reasoning, with the sentences that pull hardest against the stated decision. For
//! quality review: a letter that says "Upheld" while its reasoning reads like approvals is worth a
//! second look.

use super::outcome::OutcomeModel;
use crate::features::{sentences, Featurizer, Field, ItemText};
use crate::letter::Decision;
use serde::{Deserialize, Serialize};

/// One decided item's check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// P(the other decision) as the masked model reads the reasoning: 0 agrees, 1 disagrees.
    pub disagreement: f64,
    /// Disagreement at or above the level asked for.
    pub flagged: bool,
    /// The reasoning's sentences that pull most against the stated decision, strongest first.
    pub sentences: Vec<String>,
}

impl Check {
    /// The check of an item stated `decision`, read by `model` as `p_overturned`; `k` sentences at
    /// most.
    pub fn new(
        model: &OutcomeModel,
        f: &Featurizer,
        doc: &ItemText,
        decision: Decision,
        p_overturned: f64,
        level: f64,
        k: usize,
    ) -> Check {
        let disagreement = match decision {
            Decision::Upheld => p_overturned,
            Decision::Overturned => 1.0 - p_overturned,
        };
        let against = if decision.is_overturned() { -1.0 } else { 1.0 };
        let mut pulls: Vec<(String, f64)> = sentence_pulls(model, f, doc)
            .into_iter()
            .map(|(s, w)| (s, w * against))
            .filter(|(_, w)| *w > 0.0)
            .collect();
        pulls.sort_by(|a, b| b.1.total_cmp(&a.1));
        Check {
            disagreement,
            flagged: disagreement >= level,
            sentences: pulls.into_iter().take(k).map(|(s, _)| s).collect(),
        }
    }
}

/// Each sentence of the text the model reads (its first rationale field) with the sum of its terms'
/// pulls towards Overturned (coefficient x tf-idf, a term's pull shared among its occurrences).
pub fn sentence_pulls(model: &OutcomeModel, f: &Featurizer, doc: &ItemText) -> Vec<(String, f64)> {
    let Some(&field) = model
        .features
        .fields
        .iter()
        .find(|f| matches!(f, Field::RationaleMasked | Field::Rationale))
    else {
        return Vec::new();
    };
    let text = field.text(doc);
    let spans: Vec<_> = f
        .term_spans(doc)
        .into_iter()
        .filter(|s| s.field == field || s.field == Field::Rationale)
        .collect();
    let x = model
        .tfidf
        .transform([spans.iter().map(|s| s.term.as_str())]);
    let Some(row) = x.outer_view(0) else {
        return Vec::new();
    };
    let mut occurrences = std::collections::HashMap::new();
    for s in &spans {
        *occurrences.entry(s.term.as_str()).or_insert(0usize) += 1;
    }
    let ranges = sentences(&text);
    let mut pull = vec![0.0; ranges.len()];
    for s in &spans {
        let Some(j) = model.tfidf.column(&s.term) else {
            continue;
        };
        let v = row.get(j).copied().unwrap_or(0.0);
        let share = v * model.logistic.coefficients[j] / occurrences[s.term.as_str()] as f64;
        if let Some(k) = ranges.iter().position(|r| r.contains(&s.span.start)) {
            pull[k] += share;
        }
    }
    ranges
        .into_iter()
        .zip(pull)
        .map(|(r, w)| (text[r].to_string(), w))
        .collect()
}

//! Stop-word removal that never drops a negation cue.

use super::{Token, TokenFilter, WordFilter};
use compact_str::CompactString;
use rustc_hash::FxHashSet;

/// A compact English list (articles, pronouns, auxiliaries, prepositions); negation words are not
/// on it.
pub(crate) const ENGLISH: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "by",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

pub struct StopWords {
    words: FxHashSet<String>,
}

impl StopWords {
    /// `keep` lists negation cues: the negating word of a cue ("not", "lack" of "lack of") is never
    /// removed; its function words ("of", "to") may be, as the negation scope is marked before this
    /// filter runs.
    pub fn new(words: Vec<String>, keep: &[String]) -> Self {
        let keep: FxHashSet<String> = keep
            .iter()
            .filter_map(|c| c.split_whitespace().next().map(str::to_lowercase))
            .collect();
        StopWords {
            words: words
                .into_iter()
                .map(|w| w.to_lowercase())
                .filter(|w| !keep.contains(w))
                .collect(),
        }
    }
}

impl TokenFilter for StopWords {
    fn filter(&self, tokens: &mut Vec<Token>) {
        tokens.retain_mut(|t| self.apply(&mut t.text));
    }

    fn word(&self) -> Option<&dyn WordFilter> {
        Some(self)
    }
}

impl WordFilter for StopWords {
    fn apply(&self, word: &mut CompactString) -> bool {
        !self.words.contains(word.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_are_never_stop_words() {
        let sw = StopWords::new(
            vec!["the".into(), "of".into(), "not".into()],
            &["lack of".into(), "not".into()],
        );
        let mk = |s: &str| Token {
            text: s.into(),
            from: 0,
            to: 1,
            clause_start: false,
            negated: false,
        };
        let mut v = vec![mk("the"), mk("lack"), mk("of"), mk("not"), mk("pain")];
        sw.filter(&mut v);
        assert_eq!(
            v.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
            vec!["lack", "not", "pain"]
        );
    }
}

//! Snowball English stemming (rust-stemmers) of word tokens; domain tokens (levels, doses, dates)
//! are kept.

use super::{Token, TokenFilter, WordFilter};
use compact_str::CompactString;

pub struct Stemmer {
    inner: rust_stemmers::Stemmer,
}

impl Stemmer {
    pub fn english() -> Self {
        Stemmer {
            inner: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English),
        }
    }

    /// Only alphabetic words: "l5-s1", "10/325mg" and "#60" are already canonical.
    fn stems(word: &str) -> bool {
        word.chars()
            .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
    }

    /// The word's stem, None where it is its own.
    fn stem(&self, word: &str) -> Option<CompactString> {
        match self.inner.stem(word) {
            std::borrow::Cow::Owned(s) => Some(CompactString::from(s)),
            std::borrow::Cow::Borrowed(_) => None,
        }
    }
}

/// Snowball is the costliest stage, and a corpus repeats its words: an analyzer remembers each
/// word's stem through [`TokenFilter::word`] (`analysis/memo.rs`).
impl TokenFilter for Stemmer {
    fn filter(&self, tokens: &mut Vec<Token>) {
        for t in tokens.iter_mut() {
            self.apply(&mut t.text);
        }
    }

    fn word(&self) -> Option<&dyn WordFilter> {
        Some(self)
    }
}

impl WordFilter for Stemmer {
    fn apply(&self, word: &mut CompactString) -> bool {
        if Self::stems(word) {
            if let Some(stem) = self.stem(word) {
                *word = stem;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_words_only() {
        let mk = |s: &str| Token {
            text: s.into(),
            from: 0,
            to: 1,
            clause_start: false,
            negated: false,
        };
        let mut v = vec![
            mk("injections"),
            mk("recommended"),
            mk("l5-s1"),
            mk("10/325mg"),
        ];
        Stemmer::english().filter(&mut v);
        assert_eq!(
            v.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
            vec!["inject", "recommend", "l5-s1", "10/325mg"]
        );
    }
}

//! Snowball English stemming (rust-stemmers) of word tokens; domain tokens (levels, doses, dates)
//! are kept.

use super::{Token, TokenFilter, WordFilter};
use compact_str::CompactString;
use rustc_hash::FxHashMap;
use std::cell::RefCell;

thread_local! {
    /// Word -> stem (None: the word is its own stem). Snowball is the costliest stage and a corpus
    /// repeats its words, so each thread remembers what it stemmed. Only English exists, so the
    /// word alone is the key.
    static STEMS: RefCell<FxHashMap<CompactString, Option<CompactString>>> = RefCell::new(FxHashMap::default());
}

/// Bound on the cache, so a stream of unique tokens cannot grow it without limit.
const CACHE_LIMIT: usize = 1 << 17;

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

impl TokenFilter for Stemmer {
    fn filter(&self, tokens: &mut Vec<Token>) {
        for t in tokens.iter_mut().filter(|t| Self::stems(&t.text)) {
            STEMS.with_borrow_mut(|cache| {
                let stem = match cache.get(&t.text) {
                    Some(hit) => hit.clone(),
                    None => {
                        if cache.len() >= CACHE_LIMIT {
                            cache.clear();
                        }
                        let stem = self.stem(&t.text);
                        cache.insert(t.text.clone(), stem.clone());
                        stem
                    }
                };
                if let Some(stem) = stem {
                    t.text = stem;
                }
            });
        }
    }

    fn word(&self) -> Option<&dyn WordFilter> {
        Some(self)
    }
}

/// Uncached: the analyzer's memo remembers each word's stem.
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

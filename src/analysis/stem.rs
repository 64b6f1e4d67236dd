//! Snowball English stemming (rust-stemmers) of word tokens; domain tokens (levels, doses, dates) are kept.

use super::{Token, TokenFilter};

pub struct Stemmer {
    inner: rust_stemmers::Stemmer,
}

impl Stemmer {
    pub fn english() -> Self {
        Stemmer { inner: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English) }
    }
}

impl TokenFilter for Stemmer {
    fn filter(&self, tokens: &mut Vec<Token>) {
        for t in tokens.iter_mut() {
            // Only alphabetic words: "l5-s1", "10/325mg" and "#60" are already canonical.
            if t.text.chars().all(|c| c.is_alphabetic() || c == '\'' || c == '-') {
                if let std::borrow::Cow::Owned(s) = self.inner.stem(&t.text) {
                    t.text = s;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_words_only() {
        let mk = |s: &str| Token { text: s.into(), from: 0, to: 1, clause_start: false, negated: false };
        let mut v = vec![mk("injections"), mk("recommended"), mk("l5-s1"), mk("10/325mg")];
        Stemmer::english().filter(&mut v);
        assert_eq!(v.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), vec!["inject", "recommend", "l5-s1", "10/325mg"]);
    }
}

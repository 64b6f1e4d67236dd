//! Unicode NFKC normalisation and lower-casing of token text.

use super::{Token, TokenFilter, WordFilter};
use compact_str::CompactString;
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy)]
pub struct Normalizer {
    pub lowercase: bool,
}

impl TokenFilter for Normalizer {
    fn filter(&self, tokens: &mut Vec<Token>) {
        for t in tokens.iter_mut() {
            self.apply(&mut t.text);
        }
    }

    fn word(&self) -> Option<&dyn WordFilter> {
        Some(self)
    }
}

impl WordFilter for Normalizer {
    fn apply(&self, word: &mut CompactString) -> bool {
        if !word.is_ascii() {
            // Curly apostrophes read as straight ones, so "doesn’t" matches the cue "doesn't".
            *word = word
                .nfkc()
                .map(|c| if c == '\u{2019}' { '\'' } else { c })
                .collect::<String>()
                .into();
        }
        if self.lowercase {
            if word.is_ascii() {
                word.as_mut_str().make_ascii_lowercase();
            } else {
                *word = word.to_lowercase();
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfkc_and_lowercase() {
        let mut v = vec![
            Token {
                text: "ＭＲＩ".into(),
                from: 0,
                to: 9,
                clause_start: true,
                negated: false,
            },
            Token {
                text: "Doesn\u{2019}t".into(),
                from: 10,
                to: 19,
                clause_start: false,
                negated: false,
            },
        ];
        Normalizer { lowercase: true }.filter(&mut v);
        assert_eq!(v[0].text, "mri");
        assert_eq!(v[1].text, "doesn't");
        assert_eq!((v[0].from, v[0].to), (0, 9));
    }
}

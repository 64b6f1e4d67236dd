//! Unicode NFKC normalisation and lower-casing of token text.

use super::{Token, TokenFilter};
use unicode_normalization::UnicodeNormalization;

#[derive(Debug, Clone, Copy)]
pub struct Normalizer {
    pub lowercase: bool,
}

impl TokenFilter for Normalizer {
    fn filter(&self, tokens: &mut Vec<Token>) {
        for t in tokens.iter_mut() {
            if !t.text.is_ascii() {
                // Curly apostrophes read as straight ones, so "doesn’t" matches the cue "doesn't".
                t.text = t
                    .text
                    .nfkc()
                    .map(|c| if c == '\u{2019}' { '\'' } else { c })
                    .collect::<String>()
                    .into();
            }
            if self.lowercase {
                if t.text.is_ascii() {
                    t.text.as_mut_str().make_ascii_lowercase();
                } else {
                    t.text = t.text.to_lowercase();
                }
            }
        }
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

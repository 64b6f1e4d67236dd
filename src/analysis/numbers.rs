//! Words with a digit dropped: doses, counts, dates and levels ("10/325mg", "#90", "x6",
//! "11/03/2016", "l5-s1"). For an index where what was requested matters and how much of it does
//! not (the precedents: "Norco 10/325mg #90" is like "Norco 5/325 #60", not like "Celebrex 200mg
//! #90").

use super::{Token, TokenFilter, WordFilter};
use compact_str::CompactString;

pub struct NoNumbers;

impl TokenFilter for NoNumbers {
    fn filter(&self, tokens: &mut Vec<Token>) {
        tokens.retain(|t| !has_digit(&t.text));
    }

    fn word(&self) -> Option<&dyn WordFilter> {
        Some(self)
    }
}

impl WordFilter for NoNumbers {
    fn apply(&self, word: &mut CompactString) -> bool {
        !has_digit(word)
    }
}

fn has_digit(word: &str) -> bool {
    word.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analyzer, DomainTokenizer, Normalizer};

    #[test]
    fn words_with_a_digit_are_dropped_and_offsets_kept() {
        let a = Analyzer::builder(DomainTokenizer)
            .filter(Normalizer { lowercase: true })
            .filter(NoNumbers)
            .build();
        let text = "Norco 10/325mg #90 x6 at L5-S1, twice";
        let kept: Vec<(String, &str)> = a
            .tokens(text)
            .into_iter()
            .map(|t| (t.text.to_string(), &text[t.from..t.to]))
            .collect();
        assert_eq!(
            kept,
            [
                ("norco".to_string(), "Norco"),
                ("at".to_string(), "at"),
                ("twice".to_string(), "twice")
            ]
        );
    }
}

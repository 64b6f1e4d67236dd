//! The domain tokenizer: keeps spinal levels, doses, quantities and dates whole.

use super::{Token, Tokenizer};
use compact_str::CompactString;
use regex::{Regex, RegexBuilder};
use std::ops::Range;
use std::sync::LazyLock;

/// Tokens, most specific first (the regex takes the first alternative that matches at a position).
static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    let word = r"[\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['\u{2019}-][\p{L}\p{M}\p{N}]+)*";
    Regex::new(&token_pattern(word)).expect("static pattern")
});

/// [`TOKEN`] for ASCII text: the same pattern with its classes taken in ASCII, which give the same
/// matches there and compile in a fraction of the time (a short run's start-up).
static ASCII_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    RegexBuilder::new(&token_pattern(r"[A-Za-z][A-Za-z0-9]*(?:['-][A-Za-z0-9]+)*"))
        .unicode(false)
        .build()
        .expect("static pattern")
});

/// The token alternatives, with `word` for words.
fn token_pattern(word: &str) -> String {
    [
        // dates: 11/09/2016, 4-20-15
        r"(?P<date>\b\d{1,2}[/-]\d{1,2}[/-](?:\d{4}|\d{2})\b)",
        // spinal levels: L5-S1, C3-C4, L4-5, T12
        r"|(?P<level>\b[CTLSctls]\d{1,2}(?:-[CTLSctls]?\d{1,2})*\b)",
        // doses: 10/325mg, 7.5mg, 5%
        r"|(?P<dose>\b\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)*\s?(?:mg|mcg|ml|gm|g|%)(?:\b|$|\s))",
        // quantities: #60, x 6, x6
        r"|(?P<qty>#\s?\d+|\b[xX]\s?\d+\b)",
        // numbers, fractions and ranges: 3-4/10, 50%, 2.5
        r"|(?P<num>\d+(?:[./-]\d+)*)",
        // words, with inner hyphens and apostrophes: right-sided, x-ray, doesn't
        &format!("|(?P<word>{word})"),
    ]
    .concat()
}

/// Splits on the domain's token shapes; records clause punctuation between tokens.
#[derive(Debug, Clone, Copy, Default)]
pub struct DomainTokenizer;

impl Tokenizer for DomainTokenizer {
    fn tokenize(&self, text: &str, out: &mut Vec<Token>) {
        let mut last_end = 0;
        // A token for every few bytes of text, so the list seldom grows.
        out.reserve(text.len() / 5);
        let ascii = text.is_ascii();
        let b = text.as_bytes();
        for m in matches(text) {
            let raw = &text[m.clone()];
            // Doses may have matched a trailing space; the token ends at its last non-space.
            let trimmed = raw.trim_end();
            let (from, to) = (m.start, m.start + trimmed.len());
            let clause_start = out.is_empty()
                || b[last_end..from]
                    .iter()
                    .any(|c| matches!(c, b'.' | b';' | b':' | b'!' | b'?'));
            // Quantities and doses lose inner spaces so "x 6" and "x6" are one term.
            let spaced = if ascii {
                trimmed
                    .bytes()
                    .any(|c| c.is_ascii_whitespace() || c == b'\x0B')
            } else {
                trimmed.contains(char::is_whitespace)
            };
            let text_norm: CompactString = if spaced {
                trimmed.split_whitespace().collect()
            } else {
                trimmed.into()
            };
            out.push(Token {
                text: text_norm,
                from,
                to,
                clause_start,
                negated: false,
            });
            last_end = to;
        }
    }
}

/// The spans of [`TOKEN`]'s matches in `text`, as `find_iter` gives them. In ASCII text a plain
/// word (nearly every token) is scanned by hand, and the pattern runs only where a number, a
/// quantity or a spinal level may begin: the same matches, without a regex search per word.
fn matches(text: &str) -> Box<dyn Iterator<Item = Range<usize>> + '_> {
    if !ascii_shaped(text) {
        return Box::new(TOKEN.find_iter(text).map(|m| m.range()));
    }
    let b = text.as_bytes();
    let mut at = 0;
    Box::new(std::iter::from_fn(move || {
        while at < b.len() {
            let c = b[at];
            if c.is_ascii_alphabetic() && !may_begin_other(b, at) {
                let end = ascii_word_end(b, at);
                let m = at..end;
                at = end;
                return Some(m);
            }
            if c.is_ascii_digit() || c.is_ascii_alphabetic() || c == b'#' {
                // The leftmost match from here: none begins between the last match and here, as
                // only letters, digits and '#' begin one.
                let m = ASCII_TOKEN.find_at(text, at)?.range();
                at = m.end;
                return Some(m);
            }
            at += 1;
        }
        None
    }))
}

/// Whether `text` is ASCII, or holds outside ASCII only characters that no pattern here sees as
/// a letter, a mark, a number, a space or part of a word (a degree sign, a dash, a symbol): text
/// that every search here, its word boundaries included, takes as it would take ASCII text.
/// Patterns with Unicode word boundaries cannot run on their fast engine over other bytes.
pub fn ascii_shaped(text: &str) -> bool {
    text.is_ascii()
        || text.chars().all(|c| {
            c.is_ascii()
                || !(c.is_alphanumeric()
                    || c.is_whitespace()
                    || c == '\u{2019}'
                    || regex_syntax::is_word_character(c))
        })
}

/// Whether a pattern before words' may match at the letter `b[at]`: a spinal level (`L5`) or a
/// quantity (`x6`, `x 6`) begins with one of these letters and a digit or a space after it.
fn may_begin_other(b: &[u8], at: usize) -> bool {
    matches!(
        b[at],
        b'C' | b'T' | b'L' | b'S' | b'c' | b't' | b'l' | b's' | b'x' | b'X'
    ) && b
        .get(at + 1)
        .is_some_and(|n| n.is_ascii_digit() || n.is_ascii_whitespace() || *n == b'\x0B')
}

/// Where the word alternative, `[\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['’-][\p{L}\p{M}\p{N}]+)*`,
/// ends from the letter at `at` of ASCII text: it is greedy and nothing follows it, so it takes
/// all it can.
fn ascii_word_end(b: &[u8], at: usize) -> usize {
    let alnum_end = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        i
    };
    let mut end = alnum_end(at + 1);
    while end + 1 < b.len() && matches!(b[end], b'\'' | b'-') && b[end + 1].is_ascii_alphanumeric()
    {
        end = alnum_end(end + 2);
    }
    end
}

#[cfg(test)]
mod tests {
    use super::super::test_util::assert_token;
    use super::*;

    fn toks(s: &str) -> Vec<Token> {
        let mut v = Vec::new();
        DomainTokenizer.tokenize(s, &mut v);
        v
    }

    #[test]
    fn domain_tokens_stay_whole() {
        let s = "ESI at L5-S1 and C3-C4, Norco 10/325mg #60, TPI x 6, 7.5mg on 11/09/2016.";
        let t: Vec<String> = toks(s).into_iter().map(|t| t.text.to_string()).collect();
        assert_eq!(
            t,
            vec![
                "ESI",
                "at",
                "L5-S1",
                "and",
                "C3-C4",
                "Norco",
                "10/325mg",
                "#60",
                "TPI",
                "x6",
                "7.5mg",
                "on",
                "11/09/2016"
            ]
        );
    }

    #[test]
    fn offsets_point_at_source() {
        let s = "TPI x 6 then";
        let t = toks(s);
        assert_token(&t[1], "x6", 4, 7);
        assert_eq!(&s[4..7], "x 6");
        assert_token(&t[2], "then", 8, 12);
    }

    #[test]
    fn clause_punctuation_is_recorded() {
        let t = toks("No pain. Swelling; none");
        assert_eq!(
            t.iter().map(|t| t.clause_start).collect::<Vec<_>>(),
            vec![true, false, true, true]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The hand-scanned words and the pattern's other matches are the pattern's matches,
        /// over text made of the characters that shape tokens.
        #[test]
        fn matches_are_the_patterns(s in "[CTLSctlsxXmgabAB_0-9#/.%' \t\n\x0B-]{0,40}") {
            let want: Vec<Range<usize>> = TOKEN.find_iter(&s).map(|m| m.range()).collect();
            proptest::prop_assert_eq!(matches(&s).collect::<Vec<_>>(), want);
        }

        /// The same beside the symbols letters carry outside ASCII (a text with one of them is
        /// scanned as ASCII text is), and with letters, digits and spaces outside ASCII (which
        /// the pattern alone reads).
        #[test]
        fn matches_are_the_patterns_beside_symbols(
            s in "[CTLSsxXmgab_0-9#/.%' -]{0,12}[°×®–•“”§±é²’\u{A0}\u{301}][Lsxmg0-9 #%./-]{0,12}"
        ) {
            let want: Vec<Range<usize>> = TOKEN.find_iter(&s).map(|m| m.range()).collect();
            proptest::prop_assert_eq!(matches(&s).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn words_keep_hyphens_and_apostrophes() {
        let t: Vec<String> = toks("right-sided x-ray doesn't café")
            .into_iter()
            .map(|t| t.text.to_string())
            .collect();
        assert_eq!(t, vec!["right-sided", "x-ray", "doesn't", "café"]);
    }
}

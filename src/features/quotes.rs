//! Guideline sentences: a rationale first quotes its guideline ("MTUS recommends ...") and then
//! applies it to the case. A sentence that names a guideline source and nothing of the case is a
//! quote; the theme models read quotes apart and case-sentence cues skip them.

use crate::analysis::ascii_shaped;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;
use std::ops::Range;
use std::sync::{LazyLock, OnceLock};

/// Words that name a guideline source (besides a page number).
const GUIDE_WORDS: &[&str] = &[
    "mtus",
    "odg",
    "acoem",
    "guideline",
    "guidelines",
    "official disability",
    "chapter",
    "according to",
];

/// Words about the case.
const CASE_WORDS: &[&str] = &[
    "patient",
    "claimant",
    "injured worker",
    "employee",
    "applicant",
    "in this case",
    "here",
    "documentation",
    "documented",
    "record",
    "records",
    "submitted",
    "provided",
    "treating",
    "treater",
    "physician",
    "provider",
    "report",
    "note",
    "notes",
    "request",
    "requested",
];

/// "page" and a number: a guideline's page.
const PAGE: &str = "page ";

/// Any of `words` (or "page" and a number), whole, in any case.
fn pattern(words: &[&str], page: bool) -> String {
    let page = if page { r"|page \d+" } else { "" };
    format!(r"(?i)\b({}{page})\b", words.join("|"))
}

/// A sentence that only restates a guideline: it names a guideline source and nothing of the case
/// (patient, records, request, provider).
pub fn is_guideline_sentence(sentence: &str) -> bool {
    // By whether the sentence is ASCII: ASCII forms match the same there, and compile faster.
    static GUIDE_RE: [OnceLock<Regex>; 2] = [OnceLock::new(), OnceLock::new()];
    static CASE_RE: [OnceLock<Regex>; 2] = [OnceLock::new(), OnceLock::new()];
    let ascii = sentence.is_ascii();
    let compiled = |pattern: &str| {
        regex::RegexBuilder::new(pattern)
            .unicode(!ascii)
            .build()
            .expect("valid")
    };
    let guide = GUIDE_RE[usize::from(ascii)].get_or_init(|| compiled(&pattern(GUIDE_WORDS, true)));
    let case = CASE_RE[usize::from(ascii)].get_or_init(|| compiled(&pattern(CASE_WORDS, false)));
    guide.is_match(sentence) && !case.is_match(sentence)
}

/// The sentences of `text` ([`super::sentences`]), each with whether it is a guideline quote
/// ([`is_guideline_sentence`]).
pub fn quoted_sentences(text: &str) -> Vec<(Range<usize>, bool)> {
    let sentences = super::sentences(text);
    let quotes = guideline_sentences(text, &sentences);
    sentences.into_iter().zip(quotes).collect()
}

/// The spans of `text`'s guideline-quote sentences (`quote`), or of its other sentences.
pub(crate) fn sentences_where(text: &str, quote: bool) -> Vec<Range<usize>> {
    quoted_sentences(text)
        .into_iter()
        .filter_map(|(s, q)| (q == quote).then_some(s))
        .collect()
}

/// [`is_guideline_sentence`] of each of `sentences` (disjoint spans of `text`, in order). An
/// ASCII-shaped text ([`ascii_shaped`]: outside ASCII only symbols, which are no word characters
/// and fold to no ASCII letter) is searched once for the words of both patterns, not twice a
/// sentence.
fn guideline_sentences(text: &str, sentences: &[Range<usize>]) -> Vec<bool> {
    if !ascii_shaped(text) {
        return sentences
            .iter()
            .map(|s| is_guideline_sentence(&text[s.clone()]))
            .collect();
    }
    /// The words of both patterns and "page ", in any case: guide words first, then case words.
    /// The longest at the leftmost place, then on after it: a word found there hides no other, as
    /// no word of one begins a word that follows a space in another, and where a longer word
    /// fails the boundary after it, its shorter form ("record" of "records") fails it too.
    static WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        let words = GUIDE_WORDS.iter().chain(CASE_WORDS).chain([&PAGE]);
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(words)
            .expect("a few words")
    });
    let b = text.as_bytes();
    // (names a guideline, says something of the case), per sentence.
    let mut found = vec![(false, false); sentences.len()];
    for m in WORDS.find_iter(text) {
        let p = m.pattern().as_usize();
        let end = if p == GUIDE_WORDS.len() + CASE_WORDS.len() {
            let digits = b[m.end()..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            if digits == 0 {
                continue;
            }
            m.end() + digits
        } else {
            m.end()
        };
        // The sentence that holds the match whole, if one does.
        let at = sentences.partition_point(|s| s.end <= m.start());
        let Some(s) = sentences
            .get(at)
            .filter(|s| s.start <= m.start() && end <= s.end)
        else {
            continue;
        };
        // Word boundaries as the pattern sees them in the sentence alone (every word begins and
        // ends with a letter or digit; a byte outside ASCII is a symbol's, no word character).
        let word = |i: usize| b[i].is_ascii_alphanumeric() || b[i] == b'_';
        let starts = m.start() == s.start || !word(m.start() - 1);
        let ends = end == s.end || !word(end);
        if starts && ends {
            if p < GUIDE_WORDS.len() || p == GUIDE_WORDS.len() + CASE_WORDS.len() {
                found[at].0 = true;
            } else {
                found[at].1 = true;
            }
        }
    }
    found.into_iter().map(|(g, c)| g && !c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quotes_name_a_source_and_nothing_of_the_case() {
        assert!(is_guideline_sentence(
            "The ODG states that PRP is under study."
        ));
        assert!(!is_guideline_sentence(
            "The ODG criteria are not documented in the records."
        ));
        // Outside ASCII, the same by the patterns' Unicode forms.
        assert!(is_guideline_sentence(
            "The ODG states that PRP is “under study.”"
        ));
        assert!(!is_guideline_sentence(
            "The ODG criteria are not documented in the patient’s records."
        ));
        let t = "Per MTUS page 12, PT is advised. The patient had PT. See page 12a. ODG_x.";
        let s = crate::features::sentences(t);
        assert_eq!(guideline_sentences(t, &s), vec![true, false, false, false]);
    }

    /// Pieces of rationale text around the patterns' words: their edges, their case, "page" with
    /// and without a number, punctuation that ends sentences, symbols outside ASCII beside the
    /// words, and letters outside ASCII (which the patterns alone read).
    const PIECES: &[&str] = &[
        "MTUS",
        "mtus",
        "Guideline",
        "guidelines",
        "guidelinesx",
        "xodg",
        "ODG",
        "odg_",
        "page",
        "page 12",
        "page 3a",
        "Page 7",
        "official disability",
        "according to",
        "chapter",
        "patient",
        "Patients",
        "records",
        "record",
        "treating",
        "treater",
        "treat",
        "here",
        "there",
        "In this case",
        "requested",
        "injured worker",
        "notes",
        "the",
        "of",
        "7",
        "-",
        ".",
        ". ",
        "? ",
        "!",
        "\n",
        "  ",
        "'",
        "\"",
        "x",
        "_",
        "3",
        "disability",
        "worker",
        "case",
        "to",
        "ACCORDING TO",
        "whereas",
        "\u{b0}",
        "\u{2013}",
        "\u{d7}",
        "\u{ae}",
        "\u{e9}",
        "\u{17f}",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The one search gives each sentence what its two patterns give it.
        #[test]
        fn one_search_is_the_patterns(
            picks in proptest::collection::vec((0..PIECES.len(), 0..3usize), 0..30),
        ) {
            let mut text = String::new();
            for (i, gap) in picks {
                text.push_str(PIECES[i]);
                text.push_str(["", " ", ", "][gap]);
            }
            let s = crate::features::sentences(&text);
            let want: Vec<bool> =
                s.iter().map(|r| is_guideline_sentence(&text[r.clone()])).collect();
            prop_assert_eq!(guideline_sentences(&text, &s), want);
        }
    }
}

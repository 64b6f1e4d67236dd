//! The words of the full-text index: runs of letters and digits, lower-cased, accents dropped,
//! each stemmed (Snowball English), so that "therapies" finds "therapy". A search's words go
//! through the same steps, so both sides agree on every word.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization;

/// Splits text into terms, remembering each word's term (stemming is the costly step, and
/// letters repeat their words). Terms are numbered as first seen, so that a letter's postings
/// are made by sorting numbers, each term's text held once.
pub(crate) struct TextAnalyzer {
    stemmer: rust_stemmers::Stemmer,
    /// Each word seen (folded) and its term's number.
    words: HashMap<Box<str>, u32>,
    /// Each term's number, and the terms by number.
    numbers: HashMap<Arc<str>, u32>,
    terms: Vec<Arc<str>>,
    word: String,
}

/// The version of the analysis below, recorded in a database with its index: a change to what
/// a word's term is (the stemmer, a rule) takes a new version, and databases made before are
/// indexed again.
pub(crate) const ANALYZER_VERSION: i64 = 1;

/// A word longer than this is not a word a search would type: it is kept whole, unstemmed.
const LONGEST_STEMMED: usize = 40;

/// Past this many remembered words the memory is cleared (a corpus of numbers and typos
/// would otherwise grow it without bound).
const MOST_REMEMBERED: usize = 200_000;

impl Default for TextAnalyzer {
    fn default() -> Self {
        TextAnalyzer {
            stemmer: rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English),
            words: HashMap::default(),
            numbers: HashMap::default(),
            terms: Vec::new(),
            word: String::new(),
        }
    }
}

impl TextAnalyzer {
    /// The numbers of `text`'s terms, in order (a term's position is its rank), into `out`.
    pub(crate) fn numbers(&mut self, text: &str, out: &mut Vec<u32>) {
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            self.fold(word);
            // Marks alone (a vowel sign, a combining accent) fold to nothing: no word.
            if !self.word.is_empty() {
                out.push(self.number_of_word());
            }
        }
    }

    /// The term numbered `n`.
    pub(crate) fn term(&self, n: u32) -> &Arc<str> {
        &self.terms[n as usize]
    }

    /// How many terms are numbered (numbers run from 0 to this).
    pub(crate) fn term_count(&self) -> usize {
        self.terms.len()
    }

    /// The terms of `text`, in order.
    pub(crate) fn terms(&mut self, text: &str) -> Vec<String> {
        let mut numbers = Vec::new();
        self.numbers(text, &mut numbers);
        numbers.iter().map(|&n| self.term(n).to_string()).collect()
    }

    /// Forgets the words and terms seen once they are many (a corpus of numbers and typos would
    /// grow them without bound); numbers given before are then no longer good.
    pub(crate) fn forget_if_full(&mut self) {
        if self.words.len() >= MOST_REMEMBERED {
            self.words.clear();
            self.numbers.clear();
            self.terms.clear();
        }
    }

    /// The words of `text` folded (lower case, no accents) but not stemmed: the start of a word
    /// that a prefix search matches.
    pub(crate) fn folded(&mut self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if !word.is_empty() {
                self.fold(word);
                if !self.word.is_empty() {
                    out.push(self.word.clone());
                }
            }
        }
        out
    }

    /// `word` lower-cased, without accents, into `self.word`.
    fn fold(&mut self, word: &str) {
        self.word.clear();
        if word.is_ascii() {
            self.word.push_str(word);
            self.word.make_ascii_lowercase();
        } else {
            let bare = word
                .nfkd()
                .filter(|&c| !unicode_normalization::char::is_combining_mark(c));
            for c in bare {
                self.word.extend(c.to_lowercase());
            }
        }
    }

    fn number_of_word(&mut self) -> u32 {
        if let Some(&n) = self.words.get(self.word.as_str()) {
            return n;
        }
        let word: Box<str> = self.word.as_str().into();
        let stemmed;
        let whole = word.len() > LONGEST_STEMMED
            || word.starts_with(|c: char| c.is_ascii_digit())
            || KEPT_WHOLE.contains(&&*word);
        let term = match whole {
            true => &*word,
            false => {
                stemmed = self.stemmer.stem(&word);
                plural_dropped(&stemmed)
            }
        };
        let n = match self.numbers.get(term) {
            Some(&n) => n,
            None => {
                let n = self.terms.len() as u32;
                let term: Arc<str> = term.into();
                self.terms.push(Arc::clone(&term));
                self.numbers.insert(term, n);
                n
            }
        };
        self.words.insert(word, n);
        n
    }
}

/// Acronyms of this field that end in "s" and are no plurals: stemmed, TENS would be "ten" (ten
/// sessions), CRPS "crp" (C-reactive protein), CTS "ct" (a CT scan).
const KEPT_WHOLE: [&str; 6] = ["als", "crps", "cts", "ibs", "scs", "tens"];

/// `stem` without a plural "s" Snowball keeps after a vowel or a consonant alone ("mris",
/// "cts"), as Porter's first step drops it: acronyms' plurals find the acronym.
fn plural_dropped(stem: &str) -> &str {
    match stem.strip_suffix('s') {
        Some(rest) if !rest.is_empty() && !rest.ends_with('s') => rest,
        _ => stem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_stemmed() {
        let mut a = TextAnalyzer::default();
        assert_eq!(
            a.terms("Physical Therapies, x12 (L5-S1) Norco 10/325mg café"),
            ["physic", "therapi", "x12", "l5", "s1", "norco", "10", "325mg", "cafe"]
        );
        assert_eq!(a.terms("  --  "), Vec::<String>::new());
        assert_eq!(a.folded("Acupunct"), ["acupunct"]);
        // The same word stems the same way the second time (from memory).
        assert_eq!(a.terms("therapies"), ["therapi"]);
        // Acronyms' plurals are the acronyms; a double s stays; acronyms that end in "s" are
        // no plurals.
        assert_eq!(
            a.terms("MRIs EMGs mri stress"),
            ["mri", "emg", "mri", "stress"]
        );
        assert_eq!(
            a.terms("TENS ten CRPS CRP CTS CT"),
            ["tens", "ten", "crps", "crp", "cts", "ct"]
        );
        // A combining mark alone is no word (it would match every word as a prefix).
        assert_eq!(a.terms("\u{093F} \u{0345}x"), ["x"]);
        assert_eq!(a.folded("\u{093F}"), Vec::<String>::new());
    }
}

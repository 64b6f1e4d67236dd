//! Stage 2a: text analysis. A tokenizer and a chain of filters, one small file per stage, built
//! with [`Analyzer::builder`] the way tantivy builds its `TextAnalyzer`.
//!
//! Every token keeps its byte offsets into the source text; filters change a token's text or flags,
//! or drop it, but never move its offsets, so a feature can always point back at the words as
//! written.

mod memo;
mod negation;
mod normalize;
mod numbers;
mod stem;
mod stopwords;
mod tokenizer;
mod word_map;

pub use negation::NegationMarker;
pub use normalize::Normalizer;
pub use numbers::NoNumbers;
pub use stem::Stemmer;
pub use stopwords::StopWords;
pub use tokenizer::{ascii_shaped, DomainTokenizer};
pub use word_map::WordMap;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// One token: its (filtered) text and where it stands in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Inline up to 24 bytes (nearly every token), so tokenizing allocates nothing per token.
    pub text: CompactString,
    /// Byte offset of the first byte in the source text.
    pub from: usize,
    /// Byte offset one past the last byte in the source text.
    pub to: usize,
    /// Clause punctuation (`. ; : ! ?`) stands between this token and the one before.
    pub clause_start: bool,
    /// Inside the scope of a negation cue.
    pub negated: bool,
}

/// Splits text into tokens.
pub trait Tokenizer: Send + Sync {
    fn tokenize(&self, text: &str, out: &mut Vec<Token>);
}

/// Rewrites, flags or drops tokens in place; never changes `from`/`to`.
pub trait TokenFilter: Send + Sync {
    fn filter(&self, tokens: &mut Vec<Token>);

    /// What the filter does to a token, where that depends on the token's text alone: the
    /// analyzer then works it out once per distinct word and remembers it (the `memo` module).
    fn word(&self) -> Option<&dyn WordFilter> {
        None
    }

    /// Whether the filter only sets flags (`negated`) and never changes a token's text or drops
    /// one: the word filters around it may then be remembered together.
    fn flags_only(&self) -> bool {
        false
    }
}

/// A filter of one word at a time ([`TokenFilter::word`]).
pub trait WordFilter: Send + Sync {
    /// Rewrites `word` in place; false drops it.
    fn apply(&self, word: &mut CompactString) -> bool;
}

/// A tokenizer followed by filters.
pub struct Analyzer {
    tokenizer: Box<dyn Tokenizer>,
    filters: Vec<Box<dyn TokenFilter>>,
    negation_prefix: String,
    /// How the word filters are remembered per word, where every filter is a word filter or only
    /// sets flags.
    memo: Option<memo::Plan>,
}

pub struct AnalyzerBuilder {
    analyzer: Analyzer,
}

impl AnalyzerBuilder {
    pub fn filter(mut self, f: impl TokenFilter + 'static) -> Self {
        self.analyzer.filters.push(Box::new(f));
        self
    }

    /// The text put before a negated token's term (`neg_` by default).
    pub fn negation_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.analyzer.negation_prefix = prefix.into();
        self
    }

    pub fn build(mut self) -> Analyzer {
        self.analyzer.memo = memo::Plan::new(&self.analyzer.filters);
        self.analyzer
    }
}

impl Analyzer {
    pub fn builder(tokenizer: impl Tokenizer + 'static) -> AnalyzerBuilder {
        AnalyzerBuilder {
            analyzer: Analyzer {
                tokenizer: Box::new(tokenizer),
                filters: Vec::new(),
                negation_prefix: "neg_".into(),
                memo: None,
            },
        }
    }

    /// Builds the analyzer a configuration describes.
    pub fn from_config(cfg: &AnalyzerConfig) -> Analyzer {
        let mut b = Analyzer::builder(DomainTokenizer).filter(Normalizer {
            lowercase: cfg.lowercase,
        });
        if let Some(neg) = &cfg.negation {
            b = b
                .filter(NegationMarker::new(neg))
                .negation_prefix(neg.prefix.clone());
        }
        if cfg.drop_numbers {
            b = b.filter(NoNumbers);
        }
        if let Some(sw) = &cfg.stop_words {
            let cues = cfg
                .negation
                .as_ref()
                .map(|n| n.cues.as_slice())
                .unwrap_or(&[]);
            b = b.filter(StopWords::new(sw.words(), cues));
        }
        if cfg.stem {
            b = b.filter(Stemmer::english());
        }
        let mut a = b.build();
        a.memo = a.memo.map(|plan| plan.shared_by(cfg));
        a
    }

    /// Tokens of `text` after every filter.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        self.tokenizer.tokenize(text, &mut tokens);
        match &self.memo {
            Some(plan) => plan.filter(&self.filters, &mut tokens),
            None => self.filters.iter().for_each(|f| f.filter(&mut tokens)),
        }
        tokens
    }

    /// [`Analyzer::tokens`] with every filter applied one after another, as the memo must match.
    #[cfg(test)]
    fn tokens_unmemoised(&self, text: &str) -> Vec<Token> {
        let mut tokens = Vec::new();
        self.tokenizer.tokenize(text, &mut tokens);
        self.filters.iter().for_each(|f| f.filter(&mut tokens));
        tokens
    }

    /// The prefix of negated tokens' terms.
    pub fn negation_prefix(&self) -> &str {
        &self.negation_prefix
    }

    /// The term a token contributes (its text, marked where negated).
    pub fn term(&self, t: &Token) -> String {
        let mut s = String::with_capacity(self.negation_prefix.len() + t.text.len());
        self.push_term(t, &mut s);
        s
    }

    /// [`Analyzer::term`], appended to `out`.
    pub fn push_term(&self, t: &Token, out: &mut String) {
        if t.negated {
            out.push_str(&self.negation_prefix);
        }
        out.push_str(&t.text);
    }
}

/// The serialisable description of an analyzer; stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzerConfig {
    /// Lower-case after Unicode NFKC normalisation.
    pub lowercase: bool,
    /// Negation scope marking; `None` turns it off.
    pub negation: Option<NegationConfig>,
    /// Stop-word removal; `None` turns it off.
    pub stop_words: Option<StopWordConfig>,
    /// Snowball English stemming.
    pub stem: bool,
    /// Words with a digit dropped (doses, counts, dates): the precedents' index. Absent in model
    /// files of other indexes, and of format 6 and older (off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop_numbers: bool,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig {
            lowercase: true,
            negation: Some(NegationConfig::default()),
            stop_words: Some(StopWordConfig::English),
            stem: true,
            drop_numbers: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NegationConfig {
    /// Prefix on the terms of negated tokens.
    pub prefix: String,
    /// Cue phrases (lower case, one or more words) that open a negation scope.
    pub cues: Vec<String>,
    /// Words that close a scope early, besides clause punctuation.
    pub terminators: Vec<String>,
}

impl Default for NegationConfig {
    fn default() -> Self {
        let cues = [
            "not",
            "no",
            "without",
            "never",
            "none",
            "nor",
            "cannot",
            "can't",
            "don't",
            "doesn't",
            "didn't",
            "isn't",
            "wasn't",
            "aren't",
            "weren't",
            "hasn't",
            "haven't",
            "hadn't",
            "won't",
            "wouldn't",
            "lack of",
            "lacks",
            "lacking",
            "failed to",
            "fails to",
            "fail to",
            "absence of",
            "absent",
            "negative for",
            "denies",
            "denied",
            "unable to",
            "insufficient",
            "neither",
        ];
        let terminators = [
            "but", "however", "although", "though", "except", "whereas", "yet", "while", "which",
        ];
        NegationConfig {
            prefix: "neg_".into(),
            cues: cues.iter().map(|s| s.to_string()).collect(),
            terminators: terminators.iter().map(|s| s.to_string()).collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopWordConfig {
    /// The built-in English list.
    English,
    /// An explicit list.
    Custom(Vec<String>),
}

impl StopWordConfig {
    pub fn words(&self) -> Vec<String> {
        match self {
            StopWordConfig::English => stopwords::ENGLISH.iter().map(|s| s.to_string()).collect(),
            StopWordConfig::Custom(v) => v.clone(),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Asserts one token's text and source span.
    pub fn assert_token(t: &Token, text: &str, from: usize, to: usize) {
        assert_eq!(
            (t.text.as_str(), t.from, t.to),
            (text, from, to),
            "token {t:?}"
        );
    }

    pub fn texts(a: &Analyzer, s: &str) -> Vec<String> {
        a.tokens(s).iter().map(|t| a.term(t)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::*;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn default_pipeline() {
        let a = Analyzer::from_config(&AnalyzerConfig::default());
        assert_eq!(
            texts(&a, "There is no documentation of radiculopathy at L5-S1. Norco 10/325mg #60 is recommended."),
            vec!["no", "neg_document", "neg_radiculopathi", "neg_l5-s1", "norco", "10/325mg", "#60", "recommend"]
        );
    }

    #[test]
    fn offsets_survive_filters() {
        let a = Analyzer::from_config(&AnalyzerConfig::default());
        let s = "Patients without Improvement";
        let t = a.tokens(s);
        assert_token(&t[0], "patient", 0, 8);
        assert_eq!(&s[t[2].from..t[2].to], "Improvement");
        assert!(t[2].negated);
    }

    /// Words of every kind the filters treat apart: cues, terminators, stop words, case, curly
    /// apostrophes, letters outside ASCII, doses and levels.
    const WORDS: &[&str] = &[
        "Not",
        "no",
        "lack",
        "of",
        "The",
        "which",
        "but",
        "Injections",
        "recommended",
        "doesn\u{2019}t",
        "ＭＲＩ",
        "Café",
        "L5-S1",
        "10/325mg",
        "#60",
        "x 6",
        "pain.",
        "relief;",
        "is",
        "AND",
    ];

    proptest! {
        /// The memo gives what the filters one after another give, on first sight of a word and
        /// when it is remembered, for the default settings and with a filter left out.
        #[test]
        fn the_memo_changes_nothing(
            picks in proptest::collection::vec(0..WORDS.len(), 0..40),
            lowercase: bool,
            stem: bool,
        ) {
            let text: Vec<&str> = picks.iter().map(|&i| WORDS[i]).collect();
            let text = text.join(" ");
            let cfg = AnalyzerConfig { lowercase, stem, ..AnalyzerConfig::default() };
            let a = Analyzer::from_config(&cfg);
            prop_assert!(a.memo.is_some());
            let want = a.tokens_unmemoised(&text);
            prop_assert_eq!(&a.tokens(&text), &want);
            prop_assert_eq!(&a.tokens(&text), &want);
        }

        #[test]
        fn offsets_in_bounds_and_ordered(s in "\\PC{0,200}") {
            let a = Analyzer::from_config(&AnalyzerConfig::default());
            let mut last = 0;
            for t in a.tokens(&s) {
                prop_assert!(t.from < t.to && t.to <= s.len());
                prop_assert!(s.is_char_boundary(t.from) && s.is_char_boundary(t.to));
                prop_assert!(t.from >= last);
                last = t.to;
            }
        }
    }
}

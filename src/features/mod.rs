//! Stage 2b: the text a model sees, as sparse TF-IDF features.
//!
//! An item's text comes in [`Field`]s (title, rationale, its verdict sentence, guidelines, clinical
//! summary); the configured fields are analysed separately and each term is of its field's
//! [`Namespace`] (spelled with a prefix, `r:`, `t:`, ...), so the same word in the title and in
//! the rationale are different features.

mod count;
pub mod cues;
pub mod facts;
mod quotes;
mod shared;
mod term;
mod tfidf;

pub use count::TermCounts;
pub use facts::RequestFacts;
pub use shared::{Analysis, KnownTerms, SharedFeaturizers, VocabIndex};
pub use term::{Namespace, Term};
pub use tfidf::{
    Columns, DocFreq, Indicators, Norm, SparseRows, TfIdf, TfIdfParams, TfIdfValidParams,
};

use crate::analysis::{Analyzer, AnalyzerConfig, Token};
use crate::error::{Error, Result};
use crate::letter::{DisputedItem, Letter};
use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::ops::Range;
use std::sync::{Arc, LazyLock};

/// A part of a disputed item's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Title,
    /// The whole decision rationale.
    Rationale,
    /// The rationale with its verdict sentences ("... is (not) medically necessary") removed.
    RationaleMasked,
    /// Only the verdict sentences of the rationale.
    Verdict,
    /// The claims administrator's and the reviewer's guideline lines.
    Guidelines,
    /// The letter's clinical case summary.
    Summary,
    /// The claims administrator's guideline line alone: what utilization review cited, before IMR.
    ClaimsGuideline,
    /// The request's structured facts ([`RequestFacts`]), each one term, not analysed.
    Facts,
}

impl Field {
    pub const ALL: [Field; 8] = [
        Field::Title,
        Field::Rationale,
        Field::RationaleMasked,
        Field::Verdict,
        Field::Guidelines,
        Field::Summary,
        Field::ClaimsGuideline,
        Field::Facts,
    ];

    /// The prefix that spells this field's [`Namespace`] before its terms' text.
    pub fn code(self) -> &'static str {
        match self {
            Field::Title => "t:",
            Field::Rationale => "r:",
            Field::RationaleMasked => "m:",
            Field::Verdict => "v:",
            Field::Guidelines => "g:",
            Field::Summary => "s:",
            Field::ClaimsGuideline => "ga:",
            Field::Facts => "f:",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Rationale => "rationale",
            Field::RationaleMasked => "rationale_masked",
            Field::Verdict => "verdict",
            Field::Guidelines => "guidelines",
            Field::Summary => "summary",
            Field::ClaimsGuideline => "claims_guideline",
            Field::Facts => "facts",
        }
    }

    /// This field's text of an item.
    pub fn text(self, doc: &ItemText) -> Cow<'_, str> {
        match self {
            Field::Title => Cow::Borrowed(&doc.title),
            Field::Rationale => Cow::Borrowed(&doc.rationale),
            Field::Guidelines => Cow::Borrowed(&doc.guidelines),
            Field::Summary => Cow::Borrowed(&doc.summary),
            Field::ClaimsGuideline => Cow::Borrowed(&doc.claims_guideline),
            Field::Facts => Cow::Owned(doc.facts.join(" ")),
            Field::RationaleMasked | Field::Verdict => {
                Cow::Owned(self.of_sentences(doc, sentences(&doc.rationale)))
            }
        }
    }

    /// The text of a field made of the rationale's sentences (the masked rationale, the verdict),
    /// given those sentences ([`sentences`]): the ones it keeps, one space apart.
    pub(crate) fn of_sentences(
        self,
        doc: &ItemText,
        sentences: impl IntoIterator<Item = Range<usize>>,
    ) -> String {
        let keep_verdict = self == Field::Verdict;
        let mut out = String::new();
        let kept = sentences
            .into_iter()
            .map(|r| &doc.rationale[r])
            .filter(|s| is_verdict(s) == keep_verdict);
        for (i, s) in kept.enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(s);
        }
        out
    }
}

impl Field {
    /// Where `span` of this field's text lies in the rationale as written, for fields made of it
    /// (the masked rationale and the verdict join some of its sentences); None for other fields and
    /// for a span across two joined sentences.
    pub fn rationale_span(self, doc: &ItemText, span: Range<usize>) -> Option<Range<usize>> {
        match self {
            Field::Rationale => Some(span),
            Field::RationaleMasked | Field::Verdict => {
                let keep_verdict = self == Field::Verdict;
                // The joined text is these sentences, one space apart (as `text` joins them).
                let mut at = 0;
                for r in sentences(&doc.rationale)
                    .into_iter()
                    .filter(|r| is_verdict(&doc.rationale[r.clone()]) == keep_verdict)
                {
                    let len = r.len();
                    if span.start >= at && span.end <= at + len {
                        return Some(r.start + span.start - at..r.start + span.end - at);
                    }
                    at += len + 1;
                }
                None
            }
            _ => None,
        }
    }
}

/// A sentence that states the outcome: medical necessity, or certification.
pub fn is_verdict(sentence: &str) -> bool {
    // Searched in any ASCII case, with no lowercased copy of each sentence.
    static WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(["necessary", "necessity", "is certified", "not certified"])
            .expect("four words")
    });
    WORDS.is_match(sentence)
}

/// Sentence spans: a sentence ends at `.`, `!` or `?` followed by white space and a capital, digit
/// or quote.
pub fn sentences(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let at_end = j >= b.len();
            let next_starts = !at_end
                && j > i + 1
                && (b[j].is_ascii_uppercase() || b[j].is_ascii_digit() || b[j] == b'"');
            if at_end || next_starts {
                let s = text[start..=i].trim();
                if !s.is_empty() {
                    let off = start + leading_space(&text[start..]);
                    out.push(off..off + s.len());
                }
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    let rest = text[start.min(text.len())..].trim();
    if !rest.is_empty() {
        let off = start + leading_space(&text[start..]);
        out.push(off..off + rest.len());
    }
    out
}

/// The length of `s`'s leading white space: where its trimmed text begins (no search for it).
fn leading_space(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// The texts of one disputed item that features can come from.
///
/// Shared, not owned: a letter's clinical summary is held once for all its items, and a copy of
/// an item's text (for an example, a precedent, a training set) copies no text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ItemText {
    pub title: Arc<str>,
    pub rationale: Arc<str>,
    pub guidelines: Arc<str>,
    pub summary: Arc<str>,
    /// The claims administrator's guideline line alone (also in `guidelines`).
    #[serde(default)]
    pub claims_guideline: Arc<str>,
    /// The request's structured facts as terms ([`RequestFacts::terms`]).
    #[serde(default)]
    pub facts: Arc<[String]>,
}

impl ItemText {
    pub fn from_item(letter: &Letter, item: &DisputedItem) -> Self {
        let summary = letter
            .clinical_summary
            .as_deref()
            .unwrap_or_default()
            .into();
        Self::sharing(letter, item, summary)
    }

    /// The texts of every item of a letter, in item order, the clinical summary held once.
    pub fn of_letter(letter: &Letter) -> Vec<Self> {
        let summary: Arc<str> = letter
            .clinical_summary
            .as_deref()
            .unwrap_or_default()
            .into();
        letter
            .items
            .iter()
            .map(|item| Self::sharing(letter, item, summary.clone()))
            .collect()
    }

    fn sharing(letter: &Letter, item: &DisputedItem, summary: Arc<str>) -> Self {
        ItemText {
            facts: RequestFacts::from_item(letter, item).terms().into(),
            summary,
            ..Self::from_parts(
                &item.title,
                &item.rationale,
                item.claims_administrator_guideline.as_deref(),
                item.reviewer_guideline.as_deref(),
                None,
            )
        }
    }

    /// An item's texts given one by one (a letter's, or an `imr parse --items` row's).
    pub fn from_parts(
        title: &str,
        rationale: &str,
        ca_guideline: Option<&str>,
        reviewer_guideline: Option<&str>,
        summary: Option<&str>,
    ) -> Self {
        ItemText {
            title: title.into(),
            rationale: rationale.into(),
            guidelines: [ca_guideline, reviewer_guideline]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("\n\n")
                .into(),
            summary: summary.unwrap_or_default().into(),
            claims_guideline: ca_guideline.unwrap_or_default().into(),
            facts: Arc::default(),
        }
    }

    /// A bare rationale (from `imr predict --text`).
    pub fn from_rationale(text: &str) -> Self {
        ItemText {
            rationale: text.into(),
            ..Default::default()
        }
    }
}

/// Which text a model sees and how it is analysed; stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    pub analyzer: AnalyzerConfig,
    pub fields: Vec<Field>,
    /// Word n-grams 1..=ngram_max.
    pub ngram_max: usize,
    /// The rationale fields' guideline-quote sentences (a sentence that names a guideline and
    /// nothing of the case, [`cues::is_guideline_sentence`]) as a namespace of their own
    /// ([`Namespace::Quote`], `rq:`, `mq:`): "not recommended" quoted from the MTUS is then a
    /// different feature from the reviewer's "is not recommended" about this request. Files of
    /// format 3 and older lack it (off).
    #[serde(default)]
    pub quotes_apart: bool,
    /// Cue patterns matched in the rationale, each match a term `c:<name>` (none by default).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<cues::Cue>,
}

impl FeatureConfig {
    pub fn new(fields: Vec<Field>) -> Self {
        FeatureConfig {
            analyzer: AnalyzerConfig::default(),
            fields,
            ngram_max: 2,
            quotes_apart: false,
            cues: Vec::new(),
        }
    }

    pub(crate) fn check(&self) -> Result<()> {
        self.checked_cues().map(|_| ())
    }

    /// The namespaces these settings count terms in: each field's n-grams, its quotes where apart,
    /// and the cues where there are any. A model's vocabulary holds no term of another.
    pub(crate) fn namespaces(&self) -> Vec<Namespace> {
        let slots = count::Slots::new(&self.fields, self.quotes_apart);
        let made = slots.namespaces().iter().copied();
        made.filter(|&ns| ns != Namespace::Cue || !self.cues.is_empty())
            .collect()
    }

    /// The checks, and the cue matcher they compile to check the patterns (a bad one from a params
    /// file is said when the settings are checked, not at the first fit); [`Featurizer::new`] keeps
    /// it rather than compiling again.
    fn checked_cues(&self) -> Result<cues::CueMatcher> {
        if self.fields.is_empty() {
            return Err(Error::InvalidParam {
                name: "fields",
                value: "[]".into(),
                reason: "at least one field is needed",
            });
        }
        // A field named twice would count its terms twice, in two places of one row.
        if let Some(twice) = self
            .fields
            .iter()
            .enumerate()
            .find(|&(i, f)| self.fields[..i].contains(f))
        {
            return Err(Error::InvalidParam {
                name: "fields",
                value: twice.1.name().into(),
                reason: "is named twice",
            });
        }
        if !(1..=4).contains(&self.ngram_max) {
            return Err(Error::InvalidParam {
                name: "ngram_max",
                value: self.ngram_max.to_string(),
                reason: "must be 1 to 4",
            });
        }
        // Negated words are spelled with the prefix: without one they are the plain words, the
        // same term twice at one place (and a sparse row's columns out of order).
        if self
            .analyzer
            .negation
            .as_ref()
            .is_some_and(|n| n.prefix.is_empty())
        {
            return Err(Error::InvalidParam {
                name: "analyzer.negation.prefix",
                value: String::new(),
                reason: "must not be empty (negated words would be the plain words)",
            });
        }
        if let Some(n) = &self.analyzer.negation {
            // A blank cue or terminator is no word: it would open or close a scope nowhere.
            let lists = [
                ("analyzer.negation.cues", &n.cues),
                ("analyzer.negation.terminators", &n.terminators),
            ];
            for (name, list) in lists {
                if let Some(blank) = list.iter().find(|w| w.trim().is_empty()) {
                    return Err(Error::InvalidParam {
                        name,
                        value: format!("{blank:?}"),
                        reason: "is no word (each is a word or words)",
                    });
                }
            }
        }
        cues::CueMatcher::new(&self.cues)
    }
}

/// One term occurrence, for explanations: the term, the field, and its span in that field's text.
#[derive(Debug, Clone, PartialEq)]
pub struct TermSpan {
    pub term: String,
    pub field: Field,
    pub span: Range<usize>,
}

/// Whether the byte offset `at` lies in one of `spans`.
fn in_any(spans: &[Range<usize>], at: usize) -> bool {
    spans.iter().any(|r| r.contains(&at))
}

/// Documents analysed per pipeline step of [`Featurizer::count`]: a stream pushed to a
/// [`Counter`] in batches of this size is counted as the same documents in a slice.
pub const BATCH: usize = 2048;

/// Turns item texts into terms according to a [`FeatureConfig`].
pub struct Featurizer {
    config: FeatureConfig,
    analyzer: Analyzer,
    cues: cues::CueMatcher,
    /// The namespaces its terms are counted in.
    slots: count::Slots,
}

impl Featurizer {
    pub fn new(config: FeatureConfig) -> Result<Self> {
        let cues = config.checked_cues()?;
        let analyzer = Analyzer::from_config(&config.analyzer);
        let slots = count::Slots::new(&config.fields, config.quotes_apart);
        Ok(Featurizer {
            config,
            analyzer,
            cues,
            slots,
        })
    }

    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Every term of a document, spelled (its namespace's prefix, then its text), n-grams
    /// included.
    pub fn terms(&self, doc: &ItemText) -> Vec<String> {
        let mut out = Vec::new();
        self.each_term(doc, |term, _, _| out.push(term));
        out
    }

    /// Terms with where they come from, for explanations.
    pub fn term_spans(&self, doc: &ItemText) -> Vec<TermSpan> {
        let mut out = Vec::new();
        self.each_term(doc, |term, field, span| {
            out.push(TermSpan { term, field, span })
        });
        out
    }

    fn each_term(&self, doc: &ItemText, mut emit: impl FnMut(String, Field, Range<usize>)) {
        for &field in &self.config.fields {
            if field == Field::Facts {
                // Each fact whole, its span in the facts joined by spaces (`Field::text`).
                let mut at = 0;
                for fact in doc.facts.iter() {
                    let term = term::spell(Namespace::Field(field), fact);
                    emit(term, field, at..at + fact.len());
                    at += fact.len() + 1;
                }
                continue;
            }
            let text = field.text(doc);
            let all = self.analyzer.tokens(&text);
            let quotes = self.quote_spans(field, &text);
            let namespaces = [
                (Some(Namespace::Field(field)), false),
                (self.quotes(field), true),
            ];
            for (namespace, in_quotes) in namespaces {
                let Some(namespace) = namespace else { continue };
                let code = namespace.prefix();
                // N-grams run over one segment's tokens: the case sentences' or the quotes'.
                let tokens: Vec<&Token> = all
                    .iter()
                    .filter(|t| in_any(&quotes, t.from) == in_quotes)
                    .collect();
                let words: Vec<String> = tokens.iter().map(|t| self.analyzer.term(t)).collect();
                for n in 1..=self.config.ngram_max {
                    for i in 0..words.len().saturating_sub(n - 1) {
                        let mut term = String::with_capacity(code.len() + words[i].len() * n + n);
                        term.push_str(code);
                        for (k, w) in words[i..i + n].iter().enumerate() {
                            if k > 0 {
                                term.push(' ');
                            }
                            term.push_str(w);
                        }
                        emit(term, field, tokens[i].from..tokens[i + n - 1].to);
                    }
                }
            }
        }
        for (name, span) in self.cues.matches(&doc.rationale) {
            emit(term::spell(Namespace::Cue, name), Field::Rationale, span);
        }
    }

    /// The namespace of `field`'s guideline-quote sentences, where they are kept apart.
    fn quotes(&self, field: Field) -> Option<Namespace> {
        Namespace::quote(field).filter(|_| self.config.quotes_apart)
    }

    /// The guideline-quote sentences of `field`'s `text`: none (no allocation) unless
    /// [`FeatureConfig::quotes_apart`] is set and the field has quotes. Tokens are analysed over
    /// the whole text, so negation scopes and offsets are those of the field; only the n-grams are
    /// split, by [`in_any`].
    fn quote_spans(&self, field: Field, text: &str) -> Vec<Range<usize>> {
        if self.quotes(field).is_none() {
            return Vec::new();
        }
        quotes::sentences_where(text, true)
    }

    /// Term counts of many documents, analysed on all cores in bounded batches (input order kept).
    /// The same terms as [`Featurizer::terms`], without a string per occurrence (see `count.rs`).
    pub fn count<D: std::borrow::Borrow<ItemText> + Sync>(&self, docs: &[D]) -> TermCounts {
        let mut counter = self.counter(Some(docs.len()));
        for batch in docs.chunks(BATCH) {
            counter.push(batch);
        }
        counter.finish()
    }

    /// A [`Counter`] for documents that arrive in batches (a stream of letters), so their texts
    /// need not all be held at once; `expected` documents in all, when known, sizes its buffers.
    pub fn counter(&self, expected: Option<usize>) -> Counter<'_> {
        Counter {
            featurizer: self,
            merger: count::Merger::default(),
            pending: Vec::new(),
            expected,
        }
    }

    /// Analyses one batch of documents on all cores into chunk-local counts.
    fn analyse<D: std::borrow::Borrow<ItemText> + Sync>(
        &self,
        batch: &[D],
    ) -> Vec<count::LocalCounts> {
        use rayon::prelude::*;
        let prefix = self.analyzer.negation_prefix();
        batch
            .par_chunks(128)
            .map(|chunk| {
                let mut local = count::LocalCounts::default();
                let (mut words, mut quote_words): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
                for d in chunk {
                    let d = d.borrow();
                    let mut ids = Vec::new();
                    for (fi, &field) in self.config.fields.iter().enumerate() {
                        let (word_slot, quote_slot) = self.slots.field(fi);
                        if field == Field::Facts {
                            for fact in d.facts.iter() {
                                let w = local.word(fact, false, prefix);
                                ids.push(local.gram(word_slot, &[w]));
                            }
                            continue;
                        }
                        let text = field.text(d);
                        let quotes = self.quote_spans(field, &text);
                        words.clear();
                        quote_words.clear();
                        for t in self.analyzer.tokens(&text) {
                            let w = local.word(&t.text, t.negated, prefix);
                            if in_any(&quotes, t.from) {
                                quote_words.push(w)
                            } else {
                                words.push(w)
                            }
                        }
                        for (slot, ws) in [(Some(word_slot), &words), (quote_slot, &quote_words)] {
                            let Some(slot) = slot else { continue };
                            for n in 1..=self.config.ngram_max {
                                for w in ws.windows(n) {
                                    ids.push(local.gram(slot, w));
                                }
                            }
                        }
                    }
                    for (name, _) in self.cues.matches(&d.rationale) {
                        let w = local.word(name, false, prefix);
                        ids.push(local.gram(self.slots.cue(), &[w]));
                    }
                    local.finish_doc(ids);
                }
                local.seal()
            })
            .collect()
    }
}

/// Term counts built batch by batch ([`Featurizer::counter`]): each batch is analysed on all cores
/// while the one before is merged, so a stream is counted as fast as a slice, and the same batches
/// give the same counts as [`Featurizer::count`].
pub struct Counter<'f> {
    featurizer: &'f Featurizer,
    merger: count::Merger,
    pending: Vec<count::LocalCounts>,
    expected: Option<usize>,
}

impl Counter<'_> {
    /// Counts `batch` (documents in order after those pushed before).
    pub fn push<D: std::borrow::Borrow<ItemText> + Sync>(&mut self, batch: &[D]) {
        let merging = std::mem::take(&mut self.pending);
        let (m, expected) = (&mut self.merger, self.expected);
        let ((), locals) = rayon::join(
            move || {
                for l in merging {
                    m.add(l);
                }
                if let Some(n) = expected {
                    m.reserve_for(n);
                }
            },
            || self.featurizer.analyse(batch),
        );
        self.pending = locals;
    }

    /// The counts of every document pushed.
    pub fn finish(mut self) -> TermCounts {
        for l in std::mem::take(&mut self.pending) {
            self.merger.add(l);
        }
        self.merger.finish(self.featurizer.slots.namespaces())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `n` items whose titles, rationales (with `middle` before the verdict sentence) and facts
    /// vary with their number, for tests of counting over many documents.
    pub(crate) fn varied_docs(n: usize, middle: &str) -> Vec<ItemText> {
        (0..n)
            .map(|i| ItemText {
                title: format!("MRI knee {}", i % 7).into(),
                rationale: format!(
                    "No red flags at L{}-S1 without relief {i}. The ACOEM guidelines recommend \
                     MRI for red flags{}.{middle} The request is not medically necessary.",
                    i % 5,
                    if i % 3 == 0 { " only" } else { "" }
                )
                .into(),
                facts: (0..i % 3).map(|k| format!("age_{k}0s")).collect(),
                ..Default::default()
            })
            .collect()
    }

    #[test]
    fn sentences_split_on_terminal_punctuation() {
        let t = "MTUS recommends 2.5 mg. The request is not medically necessary. Done";
        let s: Vec<&str> = sentences(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(
            s,
            vec![
                "MTUS recommends 2.5 mg.",
                "The request is not medically necessary.",
                "Done"
            ]
        );
    }

    #[test]
    fn verdict_and_masked_fields() {
        let d = ItemText::from_rationale(
            "Criteria are not met. Therefore the request is not medically necessary.",
        );
        assert_eq!(
            Field::Verdict.text(&d),
            "Therefore the request is not medically necessary."
        );
        assert_eq!(Field::RationaleMasked.text(&d), "Criteria are not met.");
    }

    /// Spans of the joined fields point at the same words in the rationale as written.
    #[test]
    fn rationale_spans_of_joined_fields() {
        let d = ItemText::from_rationale(
            "Criteria are not met.  Pain persists; no improvement. Therefore the request is not \
             medically necessary. Guidelines recommend rest.",
        );
        for field in [Field::Rationale, Field::RationaleMasked, Field::Verdict] {
            let text = field.text(&d);
            let mut words = 0;
            for w in text.split_whitespace() {
                let from = w.as_ptr() as usize - text.as_ptr() as usize;
                let span = from..from + w.len();
                let r = field.rationale_span(&d, span).expect("inside one sentence");
                assert_eq!(&d.rationale[r], w, "{field:?}");
                words += 1;
            }
            assert!(words > 2);
        }
        assert_eq!(Field::Title.rationale_span(&d, 0..1), None);
    }

    /// A field named twice is refused (its terms would stand twice in one row, out of order).
    #[test]
    fn a_field_named_twice_is_refused() {
        let twice = FeatureConfig::new(vec![Field::Rationale, Field::Title, Field::Rationale]);
        let e = twice.check().unwrap_err().to_string();
        assert!(e.contains("rationale") && e.contains("named twice"), "{e}");
        assert!(FeatureConfig::new(vec![Field::Rationale, Field::Title])
            .check()
            .is_ok());
    }

    #[test]
    fn fields_are_prefixed_and_ngrams_built() {
        let f = Featurizer::new(FeatureConfig {
            fields: vec![Field::Title, Field::Rationale],
            ..FeatureConfig::new(vec![])
        })
        .unwrap();
        let d = ItemText {
            title: "MRI knee".into(),
            rationale: "No red flags".into(),
            ..Default::default()
        };
        assert_eq!(
            f.terms(&d),
            vec![
                "t:mri",
                "t:knee",
                "t:mri knee",
                "r:no",
                "r:neg_red",
                "r:neg_flag",
                "r:no neg_red",
                "r:neg_red neg_flag"
            ]
        );
        let spans = f.term_spans(&d);
        assert_eq!(&d.rationale[spans[6].span.clone()], "No red");
        assert!(Featurizer::new(FeatureConfig::new(vec![])).is_err());
    }

    #[test]
    fn quotes_apart_gives_guideline_sentences_their_own_terms() {
        let d = ItemText::from_rationale(
            "MTUS guidelines state PT is not recommended. The patient had PT.",
        );
        let config = FeatureConfig {
            ngram_max: 1,
            ..FeatureConfig::new(vec![Field::Rationale])
        };
        let together = Featurizer::new(config.clone()).unwrap();
        assert_eq!(
            together.terms(&d),
            [
                "r:mtus",
                "r:guidelin",
                "r:state",
                "r:pt",
                "r:not",
                "r:neg_recommend",
                "r:patient",
                "r:pt"
            ]
        );
        let apart = Featurizer::new(FeatureConfig {
            quotes_apart: true,
            ..config
        })
        .unwrap();
        // The same tokens (negation scopes of the whole text), the quote's under rq:; offsets into
        // the rationale.
        assert_eq!(
            apart.terms(&d),
            [
                "r:patient",
                "r:pt",
                "rq:mtus",
                "rq:guidelin",
                "rq:state",
                "rq:pt",
                "rq:not",
                "rq:neg_recommend"
            ]
        );
        let spans = apart.term_spans(&d);
        assert_eq!(
            spans
                .iter()
                .map(|s| (s.field, &d.rationale[s.span.clone()]))
                .collect::<Vec<_>>()[..3],
            [
                (Field::Rationale, "patient"),
                (Field::Rationale, "PT"),
                (Field::Rationale, "MTUS")
            ]
        );
        // N-grams do not join a case sentence to a quote, and the masked rationale has its own
        // quote prefix.
        let bi = Featurizer::new(FeatureConfig {
            quotes_apart: true,
            ..FeatureConfig::new(vec![Field::RationaleMasked, Field::Title])
        })
        .unwrap();
        let d = ItemText { title: "PT".into(), rationale: "The patient had PT. Per the ODG, it is not recommended. It is not medically necessary.".into(), ..Default::default() };
        let terms = bi.terms(&d);
        assert!(
            terms.contains(&"m:patient pt".to_string())
                && terms.contains(&"mq:not neg_recommend".to_string()),
            "{terms:?}"
        );
        assert!(
            !terms
                .iter()
                .any(|t| t.contains("pt odg") || t.contains("medic")),
            "{terms:?}"
        );
    }

    #[test]
    fn bulk_count_has_the_same_terms_as_terms() {
        for quotes_apart in [false, true] {
            let f = Featurizer::new(FeatureConfig {
                ngram_max: 3,
                quotes_apart,
                cues: cues::codebook(),
                ..FeatureConfig::new(vec![
                    Field::Title,
                    Field::Rationale,
                    Field::Verdict,
                    Field::RationaleMasked,
                    Field::Facts,
                ])
            })
            .unwrap();
            let docs = varied_docs(600, "");
            let c = f.count(&docs);
            assert_eq!(c.len(), docs.len());
            assert_eq!(
                c.terms().iter().any(|t| t.starts_with("rq:acoem")),
                quotes_apart
            );
            // Each term's namespace is the one its spelling says, as a model file is read.
            assert!(c
                .terms()
                .iter()
                .zip(c.namespaces())
                .all(|(t, ns)| Namespace::parse(t) == *ns && *ns != Namespace::Bare));
            assert!(c.namespaces().contains(&Namespace::Cue));
            // Facts are one term each, whole: no n-gram joins two.
            assert!(c.terms().iter().any(|t| t == "f:age_10s"));
            assert!(!c
                .terms()
                .iter()
                .any(|t| t.starts_with("f:") && t.contains(' ')));
            for (i, d) in docs.iter().enumerate() {
                let mut want = f.terms(d);
                want.sort();
                let mut got: Vec<String> = c
                    .doc(i)
                    .flat_map(|(id, n)| {
                        std::iter::repeat_n(c.terms()[id as usize].clone(), n as usize)
                    })
                    .collect();
                got.sort();
                assert_eq!(got, want, "document {i}, quotes_apart {quotes_apart}");
            }
        }
    }
}

//! Scoring's view of the features: one item's text analysed once for several featurizers (a
//! model's outcome and theme features), each field's tokens, the rationale's sentences and its cue
//! matches computed once per distinct analyzer and cue list, and each model's terms looked up in
//! its vocabulary as they are formed, with where each first occurs (what explanations quote). The
//! same terms as [`Featurizer::terms`], without a string per term or a vocabulary built for the
//! batch, as training's bulk count (`count.rs`) needs.

use super::quotes::{quoted_sentences, sentences_where};
use super::{in_any, Featurizer, Field, ItemText, Namespace, TfIdf};
use crate::analysis::{Token, WordMap};
use rustc_hash::FxHashMap;
use std::borrow::{Borrow, Cow};
use std::cell::RefCell;
use std::ops::Range;
use std::sync::Arc;

/// Featurizers that analyse each document together ([`SharedFeaturizers::analyse`]).
pub struct SharedFeaturizers<'f> {
    list: Vec<&'f Featurizer>,
    /// For each featurizer, the first of the list with the same analyzer settings: their tokens
    /// are one.
    analyzer: Vec<usize>,
    /// For each featurizer, the first with the same cues: their matches are one.
    cues: Vec<usize>,
}

/// One document as analysed so far: what one featurizer computed, the next reuses.
pub struct Analysis<'d> {
    doc: &'d ItemText,
    texts: Vec<(Field, Cow<'d, str>)>,
    /// (analyzer, field, tokens)
    tokens: Vec<(usize, Field, Vec<Token>)>,
    /// (place in `tokens`, [`VocabIndex::words_key`], each token's word)
    words: Vec<(usize, usize, Vec<Word>)>,
    /// The rationale's sentences, and whether each only restates a guideline.
    sentences: Option<Vec<(Range<usize>, bool)>>,
    /// (cue list, matches): each match's cue name and span in the rationale.
    cues: Vec<(usize, CueMatches)>,
}

/// Cue matches: each match's cue name and span in the rationale.
type CueMatches = Vec<(String, Range<usize>)>;

/// A document's terms that a vocabulary knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownTerms {
    /// (column, count), columns ascending.
    pub row: Vec<(u32, u32)>,
    /// Beside each column of `row`, where its term first occurs: its field and its span in that
    /// field's text (empty when not asked for).
    pub first: Vec<(Field, Range<usize>)>,
    /// The words (analysed tokens) of the text's fields, and how many of them are terms of the
    /// vocabulary: text in another language, or no clinical text, has few.
    pub words: u32,
    pub known_words: u32,
}

/// A vocabulary as scoring looks terms up in it: each word n-gram by the ids of its words, so a
/// token's word is hashed once and no string is spelled per n-gram; cues and facts, and n-grams
/// with a word that has a space in it, by their spelling.
pub struct VocabIndex<'t> {
    tfidf: &'t TfIdf,
    /// The ids of the words of its n-gram terms, perhaps shared with other vocabularies
    /// ([`VocabIndex::joint`]); None where every n-gram is looked up by its spelling
    /// ([`VocabIndex::spelled`]).
    words: Option<Arc<WordIds>>,
    /// Each n-gram term's key ([`gram_key`]) and its column.
    grams: FxHashMap<u128, u32>,
}

/// Ids of words: a token's word is looked up once for every vocabulary that shares them.
struct WordIds {
    /// Every word of the vocabularies' n-gram terms, as spelled there.
    words: WordMap<u32>,
    /// The same, for negated tokens: each word that begins with the negation prefix, without it
    /// (None where negated words are not marked).
    negated: Option<WordMap<u32>>,
    /// The negation prefix has a space: a negated token's term is more than one word, looked up
    /// by spelling.
    spaced_negation: bool,
}

/// A word id's bits in an n-gram key; the largest value pads the key past its last word.
const WORD_BITS: u32 = 30;
const PAD: u32 = (1 << WORD_BITS) - 1;
/// Words in an n-gram key: as many as the longest n-gram ([`super::FeatureConfig::ngram_max`]).
const KEY_WORDS: usize = 4;

/// An n-gram's key: its namespace's code, then its words' ids (`PAD` past the last), packed into
/// one integer, which hashes and compares in a few instructions.
fn gram_key(ns_code: u8, words: &[u32; KEY_WORDS]) -> u128 {
    words.iter().fold(u128::from(ns_code), |key, &w| {
        (key << WORD_BITS) | u128::from(w)
    })
}

/// A token's word in a [`VocabIndex`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Word {
    Known(u32),
    /// In no n-gram of the vocabulary: n-grams with it are unknown.
    Unknown,
    /// Its text has a space, so its n-grams may spell another split of words: looked up by
    /// spelling.
    Spaced,
}

impl<'t> VocabIndex<'t> {
    /// The index of `tfidf`'s vocabulary, for the terms `f` makes.
    pub fn new(tfidf: &'t TfIdf, f: &Featurizer) -> Self {
        Self::joint(&[(tfidf, f)]).pop().expect("one vocabulary")
    }

    /// The indexes of several vocabularies, each for the terms of its featurizer, with one set of
    /// word ids where the featurizers mark negated words alike: a document's tokens are then
    /// looked up once for all of them ([`SharedFeaturizers::known_terms`]).
    pub fn joint(parts: &[(&'t TfIdf, &Featurizer)]) -> Vec<Self> {
        let prefix = |f: &Featurizer| f.analyzer.negation_prefix().to_string();
        let alike = parts.windows(2).all(|w| prefix(w[0].1) == prefix(w[1].1));
        if !alike {
            return parts.iter().map(|&(t, f)| Self::new(t, f)).collect();
        }
        let negation_prefix = parts.first().map(|p| prefix(p.1)).unwrap_or_default();
        let n_terms: usize = parts.iter().map(|p| p.0.vocabulary().len()).sum();
        let mut words: WordMap<u32> = WordMap::with_capacity(n_terms / 2);
        let grams: Vec<FxHashMap<u128, u32>> = parts
            .iter()
            .map(|&(tfidf, _)| gram_keys(tfidf, &mut words))
            .collect();
        if words.len() >= PAD as usize {
            // More words than a key holds: too large a vocabulary to index.
            return parts.iter().map(|&(t, _)| Self::spelled(t)).collect();
        }
        let negated = (!negation_prefix.is_empty()).then(|| {
            let mut negated = WordMap::default();
            for (w, &id) in words.iter() {
                if let Some(w) = w.strip_prefix(&negation_prefix) {
                    negated.insert(w, id);
                }
            }
            negated
        });
        let ids = Arc::new(WordIds {
            words,
            negated,
            spaced_negation: negation_prefix.contains(' '),
        });
        parts
            .iter()
            .zip(grams)
            .map(|(&(tfidf, _), grams)| VocabIndex {
                tfidf,
                words: Some(Arc::clone(&ids)),
                grams,
            })
            .collect()
    }

    /// The vocabulary looked up by spelling alone, as every term is spelled: nothing to build, for
    /// a few documents.
    pub fn spelled(tfidf: &'t TfIdf) -> Self {
        VocabIndex {
            tfidf,
            words: None,
            grams: FxHashMap::default(),
        }
    }

    /// What a token's words are looked up by: the same value for vocabularies that share them.
    fn words_key(&self) -> usize {
        self.words.as_ref().map_or(0, |w| Arc::as_ptr(w) as usize)
    }

    /// A token's word: the term its analyzer gives it (`push_term`), looked up.
    fn word(&self, t: &Token) -> Word {
        let Some(ids) = &self.words else {
            return Word::Spaced;
        };
        if t.text.contains(' ') || (t.negated && ids.spaced_negation) {
            return Word::Spaced;
        }
        let map = match &ids.negated {
            Some(negated) if t.negated => negated,
            _ => &ids.words,
        };
        map.get(t.text.as_str())
            .map_or(Word::Unknown, |&id| Word::Known(id))
    }
}

/// Each n-gram term of `tfidf`'s vocabulary by its key ([`gram_key`]), its words given ids in
/// `words` (new words added).
fn gram_keys(tfidf: &TfIdf, words: &mut WordMap<u32>) -> FxHashMap<u128, u32> {
    let mut grams = FxHashMap::default();
    grams.reserve(tfidf.vocabulary().len());
    for (col, term) in tfidf.vocabulary().iter().enumerate() {
        // The namespace its spelling says, as a lookup by spelling finds it (a vocabulary of
        // plain strings has terms spelled as n-grams, too).
        let ns = Namespace::parse(term);
        if !by_words(ns) {
            continue;
        }
        let text = &term[ns.prefix().len()..];
        // Every word is kept, even of a term of more words than any n-gram (made of tokens
        // with spaces, reached only by spelling): a word outside the map is in no term.
        let mut key = [PAD; KEY_WORDS];
        let mut n = 0;
        for w in text.split(' ') {
            let id = match words.get(w) {
                Some(&id) => id,
                None => {
                    let id = words.len() as u32;
                    words.insert(w, id);
                    id
                }
            };
            if let Some(k) = key.get_mut(n) {
                *k = id;
            }
            n += 1;
        }
        if n <= KEY_WORDS {
            grams.insert(gram_key(ns.code(), &key), col as u32);
        }
    }
    grams
}

/// Whether terms of `ns` are word n-grams: those a [`VocabIndex`] looks up by word ids.
fn by_words(ns: Namespace) -> bool {
    match ns {
        Namespace::Field(f) => f != Field::Facts,
        Namespace::Quote(_) => true,
        Namespace::Cue | Namespace::Bare => false,
    }
}

impl<'f> SharedFeaturizers<'f> {
    pub fn new(list: Vec<&'f Featurizer>) -> Self {
        let first = |same: &dyn Fn(&Featurizer, &Featurizer) -> bool| -> Vec<usize> {
            (0..list.len())
                .map(|i| (0..=i).find(|&j| same(list[j], list[i])).unwrap_or(i))
                .collect()
        };
        let analyzer = first(&|a, b| a.config.analyzer == b.config.analyzer);
        let cues = first(&|a, b| a.config.cues == b.config.cues);
        SharedFeaturizers {
            list,
            analyzer,
            cues,
        }
    }

    pub fn analyse<'d>(&self, doc: &'d ItemText) -> Analysis<'d> {
        Analysis {
            doc,
            texts: Vec::new(),
            tokens: Vec::new(),
            words: Vec::new(),
            sentences: None,
            cues: Vec::new(),
        }
    }

    /// Featurizer `k`'s terms of the document that `vocab` knows, and with `spans`, where each
    /// first occurs. Terms are formed in [`Featurizer::terms`]' order, so the first occurrence is
    /// the one it lists first.
    pub fn known_terms(
        &self,
        k: usize,
        a: &mut Analysis<'_>,
        vocab: &VocabIndex<'_>,
        spans: bool,
    ) -> KnownTerms {
        let f = self.list[k];
        let mut lookup = Lookup {
            vocab,
            buf: String::new(),
            // About what a rationale's n-grams find, so the list seldom grows.
            hits: Vec::with_capacity(256),
            seen: 0,
            known_words: 0,
        };
        for &field in &f.config.fields {
            if field == Field::Facts {
                lookup.facts(&a.doc.facts);
            } else {
                self.field_grams(k, a, field, &mut lookup);
            }
        }
        for (name, span) in a.cue_matches(self.cues[k], f) {
            lookup.start(Namespace::Cue);
            lookup.buf.push_str(name);
            lookup.look(Field::Rationale, span.clone());
        }
        lookup.known(spans)
    }

    /// Featurizer `k`'s n-grams of `field`: of its case sentences, and of its guideline quotes
    /// where they are apart.
    fn field_grams(&self, k: usize, a: &mut Analysis<'_>, field: Field, lookup: &mut Lookup) {
        let f = self.list[k];
        let quote_ns = f.quotes(field);
        let quotes = match quote_ns {
            Some(_) => a.guideline_spans(field),
            None => Vec::new(),
        };
        let at = a.tokens_at(self.analyzer[k], field, f);
        let w = a.words_at(at, lookup.vocab);
        let (tokens, words) = (&a.tokens[at].2, &a.words[w].2);
        for (ns, in_quotes) in [(Some(Namespace::Field(field)), false), (quote_ns, true)] {
            let Some(ns) = ns else { continue };
            if in_quotes && quotes.is_empty() {
                continue;
            }
            if quotes.is_empty() {
                lookup.ngrams(ns, field, tokens, words, f);
                continue;
            }
            // N-grams run over one segment's tokens: the case sentences' or the quotes'.
            let (mut toks, mut ws) = (
                Vec::with_capacity(tokens.len()),
                Vec::with_capacity(tokens.len()),
            );
            for (t, w) in tokens.iter().zip(words) {
                if in_any(&quotes, t.from) == in_quotes {
                    toks.push(t);
                    ws.push(*w);
                }
            }
            lookup.ngrams(ns, field, &toks, &ws, f);
        }
    }
}

/// Terms looked up in a vocabulary, n-grams by their words' ids and the rest as they are spelled,
/// with one reused buffer for each.
struct Lookup<'v, 't> {
    vocab: &'v VocabIndex<'t>,
    /// The term being spelled.
    buf: String,
    /// (column, field, span) of each known term occurrence, in the order formed.
    hits: Vec<(u32, Field, Range<usize>)>,
    /// Words seen, and of them the vocabulary's ([`KnownTerms::words`]).
    seen: u32,
    known_words: u32,
}

impl Lookup<'_, '_> {
    /// Starts spelling a term of `namespace`.
    fn start(&mut self, namespace: Namespace) {
        self.buf.clear();
        self.buf.push_str(namespace.prefix());
    }

    /// Notes the term spelled, if the vocabulary knows it, at `span` of `field`'s text; whether
    /// it does.
    fn look(&mut self, field: Field, span: Range<usize>) -> bool {
        let column = self.vocab.tfidf.column(&self.buf);
        if let Some(c) = column {
            self.hits.push((c as u32, field, span));
        }
        column.is_some()
    }

    /// Each fact whole, its span in the facts joined by spaces (`Field::text`).
    fn facts(&mut self, facts: &[String]) {
        let mut at = 0;
        for fact in facts {
            self.start(Namespace::Field(Field::Facts));
            self.buf.push_str(fact);
            self.look(Field::Facts, at..at + fact.len());
            at += fact.len() + 1;
        }
    }

    /// The n-grams of `toks` (one segment of `field`'s tokens, `words` their words in the
    /// vocabulary) up to `f`'s length, as terms of `namespace`.
    fn ngrams<T: Borrow<Token>>(
        &mut self,
        namespace: Namespace,
        field: Field,
        toks: &[T],
        words: &[Word],
        f: &Featurizer,
    ) {
        let vocab = self.vocab;
        let ns_code = namespace.code();
        self.seen += toks.len() as u32;
        for n in 1..=f.config.ngram_max {
            for i in 0..toks.len().saturating_sub(n - 1) {
                let span = toks[i].borrow().from..toks[i + n - 1].borrow().to;
                let words = &words[i..i + n];
                let mut key = [PAD; KEY_WORDS];
                let (mut spaced, mut unknown) = (false, false);
                for (k, w) in key.iter_mut().zip(words) {
                    match w {
                        Word::Known(id) => *k = *id,
                        Word::Spaced => spaced = true,
                        Word::Unknown => {
                            unknown = true;
                            break;
                        }
                    }
                }
                if unknown {
                    continue;
                }
                let found = if spaced {
                    self.start(namespace);
                    for (j, t) in toks[i..i + n].iter().enumerate() {
                        if j > 0 {
                            self.buf.push(' ');
                        }
                        f.analyzer.push_term(t.borrow(), &mut self.buf);
                    }
                    self.look(field, span)
                } else if let Some(&c) = vocab.grams.get(&gram_key(ns_code, &key)) {
                    self.hits.push((c, field, span));
                    true
                } else {
                    false
                };
                self.known_words += u32::from(found && n == 1);
            }
        }
    }

    /// The known terms as a row of (column, count), columns ascending, with each one's first
    /// occurrence where `spans` asks for them.
    fn known(self, spans: bool) -> KnownTerms {
        // Counted in a table by column (a thread's own, left zeroed), so that only the distinct
        // columns are ordered, not every hit; the first hit of a column is the one it keeps.
        // They are ordered by a bit per column where the columns' range is short beside their
        // number (a vocabulary's size, not an archive's), by sorting otherwise.
        SLOTS.with_borrow_mut(|Slots { slot, seen }| {
            let mut distinct: Vec<(u32, u32, usize)> = Vec::with_capacity(self.hits.len());
            let (mut lo, mut hi) = (usize::MAX, 0);
            for (i, &(c, _, _)) in self.hits.iter().enumerate() {
                let col = c as usize;
                if col >= slot.len() {
                    slot.resize(col + 1, 0);
                }
                match slot[col] {
                    0 => {
                        distinct.push((c, 1, i));
                        slot[col] = distinct.len();
                        (lo, hi) = (lo.min(col), hi.max(col));
                    }
                    k => distinct[k - 1].1 += 1,
                }
            }
            let words = if distinct.is_empty() {
                0..0
            } else {
                lo / 64..hi / 64 + 1
            };
            let ordered: Vec<(u32, u32, usize)> = if words.len() <= 4 * distinct.len() {
                if seen.len() < words.end {
                    seen.resize(words.end, 0);
                }
                for &(c, _, _) in &distinct {
                    seen[c as usize / 64] |= 1 << (c % 64);
                }
                let mut ordered = Vec::with_capacity(distinct.len());
                for w in words {
                    let mut bits = std::mem::take(&mut seen[w]);
                    while bits != 0 {
                        let col = w * 64 + bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        ordered.push(distinct[slot[col] - 1]);
                    }
                }
                ordered
            } else {
                distinct.sort_unstable_by_key(|d| d.0);
                distinct
            };
            for &(c, _, _) in &ordered {
                slot[c as usize] = 0;
            }
            let mut out = KnownTerms {
                row: ordered.iter().map(|&(c, n, _)| (c, n)).collect(),
                first: Vec::new(),
                words: self.seen,
                known_words: self.known_words,
            };
            if spans {
                out.first = ordered
                    .iter()
                    .map(|&(_, _, i)| (self.hits[i].1, self.hits[i].2.clone()))
                    .collect();
            }
            out
        })
    }
}

/// A thread's tables for [`Lookup::known`], left cleared between rows.
#[derive(Default)]
struct Slots {
    /// Per column, 1 + its place among a row's distinct columns; zero otherwise.
    slot: Vec<usize>,
    /// A bit per column seen in the row.
    seen: Vec<u64>,
}

thread_local! {
    static SLOTS: RefCell<Slots> = RefCell::new(Slots::default());
}

impl<'d> Analysis<'d> {
    /// A field's text: as computed for its terms, or computed now.
    pub fn text(&self, field: Field) -> Cow<'_, str> {
        match self.texts.iter().find(|(f, _)| *f == field) {
            Some((_, t)) => Cow::Borrowed(t),
            None => field.text(self.doc),
        }
    }

    fn cached_text(&mut self, field: Field) -> usize {
        if let Some(i) = self.texts.iter().position(|(f, _)| *f == field) {
            return i;
        }
        let text = match field {
            // Made of the rationale's sentences, which the analysis keeps.
            Field::Verdict | Field::RationaleMasked => {
                let doc = self.doc;
                let sentences = self.rationale_sentences().iter().map(|s| s.0.clone());
                Cow::Owned(field.of_sentences(doc, sentences))
            }
            _ => field.text(self.doc),
        };
        self.texts.push((field, text));
        self.texts.len() - 1
    }

    /// Where in `tokens` the tokens of `field` by `f`'s analyzer are (`ak`: the first featurizer
    /// with its settings), made now if they are not yet.
    fn tokens_at(&mut self, ak: usize, field: Field, f: &Featurizer) -> usize {
        let found = self
            .tokens
            .iter()
            .position(|(a, fl, _)| *a == ak && *fl == field);
        found.unwrap_or_else(|| {
            let t = self.cached_text(field);
            let tokens = f.analyzer.tokens(&self.texts[t].1);
            self.tokens.push((ak, field, tokens));
            self.tokens.len() - 1
        })
    }

    /// Where in `words` the words of the tokens at `at` of `tokens` in `vocab` are, looked up now
    /// if no vocabulary that shares them has looked them up yet.
    fn words_at(&mut self, at: usize, vocab: &VocabIndex<'_>) -> usize {
        let key = vocab.words_key();
        let found = self.words.iter().position(|w| w.0 == at && w.1 == key);
        found.unwrap_or_else(|| {
            let words = self.tokens[at].2.iter().map(|t| vocab.word(t)).collect();
            self.words.push((at, key, words));
            self.words.len() - 1
        })
    }

    fn rationale_sentences(&mut self) -> &[(Range<usize>, bool)] {
        let r = &self.doc.rationale;
        self.sentences.get_or_insert_with(|| quoted_sentences(r))
    }

    /// The guideline-quote sentences of `field`'s text (`Featurizer::quote_spans`).
    fn guideline_spans(&mut self, field: Field) -> Vec<Range<usize>> {
        if field == Field::Rationale {
            return self
                .rationale_sentences()
                .iter()
                .filter(|s| s.1)
                .map(|s| s.0.clone())
                .collect();
        }
        let t = self.cached_text(field);
        let text = &self.texts[t].1;
        sentences_where(text, true)
    }

    /// `f`'s cue matches in the rationale (`ck`: the first featurizer with its cues).
    fn cue_matches(&mut self, ck: usize, f: &Featurizer) -> &[(String, Range<usize>)] {
        let i = match self.cues.iter().position(|(c, _)| *c == ck) {
            Some(i) => i,
            None => {
                let case: Vec<Range<usize>> = if f.cues.needs_case_sentences() {
                    self.rationale_sentences()
                        .iter()
                        .filter(|s| !s.1)
                        .map(|s| s.0.clone())
                        .collect()
                } else {
                    Vec::new()
                };
                let found = f
                    .cues
                    .matches_in(&self.doc.rationale, &case)
                    .into_iter()
                    .map(|(n, r)| (n.to_string(), r))
                    .collect();
                self.cues.push((ck, found));
                self.cues.len() - 1
            }
        };
        &self.cues[i].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::tests::varied_docs;
    use crate::features::{cues, FeatureConfig, TermCounts};
    use linfa::ParamGuard;

    /// The vocabulary of `f`'s terms of `docs` in at least `min_df` of them, and how many distinct
    /// terms the documents had.
    fn fitted(f: &Featurizer, docs: &[ItemText], min_df: usize) -> (TfIdf, usize) {
        let mut counts = TermCounts::new();
        for d in docs {
            counts.push(f.terms(d));
        }
        let tfidf = crate::features::TfIdfParams::new()
            .min_df(crate::features::DocFreq::Count(min_df))
            .check_unwrap()
            .fit(&counts)
            .unwrap();
        (tfidf, counts.terms().len())
    }

    /// A featurizer of the rationale whose negation prefix has a space: a negated token's term
    /// is two words.
    fn spaced_negation() -> Featurizer {
        let mut analyzer = crate::analysis::AnalyzerConfig::default();
        if let Some(n) = analyzer.negation.as_mut() {
            n.prefix = "no ".into();
        }
        Featurizer::new(FeatureConfig {
            analyzer,
            ..FeatureConfig::new(vec![Field::Rationale])
        })
        .unwrap()
    }

    /// The known terms of each featurizer, analysed together, are those of its own terms in the
    /// vocabulary, with each term's first span as [`Featurizer::term_spans`] lists it; sharing
    /// changes nothing, nor does looking n-grams up by word ids rather than by spelling.
    #[test]
    fn shared_analysis_gives_each_featurizer_its_own_terms() {
        let a =
            Featurizer::new(FeatureConfig::new(vec![Field::Rationale, Field::Verdict])).unwrap();
        let b = Featurizer::new(FeatureConfig {
            quotes_apart: true,
            ngram_max: 3,
            cues: cues::codebook(),
            ..FeatureConfig::new(vec![
                Field::Rationale,
                Field::Title,
                Field::RationaleMasked,
                Field::Facts,
            ])
        })
        .unwrap();
        // A negation prefix with a space: negated tokens' terms are two words.
        let c = spaced_negation();
        // A word that normalises to several (U+FDFA): its n-grams are looked up by spelling.
        let docs = varied_docs(
            40,
            " There is no documentation of functional gains \u{FDFA}.",
        );
        let shared = SharedFeaturizers::new(vec![&a, &b, &c]);
        for (k, f) in [&a, &b, &c].into_iter().enumerate() {
            // A vocabulary of every other term the documents have.
            let (tfidf, n_terms) = fitted(f, &docs, 3);
            assert!(tfidf.n_features() < n_terms);
            assert!(tfidf.vocabulary().iter().any(|t| t.contains(" \u{648}")));
            let (indexed, spelled) = (VocabIndex::new(&tfidf, f), VocabIndex::spelled(&tfidf));
            let first = VocabIndex::new(&tfidf, &a);
            for d in &docs {
                let mut an = shared.analyse(d);
                if k > 0 {
                    // Another featurizer first, as scoring does.
                    shared.known_terms(0, &mut an, &first, false);
                }
                let got = shared.known_terms(k, &mut an, &indexed, true);
                assert_eq!(got, shared.known_terms(k, &mut an, &spelled, true));
                let spans = f.term_spans(d);
                let mut want: Vec<(u32, u32)> = Vec::new();
                let mut cols: Vec<u32> = spans
                    .iter()
                    .filter_map(|s| tfidf.column(&s.term).map(|c| c as u32))
                    .collect();
                cols.sort_unstable();
                for c in cols {
                    match want.last_mut() {
                        Some((l, n)) if *l == c => *n += 1,
                        _ => want.push((c, 1)),
                    }
                }
                assert_eq!(got.row, want);
                for ((c, _), (field, span)) in got.row.iter().zip(&got.first) {
                    let term = &tfidf.vocabulary()[*c as usize];
                    let s = spans.iter().find(|s| &s.term == term).unwrap();
                    assert_eq!((s.field, &s.span), (*field, span), "{term}");
                    assert_eq!(an.text(*field), s.field.text(d));
                }
                assert!(got.row.len() > 3);
            }
        }
    }

    /// Vocabularies indexed together share their word ids, and a document's words, looked up for
    /// the first, serve the second: each still gets the terms it gets alone, in either order.
    /// Featurizers that mark negated words differently get ids of their own.
    #[test]
    fn jointly_indexed_vocabularies_give_each_its_own_terms() {
        let outcome =
            Featurizer::new(FeatureConfig::new(vec![Field::Rationale, Field::Verdict])).unwrap();
        let themes = Featurizer::new(FeatureConfig {
            quotes_apart: true,
            cues: cues::codebook(),
            ..FeatureConfig::new(vec![Field::Rationale, Field::Title])
        })
        .unwrap();
        let docs = varied_docs(30, " There is no documentation of functional gains.");
        let fit = |f: &Featurizer, min_df: usize| fitted(f, &docs, min_df).0;
        // Vocabularies of other sizes, so a word has other ids alone and together.
        let (to, tt) = (fit(&outcome, 2), fit(&themes, 5));
        let joint = VocabIndex::joint(&[(&to, &outcome), (&tt, &themes)]);
        assert_eq!(joint[0].words_key(), joint[1].words_key());
        assert_ne!(joint[0].words_key(), 0);
        let alone = [
            VocabIndex::new(&to, &outcome),
            VocabIndex::new(&tt, &themes),
        ];
        let shared = SharedFeaturizers::new(vec![&outcome, &themes]);
        for d in &docs {
            let mut a = shared.analyse(d);
            let want: Vec<KnownTerms> = (0..2)
                .map(|k| shared.known_terms(k, &mut a, &alone[k], true))
                .collect();
            for order in [[0, 1], [1, 0]] {
                let mut a = shared.analyse(d);
                for k in order {
                    let got = shared.known_terms(k, &mut a, &joint[k], true);
                    assert_eq!(got, want[k], "featurizer {k}");
                }
                // The rationale's words once for both, the verdict's and the title's.
                assert_eq!(a.words.len(), 3);
            }
        }
        // Another negation prefix: no shared ids.
        let other = spaced_negation();
        let to2 = fit(&other, 2);
        let apart = VocabIndex::joint(&[(&to, &outcome), (&to2, &other)]);
        assert_ne!(apart[0].words_key(), apart[1].words_key());
    }
}

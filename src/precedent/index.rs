//! The precedent index: items as TF-IDF vectors of their title and clinical summary, searched by
//! cosine similarity through an inverted index.
//!
//! Storage is the inverted index alone: each term's postings, rows ascending with their `f32`
//! weights. The saved form is the same vectors by row (CSR), made from the postings when saved
//! and turned back into postings on load; no copy by row is held, as it would double the index's
//! memory (a database's every item, for the web page).
//!
//! A query scores rows term by term into a dense accumulator, its heaviest terms first, and stops
//! taking terms at a cap ([`Search::max_terms`]) or once the postings it has walked reach a budget
//! ([`Search::postings_per_row`] times the rows; a term whose postings would overrun it is
//! skipped, so what is left of the budget goes to the rarer terms after it). The partial scores
//! pick [`Search::rerank`] candidates per neighbour wanted, which are then scored exactly: the
//! similarity a neighbour shows is always its full cosine. [`Search::exact`] takes every term.

use super::Precedent;
use crate::error::{Error, Result};
use crate::features::{
    FeatureConfig, Featurizer, Field, ItemText, TermCounts, TfIdf, TfIdfParams, TfIdfValidParams,
};
use crate::treatment::Category;
use linfa::ParamGuard;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// How a query searches. Stored in the index as its default; [`PrecedentIndex::query_with`] takes
/// another.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Search {
    /// Added to the score of an item of the query's category (similarities are cosines, in
    /// [0, 1]): an item of the same kind of treatment ranks above one of another kind unless that
    /// one is more similar by more than this.
    pub category_boost: f32,
    /// Only items of the query's category (where a query gives one).
    pub category_only: bool,
    /// The query terms taken, heaviest first (`None`: all).
    pub max_terms: Option<usize>,
    /// The postings a query walks, in units of the index's rows (`None`: no limit); at least 1, so
    /// the heaviest term is always taken.
    pub postings_per_row: Option<f32>,
    /// Candidates scored exactly per neighbour wanted.
    pub rerank: usize,
}

impl Default for Search {
    /// Chosen on the corpus with its hand-labelled categories (`tests/similar.rs`) and on a
    /// million rows (`scripts/bench-similar`); the README has the figures.
    /// - The boost is about the similarity of a typical fifth neighbour from another letter: it
    ///   settles most rankings for the category without letting an item that shares one word
    ///   with the query outrank a close one of another kind.
    /// - No cap on terms: the budget alone bounds the work, and the light terms it leaves room
    ///   for are rare ones (short postings) that separate near neighbours.
    /// - Candidates are cheap to score exactly, and many of them keep the approximation's answer
    ///   the exact one where many stored items are nearly alike.
    fn default() -> Self {
        Search {
            category_boost: 0.15,
            category_only: false,
            max_terms: None,
            postings_per_row: Some(16.0),
            rerank: 16,
        }
    }
}

impl Search {
    /// Every query term, every posting: exact cosine ranking (the reference the approximation is
    /// measured against).
    pub fn exact(self) -> Self {
        Search {
            max_terms: None,
            postings_per_row: None,
            ..self
        }
    }

    fn check(&self) -> Result<()> {
        if !(self.category_boost.is_finite() && self.category_boost >= 0.0) {
            return Err(Error::InvalidParam {
                name: "search.category_boost",
                value: self.category_boost.to_string(),
                reason: "must be finite and at least 0",
            });
        }
        if self.max_terms == Some(0) {
            return Err(Error::InvalidParam {
                name: "search.max_terms",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        if let Some(p) = self.postings_per_row {
            if !(p.is_finite() && p >= 1.0) {
                return Err(Error::InvalidParam {
                    name: "search.postings_per_row",
                    value: p.to_string(),
                    reason: "must be finite and at least 1",
                });
            }
        }
        if self.rerank == 0 {
            return Err(Error::InvalidParam {
                name: "search.rerank",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        Ok(())
    }
}

/// Everything that defines a precedent index, checked (see [`PrecedentParams`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PrecedentValidParams {
    features: FeatureConfig,
    tfidf: TfIdfValidParams,
    /// The title's share of the similarity of two items that both have a title and a summary: the
    /// title's and the summary's terms are normalised apart and weighted `sqrt(share)` and
    /// `sqrt(1 - share)`, so the cosine is `share * title cosine + (1 - share) * summary cosine`.
    /// Weighted by their number, the few title terms would count for little against a summary's
    /// hundreds, and the summaries of two patients say more about the patients than about what
    /// was requested.
    title_share: f32,
    search: Search,
}

/// [`PrecedentValidParams`] as serde reads and writes it. The functions serde derives
/// for it are private to this module; the public serde impls (`checked_params!`) call them and
/// check what they read.
#[derive(Serialize, Deserialize)]
#[serde(remote = "PrecedentValidParams", deny_unknown_fields)]
struct PrecedentSerde {
    features: FeatureConfig,
    tfidf: TfIdfValidParams,
    title_share: f32,
    search: Search,
}

/// Unchecked precedent-index settings: [`PrecedentParams::new`]'s defaults changed one by one,
/// then `check()` (linfa's `ParamGuard`).
#[derive(Debug, Clone, PartialEq)]
pub struct PrecedentParams(PrecedentValidParams);

/// Words that say how much or which side, not what: requests alike but for them are alike
/// ("Physical therapy 6 sessions" is not like "Psychotherapy 6 sessions"; an MRI of the right knee
/// is like one of the left). Dropped with the English stop words, before stemming.
const NOT_WHAT: &[&str] = &[
    "left",
    "right",
    "bilateral",
    "bilaterally",
    "session",
    "sessions",
    "visit",
    "visits",
    "time",
    "times",
    "week",
    "weeks",
    "weekly",
    "day",
    "days",
    "daily",
    "hour",
    "hours",
    "month",
    "months",
    "x",
    "quantity",
    "qty",
    "unknown",
];

/// The precedents' features: title and summary, numbers and [`NOT_WHAT`] left out.
fn precedent_features() -> FeatureConfig {
    let mut f = FeatureConfig::new(vec![Field::Title, Field::Summary]);
    let mut stop = crate::analysis::StopWordConfig::English.words();
    stop.extend(NOT_WHAT.iter().map(|w| w.to_string()));
    f.analyzer.stop_words = Some(crate::analysis::StopWordConfig::Custom(stop));
    f.analyzer.drop_numbers = true;
    f
}

impl Default for PrecedentParams {
    fn default() -> Self {
        PrecedentParams(PrecedentValidParams {
            features: precedent_features(),
            // Sublinear tf: a summary that repeats a word ten times is not ten times about it.
            tfidf: TfIdfParams::new().sublinear_tf(true).check_unwrap(),
            title_share: 0.5,
            search: Search::default(),
        })
    }
}

impl PrecedentParams {
    pub fn new() -> Self {
        Self::default()
    }
}

checked_params!(PrecedentParams => PrecedentValidParams as PrecedentSerde, validate;
    title_share: f32, search: Search;
    ref features: FeatureConfig, tfidf: TfIdfValidParams);

fn validate(p: &PrecedentValidParams) -> Result<()> {
    p.features.check()?;
    if !(0.0..=1.0).contains(&p.title_share) {
        return Err(Error::InvalidParam {
            name: "title_share",
            value: p.title_share.to_string(),
            reason: "must lie in [0, 1]",
        });
    }
    p.search.check()
}

/// A similarity at which two items' texts are the same (up to float rounding).
const SAME_TEXT: f32 = 0.99999;

/// One stored item near a query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Neighbour<'a> {
    /// Its row in the index.
    pub row: usize,
    pub precedent: &'a Precedent,
    /// The cosine similarity of the two items' vectors, in [0, 1].
    pub similarity: f32,
    /// What ranks: the similarity, plus the category boost where the item is of the query's
    /// category.
    pub score: f32,
}

/// Rows as CSR: row `r`'s terms are `indices[indptr[r]..indptr[r + 1]]`, ascending, with their
/// `values`.
#[derive(Debug, Clone, PartialEq)]
struct Rows {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Rows {
    fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let span = self.indptr[r]..self.indptr[r + 1];
        (&self.indices[span.clone()], &self.values[span])
    }
}

/// Where rows go one at a time: the row and its (column, weight) pairs, columns ascending.
type RowSink<'a> = dyn FnMut(u32, &[(u32, f32)]) + 'a;

/// The inverted index: term `t`'s postings are `rows[start[t]..start[t + 1]]` (ascending) and
/// `values`.
#[derive(Debug, Clone, Default, PartialEq)]
struct Postings {
    start: Vec<usize>,
    rows: Vec<u32>,
    values: Vec<f32>,
}

impl Postings {
    fn build(rows: &Rows, n_terms: usize) -> Postings {
        Postings::filed(n_terms, |sink| {
            let mut row = Vec::new();
            for r in 0..rows.indptr.len() - 1 {
                let (cols, vals) = rows.row(r);
                row.clear();
                row.extend(cols.iter().copied().zip(vals.iter().copied()));
                sink(r as u32, &row);
            }
        })
    }

    fn len(&self, t: u32) -> usize {
        self.start[t as usize + 1] - self.start[t as usize]
    }

    fn of(&self, t: u32) -> (&[u32], &[f32]) {
        let span = self.start[t as usize]..self.start[t as usize + 1];
        (&self.rows[span.clone()], &self.values[span])
    }

    /// Row `r`'s vector, columns ascending: a search of every term's postings, so a query by a
    /// stored row costs a pass over the vocabulary.
    fn row(&self, r: u32) -> Vec<(u32, f32)> {
        (0..self.start.len() as u32 - 1)
            .filter_map(|t| {
                let (rows, vals) = self.of(t);
                rows.binary_search(&r).ok().map(|at| (t, vals[at]))
            })
            .collect()
    }

    /// The postings of the rows that `rows` hands to its sink, the same rows in the same order
    /// each time it is called: once to size each term's postings, once to file them.
    fn filed(n_terms: usize, rows: impl Fn(&mut RowSink)) -> Postings {
        let mut start = vec![0usize; n_terms + 1];
        rows(&mut |_, row| {
            for &(c, _) in row {
                start[c as usize + 1] += 1;
            }
        });
        for t in 0..n_terms {
            start[t + 1] += start[t];
        }
        let mut next = start.clone();
        let nnz = start[n_terms];
        let (mut prow, mut pval) = (vec![0u32; nnz], vec![0f32; nnz]);
        rows(&mut |r, row| {
            for &(c, w) in row {
                let at = &mut next[c as usize];
                prow[*at] = r;
                pval[*at] = w;
                *at += 1;
            }
        });
        Postings {
            start,
            rows: prow,
            values: pval,
        }
    }

    /// The vectors by row, `n_rows` of them (the saved form): the postings transposed.
    fn to_rows(&self, n_rows: usize) -> Rows {
        let mut indptr = vec![0usize; n_rows + 1];
        for &r in &self.rows {
            indptr[r as usize + 1] += 1;
        }
        for r in 0..n_rows {
            indptr[r + 1] += indptr[r];
        }
        let mut next = indptr.clone();
        let nnz = self.rows.len();
        let (mut indices, mut values) = (vec![0u32; nnz], vec![0f32; nnz]);
        // Terms in ascending order: each row's columns come out ascending.
        for t in 0..self.start.len() - 1 {
            let (rows, vals) = self.of(t as u32);
            for (&r, &v) in rows.iter().zip(vals) {
                let at = &mut next[r as usize];
                indices[*at] = t as u32;
                values[*at] = v;
                *at += 1;
            }
        }
        Rows {
            indptr,
            indices,
            values,
        }
    }
}

/// The first position from `from` in the ascending `rows` whose row is `r` or more: a galloping
/// search from where the rows' spread says `r` should be (a common term's rows are spread
/// evenly), so a pass over a long list costs a few probes a row sought.
fn seek(rows: &[u32], from: usize, r: u32) -> usize {
    let Some((&first, &last)) = rows.get(from).zip(rows.last()) else {
        return rows.len();
    };
    if first >= r {
        return from;
    }
    if last < r {
        return rows.len();
    }
    // rows[from] < r <= last: the guess is past `from` and within the list.
    let span = (rows.len() - 1 - from) as u64;
    let guess = from + 1 + (u64::from(r - first) * span / u64::from(last - first)) as usize;
    let guess = guess.min(rows.len() - 1);
    // Gallop back or on from the guess to a range that holds the answer, then halve it.
    let mut step = 1;
    if rows[guess] >= r {
        // rows[lo] < r <= rows[hi]; rows[from] < r ends the walk back.
        let mut hi = guess;
        let lo = loop {
            let at = hi.saturating_sub(step).max(from);
            if rows[at] < r {
                break at;
            }
            hi = at;
            step *= 2;
        };
        lo + 1 + rows[lo + 1..hi].partition_point(|&x| x < r)
    } else {
        // rows[lo] < r, and r <= rows[hi] or hi is the end (where the last row is r or more).
        let mut lo = guess;
        let hi = loop {
            let at = lo + step;
            if at >= rows.len() || rows[at] >= r {
                break at.min(rows.len());
            }
            lo = at;
            step *= 2;
        };
        lo + 1 + rows[lo + 1..hi].partition_point(|&x| x < r)
    }
}

/// Past items searchable by similarity to a request. See the module documentation for how a query
/// runs.
#[derive(Clone)]
pub struct PrecedentIndex {
    params: PrecedentValidParams,
    tfidf: TfIdf,
    precedents: Vec<Precedent>,
    /// The items' vectors, by term.
    postings: Postings,
    // Rebuilt on load:
    categories: Vec<Category>,
    /// The title terms' columns: one run, as the vocabulary is sorted and they share a prefix.
    title_cols: Range<u32>,
    featurizer: Arc<Featurizer>,
}

impl fmt::Debug for PrecedentIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrecedentIndex")
            .field("params", &self.params)
            .field("rows", &self.len())
            .field("terms", &self.tfidf.n_features())
            .field("nnz", &self.postings.rows.len())
            .finish()
    }
}

/// Equal indexes answer every query alike: the same settings, vocabulary, items and vectors.
impl PartialEq for PrecedentIndex {
    fn eq(&self, other: &Self) -> bool {
        self.params == other.params
            && self.tfidf == other.tfidf
            && self.precedents == other.precedents
            && self.postings == other.postings
    }
}

/// A candidate row: better is a higher score, then a lower row (the tie-break that makes answers
/// the same on every run). `Ord` puts the worse first, for the min-heap of the best.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Candidate {
    score: f32,
    row: u32,
}

impl Eq for Candidate {}

impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.row.cmp(&other.row))
    }
}

impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The best `k` of a stream of candidates: a heap whose top is the worst kept.
struct TopK {
    k: usize,
    heap: BinaryHeap<Candidate>,
}

impl TopK {
    fn new(k: usize) -> Self {
        TopK {
            k,
            // Room for the usual k; a huge k (every item) grows as candidates come.
            heap: BinaryHeap::with_capacity(k.min(1 << 12) + 1),
        }
    }

    /// Whether `c` would be kept (so the caller checks exclusions only for those).
    fn admits(&self, c: &Candidate) -> bool {
        self.heap.len() < self.k || self.heap.peek().is_some_and(|worst| c < worst)
    }

    fn push(&mut self, c: Candidate) {
        self.heap.push(c);
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// Best first.
    fn into_sorted(self) -> Vec<Candidate> {
        self.heap.into_sorted_vec()
    }
}

/// Rows weighed at a time while the postings are filed: a block's weights as `f64` CSR, small
/// beside the index.
const BUILD_BLOCK: usize = 16_384;

impl PrecedentIndex {
    /// Fits the index's TF-IDF on the items' texts and stores each item's vector.
    pub fn build<'a>(
        params: &PrecedentValidParams,
        items: impl IntoIterator<Item = (Precedent, &'a ItemText)>,
    ) -> Result<Self> {
        validate(params)?;
        let (precedents, docs): (Vec<Precedent>, Vec<ItemText>) = items
            .into_iter()
            .map(|(p, doc)| {
                let doc = indexed_text(&p, doc);
                (p, doc)
            })
            .unzip();
        let featurizer = Featurizer::new(params.features.clone())?;
        let counts = featurizer.count(&docs.iter().collect::<Vec<_>>());
        drop(docs);
        Self::from_counts(params, featurizer, precedents, counts)
    }

    /// [`PrecedentIndex::build`] from items that come a batch at a time (a database's letters):
    /// `fill` hands each batch to the function it is given, which counts the batch's texts and
    /// lets them go, so they are never all held at once. The same items in the same order give
    /// the same index as `build`.
    pub fn build_batched<E: From<Error>>(
        params: &PrecedentValidParams,
        fill: impl FnOnce(&mut dyn FnMut(Vec<(Precedent, ItemText)>)) -> std::result::Result<(), E>,
    ) -> std::result::Result<Self, E> {
        validate(params)?;
        let featurizer = Featurizer::new(params.features.clone())?;
        let mut precedents = Vec::new();
        let mut counter = featurizer.counter(None);
        fill(&mut |batch| {
            let (p, docs): (Vec<Precedent>, Vec<ItemText>) = batch
                .into_iter()
                .map(|(p, doc)| {
                    let doc = indexed_text(&p, &doc);
                    (p, doc)
                })
                .unzip();
            precedents.extend(p);
            counter.push(&docs);
        })?;
        let counts = counter.finish();
        Ok(Self::from_counts(params, featurizer, precedents, counts)?)
    }

    /// The index of counted items: the TF-IDF fitted, then each item's vector weighed and filed
    /// straight into its terms' postings, a block of items at a time (no matrix of them all).
    fn from_counts(
        params: &PrecedentValidParams,
        featurizer: Featurizer,
        precedents: Vec<Precedent>,
        counts: TermCounts,
    ) -> Result<Self> {
        if counts.is_empty() {
            return Err(Error::NothingToFit {
                stage: "precedent index",
                what: "items to index",
            });
        }
        let n = precedents.len();
        if u32::try_from(n).is_err() {
            return Err(Error::BadIndex {
                row: None,
                what: format!("{n} rows, more than a u32 row number holds"),
            });
        }
        let all: Vec<usize> = (0..counts.len()).collect();
        let (tfidf, cols) = params.tfidf.fit_rows(&counts, &all)?;
        let title_cols = title_cols(&tfidf);
        let n_terms = tfidf.n_features();
        // Each block's rows, weighed as stored, to `file`: twice, to size the postings, then to
        // fill them.
        let weighed_rows = |file: &mut RowSink| {
            let mut row = Vec::new();
            for block in all.chunks(BUILD_BLOCK) {
                let x = tfidf.transform_counts(&counts, block, &cols);
                for (&r, v) in block.iter().zip(x.outer_iterator()) {
                    weigh_fields(
                        v.indices(),
                        v.data(),
                        &title_cols,
                        params.title_share,
                        &mut row,
                    );
                    file(r as u32, &row);
                }
            }
        };
        let postings = Postings::filed(n_terms, weighed_rows);
        drop(counts);
        Ok(Self::assemble(
            params.clone(),
            tfidf,
            precedents,
            postings,
            featurizer,
        ))
    }

    /// An index from its stored parts, checked: the settings, the fitted TF-IDF, one precedent per
    /// row, and the rows as CSR (each row's columns ascending, values finite), as
    /// [`PrecedentIndex::rows`] gives them. Loading a saved index comes here; so may rows made
    /// elsewhere (a benchmark's replicas).
    pub fn from_parts(
        params: PrecedentValidParams,
        tfidf: TfIdf,
        precedents: Vec<Precedent>,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f32>,
    ) -> Result<Self> {
        validate(&params)?;
        let bad = |what: String| Error::BadIndex { row: None, what };
        let bad_row = |row: usize, what: String| Error::BadIndex {
            row: Some(row),
            what,
        };
        let n = precedents.len();
        if u32::try_from(n).is_err() {
            return Err(bad(format!("{n} rows, more than a u32 row number holds")));
        }
        if indptr.len() != n + 1 || indptr.first() != Some(&0) {
            return Err(bad(format!(
                "indptr has {} entries (starting {:?}) for {n} rows; expected {} starting at 0",
                indptr.len(),
                indptr.first(),
                n + 1
            )));
        }
        if indptr.last() != Some(&indices.len()) || indices.len() != values.len() {
            return Err(bad(format!(
                "indptr ends at {:?}, with {} indices and {} values",
                indptr.last(),
                indices.len(),
                values.len()
            )));
        }
        if let Some(r) = indptr.windows(2).position(|w| w[1] < w[0]) {
            return Err(bad(format!(
                "indptr decreases at row {r} ({} to {})",
                indptr[r],
                indptr[r + 1]
            )));
        }
        let n_terms = tfidf.n_features();
        for r in 0..n {
            let (lo, hi) = (indptr[r], indptr[r + 1]);
            let cols = &indices[lo..hi];
            if cols.windows(2).any(|w| w[0] >= w[1]) {
                return Err(bad_row(r, "columns are not ascending".into()));
            }
            if let Some(&c) = cols.iter().find(|&&c| c as usize >= n_terms) {
                return Err(bad_row(r, format!("column {c} of {n_terms} terms")));
            }
            // Rows are unit vectors of non-negative TF-IDF weights: cosines stay within 0 to 1.
            if let Some(v) = values[lo..hi].iter().find(|v| !(0.0..=1.0).contains(*v)) {
                let v = crate::error::num(*v);
                return Err(bad_row(r, format!("value {v} (a row's values are 0 to 1)")));
            }
        }
        let featurizer = Featurizer::new(params.features.clone())?;
        let rows = Rows {
            indptr,
            indices,
            values,
        };
        let postings = Postings::build(&rows, n_terms);
        drop(rows);
        Ok(Self::assemble(
            params, tfidf, precedents, postings, featurizer,
        ))
    }

    fn assemble(
        params: PrecedentValidParams,
        tfidf: TfIdf,
        precedents: Vec<Precedent>,
        postings: Postings,
        featurizer: Featurizer,
    ) -> Self {
        let categories = precedents.iter().map(|p| p.category).collect();
        PrecedentIndex {
            title_cols: title_cols(&tfidf),
            params,
            tfidf,
            precedents,
            postings,
            categories,
            featurizer: Arc::new(featurizer),
        }
    }

    pub fn params(&self) -> &PrecedentValidParams {
        &self.params
    }

    pub fn tfidf(&self) -> &TfIdf {
        &self.tfidf
    }

    pub fn precedents(&self) -> &[Precedent] {
        &self.precedents
    }

    /// The stored weights: the non-zeros of all vectors.
    pub fn nnz(&self) -> usize {
        self.postings.rows.len()
    }

    /// The number of stored items.
    pub fn len(&self) -> usize {
        self.precedents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.precedents.is_empty()
    }

    /// The stored vectors as CSR: (indptr, indices, values), made from the postings (the index
    /// holds its vectors by term only): a copy of the index's size.
    pub fn rows(&self) -> (Vec<usize>, Vec<u32>, Vec<f32>) {
        let r = self.postings.to_rows(self.len());
        (r.indptr, r.indices, r.values)
    }

    /// A text's vector as the index stores its items': (column, weight), columns ascending.
    pub fn vector(&self, doc: &ItemText) -> Vec<(u32, f32)> {
        let kind = crate::treatment::classify(&doc.title, None);
        let doc = with_drug_name(doc, kind.drug_class.is_some(), &kind.treatment);
        let x = self.tfidf.transform([self.featurizer.terms(&doc)]);
        let mut out = Vec::new();
        if let Some(v) = x.outer_iterator().next() {
            weigh_fields(
                v.indices(),
                v.data(),
                &self.title_cols,
                self.params.title_share,
                &mut out,
            );
        }
        out
    }

    /// The `k` stored items nearest `doc`, best first, with the index's own [`Search`]: the items
    /// of `category` boosted (or alone, as the search says), none of the letter `exclude_case`. A
    /// text that shares no term with the index has no neighbours.
    pub fn query(
        &self,
        doc: &ItemText,
        category: Option<Category>,
        k: usize,
        exclude_case: Option<&str>,
    ) -> Vec<Neighbour<'_>> {
        self.query_with(doc, category, k, exclude_case, &self.params.search)
    }

    /// [`PrecedentIndex::query`] with another search.
    pub fn query_with(
        &self,
        doc: &ItemText,
        category: Option<Category>,
        k: usize,
        exclude_case: Option<&str>,
        search: &Search,
    ) -> Vec<Neighbour<'_>> {
        let q = self.vector(doc);
        let mut exclude: Vec<&str> = exclude_case.into_iter().collect();
        let mut near = self.search(&q, category, k.saturating_add(1), &exclude, search);
        // The query's own item under another name (a renamed copy of a training letter, where the
        // case number is the file's name) has its title and its very vector: its letter is left
        // out, as the query's own letter is.
        let copy = near
            .iter()
            .find(|n| n.similarity >= SAME_TEXT && *n.precedent.title == *doc.title);
        if let Some(copy) = copy {
            exclude.push(&copy.precedent.case_number);
            near = self.search(&q, category, k, &exclude, search);
        }
        near.truncate(k);
        near
    }

    /// The `k` nearest neighbours of stored row `row` from other letters than its own (leave one
    /// letter out), with the index's own search; none for a row past the end. The row's vector is
    /// read from the postings, a search of every term's: a query by text costs less.
    pub fn query_row(
        &self,
        row: usize,
        category: Option<Category>,
        k: usize,
    ) -> Vec<Neighbour<'_>> {
        self.query_row_with(row, category, k, &self.params.search)
    }

    /// [`PrecedentIndex::query_row`] with another search.
    pub fn query_row_with(
        &self,
        row: usize,
        category: Option<Category>,
        k: usize,
        search: &Search,
    ) -> Vec<Neighbour<'_>> {
        if row >= self.len() {
            return Vec::new();
        }
        let q = self.postings.row(row as u32);
        let case = self.precedents[row].case_number.as_str();
        self.search(&q, category, k, &[case], search)
    }

    /// The `k` best rows for the query vector `q` (columns ascending).
    fn search(
        &self,
        q: &[(u32, f32)],
        category: Option<Category>,
        k: usize,
        exclude: &[&str],
        search: &Search,
    ) -> Vec<Neighbour<'_>> {
        if k == 0 || self.is_empty() || q.is_empty() {
            return Vec::new();
        }
        let scores = self.approximate_scores(q, search);
        let wanted = k.saturating_mul(search.rerank);
        let top = self.candidates(&scores, wanted, category, exclude, search);
        self.rerank(q, top, k, category, search)
    }

    /// Every row's dot product with the query's heaviest terms, as far as the search's budget of
    /// postings goes (term at a time).
    fn approximate_scores(&self, q: &[(u32, f32)], search: &Search) -> Vec<f32> {
        let n = self.len();
        // Heaviest terms first; equal weights in column order.
        let mut order: Vec<(u32, f32)> = q.to_vec();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        order.truncate(search.max_terms.unwrap_or(usize::MAX));
        let budget = search
            .postings_per_row
            .map_or(usize::MAX, |p| (f64::from(p) * n as f64) as usize);
        let mut acc = vec![0f32; n];
        let mut walked = 0usize;
        for &(t, w) in &order {
            let len = self.postings.len(t);
            if walked.saturating_add(len) > budget {
                continue;
            }
            walked += len;
            let (rows, vals) = self.postings.of(t);
            for (&r, &v) in rows.iter().zip(vals) {
                acc[r as usize] += w * v;
            }
        }
        acc
    }

    /// The exact dot products of `q` (columns ascending) with the stored `rows` (ascending): each
    /// term's postings searched for the rows in one forward pass, the products summed in `f64` in
    /// column order, so a row's similarity is the same whatever terms a search walked, and an
    /// item is its own copy at a cosine of 1 (in `f32`, a sum of hundreds of terms drifts by more
    /// than the margin of `SAME_TEXT`).
    fn exact_dots(&self, q: &[(u32, f32)], rows: &[u32]) -> Vec<f64> {
        let mut dots = vec![0f64; rows.len()];
        for &(t, w) in q {
            let (prows, pvals) = self.postings.of(t);
            let mut at = 0;
            for (dot, &r) in dots.iter_mut().zip(rows) {
                at = seek(prows, at, r);
                match prows.get(at) {
                    Some(&p) if p == r => *dot += f64::from(w * pvals[at]),
                    Some(_) => {}
                    None => break,
                }
            }
        }
        dots
    }

    /// What row `r` gains for being of the query's `category`.
    fn boost(&self, r: usize, category: Option<Category>, search: &Search) -> f32 {
        match category {
            Some(c) if self.categories[r] == c => search.category_boost,
            _ => 0.0,
        }
    }

    /// The `k` best rows by their approximate `scores` and boost: rows that share a term with the
    /// query, of its category where the search takes only that, and not of the letters
    /// `exclude`.
    fn candidates(
        &self,
        scores: &[f32],
        k: usize,
        category: Option<Category>,
        exclude: &[&str],
        search: &Search,
    ) -> TopK {
        let only = category.filter(|_| search.category_only);
        let excluded_letter = |r: usize| exclude.contains(&self.precedents[r].case_number.as_str());
        let mut top = TopK::new(k);
        for (r, &s) in scores.iter().enumerate() {
            // No shared term, no neighbour: the boost alone ranks nothing.
            if s <= 0.0 || only.is_some_and(|c| self.categories[r] != c) {
                continue;
            }
            let c = Candidate {
                score: s + self.boost(r, category, search),
                row: r as u32,
            };
            if top.admits(&c) && !excluded_letter(r) {
                top.push(c);
            }
        }
        top
    }

    /// The candidates scored exactly and ranked again: the `k` best, best first.
    fn rerank(
        &self,
        q: &[(u32, f32)],
        candidates: TopK,
        k: usize,
        category: Option<Category>,
        search: &Search,
    ) -> Vec<Neighbour<'_>> {
        let mut rows: Vec<u32> = candidates.into_sorted().iter().map(|c| c.row).collect();
        rows.sort_unstable();
        let similarity: Vec<f32> = self
            .exact_dots(q, &rows)
            .into_iter()
            .map(|d| (d as f32).min(1.0))
            .collect();
        let mut exact = TopK::new(k);
        for (&row, &s) in rows.iter().zip(&similarity) {
            exact.push(Candidate {
                score: s + self.boost(row as usize, category, search),
                row,
            });
        }
        exact
            .into_sorted()
            .into_iter()
            .map(|c| {
                let r = c.row as usize;
                let s = rows.binary_search(&c.row).map_or(0.0, |at| similarity[at]);
                Neighbour {
                    row: r,
                    precedent: &self.precedents[r],
                    similarity: s,
                    score: c.score,
                }
            })
            .collect()
    }
}

/// The columns of the title's terms (one run: the vocabulary is sorted).
fn title_cols(tfidf: &TfIdf) -> Range<u32> {
    tfidf.namespace_cols(crate::features::Namespace::Field(Field::Title))
}

/// A drug request's text with its generic name after its title, where the title does not
/// hold it: "Prilosec 20mg" and "Omeprazole 20mg" then share a term, as a brand and its generic
/// are one treatment ("omeprazole"). Other requests' texts as they are.
fn with_drug_name(doc: &ItemText, is_drug: bool, generic: &str) -> ItemText {
    if !is_drug {
        return doc.clone();
    }
    let title = doc.title.to_lowercase();
    let held = generic
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .all(|w| title.contains(w));
    match held {
        true => doc.clone(),
        false => ItemText {
            title: format!("{} {generic}", doc.title).into(),
            ..doc.clone()
        },
    }
}

/// A stored item's text as the index reads it ([`with_drug_name`], by its precedent's kind).
fn indexed_text(p: &Precedent, doc: &ItemText) -> ItemText {
    with_drug_name(doc, p.drug_class.is_some(), &p.treatment)
}

/// One TF-IDF row (columns ascending) as the index stores it, into `out`: the title's terms and
/// the rest each normalised to unit length and weighted by the title's share (see
/// [`PrecedentValidParams::title_share`]); a row with only one of the two is that one, normalised.
fn weigh_fields(
    cols: &[u32],
    vals: &[f64],
    title: &Range<u32>,
    share: f32,
    out: &mut Vec<(u32, f32)>,
) {
    out.clear();
    let norm2 = |keep: &dyn Fn(u32) -> bool| -> f64 {
        cols.iter()
            .zip(vals)
            .filter(|&(&c, _)| keep(c))
            .map(|(_, v)| v * v)
            .sum()
    };
    let in_title = |c: u32| title.contains(&c);
    let (nt, nr) = (norm2(&in_title).sqrt(), norm2(&|c| !in_title(c)).sqrt());
    let share = f64::from(share);
    let (wt, wr) = match (nt > 0.0, nr > 0.0) {
        (true, true) => (share.sqrt() / nt, (1.0 - share).sqrt() / nr),
        (true, false) => (1.0 / nt, 0.0),
        (false, true) => (0.0, 1.0 / nr),
        (false, false) => return,
    };
    for (&c, &v) in cols.iter().zip(vals) {
        let w = (v * if in_title(c) { wt } else { wr }) as f32;
        if w > 0.0 {
            out.push((c, w));
        }
    }
}

/// The saved form: the CSR arrays, the inverted index left to be rebuilt.
#[derive(Serialize)]
struct IndexOut<'a> {
    params: &'a PrecedentValidParams,
    tfidf: &'a TfIdf,
    precedents: &'a [Precedent],
    indptr: &'a [usize],
    indices: &'a [u32],
    values: &'a [f32],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IndexIn {
    params: PrecedentValidParams,
    tfidf: TfIdf,
    precedents: Vec<Precedent>,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Serialize for PrecedentIndex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let rows = self.postings.to_rows(self.len());
        IndexOut {
            params: &self.params,
            tfidf: &self.tfidf,
            precedents: &self.precedents,
            indptr: &rows.indptr,
            indices: &rows.indices,
            values: &rows.values,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PrecedentIndex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let r = IndexIn::deserialize(d)?;
        PrecedentIndex::from_parts(
            r.params,
            r.tfidf,
            r.precedents,
            r.indptr,
            r.indices,
            r.values,
        )
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letter::Decision;

    fn item(case: &str, n: usize, category: Category) -> Precedent {
        Precedent {
            case_number: case.into(),
            item: n,
            title: String::new(),
            decision: Decision::Upheld,
            decision_date: None,
            category,
            drug_class: None,
            treatment: String::new(),
            reason: None,
        }
    }

    fn text(title: &str, summary: &str) -> ItemText {
        ItemText {
            title: title.into(),
            summary: summary.into(),
            ..Default::default()
        }
    }

    /// Letters L1 (two items), L2, L3, L4: knee imaging, knee therapy, back imaging, an opioid.
    fn corpus() -> Vec<(Precedent, ItemText)> {
        use Category::*;
        let knee = "The worker fell and injured the left knee; swelling and locking persist.";
        vec![
            (
                item("L1", 1, DiagnosticTesting),
                text("MRI of the left knee", knee),
            ),
            (
                item("L1", 2, Rehabilitation),
                text("Physical therapy for the knee", knee),
            ),
            (
                item("L2", 1, DiagnosticTesting),
                text(
                    "MRI of the right knee",
                    "A twisting injury of the right knee at work.",
                ),
            ),
            (
                item("L3", 1, DiagnosticTesting),
                text(
                    "MRI of the lumbar spine",
                    "Low back pain radiating to the leg after lifting.",
                ),
            ),
            (
                item("L4", 1, Pharmaceuticals),
                text(
                    "Norco 10/325 #90",
                    "Chronic low back pain managed with opioids for years.",
                ),
            ),
        ]
    }

    fn index_with(p: PrecedentParams) -> PrecedentIndex {
        let items = corpus();
        let params = p.check().unwrap();
        PrecedentIndex::build(&params, items.iter().map(|(p, t)| (p.clone(), t))).unwrap()
    }

    fn index() -> PrecedentIndex {
        index_with(PrecedentParams::new())
    }

    fn rows(n: &[Neighbour<'_>]) -> Vec<usize> {
        n.iter().map(|n| n.row).collect()
    }

    /// The dot product of two sparse vectors, each with ascending columns.
    fn cosine(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
        let (mut i, mut j, mut s) = (0, 0, 0.0f32);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                Ordering::Less => i += 1,
                Ordering::Greater => j += 1,
                Ordering::Equal => {
                    s += a[i].1 * b[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        s
    }

    /// Each stored vector, read back from the postings (by row and as the saved CSR), is its
    /// item's text weighed as a query is.
    #[test]
    fn stored_vectors_are_their_texts_vectors() {
        let ix = index();
        let (indptr, indices, values) = ix.rows();
        for (r, (_, t)) in corpus().iter().enumerate() {
            let want = ix.vector(t);
            assert_eq!(ix.postings.row(r as u32), want, "row {r}");
            let span = indptr[r]..indptr[r + 1];
            let saved: Vec<(u32, f32)> = indices[span.clone()]
                .iter()
                .copied()
                .zip(values[span].iter().copied())
                .collect();
            assert_eq!(saved, want, "row {r}");
        }
    }

    /// Items counted a batch at a time, in batches of any size, make the index `build` makes.
    #[test]
    fn batches_of_any_size_build_the_same_index() {
        let params = PrecedentParams::new().check().unwrap();
        let items = corpus();
        let whole = index();
        for size in [1, 2, 3, items.len()] {
            let batched = PrecedentIndex::build_batched::<Error>(&params, |index| {
                for batch in items.chunks(size) {
                    index(batch.to_vec());
                }
                Ok(())
            })
            .unwrap();
            assert!(batched == whole, "batches of {size}");
        }
        let none = PrecedentIndex::build_batched::<Error>(&params, |_| Ok(()));
        assert!(matches!(none, Err(Error::NothingToFit { .. })), "{none:?}");
    }

    /// A k past every item keeps every candidate, allocating for those it is given.
    #[test]
    fn a_huge_k_keeps_every_candidate() {
        let mut top = TopK::new(usize::MAX);
        for (row, score) in [(0, 0.5), (1, 0.9), (2, 0.1)] {
            let c = Candidate { score, row };
            assert!(top.admits(&c));
            top.push(c);
        }
        assert_eq!(top.heap.len(), 3);
    }

    #[test]
    fn similarity_is_the_cosine_and_fields_share_it() {
        let ix = index();
        for (_, t) in corpus() {
            let v = ix.vector(&t);
            let norm: f32 = v.iter().map(|(_, w)| w * w).sum();
            assert!((norm - 1.0).abs() < 1e-5, "unit vectors: {norm}");
        }
        let q = text(
            "MRI of the left knee",
            "Swelling of the knee after a fall at work.",
        );
        let near = ix.query(&q, None, 10, None);
        let qv = ix.vector(&q);
        for n in &near {
            let want = cosine(&qv, &ix.postings.row(n.row as u32));
            assert!((n.similarity - want).abs() < 1e-6 && n.score == n.similarity);
        }
        // The two knee MRIs first, whichever the side.
        let mut top: Vec<usize> = near[..2].iter().map(|n| n.row).collect();
        top.sort_unstable();
        assert_eq!(top, [0, 2], "{near:?}");
        // Half the title cosine plus half the summary cosine, each from its own field alone.
        let (a, b) = (&corpus()[0].1, &corpus()[2].1);
        let whole = cosine(&ix.vector(a), &ix.vector(b));
        let titles = cosine(
            &ix.vector(&text(&a.title, "")),
            &ix.vector(&text(&b.title, "")),
        );
        let summaries = cosine(
            &ix.vector(&text("", &a.summary)),
            &ix.vector(&text("", &b.summary)),
        );
        assert!(titles > 0.0 && summaries > 0.0);
        assert!((whole - (0.5 * titles + 0.5 * summaries)).abs() < 1e-5);
        // All title: only the titles count.
        let ix = index_with(PrecedentParams::new().title_share(1.0));
        assert!((cosine(&ix.vector(a), &ix.vector(b)) - titles).abs() < 1e-5);
        let same = ix.query(
            &text("MRI of the left knee", "unrelated words"),
            None,
            1,
            None,
        );
        assert!((same[0].similarity - 1.0).abs() < 1e-5 && same[0].row == 0);
    }

    #[test]
    fn never_the_query_letter() {
        let ix = index();
        for r in 0..ix.len() {
            let own = &ix.precedents()[r].case_number;
            let near = ix.query_row(r, None, 10);
            assert!(!near.is_empty());
            assert!(near.iter().all(|n| &n.precedent.case_number != own), "{r}");
        }
        // Row 0's nearest is its letter's other item, unless that letter is excluded.
        let (_, t) = &corpus()[0];
        assert_eq!(ix.query(t, None, 2, None)[1].row, 1);
        let other = ix.query(t, None, 10, Some("L1"));
        assert_eq!(other[0].row, 2);
        assert!(other.iter().all(|n| n.precedent.case_number != "L1"));
        assert!(ix.query_row(99, None, 3).is_empty());
    }

    /// A brand and its generic are one treatment: "Prilosec" finds "Omeprazole" and the other
    /// way round, though their titles share no word; other requests' titles are read as written.
    #[test]
    fn a_brand_finds_its_generic() {
        let drug = |case: &str, title: &str| {
            let kind = crate::treatment::classify(title, None);
            let mut p = item(case, 1, kind.category);
            (p.drug_class, p.treatment) = (kind.drug_class, kind.treatment);
            p.title = title.into();
            (
                p,
                text(title, "Heartburn from the anti-inflammatory medication."),
            )
        };
        let items = [
            drug("B1", "Prilosec 20mg #90"),
            drug("B2", "Ultram 50mg #30"),
            drug("B3", "MRI of the knee"),
        ];
        let params = PrecedentParams::new().check().unwrap();
        let ix = PrecedentIndex::build(&params, items.iter().map(|(p, t)| (p.clone(), t))).unwrap();
        let best = |title: &str| {
            let q = text(title, "");
            ix.query(&q, None, 1, None)
                .first()
                .map(|n| n.precedent.case_number.clone())
        };
        assert_eq!(best("Omeprazole 20mg").as_deref(), Some("B1"));
        assert_eq!(best("Tramadol 50mg").as_deref(), Some("B2"));
        let unchanged = text("MRI of the knee", "");
        assert_eq!(
            with_drug_name(&unchanged, false, "MRI knee").title,
            unchanged.title
        );
        let generic = text("Omeprazole 20mg", "");
        assert_eq!(
            with_drug_name(&generic, true, "omeprazole").title,
            generic.title
        );
    }

    #[test]
    fn category_boost_and_filter() {
        let ix = index();
        let q = text("MRI of the knee", "Knee swelling after a fall.");
        let plain = ix.query(&q, None, 10, Some("L2"));
        assert_eq!(plain[0].row, 0, "{plain:?}");
        // Rehabilitation boosted: the therapy item of L1 first, with its similarity unchanged.
        let boosted = ix.query_with(
            &q,
            Some(Category::Rehabilitation),
            10,
            Some("L2"),
            &Search {
                category_boost: 1.0,
                ..Search::default()
            },
        );
        assert_eq!(boosted[0].row, 1);
        let before = plain.iter().find(|n| n.row == 1).unwrap();
        assert_eq!(boosted[0].similarity, before.similarity);
        assert!((boosted[0].score - (before.similarity + 1.0)).abs() < 1e-6);
        let others = |n: &[Neighbour<'_>]| -> Vec<usize> {
            rows(n).into_iter().filter(|&r| r != 1).collect()
        };
        assert_eq!(others(&boosted), others(&plain));
        let only = ix.query_with(
            &q,
            Some(Category::DiagnosticTesting),
            10,
            None,
            &Search {
                category_only: true,
                ..Search::default()
            },
        );
        assert!(!only.is_empty());
        assert!(only
            .iter()
            .all(|n| n.precedent.category == Category::DiagnosticTesting));
        // A category alone finds nothing: the boost ranks only items that share a term.
        let none = ix.query(&text("zzzz", ""), Some(Category::Pharmaceuticals), 10, None);
        assert!(none.is_empty());
    }

    #[test]
    fn empty_and_unknown_queries_have_no_neighbours() {
        let ix = index();
        assert!(ix.query(&ItemText::default(), None, 5, None).is_empty());
        assert!(ix
            .query(&text("qwerty", "zxcvb asdfg"), None, 5, None)
            .is_empty());
        assert!(ix.query(&corpus()[0].1, None, 0, None).is_empty());
        // Only stored items that share a term come back, however many are asked for.
        let norco = ix.query(&text("Norco", ""), None, 5, None);
        assert_eq!(rows(&norco), [4]);
    }

    #[test]
    fn ties_go_to_the_lower_row_every_time() {
        let t = text("Acupuncture six sessions", "Neck pain for a year.");
        let items: Vec<(Precedent, &ItemText)> = (0..6)
            .map(|i| (item(&format!("C{i}"), 1, Category::Rehabilitation), &t))
            .collect();
        let params = PrecedentParams::new().check().unwrap();
        let ix = PrecedentIndex::build(&params, items.clone()).unwrap();
        let near = ix.query(&t, None, 3, Some("C1"));
        assert_eq!(rows(&near), [0, 2, 3]);
        for _ in 0..3 {
            assert_eq!(ix.query(&t, None, 3, Some("C1")), near);
        }
        let again = PrecedentIndex::build(&params, items).unwrap();
        assert_eq!(again, ix);
        assert_eq!(again.query(&t, None, 3, Some("C1")), near);
    }

    #[test]
    fn serde_round_trip_answers_alike() {
        let ix = index();
        let json = serde_json::to_string(&ix).unwrap();
        let back: PrecedentIndex = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ix);
        assert_eq!(back.postings.start, ix.postings.start);
        let q = text("MRI of the knee", "Knee swelling after a fall.");
        for c in [None, Some(Category::Rehabilitation)] {
            assert_eq!(back.query(&q, c, 5, None), ix.query(&q, c, 5, None));
        }
        for r in 0..ix.len() {
            assert_eq!(back.query_row(r, None, 3), ix.query_row(r, None, 3));
        }
        // The saved form is the CSR arrays, not the postings.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "indices",
                "indptr",
                "params",
                "precedents",
                "tfidf",
                "values"
            ]
        );
        // Damaged files are refused with what is wrong, never a panic.
        let mut bad = v.clone();
        bad["indptr"][1] = serde_json::json!(1_000_000);
        let err = serde_json::from_value::<PrecedentIndex>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("indptr"), "{err}");
        let mut bad = v.clone();
        bad["indices"][0] = serde_json::json!(u32::MAX);
        let err = serde_json::from_value::<PrecedentIndex>(bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("column"), "{err}");
        let mut bad = v;
        bad["precedents"].as_array_mut().unwrap().pop();
        assert!(serde_json::from_value::<PrecedentIndex>(bad).is_err());
    }

    #[test]
    fn the_approximation_agrees_where_it_takes_every_term() {
        let ix = index();
        let q = text("MRI of the knee", "Knee swelling after a fall.");
        let exact = ix.query_with(&q, None, 3, None, &Search::default().exact());
        assert_eq!(ix.query(&q, None, 3, None), exact);
        // One term only (the heaviest) still finds items, scored exactly.
        let one = Search {
            max_terms: Some(1),
            ..Search::default()
        };
        let few = ix.query_with(&q, None, 3, None, &one);
        assert!(!few.is_empty());
        for n in &few {
            let e = ix.query_with(&q, None, 5, None, &Search::default().exact());
            let want = e.iter().find(|m| m.row == n.row).unwrap();
            assert_eq!(n.similarity, want.similarity);
        }
    }

    proptest::proptest! {
        /// The seek finds what a search of the whole rest of the list finds.
        #[test]
        fn seek_is_a_partition_point(
            mut rows in proptest::collection::vec(0u32..5000, 0..300),
            from in 0usize..320,
            r in 0u32..5100,
        ) {
            rows.sort_unstable();
            rows.dedup();
            let from = from.min(rows.len());
            let want = from + rows[from..].partition_point(|&x| x < r);
            proptest::prop_assert_eq!(seek(&rows, from, r), want);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_query_is_ranked_and_bounded(
            title in "[a-zA-Z0-9 #/.-]{0,40}",
            summary in "[a-z .,]{0,200}",
            k in 0usize..8,
            exclude in proptest::option::of("L[1-5]"),
        ) {
            let ix = index();
            let near = ix.query(&text(&title, &summary), None, k, exclude.as_deref());
            proptest::prop_assert!(near.len() <= k);
            for w in near.windows(2) {
                proptest::prop_assert!(
                    w[0].score > w[1].score || (w[0].score == w[1].score && w[0].row < w[1].row)
                );
            }
            for n in &near {
                proptest::prop_assert!(n.similarity > 0.0 && n.similarity <= 1.0);
                proptest::prop_assert!(Some(&n.precedent.case_number) != exclude.as_ref());
            }
        }
    }

    #[test]
    fn settings_are_checked() {
        assert!(PrecedentParams::new().title_share(1.5).check().is_err());
        for s in [
            Search {
                category_boost: f32::NAN,
                ..Search::default()
            },
            Search {
                max_terms: Some(0),
                ..Search::default()
            },
            Search {
                postings_per_row: Some(0.5),
                ..Search::default()
            },
            Search {
                rerank: 0,
                ..Search::default()
            },
        ] {
            let err = PrecedentParams::new().search(s).check().unwrap_err();
            assert!(err.to_string().contains("search."), "{err}");
        }
        let params = PrecedentParams::new().check().unwrap();
        let none: Vec<(Precedent, &ItemText)> = Vec::new();
        assert!(PrecedentIndex::build(&params, none).is_err());
        // A model file holds one and scores on every core.
        fn shared<T: Send + Sync>() {}
        shared::<PrecedentIndex>();
    }
}

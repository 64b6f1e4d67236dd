//! Sparse TF-IDF with scikit-learn's options and numbers, fitted once and applied with the stored
//! IDF.

use super::count::{count_sorted, TermCounts};
use super::{Namespace, Term};
use crate::error::{Error, Result};
use hashbrown::HashTable;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sprs::CsMatI;
use std::hash::BuildHasher;
use std::ops::Range;
use std::sync::LazyLock;

/// Rows a thread weighs at a time in [`TfIdf::transform_counts`].
const TRANSFORM_BLOCK: usize = 2048;

/// Sparse feature rows: CSR with `u32` column indices (4 bytes a non-zero less than `usize`).
pub type SparseRows = CsMatI<f64, u32, usize>;

/// A document-frequency bound: an absolute count of documents or a fraction of them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocFreq {
    Count(usize),
    Fraction(f64),
}

impl std::fmt::Display for DocFreq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DocFreq::Count(c) => write!(f, "{c} documents"),
            DocFreq::Fraction(x) => write!(f, "{x} of the documents"),
        }
    }
}

impl DocFreq {
    /// The bound in documents, as scikit-learn computes it (`fraction * n_docs`, not rounded).
    fn docs(self, n_docs: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Fraction(f) => f * n_docs as f64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    L1,
    L2,
    None,
}

/// Terms kept out of the TF-IDF weighting: each present term is a binary indicator of value
/// `weight`, outside the row norm. For a few hand-written cue terms among thousands of n-grams:
/// weighted and normalised like the n-grams, a cue's value shrinks with the length of the text and
/// with its own frequency (a low IDF), while the codebook means it as the same evidence in every
/// rationale. Measured on the theme models (5x3 CV): see `ThemeParams::default`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "IndicatorsRepr", into = "IndicatorsRepr")]
pub struct Indicators {
    /// The terms of this namespace are indicators (in a file, its prefix: `"prefix": "c:"`).
    pub namespace: Namespace,
    pub weight: f64,
}

/// [`Indicators`] as a file spells them: the namespace by its prefix.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IndicatorsRepr {
    prefix: String,
    weight: f64,
}

impl TryFrom<IndicatorsRepr> for Indicators {
    type Error = String;
    fn try_from(r: IndicatorsRepr) -> std::result::Result<Self, String> {
        let namespace = Namespace::from_prefix(&r.prefix).ok_or_else(|| {
            format!(
                "indicators.prefix {:?} is no term prefix (one of {})",
                r.prefix,
                Namespace::prefixes()
            )
        })?;
        Ok(Indicators {
            namespace,
            weight: r.weight,
        })
    }
}

impl From<Indicators> for IndicatorsRepr {
    fn from(i: Indicators) -> Self {
        IndicatorsRepr {
            prefix: i.namespace.prefix().into(),
            weight: i.weight,
        }
    }
}

fn yes() -> bool {
    true
}

fn is_yes(v: &bool) -> bool {
    *v
}

/// Checked TF-IDF hyperparameters (scikit-learn's names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct TfIdfValidParams {
    /// Weight terms by IDF (scikit-learn's `use_idf`). Off, every weight is 1: term frequencies,
    /// normalised. Written to a model file only when off, so files from before it read as on.
    use_idf: bool,
    smooth_idf: bool,
    sublinear_tf: bool,
    norm: Norm,
    min_df: DocFreq,
    max_df: DocFreq,
    max_features: Option<usize>,
    indicators: Option<Indicators>,
}

/// [`TfIdfValidParams`] as serde reads and writes it. The functions serde derives
/// for it are private to this module; the public serde impls (`checked_params!`) call them and
/// check what they read.
#[derive(Serialize, Deserialize)]
#[serde(remote = "TfIdfValidParams", deny_unknown_fields)]
struct TfIdfSerde {
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    use_idf: bool,
    smooth_idf: bool,
    sublinear_tf: bool,
    norm: Norm,
    min_df: DocFreq,
    max_df: DocFreq,
    max_features: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    indicators: Option<Indicators>,
}

/// Unchecked TF-IDF hyperparameters; `check()` (linfa's `ParamGuard`) validates them.
#[derive(Debug, Clone, PartialEq)]
pub struct TfIdfParams(TfIdfValidParams);

impl Default for TfIdfParams {
    fn default() -> Self {
        TfIdfParams(TfIdfValidParams {
            use_idf: true,
            smooth_idf: true,
            sublinear_tf: false,
            norm: Norm::L2,
            min_df: DocFreq::Count(1),
            max_df: DocFreq::Fraction(1.0),
            max_features: None,
            indicators: None,
        })
    }
}

impl TfIdfParams {
    pub fn new() -> Self {
        Self::default()
    }
}

checked_params!(TfIdfParams => TfIdfValidParams as TfIdfSerde, validate;
    use_idf: bool, smooth_idf: bool, sublinear_tf: bool, norm: Norm, min_df: DocFreq, max_df: DocFreq,
    max_features: Option<usize>;
    ref indicators: Option<Indicators>);

fn validate(p: &TfIdfValidParams) -> Result<()> {
    for (name, df) in [("min_df", p.min_df), ("max_df", p.max_df)] {
        if let DocFreq::Fraction(f) = df {
            if !(0.0..=1.0).contains(&f) {
                return Err(Error::InvalidParam {
                    name,
                    value: crate::error::num(f),
                    reason: "a fraction must lie in [0, 1]",
                });
            }
        }
    }
    // A term is kept in at most max_df documents: none at 0, so no model could be fitted.
    if matches!(p.max_df, DocFreq::Count(0)) || p.max_df == DocFreq::Fraction(0.0) {
        return Err(Error::InvalidParam {
            name: "max_df",
            value: p.max_df.to_string(),
            reason: "it keeps no term: give a fraction above 0 or a count of 1 or more",
        });
    }
    // Counts and fractions compare within their kind; across kinds it takes the corpus's size.
    let below = match (p.min_df, p.max_df) {
        (DocFreq::Count(lo), DocFreq::Count(hi)) => (hi < lo).then(|| hi.to_string()),
        (DocFreq::Fraction(lo), DocFreq::Fraction(hi)) => (hi < lo).then(|| hi.to_string()),
        _ => None,
    };
    if let Some(value) = below {
        return Err(Error::InvalidParam {
            name: "max_df",
            value,
            reason: "max_df is below min_df",
        });
    }
    if let Some(ind) = &p.indicators {
        if ind.namespace == Namespace::Bare {
            return Err(Error::InvalidParam {
                name: "indicators.prefix",
                value: String::new(),
                reason: "must not be empty",
            });
        }
        if !(ind.weight.is_finite() && ind.weight > 0.0) {
            return Err(Error::InvalidParam {
                name: "indicators.weight",
                value: crate::error::num(ind.weight),
                reason: "must be finite and positive",
            });
        }
    }
    if p.max_features == Some(0) {
        return Err(Error::InvalidParam {
            name: "max_features",
            value: "0".into(),
            reason: "must be at least 1",
        });
    }
    Ok(())
}

/// A fitted TF-IDF: the vocabulary (column order = sorted spellings), each term's namespace, and
/// its IDF weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "TfIdfRepr", into = "TfIdfRepr")]
pub struct TfIdf {
    params: TfIdfValidParams,
    vocabulary: Vec<String>,
    /// Beside each term of `vocabulary`, its namespace: from the counts it was fitted on, or read
    /// from its spelling as the file is loaded.
    namespaces: Vec<Namespace>,
    idf: Vec<f64>,
    index: TermIndex,
    /// The columns of the indicator terms ([`namespace_run`]).
    indicator_cols: Range<u32>,
}

/// The columns of `namespace`'s terms in a vocabulary sorted by spelling: one run, as a
/// namespace's terms share a prefix that begins no other's.
fn namespace_run(namespaces: &[Namespace], namespace: Namespace) -> Range<u32> {
    let first = namespaces.iter().position(|&n| n == namespace);
    let last = namespaces.iter().rposition(|&n| n == namespace);
    match first.zip(last) {
        Some((lo, hi)) => lo as u32..hi as u32 + 1,
        None => 0..0,
    }
}

/// The columns of the indicator terms.
fn indicator_cols(params: &TfIdfValidParams, namespaces: &[Namespace]) -> Range<u32> {
    match &params.indicators {
        Some(ind) => namespace_run(namespaces, ind.namespace),
        None => 0..0,
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TfIdfRepr {
    params: TfIdfValidParams,
    vocabulary: Vec<String>,
    idf: Vec<f64>,
}

impl TryFrom<TfIdfRepr> for TfIdf {
    type Error = String;
    fn try_from(r: TfIdfRepr) -> std::result::Result<Self, String> {
        if r.vocabulary.len() != r.idf.len() {
            return Err(format!(
                "vocabulary has {} terms but idf has {} weights",
                r.vocabulary.len(),
                r.idf.len()
            ));
        }
        if r.vocabulary.windows(2).any(|w| w[0] >= w[1]) {
            return Err("vocabulary is not sorted and unique".into());
        }
        let index = TermIndex::new(&r.vocabulary);
        // The file spells each term's namespace as its prefix: read here, and nowhere else.
        let namespaces: Vec<Namespace> = r.vocabulary.iter().map(|t| Namespace::parse(t)).collect();
        let indicator_cols = indicator_cols(&r.params, &namespaces);
        Ok(TfIdf {
            params: r.params,
            vocabulary: r.vocabulary,
            namespaces,
            idf: r.idf,
            index,
            indicator_cols,
        })
    }
}

impl From<TfIdf> for TfIdfRepr {
    fn from(t: TfIdf) -> Self {
        TfIdfRepr {
            params: t.params,
            vocabulary: t.vocabulary,
            idf: t.idf,
        }
    }
}

impl TfIdfValidParams {
    /// Learns the vocabulary and IDF from all documents of `counts`.
    pub fn fit(&self, counts: &TermCounts) -> Result<TfIdf> {
        Ok(self.fit_rows(counts, &all_rows(counts))?.0)
    }

    /// Fits and transforms all documents of `counts`.
    pub fn fit_transform(&self, counts: &TermCounts) -> Result<(TfIdf, SparseRows)> {
        let rows = all_rows(counts);
        let (tfidf, cols) = self.fit_rows(counts, &rows)?;
        let x = tfidf.transform_counts(counts, &rows, &cols);
        Ok((tfidf, x))
    }

    /// Fits and transforms all documents, consuming the counts: the matrix reuses their term-id
    /// buffer as its column indices, so counts and matrix are never both held in full (the memory
    /// peak of training).
    pub fn fit_transform_owned(&self, counts: TermCounts) -> Result<(TfIdf, SparseRows)> {
        let (tfidf, cols) = self.fit_rows(&counts, &all_rows(&counts))?;
        let mut parts = counts.into_parts();
        let old_indptr = std::mem::take(&mut parts.indptr);
        let mut ids = std::mem::take(&mut parts.ids);
        let n = old_indptr.len() - 1;
        // The new row starts: each row keeps its terms that have a column.
        let kept: Vec<usize> = (0..n)
            .into_par_iter()
            .map(|r| {
                ids[old_indptr[r]..old_indptr[r + 1]]
                    .iter()
                    .filter(|&&id| cols.column(id).is_some())
                    .count()
            })
            .collect();
        let mut indptr = Vec::with_capacity(n + 1);
        indptr.push(0);
        for k in kept {
            indptr.push(indptr[indptr.len() - 1] + k);
        }
        let mut data = vec![0.0; indptr[n]];
        // Blocks of rows in parallel; each compacts its column indices leftwards inside its own
        // stretch of `ids` (rows only shrink) and writes its values straight to their place in
        // `data`.
        let blocks: Vec<(usize, usize)> = (0..n)
            .step_by(BLOCK_ROWS)
            .map(|r| (r, (r + BLOCK_ROWS).min(n)))
            .collect();
        {
            let mut id_parts: Vec<&mut [u32]> = Vec::with_capacity(blocks.len());
            let mut data_parts: Vec<&mut [f64]> = Vec::with_capacity(blocks.len());
            let (mut id_rest, mut data_rest) = (ids.as_mut_slice(), data.as_mut_slice());
            for &(r0, r1) in &blocks {
                let (a, b) =
                    std::mem::take(&mut id_rest).split_at_mut(old_indptr[r1] - old_indptr[r0]);
                id_parts.push(a);
                id_rest = b;
                let (a, b) = std::mem::take(&mut data_rest).split_at_mut(indptr[r1] - indptr[r0]);
                data_parts.push(a);
                data_rest = b;
            }
            let parts = &parts;
            blocks
                .par_iter()
                .zip(id_parts)
                .zip(data_parts)
                .for_each(|((&(r0, r1), ids), data)| {
                    let (base, mut write) = (old_indptr[r0], 0);
                    let mut row: Vec<(u32, u32)> = Vec::new();
                    for r in r0..r1 {
                        cols.fill_row(
                            (old_indptr[r]..old_indptr[r + 1])
                                .map(|k| (ids[k - base], parts.count(k))),
                            &mut row,
                        );
                        let len = row.len();
                        tfidf.weigh_into(
                            &row,
                            &mut ids[write..write + len],
                            &mut data[indptr[r] - indptr[r0]..indptr[r + 1] - indptr[r0]],
                        );
                        write += len;
                    }
                });
        }
        drop(parts);
        // Close the gaps between the blocks' compacted stretches, in order (always a move
        // leftwards).
        for &(r0, r1) in &blocks {
            ids.copy_within(
                old_indptr[r0]..old_indptr[r0] + (indptr[r1] - indptr[r0]),
                indptr[r0],
            );
        }
        ids.truncate(indptr[n]);
        ids.shrink_to_fit();
        let shape = (n, tfidf.n_features());
        Ok((tfidf, SparseRows::new(shape, indptr, ids, data)))
    }

    /// Learns the vocabulary and IDF from the documents `rows` of `counts` only (a training fold),
    /// and returns with it the column of every term id of `counts`, to transform any of its rows
    /// without strings.
    pub fn fit_rows(&self, counts: &TermCounts, rows: &[usize]) -> Result<(TfIdf, Columns)> {
        let n = rows.len();
        if n == 0 {
            return Err(Error::NothingToFit {
                stage: "TF-IDF fit",
                what: "training documents",
            });
        }
        let terms = counts.terms();
        let nt = terms.len();
        let mut df = vec![0u32; nt];
        let mut tf = vec![0u64; nt];
        for &r in rows {
            for (id, c) in counts.doc(r) {
                df[id as usize] += 1;
                tf[id as usize] += u64::from(c);
            }
        }
        let kept = self.kept_terms(terms, &df, &tf, n)?;
        let mut cols = vec![NO_COLUMN; nt];
        let mut vocabulary = Vec::with_capacity(kept.len());
        let mut namespaces = Vec::with_capacity(kept.len());
        let mut idf = Vec::with_capacity(kept.len());
        let s = if self.smooth_idf { 1.0 } else { 0.0 };
        for (col, &id) in kept.iter().enumerate() {
            cols[id as usize] = col as u32;
            vocabulary.push(terms[id as usize].clone());
            namespaces.push(counts.namespaces()[id as usize]);
            idf.push(if self.use_idf {
                ((n as f64 + s) / (f64::from(df[id as usize]) + s)).ln() + 1.0
            } else {
                1.0
            });
        }
        let index = TermIndex::new(&vocabulary);
        let indicator_cols = indicator_cols(self, &namespaces);
        Ok((
            TfIdf {
                params: self.clone(),
                vocabulary,
                namespaces,
                idf,
                index,
                indicator_cols,
            },
            Columns(cols),
        ))
    }

    /// The ids of the terms kept (document frequency between the bounds, the most frequent
    /// `max_features`), in the columns' order: by spelling, the same on every run and machine,
    /// whatever order terms were first seen in.
    fn kept_terms(&self, terms: &[String], df: &[u32], tf: &[u64], n: usize) -> Result<Vec<u32>> {
        let (lo, hi) = (self.min_df.docs(n), self.max_df.docs(n));
        let mut kept: Vec<u32> = (0..terms.len() as u32)
            .filter(|&i| {
                df[i as usize] > 0
                    && f64::from(df[i as usize]) >= lo
                    && f64::from(df[i as usize]) <= hi
            })
            .collect();
        if let Some(limit) = self.max_features {
            if kept.len() > limit {
                // Most frequent terms first; ties by term so the choice is the same on every run.
                kept.sort_by(|&a, &b| {
                    tf[b as usize]
                        .cmp(&tf[a as usize])
                        .then_with(|| terms[a as usize].cmp(&terms[b as usize]))
                });
                kept.truncate(limit);
            }
        }
        if kept.is_empty() {
            return Err(Error::NoTermsLeft {
                min_df: self.min_df.to_string(),
                max_df: self.max_df.to_string(),
                documents: n,
            });
        }
        kept.sort_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        Ok(kept)
    }
}

/// Each term's column, for lookups: a table of columns hashed by their terms' spelling, which
/// stays in the vocabulary (a map of cloned strings made loading a model mostly allocation).
#[derive(Clone, Default)]
struct TermIndex(HashTable<u32>);

impl TermIndex {
    fn new(vocabulary: &[String]) -> Self {
        let mut table = HashTable::with_capacity(vocabulary.len());
        for (i, t) in vocabulary.iter().enumerate() {
            table.insert_unique(hash(t), i as u32, |&c| hash(&vocabulary[c as usize]));
        }
        TermIndex(table)
    }

    /// The column of `term` in `vocabulary`, the one this index was made from.
    fn get(&self, vocabulary: &[String], term: &str) -> Option<u32> {
        self.0
            .find(hash(term), |&c| vocabulary[c as usize] == term)
            .copied()
    }
}

fn hash(term: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(term)
}

/// Made from the vocabulary, so it is equal wherever the vocabularies are (compared beside it).
impl PartialEq for TermIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for TermIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TermIndex({} terms)", self.0.len())
    }
}

fn all_rows(counts: &TermCounts) -> Vec<usize> {
    (0..counts.len()).collect()
}

const NO_COLUMN: u32 = u32::MAX;

/// Rows per parallel block of the in-place transform.
const BLOCK_ROWS: usize = 1024;

/// The TF-IDF column of each term id of one [`TermCounts`] (`u32::MAX` where the term is not in the
/// vocabulary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns(Vec<u32>);

impl Columns {
    /// The column of a term id, if the term is in the vocabulary.
    fn column(&self, id: u32) -> Option<u32> {
        Some(self.0[id as usize]).filter(|&c| c != NO_COLUMN)
    }

    /// A document's (term id, count) pairs as (column, count), terms outside the vocabulary
    /// dropped, in column order, into `row`.
    fn fill_row(&self, pairs: impl Iterator<Item = (u32, u32)>, row: &mut Vec<(u32, u32)>) {
        row.clear();
        for (id, c) in pairs {
            if let Some(col) = self.column(id) {
                row.push((col, c));
            }
        }
        // Bulk-counted ids are in spelling order, as columns are: their rows come out sorted.
        if !row.is_sorted_by_key(|p| p.0) {
            row.sort_unstable();
        }
    }
}

impl TfIdf {
    /// Each column's term, spelled (its namespace's prefix, then its text).
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }
    /// Each column's namespace.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }
    /// The term of column `col`: its namespace and its text.
    pub fn term(&self, col: usize) -> Term<'_> {
        Term::of_spelling(self.namespaces[col], &self.vocabulary[col])
    }
    /// The columns of `namespace`'s terms (one run, empty without any).
    pub fn namespace_cols(&self, namespace: Namespace) -> Range<u32> {
        namespace_run(&self.namespaces, namespace)
    }
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }
    pub fn params(&self) -> &TfIdfValidParams {
        &self.params
    }
    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }
    pub fn column(&self, term: &str) -> Option<usize> {
        self.index.get(&self.vocabulary, term).map(|c| c as usize)
    }

    /// Where the terms of `counts` fall in this vocabulary (one lookup per distinct term).
    pub fn columns(&self, counts: &TermCounts) -> Columns {
        Columns(
            counts
                .terms()
                .iter()
                .map(|t| self.index.get(&self.vocabulary, t).unwrap_or(NO_COLUMN))
                .collect(),
        )
    }

    /// Transforms the documents `rows` of `counts`, with `cols` from [`TfIdf::columns`] or the fit.
    pub fn transform_counts(
        &self,
        counts: &TermCounts,
        rows: &[usize],
        cols: &Columns,
    ) -> SparseRows {
        // Blocks of rows are weighed in parallel, each into its own stretch of the output, as long
        // as its rows' distinct terms (a bound: pruned terms drop out), then closed up in order in
        // place: each row is computed alone, so the matrix is the same on any number of threads,
        // and no second copy of it is made.
        let blocks: Vec<&[usize]> = rows.chunks(TRANSFORM_BLOCK).collect();
        let bounds: Vec<usize> = blocks
            .iter()
            .map(|b| b.iter().map(|&r| counts.doc_ids(r).len()).sum())
            .collect();
        let nnz: usize = bounds.iter().sum();
        let mut indices: Vec<u32> = vec![0; nnz];
        let mut data: Vec<f64> = vec![0.0; nnz];
        let mut stretches = Vec::with_capacity(blocks.len());
        let (mut idx_rest, mut val_rest) = (&mut indices[..], &mut data[..]);
        for &n in &bounds {
            let (i, ir) = std::mem::take(&mut idx_rest).split_at_mut(n);
            let (v, vr) = std::mem::take(&mut val_rest).split_at_mut(n);
            stretches.push((i, v));
            (idx_rest, val_rest) = (ir, vr);
        }
        let ends: Vec<Vec<usize>> = blocks
            .into_par_iter()
            .zip(stretches)
            .map(|(block, (out_idx, out_val))| {
                let mut row: Vec<(u32, u32)> = Vec::new();
                let mut ends = Vec::with_capacity(block.len());
                let mut at = 0;
                for &r in block {
                    cols.fill_row(counts.doc(r), &mut row);
                    let next = at + row.len();
                    self.weigh_into(&row, &mut out_idx[at..next], &mut out_val[at..next]);
                    at = next;
                    ends.push(at);
                }
                ends
            })
            .collect();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        indptr.push(0usize);
        let (mut from, mut to) = (0, 0);
        for (ends, bound) in ends.iter().zip(&bounds) {
            let n = ends.last().copied().unwrap_or(0);
            indices.copy_within(from..from + n, to);
            data.copy_within(from..from + n, to);
            indptr.extend(ends.iter().map(|e| to + e));
            (from, to) = (from + bound, to + n);
        }
        indices.truncate(to);
        data.truncate(to);
        // The bound's rest is given back.
        indices.shrink_to_fit();
        data.shrink_to_fit();
        SparseRows::new((rows.len(), self.vocabulary.len()), indptr, indices, data)
    }

    /// Transforms new documents given as term strings, with the stored vocabulary and IDF; unknown
    /// terms are ignored.
    pub fn transform<D, S>(&self, docs: impl IntoIterator<Item = D>) -> SparseRows
    where
        D: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut indptr = vec![0usize];
        let mut indices = Vec::new();
        let mut data = Vec::new();
        for d in docs {
            let row = count_sorted(
                d.into_iter()
                    .filter_map(|t| self.index.get(&self.vocabulary, t.as_ref()))
                    .collect(),
            );
            self.weigh(&row, &mut indices, &mut data);
            indptr.push(indices.len());
        }
        SparseRows::new(
            (indptr.len() - 1, self.vocabulary.len()),
            indptr,
            indices,
            data,
        )
    }

    /// Weights one row, (column, count) pairs in column order, into slices of its length: tf (raw
    /// or 1 + ln) times idf, then normalised; indicator terms (a run of the row, as of the
    /// vocabulary) take their fixed weight, outside the norm.
    fn weigh_into(&self, row: &[(u32, u32)], out_idx: &mut [u32], out_val: &mut [f64]) {
        for ((&(col, c), i), v) in row.iter().zip(out_idx.iter_mut()).zip(out_val.iter_mut()) {
            let tf = if self.params.sublinear_tf {
                sublinear_tf(c)
            } else {
                f64::from(c)
            };
            *i = col;
            *v = tf * self.idf[col as usize];
        }
        let ind = &self.indicator_cols;
        let lo = row.partition_point(|&(col, _)| col < ind.start);
        let hi = row.partition_point(|&(col, _)| col < ind.end);
        if let Some(i) = &self.params.indicators {
            out_val[lo..hi].fill(i.weight);
        }
        let (head, rest) = out_val.split_at_mut(lo);
        let tail = &mut rest[hi - lo..];
        let norm = match self.params.norm {
            Norm::L2 => head
                .iter()
                .chain(tail.iter())
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt(),
            Norm::L1 => head.iter().chain(tail.iter()).map(|v| v.abs()).sum::<f64>(),
            Norm::None => 1.0,
        };
        if norm > 0.0 {
            head.iter_mut()
                .chain(tail.iter_mut())
                .for_each(|v| *v /= norm);
        }
    }

    /// One document's (column, count) pairs, columns ascending and distinct, weighted as
    /// [`TfIdf::transform_counts`] weighs a row: its columns and values.
    pub fn weigh_row(&self, row: &[(u32, u32)]) -> (Vec<u32>, Vec<f64>) {
        let (mut idx, mut val) = (Vec::new(), Vec::new());
        self.weigh(row, &mut idx, &mut val);
        (idx, val)
    }

    /// [`TfIdf::weigh_into`], appended to growing buffers.
    fn weigh(&self, row: &[(u32, u32)], out_idx: &mut Vec<u32>, out_val: &mut Vec<f64>) {
        let (i0, v0) = (out_idx.len(), out_val.len());
        out_idx.resize(i0 + row.len(), 0);
        out_val.resize(v0 + row.len(), 0.0);
        self.weigh_into(row, &mut out_idx[i0..], &mut out_val[v0..]);
    }
}

/// `1 + ln(c)`: nearly every count is small, and those are looked up (the same values, computed
/// once by the same function).
fn sublinear_tf(c: u32) -> f64 {
    static SMALL: LazyLock<[f64; 32]> =
        LazyLock::new(|| std::array::from_fn(|c| 1.0 + (c as f64).ln()));
    match SMALL.get(c as usize) {
        Some(&v) => v,
        None => 1.0 + f64::from(c).ln(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;

    /// The looked-up sublinear counts are the computed ones, bit for bit, on both sides of the
    /// table's end.
    #[test]
    fn sublinear_tf_is_one_plus_ln() {
        for c in 0..100u32 {
            let want = 1.0 + f64::from(c).ln();
            assert_eq!(sublinear_tf(c).to_bits(), want.to_bits(), "{c}");
        }
    }

    fn counts(docs: &[&str]) -> TermCounts {
        let mut c = TermCounts::new();
        for d in docs {
            c.push(d.split_whitespace());
        }
        c
    }

    #[test]
    fn sklearn_default_formula() {
        let c = counts(&["a b b", "b c"]);
        let (t, x) = TfIdfParams::new()
            .check()
            .unwrap()
            .fit_transform(&c)
            .unwrap();
        assert_eq!(t.vocabulary(), &["a", "b", "c"]);
        // idf = ln((1+n)/(1+df)) + 1
        let idf_a = (3.0f64 / 2.0).ln() + 1.0;
        assert!((t.idf()[0] - idf_a).abs() < 1e-12 && (t.idf()[1] - 1.0).abs() < 1e-12);
        let (wa, wb) = (idf_a, 2.0);
        let n = (wa * wa + wb * wb).sqrt();
        let row = x.outer_view(0).unwrap();
        assert!((row.get(0).unwrap() - wa / n).abs() < 1e-12);
        assert!((row.get(1).unwrap() - wb / n).abs() < 1e-12);
        // transform of a new doc uses the stored idf, unknown terms dropped
        let y = t.transform([vec!["a", "zzz"]]);
        assert_eq!(y.nnz(), 1);
        assert!((y.outer_view(0).unwrap().get(0).unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn without_idf_rows_are_normalised_term_frequencies() {
        let c = counts(&["a b b", "b c"]);
        let p = TfIdfParams::new().use_idf(false).check().unwrap();
        let (t, x) = p.fit_transform(&c).unwrap();
        assert_eq!(t.idf(), &[1.0, 1.0, 1.0]);
        let n = 5.0f64.sqrt();
        let row = x.outer_view(0).unwrap();
        assert!(
            (row.get(0).unwrap() - 1.0 / n).abs() < 1e-12
                && (row.get(1).unwrap() - 2.0 / n).abs() < 1e-12
        );
        // Saved only when off: a file without the key reads as on, this one round-trips off.
        let on = serde_json::to_string(&TfIdfParams::new().check().unwrap()).unwrap();
        assert!(!on.contains("use_idf"));
        assert!(
            serde_json::from_str::<TfIdfValidParams>(&on)
                .unwrap()
                .use_idf
        );
        let back: TfIdf = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert!(!back.params().use_idf);
    }

    #[test]
    fn pruning_and_limits() {
        let c = counts(&["a b c", "a b", "a d"]);
        let p = TfIdfParams::new()
            .min_df(DocFreq::Count(2))
            .max_df(DocFreq::Fraction(0.9))
            .check()
            .unwrap();
        assert_eq!(p.fit(&c).unwrap().vocabulary(), &["b"]);
        let p = TfIdfParams::new().max_features(Some(2)).check().unwrap();
        assert_eq!(p.fit(&c).unwrap().vocabulary(), &["a", "b"]);
        assert!(TfIdfParams::new()
            .min_df(DocFreq::Count(3))
            .max_df(DocFreq::Count(1))
            .check()
            .is_err());
        assert!(TfIdfParams::new()
            .max_df(DocFreq::Fraction(1.5))
            .check()
            .is_err());
        let e = TfIdfParams::new()
            .min_df(DocFreq::Fraction(0.9))
            .max_df(DocFreq::Fraction(0.1))
            .check()
            .unwrap_err();
        assert!(e.to_string().contains("max_df is below min_df"), "{e}");
        // No document may hold a term: refused before any is read.
        for none in [DocFreq::Fraction(0.0), DocFreq::Count(0)] {
            let e = TfIdfParams::new().max_df(none).check().unwrap_err();
            assert!(e.to_string().contains("it keeps no term"), "{e}");
        }
        let p = TfIdfParams::new()
            .min_df(DocFreq::Count(9))
            .check()
            .unwrap();
        assert!(p
            .fit(&c)
            .unwrap_err()
            .to_string()
            .contains("no terms remain"));
    }

    #[test]
    fn in_place_transform_equals_the_copying_one() {
        // Over two parallel blocks, with pruning (rows shrink) and counts past a byte.
        let docs: Vec<String> = (0..2500)
            .map(|i| {
                let mut d = format!("w{} w{} common x{} ", i % 7, i % 13, i);
                if i % 500 == 0 {
                    d.push_str(&"many ".repeat(300));
                }
                d
            })
            .collect();
        let c = counts(&docs.iter().map(String::as_str).collect::<Vec<_>>());
        for p in [
            TfIdfParams::new(),
            TfIdfParams::new()
                .sublinear_tf(true)
                .min_df(DocFreq::Count(2))
                .max_df(DocFreq::Fraction(0.9)),
        ] {
            let p = p.check().unwrap();
            let (t1, x1) = p.fit_transform(&c).unwrap();
            let (t2, x2) = p.fit_transform_owned(c.clone()).unwrap();
            assert_eq!(t1, t2);
            assert_eq!(x1, x2);
            // Row by row, serially, from the terms: what the blocks joined must equal.
            assert_eq!(t1.transform(docs.iter().map(|d| d.split_whitespace())), x1);
        }
    }

    #[test]
    fn indicators_take_their_weight_outside_the_norm() {
        let (word, cue) = (|t| (Namespace::Bare, t), |t| (Namespace::Cue, t));
        let mut c = TermCounts::new();
        c.push_terms([word("a"), word("b"), cue("x")]);
        c.push_terms([word("b"), cue("x"), cue("y")]);
        c.push_terms([word("a")]);
        let ind = || {
            Some(Indicators {
                namespace: Namespace::Cue,
                weight: 0.3,
            })
        };
        let p = TfIdfParams::new().indicators(ind()).check().unwrap();
        let (t, x) = p.fit_transform(&c).unwrap();
        assert_eq!(t.vocabulary(), &["a", "b", "c:x", "c:y"]);
        assert_eq!(
            (t.namespace_cols(Namespace::Cue), t.term(3).text),
            (2..4, "y")
        );
        let plain = TfIdfParams::new()
            .check()
            .unwrap()
            .fit_transform(&counts(&["a b", "b", "a"]))
            .unwrap()
            .1;
        for r in 0..3 {
            let (row, want) = (x.outer_view(r).unwrap(), plain.outer_view(r).unwrap());
            // The weighted terms are as without the indicators (their own unit norm); indicators
            // are 0.3 flat.
            for (col, v) in want.iter() {
                assert!(
                    (row.get(col).unwrap() - v).abs() < 1e-12,
                    "row {r} col {col}"
                );
            }
            for col in 2..4 {
                assert!(row.get(col).is_none_or(|&v| v == 0.3), "row {r} col {col}");
            }
        }
        assert_eq!(x.outer_view(1).unwrap().get(3), Some(&0.3));
        // The copying, in-place and string transforms agree, and the run is rebuilt on load.
        assert_eq!(p.fit_transform_owned(c.clone()).unwrap().1, x);
        let row1 = x.outer_view(1).unwrap().to_owned();
        assert_eq!(
            t.transform([vec!["b", "c:x", "c:y"]])
                .outer_view(0)
                .unwrap()
                .to_owned(),
            row1
        );
        let json = serde_json::to_string(&t).unwrap();
        assert!(
            json.contains(r#""indicators":{"prefix":"c:","weight":0.3}"#),
            "{json}"
        );
        let back: TfIdf = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        assert_eq!(
            back.transform([vec!["b", "c:x", "c:y"]])
                .outer_view(0)
                .unwrap()
                .to_owned(),
            row1
        );
        let bad = TfIdfParams::new()
            .indicators(Some(Indicators {
                namespace: Namespace::Cue,
                weight: -1.0,
            }))
            .check();
        assert!(bad.unwrap_err().to_string().contains("-1"));
        // A file's prefix names a namespace, or the file is refused; an empty one as before.
        let read = |prefix: &str| {
            let json = format!(r#"{{"prefix":"{prefix}","weight":0.3}}"#);
            serde_json::from_str::<Indicators>(&json).map_err(|e| e.to_string())
        };
        assert_eq!(
            read("r:").unwrap().namespace,
            Namespace::Field(super::super::Field::Rationale)
        );
        assert!(read("c:no").unwrap_err().contains("is no term prefix"));
        let empty = TfIdfParams::new()
            .indicators(Some(read("").unwrap()))
            .check();
        assert!(empty.unwrap_err().to_string().contains("must not be empty"));
    }

    #[test]
    fn serde_round_trip_rebuilds_index() {
        let c = counts(&["x y", "y z"]);
        let t = TfIdfParams::new().check().unwrap().fit(&c).unwrap();
        let back: TfIdf = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
        assert_eq!(back.column("z"), Some(2));
    }
}

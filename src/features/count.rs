//! Term counting: documents as interned term ids and counts, the input of TF-IDF fitting and
//! transforming.
//!
//! Counting is where the feature pipeline spends its time and memory, so it never builds a `String`
//! per term occurrence: each parallel chunk interns its words, then its n-grams as tuples of word
//! ids (integer keys), and only the distinct terms of the whole batch are ever spelled out as
//! strings.

use super::{Field, Namespace};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Documents as interned term counts, rows stored flat (CSR-like).
#[derive(Debug, Clone)]
pub struct TermCounts {
    /// Distinct terms, by id, spelled: in first-seen order after [`TermCounts::push`], in
    /// spelling order after a bulk count.
    terms: Vec<String>,
    /// Beside each term, its namespace.
    namespaces: Vec<Namespace>,
    /// Term lookup for [`TermCounts::push`]; rebuilt on demand after a bulk count.
    index: FxHashMap<String, u32>,
    indptr: Vec<usize>,
    ids: Vec<u32>,
    /// Per (document, term): its count, one byte each, as nearly every count is small; `u8::MAX`
    /// means the count is in `overflow`. Counts are the largest buffer after the ids, and fitting
    /// holds them at its peak.
    counts: Vec<u8>,
    overflow: FxHashMap<usize, u32>,
}

/// The flat parts of [`TermCounts`], for an in-place transform.
pub(crate) struct Parts {
    pub indptr: Vec<usize>,
    pub ids: Vec<u32>,
    counts: Vec<u8>,
    overflow: FxHashMap<usize, u32>,
}

impl Parts {
    pub fn count(&self, k: usize) -> u32 {
        count_at(&self.counts, &self.overflow, k, 0)
    }
}

/// Ids with repeats as (id, count), ids ascending.
pub(crate) fn count_sorted<T: Ord + Copy>(mut ids: Vec<T>) -> Vec<(T, u32)> {
    ids.sort_unstable();
    let mut out: Vec<(T, u32)> = Vec::with_capacity(ids.len());
    for id in ids {
        match out.last_mut() {
            Some((last, c)) if *last == id => *c += 1,
            _ => out.push((id, 1)),
        }
    }
    out
}

/// The count at `k` of `counts`, a slice that starts at `start` of the flat buffer.
fn count_at(counts: &[u8], overflow: &FxHashMap<usize, u32>, k: usize, start: usize) -> u32 {
    match counts[k] {
        u8::MAX => overflow[&(start + k)],
        c => u32::from(c),
    }
}

/// One document's ids (starting at `start` of the flat buffers) renumbered and sorted, with its
/// counts beside them; returns its counts past a byte at their new positions.
fn sort_renumbered(
    start: usize,
    ids: &mut [u32],
    counts: &mut [u8],
    overflow: &FxHashMap<usize, u32>,
    new_id: &[u32],
) -> Vec<(usize, u32)> {
    let mut row: Vec<(u32, u32)> = (0..ids.len())
        .map(|k| {
            (
                new_id[ids[k] as usize],
                count_at(counts, overflow, k, start),
            )
        })
        .collect();
    row.sort_unstable();
    let mut big = Vec::new();
    for (k, (id, c)) in row.into_iter().enumerate() {
        ids[k] = id;
        counts[k] = if c >= u32::from(u8::MAX) {
            big.push((start + k, c));
            u8::MAX
        } else {
            c as u8
        };
    }
    big
}

impl Default for TermCounts {
    fn default() -> Self {
        TermCounts {
            terms: Vec::new(),
            namespaces: Vec::new(),
            index: FxHashMap::default(),
            indptr: vec![0],
            ids: Vec::new(),
            counts: Vec::new(),
            overflow: FxHashMap::default(),
        }
    }
}

impl TermCounts {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one document's terms, given as plain strings: [`Namespace::Bare`] terms, whatever
    /// they look like (a string is not read for a prefix).
    pub fn push<S: AsRef<str>>(&mut self, terms: impl IntoIterator<Item = S>) {
        self.push_terms(terms.into_iter().map(|t| (Namespace::Bare, t)));
    }

    /// Adds one document's terms, each given as its namespace and its text (spelled here).
    pub fn push_terms<S: AsRef<str>>(&mut self, terms: impl IntoIterator<Item = (Namespace, S)>) {
        if self.index.len() != self.terms.len() {
            self.index = self
                .terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), i as u32))
                .collect();
        }
        let mut ids: Vec<u32> = Vec::new();
        let mut t = String::new();
        for (namespace, text) in terms {
            t.clear();
            t.push_str(namespace.prefix());
            t.push_str(text.as_ref());
            let id = match self.index.get(&t) {
                Some(&id) => id,
                None => {
                    let id = self.terms.len() as u32;
                    self.terms.push(t.clone());
                    self.namespaces.push(namespace);
                    self.index.insert(t.clone(), id);
                    id
                }
            };
            ids.push(id);
        }
        self.push_row(&count_sorted(ids));
    }

    /// Adds one document as (term id, count), ids distinct.
    fn push_row(&mut self, row: &[(u32, u32)]) {
        for &(id, c) in row {
            self.push_count(id, c);
        }
        self.indptr.push(self.ids.len());
    }

    fn push_count(&mut self, id: u32, c: u32) {
        if c >= u32::from(u8::MAX) {
            self.overflow.insert(self.ids.len(), c);
            self.counts.push(u8::MAX);
        } else {
            self.counts.push(c as u8);
        }
        self.ids.push(id);
    }

    /// Gives term `id` the id `new_id[id]` in every document, and sorts each document's ids.
    fn renumber(&mut self, new_id: &[u32]) {
        // Blocks of documents, each block's documents on all cores: a slice per document of the
        // whole batch would be a buffer that grows with it.
        const BLOCK: usize = 4096;
        let mut moved: Vec<(usize, u32)> = Vec::new();
        let (mut ids, mut counts) = (&mut self.ids[..], &mut self.counts[..]);
        let n = self.indptr.len() - 1;
        for first in (0..n).step_by(BLOCK) {
            let block = &self.indptr[first..=(first + BLOCK).min(n)];
            let mut docs = Vec::with_capacity(block.len());
            for w in block.windows(2) {
                let (d_ids, rest_ids) = std::mem::take(&mut ids).split_at_mut(w[1] - w[0]);
                let (d_counts, rest) = std::mem::take(&mut counts).split_at_mut(w[1] - w[0]);
                docs.push((w[0], d_ids, d_counts));
                (ids, counts) = (rest_ids, rest);
            }
            let overflow = &self.overflow;
            let big: Vec<Vec<(usize, u32)>> = docs
                .into_par_iter()
                .map(|(start, ids, counts)| sort_renumbered(start, ids, counts, overflow, new_id))
                .collect();
            moved.extend(big.into_iter().flatten());
        }
        self.overflow = moved.into_iter().collect();
        self.index = FxHashMap::default();
    }

    /// The flat parts, for an in-place transform.
    pub(crate) fn into_parts(self) -> Parts {
        Parts {
            indptr: self.indptr,
            ids: self.ids,
            counts: self.counts,
            overflow: self.overflow,
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.indptr.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Distinct terms by id, spelled.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The namespace of each term of [`TermCounts::terms`].
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    /// Document `i` as (distinct term ids, their counts), ids ascending.
    pub fn doc(&self, i: usize) -> impl ExactSizeIterator<Item = (u32, u32)> + '_ {
        (self.indptr[i]..self.indptr[i + 1])
            .map(|k| (self.ids[k], count_at(&self.counts, &self.overflow, k, 0)))
    }

    /// The distinct term ids of document `i`.
    pub fn doc_ids(&self, i: usize) -> &[u32] {
        &self.ids[self.indptr[i]..self.indptr[i + 1]]
    }

    /// Stored (term, count) pairs over all documents.
    pub fn nnz(&self) -> usize {
        self.ids.len()
    }
}

/// A term as word ids: its namespace's slot ([`Slots`]) and up to four words (`u32::MAX` pads).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct GramKey {
    pub slot: u8,
    pub words: [u32; 4],
}

/// The namespaces one featurizer counts terms in, numbered for [`GramKey::slot`]: each configured
/// field's n-grams and, where apart, its quotes, then the cues. A field configured twice has two
/// slots of one namespace, as it had two positions before namespaces were typed.
pub(crate) struct Slots {
    namespaces: Vec<Namespace>,
    /// Per configured field, in order: its n-grams' slot and its quotes' (None unless apart).
    fields: Vec<(u8, Option<u8>)>,
    cue: u8,
}

impl Slots {
    pub fn new(fields: &[Field], quotes_apart: bool) -> Self {
        fn slot(namespaces: &mut Vec<Namespace>, ns: Namespace) -> u8 {
            namespaces.push(ns);
            (namespaces.len() - 1) as u8
        }
        let mut namespaces = Vec::new();
        let fields = fields
            .iter()
            .map(|&f| {
                let words = slot(&mut namespaces, Namespace::Field(f));
                let quotes = Namespace::quote(f)
                    .filter(|_| quotes_apart)
                    .map(|q| slot(&mut namespaces, q));
                (words, quotes)
            })
            .collect();
        let cue = slot(&mut namespaces, Namespace::Cue);
        Slots {
            namespaces,
            fields,
            cue,
        }
    }

    /// The slots of the `k`th configured field: its n-grams', and its quotes' where apart.
    pub fn field(&self, k: usize) -> (u8, Option<u8>) {
        self.fields[k]
    }

    pub fn cue(&self) -> u8 {
        self.cue
    }

    /// Each slot's namespace.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }
}

const PAD: u32 = u32::MAX;

/// What one chunk of documents counted, in chunk-local ids.
#[derive(Default)]
pub(crate) struct LocalCounts {
    words: Vec<String>,
    word_ids: FxHashMap<String, u32>,
    negated_ids: FxHashMap<String, u32>,
    grams: Vec<GramKey>,
    gram_ids: FxHashMap<GramKey, u32>,
    /// Per document, (local id, count) sorted by local id.
    docs: Vec<Vec<(u32, u32)>>,
}

impl LocalCounts {
    /// The local id of a word; negated words are spelled with the prefix, so they are different
    /// words.
    pub fn word(&mut self, text: &str, negated: bool, prefix: &str) -> u32 {
        let map = if negated {
            &mut self.negated_ids
        } else {
            &mut self.word_ids
        };
        if let Some(&id) = map.get(text) {
            return id;
        }
        let id = self.words.len() as u32;
        self.words.push(if negated {
            format!("{prefix}{text}")
        } else {
            text.to_string()
        });
        map.insert(text.to_string(), id);
        id
    }

    pub fn gram(&mut self, slot: u8, words: &[u32]) -> u32 {
        let mut key = GramKey {
            slot,
            words: [PAD; 4],
        };
        key.words[..words.len()].copy_from_slice(words);
        let next = self.grams.len() as u32;
        let id = *self.gram_ids.entry(key).or_insert(next);
        if id == next {
            self.grams.push(key);
        }
        id
    }

    /// Frees the lookup maps once the chunk is done: only the lists are needed to merge, and chunks
    /// wait for the merge in memory.
    pub fn seal(mut self) -> Self {
        self.word_ids = FxHashMap::default();
        self.negated_ids = FxHashMap::default();
        self.gram_ids = FxHashMap::default();
        self.grams.shrink_to_fit();
        self
    }

    /// Ends a document given its terms' local ids (with repeats); counted here, in the parallel
    /// part.
    pub fn finish_doc(&mut self, ids: Vec<u32>) {
        self.docs.push(count_sorted(ids));
    }
}

/// Merges chunks (in order) into one [`TermCounts`].
#[derive(Default)]
pub(crate) struct Merger {
    words: Vec<String>,
    word_ids: FxHashMap<String, u32>,
    grams: Vec<GramKey>,
    gram_ids: FxHashMap<GramKey, u32>,
    out: TermCounts,
}

impl Merger {
    pub fn add(&mut self, local: LocalCounts) {
        let word_map: Vec<u32> = local
            .words
            .into_iter()
            .map(|w| {
                let next = self.words.len() as u32;
                match self.word_ids.get(&w) {
                    Some(&id) => id,
                    None => {
                        self.word_ids.insert(w.clone(), next);
                        self.words.push(w);
                        next
                    }
                }
            })
            .collect();
        let gram_map: Vec<u32> = local
            .grams
            .iter()
            .map(|g| {
                let mut key = *g;
                for w in key.words.iter_mut().filter(|w| **w != PAD) {
                    *w = word_map[*w as usize];
                }
                let next = self.grams.len() as u32;
                let id = *self.gram_ids.entry(key).or_insert(next);
                if id == next {
                    self.grams.push(key);
                }
                id
            })
            .collect();
        for mut doc in local.docs {
            // Global ids are distinct as local ones were; no need to sort them (consumers don't
            // rely on order).
            for (id, _) in doc.iter_mut() {
                *id = gram_map[*id as usize];
            }
            self.out.push_row(&doc);
        }
    }

    /// Reserves room for the rest of a batch run, from the non-zeros per document seen so far:
    /// doubling the largest buffers would briefly hold them twice.
    pub fn reserve_for(&mut self, total_docs: usize) {
        let done = self.out.len();
        if done == 0 || total_docs <= done {
            return;
        }
        let per_doc = self.out.nnz() as f64 / done as f64;
        let more = (per_doc * (total_docs - done) as f64 * 1.02) as usize;
        if self.out.ids.capacity() - self.out.ids.len() < more {
            self.out.ids.reserve_exact(more);
            self.out.counts.reserve_exact(more);
        }
        self.out
            .indptr
            .reserve_exact(total_docs + 1 - self.out.indptr.len());
    }

    /// Spells out each distinct term once: its namespace's prefix (`namespaces[slot]`), then its
    /// words joined by spaces; the namespace is kept beside it. Term ids are then renumbered in
    /// spelling order and each document's ids sorted, once: every vocabulary's columns are in
    /// spelling order too, so a row's columns come out sorted in every fold's transform.
    pub fn finish(mut self, namespaces: &[Namespace]) -> TermCounts {
        // (spelling, old id), sorted by spelling: the new ids are the positions.
        let mut spelled: Vec<(String, u32)> = self
            .grams
            .iter()
            .zip(0..)
            .map(|(g, old)| {
                let mut s = String::from(namespaces[g.slot as usize].prefix());
                for (k, &w) in g.words.iter().take_while(|&&w| w != PAD).enumerate() {
                    if k > 0 {
                        s.push(' ');
                    }
                    s.push_str(&self.words[w as usize]);
                }
                (s, old)
            })
            .collect();
        spelled.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut new_id = vec![0u32; spelled.len()];
        for (new, &(_, old)) in spelled.iter().enumerate() {
            new_id[old as usize] = new as u32;
        }
        self.out.namespaces = spelled
            .iter()
            .map(|&(_, old)| namespaces[self.grams[old as usize].slot as usize])
            .collect();
        self.out.terms = spelled.into_iter().map(|(s, _)| s).collect();
        self.out.renumber(&new_id);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_counts_repeats_and_sorts_ids() {
        let mut c = TermCounts::new();
        c.push(["b", "a", "b"]);
        c.push(["c", "b"]);
        assert_eq!(c.terms(), &["b", "a", "c"]);
        assert_eq!(c.namespaces(), [Namespace::Bare; 3]);
        assert_eq!(c.doc(0).collect::<Vec<_>>(), vec![(0, 2), (1, 1)]);
        assert_eq!(c.doc(1).collect::<Vec<_>>(), vec![(0, 1), (2, 1)]);
        assert_eq!((c.len(), c.nnz()), (2, 4));
        // Counts past a byte are kept exactly.
        c.push(std::iter::repeat_n("z", 1000).chain(["a"]));
        assert_eq!(c.doc(2).collect::<Vec<_>>(), vec![(1, 1), (3, 1000)]);
        c.push(std::iter::repeat_n("a", 255));
        assert_eq!(c.doc(3).collect::<Vec<_>>(), vec![(1, 255)]);
    }

    #[test]
    fn chunks_merge_into_one_vocabulary() {
        let mut a = LocalCounts::default();
        let (x, y) = (a.word("x", false, "neg_"), a.word("y", true, "neg_"));
        let ids = vec![a.gram(0, &[x]), a.gram(0, &[y]), a.gram(0, &[x, y])];
        a.finish_doc(ids);
        let mut b = LocalCounts::default();
        let y2 = b.word("y", true, "neg_");
        let ids = vec![b.gram(0, &[y2]), b.gram(0, &[y2])];
        b.finish_doc(ids);
        let mut m = Merger::default();
        m.add(a);
        m.add(b);
        let c = m.finish(&[Namespace::Field(Field::Rationale)]);
        // Ids in spelling order, each document's ascending.
        assert_eq!(c.terms(), &["r:neg_y", "r:x", "r:x neg_y"]);
        assert_eq!(c.namespaces(), [Namespace::Field(Field::Rationale); 3]);
        assert_eq!(c.doc(0).collect::<Vec<_>>(), vec![(0, 1), (1, 1), (2, 1)]);
        assert_eq!(c.doc(1).collect::<Vec<_>>(), vec![(0, 2)]);
    }

    /// Counts past a byte keep their values when their documents' ids are renumbered and moved.
    #[test]
    fn large_counts_survive_the_renumbering() {
        let mut a = LocalCounts::default();
        let (z, b) = (a.word("z", false, "neg_"), a.word("b", false, "neg_"));
        let (gz, gb) = (a.gram(0, &[z]), a.gram(0, &[b]));
        a.finish_doc([vec![gz; 300], vec![gb; 2]].concat());
        a.finish_doc([vec![gb; 256], vec![gz]].concat());
        let mut m = Merger::default();
        m.add(a);
        let c = m.finish(&[Namespace::Bare]);
        assert_eq!(c.terms(), &["b", "z"]);
        assert_eq!(c.doc(0).collect::<Vec<_>>(), vec![(0, 2), (1, 300)]);
        assert_eq!(c.doc(1).collect::<Vec<_>>(), vec![(0, 256), (1, 1)]);
    }
}

//! Running a search's words over the full-text index: each phrase's items (and how often it is in
//! each field), the clauses joined, and every match scored by BM25 as SQLite's FTS5 scores it
//! (field weights, k1 1.2, b 0.75, a phrase's idf from the items holding it).

use super::build::deleted;
use super::postings::{self, lengths_damaged, term_damaged, Posting, PostingsReader, FIELDS};
use rusqlite::Connection;
use rustc_hash::FxHashMap as HashMap;

/// A phrase's words as the index holds them; with `prefix`, its last word is the start of a word
/// (folded, not stemmed), and `prefix_stem` that word's own stem, also matched ("tens*" finds
/// TENS, whose stem is "ten", and "tension", not "tendon").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Phrase {
    pub words: Vec<String>,
    pub prefix: bool,
    pub prefix_stem: Option<String>,
}

/// Clauses all matched (each any of its phrases), and phrases none of which may be.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct TextQuery {
    pub clauses: Vec<Vec<Phrase>>,
    pub negated: Vec<Phrase>,
}

/// The matching items, ascending, and their BM25 scores (higher is better) when ranked.
#[derive(Debug, Clone, Default)]
pub(crate) struct Found {
    pub ids: Vec<i64>,
    pub scores: Option<Vec<f64>>,
}

impl Found {
    /// The matches best first (ties: the lower id first), at most `n`.
    pub(crate) fn best(&self, n: usize) -> Vec<(i64, f64)> {
        let Some(scores) = &self.scores else {
            return Vec::new();
        };
        let mut all: Vec<(i64, f64)> = self
            .ids
            .iter()
            .copied()
            .zip(scores.iter().copied())
            .collect();
        let order = |a: &(i64, f64), b: &(i64, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if n < all.len() {
            if n == 0 {
                return Vec::new();
            }
            all.select_nth_unstable_by(n - 1, order);
            all.truncate(n);
        }
        all.sort_unstable_by(order);
        all
    }
}

/// Why a search could not run.
#[derive(Debug)]
pub(crate) enum SearchError {
    Database(rusqlite::Error),
    /// A prefix that starts more words than [`MOST_PREFIXED`].
    TooManyWords {
        prefix: String,
    },
}

impl From<rusqlite::Error> for SearchError {
    fn from(e: rusqlite::Error) -> Self {
        SearchError::Database(e)
    }
}

/// The most words a prefix may stand for: past it, a search would read much of the index.
pub(crate) const MOST_PREFIXED: usize = 10_000;

/// BM25's weights of a match in the title, the clinical summary and the rationale: a match in
/// the title says most about what was requested.
pub(crate) const WEIGHTS: [f64; FIELDS] = [4.0, 1.0, 2.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;

/// A phrase's matches: each item and its weighted count of the phrase.
type Matches = Vec<(i64, f64)>;

struct Index<'c> {
    conn: &'c Connection,
    deleted: HashMap<i64, i64>,
}

impl Index<'_> {
    fn dead(&self, doc: i64, segment: i64) -> bool {
        !self.deleted.is_empty() && self.deleted.get(&doc).is_some_and(|&b| segment < b)
    }

    /// The index's terms starting with `prefix` (a word's start, never empty).
    fn terms_from(&self, prefix: &str) -> Result<Vec<String>, SearchError> {
        let mut end = prefix.to_string();
        end.push(char::MAX);
        let terms: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT term FROM text_postings WHERE term >= ?1 AND term < ?2 \
                 LIMIT ?3",
            )?
            .query_map(
                rusqlite::params![prefix, end, MOST_PREFIXED as i64 + 1],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?;
        if prefix.is_empty() || terms.len() > MOST_PREFIXED {
            return Err(SearchError::TooManyWords {
                prefix: prefix.into(),
            });
        }
        Ok(terms)
    }

    /// The terms word `k` of `phrase` stands for: itself, or those a prefix starts.
    fn terms_of(&self, phrase: &Phrase, k: usize) -> Result<Vec<String>, SearchError> {
        let w = &phrase.words[k];
        if !(phrase.prefix && k + 1 == phrase.words.len()) {
            return Ok(vec![w.clone()]);
        }
        let mut terms = self.terms_from(w)?;
        let stem = phrase
            .prefix_stem
            .iter()
            .filter(|s| !s.starts_with(w.as_str()));
        terms.extend(stem.cloned());
        Ok(terms)
    }

    /// The live postings of `terms` with their positions (each item once: the terms' counts and
    /// positions together), by item.
    fn postings(&self, terms: &[String], only: &[i64]) -> rusqlite::Result<Vec<Posting>> {
        let sql = "SELECT segment, docs, positions FROM text_postings WHERE term = ?1";
        let mut st = self.conn.prepare_cached(sql)?;
        let mut all: Vec<Posting> = Vec::new();
        for term in terms {
            let mut rows = st.query([term])?;
            while let Some(r) = rows.next()? {
                let segment: i64 = r.get(0)?;
                let docs = r.get_ref(1)?.as_blob()?;
                let mut reader = PostingsReader::new(docs, Some(r.get_ref(2)?.as_blob()?));
                let mut p = Posting::default();
                while reader
                    .next_into(&mut p)
                    .map_err(|_| term_damaged(term, segment))?
                {
                    if only.binary_search(&p.doc).is_ok() && !self.dead(p.doc, segment) {
                        all.push(p.clone());
                    }
                }
            }
        }
        if !all.windows(2).all(|w| w[0].doc < w[1].doc) {
            all.sort_by_key(|p| p.doc);
            let mut out: Vec<Posting> = Vec::with_capacity(all.len());
            for p in all {
                match out.last_mut() {
                    Some(last) if last.doc == p.doc => join(last, &p),
                    _ => out.push(p),
                }
            }
            all = out;
        }
        Ok(all)
    }

    /// Each item holding `phrase`, with its weighted count.
    fn phrase(&self, phrase: &Phrase) -> Result<Matches, SearchError> {
        let n = phrase.words.len();
        let sets = (0..n)
            .map(|k| self.terms_of(phrase, k))
            .collect::<Result<Vec<_>, _>>()?;
        if n == 1 {
            return Ok(self.terms_matches(&sets[0])?);
        }
        // The items holding every word first (no positions read), each word once: positions
        // are then read for those items alone.
        let mut distinct: Vec<&Vec<String>> = sets.iter().collect();
        distinct.sort();
        distinct.dedup();
        let mut items: Option<Vec<i64>> = None;
        for set in &distinct {
            let ids: Vec<i64> = self.terms_matches(set)?.into_iter().map(|m| m.0).collect();
            items = Some(match items {
                None => ids,
                Some(before) => intersect(&before, &ids),
            });
        }
        let items = items.unwrap_or_default();
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let mut read: HashMap<&Vec<String>, Vec<Posting>> = HashMap::default();
        for set in distinct {
            read.insert(set, self.postings(set, &items)?);
        }
        let lists: Vec<&[Posting]> = sets.iter().map(|s| read[s].as_slice()).collect();
        Ok(phrase_matches(&lists))
    }

    /// Each live item holding any of `terms` (a prefix's), with their weighted counts added, by
    /// item. The terms' matches are gathered until they outnumber the sum, then sorted and added
    /// to it: the time of sorting them all, and the memory of about two entries an item (adding
    /// them term by term copied the sum once a term).
    fn terms_matches(&self, terms: &[String]) -> rusqlite::Result<Matches> {
        let (mut sum, mut pending): (Matches, Matches) = (Vec::new(), Vec::new());
        for (k, t) in terms.iter().enumerate() {
            pending.extend(self.term_matches(t)?);
            if pending.len() > sum.len().max(1 << 16) || k + 1 == terms.len() {
                pending.sort_by_key(|m| m.0);
                sum = added(&sum, &pending);
                pending.clear();
            }
        }
        Ok(sum)
    }

    /// Each live item holding `term`, with its weighted count, by item.
    fn term_matches(&self, term: &str) -> rusqlite::Result<Matches> {
        let mut st = self
            .conn
            .prepare_cached("SELECT segment, docs FROM text_postings WHERE term = ?1")?;
        let mut rows = st.query([term])?;
        let mut out: Matches = Vec::new();
        let mut p = Posting::default();
        while let Some(r) = rows.next()? {
            let segment: i64 = r.get(0)?;
            let mut reader = PostingsReader::new(r.get_ref(1)?.as_blob()?, None);
            while reader
                .next_into(&mut p)
                .map_err(|_| term_damaged(term, segment))?
            {
                if !self.dead(p.doc, segment) {
                    let w = (0..FIELDS).map(|f| WEIGHTS[f] * f64::from(p.counts[f]));
                    out.push((p.doc, w.sum()));
                }
            }
        }
        if !out.windows(2).all(|w| w[0].0 < w[1].0) {
            out.sort_by_key(|m| m.0);
        }
        Ok(out)
    }

    /// Every live item's length, ascending by item.
    fn lengths(&self) -> rusqlite::Result<Vec<(i64, u32)>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, lengths FROM text_segments")?;
        let mut rows = st.query([])?;
        let mut all = Vec::new();
        while let Some(r) = rows.next()? {
            let segment: i64 = r.get(0)?;
            let from = all.len();
            postings::decode_lengths(r.get_ref(1)?.as_blob()?, &mut all)
                .map_err(|_| lengths_damaged(segment))?;
            if !self.deleted.is_empty() {
                let kept: Vec<(i64, u32)> = all
                    .drain(from..)
                    .filter(|&(d, _)| !self.dead(d, segment))
                    .collect();
                all.extend(kept);
            }
        }
        if !all.windows(2).all(|w| w[0].0 < w[1].0) {
            all.sort_unstable();
        }
        Ok(all)
    }
}

/// `b`'s occurrences added to `a`'s (the same item, another term of a prefix).
fn join(a: &mut Posting, b: &Posting) {
    let mut positions = Vec::with_capacity(a.positions.len() + b.positions.len());
    let (mut ia, mut ib) = (0, 0);
    for f in 0..FIELDS {
        let (na, nb) = (a.counts[f] as usize, b.counts[f] as usize);
        let mut field: Vec<u32> = a.positions[ia..ia + na.min(a.positions.len() - ia)].to_vec();
        field.extend_from_slice(&b.positions[ib..ib + nb.min(b.positions.len() - ib)]);
        field.sort_unstable();
        positions.extend(field);
        ia += na.min(a.positions.len() - ia);
        ib += nb.min(b.positions.len() - ib);
        a.counts[f] += b.counts[f];
    }
    a.positions = positions;
}

/// The items where the words of `lists` (one list per word, by item) follow each other in one
/// field, and how often (weighted).
fn phrase_matches(lists: &[&[Posting]]) -> Matches {
    let mut out = Vec::new();
    let mut cursors = vec![0usize; lists.len()];
    'first: for p0 in lists[0] {
        let mut these: Vec<&Posting> = Vec::with_capacity(lists.len());
        these.push(p0);
        for (k, list) in lists.iter().enumerate().skip(1) {
            let c = &mut cursors[k];
            while *c < list.len() && list[*c].doc < p0.doc {
                *c += 1;
            }
            match list.get(*c) {
                Some(p) if p.doc == p0.doc => these.push(p),
                _ => continue 'first,
            }
        }
        let mut weighted = 0.0;
        for (f, weight) in WEIGHTS.iter().enumerate() {
            let firsts = field_positions(p0, f);
            let rest: Vec<&[u32]> = these[1..].iter().map(|p| field_positions(p, f)).collect();
            let n = firsts
                .iter()
                .filter(|&&at| {
                    rest.iter()
                        .enumerate()
                        .all(|(k, ps)| ps.binary_search(&(at + k as u32 + 1)).is_ok())
                })
                .count();
            weighted += weight * n as f64;
        }
        if weighted > 0.0 {
            out.push((p0.doc, weighted));
        }
    }
    out
}

/// The positions of `p`'s term in field `f`.
fn field_positions(p: &Posting, f: usize) -> &[u32] {
    let start: usize = p.counts[..f].iter().map(|&c| c as usize).sum();
    let end = (start + p.counts[f] as usize).min(p.positions.len());
    &p.positions[start.min(end)..end]
}

/// Two lists of items (ascending; the second may name an item more than once) as one, the
/// counts of an item added.
fn added(a: &[(i64, f64)], b: &[(i64, f64)]) -> Matches {
    let mut out: Matches = Vec::with_capacity(a.len().max(b.len()));
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if y.0 < x.0 => {
                j += 1;
                *y
            }
            (Some(x), _) => {
                i += 1;
                *x
            }
            (None, Some(y)) => {
                j += 1;
                *y
            }
            (None, None) => break,
        };
        match out.last_mut() {
            Some(last) if last.0 == next.0 => last.1 += next.1,
            _ => out.push(next),
        }
    }
    out
}

/// Items in both (ascending) lists.
pub(crate) fn intersect(a: &[i64], b: &[i64]) -> Vec<i64> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// Items in `a` and not in `b` (both ascending).
fn without(a: &[i64], b: &[i64]) -> Vec<i64> {
    let mut j = 0;
    a.iter()
        .copied()
        .filter(|&x| {
            while j < b.len() && b[j] < x {
                j += 1;
            }
            b.get(j) != Some(&x)
        })
        .collect()
}

/// The items matching `q`, scored where `ranked`.
pub(crate) fn search(conn: &Connection, q: &TextQuery, ranked: bool) -> Result<Found, SearchError> {
    let index = Index {
        conn,
        deleted: deleted(conn)?,
    };
    let mut phrases: Vec<(&Phrase, Matches)> = Vec::new();
    let mut ids: Option<Vec<i64>> = None;
    for clause in &q.clauses {
        let mut any: Vec<i64> = Vec::new();
        for p in clause {
            let m = index.phrase(p)?;
            any.extend(m.iter().map(|&(d, _)| d));
            phrases.push((p, m));
        }
        any.sort_unstable();
        any.dedup();
        ids = Some(match ids {
            None => any,
            Some(ids) => intersect(&ids, &any),
        });
    }
    let mut ids = ids.unwrap_or_default();
    for p in &q.negated {
        if ids.is_empty() {
            break;
        }
        let out: Vec<i64> = index.phrase(p)?.into_iter().map(|(d, _)| d).collect();
        ids = without(&ids, &out);
    }
    if !ranked {
        return Ok(Found { ids, scores: None });
    }
    let lengths = index.lengths()?;
    let rows = lengths.len().max(1) as f64;
    let average = lengths.iter().map(|&(_, l)| f64::from(l)).sum::<f64>() / rows;
    let mut scores = vec![0.0; ids.len()];
    let mut length_of = vec![0.0; ids.len()];
    let mut j = 0;
    for (k, &doc) in ids.iter().enumerate() {
        while j < lengths.len() && lengths[j].0 < doc {
            j += 1;
        }
        length_of[k] = lengths
            .get(j)
            .filter(|l| l.0 == doc)
            .map_or(0.0, |l| f64::from(l.1));
    }
    for (_, m) in &phrases {
        let hits = m.len() as f64;
        let idf = ((rows - hits + 0.5) / (hits + 0.5)).ln().max(1e-6);
        let mut j = 0;
        for (k, &doc) in ids.iter().enumerate() {
            while j < m.len() && m[j].0 < doc {
                j += 1;
            }
            if let Some(&(_, freq)) = m.get(j).filter(|x| x.0 == doc) {
                let norm = K1 * (1.0 - B + B * length_of[k] / average.max(1e-9));
                scores[k] += idf * freq * (K1 + 1.0) / (freq + norm);
            }
        }
    }
    Ok(Found {
        ids,
        scores: Some(scores),
    })
}

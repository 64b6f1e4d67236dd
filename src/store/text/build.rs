//! Writing the full-text index: each batch of letters becomes a segment (its terms' postings and
//! its items' lengths) in the batch's transaction, so the index is always that of the rows beside
//! it. Segments of a level are merged into one of the next when there are [`MERGE_FACTOR`] of
//! them, so a term's postings stay in a few rows; merges drop the postings of deleted items.

use super::analyze::TextAnalyzer;
use super::postings::{self, Posting, PostingsReader, PostingsWriter, FIELDS};
use rusqlite::{params, Connection};
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

/// How many segments of one level are merged into one of the next. Each merge writes its
/// postings again, once a level: fewer levels, less writing; a search reads a row per segment
/// for each word, which costs little beside decoding the postings.
pub(super) const MERGE_FACTOR: i64 = 20;

/// An item's own texts (its letter's clinical summary is given once for all its items).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemText<'a> {
    pub id: i64,
    pub title: &'a str,
    pub rationale: &'a str,
}

/// One item's postings before its id is known: each term once, with its count in each field and
/// its positions (field after field).
#[derive(Debug, Clone, Default, PartialEq)]
struct ItemPostings {
    terms: Vec<(Arc<str>, [u32; FIELDS])>,
    positions: Vec<u32>,
    length: u32,
}

/// A letter's items' full-text postings, made from its texts on any thread (the parse's), so that
/// the database's one writer only files them under the items' ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LetterText {
    items: Vec<ItemPostings>,
}

thread_local! {
    static ANALYZER: std::cell::RefCell<TextAnalyzer> = std::cell::RefCell::default();
    /// Each term number's place among an item's terms while its postings are made (`NONE`
    /// between items).
    static SLOTS: std::cell::RefCell<Vec<u32>> = std::cell::RefCell::default();
}

/// A term number not among the item's terms (yet).
const NONE: u32 = u32::MAX;

impl LetterText {
    /// The postings of items `(title, rationale)`, each with the letter's `summary`.
    pub(crate) fn of(summary: &str, items: &[(&str, &str)]) -> LetterText {
        ANALYZER.with_borrow_mut(|a| {
            a.forget_if_full();
            let mut summary_terms = Vec::new();
            a.numbers(summary, &mut summary_terms);
            let (mut title, mut rationale) = (Vec::new(), Vec::new());
            let items = items
                .iter()
                .map(|(t, r)| {
                    title.clear();
                    rationale.clear();
                    a.numbers(t, &mut title);
                    a.numbers(r, &mut rationale);
                    item_postings([&title, &summary_terms, &rationale], a)
                })
                .collect();
            LetterText { items }
        })
    }

    /// How many items it holds.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }
}

/// An item's postings from its fields' term numbers (of `a`): its terms in number order, each
/// with its counts per field and its positions, field after field. Counted into place (the
/// terms alone are sorted), not by sorting every occurrence.
fn item_postings(fields: [&[u32]; FIELDS], a: &TextAnalyzer) -> ItemPostings {
    SLOTS.with_borrow_mut(|slots| {
        if slots.len() < a.term_count() {
            slots.resize(a.term_count(), NONE);
        }
        // The terms as first seen, with their counts; `slots` gives each one's place.
        let mut seen: Vec<(u32, [u32; FIELDS])> = Vec::new();
        for (f, terms) in fields.iter().enumerate() {
            for &n in *terms {
                let slot = &mut slots[n as usize];
                if *slot == NONE {
                    *slot = seen.len() as u32;
                    seen.push((n, [0; FIELDS]));
                }
                seen[*slot as usize].1[f] += 1;
            }
        }
        let mut order: Vec<u32> = (0..seen.len() as u32).collect();
        order.sort_unstable_by_key(|&k| seen[k as usize].0);
        // Where each term's positions start, in number order.
        let mut next = vec![0u32; seen.len()];
        let mut at = 0u32;
        for &k in &order {
            next[k as usize] = at;
            at += seen[k as usize].1.iter().sum::<u32>();
        }
        let mut positions = vec![0u32; at as usize];
        for terms in fields {
            for (pos, &n) in terms.iter().enumerate() {
                let k = slots[n as usize] as usize;
                positions[next[k] as usize] = pos as u32;
                next[k] += 1;
            }
        }
        for &(n, _) in &seen {
            slots[n as usize] = NONE;
        }
        ItemPostings {
            terms: order
                .iter()
                .map(|&k| {
                    let (n, counts) = seen[k as usize];
                    (Arc::clone(a.term(n)), counts)
                })
                .collect(),
            positions,
            length: at,
        }
    })
}

/// [`item_postings`] by sorting every occurrence: what it must equal.
#[cfg(test)]
fn item_postings_sorted(fields: [&[u32]; FIELDS], a: &TextAnalyzer) -> ItemPostings {
    let mut occurrences: Vec<(u32, u8, u32)> = Vec::new();
    for (f, terms) in fields.iter().enumerate() {
        for (pos, &n) in terms.iter().enumerate() {
            occurrences.push((n, f as u8, pos as u32));
        }
    }
    occurrences.sort_unstable();
    let mut out = ItemPostings {
        length: occurrences.len().min(u32::MAX as usize) as u32,
        ..ItemPostings::default()
    };
    let mut last = None;
    for (n, f, pos) in occurrences {
        if last != Some(n) {
            out.terms.push((Arc::clone(a.term(n)), [0; FIELDS]));
            last = Some(n);
        }
        out.terms.last_mut().expect("pushed").1[f as usize] += 1;
        out.positions.push(pos);
    }
    out
}

/// A term's postings in a segment being made: each item with its counts, and the positions of
/// all of them one after another.
#[derive(Default)]
struct TermPostings {
    docs: Vec<(i64, [u32; FIELDS])>,
    positions: Vec<u32>,
}

/// The postings of the items added since the last flush, in memory.
#[derive(Default)]
pub(crate) struct SegmentBuilder {
    term_ids: HashMap<Arc<str>, u32>,
    terms: Vec<(Arc<str>, TermPostings)>,
    docs: Vec<(i64, u32)>,
}

impl SegmentBuilder {
    pub(crate) fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Adds a letter's items, each with the letter's `summary`.
    pub(crate) fn add_letter(&mut self, summary: &str, items: &[ItemText<'_>]) {
        let texts: Vec<(&str, &str)> = items.iter().map(|i| (i.title, i.rationale)).collect();
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        self.add(&ids, &LetterText::of(summary, &texts));
    }

    /// Adds a letter's items made beforehand, under `ids` (one for each, in order).
    pub(crate) fn add(&mut self, ids: &[i64], text: &LetterText) {
        for (&doc, item) in ids.iter().zip(&text.items) {
            let mut at = 0;
            for (term, counts) in &item.terms {
                let id = match self.term_ids.get(term) {
                    Some(&id) => id,
                    None => {
                        let id = self.terms.len() as u32;
                        self.terms.push((Arc::clone(term), TermPostings::default()));
                        self.term_ids.insert(Arc::clone(term), id);
                        id
                    }
                };
                let n = counts.iter().sum::<u32>() as usize;
                let t = &mut self.terms[id as usize].1;
                t.docs.push((doc, *counts));
                t.positions.extend_from_slice(&item.positions[at..at + n]);
                at += n;
            }
            self.docs.push((doc, item.length));
        }
    }

    /// Drops what was added of `ids` (items deleted in the batch that added them).
    pub(crate) fn forget(&mut self, ids: &[i64]) {
        if !self.docs.iter().any(|(d, _)| ids.contains(d)) {
            return;
        }
        self.docs.retain(|(d, _)| !ids.contains(d));
        for (_, t) in &mut self.terms {
            let kept: Vec<Posting> = postings_of(t)
                .into_iter()
                .filter(|p| !ids.contains(&p.doc))
                .collect();
            *t = TermPostings::default();
            for p in kept {
                t.docs.push((p.doc, p.counts));
                t.positions.extend(p.positions);
            }
        }
    }

    /// Writes what was added as a new segment, and merges segments where a level is full.
    pub(crate) fn flush(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        if self.docs.is_empty() {
            return Ok(());
        }
        self.docs.sort_unstable();
        let lengths = postings::encode_lengths(&self.docs);
        conn.prepare_cached("INSERT INTO text_segments (level, docs, lengths) VALUES (0, ?1, ?2)")?
            .execute(params![self.docs.len() as i64, lengths])?;
        let segment = conn.last_insert_rowid();
        let mut terms = std::mem::take(&mut self.terms);
        // In term order: a segment's rows are then read in that order by rowid, for merges.
        terms.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut insert = conn.prepare_cached(
            "INSERT INTO text_postings (term, segment, docs, positions) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (term, t) in terms {
            if t.docs.is_empty() {
                continue;
            }
            let mut w = PostingsWriter::default();
            if t.docs.windows(2).all(|d| d[0].0 < d[1].0) {
                let mut at = 0;
                for &(doc, counts) in &t.docs {
                    let n = counts.iter().sum::<u32>() as usize;
                    w.push_parts(doc, counts, &t.positions[at..at + n]);
                    at += n;
                }
            } else {
                // Ids out of order (one used again in the batch): sorted first.
                let mut ps = postings_of(&t);
                ps.sort_by_key(|p| p.doc);
                for p in &ps {
                    w.push(p);
                }
            }
            insert.execute(params![&*term, segment, w.docs, w.positions])?;
        }
        self.term_ids.clear();
        self.docs.clear();
        merge_due(conn)
    }
}

/// A term's postings being made, one by one.
fn postings_of(t: &TermPostings) -> Vec<Posting> {
    let mut at = 0;
    t.docs
        .iter()
        .map(|&(doc, counts)| {
            let n = counts.iter().sum::<u32>() as usize;
            let positions = t.positions[at..at + n].to_vec();
            at += n;
            Posting {
                doc,
                counts,
                positions,
            }
        })
        .collect()
}

/// Items deleted, and the first segment not holding their deleted postings: a posting of item
/// `id` in segment `s` is deleted where `s < before[id]` (an id may be used again later).
pub(crate) fn deleted(conn: &Connection) -> rusqlite::Result<HashMap<i64, i64>> {
    conn.prepare_cached("SELECT item_id, before_segment FROM text_deleted")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// Merges the segments of each level that has [`MERGE_FACTOR`] of them, lowest level first.
fn merge_due(conn: &Connection) -> rusqlite::Result<()> {
    loop {
        let full: Option<i64> = conn
            .prepare_cached(
                "SELECT level FROM text_segments GROUP BY level HAVING count(*) >= ?1 \
                 ORDER BY level LIMIT 1",
            )?
            .query_row([MERGE_FACTOR], |r| r.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        let Some(level) = full else { return Ok(()) };
        let ids = segment_ids(conn, Some(level))?;
        merge(conn, &ids, level + 1)?;
    }
}

/// The segments (of `level`, or all), oldest first.
fn segment_ids(conn: &Connection, level: Option<i64>) -> rusqlite::Result<Vec<i64>> {
    conn.prepare_cached("SELECT id FROM text_segments WHERE ?1 IS NULL OR level = ?1 ORDER BY id")?
        .query_map([level], |r| r.get(0))?
        .collect()
}

/// Merges every segment into one where deleted items are a quarter or more of the indexed
/// ones (a run that replaced many letters leaves their old postings behind).
pub(crate) fn tidy(conn: &Connection) -> rusqlite::Result<bool> {
    let (deleted, docs): (i64, i64) = conn.query_row(
        "SELECT (SELECT count(*) FROM text_deleted), \
         (SELECT coalesce(sum(docs), 0) FROM text_segments)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if deleted == 0 || deleted * 4 < docs {
        return Ok(false);
    }
    let ids = segment_ids(conn, None)?;
    let level: i64 = conn.query_row(
        "SELECT coalesce(max(level), 0) FROM text_segments",
        [],
        |r| r.get(0),
    )?;
    merge(conn, &ids, level)?;
    Ok(true)
}

/// The rows of one term in one segment.
struct Row {
    segment: i64,
    term: String,
    docs: Vec<u8>,
    positions: Vec<u8>,
}

/// Merges segments `ids` (oldest first) into a new one of `level`, leaving out deleted items.
fn merge(conn: &Connection, ids: &[i64], level: i64) -> rusqlite::Result<()> {
    let deleted = deleted(conn)?;
    let dead = |doc: i64, segment: i64| deleted.get(&doc).is_some_and(|&b| segment < b);
    let docs = live_lengths(conn, ids, &dead)?;
    conn.prepare_cached("INSERT INTO text_segments (level, docs, lengths) VALUES (?1, ?2, ?3)")?
        .execute(params![
            level,
            docs.len() as i64,
            postings::encode_lengths(&docs)
        ])?;
    let segment = conn.last_insert_rowid();
    let mut statements = Vec::with_capacity(ids.len());
    for _ in ids {
        statements.push(conn.prepare(
            "SELECT term, docs, positions FROM text_postings WHERE segment = ?1 ORDER BY rowid",
        )?);
    }
    let mut rows: Vec<rusqlite::Rows<'_>> = Vec::with_capacity(ids.len());
    for (st, &id) in statements.iter_mut().zip(ids) {
        rows.push(st.query([id])?);
    }
    let next = |rows: &mut rusqlite::Rows<'_>, segment: i64| -> rusqlite::Result<Option<Row>> {
        Ok(match rows.next()? {
            Some(r) => Some(Row {
                segment,
                term: r.get(0)?,
                docs: r.get(1)?,
                positions: r.get(2)?,
            }),
            None => None,
        })
    };
    let mut heads: Vec<Option<Row>> = Vec::with_capacity(ids.len());
    for (r, &id) in rows.iter_mut().zip(ids) {
        heads.push(next(r, id)?);
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO text_postings (term, segment, docs, positions) VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut same: Vec<Row> = Vec::new();
    while let Some(term) = heads.iter().flatten().map(|r| r.term.as_str()).min() {
        let term = term.to_string();
        same.clear();
        for (k, head) in heads.iter_mut().enumerate() {
            if head.as_ref().is_some_and(|r| r.term == term) {
                same.extend(head.take());
                *head = next(&mut rows[k], ids[k])?;
            }
        }
        if let Some((d, p)) = merged(&same, &dead)? {
            insert.execute(params![term, segment, d, p])?;
        }
    }
    drop(heads);
    drop(rows);
    drop(statements);
    if docs.is_empty() {
        conn.execute("DELETE FROM text_segments WHERE id = ?1", [segment])?;
    }
    drop_segments(conn, ids)
}

/// The lengths of the live items of segments `ids`, by item.
fn live_lengths(
    conn: &Connection,
    ids: &[i64],
    dead: &impl Fn(i64, i64) -> bool,
) -> rusqlite::Result<Vec<(i64, u32)>> {
    let mut docs: Vec<(i64, u32)> = Vec::new();
    for &id in ids {
        let blob: Vec<u8> = conn
            .prepare_cached("SELECT lengths FROM text_segments WHERE id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let from = docs.len();
        postings::decode_lengths(&blob, &mut docs).map_err(|_| postings::lengths_damaged(id))?;
        let mut k = from;
        for i in from..docs.len() {
            if !dead(docs[i].0, id) {
                docs[k] = docs[i];
                k += 1;
            }
        }
        docs.truncate(k);
    }
    docs.sort_unstable();
    Ok(docs)
}

/// Deletes segments `ids` (merged into another), and the deletions no segment left is older than.
fn drop_segments(conn: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    for &id in ids {
        conn.prepare_cached("DELETE FROM text_postings WHERE segment = ?1")?
            .execute([id])?;
        conn.prepare_cached("DELETE FROM text_segments WHERE id = ?1")?
            .execute([id])?;
    }
    // A deletion matters only to segments older than it: none may be left.
    conn.execute(
        "DELETE FROM text_deleted WHERE before_segment <= \
         coalesce((SELECT min(id) FROM text_segments), 9223372036854775807)",
        [],
    )?;
    Ok(())
}

/// The first and last item of a docs blob, and whether any of its items is `dead`.
fn span(docs: &[u8], segment: i64, dead: &impl Fn(i64, i64) -> bool) -> (i64, i64, bool) {
    let (mut at, mut doc, mut first, mut any_dead) = (0, 0i64, None, false);
    while at < docs.len() {
        let Some(gap) = postings::get(docs, &mut at) else {
            break;
        };
        doc += gap as i64;
        first.get_or_insert(doc);
        any_dead |= dead(doc, segment);
        for _ in 0..FIELDS {
            postings::get(docs, &mut at);
        }
    }
    (first.unwrap_or(0), doc, any_dead)
}

/// One term's rows of several segments as one (None where no item is left): the blobs put end
/// to end where their items follow each other and none is deleted, else read and written again.
fn merged(
    rows: &[Row],
    dead: &impl Fn(i64, i64) -> bool,
) -> rusqlite::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let spans: Vec<(i64, i64, bool)> = rows
        .iter()
        .map(|r| span(&r.docs, r.segment, dead))
        .collect();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&k| spans[k].0);
    let in_order = order.windows(2).all(|w| spans[w[0]].1 < spans[w[1]].0);
    if in_order && spans.iter().all(|s| !s.2) {
        let (mut docs, mut positions, mut last) = (Vec::new(), Vec::new(), 0i64);
        for &k in &order {
            let r = &rows[k];
            let mut at = 0;
            let first = postings::get(&r.docs, &mut at)
                .ok_or_else(|| postings::term_damaged(&r.term, r.segment))?
                as i64;
            postings::put(&mut docs, (first - last) as u64);
            docs.extend_from_slice(&r.docs[at..]);
            positions.extend_from_slice(&r.positions);
            last = spans[k].1;
        }
        return Ok(Some((docs, positions)));
    }
    let mut all: Vec<Posting> = Vec::new();
    for r in rows {
        let mut reader = PostingsReader::new(&r.docs, Some(&r.positions));
        let mut p = Posting::default();
        let damaged = || postings::term_damaged(&r.term, r.segment);
        while reader.next_into(&mut p).map_err(|_| damaged())? {
            if !dead(p.doc, r.segment) {
                all.push(p.clone());
            }
        }
    }
    if all.is_empty() {
        return Ok(None);
    }
    all.sort_by_key(|p| p.doc);
    all.dedup_by_key(|p| p.doc);
    let mut w = PostingsWriter::default();
    for p in &all {
        w.push(p);
    }
    Ok(Some((w.docs, w.positions)))
}

/// Builds the index again from the items' texts (a database made before it had one, or by
/// another analyzer), telling `progress` the items done and their total.
pub(crate) fn rebuild(
    conn: &Connection,
    progress: &mut dyn FnMut(usize, usize),
) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DELETE FROM text_postings; DELETE FROM text_segments; DELETE FROM text_deleted;",
    )?;
    let total: i64 = conn.query_row("SELECT count(*) FROM items", [], |r| r.get(0))?;
    let (total, mut done) = (total as usize, 0);
    let mut st = conn.prepare(
        "SELECT l.id, l.clinical_summary, i.id, i.title, i.rationale \
         FROM letters l JOIN items i ON i.letter_id = l.id ORDER BY l.id, i.item",
    )?;
    let mut rows = st.query([])?;
    let mut builder = SegmentBuilder::default();
    let mut letter: Option<(i64, String)> = None;
    let mut items: Vec<(i64, String, String)> = Vec::new();
    let add = |builder: &mut SegmentBuilder, summary: &str, items: &[(i64, String, String)]| {
        let texts: Vec<ItemText<'_>> = items
            .iter()
            .map(|(id, t, r)| ItemText {
                id: *id,
                title: t,
                rationale: r,
            })
            .collect();
        builder.add_letter(summary, &texts);
    };
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if letter.as_ref().is_some_and(|(l, _)| *l != id) {
            let (_, summary) = letter.take().expect("checked");
            add(&mut builder, &summary, &items);
            items.clear();
            if builder.docs.len() >= REBUILD_SEGMENT {
                done += builder.docs.len();
                builder.flush(conn)?;
                progress(done, total);
            }
        }
        if letter.is_none() {
            letter = Some((id, r.get::<_, Option<String>>(1)?.unwrap_or_default()));
        }
        items.push((r.get(2)?, r.get(3)?, r.get(4)?));
    }
    if let Some((_, summary)) = letter {
        add(&mut builder, &summary, &items);
    }
    builder.flush(conn)?;
    progress(total, total);
    Ok(())
}

/// How many items a segment of [`rebuild`] holds.
const REBUILD_SEGMENT: usize = 20_000;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Counted into place or found by sorting, an item's postings are the same, and the
        /// places are left free for the next item.
        #[test]
        fn postings_are_counted_as_sorting_would_give_them(
            fields in proptest::collection::vec(
                proptest::collection::vec(0u32..40, 0..60), FIELDS..=FIELDS),
        ) {
            let mut a = TextAnalyzer::default();
            let words: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
            a.numbers(&words.join(" "), &mut Vec::new());
            let fields: [&[u32]; FIELDS] = [&fields[0], &fields[1], &fields[2]];
            prop_assert_eq!(item_postings(fields, &a), item_postings_sorted(fields, &a));
            prop_assert_eq!(item_postings(fields, &a), item_postings_sorted(fields, &a));
            SLOTS.with_borrow(|s| assert!(s.iter().all(|&k| k == NONE)));
        }
    }
}

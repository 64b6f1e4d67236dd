//! The on-disk form of a term's postings in one segment: two blobs, so that a search without
//! phrases never reads positions.
//! - `docs`: for each item, ascending: the id's gap from the previous one, then the term's count
//!   in each field (title, clinical summary, rationale); varints.
//! - `positions`: for each item in the same order, each field's positions of the term (as many as
//!   its count), each a gap from the previous one in that field; varints.
//!
//! A segment's `lengths` blob holds, for each of its items ascending, the id's gap and the
//! item's length in terms (all fields).

/// Title, clinical summary, rationale.
pub(crate) const FIELDS: usize = 3;

/// The postings of one term in one item.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Posting {
    pub doc: i64,
    pub counts: [u32; FIELDS],
    /// Each field's positions, one after another (as many as its count).
    pub positions: Vec<u32>,
}

pub(crate) fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A varint of `b` at `*at`, which moves past it; None at the end or on a truncated value.
pub(crate) fn get(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    let mut shift = 0;
    while let Some(&byte) = b.get(*at) {
        *at += 1;
        if shift > 63 {
            return None;
        }
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
        shift += 7;
    }
    None
}

/// Writes a term's postings in ascending item order.
#[derive(Debug, Default)]
pub(crate) struct PostingsWriter {
    pub docs: Vec<u8>,
    pub positions: Vec<u8>,
    last: i64,
}

impl PostingsWriter {
    pub(crate) fn push(&mut self, p: &Posting) {
        self.push_parts(p.doc, p.counts, &p.positions);
    }

    /// A posting of `doc`: its `counts` in each field, and its `positions` field after field.
    pub(crate) fn push_parts(&mut self, doc: i64, counts: [u32; FIELDS], positions: &[u32]) {
        debug_assert!(doc > self.last || self.docs.is_empty());
        put(&mut self.docs, (doc - self.last) as u64);
        self.last = doc;
        for c in counts {
            put(&mut self.docs, u64::from(c));
        }
        let mut at = 0;
        for c in counts {
            let mut prev = 0;
            for &pos in &positions[at..at + c as usize] {
                put(&mut self.positions, u64::from(pos.saturating_sub(prev)));
                prev = pos;
            }
            at += c as usize;
        }
    }
}

/// A postings or lengths blob that does not decode as written: cut short, items out of order, a
/// posting of no occurrence, or positions left over. Said where it is read, as a damaged file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Damaged;

/// The error a damaged blob is, in SQLite's kind (so it is said as a damaged database): `what`
/// names the blob.
pub(crate) fn damaged(what: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
        Some(format!("{what} do not decode")),
    )
}

/// The error of a term's postings in a segment that do not decode.
pub(crate) fn term_damaged(term: &str, segment: i64) -> rusqlite::Error {
    damaged(&format!(
        "the full-text postings of `{term}` (segment {segment})"
    ))
}

/// The error of a segment's item lengths that do not decode.
pub(crate) fn lengths_damaged(segment: i64) -> rusqlite::Error {
    damaged(&format!("the full-text item lengths of segment {segment}"))
}

/// Reads a term's postings; with `positions`, those too (else they stay empty).
pub(crate) struct PostingsReader<'a> {
    docs: &'a [u8],
    positions: Option<&'a [u8]>,
    at: usize,
    at_positions: usize,
    last: i64,
}

impl<'a> PostingsReader<'a> {
    pub(crate) fn new(docs: &'a [u8], positions: Option<&'a [u8]>) -> Self {
        PostingsReader {
            docs,
            positions,
            at: 0,
            at_positions: 0,
            last: 0,
        }
    }

    /// The next posting into `p`; false at the end. A blob that does not decode as the writer
    /// wrote it is [`Damaged`], never a shorter or different list.
    pub(crate) fn next_into(&mut self, p: &mut Posting) -> Result<bool, Damaged> {
        if self.at >= self.docs.len() {
            let left = self.positions.is_some_and(|b| self.at_positions != b.len());
            return if left { Err(Damaged) } else { Ok(false) };
        }
        let gap = get(self.docs, &mut self.at).ok_or(Damaged)?;
        // Items ascend from 1: a gap of 0 or one past the ids' range is not the writer's.
        let doc = i64::try_from(gap)
            .ok()
            .and_then(|g| self.last.checked_add(g));
        self.last = doc.filter(|&d| d > self.last).ok_or(Damaged)?;
        p.doc = self.last;
        for c in &mut p.counts {
            *c = get(self.docs, &mut self.at)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or(Damaged)?;
        }
        if p.counts.iter().all(|&c| c == 0) {
            return Err(Damaged);
        }
        p.positions.clear();
        if let Some(b) = self.positions {
            for &c in &p.counts {
                let mut pos = 0u32;
                for _ in 0..c {
                    let gap = get(b, &mut self.at_positions).ok_or(Damaged)?;
                    pos = pos.saturating_add(u32::try_from(gap).map_err(|_| Damaged)?);
                    p.positions.push(pos);
                }
            }
        }
        Ok(true)
    }
}

/// A segment's item lengths: (id, length) ascending.
pub(crate) fn encode_lengths(docs: &[(i64, u32)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(docs.len() * 4);
    let mut last = 0;
    for &(doc, len) in docs {
        put(&mut out, (doc - last) as u64);
        put(&mut out, u64::from(len));
        last = doc;
    }
    out
}

/// A segment's item lengths, appended to `out`; [`Damaged`] where they do not decode as written.
pub(crate) fn decode_lengths(b: &[u8], out: &mut Vec<(i64, u32)>) -> Result<(), Damaged> {
    let (mut at, mut last) = (0, 0i64);
    while at < b.len() {
        let gap = get(b, &mut at)
            .and_then(|g| i64::try_from(g).ok())
            .ok_or(Damaged)?;
        let len = get(b, &mut at)
            .and_then(|l| u32::try_from(l).ok())
            .ok_or(Damaged)?;
        last = last.checked_add(gap).filter(|&d| d > last).ok_or(Damaged)?;
        out.push((last, len));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postings_read_back_as_written() {
        let ps = [
            Posting {
                doc: 3,
                counts: [1, 0, 2],
                positions: vec![0, 5, 300],
            },
            Posting {
                doc: 1_000_000,
                counts: [0, 3, 0],
                positions: vec![2, 7, 100_000],
            },
        ];
        let mut w = PostingsWriter::default();
        for p in &ps {
            w.push(p);
        }
        assert_eq!(read_all(&w.docs, Some(&w.positions)), Ok(ps.to_vec()));
        // Without positions, the counts alone.
        let mut r = PostingsReader::new(&w.docs, None);
        let mut p = Posting::default();
        assert_eq!(r.next_into(&mut p), Ok(true));
        assert!(p.positions.is_empty() && p.counts == [1, 0, 2]);
        let lengths = [(1, 10), (7, 300), (1 << 40, 0)];
        let mut out = Vec::new();
        assert_eq!(decode_lengths(&encode_lengths(&lengths), &mut out), Ok(()));
        assert_eq!(out, lengths);
    }

    fn read_all(docs: &[u8], positions: Option<&[u8]>) -> Result<Vec<Posting>, Damaged> {
        let mut r = PostingsReader::new(docs, positions);
        let (mut p, mut all) = (Posting::default(), Vec::new());
        while r.next_into(&mut p)? {
            all.push(p.clone());
        }
        Ok(all)
    }

    /// Blobs that are not what the writer wrote are damaged, never read as fewer or other
    /// postings: cut short, a gap of 0 (an item twice), a posting of no occurrence, positions
    /// short or left over, a count past 32 bits; lengths likewise.
    #[test]
    fn damaged_blobs_are_said_not_read_short() {
        let mut w = PostingsWriter::default();
        w.push_parts(3, [1, 0, 2], &[0, 5, 300]);
        w.push_parts(9, [0, 1, 0], &[4]);
        let (docs, pos) = (w.docs.clone(), w.positions.clone());
        assert!(read_all(&docs, Some(&pos)).is_ok());
        let mut cases: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (docs[..docs.len() - 1].to_vec(), pos.clone()),
            (docs.clone(), pos[..pos.len() - 1].to_vec()),
            (docs.clone(), [&pos[..], &[7]].concat()),
            ([&docs[..], &[0x80]].concat(), pos.clone()),
        ];
        let mut twice = Vec::new();
        for v in [3, 1, 0, 2, 0, 1, 0, 0] {
            put(&mut twice, v);
        }
        cases.push((twice, pos.clone()));
        let mut empty = Vec::new();
        for v in [3, 0, 0, 0] {
            put(&mut empty, v);
        }
        cases.push((empty, Vec::new()));
        let mut huge = Vec::new();
        for v in [3, 1 << 33, 0, 0] {
            put(&mut huge, v);
        }
        cases.push((huge, Vec::new()));
        for (d, p) in &cases {
            assert_eq!(read_all(d, Some(p)), Err(Damaged), "{d:?} {p:?}");
        }
        let mut out = Vec::new();
        for bad in [vec![5], vec![5, 1, 0, 2], vec![0x80]] {
            assert_eq!(decode_lengths(&bad, &mut out), Err(Damaged), "{bad:?}");
        }
    }
}

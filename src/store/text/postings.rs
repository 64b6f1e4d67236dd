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

/// Reads a term's postings; `with_positions` decodes them too (else they stay empty).
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

    /// The next posting into `p`; false at the end, or where the blob is cut short.
    pub(crate) fn next_into(&mut self, p: &mut Posting) -> bool {
        if self.at >= self.docs.len() {
            return false;
        }
        let Some(gap) = get(self.docs, &mut self.at) else {
            return false;
        };
        self.last += gap as i64;
        p.doc = self.last;
        for c in &mut p.counts {
            match get(self.docs, &mut self.at) {
                Some(v) => *c = v as u32,
                None => return false,
            }
        }
        p.positions.clear();
        if let Some(b) = self.positions {
            for &c in &p.counts {
                let mut pos = 0u32;
                for _ in 0..c {
                    match get(b, &mut self.at_positions) {
                        Some(g) => pos = pos.saturating_add(g as u32),
                        None => return false,
                    }
                    p.positions.push(pos);
                }
            }
        }
        true
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

pub(crate) fn decode_lengths(b: &[u8], out: &mut Vec<(i64, u32)>) {
    let (mut at, mut last) = (0, 0i64);
    while at < b.len() {
        let (Some(gap), Some(len)) = (get(b, &mut at), get(b, &mut at)) else {
            return;
        };
        last += gap as i64;
        out.push((last, len as u32));
    }
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
        let mut r = PostingsReader::new(&w.docs, Some(&w.positions));
        let mut p = Posting::default();
        let mut back = Vec::new();
        while r.next_into(&mut p) {
            back.push(p.clone());
        }
        assert_eq!(back, ps);
        // Without positions, the counts alone.
        let mut r = PostingsReader::new(&w.docs, None);
        assert!(r.next_into(&mut p) && p.positions.is_empty() && p.counts == [1, 0, 2]);
        // A blob cut short ends the postings; it does not panic.
        let mut r = PostingsReader::new(&w.docs[..w.docs.len() - 1], Some(&w.positions[..2]));
        let mut n = 0;
        while r.next_into(&mut p) {
            n += 1;
        }
        assert!(n <= 1);
        let lengths = [(1, 10), (7, 300), (1 << 40, 0)];
        let mut out = Vec::new();
        decode_lengths(&encode_lengths(&lengths), &mut out);
        assert_eq!(out, lengths);
    }
}

//! Hostile PDFs, made on the spot: a handful of bytes each that crash, hang or exhaust a PDF reader. The
//! robustness tests and `scripts/hostile-batch` (through `examples/make_hostile.rs`) write them; none is
//! committed, so the suite carries no large or dangerous file.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};

/// A PDF from its numbered objects (object i+1 is `objs[i]`) with a correct cross-reference table.
pub fn pdf(objs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut offsets = Vec::with_capacity(objs.len());
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).bytes());
        out.extend(o);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).bytes());
    for o in offsets {
        out.extend(format!("{o:010} 00000 n \n").bytes());
    }
    let trailer = format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objs.len() + 1
    );
    out.extend(trailer.bytes());
    out
}

/// A one-page PDF showing `lines` in Helvetica, one text line each: a letter as a PDF without a corpus
/// file. Only printable ASCII (others become `?`), escaped: the tests are about structure, not encodings.
pub fn text_pdf<S: AsRef<str>>(lines: &[S]) -> Vec<u8> {
    let mut content = String::from("BT /F1 10 Tf 50 780 Td 12 TL\n");
    for line in lines {
        let line: String = line
            .as_ref()
            .chars()
            .map(|c| {
                if c.is_ascii() && !c.is_ascii_control() {
                    c
                } else {
                    '?'
                }
            })
            .collect();
        let esc = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({esc}) Tj T*\n"));
    }
    content.push_str("ET");
    pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
             /Resources << /Font << /F1 5 0 R >> >> >>",
        ),
        stream("", content.as_bytes()),
        obj(FONT),
    ])
}

fn obj(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn stream(dict: &str, body: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", body.len()).into_bytes();
    o.extend(body);
    o.extend(b"\nendstream");
    o
}

const FONT: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
const TEXT: &[u8] = b"BT /F1 12 Tf 72 720 Td (IMR) Tj ET";

/// A page that is its own /Parent, with no /MediaBox: a reader looking for an inherited one walks forever.
pub fn self_parent() -> Vec<u8> {
    pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj("<< /Type /Page /Parent 3 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
        stream("", TEXT),
        obj(FONT),
    ])
}

/// A /Parent chain that loops (page -> pages A -> pages B -> pages A), with no /MediaBox to end the walk.
pub fn parent_loop() -> Vec<u8> {
    pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [4 0 R] /Count 1 /Parent 3 0 R >>"),
        obj("<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 5 0 R /Resources << /Font << /F1 6 0 R >> >> >>"),
        stream("", TEXT),
        obj(FONT),
    ])
}

/// A page tree `depth` levels deep, one page at the bottom.
pub fn deep_tree(depth: usize) -> Vec<u8> {
    let mut objs = vec![obj("<< /Type /Catalog /Pages 2 0 R >>")];
    // Objects 2 ..= depth+1 are /Pages nodes, each the parent of the next.
    for level in 0..depth {
        let me = level + 2;
        // The /MediaBox only at the root: the page inherits it across every level.
        let parent = match level {
            0 => "/MediaBox [0 0 612 792]".to_string(),
            _ => format!("/Parent {} 0 R", me - 1),
        };
        objs.push(obj(&format!(
            "<< /Type /Pages /Kids [{} 0 R] /Count 1 {parent} >>",
            me + 1
        )));
    }
    let page = depth + 2;
    objs.push(obj(&format!(
        "<< /Type /Page /Parent {} 0 R /Contents {} 0 R /Resources << /Font << /F1 {} 0 R >> >> >>",
        page - 1,
        page + 1,
        page + 2
    )));
    objs.push(stream("", TEXT));
    objs.push(obj(FONT));
    pdf(&objs)
}

/// A Form XObject whose content draws itself.
pub fn self_drawing_xobject() -> Vec<u8> {
    pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
             /Resources << /XObject << /X1 5 0 R >> >> >>"),
        stream("", b"/X1 Do"),
        stream("/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X1 5 0 R >> >>", b"/X1 Do"),
    ])
}

/// A page drawing a form that draws the next form twice, `depth` forms deep: the forms are few and
/// small, but a reader that draws each form where it is drawn (no cycle, so no recursion limit
/// met) has 2^`depth` forms to draw, in little memory: a file that hangs a reader until its time
/// limit.
pub fn form_fan(depth: usize) -> Vec<u8> {
    let mut objs = vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
        obj(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
             /Resources << /XObject << /X 5 0 R >> >> >>",
        ),
        stream("", b"/X Do"),
    ];
    // Form i is object 5 + i; the last draws nothing.
    for i in 0..depth {
        let (resources, content) = match i + 1 < depth {
            true => (
                format!("/Resources << /XObject << /X {} 0 R >> >>", 6 + i),
                "/X Do /X Do",
            ),
            false => (String::new(), "q Q"),
        };
        objs.push(stream(
            &format!("/Type /XObject /Subtype /Form /BBox [0 0 10 10] {resources}"),
            content.as_bytes(),
        ));
    }
    pdf(&objs)
}

/// `pages` pages sharing one small content stream.
pub fn many_pages(pages: usize) -> Vec<u8> {
    let kids: Vec<String> = (0..pages).map(|i| format!("{} 0 R", i + 5)).collect();
    let mut objs = vec![
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj(&format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} /MediaBox [0 0 612 792] >>",
            kids.join(" ")
        )),
        stream("", TEXT),
        obj(FONT),
    ];
    for _ in 0..pages {
        objs.push(obj("<< /Type /Page /Parent 2 0 R /Contents 3 0 R /Resources << /Font << /F1 4 0 R >> >> >>"));
    }
    pdf(&objs)
}

/// LSB-first bit packing, as deflate wants it.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, bits: u32) {
        self.acc |= value << self.n;
        self.n += bits;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, bits: u32) {
        let rev = code.reverse_bits() >> (32 - bits);
        self.put(u64::from(rev), bits);
    }
    fn literal(&mut self, b: u8) {
        match b {
            0..=143 => self.code(0x30 + u32::from(b), 8),
            _ => self.code(0x190 + u32::from(b) - 144, 9),
        }
    }
}

/// The fixed-Huffman distance code and extra bits of a distance 1..=32768.
fn distance_code(d: u32) -> (u32, u32, u32) {
    let mut base = 1u32;
    for code in 0..30u32 {
        let extra = if code < 4 { 0 } else { code / 2 - 1 };
        if d < base + (1 << extra) {
            return (code, extra, d - base);
        }
        base += 1 << extra;
    }
    panic!("distance {d} out of range")
}

/// A zlib stream that inflates to `prefix`, then `pattern` repeated to `total` bytes in all, then `suffix`:
/// written directly as back-references, so a gigabyte costs megabytes and no compressor time. The checksum
/// is left zero: a reader runs out of its limits long before it could check it.
pub fn zlib_repeat(prefix: &[u8], pattern: &[u8], total: u64, suffix: &[u8]) -> Vec<u8> {
    let mut b = Bits {
        out: vec![0x78, 0x01],
        acc: 0,
        n: 0,
    };
    b.put(1, 1); // final block
    b.put(1, 2); // fixed Huffman codes
    prefix.iter().for_each(|&c| b.literal(c));
    pattern.iter().for_each(|&c| b.literal(c));
    let (dcode, dextra, dvalue) = distance_code(pattern.len() as u32);
    let mut left = total.saturating_sub(pattern.len() as u64);
    while left >= 258 {
        b.code(0xC5, 8); // length code 285: 258 bytes
        b.code(dcode, 5);
        b.put(u64::from(dvalue), dextra);
        left -= 258;
    }
    // The last few bytes as literals; the pattern's phase carries on where the copies stopped.
    let done = total.saturating_sub(left) as usize;
    for i in done..done + left as usize {
        b.literal(pattern[i % pattern.len()]);
    }
    suffix.iter().for_each(|&c| b.literal(c));
    b.code(0, 7); // end of block
    b.put(0, 7); // pad to a byte
    b.out.extend([0, 0, 0, 0]);
    b.out
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

/// A page whose content stream inflates to `gigabytes` of zeros through two FlateDecode layers.
pub fn inflate_bomb(gigabytes: u64) -> Vec<u8> {
    let inner = zlib_repeat(b"", b"\0", gigabytes << 30, b"");
    let outer = deflate(&inner);
    one_page(stream("/Filter [/FlateDecode /FlateDecode]", &outer))
}

/// A page whose content holds `ops` text-showing operators, in a small file.
pub fn text_operator_bomb(ops: u64) -> Vec<u8> {
    let pattern = b"(a) Tj ";
    let inner = zlib_repeat(
        b"BT /F1 12 Tf 72 720 Td ",
        pattern,
        ops * pattern.len() as u64,
        b" ET",
    );
    let outer = deflate(&inner);
    one_page(stream("/Filter [/FlateDecode /FlateDecode]", &outer))
}

fn one_page(contents: Vec<u8>) -> Vec<u8> {
    pdf(&[
        obj("<< /Type /Catalog /Pages 2 0 R >>"),
        obj("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 612 792] >>"),
        obj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"),
        contents,
        obj(FONT),
    ])
}

/// A small deterministic generator (xorshift), so the damaged copies are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `n` copies of `good` with `flips` random bytes changed each.
pub fn byte_flips(good: &[u8], n: usize, flips: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed.max(1));
    (0..n)
        .map(|_| {
            let mut b = good.to_vec();
            for _ in 0..flips {
                let i = (rng.next() % b.len() as u64) as usize;
                b[i] ^= (rng.next() % 255 + 1) as u8;
            }
            b
        })
        .collect()
}

/// `good` cut at `n` offsets spread over its length.
pub fn truncations(good: &[u8], n: usize) -> Vec<Vec<u8>> {
    (1..=n)
        .map(|k| good[..good.len() * k / (n + 1)].to_vec())
        .collect()
}

/// The hostile files that crash, hang or exhaust the reader (not the damaged copies of a good letter).
pub fn reader_killers() -> Vec<(String, Vec<u8>)> {
    vec![
        ("self-parent.pdf", self_parent()),
        ("parent-loop.pdf", parent_loop()),
        ("deep-tree-50000.pdf", deep_tree(50_000)),
        ("self-drawing-xobject.pdf", self_drawing_xobject()),
        ("form-fan-40.pdf", form_fan(40)),
        ("inflate-bomb-4g.pdf", inflate_bomb(4)),
        ("text-ops-200m.pdf", text_operator_bomb(200_000_000)),
        ("text-ops-20m.pdf", text_operator_bomb(20_000_000)),
        ("pages-100000.pdf", many_pages(100_000)),
    ]
    .into_iter()
    .map(|(n, b)| (n.to_string(), b))
    .collect()
}

/// Writes the reader killers and, from `good` (a real letter's PDF), `flips` damaged and `cuts` truncated
/// copies into `dir`; returns their paths.
pub fn write_suite(dir: &Path, good: &[u8], flips: usize, cuts: usize) -> Vec<PathBuf> {
    let mut files = reader_killers();
    for (i, b) in byte_flips(good, flips, 20, 42).into_iter().enumerate() {
        files.push((format!("flipped-{i:02}.pdf"), b));
    }
    for (i, b) in truncations(good, cuts).into_iter().enumerate() {
        files.push((format!("truncated-{i:02}.pdf"), b));
    }
    files
        .into_iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).expect("write a hostile file");
            p
        })
        .collect()
}

//! PDF bytes into text, in this process. A batch reaches this through [`super::isolate`], which
//! runs it in a worker process: pdf-extract (over lopdf) panics on malformed input by design and
//! recurses over page trees and form XObjects, so a hostile file can overflow the stack, which no
//! `catch_unwind` stops.
//!
//! pdf-extract stays the extractor, chosen by measurement on the corpus: its text parses for every
//! letter, where lopdf's own `extract_text` (the library under it, better kept) gives text in which
//! no letter's structure survives; it is the text the shipped models were trained on; and with the
//! worker isolation its crashes, hangs and memory blow-ups cost the one file.

use std::collections::HashSet;

/// How far into a file PDF readers look for its `%PDF-` header.
const HEADER_WITHIN: usize = 1024;

/// Where a PDF's `%PDF-` header starts, if within its first kilobyte: bytes before it (a line a
/// gateway added) are not the PDF's, whose offsets count from its header.
pub(crate) fn header_at(bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(HEADER_WITHIN + 5)];
    memchr::memmem::find(head, b"%PDF-")
}

/// The text of a PDF, or why there is none (the caller adds the path).
pub(crate) fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    let Some(start) = header_at(bytes) else {
        return Err("no %PDF header".into());
    };
    let bytes = &bytes[start..];
    let text = match quiet_catch_unwind(|| extract(bytes)) {
        Ok(Ok(t)) => t,
        Ok(Err(reason)) => return Err(reason),
        Err(msg) => {
            return Err(format!(
                "the PDF reader failed on it ({})",
                panic_words(&msg)
            ))
        }
    };
    if text.trim().is_empty() {
        // The DWC's letters are encrypted with an empty password, which the reader undoes; a
        // file it reads no text from may use an encryption it does not.
        return Err(if memchr::memmem::find(bytes, b"/Encrypt").is_some() {
            "no extractable text: it is encrypted, which the PDF reader may not have undone \
             (pdftotext may read it)"
                .into()
        } else {
            "no extractable text (scanned image or empty pages?)".into()
        });
    }
    Ok(without_controls(text))
}

/// The document loaded (its end mended where that is what fails), decrypted, its pages checked
/// and mended, then its text as pdf-extract reads it.
fn extract(bytes: &[u8]) -> Result<String, String> {
    let mut doc = load(bytes).map_err(reader_error)?;
    // The DWC's letters are encrypted with an empty password.
    if doc.is_encrypted() {
        doc.decrypt("").map_err(reader_error)?;
    }
    mend_pages(&mut doc)?;
    let mut text = String::new();
    let mut out = pdf_extract::PlainTextOutput::new(&mut text);
    pdf_extract::output_doc(&doc, &mut out).map_err(reader_error)?;
    Ok(text)
}

/// A reader's error in words: an encryption it cannot undo said as such.
fn reader_error(e: impl ToString) -> String {
    let reason = e.to_string();
    let lower = reason.to_ascii_lowercase();
    match ["encrypt", "decrypt", "password"]
        .iter()
        .any(|w| lower.contains(w))
    {
        true => format!("encrypted ({reason})"),
        false => reason,
    }
}

/// The document; where its end is what fails (bytes after its last `%%EOF`, or that marker cut
/// off, as a truncated download or a mail gateway leaves it), read again up to its last
/// `startxref` offset, as pdftotext and mutool read it.
fn load(bytes: &[u8]) -> lopdf::Result<lopdf::Document> {
    let e = match lopdf::Document::load_mem(bytes) {
        Ok(doc) => return Ok(doc),
        Err(e) => e,
    };
    match mended_end(bytes) {
        Some(mended) => lopdf::Document::load_mem(&mended).map_err(|_| e),
        None => Err(e),
    }
}

/// `bytes` up to the offset after their last `startxref`, then `%%EOF`; None where that is
/// what they are, or they have no such offset.
fn mended_end(bytes: &[u8]) -> Option<Vec<u8>> {
    let at = memchr::memmem::rfind(bytes, b"startxref")? + b"startxref".len();
    let digits_at = at
        + bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
    let digits = bytes[digits_at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let mut mended = bytes[..digits_at + digits].to_vec();
    mended.extend_from_slice(b"\n%%EOF\n");
    (mended != bytes).then_some(mended)
}

/// Checks each page's text streams and mends what pdf-extract would misread: a stream that
/// cannot be read whole is an error naming its page (lopdf keeps what inflates before the damage,
/// or drops an object it cannot parse, and the page's later text, items among it, would be lost
/// unsaid); the text operators `'` and `"` (which Ghostscript writes), which pdf-extract skips,
/// are rewritten as the operators they stand for. The forms a page draws hold text as a page does
/// (a page placed on another, as `qpdf --overlay` and pdfpages place it): the same for them.
fn mend_pages(doc: &mut lopdf::Document) -> Result<(), String> {
    let mut forms_seen = HashSet::new();
    for (n, page) in doc.get_pages() {
        inherit_onto_page(doc, page);
        for content in page_contents(doc, page) {
            let stream = content
                .and_then(|id| doc.get_object_mut(id).ok())
                .and_then(|o| o.as_stream_mut().ok());
            // Inflated here once, kept plain: pdf-extract then reads it without inflating again.
            match stream.map(|s| (inflated(s), s)) {
                Some((Ok(Some(plain)), s)) => s.set_plain_content(plain),
                Some((Ok(None), _)) => {}
                _ => return Err(damaged(n, "a content stream")),
            }
        }
        let Ok(content) = doc.get_page_content(page) else {
            continue;
        };
        let scan = scan_operators(&content);
        if scan.quote {
            if let Some(encoded) = quotes_expanded(&content) {
                let stream = doc.add_object(lopdf::Stream::new(lopdf::Dictionary::new(), encoded));
                if let Ok(dict) = doc
                    .get_object_mut(page)
                    .and_then(lopdf::Object::as_dict_mut)
                {
                    dict.set("Contents", lopdf::Object::Reference(stream));
                }
            }
        }
        if !scan.drawn.is_empty() {
            let xobjects = page_xobjects(doc, page);
            mend_forms(doc, xobjects, scan.drawn, &mut forms_seen)
                .map_err(|()| damaged(n, "a form it draws"))?;
        }
    }
    Ok(())
}

/// The attributes pdf-extract finds through a page's ancestors (its resources and media box) set
/// on the page itself, found by a bounded walk up: pdf-extract's own walk has no bound, and a
/// `/Parent` chain that loops (or a page its own parent) would hang it until the time limit. A
/// page with no media box on the way gets US Letter, as pdftotext gives it, where pdf-extract
/// would panic.
fn inherit_onto_page(doc: &mut lopdf::Document, page: lopdf::ObjectId) {
    const KEYS: [&[u8]; 2] = [b"Resources", b"MediaBox"];
    const LETTER: [i64; 4] = [0, 0, 612, 792];
    // Deeper than the page trees writers make (balanced, a few levels).
    const MAX_DEPTH: usize = 256;
    let mut found: [Option<lopdf::Object>; 2] = [None, None];
    let Ok(dict) = doc.get_dictionary(page) else {
        return;
    };
    if KEYS.iter().all(|k| dict.has(k)) {
        return;
    }
    let (mut node, mut seen) = (dict, HashSet::from([page]));
    loop {
        for (key, found) in KEYS.iter().zip(&mut found) {
            if found.is_none() {
                *found = node.get(key).ok().cloned();
            }
        }
        let Ok(parent) = node.get(b"Parent").and_then(lopdf::Object::as_reference) else {
            break;
        };
        if found.iter().all(Option::is_some) || !seen.insert(parent) || seen.len() > MAX_DEPTH {
            break;
        }
        let Ok(next) = doc.get_dictionary(parent) else {
            break;
        };
        node = next;
    }
    let [resources, media_box] = found;
    let media_box = media_box.unwrap_or_else(|| LETTER.map(lopdf::Object::from).to_vec().into());
    if let Ok(dict) = doc.get_dictionary_mut(page) {
        if let Some(resources) = resources {
            dict.set("Resources", resources);
        }
        dict.set("MediaBox", media_box);
    }
}

/// A page's text that cannot be read whole, in words.
fn damaged(page: u32, what: &str) -> String {
    format!(
        "page {page}: its text is damaged ({what} cannot be read whole), so some of it would be \
         lost; pdftotext or mutool may read more of it"
    )
}

/// The forms drawn by name (`Do`) under `xobjects`, and those they draw in turn, inflated and
/// checked, their quote operators rewritten, each once (`seen`); images are left alone.
fn mend_forms(
    doc: &mut lopdf::Document,
    xobjects: Option<lopdf::Dictionary>,
    drawn: Vec<Vec<u8>>,
    seen: &mut HashSet<lopdf::ObjectId>,
) -> Result<(), ()> {
    use lopdf::Object;
    let mut work = vec![(xobjects, drawn)];
    while let Some((xobjects, names)) = work.pop() {
        for name in names {
            let id = xobjects.as_ref().and_then(|x| x.get(&name).ok());
            let Some(id) = id.and_then(|o| o.as_reference().ok()) else {
                continue;
            };
            let form = doc
                .get_object_mut(id)
                .ok()
                .and_then(|o| o.as_stream_mut().ok());
            let is_form = |f: &&mut lopdf::Stream| {
                f.dict.get(b"Subtype").and_then(Object::as_name).ok() == Some(&b"Form"[..])
            };
            let Some(form) = form.filter(is_form) else {
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            if let Some(plain) = inflated(form)? {
                form.set_plain_content(plain);
            }
            // A filter lopdf cannot undo is left to the reader, as on a page: read as it is.
            let content = form
                .decompressed_content()
                .unwrap_or_else(|_| form.content.clone());
            let scan = scan_operators(&content);
            if scan.quote {
                if let Some(encoded) = quotes_expanded(&content) {
                    form.set_plain_content(encoded);
                }
            }
            if !scan.drawn.is_empty() {
                let own = form.dict.get(b"Resources").ok().cloned();
                let own = own.and_then(|r| resource_xobjects(doc, &r));
                work.push((own.or_else(|| xobjects.clone()), scan.drawn));
            }
        }
    }
    Ok(())
}

/// A content stream with `'` and `"` rewritten, encoded again; None where it does not decode.
/// Inline images are left out: they hold no text, and lopdf does not encode them as they were.
fn quotes_expanded(content: &[u8]) -> Option<Vec<u8>> {
    let mut ops = lopdf::content::Content::decode(content).ok()?;
    ops.operations.retain(|op| op.operator != "BI");
    expand_quote_operators(&mut ops.operations);
    ops.encode().ok()
}

/// The XObjects a page's resources name: its own or its nearest ancestor's, as pdf-extract
/// finds them.
fn page_xobjects(doc: &lopdf::Document, page: lopdf::ObjectId) -> Option<lopdf::Dictionary> {
    let mut node = doc.get_dictionary(page).ok()?;
    // A bound on the walk up: a parent chain may loop.
    for _ in 0..64 {
        if let Ok(resources) = node.get(b"Resources") {
            return resource_xobjects(doc, resources);
        }
        let parent = node
            .get(b"Parent")
            .and_then(lopdf::Object::as_reference)
            .ok()?;
        node = doc.get_dictionary(parent).ok()?;
    }
    None
}

/// The `/XObject` dictionary of a resource dictionary (either given by reference).
fn resource_xobjects(
    doc: &lopdf::Document,
    resources: &lopdf::Object,
) -> Option<lopdf::Dictionary> {
    let (_, resources) = doc.dereference(resources).ok()?;
    let (_, xobjects) = doc
        .dereference(resources.as_dict().ok()?.get(b"XObject").ok()?)
        .ok()?;
    xobjects.as_dict().ok().cloned()
}

/// Where a literal string that opens at `at` ends (after its closing parenthesis): parentheses
/// balanced, backslash escapes skipped.
fn string_end(content: &[u8], at: usize) -> usize {
    let (mut i, mut depth) = (at, 0usize);
    while i < content.len() {
        match content[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i + 1
}

/// Where an inline image's data that starts at `from` ends: at its `EI` between white space.
fn image_end(content: &[u8], from: usize) -> usize {
    let data = &content[from..];
    let ei = data.windows(4).position(|w| {
        w[0].is_ascii_whitespace() && &w[1..3] == b"EI" && w[3].is_ascii_whitespace()
    });
    from + ei.map_or(data.len(), |at| at + 3)
}

/// A name as its bytes, `#xx` escapes undone (a resource dictionary's keys are read so).
fn name_decoded(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        let hex = name
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (name[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'#', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// What a scan of a content stream's tokens found: the operator `'` or `"`, and the names of
/// the XObjects it draws (`/Name Do`).
#[derive(Debug, Default, PartialEq)]
struct Scan {
    quote: bool,
    drawn: Vec<Vec<u8>>,
}

/// The operators of [`Scan`] in a content stream, found by its tokens: an apostrophe in a string
/// or a comment is text, not the operator.
fn scan_operators(content: &[u8]) -> Scan {
    let regular = |b: u8| !b" \t\r\n\x0c\0()<>[]{}/%".contains(&b);
    let run = |from: usize| from + content[from..].iter().take_while(|&&b| regular(b)).count();
    let mut scan = Scan::default();
    // The token before, where it was a name.
    let mut name: Option<&[u8]> = None;
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'(' => {
                name = None;
                i = string_end(content, i);
            }
            b'<' if content.get(i + 1) == Some(&b'<') => {
                name = None;
                i += 2;
            }
            b'<' => {
                i += content[i..]
                    .iter()
                    .position(|&b| b == b'>')
                    .unwrap_or(content.len())
                    + 1;
                name = None;
            }
            b'%' => {
                let line_end = content[i..].iter().position(|&b| b == b'\n' || b == b'\r');
                i += line_end.unwrap_or(content.len());
            }
            b'/' => {
                let end = run(i + 1);
                name = Some(&content[i + 1..end]);
                i = end;
            }
            b if regular(b) => {
                let end = run(i);
                match &content[i..end] {
                    b"'" | b"\"" => scan.quote = true,
                    b"Do" => scan.drawn.extend(name.map(name_decoded)),
                    // An inline image's data, any bytes: up to its `EI` between white space.
                    b"ID" => {
                        name = None;
                        i = image_end(content, end);
                        continue;
                    }
                    _ => {}
                }
                name = None;
                i = end;
            }
            b => {
                // Whitespace between a name and its operator keeps the name; a delimiter ends it.
                if !b.is_ascii_whitespace() && b != 0 {
                    name = None;
                }
                i += 1;
            }
        }
    }
    scan
}

/// A page's text streams, each as its object's id; None for one that is no stream (lopdf keeps
/// the dictionary of a stream it could not parse) or that the file lists but lopdf could not
/// read, where lopdf's own list leaves it out. A null, or a reference to an object the file does
/// not list (a null too), draws nothing.
fn page_contents(doc: &lopdf::Document, page: lopdf::ObjectId) -> Vec<Option<lopdf::ObjectId>> {
    use lopdf::Object;
    let Ok(contents) = doc.get_dictionary(page).and_then(|d| d.get(b"Contents")) else {
        return Vec::new();
    };
    let listed = |id: lopdf::ObjectId| {
        use lopdf::xref::XrefEntry;
        let entry = doc.reference_table.get(id.0);
        matches!(
            entry,
            Some(XrefEntry::Normal { .. } | XrefEntry::Compressed { .. })
        )
    };
    let one = |o: &Object| match o {
        Object::Null => None,
        Object::Reference(id) => match doc.get_object(*id) {
            Ok(Object::Stream(_)) => Some(Some(*id)),
            Ok(Object::Null) => None,
            Err(_) if !listed(*id) => None,
            _ => Some(None),
        },
        _ => Some(None),
    };
    match contents {
        Object::Reference(id) => match doc.get_object(*id) {
            Ok(Object::Array(list)) => list.iter().filter_map(one).collect(),
            _ => one(contents).into_iter().collect(),
        },
        Object::Array(list) => list.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// A stream's data inflated, where it is deflated alone (other filters are left to the reader:
/// None); an error where the data ends before its deflated stream does (damaged, or cut short).
/// A wrong zlib checksum (or no zlib header) is taken, as lopdf takes it (encrypted PDFs often
/// get it wrong), where the data inflates whole and reads as page operators: a byte changed
/// inside inflates to bytes that do not.
fn inflated(stream: &lopdf::Stream) -> Result<Option<Vec<u8>>, ()> {
    let flate_only = stream.filters().is_ok_and(|f| f == [b"FlateDecode"]);
    if !flate_only || stream.dict.has(b"DecodeParms") || stream.content.is_empty() {
        return Ok(None);
    }
    let data = &stream.content;
    if let Some(plain) = inflate(data, true) {
        return Ok(Some(plain));
    }
    let zlib_header = data.len() >= 2
        && data[0] & 0x0f == 8
        && (u16::from(data[0]) << 8 | u16::from(data[1])) % 31 == 0;
    let raw = if zlib_header { &data[2..] } else { &data[..] };
    match inflate(raw, false) {
        Some(plain) if lopdf::content::Content::decode_strict(&plain).is_ok() => Ok(Some(plain)),
        _ => Err(()),
    }
}

/// `data` inflated to the end of its deflate stream (`zlib`: with its header and checksum); None
/// where the data ends first, or is not deflate.
fn inflate(data: &[u8], zlib: bool) -> Option<Vec<u8>> {
    let mut z = flate2::Decompress::new(zlib);
    let mut out = Vec::with_capacity(data.len() * 4);
    loop {
        if out.len() == out.capacity() {
            out.reserve(out.len().max(64 * 1024));
        }
        let before = (z.total_in(), z.total_out());
        let input = &data[z.total_in() as usize..];
        match z.decompress_vec(input, &mut out, flate2::FlushDecompress::None) {
            Ok(flate2::Status::StreamEnd) => return Some(out),
            Ok(_) if (z.total_in(), z.total_out()) != before => {}
            // An error, or no progress with room to write: the data ends before its stream.
            _ if out.len() < out.capacity() => return None,
            _ => {}
        }
    }
}

/// `'` (next line, then show) and `"` (word and character spacing, next line, show) as `T*`,
/// `Tw`, `Tc` and `Tj`.
fn expand_quote_operators(ops: &mut Vec<lopdf::content::Operation>) {
    use lopdf::content::Operation;
    let mut out = Vec::with_capacity(ops.len() + 8);
    for op in ops.drain(..) {
        let mut operands = op.operands;
        let shown = match op.operator.as_str() {
            "'" if operands.len() == 1 => operands.pop(),
            "\"" if operands.len() == 3 => {
                let string = operands.pop();
                let (aw, ac) = (operands.remove(0), operands.remove(0));
                out.push(Operation::new("Tw", vec![aw]));
                out.push(Operation::new("Tc", vec![ac]));
                string
            }
            _ => {
                out.push(Operation::new(&op.operator, operands));
                continue;
            }
        };
        out.push(Operation::new("T*", Vec::new()));
        out.extend(shown.map(|s| Operation::new("Tj", vec![s])));
    }
    *ops = out;
}

/// A reader's panic in words: an `unwrap` on a content it could not parse says what it was.
fn panic_words(msg: &str) -> String {
    match msg.strip_prefix("called `Result::unwrap()` on an `Err` value: ") {
        Some(what) => format!("a part of it it could not read: {what}"),
        None => msg.to_string(),
    }
}

/// The text without control characters other than line ends, tabs and form feeds: a glyph of a
/// font that maps to no character comes out as NUL, which no output should carry.
fn without_controls(text: String) -> String {
    let keep = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\x0c');
    match text.chars().all(keep) {
        true => text,
        false => text.chars().filter(|&c| keep(c)).collect(),
    }
}

/// Runs `f`, turning a panic into its message without printing the default panic report.
fn quiet_catch_unwind<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    use std::sync::{Mutex, OnceLock};
    // The panic hook is process-global: swap it under a lock so concurrent extractions do not race.
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    thread_local!(static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    {
        let _g = LOCK
            .get_or_init(|| Mutex::new(()))
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !QUIET.with(|q| q.get()) {
                    previous(info);
                }
            }));
        });
    }
    QUIET.with(|q| q.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic in PDF reader".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{dictionary, Document, Object, Stream};

    /// `doc` with its page tree (`pages`, holding `page`) and catalog, saved.
    fn saved(mut doc: Document, pages: lopdf::ObjectId, page: lopdf::ObjectId) -> Vec<u8> {
        let tree = dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 };
        doc.objects.insert(pages, Object::Dictionary(tree));
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
        doc.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        doc.save_to(&mut bytes).unwrap();
        bytes
    }

    /// `pdf` with eight bytes of its first stream's deflated data zeroed: the data cut short,
    /// the stream's length and the file's offsets kept.
    fn first_stream_damaged(pdf: &[u8]) -> Vec<u8> {
        let at = memchr::memmem::find(pdf, b"stream\n").unwrap() + 7 + 20;
        let mut cut = pdf.to_vec();
        cut[at..at + 8].copy_from_slice(b"\0\0\0\0\0\0\0\0");
        cut
    }

    /// A one-page PDF in Helvetica whose page draws `content`, deflated where `deflate`.
    fn one_page(content: &[u8], deflate: bool) -> Vec<u8> {
        one_page_listed(content, deflate, |c| c.into())
    }

    /// [`one_page`], its page's `/Contents` made from the content stream's reference by `list`.
    fn one_page_listed(
        content: &[u8],
        deflate: bool,
        list: fn(lopdf::ObjectId) -> Object,
    ) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let mut stream = Stream::new(dictionary! {}, content.to_vec());
        if deflate {
            stream.compress().unwrap();
            assert!(stream.filters().is_ok(), "deflated");
        }
        let content = doc.add_object(stream);
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages, "Contents" => list(content),
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        });
        saved(doc, pages, page)
    }

    /// A one-page PDF whose page draws a form (`/Fm1 Do`), the form drawing `content`, deflated
    /// where `deflate`: a page placed on another, as `qpdf --overlay` places it.
    fn one_page_in_a_form(content: &[u8], deflate: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let mut form = Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
            },
            content.to_vec(),
        );
        if deflate {
            form.compress().unwrap();
        }
        let form = doc.add_object(form);
        let content = doc.add_object(Stream::new(dictionary! {}, b"q /Fm1 Do Q".to_vec()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages, "Contents" => content,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "Fm1" => form } },
        });
        saved(doc, pages, page)
    }

    /// A page whose `/Parent` chain loops (the page its own parent, or two nodes each other's),
    /// with its resources on the way and no media box, is read as pdftotext reads it, at once.
    #[test]
    fn a_looping_page_tree_is_read() {
        for own_parent in [true, false] {
            let mut doc = Document::with_version("1.5");
            let pages = doc.new_object_id();
            let font = doc.add_object(dictionary! {
                "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
            });
            let text = b"BT /F1 12 Tf 72 700 Td (Decision rationale) Tj ET".to_vec();
            let content = doc.add_object(Stream::new(dictionary! {}, text));
            let resources = dictionary! { "Font" => dictionary! { "F1" => font } };
            let page = doc.new_object_id();
            let parent = match own_parent {
                true => page,
                false => {
                    let (a, b) = (doc.new_object_id(), doc.new_object_id());
                    let node = |parent: lopdf::ObjectId| dictionary! { "Parent" => parent };
                    let mut a_node = node(b);
                    a_node.set("Resources", resources.clone());
                    doc.objects.insert(a, Object::Dictionary(a_node));
                    doc.objects.insert(b, Object::Dictionary(node(a)));
                    a
                }
            };
            let mut dict =
                dictionary! { "Type" => "Page", "Parent" => parent, "Contents" => content };
            if own_parent {
                dict.set("Resources", resources);
            }
            doc.objects.insert(page, Object::Dictionary(dict));
            let text = pdf_text(&saved(doc, pages, page)).unwrap();
            assert!(text.contains("Decision rationale"), "{text:?}");
        }
    }

    /// A form's text is mended and checked as a page's is: its quote operators read, its
    /// damaged stream said with the page that draws it.
    #[test]
    fn text_in_a_form_is_read_as_a_page_is() {
        let quoted = b"BT /F1 12 Tf 14 TL 72 700 Td (Decision) Tj (rationale:) ' ET";
        let text = pdf_text(&one_page_in_a_form(quoted, true)).unwrap();
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(words, ["Decision", "rationale:"], "{text:?}");
        let whole = one_page_in_a_form(
            &b"BT /F1 12 Tf 72 700 Td (Decision rationale) Tj ET\n".repeat(40),
            true,
        );
        assert!(pdf_text(&whole).unwrap().contains("Decision rationale"));
        let e = pdf_text(&first_stream_damaged(&whole)).unwrap_err();
        assert!(
            e.starts_with("page 1: its text is damaged (a form it draws"),
            "{e}"
        );
    }

    /// A line shown with `'` or `"` (Ghostscript writes them) is read as one shown with `Tj`
    /// after `T*`, which pdf-extract reads.
    #[test]
    fn text_shown_by_the_quote_operators_is_read() {
        let content = b"BT /F1 12 Tf 14 TL 72 700 Td (Decision) Tj (rationale:) ' \
                        2 1 (Upheld) \" ET";
        let text = pdf_text(&one_page(content, false)).unwrap();
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(words, ["Decision", "rationale:", "Upheld"], "{text:?}");
    }

    /// A page whose text stream ends before its data does (a download cut short, a byte
    /// changed) is an error naming the page, not a letter read without that page's items.
    #[test]
    fn a_damaged_text_stream_names_its_page() {
        let whole = one_page(
            &b"BT /F1 12 Tf 72 700 Td (Decision rationale) Tj ET\n".repeat(40),
            true,
        );
        assert!(pdf_text(&whole).unwrap().contains("Decision rationale"));
        let e = pdf_text(&first_stream_damaged(&whole)).unwrap_err();
        assert!(e.starts_with("page 1: its text is damaged"), "{e}");
        // A stream whose length runs past its data (and the line end after it): lopdf keeps its
        // dictionary alone.
        let data = memchr::memmem::find(&whole, b"stream\n").unwrap();
        let key = memchr::memmem::rfind(&whole[..data], b"/Length ").unwrap() + 8;
        let digits = whole[key..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let length: usize = std::str::from_utf8(&whole[key..key + digits])
            .unwrap()
            .parse()
            .unwrap();
        let longer = (length + 2).to_string();
        assert_eq!(longer.len(), digits, "the same width, the offsets kept");
        let mut long = whole.clone();
        long[key..key + digits].copy_from_slice(longer.as_bytes());
        let e = pdf_text(&long).unwrap_err();
        assert!(e.contains("page 1: its text is damaged"), "{e}");
    }

    /// What a valid file may hold is not damage: a zlib checksum that is wrong (lopdf does not
    /// require it: encrypted PDFs often get it wrong), nulls and references to objects the file
    /// does not list among a page's contents (nulls, by the standard).
    #[test]
    fn a_valid_file_is_not_taken_for_damaged() {
        let content = b"BT /F1 12 Tf 72 700 Td (Decision rationale) Tj ET\n".repeat(40);
        let whole = one_page(&content, true);
        let end = memchr::memmem::find(&whole, b"endstream").unwrap();
        let at = end - 1 - usize::from(whole[end - 1] == b'\n');
        let mut checksum = whole.clone();
        checksum[at] ^= 0xff;
        assert!(pdf_text(&checksum).unwrap().contains("Decision rationale"));
        let listed = one_page_listed(&content, true, |c| {
            vec![Object::Null, Object::Reference((900, 0)), c.into()].into()
        });
        assert!(pdf_text(&listed).unwrap().contains("Decision rationale"));
        let null = one_page_listed(&content, true, |_| Object::Null);
        assert!(pdf_text(&null)
            .unwrap_err()
            .starts_with("no extractable text"));
    }

    /// A file whose end is damaged (bytes after its last `%%EOF`, or the marker cut off) is read
    /// up to its last cross-reference offset, as pdftotext reads it.
    #[test]
    fn a_damaged_end_is_read_past() {
        let whole = one_page(b"BT /F1 12 Tf 72 700 Td (Decision rationale) Tj ET", false);
        let want = pdf_text(&whole).unwrap();
        let cut = &whole[..whole.len() - 5];
        let junk = [whole.clone(), vec![0; 600], b"<html>".repeat(100)].concat();
        for bytes in [cut, &junk[..]] {
            assert!(lopdf::Document::load_mem(bytes).is_err() || bytes == cut);
            assert_eq!(pdf_text(bytes).as_deref(), Ok(want.as_str()));
        }
        assert_eq!(mended_end(b"no offset here"), None);
        assert_eq!(
            mended_end(b"xref\nstartxref\n42\n%%EOF\n\0\0"),
            Some(b"xref\nstartxref\n42\n%%EOF\n".to_vec())
        );
    }

    /// An apostrophe in a string, a hex string or a comment is text, not the operator; a name
    /// before `Do` is a form or image drawn.
    #[test]
    fn quote_operators_are_told_from_apostrophes_in_text() {
        let quote = |c: &[u8]| scan_operators(c).quote;
        assert!(!quote(
            b"BT (the patient's (a \\) \"b\")) Tj <27> Tj % it's\nET"
        ));
        assert!(!quote(b"/F'1 12 Tf <</Alt (it's)>> BDC"));
        assert!(quote(b"BT (a) Tj (b) ' ET"));
        assert!(quote(b"BT 1 2 (b)\" ET"));
        assert!(quote(b"<< /A 1 >> BD (x)'"));
        let drawn = scan_operators(b"q /Fm1 Do Q /Im2\n Do /X [/Y] Do (/Z) Do /F1 12 Tf").drawn;
        assert_eq!(drawn, [b"Fm1".to_vec(), b"Im2".to_vec()]);
        // An inline image's data is no text: its bytes are skipped; a name's escapes undone.
        let image = b"BI /W 2 /H 1 ID (%'< \n EI /Fm#31 Do (x)'";
        let scan = scan_operators(image);
        assert_eq!(scan.drawn, [b"Fm1".to_vec()]);
        assert!(scan.quote);
        assert!(!scan_operators(b"BI /W 1 ID ' EI").quote);
    }

    /// A glyph that maps to no character (NUL) is left out of the text; line ends stay.
    #[test]
    fn control_characters_are_left_out() {
        assert_eq!(
            without_controls("a\0b\n\x0cc\td\x07".into()),
            "ab\n\x0cc\td"
        );
        assert_eq!(
            panic_words("called `Result::unwrap()` on an `Err` value: Parse(X)"),
            "a part of it it could not read: Parse(X)"
        );
    }

    #[test]
    fn the_header_is_found_within_the_first_kilobyte() {
        assert_eq!(header_at(b"%PDF-1.4\n"), Some(0));
        assert_eq!(header_at(b"\r\n%PDF-1.7\n"), Some(2));
        let late = [vec![b' '; HEADER_WITHIN + 1], b"%PDF-1.4".to_vec()].concat();
        assert_eq!(header_at(&late), None);
        assert_eq!(header_at(b"%PD"), None);
        assert_eq!(pdf_text(b"no header").unwrap_err(), "no %PDF header");
    }
}

//! Reading JSON inputs as users' editors and tools write them: a UTF-8 byte order mark is accepted
//! at the start of any JSON file, and JSON-lines input is read one bounded line at a time, so that
//! one bad line (not UTF-8, too long) is that line's error and not the whole input's.

use std::io::BufRead;
use std::path::Path;

/// The UTF-8 byte order mark some editors put at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading UTF-8 byte order mark.
pub fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// The encoding of a text that is not UTF-8 but UTF-16 or UTF-32 (as Windows tools save
/// "Unicode" text): by its byte order mark, or by the zero bytes beside its first ASCII
/// character. None for anything else, which the reader judges as it is.
pub fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] | [0, 0, 0xFE, 0xFF, ..] => Some("UTF-32"),
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Some("UTF-16"),
        [a, 0, 0, 0, ..] | [0, 0, 0, a, ..] if a.is_ascii() && *a != 0 => Some("UTF-32"),
        [a, 0, ..] | [0, a, ..] if a.is_ascii() && *a != 0 => Some("UTF-16"),
        _ => None,
    }
}

/// What a JSON file saved as UTF-16 or UTF-32 is told, with what to do.
pub fn wide_encoding_reason(encoding: &str) -> String {
    format!("{encoding} text; imr reads JSON in UTF-8 (save the file as UTF-8)")
}

/// `text` without a leading byte order mark.
pub fn strip_bom_str(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Opens an input file read as a stream (JSON lines, a text): a device (`/dev/zero` never ends)
/// or a socket is refused before it is opened; a FIFO (a shell's `<(...)`) is read. `wanted`
/// says what the path should name.
pub fn open_stream(path: &Path, wanted: &'static str) -> crate::Result<std::fs::File> {
    let meta = std::fs::metadata(path).map_err(|e| crate::Error::io(path, e))?;
    let fifo = {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileTypeExt::is_fifo(&meta.file_type())
        }
        #[cfg(not(unix))]
        {
            false
        }
    };
    match crate::parse::walk::special_kind(&meta) {
        Some(kind) if !fifo => Err(crate::Error::NotAFile {
            path: path.into(),
            kind,
            wanted,
        }),
        _ => std::fs::File::open(path).map_err(|e| crate::Error::io(path, e)),
    }
}

/// What stdin is when it is a device that is not a terminal (`< /dev/zero`, which never ends), as
/// [`open_stream`] refuses a device named by path; None for a file, a pipe or a terminal.
pub fn stdin_device() -> Option<&'static str> {
    use std::io::IsTerminal;
    // /dev/null, as scripts give a command no input, ends at once: it is read, as empty.
    let null = std::fs::canonicalize("/dev/stdin").is_ok_and(|p| p == Path::new("/dev/null"));
    if std::io::stdin().is_terminal() || null {
        return None;
    }
    let meta = std::fs::metadata("/dev/stdin").ok()?;
    let kind = crate::parse::walk::special_kind(&meta)?;
    (kind == "a device").then_some(kind)
}

/// The longest line read: a longer one is reported and skipped without being held in memory.
pub const MAX_LINE: usize = 16 << 20;

/// The lines of a JSON-lines input, numbered from 1: each its text (without the line break and, on
/// line 1, a byte order mark), or what is wrong with it. A read error ends the input (`Some(Err)`).
pub struct Lines<R> {
    reader: R,
    line: usize,
    max: usize,
    buf: Vec<u8>,
    /// The input's encoding where line 1 shows it is UTF-16 or UTF-32: every line is then said so.
    wide: Option<&'static str>,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Self {
        Self::with_max(reader, MAX_LINE)
    }

    /// With a cap of `max` bytes a line (tests use a small one).
    pub fn with_max(reader: R, max: usize) -> Self {
        Lines {
            reader,
            line: 0,
            max,
            buf: Vec::new(),
            wide: None,
        }
    }
}

/// A line's number and its text, or the reason it cannot be read.
pub type Line = (usize, Result<String, String>);

impl<R: BufRead> Iterator for Lines<R> {
    type Item = std::io::Result<Line>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buf.clear();
        let (mut over, mut any) = (false, false);
        loop {
            let avail = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if avail.is_empty() {
                if !any {
                    return None;
                }
                break;
            }
            any = true;
            let newline = memchr::memchr(b'\n', avail);
            let end = newline.map_or(avail.len(), |i| i + 1);
            if !over && self.buf.len() + end > self.max.saturating_add(2) {
                // Past the cap: the rest of the line is read past, not kept.
                over = true;
                self.buf = Vec::new();
            }
            if !over {
                self.buf.extend_from_slice(&avail[..end]);
            }
            self.reader.consume(end);
            if newline.is_some() {
                break;
            }
        }
        self.line += 1;
        if over {
            let cap = if self.max >= 1 << 20 {
                format!("{} MiB", self.max >> 20)
            } else {
                format!("{} bytes", self.max)
            };
            return Some(Ok((
                self.line,
                Err(format!("line longer than {cap}, skipped")),
            )));
        }
        for end in [b'\n', b'\r'] {
            if self.buf.last() == Some(&end) {
                self.buf.pop();
            }
        }
        if self.line == 1 {
            self.wide = wide_encoding(&self.buf);
        }
        if let Some(encoding) = self.wide {
            return Some(Ok((self.line, Err(wide_encoding_reason(encoding)))));
        }
        let bytes = if self.line == 1 {
            strip_bom(&self.buf)
        } else {
            &self.buf[..]
        };
        Some(Ok((
            self.line,
            std::str::from_utf8(bytes).map(str::to_string).map_err(|e| {
                format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    e.valid_up_to()
                )
            }),
        )))
    }
}

/// One JSON-lines line read as an object `T`, or what is wrong with it in a reader's words: a
/// line that is no object says what it is instead (serde would read a list as a struct's fields,
/// "\[0\]: invalid type"); text that is no JSON says so; a value of the wrong type names its field
/// (`patient.age: invalid type ...`). A good line is read once; a bad one again, for its field.
pub fn json_object<T: serde::de::DeserializeOwned>(line: &str) -> Result<T, String> {
    let line = line.trim();
    if !line.starts_with('{') {
        return Err(not_an_object(line));
    }
    serde_json::from_str(line).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            return format!("not valid JSON ({})", within_line(e.to_string()));
        }
        let mut de = serde_json::Deserializer::from_str(line);
        match serde_path_to_error::deserialize::<_, T>(&mut de) {
            Err(at) if at.path().iter().next().is_some() => {
                format!("{}: {}", at.path(), in_words(at.inner()))
            }
            _ => in_words(&e),
        }
    })
}

/// What a line that is no JSON object is, in the message that refuses it.
fn not_an_object(line: &str) -> String {
    let what = match line.chars().next() {
        Some('[') => "a JSON array",
        Some('"') => "a JSON string",
        Some('-' | '0'..='9') => "a number",
        _ => {
            let start: String = line.chars().take(20).collect();
            return format!("not a JSON object (it begins {start:?})");
        }
    };
    format!("not a JSON object: it is {what}")
}

/// An item's number (`item`), which counts from 1: 0, a negative number, a fraction or a number
/// too large to be one is refused in a reader's words.
pub fn item_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let v = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
    item_of(&v).map_err(serde::de::Error::custom)
}

/// [`item_number`] where the field may be absent or null.
pub fn optional_item_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<usize>, D::Error> {
    let v = <Option<serde_json::Value> as serde::Deserialize>::deserialize(d)?;
    v.as_ref()
        .filter(|v| !v.is_null())
        .map(item_of)
        .transpose()
        .map_err(serde::de::Error::custom)
}

/// An item number written as JSON writes it (`2`) or as text (`"2"`, as forms send numbers).
fn item_of(v: &serde_json::Value) -> Result<usize, String> {
    match v {
        serde_json::Value::Number(n) => whole_item(n),
        serde_json::Value::String(s) => match s.trim().parse::<serde_json::Number>() {
            Ok(n) => whole_item(&n),
            Err(_) => Err(format!("{v}: expected a whole number")),
        },
        _ => Err(format!("{v}: expected a whole number")),
    }
}

/// A whole number written as JSON writes it (`45`) or as text (`"45"`, as forms and the web API
/// take it), where the field may be absent or null: one line is then a body of `POST
/// /api/forecast` and an `--items` line alike.
pub fn optional_whole<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
{
    let v = <Option<serde_json::Value> as serde::Deserialize>::deserialize(d)?;
    v.as_ref()
        .map(whole_of)
        .transpose()
        .map_err(serde::de::Error::custom)
}

/// A whole number as JSON writes it (`45`) or as text (`"45"`); what it is instead, said.
pub fn whole_of<T: std::str::FromStr>(v: &serde_json::Value) -> Result<T, String> {
    let text = match v {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => s.trim().to_string(),
        _ => return Err(format!("{v}: expected a whole number")),
    };
    text.parse()
        .map_err(|_| format!("{v}: expected a whole number"))
}

/// true or false, written as JSON writes them or as text (`"true"`, `"on"` or `"1"`; `"false"`,
/// `"off"` or `"0"`), where the field may be absent or null.
pub fn optional_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = <Option<serde_json::Value> as serde::Deserialize>::deserialize(d)?;
    v.as_ref()
        .map(flag_of)
        .transpose()
        .map_err(serde::de::Error::custom)
}

/// [`optional_flag`]'s reading of one value; what it is instead, said.
pub fn flag_of(v: &serde_json::Value) -> Result<bool, String> {
    match v {
        serde_json::Value::Bool(b) => Ok(*b),
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "on" | "1" => Ok(true),
            "false" | "off" | "0" => Ok(false),
            _ => Err(format!("{v}: expected true or false")),
        },
        serde_json::Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        serde_json::Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        _ => Err(format!("{v}: expected true or false")),
    }
}

/// A value read from its text by `T`'s `FromStr` (a date, a sex, a priority); what it is
/// instead, in `T`'s words.
pub fn text_of<T>(v: &serde_json::Value) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    match v {
        serde_json::Value::String(s) => s.parse().map_err(|e: T::Err| e.to_string()),
        _ => Err(format!("{v}: expected text")),
    }
}

fn whole_item(n: &serde_json::Number) -> Result<usize, String> {
    const FROM_ONE: &str = "is no item number (they count from 1)";
    let x = n.as_f64().unwrap_or(f64::NAN);
    match n.as_u64() {
        Some(0) => Err(format!("0 {FROM_ONE}")),
        Some(u) => usize::try_from(u).map_err(|_| format!("{n} is too large to be an item number")),
        None if x.fract() != 0.0 || x.is_nan() => Err(format!("{n} is no whole number")),
        None if x < 1.0 => Err(format!("{n} {FROM_ONE}")),
        None if x < usize::MAX as f64 => Ok(x as usize),
        None => Err(format!("{n} is too large to be an item number")),
    }
}

/// serde's complaint with Rust's type names said as a reader says them.
pub(crate) fn in_words(e: &serde_json::Error) -> String {
    within_line(no_type_names(e.to_string()))
}

/// serde's names of Rust types in a message ("expected usize", "expected struct PatientFields
/// with 5 elements": names of imr's code) as a reader's ("expected a whole number from 0",
/// "expected a JSON object").
pub(crate) fn no_type_names(text: String) -> String {
    let mut text = text;
    for (rust, plain) in [
        ("expected usize", "expected a whole number from 0"),
        ("expected u64", "expected a whole number from 0"),
        ("expected u32", "expected a whole number from 0"),
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a JSON number", "expected a whole number"),
        (
            "expected map with a single key",
            "expected an object with one key",
        ),
    ] {
        text = text.replace(rust, plain);
    }
    const STRUCT: &str = "expected struct ";
    let Some(at) = text.find(STRUCT) else {
        return text;
    };
    let rest = &text[at + STRUCT.len()..];
    let name = rest
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .unwrap_or(rest.len());
    let rest = &rest[name..];
    // "with 5 elements": the struct's fields as a list's length, which no reader wrote.
    let rest = match rest.strip_prefix(" with ") {
        Some(r) => r.split_once(" elements").map_or(rest, |(_, after)| after),
        None => rest,
    };
    format!("{}expected a JSON object{rest}", &text[..at])
}

/// serde's " at line 1 column N" as " at column N": the line's own number is the reader's, named
/// before the message.
fn within_line(text: String) -> String {
    match text.rsplit_once(" at line 1 column ") {
        Some((what, column)) if column.parse::<usize>().is_ok() => {
            format!("{what} at column {column}")
        }
        _ => text,
    }
}

/// A regular file's bytes, up to `limit`: a device, a FIFO or a directory is refused (a
/// stream without end would be read without end), as is a file larger than `limit` (named as
/// `what`: "a model file").
pub fn read_file(path: &std::path::Path, limit: u64, what: &'static str) -> crate::Result<Vec<u8>> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| crate::Error::io(path, e))?;
    if !meta.is_file() {
        return Err(crate::Error::NotAFile {
            path: path.into(),
            kind: crate::parse::walk::special_kind(&meta).unwrap_or("a directory"),
            wanted: what,
        });
    }
    let too_large = |size| crate::Error::FileTooLarge {
        path: path.into(),
        what,
        size,
        limit,
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| crate::Error::io(path, e))?;
    // Grown as read, from a start no larger than a usual file: a sparse file's size is no
    // promise of its content, nor a reason to ask for that much memory at once.
    let mut bytes = Vec::with_capacity(meta.len().min(64 << 20) as usize);
    // Read one byte past the cap: a file that grew since its size was read is caught too.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| crate::Error::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<Line> {
        Lines::with_max(input, max).map(Result::unwrap).collect()
    }

    #[test]
    fn each_line_is_its_own_result() {
        let got = lines(
            b"\xEF\xBB\xBF{\"a\":1}\r\nbad \xff byte\n\n0123456789abcdef\nlast",
            8 << 20,
        );
        assert_eq!(got[0], (1, Ok("{\"a\":1}".into())));
        assert_eq!(
            got[1],
            (2, Err("not UTF-8 text (invalid byte at offset 4)".into()))
        );
        assert_eq!(got[2], (3, Ok(String::new())));
        assert_eq!(got[4], (5, Ok("last".into())));
        assert_eq!(got.len(), 5);
        // A byte order mark is only a mark at the start of the input.
        assert_eq!(
            lines(b"x\n\xEF\xBB\xBFy", 1 << 20)[1],
            (2, Ok("\u{feff}y".into()))
        );
    }

    /// Text saved as UTF-16 or UTF-32 ("Unicode" in Windows tools) is said to be, on every line of
    /// JSON lines and for a whole JSON file; UTF-8 and other bytes are left to the readers.
    #[test]
    fn wide_encodings_are_named() {
        let utf16 = |s: &str, bom: bool, le: bool| -> Vec<u8> {
            let mark = bom.then_some(0xFEFF);
            let units = mark.into_iter().chain(s.encode_utf16());
            let bytes = |u: u16| if le { u.to_le_bytes() } else { u.to_be_bytes() };
            units.flat_map(bytes).collect()
        };
        for (bom, le) in [(true, true), (true, false), (false, true), (false, false)] {
            let text = utf16("{\"title\": \"MRI\"}\n{}\n", bom, le);
            assert_eq!(wide_encoding(&text), Some("UTF-16"), "{bom} {le}");
            let got = lines(&text, 1 << 20);
            assert!(got.len() >= 2, "{got:?}");
            for (_, line) in got {
                assert_eq!(line, Err(wide_encoding_reason("UTF-16")));
            }
        }
        let utf32: Vec<u8> = "{}"
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        assert_eq!(wide_encoding(&utf32), Some("UTF-32"));
        assert_eq!(
            wide_encoding(&[0xFF, 0xFE, 0, 0, b'{', 0, 0, 0]),
            Some("UTF-32")
        );
        for other in [
            &b"{\"a\": 1}"[..],
            b"\xEF\xBB\xBF{}",
            b"",
            b"{",
            b"\0\0",
            b"\xff\xff",
        ] {
            assert_eq!(wide_encoding(other), None, "{other:?}");
        }
    }

    /// serde's names of Rust types are put in a reader's words.
    #[test]
    fn messages_name_no_rust_types() {
        for (serde, plain) in [
            (
                "invalid value: integer `-1`, expected usize",
                "invalid value: integer `-1`, expected a whole number from 0",
            ),
            (
                "invalid type: null, expected f64",
                "invalid type: null, expected a number",
            ),
            (
                "invalid length 0, expected struct ThemeModels with 5 elements",
                "invalid length 0, expected a JSON object",
            ),
            (
                "invalid type: string \"x\", expected struct PatientFields",
                "invalid type: string \"x\", expected a JSON object",
            ),
        ] {
            assert_eq!(no_type_names(serde.to_string()), plain);
        }
    }

    /// No cap (usize::MAX) reads every line: the cap's arithmetic does not wrap.
    #[test]
    fn no_cap_reads_every_line() {
        let got = lines(b"a\nbb\n", usize::MAX);
        assert_eq!(got, [(1, Ok("a".into())), (2, Ok("bb".into()))]);
    }

    #[test]
    fn a_line_over_the_cap_is_skipped_and_the_next_read() {
        // A reader with a small buffer, so the long line arrives in many pieces.
        let input = [b"ok\n".as_slice(), &[b'x'; 5000], b"\nnext\n"].concat();
        let r = std::io::BufReader::with_capacity(64, &input[..]);
        let got: Vec<Line> = Lines::with_max(r, 1 << 10).map(Result::unwrap).collect();
        assert_eq!(got[0], (1, Ok("ok".into())));
        assert!(
            got[1].0 == 2 && got[1].1.as_ref().unwrap_err().contains("longer than"),
            "{:?}",
            got[1]
        );
        assert_eq!(got[2], (3, Ok("next".into())));
        assert_eq!(got.len(), 3);
    }

    /// A line that is no object is named so, not read as a struct's fields in a list.
    #[test]
    fn a_line_that_is_no_object_says_what_it_is() {
        assert_eq!(
            not_an_object("[1,2]"),
            "not a JSON object: it is a JSON array"
        );
        assert_eq!(not_an_object("12"), "not a JSON object: it is a number");
        assert_eq!(
            not_an_object("true"),
            "not a JSON object (it begins \"true\")"
        );
        let e = json_object::<std::collections::BTreeMap<String, u8>>("[1]").unwrap_err();
        assert_eq!(e, "not a JSON object: it is a JSON array");
    }
}

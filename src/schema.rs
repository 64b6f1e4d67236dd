//! The shape every output shares (`docs/schema.md`): one schema version, written first in every
//! JSON object imr prints, and one way to put a list in a CSV cell.

use serde::Serialize;
use std::io::Write;

/// The version of the fields documented in `docs/schema.md`. It changes when a field of any
/// output is renamed, removed or changes its type; a new field does not change it.
pub const SCHEMA_VERSION: u32 = 2;

/// What joins a list in one CSV cell (themes, licensure, specialties, words, sentences). A bar is
/// not written inside a value (it becomes "/"), so splitting a cell on this gives the list back.
pub const CSV_LIST_SEPARATOR: &str = " | ";

/// Writes `value` (which must serialize as an object) as one JSON line whose first field is
/// `"schema_version"`.
pub fn write_json_line<T: Serialize + ?Sized>(
    out: &mut (impl Write + ?Sized),
    value: &T,
) -> std::io::Result<()> {
    // The value is written whole and "schema_version" set before its fields: what `Versioned`
    // writes, without serde's flattening, which cost more than the rest of a prediction's line.
    thread_local! {
        static LINE: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    LINE.with_borrow_mut(|buf| {
        buf.clear();
        serde_json::to_writer(&mut *buf, value)?;
        let Some(fields) = buf.strip_prefix(b"{") else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "a JSON line must be an object",
            ));
        };
        write!(out, "{{\"schema_version\":{SCHEMA_VERSION}")?;
        if fields != b"}" {
            out.write_all(b",")?;
        }
        out.write_all(fields)?;
        out.write_all(b"\n")?;
        // A long line's buffer is not kept for the short ones after it.
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        Ok(())
    })
}

/// `value` with `"schema_version"` first: a JSON line's, or a web answer's. `value` must
/// serialize as an object.
#[derive(Debug, Clone, Serialize)]
pub struct Versioned<T> {
    schema_version: u32,
    #[serde(flatten)]
    value: T,
}

impl<T> Versioned<T> {
    pub fn new(value: T) -> Self {
        Versioned {
            schema_version: SCHEMA_VERSION,
            value,
        }
    }
}

/// A list as one CSV cell: its values joined by [`CSV_LIST_SEPARATOR`], a bar inside a value
/// written as "/".
pub fn csv_list<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> String {
    let mut cell = String::new();
    for (i, v) in values.into_iter().enumerate() {
        if i > 0 {
            cell.push_str(CSV_LIST_SEPARATOR);
        }
        let v = v.as_ref();
        if v.contains('|') {
            cell.push_str(&v.replace('|', "/"));
        } else {
            cell.push_str(v);
        }
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<T: Serialize>(v: &T) -> String {
        let mut out = Vec::new();
        write_json_line(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_version_comes_first_in_every_object() {
        #[derive(Serialize)]
        struct Row {
            item: usize,
        }
        assert_eq!(
            line(&Row { item: 2 }),
            "{\"schema_version\":2,\"item\":2}\n"
        );
        assert_eq!(line(&serde_json::json!({})), "{\"schema_version\":2}\n");
        let mut out = Vec::new();
        assert!(
            write_json_line(&mut out, &[1, 2]).is_err(),
            "a list is no object"
        );
        let v: serde_json::Value = serde_json::from_str(&line(&Row { item: 2 })).unwrap();
        assert_eq!(v["schema_version"], SCHEMA_VERSION);
        let wrapped = serde_json::to_string(&Versioned::new(Row { item: 3 })).unwrap();
        assert_eq!(wrapped, "{\"schema_version\":2,\"item\":3}");
        // A line is what `Versioned` writes: fields in their order, nested objects, skipped
        // fields, a line long enough to drop its buffer, then a short one.
        #[derive(Serialize)]
        struct Nested {
            a: Option<u8>,
            #[serde(skip_serializing_if = "Option::is_none")]
            b: Option<u8>,
            c: serde_json::Value,
            d: String,
        }
        for d in ["x".repeat(2 << 20), "y".into()] {
            let v = Nested {
                a: None,
                b: None,
                c: serde_json::json!({"k": [1, {"z": "}"}]}),
                d,
            };
            let want = serde_json::to_string(&Versioned::new(&v)).unwrap() + "\n";
            assert_eq!(line(&v), want);
        }
    }

    #[test]
    fn a_csv_list_splits_back_into_its_values() {
        let values = ["criteria_met", "a | b", "c|d", ""];
        let cell = csv_list(values);
        assert_eq!(cell, "criteria_met | a / b | c/d | ");
        let back: Vec<&str> = cell.split(CSV_LIST_SEPARATOR).collect();
        assert_eq!(back, ["criteria_met", "a / b", "c/d", ""]);
        assert_eq!(csv_list(Vec::<String>::new()), "");
    }
}

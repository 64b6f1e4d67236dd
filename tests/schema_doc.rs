//! docs/schema.md read as a contract: its value types and its tables of fields, and a check of
//! a JSON object or a CSV file against them. Used by tests/schema.rs (the commands) and
//! tests/serve.rs (the web API).

#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;

/// One documented field (a JSON field or a CSV column).
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: String,
    pub optional: bool,
}

#[derive(Debug, Default)]
pub struct Schema {
    /// Value types (`decision`, `category`, ...) and their values; `date` has none listed.
    pub values: BTreeMap<String, Vec<String>>,
    /// Each object (or CSV file) and its fields in order.
    pub objects: BTreeMap<String, Vec<Field>>,
    pub version: u64,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_string()).collect()
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('`').to_string()
}

impl Schema {
    pub fn load() -> Schema {
        let path = crate::util::root().join("docs/schema.md");
        let text = std::fs::read_to_string(&path).expect("docs/schema.md");
        Schema::parse(&text)
    }

    pub fn parse(text: &str) -> Schema {
        let mut s = Schema::default();
        let version = text
            .split("**schema version ")
            .nth(1)
            .and_then(|t| t.split("**").next())
            .and_then(|v| v.parse().ok());
        s.version = version.expect("docs/schema.md states its schema version in bold");
        let mut current: Option<String> = None;
        let mut in_values = false;
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("### ") {
                current = Some(unquote(h));
                s.objects.entry(unquote(h)).or_default();
                in_values = false;
                continue;
            }
            if line.starts_with("## ") {
                current = None;
                in_values = false;
                continue;
            }
            if !line.starts_with('|') {
                continue;
            }
            let c = cells(line);
            if c[0] == "value type" {
                in_values = true;
                continue;
            }
            if c[0] == "field" || c[0] == "column" || c[0].starts_with("---") {
                continue;
            }
            if in_values {
                let values = c[1]
                    .split(", ")
                    .filter(|v| v.starts_with('`'))
                    .map(|v| unquote(v.split(' ').next().unwrap()))
                    .collect();
                s.values.insert(unquote(&c[0]), values);
            } else if let Some(obj) = &current {
                let (ty, optional) = match c[1].strip_suffix(", optional") {
                    Some(t) => (t, true),
                    None => (c[1].as_str(), false),
                };
                s.objects.get_mut(obj).unwrap().push(Field {
                    name: unquote(&c[0]),
                    ty: unquote(ty),
                    optional,
                });
            }
        }
        s.objects.retain(|_, f| !f.is_empty());
        s
    }

    pub fn fields(&self, object: &str) -> &[Field] {
        self.objects
            .get(object)
            .unwrap_or_else(|| panic!("docs/schema.md has no table `{object}`"))
    }

    /// Every way `v` (at `path`) differs from the object `object`.
    pub fn check_object(&self, object: &str, v: &Value, path: &str, errors: &mut Vec<String>) {
        let Some(o) = v.as_object() else {
            errors.push(format!("{path}: expected an object `{object}`, found {v}"));
            return;
        };
        let fields = self.fields(object);
        for k in o.keys() {
            if !fields.iter().any(|f| &f.name == k) {
                errors.push(format!("{path}.{k}: not in docs/schema.md's `{object}`"));
            }
        }
        for f in fields {
            match o.get(&f.name) {
                None if f.optional => {}
                None => errors.push(format!("{path}.{}: missing (`{object}`)", f.name)),
                Some(x) => self.check_value(&f.ty, x, &format!("{path}.{}", f.name), errors),
            }
        }
    }

    /// Every way `v` differs from the type `ty` (docs/schema.md's grammar).
    pub fn check_value(&self, ty: &str, v: &Value, path: &str, errors: &mut Vec<String>) {
        if let Some(inner) = ty.strip_suffix('?') {
            if !v.is_null() {
                self.check_value(inner, v, path, errors);
            }
            return;
        }
        let mut bad = |what: &str| errors.push(format!("{path}: expected {what}, found {v}"));
        if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            match v.as_array() {
                Some(a) => {
                    for (i, x) in a.iter().enumerate() {
                        self.check_value(inner, x, &format!("{path}[{i}]"), errors);
                    }
                }
                None => bad("a list"),
            }
            return;
        }
        if let Some(inner) = ty.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            match v.as_object() {
                Some(o) => {
                    for (k, x) in o {
                        self.check_value(inner, x, &format!("{path}.{k}"), errors);
                    }
                }
                None => bad("an object of ids"),
            }
            return;
        }
        match ty {
            "string" if !v.is_string() => bad("a string"),
            "integer" if !(v.is_u64() || v.is_i64()) => bad("an integer"),
            "number" if !v.is_number() => bad("a number"),
            "boolean" if !v.is_boolean() => bad("a boolean"),
            "object" if !v.is_object() => bad("an object"),
            "string" | "integer" | "number" | "boolean" | "object" => {}
            _ if self.values.contains_key(ty) => match v.as_str() {
                Some(s) if self.value_ok(ty, s) => {}
                _ => bad(&format!("a `{ty}`")),
            },
            _ => self.check_object(ty, v, path, errors),
        }
    }

    fn value_ok(&self, ty: &str, s: &str) -> bool {
        if ty == "date" {
            let b = s.as_bytes();
            return b.len() == 10
                && b[4] == b'-'
                && b[7] == b'-'
                && s.chars().filter(char::is_ascii_digit).count() == 8;
        }
        self.values[ty].iter().any(|x| x == s)
    }

    /// Checks one JSON line of an output: its `schema_version`, then its fields.
    pub fn check_line(&self, object: &str, line: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        if line["schema_version"] != self.version {
            errors.push(format!(
                "schema_version is {}, docs/schema.md says {}",
                line["schema_version"], self.version
            ));
        }
        self.check_object(object, line, object, &mut errors);
        errors
    }

    /// Checks a CSV file (header and rows) against the columns of `object`: the header has them
    /// in order (an optional one may be left out; `<theme>` stands for any number of columns), and
    /// each cell reads as its column's type (empty is null or an empty list).
    pub fn check_csv(&self, object: &str, records: &[Vec<String>]) -> Vec<String> {
        let mut errors = Vec::new();
        let fields = self.fields(object);
        let Some((header, rows)) = records.split_first() else {
            return vec![format!("{object}: no header row")];
        };
        let mut types: Vec<&str> = Vec::new();
        let mut at = 0;
        for f in fields {
            if let Some((prefix, _)) = f.name.split_once("<theme>") {
                while at < header.len() && header[at].starts_with(prefix) {
                    types.push(&f.ty);
                    at += 1;
                }
            } else if header.get(at) == Some(&f.name) {
                types.push(&f.ty);
                at += 1;
            } else if !f.optional {
                errors.push(format!(
                    "{object}: column {} is {:?}, docs/schema.md has `{}` there",
                    at + 1,
                    header.get(at),
                    f.name
                ));
                return errors;
            }
        }
        if at != header.len() {
            errors.push(format!(
                "{object}: columns not in docs/schema.md: {:?}",
                &header[at..]
            ));
            return errors;
        }
        for (r, row) in rows.iter().enumerate() {
            if row.len() != header.len() {
                errors.push(format!("{object} row {}: {} cells", r + 2, row.len()));
                continue;
            }
            for ((cell, ty), name) in row.iter().zip(&types).zip(header) {
                let path = format!("{object} row {} {name}", r + 2);
                self.check_cell(ty, cell, &path, &mut errors);
            }
        }
        errors
    }

    fn check_cell(&self, ty: &str, cell: &str, path: &str, errors: &mut Vec<String>) {
        let (ty, nullable) = match ty.strip_suffix('?') {
            Some(t) => (t, true),
            None => (ty, false),
        };
        if let Some(inner) = ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            if !cell.is_empty() {
                for v in cell.split(" | ") {
                    self.check_cell(inner, v, path, errors);
                }
            }
            return;
        }
        if cell.is_empty() {
            // An empty string is a string; any other type needs `?` to be empty.
            if !nullable && ty != "string" {
                errors.push(format!("{path}: empty, but `{ty}` is not nullable"));
            }
            return;
        }
        let ok = match ty {
            "string" => true,
            "integer" => cell.parse::<i64>().is_ok(),
            "number" => cell.parse::<f64>().is_ok(),
            "boolean" => cell == "true" || cell == "false",
            _ if self.values.contains_key(ty) => self.value_ok(ty, cell),
            _ => false,
        };
        if !ok {
            errors.push(format!("{path}: {cell:?} is not a `{ty}`"));
        }
    }
}

//! Searching the database: filters on the letters' and items' fields, and words matched by the
//! full-text index (`store/text`) in BM25 order. Every value is a bound parameter, and the words
//! are read by a grammar of their own (words, phrases, prefixes, OR, -word): no input is read as
//! SQL or as an operator it did not mean.

use super::text::{intersect, Found, Phrase, SearchError, TextAnalyzer, TextQuery, MOST_PREFIXED};
use super::Store;
use crate::error::{Error, Result};
use crate::letter::{Date, Decision};
use crate::treatment::{Category, DrugClass};
use rusqlite::types::{ToSqlOutput, Value};
use rusqlite::vtab::array::Array;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Words to match, as a user writes them: `physical therapy` (both), `"functional restoration"`
/// (the phrase), `acupunct*` (a prefix), `opioid OR opiate`, `-surgery` (without).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtsQuery {
    written: String,
    query: TextQuery,
    expression: String,
}

#[derive(Debug)]
struct Term {
    text: String,
    prefix: bool,
    negated: bool,
    /// Written in quotes: text, never an operator.
    quoted: bool,
}

impl FtsQuery {
    /// What the words became, as the index reads them: clauses joined by AND, each of phrases
    /// (stemmed words in quotes, `*` after a prefix) joined by OR, then the excluded ones.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    fn parse(written: &str) -> std::result::Result<FtsQuery, String> {
        // No text holds one: a NUL is a mistake (or an attack on a C string), said as such.
        if written.contains('\0') {
            return Err("a NUL character cannot be searched".into());
        }
        let mut terms = Terms::default();
        let mut analyzer = TextAnalyzer::default();
        // Typographic quotes, as phones and word processors type them, quote a phrase too.
        let straight = written.replace(['\u{201C}', '\u{201D}', '\u{201E}'], "\"");
        let mut rest = straight.trim_start();
        while !rest.is_empty() {
            let (term, after) = next_term(rest)?;
            rest = after.trim_start();
            if let Some(term) = term {
                terms.take(term, &mut analyzer)?;
            }
        }
        let (clauses, negated) = terms.finish(written)?;
        let mut phrase = |t: &Term| phrase_of(&mut analyzer, t);
        let query = TextQuery {
            clauses: clauses
                .iter()
                .map(|c| c.iter().map(&mut phrase).collect())
                .collect(),
            negated: negated.iter().map(&mut phrase).collect(),
        };
        let words: usize = (query.clauses.iter().flatten().chain(&query.negated))
            .map(|p| p.words.len())
            .sum();
        if words > MAX_TERMS {
            // Each word is a read of the index (a phrase's words each): a bound keeps every
            // search quick.
            return Err(format!(
                "{words} words; a search takes at most {MAX_TERMS} (a phrase's words count each)"
            ));
        }
        Ok(FtsQuery {
            written: written.to_string(),
            expression: expression_of(&query),
            query,
        })
    }
}

/// The words of a search as they are read: clauses (each of words joined by OR), the excluded
/// words, and an OR or NOT waiting for its word.
#[derive(Default)]
struct Terms {
    clauses: Vec<Vec<Term>>,
    negated: Vec<Term>,
    pending_or: bool,
    pending_not: bool,
    pending_and: bool,
}

impl Terms {
    /// Takes the next word, phrase or operator (OR, NOT and AND in capitals, unquoted).
    fn take(&mut self, mut term: Term, analyzer: &mut TextAnalyzer) -> Result<(), String> {
        let operator = !term.prefix && !term.negated && !term.quoted;
        // Words are joined by AND already: written, it is no word to match ("and", in every
        // letter), and needs a word on each side as OR does.
        if operator && term.text == "AND" {
            if self.pending_or || self.pending_not || self.pending_and || self.clauses.is_empty() {
                return Err("AND needs a word on each side".into());
            }
            self.pending_and = true;
            return Ok(());
        }
        if operator && term.text == "OR" && self.pending_and {
            return Err("AND needs a word on each side".into());
        }
        // `a NOT b` as a search engine reads it: `a -b`. Read as a word, "not" (in nearly every
        // rationale) would find the opposite of what was asked.
        if operator && term.text == "NOT" {
            if self.pending_not {
                return Err("NOT needs a word after it".into());
            }
            self.pending_not = true;
            return Ok(());
        }
        if std::mem::take(&mut self.pending_not) {
            if operator && term.text == "OR" {
                return Err("NOT needs a word after it".into());
            }
            if term.negated {
                return Err("NOT needs a word after it, not an excluded one (-word)".into());
            }
            term.negated = true;
        }
        if operator && term.text == "OR" {
            if self.pending_or || self.clauses.is_empty() {
                return Err("OR needs a word on each side".into());
            }
            self.pending_or = true;
            return Ok(());
        }
        if analyzer.folded(&term.text).is_empty() {
            return Ok(()); // punctuation or marks alone: the index holds no such word
        }
        self.pending_and = false;
        if term.negated {
            if self.pending_or {
                return Err("OR needs a word on each side, not an excluded word".into());
            }
            self.negated.push(term);
        } else if std::mem::take(&mut self.pending_or) {
            self.clauses.last_mut().expect("checked").push(term);
        } else {
            self.clauses.push(vec![term]);
        }
        Ok(())
    }

    /// The clauses and the excluded words, once every word of `written` is taken.
    fn finish(self, written: &str) -> Result<(Vec<Vec<Term>>, Vec<Term>), String> {
        if self.pending_or {
            return Err("OR needs a word on each side".into());
        }
        if self.pending_not {
            return Err("NOT needs a word after it".into());
        }
        if self.pending_and {
            return Err("AND needs a word on each side".into());
        }
        if self.clauses.is_empty() {
            return Err(if self.negated.is_empty() {
                format!("no words to search for in {written:?}")
            } else {
                "a search needs a word that is not excluded (-word, NOT word)".into()
            });
        }
        Ok((self.clauses, self.negated))
    }
}

/// A word or phrase as the index reads it. A prefix is the start of a word as written ("tens*"
/// stemmed would be "ten*": tender, tendon), and the word typed is found too (TENS, indexed as
/// "ten").
fn phrase_of(analyzer: &mut TextAnalyzer, t: &Term) -> Phrase {
    let mut words = analyzer.terms(&t.text);
    let mut prefix_stem = None;
    if let (true, Some(last)) = (t.prefix, analyzer.folded(&t.text).pop()) {
        prefix_stem = words.pop();
        words.push(last);
    }
    Phrase {
        words,
        prefix: t.prefix,
        prefix_stem,
    }
}

/// [`FtsQuery::expression`] of `q`.
fn expression_of(q: &TextQuery) -> String {
    let quote = |p: &Phrase| {
        format!(
            "\"{}\"{}",
            p.words.join(" "),
            if p.prefix { "*" } else { "" }
        )
    };
    let clause = |c: &Vec<Phrase>| {
        let phrases: Vec<String> = c.iter().map(quote).collect();
        format!("({})", phrases.join(" OR "))
    };
    let mut expression = q
        .clauses
        .iter()
        .map(clause)
        .collect::<Vec<_>>()
        .join(" AND ");
    if !q.negated.is_empty() {
        expression = format!("({expression})");
        for p in &q.negated {
            expression.push_str(&format!(" NOT {}", quote(p)));
        }
    }
    expression
}

/// A bound value of a query: a filter's, or the word matches' ids (SQLite's `rarray`).
pub(super) enum Param {
    Value(Value),
    Ids(Array),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Value(v) => v.to_sql(),
            Param::Ids(a) => a.to_sql(),
        }
    }
}

/// `values` as [`Param`]s.
pub(super) fn params(values: Vec<Value>) -> Vec<Param> {
    values.into_iter().map(Param::Value).collect()
}

/// The ids of `ids` as one bound value.
fn ids_param(ids: impl Iterator<Item = i64>) -> Param {
    Param::Ids(std::rc::Rc::new(ids.map(Value::Integer).collect()))
}

impl FtsQuery {
    /// What the words are as the index reads them.
    pub(super) fn text_query(&self) -> &TextQuery {
        &self.query
    }
}

/// The most words one search takes, a phrase's each.
const MAX_TERMS: usize = 64;

/// The next word or phrase of `s` (which starts at one), and the rest.
fn next_term(s: &str) -> std::result::Result<(Option<Term>, &str), String> {
    let (negated, s) = match s.strip_prefix('-') {
        Some(r) if !r.is_empty() && !r.starts_with(char::is_whitespace) => (true, r),
        _ => (false, s),
    };
    let quoted = s.starts_with('"');
    let (text, mut rest) = if let Some(r) = s.strip_prefix('"') {
        let end = r.find('"').ok_or("a quote (\") is not closed")?;
        (&r[..end], &r[end + 1..])
    } else {
        let end = s
            .find(|c: char| c.is_whitespace() || c == '"')
            .unwrap_or(s.len());
        (&s[..end], &s[end..])
    };
    let mut text = text.trim();
    let mut prefix = false;
    if let Some(r) = rest.strip_prefix('*') {
        prefix = true;
        rest = r;
    }
    if let Some(t) = text.strip_suffix('*') {
        prefix = true;
        text = t.trim_end_matches('*');
    }
    if text.is_empty() {
        return Ok((None, rest));
    }
    // A dose is written with its unit ("10/325mg", "60mg"), which the index holds as one word
    // with its number: a number typed alone, last in a word, also matches as a word's start.
    // In quotes it matches whole.
    prefix |= !quoted && text.ends_with(|c: char| c.is_ascii_digit());
    Ok((
        Some(Term {
            text: text.to_string(),
            prefix,
            negated,
            quoted,
        }),
        rest,
    ))
}

/// Search words as a message quotes them: between typographic quotes, which a search's own
/// straight ones need no escape within; a control character (a line break) escaped, so that
/// the message stays one line.
fn quoted_words(s: &str) -> String {
    let mut out = String::from("\u{201C}");
    for c in s.chars() {
        match c.is_control() {
            true => out.extend(c.escape_default()),
            false => out.push(c),
        }
    }
    out.push('\u{201D}');
    out
}

impl FromStr for FtsQuery {
    type Err = Error;
    fn from_str(s: &str) -> Result<FtsQuery> {
        FtsQuery::parse(s).map_err(|why| Error::Query {
            what: format!("search words {}: {why}", quoted_words(s)),
        })
    }
}

impl fmt::Display for FtsQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

/// Dates from `from` to `to`, both included; either may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl DateRange {
    pub fn is_open(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }
}

/// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: its first day (`last` false) or its last day. A day as the
/// letters write it (`12/09/2016`, `December 9, 2016`) is that day.
fn period_end(s: &str, last: bool) -> Result<Date> {
    let bad = || Error::InvalidValue {
        what: "date",
        value: s.into(),
        reason: "expected YYYY, YYYY-MM or YYYY-MM-DD (or a day as MM/DD/YYYY or \
                 'December 9, 2016'), or a range FROM..TO of them"
            .into(),
    };
    if Date::is_written(s) {
        return s.parse::<Date>().map_err(|e| match e {
            Error::InvalidValue { reason, .. } if reason == crate::letter::DATE_FORMS => bad(),
            e => e,
        });
    }
    let parts: Vec<&str> = s.split('-').collect();
    let year = |p: &str| p.parse::<u16>().map_err(|_| bad());
    let num = |p: &str| p.parse::<u8>().map_err(|_| bad());
    let (y, m, d) = match parts[..] {
        [y] if y.len() == 4 => (year(y)?, if last { 12 } else { 1 }, None),
        [y, m] if y.len() == 4 && m.len() <= 2 => (year(y)?, num(m)?, None),
        [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => {
            (year(y)?, num(m)?, Some(num(d)?))
        }
        _ => return Err(bad()),
    };
    let no_such = |day| Error::InvalidValue {
        what: "date",
        value: s.into(),
        reason: Date::why_not(y, m, day),
    };
    let day = match (d, last) {
        (Some(d), _) => d,
        (None, false) => 1,
        (None, true) => Date::days_in_month(y, m).ok_or_else(|| no_such(1))?,
    };
    Date::new(y, m, day).ok_or_else(|| no_such(day))
}

impl FromStr for DateRange {
    type Err = Error;
    /// `FROM..TO` (either side may be left out), or one period: `2016` is the year 2016.
    fn from_str(s: &str) -> Result<DateRange> {
        // An ellipsis, as a phone's keyboard turns ".." into, is the range's two dots.
        let s = s.trim().replace('\u{2026}', "..");
        let s = s.as_str();
        // Blank, it would take every item (a script's unset variable): as the other filters.
        if s.is_empty() {
            return Err(Error::InvalidValue {
                what: "date range",
                value: String::new(),
                reason: "an empty value; give one, or leave the filter out".into(),
            });
        }
        let side = |p: &str, last: bool| {
            let p = p.trim();
            (!p.is_empty()).then(|| period_end(p, last)).transpose()
        };
        let range = match s.split_once("..") {
            // Open at both ends, it would take every item, the undated too: meant as neither.
            Some((a, b)) if a.trim().is_empty() && b.trim().is_empty() => {
                return Err(Error::InvalidValue {
                    what: "date range",
                    value: s.into(),
                    reason: "it has neither a start nor an end (FROM.., ..TO or FROM..TO)".into(),
                });
            }
            Some((a, b)) => DateRange {
                from: side(a, false)?,
                to: side(b, true)?,
            },
            None => DateRange {
                from: side(s, false)?,
                to: side(s, true)?,
            },
        };
        if let (Some(a), Some(b)) = (range.from, range.to) {
            if a > b {
                return Err(Error::InvalidValue {
                    what: "date range",
                    value: s.into(),
                    reason: format!("it ends ({b}) before it starts ({a})"),
                });
            }
        }
        Ok(range)
    }
}

/// Which items a search or a count takes. Every field left empty takes all.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub words: Option<FtsQuery>,
    pub outcome: Option<Decision>,
    pub category: Option<Category>,
    pub drug_class: Option<DrugClass>,
    /// Words of the normalised treatment name, whole and in order (any case): "MRI" finds every
    /// MRI, "hydrocodone" finds "hydrocodone/acetaminophen", "MRI lumbar spine" that one.
    pub treatment: Option<String>,
    /// Part of the reviewer's specialty (any case): "orthop" finds "Orthopaedic Surgery".
    pub specialty: Option<String>,
    /// A theme assigned by the model the database was scored with.
    pub theme: Option<String>,
    /// Words of a cited guideline's name, in order (any case): "low back", "MTUS", "ODG".
    pub guideline: Option<String>,
    pub decided: DateRange,
    pub injured: DateRange,
    pub case_number: Option<String>,
}

/// A LIKE pattern matching `s` anywhere, its wildcards escaped.
fn contains_pattern(s: &str) -> String {
    format!("%{}%", like_escaped(s))
}

/// A reviewer's specialty that holds the filter's text (any case), "and" within a name read as
/// "&" on both sides, as the parser names specialties: letters an older parser read keep the
/// "and" they were written with.
const SPECIALTY_MATCH: &str =
    "replace(lower(l.reviewer_specialty), ' and ', ' & ') LIKE ? ESCAPE '\\'";

/// The pattern [`SPECIALTY_MATCH`] takes for the filter's text.
fn specialty_pattern(s: &str) -> String {
    contains_pattern(&crate::letter::specialty_name(
        &s.trim().to_ascii_lowercase(),
    ))
}

/// `s` as LIKE ... ESCAPE '\\' matches it literally.
fn like_escaped(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A name's words, split at white space and at `also`, joined by single spaces.
fn words_of(name: &str, also: &[char]) -> String {
    name.split(|c: char| c.is_whitespace() || also.contains(&c))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A treatment name's words: split at spaces, slashes and commas ("hydrocodone/acetaminophen",
/// "MRI cervical spine, hand"), so that a filter finds a drug of a combination or a site of a list.
fn treatment_words(name: &str) -> String {
    words_of(name, &['/', ','])
}

/// A guideline document's words: split at spaces and commas ("Forearm, Wrist, and Hand
/// Complaints"); a hyphenated word stays one ("non-MTUS").
fn guideline_words(name: &str) -> String {
    words_of(name, &[','])
}

/// The SQL functions the queries and migrations call: [`treatment_words`] as
/// `imr_treatment_words`, so that a stored name and a filter are split into words by one rule;
/// the guidelines an item cites as `imr_guidelines_cited`, a JSON list (for a migration that
/// reads them again).
pub(super) fn register_functions(conn: &rusqlite::Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    type Words = fn(&str) -> String;
    let functions: [(&str, Words); 1] = [("imr_treatment_words", treatment_words)];
    conn.create_scalar_function(
        "imr_guidelines_cited",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let line: Option<String> = ctx.get(0)?;
            let cited = super::guideline::guidelines_cited(line.as_deref().unwrap_or_default());
            Ok(serde_json::to_string(&cited).unwrap_or_else(|_| "[]".into()))
        },
    )?;
    for (name, words) in functions {
        conn.create_scalar_function(
            name,
            1,
            FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
            move |ctx| {
                let name: Option<String> = ctx.get(0)?;
                Ok(name.map(|n| words(&n)))
            },
        )?;
    }
    Ok(())
}

/// The items whose treatment name holds a filter's words (bound as `?`, a LIKE pattern of
/// [`treatment_words`]). The names are few beside the items: they are read from the treatment
/// index a seek each (the next name after the last), matched, and their items then looked up by
/// the same index, where a LIKE over every item would read them all.
const TREATMENT_MATCH: &str = "i.treatment COLLATE NOCASE IN (\
    WITH RECURSIVE names(name) AS (\
      SELECT (SELECT treatment FROM items ORDER BY treatment COLLATE NOCASE LIMIT 1) \
      UNION ALL \
      SELECT (SELECT treatment FROM items WHERE treatment > names.name COLLATE NOCASE \
              ORDER BY treatment COLLATE NOCASE LIMIT 1) \
      FROM names WHERE names.name IS NOT NULL) \
    SELECT name FROM names WHERE name IS NOT NULL \
      AND (' ' || imr_treatment_words(name) || ' ') LIKE ? ESCAPE '\\')";

/// The items citing a guideline whose words hold a filter's (bound as `?`, a LIKE pattern of
/// [`guideline_words`]); `{not_outside}` is replaced by a condition or nothing. A stored name's
/// words are single-spaced ([`super::guidelines_cited`]), so dropping its commas in SQL splits it
/// as [`guideline_words`] does, at the speed of a plain LIKE (a Rust call a citation was slower).
const GUIDELINE_MATCH: &str = "EXISTS (SELECT 1 FROM item_guidelines g WHERE g.item_id = i.id\
    {not_outside} AND (' ' || replace(replace(g.guideline, ', ', ' '), ',', ' ') || ' ') \
    LIKE ? ESCAPE '\\')";

/// [`GUIDELINE_MATCH`] for counting every item it keeps: the names cited are few (a seek each in
/// the guidelines' index, as [`TREATMENT_MATCH`] reads treatments), so they are matched first and
/// their items read from that index, where an item-by-item test would match each citation.
const GUIDELINE_ITEMS: &str = "i.id IN (SELECT g.item_id FROM item_guidelines g \
    WHERE g.guideline IN (\
    WITH RECURSIVE names(name) AS (\
      SELECT (SELECT guideline FROM item_guidelines ORDER BY guideline LIMIT 1) \
      UNION ALL \
      SELECT (SELECT guideline FROM item_guidelines WHERE guideline > names.name \
              ORDER BY guideline LIMIT 1) \
      FROM names WHERE names.name IS NOT NULL) \
    SELECT name FROM names g WHERE name IS NOT NULL {not_outside} \
      AND (' ' || replace(replace(name, ', ', ' '), ',', ' ') || ' ') LIKE ? ESCAPE '\\'))";

/// A theme as the codebook names it, however written: `Criteria Met` and `criteria-met` are
/// `criteria_met`.
fn theme_id(t: &str) -> String {
    t.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("_")
}

/// The LIKE pattern of a guideline filter: its words, in order, as whole words of a cited
/// guideline's name (any case; a hyphenated word is one, so `MTUS` is not found in "Other
/// non-MTUS source"); and whether it names "Outside the MTUS".
fn guideline_pattern(filter: &str) -> (String, bool) {
    let words = guideline_words(filter);
    let outside = words.split(' ').any(|w| w.eq_ignore_ascii_case("outside"));
    (format!("% {} %", like_escaped(&words)), outside)
}

impl Filters {
    /// The WHERE clause over `items i JOIN letters l` (without the words, which callers join in
    /// their own way) and its values, numbered from `?1`.
    pub(super) fn where_clause(&self) -> (String, Vec<Value>) {
        self.conditions("l.decision_date", false)
    }

    /// [`Filters::where_clause`] with the decision date read from `decided` (an item's copy of
    /// it, where an index of the items is walked).
    fn where_clause_dated(&self, decided: &str) -> (String, Vec<Value>) {
        self.conditions(decided, false)
    }

    /// The WHERE clause, the decision date read from `decided`; `counting`: for a query that
    /// reads every item kept (ids, counts), not one that stops at a page.
    fn conditions(&self, decided: &str, counting: bool) -> (String, Vec<Value>) {
        let mut conds: Vec<String> = Vec::new();
        let mut values: Vec<Value> = Vec::new();
        let mut add = |cond: &str, v: Value| {
            values.push(v);
            conds.push(cond.replace('?', &format!("?{}", values.len())));
        };
        if let Some(d) = self.outcome {
            add("i.decision = ?", Value::Text(d.to_string()));
        }
        if let Some(c) = self.category {
            add("i.category = ?", Value::Text(c.id().into()));
        }
        if let Some(c) = self.drug_class {
            add("i.drug_class = ?", Value::Text(c.id().into()));
        }
        if let Some(t) = &self.treatment {
            let words = treatment_words(t);
            if words.is_empty() {
                add("i.treatment = ? COLLATE NOCASE", Value::Text(String::new()));
            } else {
                add(
                    TREATMENT_MATCH,
                    Value::Text(format!("% {} %", like_escaped(&words))),
                );
            }
        }
        if let Some(s) = &self.specialty {
            add(SPECIALTY_MATCH, Value::Text(specialty_pattern(s)));
        }
        if let Some(t) = &self.theme {
            add(
                "EXISTS (SELECT 1 FROM item_themes t WHERE t.item_id = i.id AND t.theme = ?)",
                Value::Text(theme_id(t)),
            );
        }
        if let Some(g) = &self.guideline {
            let (pattern, outside) = guideline_pattern(g);
            // "Outside the MTUS" says the reviewer went outside it: found by a filter that says
            // so ("outside"), not by one that asks for MTUS documents.
            let (matched, name) = match counting {
                true => (GUIDELINE_ITEMS, "name"),
                false => (GUIDELINE_MATCH, "g.guideline"),
            };
            let not_outside = match outside {
                true => String::new(),
                false => format!(" AND {name} <> 'Outside the MTUS'"),
            };
            add(
                &matched.replace("{not_outside}", &not_outside),
                Value::Text(pattern),
            );
        }
        for (column, range) in [(decided, self.decided), ("l.date_of_injury", self.injured)] {
            if let Some(d) = range.from {
                add(&format!("{column} >= ?"), Value::Text(d.to_string()));
            }
            if let Some(d) = range.to {
                add(&format!("{column} <= ?"), Value::Text(d.to_string()));
            }
        }
        if let Some(c) = &self.case_number {
            // As typed, or in capitals: the DWC's case numbers are ("cm16-0213037").
            add(
                "l.case_number IN (?, upper(?))",
                Value::Text(c.trim().into()),
            );
        }
        let clause = if conds.is_empty() {
            "1".to_string()
        } else {
            conds.join(" AND ")
        };
        (clause, values)
    }

    /// Whether the words are all there is to the search.
    fn only_words(&self) -> bool {
        let f = Filters {
            words: None,
            ..self.clone()
        };
        f.where_clause().1.is_empty()
    }

    /// The index of the items, newest first, that a search without words walks: the one by its
    /// most selective item field, where it has one (it stops at the page, where walking the
    /// letters would pass every letter whose items that field leaves out).
    fn newest_items_index(&self) -> Option<&'static str> {
        if self.drug_class.is_some() {
            Some("items_drug_class_newest")
        } else if self.category.is_some() {
            Some("items_category_newest")
        } else {
            None
        }
    }

    /// [`Filters::where_clause`] for a query of ids or counts, and whether it reads the letters:
    /// with a category or drug class, by the items' own copy of the decision date, which their
    /// index by either holds (joining each item to its letter for its date costs far more).
    fn id_clause(&self) -> (String, Vec<Value>, bool) {
        if self.newest_items_index().is_none() {
            let (clause, values) = self.conditions("l.decision_date", true);
            return (clause, values, self.reads_letters());
        }
        let (clause, values) = self.conditions("i.decision_date", true);
        let letters =
            self.specialty.is_some() || !self.injured.is_open() || self.case_number.is_some();
        (clause, values, letters)
    }

    /// Whether a filter reads the letters' table (the others read only items).
    pub(super) fn reads_letters(&self) -> bool {
        self.specialty.is_some()
            || !self.decided.is_open()
            || !self.injured.is_open()
            || self.case_number.is_some()
    }

    /// The items table, joined to letters where `letters` (a count by an item's own fields need not
    /// visit every item's letter), and to the full-text matches when there are words (their ids
    /// a value numbered after the clause's `n_values`). `ranked`: the ids are in BM25 order, and
    /// each match's `f.rank` its place in it (1 the best).
    pub(super) fn tables_clause(&self, n_values: usize, ranked: bool, letters: bool) -> String {
        let join_letters = if letters {
            " JOIN letters l ON l.id = i.letter_id"
        } else {
            ""
        };
        let words = n_values + 1;
        // CROSS JOIN: the matches first, each item looked up by id (never every item scanned
        // for its place among the matches).
        match (&self.words, ranked) {
            (None, _) => format!("items i{join_letters}"),
            (Some(_), true) => format!(
                "(SELECT value AS rowid, rowid AS rank FROM rarray(?{words})) f \
                 CROSS JOIN items i ON i.id = f.rowid{join_letters}"
            ),
            (Some(_), false) => format!(
                "(SELECT value AS rowid FROM rarray(?{words})) f \
                 CROSS JOIN items i ON i.id = f.rowid{join_letters}"
            ),
        }
    }
}

/// How long a search without words walks the letters newest first before it fetches every match
/// and sorts them instead (the same page either way).
const WALK_BUDGET: std::time::Duration = std::time::Duration::from_millis(25);

/// From how many matches a search with words in date order walks the items in that order (see
/// [`Store::kept_by_date`]); with fewer, most of the items walked would not match.
const WALK_FROM_MATCHES: usize = 2_000;

/// About what fetching one match's row and sorting it takes: a walk in date order is given up
/// once it has taken as long as the matches' sort would.
const SORT_COST_PER_MATCH: std::time::Duration = std::time::Duration::from_micros(10);

/// A search: filters, the order, and the page of results wanted.
#[derive(Debug, Clone)]
pub struct Search {
    pub filters: Filters,
    pub sort: Sort,
    pub limit: usize,
    pub offset: usize,
}

/// The order of a search's results. Ties go to the letter indexed first, then item order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// The best match first (BM25) with words; the newest decision first without.
    #[default]
    Best,
    /// The newest decision first; letters without a decision date last.
    Newest,
    /// The oldest decision first; letters without a decision date last.
    Oldest,
    /// The highest P(Overturned) first (the model the database was scored with); unscored last.
    Overturned,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Best, Sort::Newest, Sort::Oldest, Sort::Overturned];

    pub fn name(self) -> &'static str {
        match self {
            Sort::Best => "best",
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Overturned => "overturned",
        }
    }

    /// The ORDER BY of a sort other than the default one.
    pub(super) fn order(self) -> &'static str {
        match self {
            Sort::Best | Sort::Newest => "l.decision_date DESC, l.id DESC, i.item",
            Sort::Oldest => "l.decision_date IS NULL, l.decision_date, l.id, i.item",
            Sort::Overturned => "s.p_overturned IS NULL, s.p_overturned DESC, l.id, i.item",
        }
    }
}

impl Sort {
    /// Every item's id in the order of a date sort, as statements walked one after the other,
    /// each in an index's order (no sort): the order of [`Sort::order`].
    fn date_walks(self) -> Option<&'static [&'static str]> {
        const NEWEST: &str = "SELECT i.id FROM letters l INDEXED BY letters_decision_date \
             CROSS JOIN items i ON i.letter_id = l.id \
             ORDER BY l.decision_date DESC, l.id DESC, i.item";
        // Letters without a date last: those with one by date, then the others.
        const OLDEST: [&str; 2] = [
            "SELECT i.id FROM letters l INDEXED BY letters_decision_date \
             CROSS JOIN items i ON i.letter_id = l.id WHERE l.decision_date IS NOT NULL \
             ORDER BY l.decision_date, l.id, i.item",
            "SELECT i.id FROM letters l INDEXED BY letters_decision_date \
             CROSS JOIN items i ON i.letter_id = l.id WHERE l.decision_date IS NULL \
             ORDER BY l.id, i.item",
        ];
        match self {
            Sort::Newest => Some(std::slice::from_ref(&NEWEST)),
            Sort::Oldest => Some(&OLDEST),
            Sort::Best | Sort::Overturned => None,
        }
    }
}

impl FromStr for Sort {
    type Err = Error;
    fn from_str(s: &str) -> Result<Sort> {
        let lower = s.trim().to_ascii_lowercase();
        Sort::ALL
            .into_iter()
            .find(|o| o.name() == lower)
            .ok_or_else(|| Error::UnknownName {
                what: "order",
                value: s.trim().to_string(),
                expected: "best, newest, oldest or overturned".into(),
            })
    }
}

/// One matching item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub case_number: String,
    pub item: usize,
    pub title: String,
    pub category: String,
    pub drug_class: Option<String>,
    pub treatment: String,
    pub decision: String,
    pub decision_date: Option<String>,
    pub date_of_injury: Option<String>,
    /// The reviewer's board certifications, as in a letter's `reviewer.specialty`.
    pub reviewer_specialty: Vec<String>,
    /// BM25 relevance (higher is better), when words were given.
    pub relevance: Option<f64>,
    /// The scoring model's P(Overturned), when the database was indexed with one.
    pub p_overturned: Option<f64>,
    pub themes: Vec<String>,
    pub source: String,
}

/// From how many word matches the filters are read from their own indexes and the two taken
/// together, rather than each match looked up.
const MERGE_FROM: usize = 20_000;

/// A search's columns, as [`hit`] reads them, with `relevance` for the BM25 relevance.
fn hit_columns(relevance: &str) -> String {
    format!(
        "l.case_number, i.item, i.title, i.category, i.drug_class, i.treatment, i.decision, \
         l.decision_date, l.date_of_injury, l.reviewer_specialty, {relevance}, s.p_overturned, \
         (SELECT group_concat(theme, ' ' ORDER BY theme) FROM item_themes t \
         WHERE t.item_id = i.id), l.source"
    )
}

/// A row of [`Store::page`]'s query.
fn hit(r: &rusqlite::Row<'_>) -> rusqlite::Result<Hit> {
    let themes: Option<String> = r.get(12)?;
    Ok(Hit {
        case_number: r.get(0)?,
        item: r.get::<_, i64>(1)? as usize,
        title: r.get(2)?,
        category: r.get(3)?,
        drug_class: r.get(4)?,
        treatment: r.get(5)?,
        decision: r.get(6)?,
        decision_date: r.get(7)?,
        date_of_injury: r.get(8)?,
        reviewer_specialty: r
            .get::<_, Option<String>>(9)?
            .as_deref()
            .map(crate::letter::split_specialties)
            .unwrap_or_default(),
        relevance: r.get(10)?,
        p_overturned: r.get(11)?,
        themes: themes
            .map(|t| t.split(' ').map(str::to_owned).collect())
            .unwrap_or_default(),
        source: r.get(13)?,
    })
}

/// How many items match, and how many of them were overturned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Matches {
    pub items: usize,
    pub overturned: usize,
}

impl Store {
    /// The matching items in the order of `q.sort`.
    pub fn search(&self, q: &Search) -> Result<Vec<Hit>> {
        self.snapshot(|s| s.search_now(q))
    }

    /// Runs `f` in one read transaction, unless one is open: a search's several queries (its
    /// words' postings, then the items') then see one state of the database while an index run
    /// writes.
    pub(super) fn snapshot<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        match self.conn.is_autocommit() {
            true => self.reading(f),
            false => f(self),
        }
    }

    fn search_now(&self, q: &Search) -> Result<Vec<Hit>> {
        self.check_filters(&q.filters)?;
        let want = q.limit.saturating_add(q.offset);
        let default = q.sort == Sort::Best || (q.sort == Sort::Newest && q.filters.words.is_none());
        if !default {
            if let Some(words) = &q.filters.words {
                let by_date = self.kept_by_date(&q.filters, words, q.sort, want, WALK_FROM_MATCHES);
                if let Some(hits) = by_date? {
                    return Ok(hits.into_iter().skip(q.offset).collect());
                }
            }
            // Every match is fetched and sorted.
            let hits = self.page(&q.filters, None, want, false, Some(q.sort.order()))?;
            return Ok(hits.into_iter().skip(q.offset).collect());
        }
        let hits = match &q.filters.words {
            // The matches the filters keep are ranked once (and kept for the count that follows);
            // only the page's items are read.
            Some(words) => self.best_kept(&q.filters, words, want)?,
            None => self.search_page(&q.filters, None, want)?,
        };
        Ok(hits.into_iter().skip(q.offset).collect())
    }

    /// The best `limit` of the matches of `words` that `f`'s filters keep.
    pub(super) fn best_kept(
        &self,
        f: &Filters,
        words: &FtsQuery,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let best = self.kept(f, words)?.best(limit);
        let best: Vec<(i64, Option<f64>)> = best.into_iter().map(|(id, s)| (id, Some(s))).collect();
        self.kept_hits(f, &best)
    }

    /// The first `want` matches of `words` that `f`'s filters keep, in the date order of `sort`:
    /// every item walked in that order (an index holds it) until the page is full, each kept
    /// where it is a match. None for another order, or where the walk would cost more than
    /// fetching the matches and sorting them: fewer matches than `walk_from` (many items walked
    /// for each), or a walk that runs past what the sort would take.
    pub(super) fn kept_by_date(
        &self,
        f: &Filters,
        words: &FtsQuery,
        sort: Sort,
        want: usize,
        walk_from: usize,
    ) -> Result<Option<Vec<Hit>>> {
        let Some(walks) = sort.date_walks() else {
            return Ok(None);
        };
        let kept = self.kept(f, words)?;
        if kept.ids.len() < walk_from {
            return Ok(None);
        }
        let scores = kept.scores.as_deref();
        // Every match found ends the walk as a full page does (the last page, a large limit).
        let want = want.min(kept.ids.len());
        let walk = || -> Result<Vec<(i64, Option<f64>)>> {
            let mut page = Vec::with_capacity(want);
            for sql in walks {
                let mut st = self.conn.prepare_cached(sql).map_err(self.err())?;
                let mut rows = st.query([]).map_err(self.err())?;
                while page.len() < want {
                    let Some(row) = rows.next().map_err(self.err())? else {
                        break;
                    };
                    let id: i64 = row.get(0).map_err(self.err())?;
                    if let Ok(k) = kept.ids.binary_search(&id) {
                        page.push((id, scores.and_then(|s| s.get(k).copied())));
                    }
                }
            }
            Ok(page)
        };
        // What fetching and sorting the matches would take, about.
        let budget = WALK_BUDGET.max(SORT_COST_PER_MATCH * kept.ids.len() as u32);
        let Some(page) = self.bounded(budget, walk)? else {
            return Ok(None);
        };
        self.kept_hits(f, &page).map(Some)
    }

    /// The matches of `words` that `f`'s filters keep, ascending, with their BM25 scores: the
    /// last search's where it had the same filters and the database has not changed since (a
    /// search and its count compute them once).
    pub(super) fn kept(&self, f: &Filters, words: &FtsQuery) -> Result<Arc<Found>> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(self.err())?;
        let key = (format!("{f:?}"), version, self.conn.total_changes());
        if let Some((k, kept)) = &*self.last_kept.borrow() {
            if *k == key {
                return Ok(Arc::clone(kept));
            }
        }
        let found = self.found(words, true)?;
        let kept = match f.only_words() {
            true => found,
            false => {
                let ids = self.filtered_ids(f, &found.ids, MERGE_FROM)?;
                let all = found.scores.unwrap_or_default();
                let mut scores = Vec::with_capacity(ids.len());
                let mut j = 0;
                for &id in &ids {
                    while found.ids[j] < id {
                        j += 1;
                    }
                    scores.push(all[j]);
                }
                Found {
                    ids,
                    scores: Some(scores),
                }
            }
        };
        let kept = Arc::new(kept);
        *self.last_kept.borrow_mut() = Some((key, Arc::clone(&kept)));
        Ok(kept)
    }

    /// Of the word matches `found` (ascending), those the other filters of `f` keep: each looked
    /// up where they are fewer than `merge_from`, else the filters' own ids (read from their
    /// indexes) and `found` taken together.
    pub(super) fn filtered_ids(
        &self,
        f: &Filters,
        found: &[i64],
        merge_from: usize,
    ) -> Result<Vec<i64>> {
        let rest = Filters {
            words: None,
            ..f.clone()
        };
        let (clause, values) = rest.where_clause();
        if found.len() < merge_from {
            // `f`'s tables: the matches (its words), each looked up.
            let from = f.tables_clause(values.len(), false, rest.reads_letters());
            let mut values = params(values);
            values.push(ids_param(found.iter().copied()));
            return self.sorted_ids(&format!("SELECT i.id FROM {from} WHERE {clause}"), values);
        }
        let (clause, values, letters) = rest.id_clause();
        let from = rest.tables_clause(values.len(), false, letters);
        let ids = self.sorted_ids(
            &format!("SELECT i.id FROM {from} WHERE {clause}"),
            params(values),
        )?;
        Ok(intersect(found, &ids))
    }

    /// The items matching `words`, scored where `ranked`.
    fn found(&self, words: &FtsQuery, ranked: bool) -> Result<Found> {
        super::text::search(&self.conn, words.text_query(), ranked).map_err(|e| match e {
            SearchError::Database(e) => self.err()(e),
            SearchError::TooManyWords { prefix } => Error::Query {
                what: format!(
                    "search words {}: {prefix}* starts more than {MOST_PREFIXED} words of the \
                     index; give more of the word",
                    quoted_words(&words.written)
                ),
            },
        })
    }

    /// `values` with, where `f` has words, the ids of their matches after them (`known`, where
    /// the caller has them).
    pub(super) fn with_word_ids(
        &self,
        f: &Filters,
        values: Vec<Value>,
        known: Option<&[i64]>,
    ) -> Result<Vec<Param>> {
        let mut values = params(values);
        if let Some(words) = &f.words {
            let ids = match known {
                Some(ids) => ids.to_vec(),
                None => self.kept(f, words)?.ids.clone(),
            };
            values.push(ids_param(ids.into_iter()));
        }
        Ok(values)
    }

    /// The hits of items `page` (id, relevance) that `f`'s filters keep, in `page`'s order, each
    /// with its relevance.
    fn kept_hits(&self, f: &Filters, page: &[(i64, Option<f64>)]) -> Result<Vec<Hit>> {
        let (clause, values) = f.where_clause();
        let at = values.len() + 1;
        let mut values = params(values);
        values.push(ids_param(page.iter().map(|&(id, _)| id)));
        let sql = format!(
            "SELECT {}, i.id FROM rarray(?{at}) f CROSS JOIN items i ON i.id = f.value \
             JOIN letters l ON l.id = i.letter_id LEFT JOIN item_scores s ON s.item_id = i.id \
             WHERE {clause}",
            hit_columns("NULL"),
        );
        let mut st = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = st
            .query_map(rusqlite::params_from_iter(values), |r| {
                Ok((r.get::<_, i64>(14)?, hit(r)?))
            })
            .map_err(self.err())?;
        let mut hits: std::collections::HashMap<i64, Hit> =
            rows.collect::<rusqlite::Result<_>>().map_err(self.err())?;
        Ok(page
            .iter()
            .filter_map(|&(id, relevance)| {
                let mut h = hits.remove(&id)?;
                h.relevance = relevance;
                Some(h)
            })
            .collect())
    }

    /// The first `limit` matches, among the best `window` by BM25 when given.
    pub(super) fn search_page(
        &self,
        f: &Filters,
        window: Option<usize>,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        if f.words.is_none() && f.case_number.is_none() {
            // Filters that keep many items fill a page within the newest letters: walk them in
            // date order and stop. Filters that keep few would walk the whole table, so the walk
            // is given up after a moment, for the planner's plan (fetch the matches, then sort).
            let walk = || self.page(f, None, limit, true, None);
            if let Some(hits) = self.bounded(WALK_BUDGET, walk)? {
                return Ok(hits);
            }
        }
        self.page(f, window, limit, false, None)
    }

    /// `run`'s result, or None when it takes longer than `budget` (it is then interrupted).
    pub(super) fn bounded<T>(
        &self,
        budget: std::time::Duration,
        run: impl FnOnce() -> Result<T>,
    ) -> Result<Option<T>> {
        let start = std::time::Instant::now();
        self.conn
            .progress_handler(1000, Some(move || start.elapsed() > budget));
        let r = run();
        self.conn.progress_handler(0, None::<fn() -> bool>);
        match r {
            Ok(v) => Ok(Some(v)),
            Err(Error::Interrupted { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One page of results; `walk_dates`: letters newest first, each letter's items in order;
    /// `order`: another order than the default one (best match, or newest).
    pub(super) fn page(
        &self,
        f: &Filters,
        window: Option<usize>,
        limit: usize,
        walk_dates: bool,
        order: Option<&str>,
    ) -> Result<Vec<Hit>> {
        let items_index = f.newest_items_index().filter(|_| walk_dates);
        let (clause, values) = match items_index {
            Some(_) => f.where_clause_dated("i.decision_date"),
            None => f.where_clause(),
        };
        let from = match (walk_dates, items_index) {
            // An index in date order, whatever other index a filter could use: its order is the
            // page's.
            (true, Some(index)) => {
                format!("items i INDEXED BY {index} CROSS JOIN letters l ON l.id = i.letter_id")
            }
            (true, None) => {
                "letters l INDEXED BY letters_decision_date CROSS JOIN items i ON i.letter_id = l.id"
                    .to_string()
            }
            (false, _) => f.tables_clause(values.len(), true, true),
        };
        let int = |n: usize| Value::Integer(n.min(i64::MAX as usize) as i64);
        let mut best = Vec::new();
        if let Some(w) = &f.words {
            best = self.kept(f, w)?.best(window.unwrap_or(usize::MAX));
        }
        let mut values = params(values);
        if f.words.is_some() {
            values.push(ids_param(best.iter().map(|&(id, _)| id)));
        }
        // Newest first: NULLs sort last when descending.
        let (rank, default_order) = if f.words.is_some() {
            // Each match's place in BM25 order, made its score below.
            ("f.rank", "f.rank")
        } else if items_index.is_some() {
            // The same order, as the index holds it.
            ("NULL", "i.decision_date DESC, i.letter_id DESC, i.item")
        } else {
            ("NULL", "l.decision_date DESC, l.id DESC, i.item")
        };
        let order = order.unwrap_or(default_order);
        values.push(Param::Value(int(limit)));
        let sql = format!(
            "SELECT {} FROM {from} LEFT JOIN item_scores s ON s.item_id = i.id \
             WHERE {clause} ORDER BY {order} LIMIT ?{}",
            hit_columns(rank),
            values.len()
        );
        let mut st = self.conn.prepare(&sql).map_err(self.err())?;
        let rows = st
            .query_map(rusqlite::params_from_iter(values), hit)
            .map_err(self.err())?;
        let mut hits = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.err())?;
        for h in &mut hits {
            if let Some(place) = h.relevance {
                h.relevance = (place as usize)
                    .checked_sub(1)
                    .and_then(|k| best.get(k))
                    .map(|b| b.1);
            }
        }
        Ok(hits)
    }

    /// How many items match `f`, and how many were overturned.
    pub fn matches(&self, f: &Filters) -> Result<Matches> {
        self.snapshot(|s| s.matches_now(f))
    }

    fn matches_now(&self, f: &Filters) -> Result<Matches> {
        self.check_filters(f)?;
        let Some(words) = &f.words else {
            return self.matches_joined(f, None);
        };
        let kept = self.kept(f, words)?;
        let overturned = Filters {
            words: f.words.clone(),
            outcome: Some(Decision::Overturned),
            ..Filters::default()
        };
        Ok(Matches {
            items: kept.ids.len(),
            overturned: self.filtered_ids(&overturned, &kept.ids, MERGE_FROM)?.len(),
        })
    }

    /// The items (ids, ascending) whose texts match `words`.
    #[cfg(test)]
    pub(super) fn word_matches(&self, words: &FtsQuery) -> Result<Vec<i64>> {
        Ok(self.found(words, false)?.ids)
    }

    /// The ids `sql` gives (its first column), ascending.
    fn sorted_ids(&self, sql: &str, values: Vec<Param>) -> Result<Vec<i64>> {
        let mut st = self.conn.prepare(sql).map_err(self.err())?;
        let rows = st
            .query_map(rusqlite::params_from_iter(values), |r| r.get::<_, i64>(0))
            .map_err(self.err())?;
        let mut ids: Vec<i64> = rows.collect::<rusqlite::Result<_>>().map_err(self.err())?;
        ids.sort_unstable();
        Ok(ids)
    }

    /// [`Store::matches`] by one query joining the matches (`ids`, where known) to their items.
    pub(super) fn matches_joined(&self, f: &Filters, ids: Option<&[i64]>) -> Result<Matches> {
        let (clause, values, letters) = match f.words {
            Some(_) => {
                let (c, v) = f.where_clause();
                (c, v, f.reads_letters())
            }
            None => f.id_clause(),
        };
        let from = f.tables_clause(values.len(), false, letters);
        let values = self.with_word_ids(f, values, ids)?;
        let sql = format!(
            "SELECT count(*), coalesce(sum(i.decision = 'Overturned'), 0) FROM {from} \
             WHERE {clause}"
        );
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(values), |r| {
                Ok(Matches {
                    items: r.get::<_, i64>(0)? as usize,
                    overturned: r.get::<_, i64>(1)? as usize,
                })
            })
            .map_err(self.err())
    }

    /// Every text filter has a value, and a theme filter names a theme of the codebook or of a
    /// model whose themes are indexed: any other is a mistake, said (with the themes there are),
    /// not a quiet result.
    pub(super) fn check_filters(&self, f: &Filters) -> Result<()> {
        let texts = [
            ("treatment", &f.treatment),
            ("specialty", &f.specialty),
            ("theme", &f.theme),
            ("guideline", &f.guideline),
            ("case", &f.case_number),
        ];
        // An empty value matched every item in one filter and none in another: neither is meant.
        if let Some((name, _)) = texts
            .iter()
            .find(|(_, v)| v.as_deref().is_some_and(|v| v.trim().is_empty()))
        {
            return Err(Error::Query {
                what: format!("{name}: an empty value; give one, or leave the filter out"),
            });
        }
        self.check_theme(f)
    }

    fn check_theme(&self, f: &Filters) -> Result<()> {
        let Some(t) = &f.theme else { return Ok(()) };
        let id = theme_id(t);
        // The model that scored the database says which themes can be there, where it is known.
        if let Some(model) = self.scoring_model()? {
            // Errors also reach the web page, which sends no server's directories.
            let name = super::Naming::FileNames.name(&model.name);
            if let Some(themes) = model.themes.filter(|th| !th.contains(&id)) {
                let what = if themes.is_empty() {
                    format!(
                        "theme {t:?}: the scores here are {name}'s, a model without theme models, so \
                         no item has a theme"
                    )
                } else {
                    format!(
                        "theme {t:?}: not a theme of {name}, whose scores these are; its themes: {}",
                        themes.join(", ")
                    )
                };
                return Err(Error::Query { what });
            }
        }
        let mut known = crate::features::cues::codebook_themes();
        if known.contains(&id) {
            return Ok(());
        }
        let indexed = self.strings("SELECT DISTINCT theme FROM item_themes ORDER BY theme")?;
        if indexed.contains(&id) {
            return Ok(());
        }
        known.extend(indexed);
        known.sort_unstable();
        known.dedup();
        Err(Error::Query {
            what: format!(
                "theme {t:?}: no such theme; the themes: {}",
                known.join(", ")
            ),
        })
    }
}

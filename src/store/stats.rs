//! Counting decisions: items and overturn rates by treatment kind, reviewer, theme, guideline or
//! time, as the DWC's annual IMR reports and CWCI's studies tabulate them.

use super::{Filters, Store};
use crate::error::{Error, Result};
use crate::model::base_rates::wilson;
use std::fmt;
use std::str::FromStr;

/// What to count by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatsKey {
    Category,
    DrugClass,
    Treatment,
    Specialty,
    /// An item with several themes counts once in each.
    Theme,
    /// An item citing several guidelines counts once in each.
    Guideline,
    /// The decision's month (YYYY-MM).
    Month,
    /// The decision's year.
    Year,
}

impl StatsKey {
    pub const ALL: [StatsKey; 8] = [
        StatsKey::Category,
        StatsKey::DrugClass,
        StatsKey::Treatment,
        StatsKey::Specialty,
        StatsKey::Theme,
        StatsKey::Guideline,
        StatsKey::Month,
        StatsKey::Year,
    ];

    /// The key's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            StatsKey::Category => "category",
            StatsKey::DrugClass => "drug-class",
            StatsKey::Treatment => "treatment",
            StatsKey::Specialty => "specialty",
            StatsKey::Theme => "theme",
            StatsKey::Guideline => "guideline",
            StatsKey::Month => "month",
            StatsKey::Year => "year",
        }
    }

    /// The output column: the field name the other outputs use for the same value.
    pub fn column(self) -> &'static str {
        match self {
            StatsKey::DrugClass => "drug_class",
            StatsKey::Specialty => "reviewer_specialty",
            other => other.name(),
        }
    }

    /// Whether the key is a time, shown in time order rather than by volume.
    pub fn is_time(self) -> bool {
        matches!(self, StatsKey::Month | StatsKey::Year)
    }

    fn expression(self) -> &'static str {
        match self {
            StatsKey::Category => "i.category",
            StatsKey::DrugClass => "i.drug_class",
            StatsKey::Treatment => "i.treatment",
            StatsKey::Specialty => "l.reviewer_specialty",
            StatsKey::Theme => "th.theme",
            StatsKey::Guideline => "gl.guideline",
            StatsKey::Month => "substr(l.decision_date, 1, 7)",
            StatsKey::Year => "substr(l.decision_date, 1, 4)",
        }
    }

    /// Whether an item may be in several of the key's groups (several themes, guidelines or
    /// reviewer specialties): the groups then add up to more than the items, and have no total.
    pub fn is_multi(self) -> bool {
        matches!(
            self,
            StatsKey::Theme | StatsKey::Guideline | StatsKey::Specialty
        )
    }

    /// Whether the key is a letter's field (the others are an item's).
    fn reads_letters(self) -> bool {
        matches!(self, StatsKey::Specialty | StatsKey::Month | StatsKey::Year)
    }

    fn join(self) -> Option<&'static str> {
        match self {
            StatsKey::Theme => Some("LEFT JOIN item_themes th ON th.item_id = i.id"),
            StatsKey::Guideline => Some("LEFT JOIN item_guidelines gl ON gl.item_id = i.id"),
            _ => None,
        }
    }
}

impl fmt::Display for StatsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for StatsKey {
    type Err = Error;
    /// The name on the command line or the output column (`drug_class`, `reviewer_specialty`),
    /// with `_` or `-`.
    fn from_str(s: &str) -> Result<StatsKey> {
        let spelled = s.trim().to_ascii_lowercase().replace('_', "-");
        StatsKey::ALL
            .into_iter()
            .find(|k| k.name() == spelled || k.column().replace('_', "-") == spelled)
            .ok_or_else(|| {
                let names: Vec<&str> = StatsKey::ALL.iter().map(|k| k.name()).collect();
                Error::UnknownName {
                    what: "key",
                    value: s.trim().to_string(),
                    expected: format!("one of {}", names.join(", ")),
                }
            })
    }
}

/// One group: its key values (None: the items with no value, such as no decision date), its
/// items, their share of all matching items, and its overturn rate with a Wilson 95% interval.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsRow {
    pub values: Vec<Option<String>>,
    pub items: usize,
    pub share: f64,
    pub overturned: usize,
    pub rate: f64,
    pub rate_low: f64,
    pub rate_high: f64,
}

impl StatsRow {
    /// A group of `items`, `overturned` of them, among `total` matching items.
    fn new(values: Vec<Option<String>>, items: usize, overturned: usize, total: usize) -> Self {
        let (rate_low, rate_high) = wilson(overturned, items);
        StatsRow {
            values,
            items,
            share: items as f64 / total.max(1) as f64,
            overturned,
            rate: overturned as f64 / items.max(1) as f64,
            rate_low,
            rate_high,
        }
    }

    /// The row as one JSON object: each key's column name with its value, then the counts (`imr
    /// stats --json` and the web API alike), in that order, as docs/schema.md lists them.
    pub fn to_json(&self, keys: &[StatsKey]) -> StatsJson {
        let mut o: Vec<(String, serde_json::Value)> = keys
            .iter()
            .zip(&self.values)
            .map(|(k, v)| (k.column().to_string(), serde_json::json!(v)))
            .collect();
        o.push(("items".into(), self.items.into()));
        o.push(("share".into(), self.share.into()));
        o.push(("overturned".into(), self.overturned.into()));
        o.push(("rate".into(), self.rate.into()));
        o.push(("rate_low".into(), self.rate_low.into()));
        o.push(("rate_high".into(), self.rate_high.into()));
        StatsJson(o)
    }
}

/// A stats row as a JSON object whose fields keep their order (a JSON map sorts them).
#[derive(Debug, Clone, PartialEq)]
pub struct StatsJson(Vec<(String, serde_json::Value)>);

impl serde::Serialize for StatsJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Store {
    /// How many items match `f` and have scores.
    fn scored_matches(&self, f: &Filters) -> Result<usize> {
        let (clause, values) = f.where_clause();
        let from = f.tables_clause(values.len(), false, f.reads_letters());
        let values = self.with_word_ids(f, values, None)?;
        let sql = format!(
            "SELECT count(*) FROM {from} JOIN item_scores sc ON sc.item_id = i.id WHERE {clause}"
        );
        self.conn
            .query_row(&sql, rusqlite::params_from_iter(values), |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as usize)
            .map_err(self.err())
    }

    /// The matching items grouped by `keys`: time keys in time order, other groups by volume.
    pub fn stats(&self, keys: &[StatsKey], f: &Filters) -> Result<Vec<StatsRow>> {
        self.snapshot(|s| s.stats_now(keys, f))
    }

    fn stats_now(&self, keys: &[StatsKey], f: &Filters) -> Result<Vec<StatsRow>> {
        self.check_filters(f)?;
        if keys.is_empty() {
            return Err(Error::Query {
                what: "stats needs a key to count by".into(),
            });
        }
        // A model without theme models assigns none: no item is of a theme, nor of "no theme".
        if keys.contains(&StatsKey::Theme)
            && self
                .scoring_model()?
                .is_some_and(|m| m.themes.as_ref().is_some_and(Vec::is_empty))
        {
            return Ok(Vec::new());
        }
        // Shares by theme are of the scored items: the others have no themes to count (and are
        // left out of the groups, where there are any).
        let partly_scored = keys.contains(&StatsKey::Theme) && self.unscored_items()?.0 > 0;
        let total = match partly_scored {
            true => self.scored_matches(f)?,
            false => self.matches(f)?.items,
        };
        let (clause, values) = f.where_clause();
        let letters = f.reads_letters() || keys.iter().any(|k| k.reads_letters());
        let from = f.tables_clause(values.len(), false, letters);
        let values = self.with_word_ids(f, values, None)?;
        let mut joins: Vec<&str> = keys.iter().filter_map(|k| k.join()).collect();
        if partly_scored {
            joins.insert(0, "JOIN item_scores sc ON sc.item_id = i.id");
        }
        joins.dedup();
        let exprs: Vec<&str> = keys.iter().map(|k| k.expression()).collect();
        let sql = format!(
            "SELECT {keys}, count(*), coalesce(sum(i.decision = 'Overturned'), 0) \
             FROM {from} {joins} WHERE {clause} GROUP BY {keys}",
            keys = exprs.join(", "),
            joins = joins.join(" "),
        );
        let n = keys.len();
        let mut st = self.conn.prepare(&sql).map_err(self.err())?;
        let mut rows: Vec<StatsRow> = st
            .query_map(rusqlite::params_from_iter(values), |r| {
                let values = (0..n)
                    .map(|i| r.get::<_, Option<String>>(i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let items = r.get::<_, i64>(n)? as usize;
                let overturned = r.get::<_, i64>(n + 1)? as usize;
                Ok(StatsRow::new(values, items, overturned, total))
            })
            .map_err(self.err())?
            .collect::<rusqlite::Result<_>>()
            .map_err(self.err())?;
        if let Some(at) = keys.iter().position(|&k| k == StatsKey::Specialty) {
            rows = each_specialty(rows, at, total);
        }
        rows.sort_by(|a, b| order(keys, a, b));
        Ok(rows)
    }
}

/// The rows with their reviewer specialty (value `at`, as a letter joins them: "Preventive
/// Medicine, Occupational Medicine") one specialty each, as other outputs list them: a letter's
/// items count in each of its reviewer's specialties.
fn each_specialty(rows: Vec<StatsRow>, at: usize, total: usize) -> Vec<StatsRow> {
    let mut merged: std::collections::BTreeMap<Vec<Option<String>>, (usize, usize)> =
        Default::default();
    for r in rows {
        let joined = r.values[at]
            .as_deref()
            .map(crate::letter::split_specialties);
        let names: Vec<Option<String>> = match joined {
            Some(names) if !names.is_empty() => names.into_iter().map(Some).collect(),
            _ => vec![None],
        };
        for name in names {
            let mut values = r.values.clone();
            values[at] = name;
            let e = merged.entry(values).or_default();
            (e.0, e.1) = (e.0 + r.items, e.1 + r.overturned);
        }
    }
    merged
        .into_iter()
        .map(|(values, (items, overturned))| StatsRow::new(values, items, overturned, total))
        .collect()
}

/// Time keys first in time order (no date last), then larger groups first, then by value.
fn order(keys: &[StatsKey], a: &StatsRow, b: &StatsRow) -> std::cmp::Ordering {
    let by_time = keys.iter().enumerate().filter(|(_, k)| k.is_time());
    let time = by_time.fold(std::cmp::Ordering::Equal, |o, (i, _)| {
        o.then_with(|| {
            (a.values[i].is_none(), &a.values[i]).cmp(&(b.values[i].is_none(), &b.values[i]))
        })
    });
    time.then(b.items.cmp(&a.items)).then_with(|| {
        (
            a.values.iter().map(Option::is_none).collect::<Vec<_>>(),
            &a.values,
        )
            .cmp(&(
                b.values.iter().map(Option::is_none).collect::<Vec<_>>(),
                &b.values,
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key is read by its command-line name or by its output column, with `_` or `-`, in any
    /// case (as the filters' values are); an unknown one is named as given.
    #[test]
    fn keys_are_read_by_name_or_column() {
        for k in StatsKey::ALL {
            assert_eq!(k.name().parse::<StatsKey>().unwrap(), k);
            assert_eq!(k.column().parse::<StatsKey>().unwrap(), k);
        }
        assert_eq!(
            "reviewer-specialty".parse::<StatsKey>().unwrap(),
            StatsKey::Specialty
        );
        assert_eq!(
            "Drug_Class".parse::<StatsKey>().unwrap(),
            StatsKey::DrugClass
        );
        let e = " reviewer_name "
            .parse::<StatsKey>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"reviewer_name\""), "{e}");
    }
}

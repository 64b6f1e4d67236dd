//! Reading letters back, whole, as the parser made them: training from the database sees the same
//! letters, in the same order, as training from the files.

use super::Store;
use crate::error::{Error, Result};
use crate::letter::{Date, DisputedItem, Header, Letter, Patient, Reviewer};
use crate::treatment::TreatmentKind;
use rusqlite::Row;
use std::ops::ControlFlow;
use std::path::Path;

impl Store {
    /// Every letter's id, in the order `imr` reads files: by path, component by component (as a
    /// directory walk sorts them).
    pub fn letter_ids(&self) -> Result<Vec<i64>> {
        let mut st = self
            .conn
            .prepare("SELECT id, source FROM letters")
            .map_err(self.err())?;
        let mut rows: Vec<(i64, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.err())?
            .collect::<rusqlite::Result<_>>()
            .map_err(self.err())?;
        rows.sort_by(|a, b| Path::new(&a.1).cmp(Path::new(&b.1)));
        Ok(rows.into_iter().map(|(id, _)| id).collect())
    }

    /// Each letter, in [`Store::letter_ids`] order, to `sink`, one at a time: the letters are
    /// never all held at once. `sink` may stop the reading.
    pub fn each_letter(&self, mut sink: impl FnMut(Letter) -> ControlFlow<()>) -> Result<()> {
        self.each_letter_of(|_, letter| sink(letter))
    }

    /// [`Store::each_letter`], each letter given with the number of letters it is one of.
    fn each_letter_of(&self, mut sink: impl FnMut(usize, Letter) -> ControlFlow<()>) -> Result<()> {
        // The letters of one state of the database, whatever an index run writes meanwhile.
        self.reading(|store| {
            let ids = store.letter_ids()?;
            for &id in &ids {
                let (letter, _) = store.letter(id)?;
                if sink(ids.len(), letter).is_break() {
                    break;
                }
            }
            Ok(())
        })
    }

    /// Every item as a precedent ([`crate::precedent`]), indexed as a case model indexes its
    /// training items: `imr similar --db`, and the web page's similar decisions. What the index reads
    /// of each item (its title and clinical summary) is counted a batch at a time and let go.
    pub fn precedent_index(&self) -> Result<crate::precedent::PrecedentIndex> {
        self.precedent_index_reporting(&mut |_, _| {})
    }

    /// [`Store::precedent_index`], telling `progress` (letters read, of how many) as it reads
    /// them; the index is then made from what was read (a while: a minute a million items).
    pub fn precedent_index_reporting(
        &self,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<crate::precedent::PrecedentIndex> {
        use crate::features::ItemText;
        use crate::ParamGuard;
        use std::sync::Arc;
        let params = crate::precedent::PrecedentParams::new().check()?;
        crate::precedent::PrecedentIndex::build_batched(&params, |index| {
            let mut batch = Vec::new();
            let mut read = 0;
            self.each_letter_of(|letters, l| {
                read += 1;
                progress(read, letters);
                for (it, text) in l.items.iter().zip(ItemText::of_letter(&l)) {
                    let text = ItemText {
                        rationale: Arc::default(),
                        guidelines: Arc::default(),
                        claims_guideline: Arc::default(),
                        facts: Arc::default(),
                        ..text
                    };
                    batch.push((crate::precedent::Precedent::from_item(&l, it), text));
                }
                if batch.len() >= crate::features::BATCH {
                    index(std::mem::take(&mut batch));
                }
                ControlFlow::Continue(())
            })?;
            if !batch.is_empty() {
                index(batch);
            }
            Ok(())
        })
    }

    /// The letter with this case number, as written or in capitals (the DWC's are), or None; the
    /// first indexed where two files hold it.
    pub fn letter_by_case(&self, case_number: &str) -> Result<Option<Letter>> {
        let first = self.letters_by_case(case_number)?.into_iter().next();
        first
            .map(|(id, _)| self.letter(id).map(|(l, _)| l))
            .transpose()
    }

    /// Every letter with this case number (two files may hold one), as (id, source): the case
    /// number as written first, then in capitals; each in the order indexed.
    pub fn letters_by_case(&self, case_number: &str) -> Result<Vec<(i64, String)>> {
        self.conn
            .prepare_cached(
                "SELECT id, source FROM letters WHERE case_number IN (?1, upper(?1)) \
                 ORDER BY case_number = ?1 DESC, id",
            )
            .and_then(|mut st| {
                st.query_map([case_number], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect()
            })
            .map_err(self.err())
    }

    /// The letter with this id and its items' ids.
    pub fn letter(&self, id: i64) -> Result<(Letter, Vec<i64>)> {
        let err = self.err();
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT case_number, source, date_assigned, decision_date, date_of_injury, \
                 ur_denial_date, application_received, priority, reviewer_licensure, \
                 reviewer_specialty, reviewer_subspecialty, patient_age, patient_sex, \
                 clinical_summary FROM letters WHERE id = ?1",
            )
            .map_err(&err)?;
        let mut letter = st
            .query_row([id], letter_row)
            .map_err(&err)?
            .map_err(|m| self.bad_row(id, &m))?;
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT id, item, title, category, drug_class, treatment, decision, \
                 original_request, authorized, claims_administrator_guideline, \
                 reviewer_guideline, rationale FROM items WHERE letter_id = ?1 ORDER BY item",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([id], |r| Ok((r.get::<_, i64>(0)?, item_row(r)?)))
            .map_err(&err)?;
        let mut ids = Vec::new();
        for row in rows {
            let (item_id, item) = row.map_err(&err)?;
            letter.items.push(item.map_err(|m| self.bad_row(id, &m))?);
            ids.push(item_id);
        }
        Ok((letter, ids))
    }

    fn bad_row(&self, letter_id: i64, message: &str) -> Error {
        Error::Database {
            path: self.path.clone(),
            cause: format!("letter row {letter_id}: {message}"),
        }
    }
}

/// A value the schema holds as text, parsed back; `None` stays `None`.
/// A date as the database stores it: `YYYY-MM-DD` alone (the filters compare the text).
fn stored_date(v: Option<String>, field: &str) -> std::result::Result<Option<Date>, String> {
    v.map(|s| Date::from_iso(&s).map_err(|e| format!("{field}: {e}")))
        .transpose()
}

fn parsed<T: std::str::FromStr<Err = Error>>(
    v: Option<String>,
    field: &str,
) -> std::result::Result<Option<T>, String> {
    v.map(|s| s.parse().map_err(|e| format!("{field}: {e}")))
        .transpose()
}

/// An enum stored as its JSON string ("Standard", "female").
fn from_json_str<T: serde::de::DeserializeOwned>(
    v: Option<String>,
    field: &str,
) -> std::result::Result<Option<T>, String> {
    v.map(|s| serde_json::from_value(serde_json::Value::String(s)))
        .transpose()
        .map_err(|e| format!("{field}: {e}"))
}

type Parsed<T> = rusqlite::Result<std::result::Result<T, String>>;

fn letter_row(r: &Row<'_>) -> Parsed<Letter> {
    let licensure: String = r.get(8)?;
    let build = || -> std::result::Result<Letter, String> {
        let header = Header {
            case_number: r.get(0).map_err(|e| e.to_string())?,
            source: r.get(1).map_err(|e| e.to_string())?,
            date_assigned: stored_date(r.get(2).map_err(|e| e.to_string())?, "date_assigned")?,
            decision_date: stored_date(r.get(3).map_err(|e| e.to_string())?, "decision_date")?,
            date_of_injury: stored_date(r.get(4).map_err(|e| e.to_string())?, "date_of_injury")?,
            ur_denial_date: stored_date(r.get(5).map_err(|e| e.to_string())?, "ur_denial_date")?,
            application_received: stored_date(
                r.get(6).map_err(|e| e.to_string())?,
                "application_received",
            )?,
            priority: from_json_str(r.get(7).map_err(|e| e.to_string())?, "priority")?,
            reviewer: Reviewer {
                licensure: serde_json::from_str(&licensure)
                    .map_err(|e| format!("reviewer_licensure: {e}"))?,
                specialty: r
                    .get::<_, Option<String>>(9)
                    .map_err(|e| e.to_string())?
                    .as_deref()
                    .map(crate::letter::split_specialties)
                    .unwrap_or_default(),
                subspecialty: r.get(10).map_err(|e| e.to_string())?,
            },
            patient: Patient {
                age: r.get(11).map_err(|e| e.to_string())?,
                sex: from_json_str(r.get(12).map_err(|e| e.to_string())?, "patient_sex")?,
            },
        };
        Ok(Letter {
            header,
            clinical_summary: r.get(13).map_err(|e| e.to_string())?,
            items: Vec::new(),
        })
    };
    Ok(build())
}

fn item_row(r: &Row<'_>) -> Parsed<DisputedItem> {
    let build = || -> std::result::Result<DisputedItem, String> {
        let text = |i: usize| r.get::<_, Option<String>>(i).map_err(|e| e.to_string());
        let number: i64 = r.get(1).map_err(|e| e.to_string())?;
        Ok(DisputedItem {
            number: usize::try_from(number).map_err(|_| format!("item number {number}"))?,
            title: r.get(2).map_err(|e| e.to_string())?,
            kind: TreatmentKind {
                category: r
                    .get::<_, String>(3)
                    .map_err(|e| e.to_string())?
                    .parse()
                    .map_err(|e: Error| e.to_string())?,
                drug_class: parsed(text(4)?, "drug_class")?,
                treatment: r.get(5).map_err(|e| e.to_string())?,
            },
            decision: r
                .get::<_, String>(6)
                .map_err(|e| e.to_string())?
                .parse()
                .map_err(|e: Error| e.to_string())?,
            original_request: text(7)?,
            authorized: text(8)?,
            claims_administrator_guideline: text(9)?,
            reviewer_guideline: text(10)?,
            rationale: r.get(11).map_err(|e| e.to_string())?,
        })
    };
    Ok(build())
}

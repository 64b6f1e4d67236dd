//! The typed result of parsing: a `Letter` with its `DisputedItem`s.

use crate::treatment::TreatmentKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The reviewer's decision on one disputed item. Read in any case ("upheld", "UPHELD").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Decision {
    /// The denial stands.
    Upheld,
    /// The treatment is approved.
    Overturned,
}

impl Decision {
    pub fn is_overturned(self) -> bool {
        self == Decision::Overturned
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Upheld => "Upheld",
            Decision::Overturned => "Overturned",
        })
    }
}

impl FromStr for Decision {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "upheld" => Ok(Decision::Upheld),
            "overturned" => Ok(Decision::Overturned),
            _ => Err(crate::Error::UnknownName {
                what: "decision",
                value: s.into(),
                expected: "Upheld or Overturned".into(),
            }),
        }
    }
}

/// Reads a value by its `FromStr`: the words a flag takes are the words a file may hold.
macro_rules! deserialize_from_str {
    ($t:ty) => {
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(
                d: D,
            ) -> std::result::Result<Self, D::Error> {
                let s = std::borrow::Cow::<str>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

deserialize_from_str!(Decision);
deserialize_from_str!(Priority);
deserialize_from_str!(Sex);

/// A calendar date, serialised as ISO-8601 `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A checked date (leap years included).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        let days = Date::days_in_month(year, month)?;
        (day >= 1 && day <= days).then_some(Date { year, month, day })
    }

    /// How many days `month` of `year` has; None for no month (0, 13).
    pub fn days_in_month(year: u16, month: u8) -> Option<u8> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => Some(31),
            4 | 6 | 9 | 11 => Some(30),
            2 if leap => Some(29),
            2 => Some(28),
            _ => None,
        }
    }

    /// Why `year-month-day`, written in the right form, is no date: the month, or the day.
    pub fn why_not(year: u16, month: u8, day: u8) -> String {
        match Date::days_in_month(year, month) {
            None => format!("there is no month {month}"),
            Some(last) => format!("{year}-{month:02} has {last} days, not {day}"),
        }
    }

    /// US-style `MM/DD/YYYY` (or `-` separated, two-digit years as 20YY/19YY).
    pub fn parse_us(s: &str) -> Option<Date> {
        let mut parts = s.trim().split(['/', '-']);
        let m: u8 = parts.next()?.parse().ok()?;
        let d: u8 = parts.next()?.parse().ok()?;
        let y_str = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let mut y: u16 = y_str.parse().ok()?;
        if y_str.len() == 2 {
            y += if y < 70 { 2000 } else { 1900 };
        } else if y_str.len() != 4 {
            return None;
        }
        Date::new(y, m, d)
    }

    /// Days from 1970-01-01 (negative before it): differences of dates in days.
    pub fn days_from_epoch(self) -> i64 {
        // Howard Hinnant's days-from-civil algorithm, the inverse of `from_unix`'s.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Today's date (UTC), by the system's clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_unix(secs)
    }

    /// The civil date of a Unix timestamp (UTC); a time outside the years 1 to 9999 is the
    /// nearer of those years' ends.
    pub fn from_unix(secs: i64) -> Date {
        // 0001-01-01 and 9999-12-31 as Unix seconds.
        let secs = secs.clamp(-62_135_596_800, 253_402_214_400);
        // Howard Hinnant's days-to-civil algorithm.
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let y = (yoe + era * 400 + i64::from(m <= 2)) as u16;
        Date {
            year: y,
            month: m,
            day: d,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// What a date that is none was expected to be.
pub(crate) const DATE_FORMS: &str =
    "expected YYYY-MM-DD, MM/DD/YYYY (as the letters print dates; also MM-DD-YYYY, or a \
     two-digit year) or a month, day and year (December 9, 2016)";

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

impl Date {
    /// `11-03-2016` or `11-3-16`: three parts, the first a month's one or two digits (a date
    /// imr writes starts with its four-digit year).
    fn month_first_dashed(s: &str) -> bool {
        let mut p = s.split('-');
        p.next().is_some_and(|m| (1..=2).contains(&m.len())) && s.matches('-').count() == 2
    }

    /// Whether `s` (trimmed) is a date in a form people write, month first or named
    /// (`12/09/2016`, `11-3-16`, `December 9, 2016`), not one of imr's `YYYY...` forms.
    pub(crate) fn is_written(s: &str) -> bool {
        s.contains('/')
            || s.starts_with(|c: char| c.is_ascii_alphabetic())
            || Date::month_first_dashed(s)
    }

    /// Year, month and day of `MM/DD/YYYY` (or `MM-DD-YY`) or of `December 9, 2016`
    /// (`Dec. 9 2016`), as written: not yet checked as a calendar date.
    fn written_parts(s: &str) -> Option<(u16, u8, u8)> {
        if s.contains('/') || Date::month_first_dashed(s) {
            // One separator throughout: "11/03-2016" is no date.
            let sep = if s.contains('/') { '/' } else { '-' };
            let p: Vec<&str> = s.split(sep).map(str::trim).collect();
            let [m, d, y] = p[..] else { return None };
            let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
            if !(digits(m) && digits(d) && digits(y) && matches!(y.len(), 2 | 4)) {
                return None;
            }
            let y: u16 = y.parse().ok()?;
            // A two-digit year: 00-39 the 2000s, 40-99 the 1900s (the DWC's letters start in
            // 2013; an injury of "1-1-50" is of 1950).
            let y = match (p[2].len(), y) {
                (2, 40..) => 1900 + y,
                (2, _) => 2000 + y,
                _ => y,
            };
            return Some((y, m.parse().ok()?, d.parse().ok()?));
        }
        let words: Vec<&str> = s
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        let [month, d, y] = words[..] else {
            return None;
        };
        let month = month.trim_end_matches('.').to_ascii_lowercase();
        let m = MONTHS
            .iter()
            .position(|name| month.len() >= 3 && name.starts_with(&month))?;
        let (d, y) = (d.trim_end_matches(|c: char| c.is_ascii_alphabetic()), y);
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some((y.parse().ok()?, m as u8 + 1, d.parse().ok()?))
    }
}

/// `2016-12-09`; also as people write dates on forms: `12/09/2016` (month first, as the letters
/// print them) and `December 9, 2016` (`Dec 9 2016`).
impl FromStr for Date {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        let bad = || crate::Error::InvalidValue {
            what: "date",
            value: s.into(),
            reason: DATE_FORMS.into(),
        };
        let t = s.trim();
        if Date::is_written(t) {
            let (y, m, d) = Date::written_parts(t).ok_or_else(bad)?;
            return Date::new(y, m, d).ok_or_else(|| crate::Error::InvalidValue {
                what: "date",
                value: s.into(),
                reason: Date::why_not(y, m, d),
            });
        }
        Date::from_iso(t).map_err(|e| match e {
            crate::Error::InvalidValue { reason, .. } if reason == DATE_FORMS => bad(),
            e => e,
        })
    }
}

impl Date {
    /// `YYYY-MM-DD` alone, as imr writes dates (its database's rows): any other form is an
    /// error, not a date read another way.
    pub fn from_iso(s: &str) -> crate::Result<Date> {
        let bad = || crate::Error::InvalidValue {
            what: "date",
            value: s.into(),
            reason: DATE_FORMS.into(),
        };
        let mut p = s.split('-');
        let (y, m, d) = (
            p.next().ok_or_else(bad)?,
            p.next().ok_or_else(bad)?,
            p.next().ok_or_else(bad)?,
        );
        // Digits only: "+016" and "+1" parse as numbers, but no date is written so.
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if p.next().is_some() || y.len() != 4 || ![y, m, d].into_iter().all(digits) {
            return Err(bad());
        }
        let (y, m, d) = (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        Date::new(y, m, d).ok_or_else(|| crate::Error::InvalidValue {
            what: "date",
            value: s.into(),
            reason: Date::why_not(y, m, d),
        })
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Review priority as the letter states it. Read in any case ("standard").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Priority {
    Standard,
    Expedited,
}

impl FromStr for Priority {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "standard" => Ok(Priority::Standard),
            "expedited" => Ok(Priority::Expedited),
            _ => Err(crate::Error::UnknownName {
                what: "priority",
                value: s.into(),
                expected: "standard or expedited".into(),
            }),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

/// `male` or `female`, or `m` or `f`, in any case: the same words on the command line
/// (`forecast --sex`) and in an `--items` file.
impl std::str::FromStr for Sex {
    type Err = crate::Error;

    fn from_str(s: &str) -> crate::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "male" | "m" => Ok(Sex::Male),
            "female" | "f" => Ok(Sex::Female),
            _ => Err(crate::Error::UnknownName {
                what: "sex",
                value: s.into(),
                expected: "male or female".into(),
            }),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reviewer {
    /// States where the reviewer is licensed, as written.
    pub licensure: Vec<String>,
    /// Board certifications, in the letter's order ("Preventive Medicine", "Occupational
    /// Medicine"). Files that wrote them as one comma-joined string are read too.
    #[serde(default, deserialize_with = "specialties")]
    pub specialty: Vec<String>,
    /// A subspecialty where the letter names one ("has a subspecialty in Pain Management").
    pub subspecialty: Option<String>,
}

/// A list of specialties, or one string of them joined by commas (as imr wrote them before
/// schema version 1), or null.
fn specialties<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        List(Vec<String>),
        Joined(Option<String>),
    }
    Ok(match Form::deserialize(d)? {
        Form::List(v) => v,
        Form::Joined(s) => s.as_deref().map(split_specialties).unwrap_or_default(),
    })
}

/// A board certification as the DWC's letters name it: "and" within a name is written "&"
/// ("Physical Medicine & Rehabilitation"), as most letters have it, so that one specialty is one
/// group in counts and filters whichever way a letter spelt it.
pub fn specialty_name(name: &str) -> String {
    name.replace(" and ", " & ")
}

/// The specialties of a comma-joined list as a letter writes it ("Preventive Medicine,
/// Occupational Medicine"); no board certification's name holds a comma.
pub fn split_specialties(joined: &str) -> Vec<String> {
    joined
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Patient {
    pub age: Option<u8>,
    pub sex: Option<Sex>,
}

/// One disputed treatment request and its decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputedItem {
    /// 1-based position in the letter: `item` in every output, as in the CSV, the scores and the
    /// gold file (files written as `number` by imr before 0.2 are read too).
    #[serde(rename = "item", alias = "number")]
    pub number: usize,
    /// The disputed item as the letter names it (for partial certifications, the remaining disputed
    /// portion).
    pub title: String,
    /// What kind of treatment the title requests (category, drug class, normalised name).
    #[serde(flatten)]
    pub kind: TreatmentKind,
    pub decision: Decision,
    /// For partial certifications: the original request.
    pub original_request: Option<String>,
    /// For partial certifications: what the claims administrator authorized.
    pub authorized: Option<String>,
    pub claims_administrator_guideline: Option<String>,
    pub reviewer_guideline: Option<String>,
    pub rationale: String,
}

/// What a letter says of its case and its reviewer: the fields that every per-item output repeats
/// beside each item (`imr parse --items` and `--csv`), defined once, here. In JSON they sit at the
/// top level of a letter or an item row (`#[serde(flatten)]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The letter's case number, or the file stem where the text has none.
    pub case_number: String,
    pub source: String,
    pub date_assigned: Option<Date>,
    pub decision_date: Option<Date>,
    pub date_of_injury: Option<Date>,
    pub ur_denial_date: Option<Date>,
    pub application_received: Option<Date>,
    pub priority: Option<Priority>,
    pub reviewer: Reviewer,
    pub patient: Patient,
}

impl Header {
    /// The CSV columns of these fields, in order: nested fields prefixed with their parent
    /// (`reviewer_specialty`), lists joined by [`crate::schema::CSV_LIST_SEPARATOR`].
    pub const CSV_COLUMNS: [&'static str; 13] = [
        "case_number",
        "source",
        "date_assigned",
        "decision_date",
        "date_of_injury",
        "ur_denial_date",
        "application_received",
        "priority",
        "reviewer_licensure",
        "reviewer_specialty",
        "reviewer_subspecialty",
        "patient_age",
        "patient_sex",
    ];

    /// The cells of [`Header::CSV_COLUMNS`]; an absent value is an empty cell, an enum is written
    /// as JSON writes it.
    pub fn csv_cells(&self) -> [String; 13] {
        let date = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
        let json_str = |v: serde_json::Value| v.as_str().map(str::to_owned).unwrap_or_default();
        [
            self.case_number.clone(),
            self.source.clone(),
            date(self.date_assigned),
            date(self.decision_date),
            date(self.date_of_injury),
            date(self.ur_denial_date),
            date(self.application_received),
            json_str(serde_json::json!(self.priority)),
            crate::schema::csv_list(&self.reviewer.licensure),
            crate::schema::csv_list(&self.reviewer.specialty),
            self.reviewer.subspecialty.clone().unwrap_or_default(),
            self.patient.age.map(|a| a.to_string()).unwrap_or_default(),
            json_str(serde_json::json!(self.patient.sex)),
        ]
    }
}

/// One IMR Final Determination Letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Letter {
    #[serde(flatten)]
    pub header: Header,
    pub clinical_summary: Option<String>,
    pub items: Vec<DisputedItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sex is read alike from JSON and from the command line; written as `male` or `female`.
    #[test]
    fn sex_reads_both_spellings_in_any_case() {
        for (text, want) in [
            ("\"male\"", Sex::Male),
            ("\"F\"", Sex::Female),
            ("\"Male\"", Sex::Male),
        ] {
            assert_eq!(serde_json::from_str::<Sex>(text).unwrap(), want, "{text}");
        }
        assert_eq!("m".parse::<Sex>().unwrap(), Sex::Male);
        let e = serde_json::from_str::<Sex>("\"x\"")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("unknown sex \"x\" (expected male or female)"),
            "{e}"
        );
        let e = "urgent".parse::<Priority>().unwrap_err();
        assert!(
            matches!(
                e,
                crate::Error::UnknownName {
                    what: "priority",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(serde_json::to_string(&Sex::Female).unwrap(), "\"female\"");
    }

    /// Specialties are a list, and files written before schema version 1 (one comma-joined
    /// string, or null) still read.
    #[test]
    fn specialties_read_in_either_form() {
        let read = |json: &str| serde_json::from_str::<Reviewer>(json).unwrap().specialty;
        let both = ["Preventive Medicine", "Occupational Medicine"];
        let list = r#"{"licensure":[],"specialty":["Preventive Medicine","Occupational Medicine"],
            "subspecialty":null}"#;
        assert_eq!(read(list), both);
        let joined = r#"{"licensure":[],"specialty":"Preventive Medicine, Occupational Medicine",
            "subspecialty":null}"#;
        assert_eq!(read(joined), both);
        assert!(read(r#"{"licensure":[],"specialty":null,"subspecialty":null}"#).is_empty());
        assert!(read(r#"{"licensure":[]}"#).is_empty());
        assert!(serde_json::from_str::<Reviewer>(r#"{"licensure":[],"specialty":3}"#).is_err());
    }

    #[test]
    fn dates_parse_and_check() {
        assert_eq!(
            Date::parse_us("11/09/2016").unwrap().to_string(),
            "2016-11-09"
        );
        assert_eq!(Date::parse_us("3/3/07").unwrap().to_string(), "2007-03-03");
        assert!(Date::parse_us("02/30/2016").is_none());
        assert!(Date::parse_us("13/01/2016").is_none());
        assert_eq!(
            Date::parse_us("02/29/2016").unwrap().to_string(),
            "2016-02-29"
        );
        assert_eq!(
            "2016-12-09".parse::<Date>().unwrap(),
            Date::new(2016, 12, 9).unwrap()
        );
        assert!("2016-1-9x".parse::<Date>().is_err());
        for signed in ["+016-01-01", "2016-+1-+1", "2016--1-01", "2016-01-"] {
            assert!(signed.parse::<Date>().is_err(), "{signed}");
        }
        assert_eq!(
            "2016-1-9".parse::<Date>().unwrap().to_string(),
            "2016-01-09"
        );
        assert_eq!(
            " 2016-12-09 ".parse::<Date>().unwrap().to_string(),
            "2016-12-09"
        );
        assert!(Date::from_iso("12/09/2016").is_err());
        // As people write them on forms: month first, or the month's name.
        for written in [
            "12/09/2016",
            "December 9, 2016",
            "Dec 9 2016",
            "dec. 9th, 2016",
        ] {
            let d: Date = written.parse().unwrap();
            assert_eq!(d.to_string(), "2016-12-09", "{written}");
        }
        // As clinical summaries write them: dashes, a two-digit year (40-99 the 1900s).
        for (written, iso) in [
            ("11-3-16", "2016-11-03"),
            ("11-03-2016", "2016-11-03"),
            ("09/12/16", "2016-09-12"),
            ("5-3-98", "1998-05-03"),
            ("1-1-50", "1950-01-01"),
            ("1-1-39", "2039-01-01"),
        ] {
            assert_eq!(
                written.parse::<Date>().unwrap().to_string(),
                iso,
                "{written}"
            );
        }
        for wrong in [
            "31/12/2016",
            "11-3-016",
            "11/03-2016",
            "2016-11",
            "Ma 9, 2016",
            "Decembre 9, 2016",
            "9 2016",
        ] {
            assert!(wrong.parse::<Date>().is_err(), "{wrong}");
        }
        let e = "02/30/2016".parse::<Date>().unwrap_err().to_string();
        assert!(e.contains("has 29 days"), "{e}");
        assert_eq!(Date::from_unix(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix(1_795_000_000).to_string(), "2026-11-18");
        assert_eq!(Date::from_unix(i64::MAX).to_string(), "9999-12-31");
        assert_eq!(Date::from_unix(-10_i64.pow(13)).to_string(), "0001-01-01");
        assert_eq!(Date::from_unix(i64::MIN).to_string(), "0001-01-01");
        for secs in [0, 951_782_400, 1_795_000_000, -86_400 * 400] {
            let d = Date::from_unix(secs);
            assert_eq!(d.days_from_epoch(), secs.div_euclid(86_400), "{d}");
        }
    }

    #[test]
    fn decision_round_trips() {
        assert_eq!(
            "Overturned".parse::<Decision>().unwrap(),
            Decision::Overturned
        );
        assert_eq!(
            serde_json::to_string(&Decision::Upheld).unwrap(),
            "\"Upheld\""
        );
        assert!("maybe".parse::<Decision>().is_err());
    }
}

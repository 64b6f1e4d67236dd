//! The parameters of the page's forms and the API's requests, as they arrive (strings, every one
//! optional, an empty field the same as none) and as the store takes them (typed). A value that
//! does not parse is a 400 naming the parameter.

use super::ServeError;
use crate::features::RequestFacts;
use crate::store::{DateRange, Filters, Search, Sort, StatsKey};
use crate::{Date, Decision, Priority, Sex};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The filters of `imr search` and `imr stats`, and a page of results, as query parameters.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ItemQuery {
    /// Words, as `imr search` takes them.
    pub q: Option<String>,
    #[serde(alias = "decision")]
    pub outcome: Option<String>,
    pub category: Option<String>,
    pub drug_class: Option<String>,
    pub treatment: Option<String>,
    #[serde(alias = "reviewer_specialty")]
    pub specialty: Option<String>,
    pub theme: Option<String>,
    pub guideline: Option<String>,
    #[serde(alias = "decision_date")]
    pub decided: Option<String>,
    #[serde(alias = "date_of_injury")]
    pub injured: Option<String>,
    #[serde(alias = "case_number")]
    pub case: Option<String>,
    /// Search: the order (best, newest, oldest, overturned), results per page, and how many
    /// to skip.
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    /// Stats: the keys to count by, comma-separated (`category,month`).
    pub by: Option<String>,
    /// Stats: a second key (the page's second list), as a second in `by`.
    pub then: Option<String>,
}

/// A value given, trimmed; None for a missing or blank one (a form's empty field).
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn parsed<T: FromStr>(name: &str, v: &Option<String>) -> Result<Option<T>, ServeError>
where
    T::Err: std::fmt::Display,
{
    given(v)
        .map(|s| {
            s.parse()
                .map_err(|e| ServeError::BadRequest(format!("{name}: {e}")))
        })
        .transpose()
}

/// A whole number of a parameter, or what it is instead in the reader's words ("offset: \"-1\" is
/// not a whole number"), not the parser's ("invalid digit found in string").
fn whole<T: FromStr>(name: &str, v: &Option<String>) -> Result<Option<T>, ServeError> {
    given(v)
        .map(|s| {
            s.parse().map_err(|_| {
                // Digits alone that do not parse are a whole number too large to take.
                let why = match s.bytes().all(|b| b.is_ascii_digit()) {
                    true => "is too large",
                    false => "is not a whole number",
                };
                ServeError::BadRequest(format!("{name}: {s:?} {why}"))
            })
        })
        .transpose()
}

/// Longest text a filter takes: more is not a search anyone types.
const MAX_FILTER: usize = 500;

/// Longest search words taken: 64 long words and phrases.
const MAX_WORDS_TEXT: usize = 4_000;

impl ItemQuery {
    /// The filters, checked.
    pub fn filters(&self) -> Result<Filters, ServeError> {
        let capped = |name: &str, v: &Option<String>, most: usize| match given(v) {
            Some(s) if s.len() > most => Err(ServeError::BadRequest(format!(
                "{name}: {} bytes; the most is {most}",
                s.len()
            ))),
            s => Ok(s.map(String::from)),
        };
        let text = |name: &str, v: &Option<String>| capped(name, v, MAX_FILTER);
        // The search's own word limit is the store's (64 words and phrases): room for them.
        let words = capped("q", &self.q, MAX_WORDS_TEXT)?;
        Ok(Filters {
            words: words
                .map(|w| w.parse())
                .transpose()
                .map_err(|e: crate::Error| ServeError::BadRequest(format!("q: {e}")))?,
            outcome: parsed::<Decision>("outcome", &self.outcome)?,
            category: parsed("category", &self.category)?,
            drug_class: parsed("drug_class", &self.drug_class)?,
            treatment: text("treatment", &self.treatment)?,
            specialty: text("specialty", &self.specialty)?,
            theme: text("theme", &self.theme)?,
            guideline: text("guideline", &self.guideline)?,
            decided: parsed::<DateRange>("decided", &self.decided)?.unwrap_or_default(),
            injured: parsed::<DateRange>("injured", &self.injured)?.unwrap_or_default(),
            case_number: text("case", &self.case)?,
        })
    }

    /// A search: the filters and a page of at most `max_page` results.
    pub fn search(&self, max_page: usize) -> Result<Search, ServeError> {
        self.only("search", &[("by", &self.by), ("then", &self.then)])?;
        let sort = parsed::<Sort>("sort", &self.sort)?.unwrap_or_default();
        let limit = whole::<usize>("limit", &self.limit)?.unwrap_or(20);
        if !(1..=max_page).contains(&limit) {
            return Err(ServeError::BadRequest(format!(
                "limit: {limit}; it must be 1 to {max_page}"
            )));
        }
        let offset = whole::<usize>("offset", &self.offset)?.unwrap_or(0);
        if offset > MAX_OFFSET {
            return Err(ServeError::BadRequest(format!(
                "offset: {offset}; the most is {MAX_OFFSET} (narrow the search instead)"
            )));
        }
        Ok(Search {
            filters: self.filters()?,
            sort,
            limit,
            offset,
        })
    }

    /// The keys of a count (`category` when none is given) and its filters.
    pub fn stats(&self) -> Result<(Vec<StatsKey>, Filters), ServeError> {
        let paging = [
            ("sort", &self.sort),
            ("limit", &self.limit),
            ("offset", &self.offset),
        ];
        self.only("stats", &paging)?;
        let by = match (given(&self.by), given(&self.then)) {
            (None, None) => "category".to_string(),
            (Some(by), None) => by.to_string(),
            (None, Some(then)) => format!("category,{then}"),
            (Some(by), Some(then)) => format!("{by},{then}"),
        };
        let keys = by
            .split(',')
            .map(|k| {
                k.trim()
                    .replace('_', "-")
                    .parse()
                    .map_err(|e| ServeError::BadRequest(format!("by: {e}")))
            })
            .collect::<Result<Vec<StatsKey>, _>>()?;
        if keys.len() > 2 {
            return Err(ServeError::BadRequest(format!(
                "by: {} keys; count by one or two",
                keys.len()
            )));
        }
        if keys.len() == 2 && keys[0] == keys[1] {
            return Err(ServeError::BadRequest(format!(
                "by: {} twice",
                keys[0].name()
            )));
        }
        Ok((keys, self.filters()?))
    }

    /// A parameter of another endpoint is an error, not silently dropped.
    fn only(&self, what: &str, others: &[(&str, &Option<String>)]) -> Result<(), ServeError> {
        match others.iter().find(|(_, v)| given(v).is_some()) {
            Some((name, _)) => Err(ServeError::BadRequest(format!(
                "{name}: {what} does not take it"
            ))),
            None => Ok(()),
        }
    }

    /// The query string of these parameters with `offset` replaced (the page links).
    pub fn with_offset(&self, offset: usize) -> String {
        let mut q = self.clone();
        q.offset = (offset > 0).then(|| offset.to_string());
        q.to_query()
    }

    /// The query string of the parameters given.
    pub fn to_query(&self) -> String {
        serde_urlencoded::to_string(self.without_blanks()).unwrap_or_default()
    }

    fn without_blanks(&self) -> Vec<(&'static str, &str)> {
        let fields: [(&'static str, &Option<String>); 16] = [
            ("q", &self.q),
            ("outcome", &self.outcome),
            ("category", &self.category),
            ("drug_class", &self.drug_class),
            ("treatment", &self.treatment),
            ("specialty", &self.specialty),
            ("theme", &self.theme),
            ("guideline", &self.guideline),
            ("decided", &self.decided),
            ("injured", &self.injured),
            ("case", &self.case),
            ("sort", &self.sort),
            ("limit", &self.limit),
            ("offset", &self.offset),
            ("by", &self.by),
            ("then", &self.then),
        ];
        fields
            .into_iter()
            .filter_map(|(k, v)| given(v).map(|v| (k, v)))
            .collect()
    }
}

/// The deepest page a search goes to: the store walks every result before it.
pub const MAX_OFFSET: usize = 10_000;

/// A request not yet decided, as the forecast form and `POST /api/forecast` send it: the fields of
/// `imr forecast`'s flags, each also under the name the outputs and `--items` give it
/// (`clinical_summary`, `claims_administrator_guideline`, `date_of_injury`, `ur_denial_date`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastRequest {
    pub title: Option<String>,
    /// Named in messages by the outputs' names (a field given twice under both names too).
    #[serde(rename = "clinical_summary", alias = "summary")]
    pub summary: Option<String>,
    #[serde(rename = "claims_administrator_guideline", alias = "guideline")]
    pub guideline: Option<String>,
    /// Numbers and booleans are taken as JSON writes them (`40`, `true`) or as forms send them
    /// (`"40"`, `"on"`).
    #[serde(default, deserialize_with = "scalar")]
    pub age: Option<String>,
    pub sex: Option<String>,
    pub priority: Option<String>,
    #[serde(rename = "date_of_injury", alias = "injury_date")]
    pub injury_date: Option<String>,
    #[serde(rename = "ur_denial_date", alias = "ur_date")]
    pub ur_date: Option<String>,
    /// `true`, `on` (a checked box) or `1`.
    #[serde(default, deserialize_with = "scalar")]
    pub partly_certified: Option<String>,
    #[serde(default, deserialize_with = "scalar")]
    pub items_disputed: Option<String>,
    /// How many past decisions to show, 0 to 20 (default 5).
    #[serde(default, deserialize_with = "scalar")]
    pub similar: Option<String>,
    /// An `imr forecast --items` line is a body as it is: its case number keeps the case's own
    /// letters out of the past decisions shown, its item number names nothing here, and
    /// `patient` holds `age` and `sex` where they are not given at the top (as `imr parse
    /// --items` writes them).
    pub case_number: Option<String>,
    #[serde(default, alias = "number", deserialize_with = "scalar")]
    pub item: Option<String>,
    #[serde(default)]
    pub patient: Option<PatientFields>,
    /// The `schema_version` an imr output line begins with: such a line is a body as it is.
    #[serde(default, skip_serializing)]
    pub schema_version: Option<serde::de::IgnoredAny>,
}

/// A request's `patient`, as an `--items` line holds it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PatientFields {
    #[serde(default, deserialize_with = "scalar")]
    pub age: Option<String>,
    pub sex: Option<String>,
}

/// A string, number or boolean as its text; null as none.
fn scalar<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Scalar;
    impl serde::de::Visitor<'_> for Scalar {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string, a number or true/false")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Scalar)
}

/// `age` where it is a worker's ([`crate::features::facts::AGES`]).
fn worker_age(age: Option<u8>) -> Result<Option<u8>, ServeError> {
    let ages = crate::features::facts::AGES;
    match age {
        Some(a) if !ages.contains(&a) => Err(ServeError::BadRequest(format!(
            "age: {a}; it must be {} to {}",
            ages.start(),
            ages.end()
        ))),
        a => Ok(a),
    }
}

/// The most text one field of a request takes.
const MAX_FIELD: usize = 100_000;

/// A forecast request, checked.
pub struct Request {
    pub title: String,
    pub case_number: Option<String>,
    /// The item number given (1 where none is).
    pub item: usize,
    pub summary: Option<String>,
    pub guideline: Option<String>,
    pub facts: RequestFacts,
    pub similar: usize,
}

impl ForecastRequest {
    pub fn checked(&self) -> Result<Request, ServeError> {
        let long = |name: &str, v: &Option<String>| -> Result<Option<String>, ServeError> {
            match given(v) {
                Some(s) if s.len() > MAX_FIELD => Err(ServeError::BadRequest(format!(
                    "{name}: {} bytes; the most is {MAX_FIELD}",
                    s.len()
                ))),
                s => Ok(s.map(String::from)),
            }
        };
        let title = long("title", &self.title)?
            .ok_or_else(|| ServeError::BadRequest("title: the request's title is needed".into()))?;
        let similar = whole::<usize>("similar", &self.similar)?.unwrap_or(5);
        if similar > MAX_SIMILAR {
            return Err(ServeError::BadRequest(format!(
                "similar: {similar}; the most is {MAX_SIMILAR}"
            )));
        }
        Ok(Request {
            title,
            case_number: given(&self.case_number).map(String::from),
            item: match whole::<usize>("item", &self.item)? {
                Some(0) => {
                    return Err(ServeError::BadRequest(
                        "item: 0 is no item number (they count from 1)".into(),
                    ))
                }
                n => n.unwrap_or(1),
            },
            summary: long("clinical_summary", &self.summary)?,
            guideline: long("claims_administrator_guideline", &self.guideline)?,
            facts: self.facts()?,
            similar,
        })
    }

    /// The request's structured facts, each checked.
    fn facts(&self) -> Result<RequestFacts, ServeError> {
        let patient = self.patient.clone().unwrap_or_default();
        let age = match given(&self.age) {
            Some(_) => &self.age,
            None => &patient.age,
        };
        let sex = given(&self.sex)
            .or(given(&patient.sex))
            .map(|s| {
                s.parse::<Sex>().map_err(|_| {
                    let s = s.to_ascii_lowercase();
                    ServeError::BadRequest(format!("sex: {s:?}; expected male or female"))
                })
            })
            .transpose()?;
        let priority = given(&self.priority)
            .map(|s| {
                s.parse::<Priority>().map_err(|_| {
                    let s = s.to_ascii_lowercase();
                    ServeError::BadRequest(format!(
                        "priority: {s:?}; expected standard or expedited"
                    ))
                })
            })
            .transpose()?;
        let partly_certified = match given(&self.partly_certified) {
            None | Some("false" | "off" | "0") => false,
            Some("true" | "on" | "1") => true,
            Some(s) => {
                return Err(ServeError::BadRequest(format!(
                    "partly_certified: {s:?}; expected true or false"
                )))
            }
        };
        let items_disputed = whole::<usize>("items_disputed", &self.items_disputed)?;
        let counts = crate::features::facts::ITEMS_DISPUTED;
        if let Some(n) = items_disputed.filter(|n| !counts.contains(n)) {
            return Err(ServeError::BadRequest(format!(
                "items_disputed: {n}; it must be {} to {}",
                counts.start(),
                counts.end()
            )));
        }
        let facts = RequestFacts {
            age: worker_age(whole::<u8>("age", age)?)?,
            sex,
            priority,
            date_of_injury: parsed::<Date>("date_of_injury", &self.injury_date)?,
            ur_denial_date: parsed::<Date>("ur_denial_date", &self.ur_date)?,
            partly_certified,
            items_disputed,
            ..Default::default()
        };
        match facts.date_problem(Date::today()) {
            Some(problem) => Err(ServeError::BadRequest(problem)),
            None => Ok(facts),
        }
    }
}

/// The most past decisions one request asks for.
pub const MAX_SIMILAR: usize = 20;

/// A rationale to score (the page's paste box, `POST /api/score`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    pub rationale: Option<String>,
}

impl ScoreRequest {
    pub fn checked(&self) -> Result<&str, ServeError> {
        match given(&self.rationale) {
            None => Err(ServeError::BadRequest(
                "rationale: the text to score is needed".into(),
            )),
            Some(s) if s.len() > MAX_FIELD => Err(ServeError::BadRequest(format!(
                "rationale: {} bytes; the most is {MAX_FIELD}",
                s.len()
            ))),
            Some(s) => Ok(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &str) -> ItemQuery {
        serde_urlencoded::from_str(pairs).unwrap()
    }

    #[test]
    fn blank_fields_are_none_and_bad_values_name_their_parameter() {
        let s = q("q=&outcome=&category=&limit=").search(100).unwrap();
        assert!(s.filters.words.is_none() && s.filters.outcome.is_none());
        assert_eq!(s.limit, 20);
        for (pairs, name) in [
            ("outcome=maybe", "outcome"),
            ("category=pills", "category"),
            ("decided=2016-13", "decided"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("offset=-1", "offset"),
            ("q=%22open", "q"),
            ("by=category", "by"),
            ("sort=sideways", "sort"),
        ] {
            let e = q(pairs).search(100).unwrap_err();
            assert!(matches!(e, ServeError::BadRequest(_)), "{pairs}");
            assert!(e.to_string().starts_with(name), "{pairs}: {e}");
        }
        assert!(serde_urlencoded::from_str::<ItemQuery>("order=x").is_err());
        assert_eq!(q("sort=oldest").search(100).unwrap().sort, Sort::Oldest);
        // Search words have room for the store's 64 words; a filter is shorter.
        let words = vec!["physiotherapy"; 60].join("+");
        assert!(q(&format!("q={words}")).search(100).is_ok());
        let e = q(&format!("treatment={}", "a".repeat(501)))
            .search(100)
            .unwrap_err();
        assert!(e.to_string().starts_with("treatment: 501 bytes"), "{e}");
        let e = q(&format!("q={}", "a".repeat(4001)))
            .search(100)
            .unwrap_err();
        assert!(e.to_string().starts_with("q: 4001 bytes"), "{e}");
        for (pairs, says) in [
            ("offset=-1", "offset: \"-1\" is not a whole number"),
            ("limit=abc", "limit: \"abc\" is not a whole number"),
            (
                "limit=99999999999999999999",
                "limit: \"99999999999999999999\" is too large",
            ),
        ] {
            assert_eq!(q(pairs).search(100).unwrap_err().to_string(), says);
        }
    }

    #[test]
    fn stats_keys_and_page_links() {
        let (keys, _) = q("by=drug_class,month").stats().unwrap();
        assert_eq!(keys, [StatsKey::DrugClass, StatsKey::Month]);
        assert_eq!(q("").stats().unwrap().0, [StatsKey::Category]);
        assert!(q("by=a,b,c").stats().is_err());
        assert!(q("by=month,month").stats().is_err());
        assert!(q("by=category&limit=5").stats().is_err());
        assert_eq!(
            q("by=category&then=year").stats().unwrap().0,
            [StatsKey::Category, StatsKey::Year]
        );
        let page = q("q=mri%20knee&outcome=&offset=20");
        assert_eq!(page.with_offset(40), "q=mri+knee&offset=40");
        assert_eq!(page.with_offset(0), "q=mri+knee");
    }

    #[test]
    fn forecast_requests_are_checked() {
        let r = ForecastRequest {
            title: Some("Norco 10/325 #60".into()),
            age: Some("52".into()),
            sex: Some("F".into()),
            partly_certified: Some("on".into()),
            ..Default::default()
        };
        let c = r.checked().unwrap();
        assert_eq!(c.facts.age, Some(52));
        assert_eq!(c.facts.sex, Some(Sex::Female));
        assert!(c.facts.partly_certified);
        assert_eq!(c.similar, 5);
        for bad in [
            ForecastRequest::default(),
            ForecastRequest {
                age: Some("200".into()),
                ..r.clone()
            },
            ForecastRequest {
                ur_date: Some("yesterday".into()),
                ..r.clone()
            },
            ForecastRequest {
                similar: Some("1000".into()),
                ..r.clone()
            },
        ] {
            assert!(matches!(bad.checked(), Err(ServeError::BadRequest(_))));
        }
        // Numbers that are none say so, with the value, not in the parser's words.
        for (similar, says) in [
            ("-1", "similar: \"-1\" is not a whole number"),
            (
                "99999999999999999999",
                "similar: \"99999999999999999999\" is too large",
            ),
        ] {
            let bad = ForecastRequest {
                similar: Some(similar.into()),
                ..r.clone()
            };
            assert_eq!(bad.checked().err().unwrap().to_string(), says);
        }
    }
}

/// The query of an endpoint that takes no parameter: any is refused, not dropped.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// A letter's page or answer: which file's letter, where files share its case number.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LetterQuery {
    file: Option<String>,
}

impl LetterQuery {
    /// The file asked for; None where the parameter is missing or blank.
    pub fn file(&self) -> Option<&str> {
        given(&self.file)
    }
}

//! Hyperparameters from a file (`--params FILE` of `imr train` and `imr evaluate`; `imr params`
//! prints them): a JSON object with an `outcome` and a `themes` section, each holding only the
//! settings that differ from the shipped ones, in the shape of [`OutcomeValidParams`] and
//! [`ThemeValidParams`]:
//!
//! ```json
//! {"outcome": {"logistic": {"c": 3.0}}, "themes": {"tfidf": {"min_df": {"count": 3}}, "threshold_shrink": 0}}
//! ```
//!
//! An object is merged key by key into the default's; anything else (a number, a string, a list, an
//! enum's other variant) replaces it. The result is checked as the builders check it, so a misspelt
//! key, a wrong type or a bad value is an error naming the file and the setting, before any letter
//! is read.

use super::{OutcomeParams, OutcomeValidParams, ThemeParams, ThemeValidParams, View};
use crate::error::{Error, Result};
use linfa::ParamGuard;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// The changes a params file makes to the shipped settings. `Default` is no file: the shipped
/// settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParamsFile {
    path: PathBuf,
    outcome: Map<String, Value>,
    themes: Map<String, Value>,
}

/// The largest params file read: settings are a few hundred bytes.
pub const MAX_PARAMS_FILE: u64 = 1 << 20;

impl ParamsFile {
    /// A params file: a regular file of at most [`MAX_PARAMS_FILE`] bytes of UTF-8 JSON.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = crate::input::read_file(path, MAX_PARAMS_FILE, "a params file")?;
        if let Some(encoding) = crate::input::wide_encoding(&bytes) {
            let reason = crate::input::wide_encoding_reason(encoding);
            let e = std::io::Error::new(std::io::ErrorKind::InvalidData, reason);
            return Err(Error::io(path, e));
        }
        let text = String::from_utf8(bytes).map_err(|e| {
            Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.utf8_error()),
            )
        })?;
        Self::from_json(path, &text)
    }

    /// Reads the file's text; `path` names it in errors.
    pub fn from_json(path: &Path, text: &str) -> Result<Self> {
        let text = crate::input::strip_bom_str(text);
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Json {
            path: path.into(),
            cause: e,
        })?;
        let mut file = ParamsFile {
            path: path.into(),
            ..Default::default()
        };
        // A JSON value keeps the last of a key given twice: the first setting would be lost.
        let mut de = serde_json::Deserializer::from_str(text);
        if let Err(e) = serde_path_to_error::deserialize::<_, UniqueKeys>(&mut de) {
            let at = e.path().to_string();
            return Err(file.error(
                if at == "." { "(top level)" } else { &at },
                e.inner().to_string(),
            ));
        }
        let Value::Object(top) = value else {
            return Err(file.error(
                "(top level)",
                format!(
                    "expected an object with \"outcome\" and/or \"themes\", found {}",
                    kind(&value)
                ),
            ));
        };
        for (key, v) in top {
            let section = match key.as_str() {
                "outcome" => &mut file.outcome,
                "themes" => &mut file.themes,
                _ => {
                    return Err(Error::Params {
                        path: path.into(),
                        at: key,
                        message: "unknown section (expected outcome or themes)".into(),
                    })
                }
            };
            match v {
                Value::Object(m) => *section = m,
                other => {
                    return Err(Error::Params {
                        path: path.into(),
                        at: key,
                        message: format!("expected an object, found {}", kind(&other)),
                    })
                }
            }
        }
        Ok(file)
    }

    /// Whether the file changes the theme models' settings (unused without gold themes).
    pub fn has_themes(&self) -> bool {
        !self.themes.is_empty()
    }

    /// The outcome model's settings: the shipped ones of the view (`view`, else the file's
    /// `outcome.view`, else rationale), changed as the file says, checked.
    pub fn outcome(&self, view: Option<View>) -> Result<OutcomeValidParams> {
        let in_file = self
            .outcome
            .get("view")
            .map(|v| {
                serde_json::from_value::<View>(v.clone())
                    .map_err(|e| self.error("outcome.view", e.to_string()))
            })
            .transpose()?;
        if let (Some(asked), Some(file)) = (view, in_file) {
            if asked != file {
                return Err(self.error(
                    "outcome.view",
                    format!(
                        "{} here, but the view asked for is {}; leave one out or make them agree",
                        file.name(),
                        asked.name()
                    ),
                ));
            }
        }
        let defaults = OutcomeParams::new(view.or(in_file).unwrap_or(View::Rationale)).check()?;
        let p = self.apply("outcome", &defaults, &self.outcome)?;
        OutcomeParams::from(p)
            .check()
            .map_err(|e| self.error("outcome", e.to_string()))
    }

    /// The theme models' settings: the shipped ones, changed as the file says, checked.
    pub fn themes(&self) -> Result<ThemeValidParams> {
        let p = self.apply("themes", &ThemeParams::new().check()?, &self.themes)?;
        ThemeParams::from(p)
            .check()
            .map_err(|e| self.error("themes", e.to_string()))
    }

    fn error(&self, at: &str, message: String) -> Error {
        Error::Params {
            path: self.path.clone(),
            at: at.into(),
            message,
        }
    }

    fn apply<T: Serialize + DeserializeOwned>(
        &self,
        section: &str,
        defaults: &T,
        changes: &Map<String, Value>,
    ) -> Result<T> {
        let base =
            serde_json::to_value(defaults).map_err(|e| self.error(section, e.to_string()))?;
        let mut merged = base.clone();
        let mut changed = Vec::new();
        merge(&mut merged, changes, &mut Vec::new(), &mut changed);
        serde_json::from_value(merged).map_err(|e| {
            // serde's message does not say where: the first change that fails alone is the one to
            // name.
            let at = changed
                .iter()
                .find(|(path, value)| {
                    let mut one = base.clone();
                    merge(
                        &mut one,
                        &nest(path, value),
                        &mut Vec::new(),
                        &mut Vec::new(),
                    );
                    serde_json::from_value::<T>(one).is_err()
                })
                .map_or(section.to_string(), |(path, _)| {
                    format!("{section}.{}", path.join("."))
                });
            self.error(&at, crate::input::no_type_names(e.to_string()))
        })
    }
}

/// Merges `changes` into `target` (an object); records the path and value of every replaced value
/// in `changed`.
fn merge(
    target: &mut Value,
    changes: &Map<String, Value>,
    path: &mut Vec<String>,
    changed: &mut Vec<(Vec<String>, Value)>,
) {
    let Value::Object(target) = target else {
        unreachable!("merge only descends into objects")
    };
    for (key, change) in changes {
        path.push(key.clone());
        match (target.get_mut(key), change) {
            (Some(t @ Value::Object(_)), Value::Object(c)) if !switches_variant(t, c) => {
                merge(t, c, path, changed)
            }
            _ => {
                target.insert(key.clone(), change.clone());
                changed.push((path.clone(), change.clone()));
            }
        }
        path.pop();
    }
}

/// An externally tagged enum's value is an object of one key, the variant (`{"count": 2}`): another
/// variant (`{"fraction": 0.5}`) replaces it rather than joining it.
fn switches_variant(target: &Value, change: &Map<String, Value>) -> bool {
    matches!(target, Value::Object(t) if t.len() == 1 && change.len() == 1 && t.keys().next() != change.keys().next())
}

/// `{"a": {"b": value}}` for the path `a.b`.
fn nest(path: &[String], value: &Value) -> Map<String, Value> {
    let (last, parents) = path.split_last().expect("a change has a key");
    let mut m = Map::new();
    m.insert(last.clone(), value.clone());
    for key in parents.iter().rev() {
        let mut outer = Map::new();
        outer.insert(key.clone(), Value::Object(m));
        m = outer;
    }
    m
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Every setting written out, as `imr params` prints them: a params file that leaves nothing to the
/// defaults.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedParams {
    pub outcome: OutcomeValidParams,
    /// None for a model file without theme models ([`crate::model::ModelFile::training_settings`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub themes: Option<ThemeValidParams>,
}

/// A JSON text whose objects give each key once: read only to check that.
struct UniqueKeys;

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(UniqueKeys)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<UniqueKeys, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "`{key}` is given twice (only one can stand)"
                )));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_bool<E>(self, _: bool) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_str<E>(self, _: &str) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
    fn visit_unit<E>(self) -> std::result::Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::{DocFreq, TfIdfParams};
    use crate::model::{ClassWeight, LogisticParams};

    fn file(json: &str) -> Result<ParamsFile> {
        ParamsFile::from_json(Path::new("p.json"), json)
    }

    #[test]
    fn no_file_is_the_shipped_settings() {
        let none = ParamsFile::default();
        assert_eq!(
            none.outcome(None).unwrap(),
            OutcomeParams::new(View::Rationale).check().unwrap()
        );
        assert_eq!(
            none.outcome(Some(View::Case)).unwrap(),
            OutcomeParams::new(View::Case).check().unwrap()
        );
        assert_eq!(none.themes().unwrap(), ThemeParams::new().check().unwrap());
        assert_eq!(
            file("{}").unwrap().outcome(None).unwrap(),
            none.outcome(None).unwrap()
        );
        // A byte order mark before the JSON is not an error.
        assert_eq!(
            file("\u{feff}{}").unwrap().themes().unwrap(),
            none.themes().unwrap()
        );
    }

    /// A key given twice is refused where it stands: a JSON value would keep the last silently.
    #[test]
    fn a_key_given_twice_is_refused() {
        for (text, at, key) in [
            (
                r#"{"outcome": {"logistic": {"c": 3, "c": 4}}}"#,
                "outcome.logistic",
                "`c`",
            ),
            (
                r#"{"outcome": {"c": 1}, "outcome": {"bootstrap": 5}}"#,
                "(top level)",
                "`outcome`",
            ),
            (
                r#"{"themes": {"cues": [{"a": 1, "a": 2}]}}"#,
                "themes.cues[0]",
                "`a`",
            ),
        ] {
            let e = file(text).unwrap_err().to_string();
            assert!(e.contains(&format!("{at}: {key} is given twice")), "{e}");
        }
        assert!(file(r#"{"outcome": {"logistic": {"c": 3}}, "themes": {}}"#).is_ok());
    }

    #[test]
    fn a_change_touches_only_its_setting() {
        let f = file(r#"{"outcome": {"logistic": {"c": 3}}, "themes": {"tfidf": {"min_df": {"fraction": 0.01}}, "threshold_shrink": 0}}"#).unwrap();
        let shipped = OutcomeParams::new(View::Rationale).check().unwrap();
        let logistic = LogisticParams::from(shipped.logistic().clone()).c(3.0);
        let want = OutcomeParams::from(shipped).logistic(logistic.check().unwrap());
        assert_eq!(f.outcome(None).unwrap(), want.check().unwrap());
        let shipped = ThemeParams::new().check().unwrap();
        // Another variant replaces {"count": 2}.
        let tfidf = TfIdfParams::from(shipped.tfidf().clone()).min_df(DocFreq::Fraction(0.01));
        let want = ThemeParams::from(shipped)
            .tfidf(tfidf.check().unwrap())
            .threshold_shrink(0.0);
        assert_eq!(f.themes().unwrap(), want.check().unwrap());
        let f = file(r#"{"themes": {"logistic": {"class_weight": {"manual": {"positive": 2, "negative": 1}}}}}"#).unwrap();
        assert_eq!(
            f.themes().unwrap().logistic().class_weight(),
            ClassWeight::Manual {
                positive: 2.0,
                negative: 1.0
            }
        );
    }

    #[test]
    fn printed_settings_read_back_unchanged() {
        for view in [View::Rationale, View::Case] {
            let none = ParamsFile::default();
            let all = ResolvedParams {
                outcome: none.outcome(Some(view)).unwrap(),
                themes: Some(none.themes().unwrap()),
            };
            let f = file(&serde_json::to_string_pretty(&all).unwrap()).unwrap();
            assert_eq!(f.outcome(None).unwrap(), all.outcome);
            assert_eq!(Some(f.themes().unwrap()), all.themes);
        }
    }

    #[test]
    fn the_view_comes_from_the_command_or_the_file_and_they_must_agree() {
        let f = file(r#"{"outcome": {"view": "case"}}"#).unwrap();
        assert_eq!(
            f.outcome(None).unwrap(),
            OutcomeParams::new(View::Case).check().unwrap()
        );
        assert_eq!(f.outcome(Some(View::Case)).unwrap().view(), View::Case);
        let e = f.outcome(Some(View::Rationale)).unwrap_err().to_string();
        assert_eq!(e, "p.json: outcome.view: case here, but the view asked for is rationale; leave one out or make them agree");
    }

    #[test]
    fn errors_name_the_file_and_the_setting() {
        let err = |json: &str| {
            let f = file(json)?;
            f.outcome(None)?;
            f.themes().map(|_| ())
        };
        let e = |json: &str| err(json).unwrap_err().to_string();
        let typo = e(r#"{"themes": {"logistic": {"cc": 3}}}"#);
        assert!(
            typo.starts_with(
                "p.json: themes.logistic.cc: unknown field `cc`, expected one of `c`,"
            ),
            "{typo}"
        );
        let unknown = e(r#"{"outcome": {"ngram": 1, "tfidf": {"use_idf": true}}}"#);
        assert!(
            unknown.starts_with("p.json: outcome.ngram: unknown field `ngram`"),
            "{unknown}"
        );
        assert_eq!(
            e(r#"{"outcome": {"logistic": {"c": "three"}}}"#),
            "p.json: outcome.logistic.c: invalid type: string \"three\", expected a number"
        );
        let negation = r#"{"themes": {"features": {"analyzer": {"negation": {"prefix": ""}}}}}"#;
        assert!(
            e(negation).contains("analyzer.negation.prefix = : must not be empty"),
            "{}",
            e(negation)
        );
        assert_eq!(
            e(r#"{"themes": {"threshold_shrink": 1.5}}"#),
            "p.json: themes.threshold_shrink: invalid parameter threshold_shrink = 1.5: must be in \
             [0, 1]"
        );
        assert_eq!(
            e(r#"{"outcome": {"logistic": {"c": -1}}}"#)
                .split(": must")
                .next()
                .unwrap(),
            "p.json: outcome.logistic.c: invalid parameter C = -1"
        );
        assert_eq!(
            e(r#"{"outcome": {"view": "letters"}}"#)
                .split(',')
                .next()
                .unwrap(),
            "p.json: outcome.view: unknown variant `letters`"
        );
        assert_eq!(
            e(r#"{"themes": {"features": {"cues": [{"name": "x", "pattern": "(unclosed"}]}}}"#),
            "p.json: themes.features.cues: invalid parameter cues.pattern = (unclosed: is not a \
             valid regular expression"
        );
        // Cues that would count silently wrong: a name twice, a pattern matching empty text; a
        // blank negation cue or terminator.
        let twice = r#"{"themes": {"features": {"cues": [{"name": "x", "pattern": "a"},
            {"name": "x", "pattern": "b"}]}}}"#;
        assert_eq!(
            e(twice),
            "p.json: themes.features.cues: invalid parameter cues.name = x: is given to two cues"
        );
        for empty in ["", "x*", "(a|)"] {
            let p = format!(
                r#"{{"themes": {{"features": {{"cues": [{{"name": "x", "pattern": "{empty}"}}]}}}}}}"#
            );
            assert_eq!(
                e(&p),
                format!(
                    "p.json: themes.features.cues: invalid parameter cues.pattern = {empty}: matches \
                     an empty text (so at every place in every rationale)"
                )
            );
        }
        for (list, words) in [("cues", r#"["not", ""]"#), ("terminators", r#"[" "]"#)] {
            let p = format!(
                r#"{{"outcome": {{"features": {{"analyzer": {{"negation": {{"{list}": {words}}}}}}}}}}}"#
            );
            let said = e(&p);
            assert!(
                said.contains(&format!("invalid parameter analyzer.negation.{list} = \"")),
                "{said}"
            );
            assert!(
                said.ends_with("is no word (each is a word or words)"),
                "{said}"
            );
        }
        assert_eq!(
            e(r#"{"outcom": {}}"#),
            "p.json: outcom: unknown section (expected outcome or themes)"
        );
        assert_eq!(
            e(r#"{"themes": 3}"#),
            "p.json: themes: expected an object, found a number"
        );
        assert_eq!(e("[1]"), "p.json: (top level): expected an object with \"outcome\" and/or \"themes\", found a list");
        assert!(
            e("{").starts_with("p.json: not valid JSON (EOF while parsing"),
            "{}",
            e("{")
        );
    }
}

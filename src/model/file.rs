//! The one model file: `"format_version"` first, then the analyzer configuration, vocabulary, IDF,
//! coefficients and thresholds of every model, and the training metadata. Written atomically.

use super::logistic::LogisticValidParams;
use super::outcome::{OutcomeModel, OutcomeParams, OutcomeValidParams};
use super::params::ResolvedParams;
use super::themes::{ThemeModels, ThemeParams, ThemeValidParams};
use crate::error::{Error, Result};
use crate::metrics::summary::CvSummary;
use linfa::ParamGuard;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The largest model file read: far above any model of the DWC's archive (whose precedents are
/// its largest part), and a stop for a device or a sparse file read by mistake.
pub const MAX_MODEL_FILE: u64 = 4 << 30;

pub const FORMAT_VERSION: &str = "imr-model/7";

/// The number of an `imr-model/N` format version.
pub(crate) fn format_number(version: &str) -> Option<u32> {
    version.strip_prefix("imr-model/")?.parse().ok()
}

/// Older formats this imr still reads, and score as they did: format 1 has no calibration of
/// P(Overturned), format 2 no training hyperparameters in its metadata, format 3 no `quotes_apart`
/// feature setting (off), format 4 no base rates, intervals or abstention setting (an item is left
/// unscored only without any known term), format 5 no list of its training letters, format 6
/// precedents indexed with their numbers and side words (`drop_numbers` off).
const READS_TOO: &[&str] = &[
    "imr-model/1",
    "imr-model/2",
    "imr-model/3",
    "imr-model/4",
    "imr-model/5",
    "imr-model/6",
];

/// How errors and reports name the compiled-in model ([`ModelFile::builtin`]).
pub const BUILTIN_NAME: &str = "the built-in model (models/default.json)";

/// The models compiled into the library, by name: `default` scores rationales (and assigns themes),
/// `case` forecasts a request from its clinical summary, title and guideline lines, before any
/// rationale exists (no theme models: themes are read from a rationale), `masked` reads a rationale
/// with its verdict sentences masked (`imr predict --check`). `(name, how reports name it, the
/// file)`.
pub const BUILTIN_MODELS: [(&str, &str, &[u8]); 3] = [
    (
        "default",
        BUILTIN_NAME,
        include_bytes!("../../models/default.json"),
    ),
    (
        "case",
        "the built-in case model (models/case.json)",
        include_bytes!("../../models/case.json"),
    ),
    (
        "masked",
        "the built-in verdict-masked model (models/masked.json)",
        include_bytes!("../../models/masked.json"),
    ),
];

/// A model's name in machine outputs (`--json`, the web API): a built-in model's short name, the
/// one `--model` takes ("default"), for its label ([`BUILTIN_NAME`]); anything else (a file's
/// path) as it is.
pub fn output_name(label: &str) -> &str {
    BUILTIN_MODELS
        .iter()
        .find(|m| m.1 == label)
        .map_or(label, |m| m.0)
}

/// [`BUILTIN_MODELS`] as build.rs packs them: the same JSON values in MessagePack, which the
/// built-in models are read from (the JSON is read where the packed form fails).
const BUILTIN_PACKED: [&[u8]; 3] = [
    include_bytes!(concat!(env!("OUT_DIR"), "/default.msgpack")),
    include_bytes!(concat!(env!("OUT_DIR"), "/case.msgpack")),
    include_bytes!(concat!(env!("OUT_DIR"), "/masked.msgpack")),
];

/// The error for a field of the model file at `path` that a check refused: (field, message).
pub(crate) fn field_error(path: &Path) -> impl Fn((String, String)) -> Error + Copy + '_ {
    |(field, message)| Error::ModelField {
        path: path.into(),
        field,
        message,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    pub format_version: String,
    pub outcome: OutcomeModel,
    pub themes: Option<ThemeModels>,
    /// How often the training items of each category and drug class were overturned (None in files
    /// of format 4 and older).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_rates: Option<super::BaseRates>,
    /// The training items as precedents (`imr similar`): ids, titles, decisions, dates, reason
    /// sentences and their title and summary vectors; in case-view files of format 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precedents: Option<crate::precedent::PrecedentIndex>,
    pub metadata: TrainingMetadata,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingMetadata {
    pub imr_version: String,
    /// SHA-256 over the training items' case numbers, item numbers, decisions and texts, in order.
    pub corpus_digest: String,
    pub letters: usize,
    pub items: usize,
    pub overturned: usize,
    pub gold_items: usize,
    /// The training letters' case numbers, sorted (None in files of format 5 and older): the
    /// letters `imr evaluate --model` is no test on, whatever paths they are read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training_cases: Option<Vec<String>>,
    pub seed: u64,
    /// The treatment rules ([`crate::treatment::VERSION`]) that gave the training items their
    /// kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treatment_rules: Option<String>,
    /// The hyperparameters the models were fitted with (None in files of format 2 and older).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<TrainingParams>,
    /// The training date, ISO-8601 (set with --date for a reproducible file).
    pub date: String,
    /// Cross-validation run at training time, if any.
    pub cv: Option<CvSummary>,
}

/// How a file's models were fitted: not needed to score (the analyzer and TF-IDF settings that are
/// needed sit with each model), there so that a file says how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingParams {
    pub outcome: OutcomeFit,
    pub themes: Option<ThemeFit>,
}

/// [`OutcomeValidParams`] less what the outcome model stores itself (view, features, TF-IDF).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFit {
    pub logistic: LogisticValidParams,
    pub calibration_folds: usize,
    #[serde(default)]
    pub bootstrap: usize,
}

/// [`ThemeValidParams`] less what the theme models store themselves (features, TF-IDF, the decision
/// rule's theme).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeFit {
    pub logistic: LogisticValidParams,
    pub threshold_folds: usize,
    pub own_cue_scale: f64,
    pub threshold_shrink: f64,
}

impl TrainingParams {
    pub fn new(outcome: &OutcomeValidParams, themes: Option<&ThemeValidParams>) -> Self {
        TrainingParams {
            outcome: OutcomeFit {
                logistic: outcome.logistic().clone(),
                calibration_folds: outcome.calibration_folds(),
                bootstrap: outcome.bootstrap(),
            },
            themes: themes.map(|t| ThemeFit {
                logistic: t.logistic().clone(),
                threshold_folds: t.threshold_folds(),
                own_cue_scale: t.own_cue_scale(),
                threshold_shrink: t.threshold_shrink(),
            }),
        }
    }
}

impl ModelFile {
    /// The settings this file's models were trained with, as `imr params` prints them: a params
    /// file (`--params`) that trains them again. The analyzer, fields and TF-IDF come from each
    /// model, the fit settings from `metadata.params`; None for a file of format 2 or older, which
    /// does not record them. A file without theme models has no theme settings; a decision-rule
    /// theme left untrained reads back as no rule, which fits the same models. An error when the
    /// recorded settings fail today's checks (an older case model that read the guidelines field).
    pub fn training_settings(&self) -> Result<Option<ResolvedParams>> {
        let Some(p) = self.metadata.params.as_ref() else {
            return Ok(None);
        };
        let o = &self.outcome;
        let outcome = OutcomeParams::new(o.view)
            .features(o.features.clone())
            .tfidf(o.tfidf.params().clone())
            .logistic(p.outcome.logistic.clone())
            .calibration_folds(p.outcome.calibration_folds)
            .min_known_terms(o.min_known_terms)
            .bootstrap(p.outcome.bootstrap)
            .check()?;
        let themes = match (&self.themes, &p.themes) {
            (Some(t), Some(f)) => Some(
                ThemeParams::new()
                    .features(t.features.clone())
                    .tfidf(t.tfidf.params().clone())
                    .logistic(f.logistic.clone())
                    .threshold_folds(f.threshold_folds)
                    .overturned_theme(t.overturned_theme.clone())
                    .own_cue_scale(f.own_cue_scale)
                    .threshold_shrink(f.threshold_shrink)
                    .check()?,
            ),
            _ => None,
        };
        Ok(Some(ResolvedParams { outcome, themes }))
    }

    /// Writes the file whole or not at all ([`crate::output`]): a reader never sees half a model.
    /// A model [`ModelFile::load`] would refuse (a NaN weight, a setting out of range, an array
    /// that does not match its vocabulary) is refused here, naming the field, not written.
    pub fn save(&self, path: &Path) -> Result<()> {
        super::check::model(self).map_err(field_error(path))?;
        let mut json = serde_json::to_vec(self).map_err(|e| Error::Json {
            path: path.into(),
            cause: e,
        })?;
        json.push(b'\n');
        crate::output::write_file(path, &json)
    }

    /// Whether [`ModelFile::save`] can write `path` (its directory made, a file created there),
    /// checked before a training run rather than after it.
    pub fn check_writable(path: &Path) -> Result<()> {
        crate::output::check_writable(path)
    }

    pub fn load(path: &Path) -> Result<ModelFile> {
        // A model file is a JSON object: anything else (a sparse file's zeros, a binary) is said
        // at its first byte, not after reading it all.
        // (A FIFO is not opened: it would wait for a writer. `read_file` refuses it.)
        let mut first = [0u8; 4];
        let n = match std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
            true => std::fs::File::open(path)
                .and_then(|mut f| std::io::Read::read(&mut f, &mut first))
                .unwrap_or(0),
            false => 0,
        };
        if let Some(encoding) = crate::input::wide_encoding(&first[..n]) {
            return Err(Error::BadModel {
                path: path.into(),
                reason: crate::input::wide_encoding_reason(encoding),
            });
        }
        let start = crate::input::strip_bom(&first[..n]);
        if start
            .first()
            .is_some_and(|b| !b.is_ascii_whitespace() && *b != b'{')
        {
            return Err(Error::BadModel {
                path: path.into(),
                reason: "not a model file: not a JSON object".into(),
            });
        }
        Self::from_slice(
            &crate::input::read_file(path, MAX_MODEL_FILE, "a model file")?,
            path,
        )
    }

    /// The shipped `models/default.json`, compiled into the library: an installed `imr` scores
    /// letters from any directory without a model file beside it.
    pub fn builtin() -> Result<ModelFile> {
        Self::builtin_at(0)
    }

    /// A model of [`BUILTIN_MODELS`] by name, with the name reports give it; None for another name.
    pub fn builtin_named(name: &str) -> Option<Result<(ModelFile, &'static str)>> {
        let k = BUILTIN_MODELS.iter().position(|(n, ..)| *n == name)?;
        Some(Self::builtin_at(k).map(|m| (m, BUILTIN_MODELS[k].1)))
    }

    /// The `k`th built-in model, from its packed form; through its JSON where that is not of this
    /// format (whose reader names what is wrong).
    fn builtin_at(k: usize) -> Result<ModelFile> {
        let (_, label, json) = BUILTIN_MODELS[k];
        let path = Path::new(label);
        match super::packed::from_slice::<ModelFile>(BUILTIN_PACKED[k]) {
            Ok(m) if m.format_version == FORMAT_VERSION => {
                super::check::model(&m).map_err(field_error(path))?;
                Ok(m)
            }
            _ => Self::from_slice(json, path),
        }
    }

    /// `bytes` of a model file; `path` names it in errors. One reader turns the text into the
    /// model and keeps the path of the field it stopped at (a second reader, through a JSON
    /// value, would compile every type's reading code again); a file of another format version, or
    /// one that fails, is then read as a JSON value, which says which version it is and whether
    /// this imr reads it.
    fn from_slice(bytes: &[u8], path: &Path) -> Result<ModelFile> {
        let bytes = crate::input::strip_bom(bytes);
        let field = field_error(path);
        let read = match read_tracked(bytes) {
            Ok(m) if m.format_version == FORMAT_VERSION => {
                super::check::model(&m).map_err(field)?;
                return Ok(m);
            }
            read => read,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| Error::BadModel {
                path: path.into(),
                reason: format!("not JSON: {e}"),
            })?;
        let version = value.get("format_version");
        // What else a user may hand over for a model: a params file, or any other JSON.
        if version.is_none() {
            let params = value
                .get("outcome")
                .is_some_and(|o| o.get("logistic").is_some())
                && value.get("metadata").is_none();
            return Err(Error::BadModel {
                path: path.into(),
                reason: if params {
                    "not a model file: it holds training settings (`imr params` writes those; \
                     `--params` takes them)"
                        .into()
                } else {
                    "not a model file: it has no format_version (`imr train` writes model files)"
                        .into()
                },
            });
        }
        let readable = version
            .and_then(|v| v.as_str())
            .is_some_and(|v| v == FORMAT_VERSION || READS_TOO.contains(&v));
        if !readable {
            // As written in the file ("imr-model/0", 99, null), so a number is not shown as a
            // string or as missing.
            let found = version.map_or_else(|| "(none)".to_string(), |v| v.to_string());
            let newer = version
                .and_then(|v| v.as_str())
                .and_then(format_number)
                .zip(format_number(FORMAT_VERSION))
                .is_some_and(|(file, ours)| file > ours);
            return Err(Error::ModelVersion {
                path: path.into(),
                found,
                expected: FORMAT_VERSION,
                advice: if newer {
                    "a newer imr wrote it: read it with that release or a later one"
                } else {
                    "retrain it with `imr train` (or use the imr release that wrote it)"
                },
            });
        }
        let version = version
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        super::check::version_fields(&value, &version).map_err(field)?;
        let m = read.map_err(|(at, message)| {
            if at == "." {
                Error::BadModel {
                    path: path.into(),
                    reason: message,
                }
            } else {
                field((at, message))
            }
        })?;
        super::check::model(&m).map_err(field)?;
        Ok(m)
    }
}

/// A model file's text read into its type; on failure, the path of the field at fault ("." for
/// the file as a whole) and what was wrong with it. The text is one line, so serde_json's
/// position in it says no more than the path does, and is left out.
fn read_tracked(bytes: &[u8]) -> std::result::Result<ModelFile, (String, String)> {
    let message = |e: serde_json::Error| {
        let text = e.to_string();
        let at = format!(" at line {} column {}", e.line(), e.column());
        let text = text.strip_suffix(&at).map_or(text.clone(), str::to_string);
        // serde_json says "expected value" where a name (an enum's) meets another JSON value.
        match (text.as_str(), value_kind_at(bytes, e.line(), e.column())) {
            ("expected value", Some(kind)) => format!("expected a name (a string), found {kind}"),
            _ => crate::input::no_type_names(text),
        }
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, ModelFile>(&mut de) {
        Ok(m) => de
            .end()
            .map(|()| m)
            .map_err(|e| (".".to_string(), message(e))),
        Err(e) => Err((e.path().to_string(), message(e.into_inner()))),
    }
}

/// The kind of the JSON value that starts at `line` and `column` (1-based, as serde_json counts
/// them) of `bytes`; None where no value starts there.
fn value_kind_at(bytes: &[u8], line: usize, column: usize) -> Option<&'static str> {
    let start: usize = bytes
        .split(|&b| b == b'\n')
        .take(line.saturating_sub(1))
        .map(|l| l.len() + 1)
        .sum();
    let at = bytes.get(start + column.saturating_sub(1)..)?;
    let first = at.iter().find(|b| !b.is_ascii_whitespace())?;
    match first {
        b'0'..=b'9' | b'-' => Some("a number"),
        b'[' => Some("a list"),
        b'n' => Some("null"),
        b't' | b'f' => Some("true or false"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::ParamGuard;

    /// A name (an enum's value) given as another kind of JSON value is said so, on one line or
    /// over several; JSON that is no value there stays serde_json's own message.
    #[test]
    fn a_name_of_the_wrong_kind_is_said_so() {
        let path = Path::new(env!("IMR_ROOT")).join("models/default.json");
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        for (bad, kind) in [
            (serde_json::json!(3), "a number"),
            (serde_json::Value::Null, "null"),
        ] {
            v["outcome"]["view"] = bad;
            for text in [v.to_string(), serde_json::to_string_pretty(&v).unwrap()] {
                let (at, what) = read_tracked(text.as_bytes()).unwrap_err();
                assert_eq!(at, "outcome.view");
                assert_eq!(what, format!("expected a name (a string), found {kind}"));
            }
        }
        assert_eq!(value_kind_at(b"{\"a\": }", 1, 7), None);
        assert_eq!(value_kind_at(b"{\n \"a\": [1]}", 2, 7), Some("a list"));
    }

    /// Loading reads every number back exactly (serde_json's `float_roundtrip`): the shipped model
    /// saved again is the same file, byte for byte, so a loaded model scores as the one that was
    /// trained.
    #[test]
    fn a_model_file_loads_and_saves_byte_for_byte() {
        let path = Path::new(env!("IMR_ROOT")).join("models/default.json");
        let m = ModelFile::load(&path).unwrap();
        assert_eq!(
            ModelFile::builtin().unwrap(),
            m,
            "the built-in model is models/default.json"
        );
        let case = ModelFile::load(&path.with_file_name("case.json")).unwrap();
        assert_eq!(
            ModelFile::builtin_named("case").unwrap().unwrap().0,
            case,
            "the built-in case model is models/case.json"
        );
        assert_eq!(
            (case.outcome.view, case.themes.is_none()),
            (crate::model::View::Case, true)
        );
        assert!(ModelFile::builtin_named("models/case.json").is_none());
        let out = std::env::temp_dir().join(format!("imr-unit-{}-model.json", std::process::id()));
        m.save(&out).unwrap();
        let same = std::fs::read(&out).unwrap() == std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&out);
        assert!(same, "models/default.json changed on a load and save");
    }

    /// The packed form build.rs makes holds the same value as the JSON, and is what the built-in
    /// models are read from (not the JSON fallback); a file whose field fails a check says which.
    #[test]
    fn the_packed_models_are_the_json_models() {
        for (k, (name, label, bytes)) in BUILTIN_MODELS.into_iter().enumerate() {
            let json: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            let packed: serde_json::Value =
                crate::model::packed::from_slice(BUILTIN_PACKED[k]).unwrap();
            assert_eq!(packed, json, "{name}");
            let read = ModelFile::from_slice(bytes, Path::new(label)).unwrap();
            // Read straight from the packed form, not the JSON a failed read falls back to.
            let packed: ModelFile = crate::model::packed::from_slice(BUILTIN_PACKED[k]).unwrap();
            assert_eq!(packed, read, "{name}");
            assert_eq!(ModelFile::builtin_named(name).unwrap().unwrap().0, read);
        }
        let mut v: serde_json::Value =
            serde_json::from_slice(include_bytes!("../../models/default.json")).unwrap();
        v["outcome"]["threshold"] = 2.0.into();
        let e = ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("bad.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("outcome.threshold"), "{e}");
    }

    /// Removes every `quotes_apart` (a setting of format 4; how many) and every field of formats 5
    /// and 6.
    fn strip(v: &mut serde_json::Value) -> usize {
        if v.get("outcome").is_some() {
            quotes_together(v);
        }
        match v {
            serde_json::Value::Object(o) => {
                for k in [
                    "base_rates",
                    "bootstrap",
                    "min_known_terms",
                    "treatment_rules",
                    "pooled",
                    "quintiles",
                    "training_cases",
                ] {
                    o.remove(k);
                }
                o.remove("quotes_apart").map_or(0, |_| 1) + o.values_mut().map(strip).sum::<usize>()
            }
            serde_json::Value::Array(a) => a.iter_mut().map(strip).sum(),
            _ => 0,
        }
    }

    /// A model whose parts keep guideline quotes apart as one that counts them with their field's
    /// terms, as every file before format 4 did: the setting off, and no quote term in its
    /// vocabulary (nor weight for one).
    fn quotes_together(v: &mut serde_json::Value) {
        for part in ["outcome", "themes"] {
            let p = &mut v[part];
            if p["features"]["quotes_apart"] != true {
                continue;
            }
            p["features"]["quotes_apart"] = false.into();
            let vocabulary = p["tfidf"]["vocabulary"].as_array().unwrap();
            let quote = |t: &serde_json::Value| {
                let t = t.as_str().unwrap();
                t.starts_with("rq:") || t.starts_with("mq:")
            };
            let keep: Vec<bool> = vocabulary.iter().map(|t| !quote(t)).collect();
            let kept = |list: &mut serde_json::Value| {
                let mut k = keep.iter();
                list.as_array_mut().unwrap().retain(|_| *k.next().unwrap());
            };
            kept(&mut p["tfidf"]["vocabulary"]);
            kept(&mut p["tfidf"]["idf"]);
            if part == "outcome" {
                kept(&mut p["logistic"]["coefficients"]);
            } else {
                for t in p["themes"].as_array_mut().unwrap() {
                    kept(&mut t["logistic"]["coefficients"]);
                }
            }
        }
    }

    /// A format-5 file (no list of its training letters) still loads, and scores as it did.
    #[test]
    fn a_format_5_file_loads_without_its_training_letters() {
        let mut v: serde_json::Value =
            serde_json::from_slice(include_bytes!("../../models/default.json")).unwrap();
        let now =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("now.json")).unwrap();
        let cases = now
            .metadata
            .training_cases
            .clone()
            .expect("format 6 lists them");
        assert_eq!(cases.len(), now.metadata.letters);
        v["format_version"] = "imr-model/5".into();
        v["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("training_cases");
        let old =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("old.json")).unwrap();
        assert_eq!(old.metadata.training_cases, None);
        assert_eq!((&old.outcome, &old.themes), (&now.outcome, &now.themes));
        // And abstains as it did: a word in two fields (rationale and verdict) counted twice.
        let word = || vec![crate::model::ItemToScore::from_rationale("necessary", 1)];
        assert!(old.predict(word(), 0).unwrap()[0].p_overturned.is_some());
        let p = now.predict(word(), 0).unwrap().remove(0);
        assert_eq!(p.abstention.as_deref(), Some("too little text"));
    }

    /// A format-3 file (no `quotes_apart` feature setting) still loads, with the setting off: the
    /// features it was trained on.
    #[test]
    fn a_format_3_file_loads_with_quotes_together() {
        let mut v: serde_json::Value =
            serde_json::from_slice(include_bytes!("../../models/default.json")).unwrap();
        let now =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("now.json")).unwrap();
        assert!(
            now.themes.as_ref().unwrap().features.quotes_apart,
            "the shipped theme models keep guideline quotes apart"
        );
        v["format_version"] = "imr-model/3".into();
        assert!(
            strip(&mut v) >= 2,
            "the outcome's and the themes' feature settings"
        );
        let old =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("old.json")).unwrap();
        assert!(
            !old.themes.as_ref().unwrap().features.quotes_apart
                && !old.outcome.features.quotes_apart
        );
    }

    /// A format-2 file (no training hyperparameters) still loads, and scores as the same file of
    /// this format.
    #[test]
    fn a_format_2_file_loads_without_params() {
        let mut v: serde_json::Value =
            serde_json::from_slice(include_bytes!("../../models/default.json")).unwrap();
        let shipped =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("now.json")).unwrap();
        let p = shipped
            .metadata
            .params
            .as_ref()
            .expect("the shipped model records its hyperparameters");
        assert_eq!(
            p.themes.as_ref().map(|t| t.threshold_shrink),
            Some(
                crate::model::ThemeParams::new()
                    .check()
                    .unwrap()
                    .threshold_shrink()
            )
        );
        // The same model as format 2 could hold it: guideline quotes with their field's terms.
        quotes_together(&mut v);
        let now =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("now.json")).unwrap();
        v["format_version"] = "imr-model/2".into();
        v["metadata"].as_object_mut().unwrap().remove("params");
        strip(&mut v);
        let old =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("old.json")).unwrap();
        assert_eq!(old.metadata.params, None);
        assert_eq!(
            old.training_settings().unwrap(),
            None,
            "a format-2 file cannot say how it was fitted"
        );
        let shipped = shipped.training_settings().unwrap().unwrap();
        assert_eq!(
            shipped.outcome,
            crate::model::OutcomeParams::new(crate::model::View::Rationale)
                .check()
                .unwrap()
        );
        assert_eq!(
            shipped.themes,
            Some(crate::model::ThemeParams::new().check().unwrap())
        );
        let mut same = ModelFile {
            metadata: TrainingMetadata {
                params: now.metadata.params.clone(),
                treatment_rules: now.metadata.treatment_rules.clone(),
                training_cases: now.metadata.training_cases.clone(),
                cv: now.metadata.cv.clone(),
                ..old.metadata.clone()
            },
            format_version: now.format_version.clone(),
            base_rates: now.base_rates.clone(),
            ..old
        };
        // The format-5 setting a format-2 file cannot hold.
        same.outcome.min_known_terms = now.outcome.min_known_terms;
        assert_eq!(same, now);
        // Without params the file has no "params" key (a format-2 shape), not a null.
        assert!(!serde_json::to_string(&TrainingMetadata {
            params: None,
            ..now.metadata.clone()
        })
        .unwrap()
        .contains("params"));
    }

    /// A format-1 file (no calibration) still loads and scores with the class-weighted model's own
    /// score.
    #[test]
    fn a_format_1_file_loads_uncalibrated() {
        let mut v: serde_json::Value =
            serde_json::from_slice(include_bytes!("../../models/default.json")).unwrap();
        assert_eq!(v["format_version"], FORMAT_VERSION);
        assert!(
            v["outcome"]["calibration"].is_object(),
            "the shipped model is calibrated"
        );
        v["format_version"] = "imr-model/1".into();
        v["outcome"].as_object_mut().unwrap().remove("calibration");
        v["metadata"].as_object_mut().unwrap().remove("params");
        strip(&mut v);
        v["outcome"]["threshold"] = 0.5.into();
        let old =
            ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("old.json")).unwrap();
        assert_eq!(old.outcome.calibration, None);
        let doc = crate::features::ItemText::from_rationale("There is no documentation of functional improvement. The request is not medically necessary.");
        let x = old.outcome.tfidf.transform([old
            .outcome
            .featurizer()
            .unwrap()
            .terms(&doc)
            .iter()
            .map(String::as_str)]);
        assert_eq!(
            old.outcome.predict_proba(&[doc]).unwrap(),
            old.outcome.logistic.predict_proba(&x)
        );
        v["format_version"] = "imr-model/0".into();
        let e = ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("older.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("imr-model/0") && e.contains("retrain"), "{e}");
    }

    /// Each kind of bad file, made by breaking one field of the shipped model: refused at load with
    /// one error that names the field, never a panic or a NaN score later.
    #[test]
    fn a_bad_model_file_is_refused_naming_the_field() {
        use serde_json::{json, Value};
        let shipped: Value =
            serde_json::from_slice(include_bytes!("../../models/default.json")).unwrap();
        let vocab = |v: &Value, at: &str| v[at]["tfidf"]["vocabulary"].as_array().unwrap().len();
        let (outcome_terms, theme_terms) = (vocab(&shipped, "outcome"), vocab(&shipped, "themes"));
        type Break = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(&str, Break, String)> = vec![
            ("short coefficients", Box::new(|v| { v["themes"]["themes"][3]["logistic"]["coefficients"].as_array_mut().unwrap().pop(); }),
                format!("themes.themes[3].logistic.coefficients: {} values for a vocabulary of {theme_terms}", theme_terms - 1)),
            ("long coefficients", Box::new(|v| v["outcome"]["logistic"]["coefficients"].as_array_mut().unwrap().push(json!(0.5))),
                format!("outcome.logistic.coefficients: {} values for a vocabulary of {outcome_terms}", outcome_terms + 1)),
            ("empty negation prefix", Box::new(|v| v["outcome"]["features"]["analyzer"]["negation"]["prefix"] = json!("")),
                "outcome.features.analyzer.negation.prefix: empty".into()),
            ("huge IDF", Box::new(|v| v["outcome"]["tfidf"]["idf"][7] = json!(1e308)), "outcome.tfidf.idf[7]: 1e308 is not an IDF".into()),
            ("negative IDF", Box::new(|v| v["themes"]["tfidf"]["idf"][0] = json!(-1.0)), "themes.tfidf.idf[0]: -1 is not an IDF".into()),
            ("threshold of 2", Box::new(|v| v["outcome"]["threshold"] = json!(2.0)), "outcome.threshold: 2 is not a probability".into()),
            ("theme threshold of 0", Box::new(|v| v["themes"]["themes"][0]["threshold"] = json!(0.0)), "themes.themes[0].threshold: 0 is not".into()),
            ("reversed calibration", Box::new(|v| v["outcome"]["calibration"]["slope"] = json!(-1.0)), "outcome.calibration.slope: -1 is not above 0".into()),
            ("steep calibration", Box::new(|v| v["outcome"]["calibration"]["slope"] = json!(1e300)), "outcome.calibration.slope: 1e300 is not above 0 and at most 1e3".into()),
            ("huge intercept", Box::new(|v| v["outcome"]["logistic"]["intercept"] = json!(1e308)), "outcome.logistic.intercept: 1e308 is no fitted weight".into()),
            ("huge coefficient", Box::new(|v| v["themes"]["themes"][1]["logistic"]["coefficients"][4] = json!(-2e7)),
                "themes.themes[1].logistic.coefficients[4]: -2e7 is no fitted weight".into()),
            ("a view named for text it does not read", Box::new(|v| v["outcome"]["features"]["fields"] = json!(["summary", "title"])),
                "outcome.features.fields: invalid parameter fields = summary, title: the rationale view reads".into()),
            ("duplicate theme", Box::new(|v| v["themes"]["themes"][2]["id"] = v["themes"]["themes"][1]["id"].clone()),
                "themes.themes[2].id: theme conservative_care_not_tried is named twice".into()),
            ("unknown theme", Box::new(|v| v["themes"]["themes"][0]["id"] = json!("")), "themes.themes[0].id: \"\" is not a theme of the codebook".into()),
            ("no theme model", Box::new(|v| v["themes"]["themes"] = json!([])), "themes.themes: no theme model".into()),
            ("rule theme not fitted", Box::new(|v| v["themes"]["overturned_theme"] = json!("upheld")), "themes.overturned_theme: \"upheld\" is not".into()),
            ("a view seeing what it must not", Box::new(|v| v["outcome"]["view"] = json!("case")), "outcome.features.fields: invalid parameter fields = rationale".into()),
            ("bad recorded settings", Box::new(|v| v["metadata"]["params"]["themes"]["threshold_shrink"] = json!(2)), "metadata.params.themes.threshold_shrink: 2".into()),
            ("no date", Box::new(|v| v["metadata"]["date"] = json!("yesterday")), "metadata.date: invalid date \"yesterday\"".into()),
            ("a field named twice", Box::new(|v| v["outcome"]["features"]["fields"] = json!(["rationale", "verdict", "rationale"])),
                "outcome.features: invalid parameter fields = rationale: is named twice".into()),
            ("bad recorded C", Box::new(|v| v["metadata"]["params"]["outcome"]["logistic"]["c"] = json!(0)),
                "metadata.params.outcome.logistic: invalid parameter C = 0".into()),
            ("bad TF-IDF setting", Box::new(|v| v["themes"]["tfidf"]["params"]["max_features"] = json!(0)),
                "themes.tfidf.params: invalid parameter max_features = 0".into()),
            ("format 1 with format 4 content", Box::new(|v| v["format_version"] = json!("imr-model/1")),
                "outcome.calibration: not a field of imr-model/1 (format 2 and later have it)".into()),
            ("format 3 with format 4 content", Box::new(|v| v["format_version"] = json!("imr-model/3")),
                "outcome.features.quotes_apart: not a field of imr-model/3".into()),
            ("format 4 with format 5 content", Box::new(|v| v["format_version"] = json!("imr-model/4")),
                "base_rates: not a field of imr-model/4 (format 5 and later have it)".into()),
            ("format 5 with format 6 content", Box::new(|v| v["format_version"] = json!("imr-model/5")),
                "metadata.training_cases: not a field of imr-model/5 (format 6 and later have it)".into()),
            ("no training letters", Box::new(|v| { v["metadata"].as_object_mut().unwrap().remove("training_cases"); }),
                "metadata.training_cases: missing: every imr-model/7 file has it".into()),
            ("no base rates", Box::new(|v| { v.as_object_mut().unwrap().remove("base_rates"); }),
                "base_rates: missing: every imr-model/7 file has it".into()),
            ("no treatment rules", Box::new(|v| { v["metadata"].as_object_mut().unwrap().remove("treatment_rules"); }),
                "metadata.treatment_rules: missing: every imr-model/7 file has it".into()),
            ("no settings", Box::new(|v| { v["metadata"].as_object_mut().unwrap().remove("params"); }),
                "metadata.params: missing: every imr-model/7 file has it".into()),
            ("training letters out of order", Box::new(|v| v["metadata"]["training_cases"][1] = json!("000")),
                "metadata.training_cases: not sorted and distinct: \"000_".into()),
            ("more training letters than letters", Box::new(|v| v["metadata"]["letters"] = json!(2)),
                "metadata.training_cases: 155 case numbers for 2 letters".into()),
            ("impossible base rates", Box::new(|v| v["base_rates"]["all"]["overturned"] = json!(100_000)),
                "base_rates: all: 100000 Overturned of".into()),
            // Terms the features never count: their weights would never score.
            ("a term of no prefix", Box::new(|v| v["outcome"]["tfidf"]["vocabulary"][0] = json!("a:x")),
                "outcome.tfidf.vocabulary[0]: \"a:x\": it begins with none of imr's prefixes (t:, ".into()),
            ("a cue term without cues", Box::new(|v| v["outcome"]["tfidf"]["vocabulary"][0] = json!("c:x")),
                "outcome.tfidf.vocabulary[0]: \"c:x\": its features make no cue terms".into()),
            ("a term of a field not read", Box::new(move |v| v["themes"]["tfidf"]["vocabulary"][theme_terms - 1] = json!("v:x")),
                format!("themes.tfidf.vocabulary[{}]: \"v:x\": its features make no verdict terms", theme_terms - 1)),
        ];
        for (kind, break_it, want) in cases {
            let mut v = shipped.clone();
            break_it(&mut v);
            let e = ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("m.json"))
                .unwrap_err();
            assert!(matches!(e, Error::ModelField { .. }), "{kind}: {e}");
            let e = e.to_string();
            assert!(
                e.starts_with(&format!("m.json: invalid model file: {want}")),
                "{kind}: {e}"
            );
        }
        // A byte order mark before the JSON is not an error.
        let bom = [
            b"\xEF\xBB\xBF".as_slice(),
            include_bytes!("../../models/case.json"),
        ]
        .concat();
        assert_eq!(
            ModelFile::from_slice(&bom, Path::new("bom.json")).unwrap(),
            ModelFile::builtin_named("case").unwrap().unwrap().0
        );
    }

    /// The case model's parts: a range needs replicates; precedents are unit vectors.
    #[test]
    fn a_bad_case_model_is_refused_naming_the_part() {
        use serde_json::{json, Value};
        let shipped: Value =
            serde_json::from_slice(include_bytes!("../../models/case.json")).unwrap();
        type Break = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Break, &str)> = vec![
            (
                Box::new(|v| v["outcome"]["bootstrap"]["replicates"] = json!([])),
                "outcome.bootstrap: no replicate; a range needs one or more",
            ),
            (
                Box::new(|v| v["precedents"]["values"][3] = json!(1e30)),
                "value 1e30 (a row's values are 0 to 1)",
            ),
            (
                Box::new(|v| v["format_version"] = json!("imr-model/6")),
                "precedents.params.features.analyzer.drop_numbers: not a field of imr-model/6 \
                 (format 7 and later have it)",
            ),
            (
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("precedents");
                }),
                "precedents: missing: every case-view imr-model/7 file has it",
            ),
        ];
        for (break_it, want) in cases {
            let mut v = shipped.clone();
            break_it(&mut v);
            let e = ModelFile::from_slice(&serde_json::to_vec(&v).unwrap(), Path::new("m.json"))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("m.json: ") && e.contains(want), "{want}: {e}");
        }
    }

    /// A file of a newer format asks for a newer imr, an older one for retraining.
    #[test]
    fn a_version_error_says_what_to_do() {
        let e = |v: &str| {
            let file = format!(r#"{{"format_version": "{v}"}}"#);
            ModelFile::from_slice(file.as_bytes(), Path::new("m.json"))
                .unwrap_err()
                .to_string()
        };
        assert!(e("imr-model/99").contains("a newer imr wrote it"));
        assert!(e("imr-model/0").contains("retrain it"));
        assert!(e("other/9").contains("retrain it"));
    }

    /// A file without a version is no model file: a params file is named as one.
    #[test]
    fn a_file_without_a_version_is_no_model() {
        let e = |file: &str| {
            ModelFile::from_slice(file.as_bytes(), Path::new("m.json"))
                .unwrap_err()
                .to_string()
        };
        assert!(e("{}").contains("not a model file: it has no format_version"));
        let params = r#"{"outcome": {"logistic": {"c": 1.0}}, "themes": {}}"#;
        assert!(e(params).contains("it holds training settings"));
    }

    /// A model or params file saved as UTF-16 ("Unicode" in Windows editors) is said to be, with
    /// what to do, not "not a JSON object".
    #[test]
    fn a_utf16_file_is_said_to_be() {
        let dir = tempfile::tempdir().unwrap();
        let utf16 = |s: &str| -> Vec<u8> {
            let units = std::iter::once(0xFEFF).chain(s.encode_utf16());
            units.flat_map(u16::to_le_bytes).collect()
        };
        let model = dir.path().join("m.json");
        let shipped = include_str!("../../models/case.json");
        std::fs::write(&model, utf16(shipped)).unwrap();
        let said = "UTF-16 text; imr reads JSON in UTF-8 (save the file as UTF-8)";
        let e = ModelFile::load(&model).unwrap_err().to_string();
        assert_eq!(
            e,
            format!("{}: invalid model file: {said}", model.display())
        );
        let params = dir.path().join("p.json");
        std::fs::write(&params, utf16(r#"{"outcome": {"logistic": {"c": 1.0}}}"#)).unwrap();
        let e = crate::model::ParamsFile::load(&params)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&params.display().to_string()) && e.ends_with(said),
            "{e}"
        );
    }

    /// The version found is named as written, whatever its type.
    #[test]
    fn a_version_error_names_what_the_file_has() {
        for (file, found) in [
            (r#"{"format_version": 99}"#, "format_version 99,"),
            (r#"{"format_version": null}"#, "null"),
        ] {
            let e = ModelFile::from_slice(file.as_bytes(), Path::new("m.json"))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(found) && e.contains(FORMAT_VERSION),
                "{file}: {e}"
            );
        }
    }
}

//! The checks of a model file as it loads: a file that parses is not yet a model that scores. Every
//! array must match its vocabulary, every number lie in its range, every theme be one of the
//! codebook's, once; and the content must be of the format the file says it is. A bad file is
//! refused with the JSON path of the first value at fault, rather than panicking or scoring NaN
//! later. The hyperparameters (logistic, TF-IDF) are checked as they are read, by their own types;
//! the reader names their path too.

use super::file::ModelFile;
use super::logistic::BinaryLogistic;
use super::outcome::{check_view_fields, View, MAX_MIN_KNOWN_TERMS};
use super::themes::ThemeModels;
use crate::error::num;
use crate::features::{FeatureConfig, Namespace, TfIdf};
use crate::folds::MAX_FOLDS;
use serde_json::Value;
use std::collections::BTreeSet;

/// What is wrong, and where: the JSON path of the value (`themes.themes[3].logistic.coefficients`)
/// and a message.
pub(crate) type Found = std::result::Result<(), (String, String)>;

fn bad(field: impl Into<String>, message: impl Into<String>) -> Found {
    Err((field.into(), message.into()))
}

/// An IDF is the log of a document ratio plus one: a weight this large is no IDF, and its squares
/// overflow the row norm (NaN scores).
const MAX_IDF: f64 = 1e6;

/// A logistic weight or intercept this large is no fitted model: a margin of 40 already gives a
/// probability of 1 to the last bit, and a regularised fit on TF-IDF values stays far below it.
const MAX_WEIGHT: f64 = 1e6;

/// A calibration slope this steep turns every score into 0 or 1.
const MAX_SLOPE: f64 = 1e3;

/// Fields added by a later format than the file's: `(JSON path, the first format that has it)`.
const ADDED: [(&[&str], u32); 14] = [
    (&["precedents"], 5),
    (&["outcome", "calibration"], 2),
    (&["metadata", "params"], 3),
    (&["outcome", "features", "quotes_apart"], 4),
    (&["themes", "features", "quotes_apart"], 4),
    (&["base_rates"], 5),
    (&["outcome", "bootstrap"], 5),
    (&["outcome", "min_known_terms"], 5),
    (&["metadata", "treatment_rules"], 5),
    (&["metadata", "params", "outcome", "bootstrap"], 5),
    (&["metadata", "cv", "pooled"], 5),
    (&["metadata", "cv", "quintiles"], 5),
    (&["metadata", "training_cases"], 6),
    (
        &[
            "precedents",
            "params",
            "features",
            "analyzer",
            "drop_numbers",
        ],
        7,
    ),
];

/// The content of `value` (a whole model file) matches its `format_version`, `imr-model/<n>`: none
/// of the fields a later format added. A file relabelled to an older format would otherwise be read
/// with that format's rules.
pub(crate) fn version_fields(value: &Value, version: &str) -> Found {
    let Some(n) = version
        .strip_prefix("imr-model/")
        .and_then(|n| n.parse::<u32>().ok())
    else {
        return Ok(());
    };
    for (path, since) in ADDED {
        if n < since && path.iter().try_fold(value, |v, k| v.get(k)).is_some() {
            return bad(
                path.join("."),
                format!("not a field of {version} (format {since} and later have it)"),
            );
        }
    }
    Ok(())
}

/// What every file of its format holds (`imr train` writes it), there: a part left out of a file
/// edited by hand would go unsaid (its training letters, which `evaluate --model` warns about; a
/// case model's precedents, which `imr similar` reads).
fn parts_of_its_format(m: &ModelFile) -> Found {
    let Some(n) = super::file::format_number(&m.format_version) else {
        return Ok(());
    };
    let case = m.outcome.view == View::Case;
    // (JSON path, which files of its format have it, whether this one has it)
    let parts = [
        (&["metadata", "params"][..], "", m.metadata.params.is_some()),
        (&["base_rates"], "", m.base_rates.is_some()),
        (
            &["metadata", "treatment_rules"],
            "",
            m.metadata.treatment_rules.is_some(),
        ),
        (
            &["precedents"],
            "case-view ",
            m.precedents.is_some() || !case,
        ),
        (
            &["metadata", "training_cases"],
            "",
            m.metadata.training_cases.is_some(),
        ),
    ];
    // The format each part came with, as `ADDED` says.
    let since = |path: &[&str]| ADDED.iter().find(|(p, _)| *p == path).map(|&(_, n)| n);
    let missing = parts
        .iter()
        .find(|&&(path, _, there)| !there && since(path).is_some_and(|s| n >= s));
    match missing {
        Some((path, which, _)) => bad(
            path.join("."),
            format!("missing: every {which}{} file has it", m.format_version),
        ),
        None => Ok(()),
    }
}

/// Everything the models need to score, in range.
pub(crate) fn model(m: &ModelFile) -> Found {
    let o = &m.outcome;
    features("outcome.features", &o.features)?;
    if let Err(e) = check_view_fields(o.view, &o.features.fields) {
        return bad("outcome.features.fields", e.to_string());
    }
    tfidf("outcome.tfidf", &o.tfidf, &o.features)?;
    logistic("outcome.logistic", &o.logistic, o.tfidf.vocabulary().len())?;
    if let Some(c) = &o.calibration {
        if !(c.slope > 0.0 && c.slope <= MAX_SLOPE) {
            return bad(
                "outcome.calibration.slope",
                format!("{} is not above 0 and at most {MAX_SLOPE:e}", num(c.slope)),
            );
        }
        weight("outcome.calibration.intercept", c.intercept)?;
    }
    if !(0.0..=1.0).contains(&o.threshold) {
        return bad(
            "outcome.threshold",
            format!("{} is not a probability (0 to 1)", num(o.threshold)),
        );
    }
    if let Some(b) = &o.bootstrap {
        if let Err(e) = b.check(o.logistic.coefficients.len()) {
            return bad("outcome.bootstrap", e);
        }
    }
    if o.min_known_terms > MAX_MIN_KNOWN_TERMS {
        return bad(
            "outcome.min_known_terms",
            format!("{} is more than {MAX_MIN_KNOWN_TERMS}", o.min_known_terms),
        );
    }
    if let Some(Err(e)) = m.base_rates.as_ref().map(|r| r.check()) {
        return bad("base_rates", e);
    }
    if let Some(t) = &m.themes {
        themes(t)?;
    }
    metadata(m)?;
    parts_of_its_format(m)
}

fn themes(t: &ThemeModels) -> Found {
    features("themes.features", &t.features)?;
    tfidf("themes.tfidf", &t.tfidf, &t.features)?;
    if t.themes.is_empty() {
        return bad(
            "themes.themes",
            "no theme model (a file without themes has \"themes\": null)",
        );
    }
    let known = crate::features::cues::codebook_themes();
    let mut seen = BTreeSet::new();
    let mut id = |field: String, id: &str| -> Found {
        if !known.iter().any(|k| k == id) {
            return bad(
                field,
                format!(
                    "{id:?} is not a theme of the codebook ({})",
                    known.join(", ")
                ),
            );
        }
        if !seen.insert(id.to_string()) {
            return bad(field, format!("theme {id} is named twice"));
        }
        Ok(())
    };
    for (i, m) in t.themes.iter().enumerate() {
        id(format!("themes.themes[{i}].id"), &m.id)?;
        logistic(
            &format!("themes.themes[{i}].logistic"),
            &m.logistic,
            t.tfidf.vocabulary().len(),
        )?;
        // Above 0: the nearest-threshold rule divides by it.
        if !(m.threshold > 0.0 && m.threshold <= 1.0) {
            return bad(
                format!("themes.themes[{i}].threshold"),
                format!("{} is not a probability above 0", num(m.threshold)),
            );
        }
    }
    for (i, u) in t.untrained.iter().enumerate() {
        id(format!("themes.untrained[{i}].id"), &u.id)?;
        if u.positives > u.items {
            return bad(
                format!("themes.untrained[{i}].positives"),
                format!("{} positives of {} items", u.positives, u.items),
            );
        }
    }
    match &t.overturned_theme {
        Some(ot) if !t.themes.iter().any(|m| &m.id == ot) => bad(
            "themes.overturned_theme",
            format!("{ot:?} is not one of the theme models"),
        ),
        _ => Ok(()),
    }
}

fn metadata(m: &ModelFile) -> Found {
    let md = &m.metadata;
    // Written by `imr train` as YYYY-MM-DD; shown by `inspect` as the file says.
    if let Err(e) = crate::Date::from_iso(&md.date) {
        return bad("metadata.date", e.to_string());
    }
    for (name, n) in [("overturned", md.overturned), ("gold_items", md.gold_items)] {
        if n > md.items {
            return bad(
                format!("metadata.{name}"),
                format!("{n} of {} items", md.items),
            );
        }
    }
    if let Some(cases) = &md.training_cases {
        if cases.len() > md.letters {
            return bad(
                "metadata.training_cases",
                format!("{} case numbers for {} letters", cases.len(), md.letters),
            );
        }
        if let Some(w) = cases.windows(2).find(|w| w[0] >= w[1]) {
            return bad(
                "metadata.training_cases",
                format!("not sorted and distinct: {:?} before {:?}", w[0], w[1]),
            );
        }
    }
    let Some(p) = &md.params else { return Ok(()) };
    let folds = p.outcome.calibration_folds;
    if folds == 1 || folds > MAX_FOLDS {
        return bad(
            "metadata.params.outcome.calibration_folds",
            format!("{folds}: must be 0 (no calibration) or 2 to {MAX_FOLDS}"),
        );
    }
    if let Some(t) = &p.themes {
        if !(2..=MAX_FOLDS).contains(&t.threshold_folds) {
            return bad(
                "metadata.params.themes.threshold_folds",
                format!("{}: must be 2 to {MAX_FOLDS}", t.threshold_folds),
            );
        }
        if !(t.own_cue_scale.is_finite() && t.own_cue_scale > 0.0) {
            return bad(
                "metadata.params.themes.own_cue_scale",
                format!("{} is not positive and finite", t.own_cue_scale),
            );
        }
        if !(0.0..=1.0).contains(&t.threshold_shrink) {
            return bad(
                "metadata.params.themes.threshold_shrink",
                format!("{}: must be in [0, 1]", t.threshold_shrink),
            );
        }
    }
    Ok(())
}

fn features(field: &str, f: &FeatureConfig) -> Found {
    // Said by its path in the file, before the settings' own check says it by its name.
    if f.analyzer
        .negation
        .as_ref()
        .is_some_and(|n| n.prefix.is_empty())
    {
        return bad(
            format!("{field}.analyzer.negation.prefix"),
            "empty (negated words would be the plain words)",
        );
    }
    match f.check() {
        Err(e) => bad(field, e.to_string()),
        Ok(()) => Ok(()),
    }
}

fn tfidf(field: &str, t: &TfIdf, features: &FeatureConfig) -> Found {
    // A term of a namespace the features do not count in is never counted, so its weight would
    // never score: a file written by hand or damaged.
    let made = features.namespaces();
    let stray = t.namespaces().iter().position(|ns| !made.contains(ns));
    if let Some(i) = stray {
        let (term, ns) = (&t.vocabulary()[i], t.namespaces()[i]);
        let why = match ns {
            Namespace::Bare => format!(
                "it begins with none of imr's prefixes ({})",
                Namespace::prefixes()
            ),
            ns => format!("its features make no {} terms", ns.name()),
        };
        return bad(
            format!("{field}.vocabulary[{i}]"),
            format!("{term:?}: {why}"),
        );
    }
    if let Some((i, v)) = t
        .idf()
        .iter()
        .enumerate()
        .find(|(_, v)| !(**v > 0.0 && **v <= MAX_IDF))
    {
        return bad(
            format!("{field}.idf[{i}]"),
            format!("{} is not an IDF (above 0, at most {MAX_IDF:e})", num(*v)),
        );
    }
    Ok(())
}

/// The lengths scoring indexes by, which a model changed in memory (its fields are public) may
/// have broken: each logistic's weights against its vocabulary, each bootstrap refit's against
/// the weights. A length each, where [`model`] reads every number (it runs as a file loads).
pub(crate) fn shapes(m: &ModelFile) -> Found {
    let o = &m.outcome;
    weights_for("outcome.logistic", &o.logistic, o.tfidf.vocabulary().len())?;
    if let Some(Err(e)) = o
        .bootstrap
        .as_ref()
        .map(|b| b.check(o.logistic.coefficients.len()))
    {
        return bad("outcome.bootstrap", e);
    }
    if let Some(t) = &m.themes {
        for (i, theme) in t.themes.iter().enumerate() {
            let field = format!("themes.themes[{i}].logistic");
            weights_for(&field, &theme.logistic, t.tfidf.vocabulary().len())?;
        }
    }
    Ok(())
}

/// A weight for each term of the vocabulary.
fn weights_for(field: &str, l: &BinaryLogistic, vocabulary: usize) -> Found {
    if l.coefficients.len() != vocabulary {
        return bad(
            format!("{field}.coefficients"),
            format!(
                "{} values for a vocabulary of {vocabulary}",
                l.coefficients.len()
            ),
        );
    }
    Ok(())
}

fn logistic(field: &str, l: &BinaryLogistic, vocabulary: usize) -> Found {
    weights_for(field, l, vocabulary)?;
    // The field's name is spelled only for a weight at fault: a model has thousands.
    for (i, &v) in l.coefficients.iter().enumerate() {
        if let Some(why) = weight_fault(v) {
            return bad(format!("{field}.coefficients[{i}]"), why);
        }
    }
    weight(&format!("{field}.intercept"), l.intercept)
}

/// A finite number within [`MAX_WEIGHT`] of 0.
fn weight(field: &str, v: f64) -> Found {
    match weight_fault(v) {
        Some(why) => bad(field, why),
        None => Ok(()),
    }
}

/// What is wrong with `v` as a weight, if anything ([`weight`]).
pub(super) fn weight_fault(v: f64) -> Option<String> {
    if !v.is_finite() {
        Some(format!("{v} is not a finite number"))
    } else if v.abs() > MAX_WEIGHT {
        Some(format!(
            "{} is no fitted weight (at most {MAX_WEIGHT:e} either way)",
            num(v)
        ))
    } else {
        None
    }
}

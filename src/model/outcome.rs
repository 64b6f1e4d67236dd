//! The outcome model: P(Overturned) for a disputed item from the text its view selects.

use super::calibration::Platt;
use super::logistic::{BinaryLogistic, ClassWeight, Csr, LogisticParams, LogisticValidParams};
use crate::error::{Error, Result};
use crate::features::{
    Columns, DocFreq, FeatureConfig, Featurizer, Field, ItemText, SparseRows, TermCounts, TfIdf,
    TfIdfParams, TfIdfValidParams,
};
use crate::folds::{stratified_group_kfold, MAX_FOLDS};
use crate::letter::Decision;
use linfa::dataset::DatasetBase;
use linfa::traits::Fit;
use linfa::ParamGuard;
use ndarray::Array1;
use serde::{Deserialize, Serialize};
use std::borrow::Borrow;
use std::cmp::Ordering;

/// Which text the outcome model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// The decision rationale, and its verdict sentences as a field of their own: scores a written
    /// rationale.
    Rationale,
    /// The rationale with every verdict sentence ("... is (not) medically necessary") masked: how
    /// much skill is left without the sentence that states the outcome.
    // The name every output and file uses; the kebab-case spelling is still read, on the
    // command line and in params and model files.
    #[value(name = "rationale_masked", alias = "rationale-masked")]
    #[serde(alias = "rationale-masked")]
    RationaleMasked,
    /// What exists before the decision: clinical summary, title and the claims administrator's
    /// guideline line (and, by a params file, the request's structured facts); nothing the IMR
    /// reviewer wrote about the decision.
    Case,
}

impl View {
    pub fn fields(self) -> Vec<Field> {
        match self {
            View::Rationale => vec![Field::Rationale, Field::Verdict],
            View::RationaleMasked => vec![Field::RationaleMasked],
            // The structured facts (`Field::Facts`) are there to add by a params file: on the
            // development letters' grouped CV they did not improve the pooled out-of-fold ROC-AUC
            // or Brier score (docs/experiments.md), so the shipped forecast reads text alone.
            View::Case => vec![Field::Summary, Field::Title, Field::ClaimsGuideline],
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            View::Rationale => "rationale",
            View::RationaleMasked => "rationale_masked",
            View::Case => "case",
        }
    }
}

/// Everything that defines how an outcome model is trained, checked (see [`OutcomeParams`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeValidParams {
    view: View,
    features: FeatureConfig,
    tfidf: TfIdfValidParams,
    logistic: LogisticValidParams,
    /// Inner grouped folds whose out-of-fold margins fit the Platt calibration of P(Overturned) (0:
    /// none, the class-weighted model's own score).
    calibration_folds: usize,
    /// An item with fewer of the model's text terms than this gets no score but a reason ("no known
    /// terms", "too little text"): the intercept is not a reading.
    min_known_terms: usize,
    /// Refits on bootstrap resamples of the training letters that give each score its 90% interval
    /// (0: none). Only the final model is refitted; cross-validation scores the point forecast.
    bootstrap: usize,
}

/// [`OutcomeValidParams`] as serde reads and writes it. The functions serde derives
/// for it are private to this module; the public serde impls (`checked_params!`) call them and
/// check what they read.
#[derive(Serialize, Deserialize)]
#[serde(remote = "OutcomeValidParams", deny_unknown_fields)]
struct OutcomeSerde {
    view: View,
    features: FeatureConfig,
    tfidf: TfIdfValidParams,
    logistic: LogisticValidParams,
    calibration_folds: usize,
    #[serde(default = "one")]
    min_known_terms: usize,
    #[serde(default)]
    bootstrap: usize,
}

fn one() -> usize {
    1
}

/// Unchecked outcome-model hyperparameters: the defaults of a view, changed one by one, then
/// `check()` (linfa's `ParamGuard`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutcomeParams(OutcomeValidParams);

impl OutcomeParams {
    /// The shipped settings for `view`.
    pub fn new(view: View) -> Self {
        let c = match view {
            View::Case => 1.0,
            _ => 10.0,
        };
        OutcomeParams(OutcomeValidParams {
            view,
            features: FeatureConfig::new(view.fields()),
            // No IDF for the rationale views: the verdict is written in words every rationale has
            // ("is not medically necessary"), which IDF weighs least. The case view keeps it
            // (both measured in docs/experiments.md).
            tfidf: default_tfidf().use_idf(view == View::Case).check_unwrap(),
            logistic: LogisticParams::new()
                .c(c)
                .class_weight(ClassWeight::Balanced)
                .check_unwrap(),
            calibration_folds: 3,
            min_known_terms: 2,
            bootstrap: if view == View::Case { 40 } else { 0 },
        })
    }
}

checked_params!(OutcomeParams => OutcomeValidParams as OutcomeSerde, validate;
    calibration_folds: usize, min_known_terms: usize, bootstrap: usize;
    ref features: FeatureConfig, tfidf: TfIdfValidParams, logistic: LogisticValidParams);

fn validate(p: &OutcomeValidParams) -> Result<()> {
    p.features.check()?;
    check_view_fields(p.view, &p.features.fields)?;
    // Older case models read the guidelines field, which holds the reviewer's guideline too: still
    // scored, no longer trained.
    if p.view == View::Case && p.features.fields.contains(&Field::Guidelines) {
        return Err(Error::InvalidParam {
            name: "fields",
            value: Field::Guidelines.name().into(),
            reason: "the case view must not see the reviewer's guideline (use claims_guideline)",
        });
    }
    if p.bootstrap > MAX_BOOTSTRAP {
        return Err(Error::InvalidParam {
            name: "bootstrap",
            value: p.bootstrap.to_string(),
            reason: "must be 0 (no interval) to 1000",
        });
    }
    if p.min_known_terms > MAX_MIN_KNOWN_TERMS {
        return Err(Error::InvalidParam {
            name: "min_known_terms",
            value: p.min_known_terms.to_string(),
            reason: "must be 0 to 10000 (more is a model that never scores)",
        });
    }
    if p.calibration_folds == 1 || p.calibration_folds > MAX_FOLDS {
        return Err(Error::InvalidParam {
            name: "calibration_folds",
            value: p.calibration_folds.to_string(),
            reason: "must be 0 (no calibration) or 2 to 100",
        });
    }
    Ok(())
}

/// The most bootstrap refits a model may carry.
pub const MAX_BOOTSTRAP: usize = 1000;

/// More known terms than this asked of an item is no setting but a model that never scores.
pub(crate) const MAX_MIN_KNOWN_TERMS: usize = 10_000;

/// A view names the text its model sees; fields set by hand (a params file, a model file) must not
/// bring the leak back.
pub(crate) fn check_view_fields(view: View, fields: &[Field]) -> Result<()> {
    let (hidden, reason): (&[Field], _) = match view {
        View::Rationale => (&[], ""),
        View::RationaleMasked => (
            &[Field::Rationale, Field::Verdict],
            "the rationale_masked view must not see the verdict (rationale or verdict field)",
        ),
        View::Case => (
            &[Field::Rationale, Field::RationaleMasked, Field::Verdict],
            "the case view must not see the rationale",
        ),
    };
    if let Some(f) = fields.iter().find(|f| hidden.contains(f)) {
        return Err(Error::InvalidParam {
            name: "fields",
            value: f.name().into(),
            reason,
        });
    }
    // A view is also what the model reads: one named for the rationale reads some of it.
    let (needed, reason): (&[Field], _) = match view {
        View::Rationale => (
            &[Field::Rationale, Field::Verdict],
            "the rationale view reads the rationale or its verdict",
        ),
        View::RationaleMasked => (
            &[Field::RationaleMasked],
            "the rationale_masked view reads the masked rationale",
        ),
        View::Case => (&[], ""),
    };
    if !needed.is_empty() && !fields.iter().any(|f| needed.contains(f)) {
        let names: Vec<&str> = fields.iter().map(|f| f.name()).collect();
        return Err(Error::InvalidParam {
            name: "fields",
            value: names.join(", "),
            reason,
        });
    }
    Ok(())
}

impl OutcomeValidParams {
    /// The text the model sees.
    pub fn view(&self) -> View {
        self.view
    }

    /// These settings for the verdict-masked view, the ablation `imr evaluate` runs beside the
    /// rationale view: the same except the text, the rationale read with its verdict sentences
    /// masked and the verdict field dropped.
    /// An error where nothing is left to read (a rationale view that read only the verdict).
    pub fn masked(&self) -> Result<OutcomeValidParams> {
        let mut fields: Vec<Field> = Vec::new();
        for f in &self.features.fields {
            let f = match f {
                Field::Verdict => continue,
                Field::Rationale => Field::RationaleMasked,
                f => *f,
            };
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
        let p = OutcomeValidParams {
            view: View::RationaleMasked,
            features: FeatureConfig {
                fields,
                ..self.features.clone()
            },
            ..self.clone()
        };
        OutcomeParams::from(p).check()
    }
}

/// TF-IDF settings of the models: sublinear tf, terms in at least two items.
pub fn default_tfidf() -> TfIdfParams {
    TfIdfParams::new()
        .sublinear_tf(true)
        .min_df(DocFreq::Count(2))
}

/// A fitted outcome model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeModel {
    pub view: View,
    pub features: FeatureConfig,
    pub tfidf: TfIdf,
    pub logistic: BinaryLogistic,
    /// P(Overturned) = this applied to the logistic model's margin; without it, the class-weighted
    /// model's own score (model files of format 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Platt>,
    /// Items with P(Overturned) at or above this are predicted Overturned: the class-weighted
    /// model's margin 0 (its 0.5), as calibrated. Calibration moves probabilities, not decisions.
    pub threshold: f64,
    /// Items with fewer known text terms get no score ([`OutcomeValidParams::min_known_terms`]);
    /// files of format 4 and older: 1 (no score only without any known term).
    #[serde(default = "one")]
    pub min_known_terms: usize,
    /// The refits behind each score's interval, if trained with them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap: Option<super::bootstrap::Bootstrap>,
}

/// A term's pull on one prediction: coefficient x tf-idf, and the words as the text has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermWeight {
    pub term: String,
    pub text: String,
    pub weight: f64,
}

impl OutcomeModel {
    /// Fits on training items only (`overturned[i]` is item i's label, `groups[i]` its letter, for
    /// the inner calibration folds drawn with `seed`).
    pub fn fit<D: Borrow<ItemText> + Sync>(
        params: &OutcomeValidParams,
        docs: &[D],
        overturned: &[bool],
        groups: &[String],
        seed: u64,
    ) -> Result<OutcomeModel> {
        let counts = Featurizer::new(params.features.clone())?.count(docs);
        Self::fit_counts(params, counts, overturned, groups, seed)
    }

    /// [`OutcomeModel::fit`] on documents already counted with `params.features` (a stream of
    /// letters counted as it was read, its texts then dropped).
    pub fn fit_counts(
        params: &OutcomeValidParams,
        counts: TermCounts,
        overturned: &[bool],
        groups: &[String],
        seed: u64,
    ) -> Result<OutcomeModel> {
        let margins = Self::calibration_margins(
            params,
            &counts,
            &(0..counts.len()).collect::<Vec<_>>(),
            overturned,
            groups,
            seed,
        )?;
        let calibration = platt(margins)?;
        // The final fit consumes the counts, so counts and matrix are never both held in full.
        // Training runs it alone, where cross-validation sets Platt's fit beside it (`fit_rows`):
        // a matrix made on another thread than the counts were freed on takes fresh pages, and
        // training's level is its memory.
        let (tfidf, x) = params.tfidf.fit_transform_owned(counts)?;
        let kept = (params.bootstrap > 0).then(|| x.clone());
        let mut model = Self::finish(params, tfidf, x, overturned, calibration)?;
        if let Some(x) = kept {
            model.bootstrap = super::bootstrap::Bootstrap::fit(
                &model.logistic,
                &x,
                overturned,
                groups,
                params.bootstrap,
                seed,
                |x, y| fit_logistic(params, x, y),
            )?;
        }
        Ok(model)
    }

    /// Fits on the documents `rows` of `counts` only (counted with `params.features`);
    /// `overturned[k]` and `groups[k]` belong to `rows[k]`. Cross-validation counts every item once
    /// and fits each fold from its rows, as the analyzer learns nothing from data.
    pub fn fit_rows(
        params: &OutcomeValidParams,
        counts: &TermCounts,
        rows: &[usize],
        overturned: &[bool],
        groups: &[String],
        seed: u64,
    ) -> Result<OutcomeModel> {
        let margins = Self::calibration_margins(params, counts, rows, overturned, groups, seed)?;
        // Platt's fit is serial, and so are the solve's steps between its parallel passes: side by
        // side each fills the other's idle core. Each result is what it is alone.
        let (calibration, fitted) = rayon::join(
            || platt(margins),
            || -> Result<_> {
                let (tfidf, _, x) = tfidf_rows(params, counts, rows)?;
                Ok((tfidf, fit_logistic(params, x, overturned)?))
            },
        );
        let (tfidf, logistic) = fitted?;
        Ok(Self::assemble(params, tfidf, logistic, calibration?))
    }

    /// The logistic fit on the TF-IDF rows `x`, with its calibration and the threshold that goes
    /// with it.
    fn finish(
        params: &OutcomeValidParams,
        tfidf: TfIdf,
        x: SparseRows,
        overturned: &[bool],
        calibration: Option<Platt>,
    ) -> Result<OutcomeModel> {
        let logistic = fit_logistic(params, x, overturned)?;
        Ok(Self::assemble(params, tfidf, logistic, calibration))
    }

    /// The model of a logistic fit and its calibration, with the threshold that goes with it.
    fn assemble(
        params: &OutcomeValidParams,
        tfidf: TfIdf,
        logistic: BinaryLogistic,
        calibration: Option<Platt>,
    ) -> OutcomeModel {
        OutcomeModel {
            view: params.view,
            features: params.features.clone(),
            tfidf,
            logistic,
            threshold: calibration.map_or(0.5, |c| c.proba(0.0)),
            calibration,
            min_known_terms: params.min_known_terms,
            bootstrap: None,
        }
    }

    /// The margins (and labels) Platt scaling is fitted on ([`platt`]): from inner grouped folds
    /// of the training rows (no letter on both sides), each inner model refitted from TF-IDF up;
    /// `None` when not asked for (0 folds). Checks that every row has a label and a letter.
    fn calibration_margins(
        params: &OutcomeValidParams,
        counts: &TermCounts,
        rows: &[usize],
        overturned: &[bool],
        groups: &[String],
        seed: u64,
    ) -> Result<Option<(Vec<f64>, Vec<bool>)>> {
        super::one_per_row(
            rows.len(),
            &[
                (
                    "outcome model: labels for the training rows",
                    overturned.len(),
                ),
                ("outcome model: letters for the training rows", groups.len()),
            ],
        )?;
        if params.calibration_folds < 2 {
            return Ok(None);
        }
        let mut margins = Vec::with_capacity(rows.len());
        let mut labels = Vec::with_capacity(rows.len());
        for s in stratified_group_kfold(groups, overturned, params.calibration_folds, 1, seed)? {
            let y: Vec<bool> = s.train.iter().map(|&k| overturned[k]).collect();
            if s.test.is_empty() || !y.contains(&true) || !y.contains(&false) {
                continue;
            }
            let (tfidf, cols, x) = tfidf_rows(
                params,
                counts,
                &s.train.iter().map(|&k| rows[k]).collect::<Vec<_>>(),
            )?;
            let logistic = fit_logistic(params, x, &y)?;
            let test: Vec<usize> = s.test.iter().map(|&k| rows[k]).collect();
            margins
                .extend(logistic.decision_function(&tfidf.transform_counts(counts, &test, &cols)));
            labels.extend(s.test.iter().map(|&k| overturned[k]));
        }
        Ok(Some((margins, labels)))
    }

    pub fn featurizer(&self) -> Result<Featurizer> {
        Featurizer::new(self.features.clone())
    }

    /// P(Overturned) per item.
    pub fn predict_proba<D: Borrow<ItemText> + Sync>(&self, docs: &[D]) -> Result<Vec<f64>> {
        // Its fields are public: weights that do not match the vocabulary are an error, not a
        // panic in scoring.
        if self.logistic.coefficients.len() != self.tfidf.vocabulary().len() {
            return Err(Error::Mismatch {
                what: "outcome model: weights for its vocabulary's terms",
                expected: self.tfidf.vocabulary().len(),
                found: self.logistic.coefficients.len(),
            });
        }
        let counts = self.featurizer()?.count(docs);
        let p = self.predict_proba_rows(&counts, &(0..docs.len()).collect::<Vec<_>>());
        super::predict::check_scores("P(Overturned)", &p, |i| format!("item {}", i + 1))?;
        Ok(p)
    }

    /// P(Overturned) for the documents `rows` of `counts` (counted with this model's features).
    pub fn predict_proba_rows(&self, counts: &TermCounts, rows: &[usize]) -> Vec<f64> {
        self.predict_proba_x(&self.transform_rows(counts, rows))
    }

    /// The TF-IDF rows of the documents `rows` of `counts`, in this model's columns.
    pub fn transform_rows(&self, counts: &TermCounts, rows: &[usize]) -> SparseRows {
        self.tfidf
            .transform_counts(counts, rows, &self.tfidf.columns(counts))
    }

    /// P(Overturned) for rows from [`OutcomeModel::transform_rows`].
    pub fn predict_proba_x(&self, x: &SparseRows) -> Vec<f64> {
        self.logistic
            .decision_function(x)
            .into_iter()
            .map(|m| self.proba(m))
            .collect()
    }

    /// P(Overturned) for a margin of this model.
    pub fn proba(&self, margin: f64) -> f64 {
        match &self.calibration {
            Some(c) => c.proba(margin),
            None => super::logistic::sigmoid(margin),
        }
    }

    /// The 90% interval of P(Overturned) for a TF-IDF row whose margin under this model is
    /// `margin`, from the bootstrap refits; None without them.
    pub fn interval(&self, margin: f64, row: &[(usize, f64)]) -> Option<(f64, f64)> {
        let b = self.bootstrap.as_ref()?;
        let mut m = b.margins(margin, row);
        let tail = (1.0 - super::bootstrap::COVERAGE) / 2.0;
        // Refits on fewer distinct letters pull rare terms' weights towards zero, so their
        // margins sit to one side of the model's own: a request of rare words had its score at
        // the range's edge. The refits' spread is kept and centred on the model's margin (their
        // median moved onto it), on the margin's scale, where the shift is one number.
        let median = super::bootstrap::quantile(&mut m, 0.5);
        let low = super::bootstrap::quantile(&mut m, tail) - median;
        let high = super::bootstrap::quantile(&mut m, 1.0 - tail) - median;
        Some((self.proba(margin + low), self.proba(margin + high)))
    }

    /// Why an item with `known` text terms gets no score, if it gets none; `words` of its text,
    /// `known_words` of them terms of the model ([`KnownTerms`](crate::features::KnownTerms)).
    pub fn abstention(&self, known: usize, words: u32, known_words: u32) -> Option<&'static str> {
        // A long text mostly of words the model does not know is another language (or no
        // request): said so, not that it is too short, which asks for more of the same.
        match known {
            _ if unfamiliar(words, known_words) => Some(UNFAMILIAR_WORDS),
            0 => Some(NO_KNOWN_TERMS),
            k if k < self.min_known_terms => Some(TOO_LITTLE_TEXT),
            _ => None,
        }
    }

    /// The decision for a P(Overturned) of this model: Overturned at or above its threshold.
    pub fn decide(&self, p_overturned: f64) -> Decision {
        if p_overturned >= self.threshold {
            Decision::Overturned
        } else {
            Decision::Upheld
        }
    }

    /// The `k` terms pushing most towards Overturned and towards Upheld.
    pub fn explain(
        &self,
        featurizer: &Featurizer,
        doc: &ItemText,
        k: usize,
    ) -> (Vec<TermWeight>, Vec<TermWeight>) {
        explain(&self.tfidf, &self.logistic, featurizer, doc, k)
    }
}

/// The reason given for no score when an item has none of the text the model's view reads.
pub const NO_TEXT: &str = "no text";
/// The reason given for no score when no term of an item is in the model's vocabulary.
pub const NO_KNOWN_TERMS: &str = "no known terms";
/// The reason given for no score when an item has some known terms, but fewer than the model's
/// setting.
pub const TOO_LITTLE_TEXT: &str = "too little text";
/// The reason given for no score when few of a text's words are terms of the model: another
/// language, or no text about a treatment request, where a handful of numbers and shared words
/// would otherwise make a score.
pub const UNFAMILIAR_WORDS: &str = "unfamiliar words";
/// The reason given for no forecast of a request without a title: the title is the request.
pub const NO_TITLE: &str = "no title";
/// The reason given for no forecast of a request whose title has no word the model knows and
/// names no treatment the rules read (a name they never saw, nonsense): a number would be the
/// summary's, not the request's.
pub const UNKNOWN_TITLE: &str = "unknown title";

/// What to give the model when it could not score a request, in a reader's words, by the reason
/// it gave (none for "no text" of a decided letter: there is nothing more to give).
pub fn advice(abstention: &str) -> Option<&'static str> {
    match abstention {
        NO_TITLE => Some("Give the request's title, as utilization review denied it."),
        UNKNOWN_TITLE => Some(
            "The model knows no word of the title: write the treatment as the letters do (its \
             common or generic name, spelled out).",
        ),
        TOO_LITTLE_TEXT | NO_KNOWN_TERMS => Some(
            "Give more of the request: the clinical summary and the guideline the claims \
             administrator cited, in English as the letters write them.",
        ),
        UNFAMILIAR_WORDS => Some(
            "The model knows the words of the DWC's letters, in English: most of these are \
             not among them.",
        ),
        _ => None,
    }
}

/// A text of at least this many words is judged by the share of them the model knows.
const MIN_WORDS_JUDGED: u32 = 8;
/// The share of a text's words, in tenths, below which it is not text the model can read. The
/// letters' English has most of its words in a model's vocabulary, even on letters the model
/// never saw; Spanish, French or made-up words a fifth or fewer (docs/models.md).
const MIN_KNOWN_TENTHS: u32 = 3;

/// Whether a text of `words` words, `known_words` of them the model's, is mostly unknown words.
fn unfamiliar(words: u32, known_words: u32) -> bool {
    words >= MIN_WORDS_JUDGED && known_words * 10 < words * MIN_KNOWN_TENTHS
}

/// TF-IDF fitted on the documents `rows` of `counts`, its columns of `counts`' terms (for
/// transforming other rows of the same counts), and those rows transformed.
fn tfidf_rows(
    params: &OutcomeValidParams,
    counts: &TermCounts,
    rows: &[usize],
) -> Result<(TfIdf, Columns, SparseRows)> {
    let (tfidf, cols) = params.tfidf.fit_rows(counts, rows)?;
    let x = tfidf.transform_counts(counts, rows, &cols);
    Ok((tfidf, cols, x))
}

fn fit_logistic(
    params: &OutcomeValidParams,
    x: SparseRows,
    overturned: &[bool],
) -> Result<BinaryLogistic> {
    params
        .logistic
        .fit(&DatasetBase::new(Csr(x), Array1::from(overturned.to_vec())))
}

/// Top contributions (coefficient x tf-idf) of one document's terms, both signs, with the words as
/// written.
pub fn explain(
    tfidf: &TfIdf,
    model: &BinaryLogistic,
    f: &Featurizer,
    doc: &ItemText,
    k: usize,
) -> (Vec<TermWeight>, Vec<TermWeight>) {
    explain_each(tfidf, &[model], f, doc, (k, k))
        .pop()
        .expect("one model")
}

/// [`explain`] for several models over the same features (the theme models), analysing the document
/// once; `k`: how many terms towards the positive class and how many towards the negative.
pub fn explain_each(
    tfidf: &TfIdf,
    models: &[&BinaryLogistic],
    f: &Featurizer,
    doc: &ItemText,
    k: (usize, usize),
) -> Vec<(Vec<TermWeight>, Vec<TermWeight>)> {
    let spans = f.term_spans(doc);
    let x = tfidf.transform([spans.iter().map(|s| s.term.as_str())]);
    let row = x.outer_view(0).expect("one row");
    let written = |j: usize| -> String {
        let term = &tfidf.vocabulary()[j];
        spans
            .iter()
            .find(|s| &s.term == term)
            .map(|s| s.field.text(doc)[s.span.clone()].to_string())
            .unwrap_or_default()
    };
    explain_row(tfidf, models, row.indices(), row.data(), written, k)
}

/// [`explain_each`] for a document's TF-IDF row (`indices`, `values`) already made; `written(j)`
/// is how the text has the term of column j. A side asked for no terms is not computed.
pub fn explain_row(
    tfidf: &TfIdf,
    models: &[&BinaryLogistic],
    indices: &[u32],
    values: &[f64],
    written: impl Fn(usize) -> String,
    (k_up, k_down): (usize, usize),
) -> Vec<(Vec<TermWeight>, Vec<TermWeight>)> {
    models
        .iter()
        .map(|model| {
            let contrib = indices
                .iter()
                .zip(values)
                .map(|(&j, &v)| (j as usize, v * model.coefficients[j as usize]));
            // Neither side takes a zero (or NaN) contribution.
            let up = contrib.clone().filter(|c| c.1 > 0.0);
            let down = contrib.clone().filter(|c| c.1 < 0.0);
            // Strongest first; of equal weights, the lower column first towards Overturned and
            // the higher towards Upheld (one order, read from both ends).
            let towards_up =
                |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
            let towards_down =
                |a: &(usize, f64), b: &(usize, f64)| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0));
            (
                top_terms(tfidf, up, &towards_up, &written, k_up),
                top_terms(tfidf, down, &towards_down, &written, k_down),
            )
        })
        .collect()
}

/// The first `k` terms of `contrib` (column, contribution) in `order`. The same words can be
/// several features (the rationale and verdict fields): each wording is listed once.
fn top_terms(
    tfidf: &TfIdf,
    contrib: impl Iterator<Item = (usize, f64)> + Clone,
    order: &impl Fn(&(usize, f64), &(usize, f64)) -> Ordering,
    written: &impl Fn(usize) -> String,
    k: usize,
) -> Vec<TermWeight> {
    let mut out: Vec<TermWeight> = Vec::new();
    if k == 0 {
        return out;
    }
    in_order(contrib, order, |&(j, w)| {
        let t = TermWeight {
            term: tfidf.vocabulary()[j].clone(),
            text: written(j),
            weight: w,
        };
        if !out.iter().any(|o| o.text.eq_ignore_ascii_case(&t.text)) {
            out.push(t);
        }
        out.len() < k
    });
    out
}

/// Gives `visit` the items of `items` in `order` (a total order) until it returns false, sorting
/// only as far as the visit goes: explanations want a few terms of a row's hundreds.
fn in_order<T: Copy>(
    items: impl Iterator<Item = T> + Clone,
    order: &impl Fn(&T, &T) -> Ordering,
    mut visit: impl FnMut(&T) -> bool,
) {
    // Nearly every visit ends within the first few items: those are kept in one pass, where most
    // items take one comparison with the last one kept, and nothing else is stored.
    const FIRST: usize = 8;
    let mut best: Vec<T> = Vec::with_capacity(FIRST + 1);
    let mut n = 0;
    for x in items.clone() {
        n += 1;
        if best.len() == FIRST && order(&x, &best[FIRST - 1]) != Ordering::Less {
            continue;
        }
        let at = best.partition_point(|b| order(b, &x) == Ordering::Less);
        best.insert(at, x);
        best.truncate(FIRST);
    }
    for x in &best {
        if !visit(x) {
            return;
        }
    }
    if n <= FIRST {
        return;
    }
    // The rest, chunk by chunk, past the first items (selected to the front).
    let mut v: Vec<T> = items.collect();
    v.select_nth_unstable_by(FIRST - 1, order);
    let (mut start, mut chunk) = (FIRST, FIRST * 4);
    while start < v.len() {
        let rest = &mut v[start..];
        let n = chunk.min(rest.len());
        if n < rest.len() {
            rest.select_nth_unstable_by(n - 1, order);
        }
        rest[..n].sort_unstable_by(order);
        for x in &rest[..n] {
            if !visit(x) {
                return;
            }
        }
        start += n;
        chunk *= 4;
    }
}

/// Platt scaling fitted on calibration margins; `None` without them, or where the folds left too
/// little to fit it.
fn platt(margins: Option<(Vec<f64>, Vec<bool>)>) -> Result<Option<Platt>> {
    match margins {
        Some((m, labels)) => Platt::fit(&m, &labels),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `in_order` visits what a full sort lists, in its order, and stops where the visit says:
    /// for lengths around its chunk sizes, with ties broken by the index.
    #[test]
    fn in_order_visits_a_full_sort_prefix() {
        let order = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        for len in [0, 1, 7, 8, 9, 39, 40, 41, 300] {
            // Weights that repeat, so ties need the index; in index order, reversed and shuffled
            // (a fixed linear congruential sequence).
            let v: Vec<(usize, f64)> = (0..len).map(|i| (i, ((i * 37) % 11) as f64)).collect();
            let mut shuffled = v.clone();
            let mut seed = 12345u64;
            for i in (1..len).rev() {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                shuffled.swap(i, (seed >> 33) as usize % (i + 1));
            }
            let mut sorted = v.clone();
            sorted.sort_by(order);
            let reversed: Vec<_> = v.iter().rev().copied().collect();
            for input in [&v, &reversed, &shuffled] {
                for stop in [1, 2, 8, 9, 41, len + 1] {
                    let mut seen = Vec::new();
                    in_order(input.iter().copied(), &order, |x| {
                        seen.push(*x);
                        seen.len() < stop
                    });
                    assert_eq!(seen, sorted[..stop.min(len)], "len {len}, stop {stop}");
                }
            }
        }
    }

    /// 40 letters of one item, one in four Overturned, with the words noisy enough that no margin
    /// is certain.
    fn data() -> (Vec<ItemText>, Vec<bool>, Vec<String>) {
        let words = [
            "supported",
            "documented",
            "indicated",
            "reasonable",
            "appropriate",
        ];
        let docs = (0..40)
            .map(|i| {
                let verdict = if i % 4 == 0 {
                    "criteria met"
                } else {
                    "no improvement"
                };
                let other = if i % 4 == 1 || i % 7 == 0 {
                    "criteria met"
                } else {
                    "no improvement"
                };
                ItemText::from_rationale(&format!(
                    "The request is {} and {verdict}; {other} noted.",
                    words[i % 5]
                ))
            })
            .collect();
        (
            docs,
            (0..40).map(|i| i % 4 == 0).collect(),
            (0..40).map(|i| format!("CM{i}")).collect(),
        )
    }

    /// Calibration moves P(Overturned), never the decision or the order, and it is fitted only
    /// where asked.
    #[test]
    fn calibration_keeps_decisions_and_order() {
        let (docs, y, groups) = data();
        let p = OutcomeParams::new(View::Rationale).check().unwrap();
        let cal = OutcomeModel::fit(&p, &docs, &y, &groups, 3).unwrap();
        let raw = OutcomeModel::fit(
            &OutcomeParams::from(p.clone())
                .calibration_folds(0)
                .check()
                .unwrap(),
            &docs,
            &y,
            &groups,
            3,
        )
        .unwrap();
        assert_eq!((raw.calibration, raw.threshold), (None, 0.5));
        let c = cal.calibration.expect("calibrated");
        assert_eq!(cal.threshold, c.proba(0.0));
        // The same logistic model underneath: only the mapping from margin to probability differs.
        assert_eq!((&cal.logistic, &cal.tfidf), (&raw.logistic, &raw.tfidf));
        let (pc, pr) = (
            cal.predict_proba(&docs).unwrap(),
            raw.predict_proba(&docs).unwrap(),
        );
        for i in 0..docs.len() {
            assert_eq!(
                pc[i] >= cal.threshold,
                pr[i] >= 0.5,
                "item {i}: {} vs {}",
                pc[i],
                pr[i]
            );
            for j in 0..docs.len() {
                assert!(pr[i] >= pr[j] || pc[i] <= pc[j], "order of {i} and {j}");
            }
        }
        // Balanced class weights put the mean score near 0.5; calibrated, it is near the Overturned
        // rate.
        let mean = |p: &[f64]| p.iter().sum::<f64>() / p.len() as f64;
        assert!(
            (mean(&pc) - 0.25).abs() < (mean(&pr) - 0.25).abs(),
            "calibrated {} raw {}",
            mean(&pc),
            mean(&pr)
        );
        // The same seed, the same model; labels or letters missing are an error, not a panic.
        assert_eq!(OutcomeModel::fit(&p, &docs, &y, &groups, 3).unwrap(), cal);
        let e = OutcomeModel::fit(&p, &docs, &y, &groups[1..], 3)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("letters for the training rows: 39 values where 40 were expected"),
            "{e}"
        );
    }

    #[test]
    fn params_are_checked() {
        for view in [View::Rationale, View::RationaleMasked, View::Case] {
            assert_eq!(OutcomeParams::new(view).check().unwrap().view, view);
        }
        let e = OutcomeParams::new(View::Case)
            .calibration_folds(1)
            .check()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("calibration_folds") && e.contains("0 (no calibration) or 2 to 100"),
            "{e}"
        );
        let e = OutcomeParams::new(View::Case)
            .calibration_folds(101)
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("calibration_folds = 101"), "{e}");
        assert!(OutcomeParams::new(View::Case)
            .calibration_folds(0)
            .check()
            .is_ok());
        // A nested setting is checked where it is made: a bad one cannot reach these params,
        // from a builder or from JSON.
        let shipped = OutcomeParams::new(View::Case).check().unwrap();
        let e = LogisticParams::from(shipped.logistic().clone())
            .c(-1.0)
            .check()
            .unwrap_err()
            .to_string();
        assert!(e.contains("C") && e.contains("-1"), "{e}");
        let mut json = serde_json::to_value(&shipped).unwrap();
        json["logistic"]["c"] = (-1.0).into();
        let e = serde_json::from_value::<OutcomeValidParams>(json)
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid parameter C = -1"), "{e}");
        // Fields set by hand cannot give a view the text it is defined without.
        let with = |view, fields: Vec<Field>| {
            OutcomeParams::new(view)
                .features(FeatureConfig::new(fields))
                .check()
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            with(View::Case, vec![Field::Summary, Field::Verdict]).unwrap_err(),
            "invalid parameter fields = verdict: the case view must not see the rationale"
        );
        assert!(with(View::RationaleMasked, vec![Field::Rationale])
            .unwrap_err()
            .contains("must not see the verdict"));
        assert!(
            with(View::Case, vec![Field::Summary]).is_ok()
                && with(View::Rationale, vec![Field::Summary, Field::Verdict]).is_ok()
        );
        // Nor be named for a text it does not read.
        assert_eq!(
            with(View::Rationale, vec![Field::Summary, Field::Title]).unwrap_err(),
            "invalid parameter fields = summary, title: the rationale view reads the rationale \
             or its verdict"
        );
        assert!(with(View::RationaleMasked, vec![Field::Title])
            .unwrap_err()
            .contains("reads the masked rationale"));
    }

    #[test]
    fn the_masked_ablation_changes_only_the_text() {
        let shipped = OutcomeParams::new(View::Rationale).check().unwrap();
        assert_eq!(
            shipped.masked().unwrap(),
            OutcomeParams::new(View::RationaleMasked).check().unwrap()
        );
        let mut mine = shipped.clone();
        mine.logistic = LogisticParams::from(mine.logistic).c(2.0).check().unwrap();
        mine.features.fields = vec![Field::Title, Field::Rationale, Field::Verdict];
        let masked = mine.masked().unwrap();
        assert_eq!(
            (masked.view, masked.logistic.c()),
            (View::RationaleMasked, 2.0)
        );
        assert_eq!(
            masked.features.fields,
            [Field::Title, Field::RationaleMasked]
        );
    }
}

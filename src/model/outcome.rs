//! The outcome model: P(Overturned) for a disputed item from the text its view selects.

use super::logistic::{BinaryLogistic, ClassWeight, Csr, LogisticParams, LogisticValidParams};
use crate::error::Result;
use crate::features::{DocFreq, FeatureConfig, Featurizer, Field, ItemText, SparseRows, TermCounts, TfIdf, TfIdfParams, TfIdfValidParams};
use std::borrow::Borrow;
use linfa::dataset::DatasetBase;
use linfa::traits::Fit;
use linfa::ParamGuard;
use ndarray::Array1;
use serde::{Deserialize, Serialize};

/// Which text the outcome model sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// The decision rationale, and its verdict sentences as a field of their own: scores a written rationale.
    Rationale,
    /// The rationale with every verdict sentence ("... is (not) medically necessary") masked: how much skill
    /// is left without the sentence that states the outcome.
    RationaleMasked,
    /// Clinical summary, title and guideline lines, no rationale: a forecast before the decision.
    Case,
}

impl View {
    pub fn fields(self) -> Vec<Field> {
        match self {
            View::Rationale => vec![Field::Rationale, Field::Verdict],
            View::RationaleMasked => vec![Field::RationaleMasked],
            View::Case => vec![Field::Summary, Field::Title, Field::Guidelines],
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

/// Everything that defines how an outcome model is trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeParams {
    pub view: View,
    pub features: FeatureConfig,
    pub tfidf: TfIdfValidParams,
    pub logistic: LogisticValidParams,
}

impl OutcomeParams {
    pub fn new(view: View) -> Result<Self> {
        let c = match view {
            View::Case => 1.0,
            _ => 10.0,
        };
        Ok(OutcomeParams {
            view,
            features: FeatureConfig::new(view.fields()),
            tfidf: default_tfidf()?,
            logistic: LogisticParams::new().c(c).class_weight(ClassWeight::Balanced).check()?,
        })
    }
}

/// TF-IDF settings of the models: sublinear tf, terms in at least two items.
pub fn default_tfidf() -> Result<TfIdfValidParams> {
    TfIdfParams::new().sublinear_tf(true).min_df(DocFreq::Count(2)).check()
}

/// A fitted outcome model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeModel {
    pub view: View,
    pub features: FeatureConfig,
    pub tfidf: TfIdf,
    pub logistic: BinaryLogistic,
    /// Items with P(Overturned) at or above this are predicted Overturned.
    pub threshold: f64,
}

/// A term's pull on one prediction: coefficient x tf-idf, and the words as the text has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TermWeight {
    pub term: String,
    pub text: String,
    pub weight: f64,
}

impl OutcomeModel {
    /// Fits on training items only (`overturned[i]` is item i's label).
    pub fn fit<D: Borrow<ItemText> + Sync>(params: &OutcomeParams, docs: &[D], overturned: &[bool]) -> Result<OutcomeModel> {
        let featurizer = Featurizer::new(params.features.clone())?;
        let counts = featurizer.count(docs);
        let (tfidf, x) = params.tfidf.fit_transform_owned(counts)?;
        Self::fit_matrix(params, tfidf, x, overturned)
    }

    /// Fits on the documents `rows` of `counts` only (counted with `params.features`): cross-validation counts
    /// every item once and fits each fold from its rows, as the analyzer learns nothing from data.
    pub fn fit_rows(params: &OutcomeParams, counts: &TermCounts, rows: &[usize], overturned: &[bool]) -> Result<OutcomeModel> {
        let (tfidf, cols) = params.tfidf.fit_rows(counts, rows)?;
        let x = tfidf.transform_counts(counts, rows, &cols);
        Self::fit_matrix(params, tfidf, x, overturned)
    }

    fn fit_matrix(params: &OutcomeParams, tfidf: TfIdf, x: SparseRows, overturned: &[bool]) -> Result<OutcomeModel> {
        let logistic = params.logistic.fit(&DatasetBase::new(Csr(x), Array1::from(overturned.to_vec())))?;
        Ok(OutcomeModel { view: params.view, features: params.features.clone(), tfidf, logistic, threshold: 0.5 })
    }

    pub fn featurizer(&self) -> Result<Featurizer> {
        Featurizer::new(self.features.clone())
    }

    /// P(Overturned) per item.
    pub fn predict_proba<D: Borrow<ItemText> + Sync>(&self, docs: &[D]) -> Result<Vec<f64>> {
        let counts = self.featurizer()?.count(docs);
        Ok(self.predict_proba_rows(&counts, &(0..docs.len()).collect::<Vec<_>>()))
    }

    /// P(Overturned) for the documents `rows` of `counts` (counted with this model's features).
    pub fn predict_proba_rows(&self, counts: &TermCounts, rows: &[usize]) -> Vec<f64> {
        let x = self.tfidf.transform_counts(counts, rows, &self.tfidf.columns(counts));
        self.logistic.predict_proba(&x)
    }

    /// The `k` terms pushing most towards Overturned and towards Upheld.
    pub fn explain(&self, featurizer: &Featurizer, doc: &ItemText, k: usize) -> (Vec<TermWeight>, Vec<TermWeight>) {
        explain(&self.tfidf, &self.logistic, featurizer, doc, k)
    }
}

/// Top contributions (coefficient x tf-idf) of one document's terms, both signs, with the words as written.
pub fn explain(tfidf: &TfIdf, model: &BinaryLogistic, f: &Featurizer, doc: &ItemText, k: usize) -> (Vec<TermWeight>, Vec<TermWeight>) {
    explain_each(tfidf, &[model], f, doc, k).pop().expect("one model")
}

/// [`explain`] for several models over the same features (the theme models), analysing the document once.
pub fn explain_each(tfidf: &TfIdf, models: &[&BinaryLogistic], f: &Featurizer, doc: &ItemText, k: usize) -> Vec<(Vec<TermWeight>, Vec<TermWeight>)> {
    let spans = f.term_spans(doc);
    let x = tfidf.transform([spans.iter().map(|s| s.term.as_str())]);
    let row = x.outer_view(0).expect("one row");
    let written = |j: usize| -> TermWeight {
        let term = &tfidf.vocabulary()[j];
        let text = spans
            .iter()
            .find(|s| &s.term == term)
            .map(|s| s.field.text(doc)[s.span.clone()].to_string())
            .unwrap_or_default();
        TermWeight { term: term.clone(), text, weight: 0.0 }
    };
    // The same words can be several features (the rationale and verdict fields); list each wording once.
    let top = |it: &mut dyn Iterator<Item = &(usize, f64)>| -> Vec<TermWeight> {
        let mut out: Vec<TermWeight> = Vec::new();
        for &(j, w) in it {
            let t = TermWeight { weight: w, ..written(j) };
            if !out.iter().any(|o| o.text.eq_ignore_ascii_case(&t.text)) {
                out.push(t);
            }
            if out.len() == k {
                break;
            }
        }
        out
    };
    models
        .iter()
        .map(|model| {
            let mut contrib: Vec<(usize, f64)> = row.iter().map(|(j, v)| (j, v * model.coefficients[j])).collect();
            contrib.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            (top(&mut contrib.iter().filter(|c| c.1 > 0.0)), top(&mut contrib.iter().rev().filter(|c| c.1 < 0.0)))
        })
        .collect()
}

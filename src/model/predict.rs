//! Scoring items with a [`ModelFile`]: P(Overturned), the predicted decision, the themes, and the
//! words behind each, as one [`Prediction`] per item. What `imr predict` prints, for library users
//! too.

use super::base_rates::BaseRate;
use super::file::ModelFile;
use super::outcome::{TermWeight, View};
use super::themes::ThemeModels;
use crate::error::Result;
use crate::features::{
    Analysis, Featurizer, Field, ItemText, KnownTerms, Namespace, SharedFeaturizers, TfIdf,
    VocabIndex,
};
use crate::letter::{Decision, DisputedItem, Letter};
use crate::treatment::{Category, DrugClass, TreatmentKind};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// One item to score: its text, and what is known of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemToScore {
    pub case_number: Option<String>,
    /// The item's number in its letter (or its line in the input).
    pub item: usize,
    pub title: Option<String>,
    /// The letter's own decision, where there is one: the theme models' decision rule uses it.
    pub decision: Option<Decision>,
    /// What kind of treatment it requests; read from the title when not given.
    pub kind: Option<TreatmentKind>,
    pub text: ItemText,
}

impl ItemToScore {
    /// A disputed item of a parsed letter.
    pub fn from_item(letter: &Letter, item: &DisputedItem) -> Self {
        ItemToScore {
            case_number: Some(letter.header.case_number.clone()),
            item: item.number,
            title: Some(item.title.clone()),
            decision: Some(item.decision),
            kind: Some(item.kind.clone()),
            text: ItemText::from_item(letter, item),
        }
    }

    /// A request without a title (none, or spaces): no rationale either, which a case model
    /// does not read and would say so of. A case model gives it no score ("no title").
    pub fn untitled_request(&self) -> bool {
        let titled = self.title.as_deref().is_some_and(|t| !t.trim().is_empty());
        !titled && self.text.rationale.trim().is_empty()
    }

    /// A rationale alone (`--text`, a line of stdin), numbered `item`.
    pub fn from_rationale(text: &str, item: usize) -> Self {
        ItemToScore {
            case_number: None,
            item,
            title: None,
            decision: None,
            kind: None,
            text: ItemText::from_rationale(text),
        }
    }

    /// The item's kind: as given, else read from its title (none without a title).
    fn kind(&self) -> Option<TreatmentKind> {
        self.kind.clone().or_else(|| {
            let t = self.title.as_deref().filter(|t| !t.trim().is_empty())?;
            Some(crate::treatment::classify(
                t,
                Some(&self.text.claims_guideline),
            ))
        })
    }
}

/// A request's kind, read from its title (none without one), and its text: the kind completes
/// `facts` (category, drug class) before they become terms. What a forecast reads of a request.
pub fn request_text(
    title: &str,
    rationale: &str,
    ca_guideline: Option<&str>,
    reviewer_guideline: Option<&str>,
    summary: Option<&str>,
    mut facts: crate::features::RequestFacts,
) -> (ItemText, Option<TreatmentKind>) {
    let kind = (!title.trim().is_empty()).then(|| crate::treatment::classify(title, ca_guideline));
    facts.category = kind.as_ref().map(|k| k.category);
    facts.drug_class = kind.as_ref().and_then(|k| k.drug_class);
    let text = ItemText {
        facts: facts.terms().into(),
        ..ItemText::from_parts(title, rationale, ca_guideline, reviewer_guideline, summary)
    };
    (text, kind)
}

/// One scored item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub case_number: Option<String>,
    pub item: usize,
    pub title: Option<String>,
    pub category: Option<Category>,
    pub drug_class: Option<DrugClass>,
    pub treatment: Option<String>,
    /// The letter's own decision, where the input has one.
    pub decision: Option<Decision>,
    /// None when the model has too little of the item to read ([`Prediction::abstention`] says
    /// why): the model's intercept is not a score.
    pub p_overturned: Option<f64>,
    /// The 90% interval of P(Overturned) from the model's bootstrap refits (models trained with
    /// them).
    pub p_low: Option<f64>,
    pub p_high: Option<f64>,
    pub predicted: Option<Decision>,
    /// Why there is no score: "no text", "no title", "no known terms", "too little text",
    /// "unfamiliar words".
    pub abstention: Option<String>,
    /// How many of the outcome model's text terms (n-grams and codebook cues, not structured facts)
    /// the item has. With fewer distinct words among them than the model's `min_known_terms` (a
    /// word a term of two fields counted once) it gets no score.
    pub known_terms: usize,
    /// How often training items of this category were overturned, with a Wilson 95% interval.
    pub category_base_rate: Option<BaseRate>,
    pub drug_class_base_rate: Option<BaseRate>,
    /// The assigned themes (none without theme models).
    pub themes: Vec<String>,
    /// Every fitted theme's probability; null where the item gets no score (`abstention`).
    pub theme_scores: BTreeMap<String, Option<f64>>,
    /// For each assigned theme, the words of the item pushing most towards it.
    pub theme_evidence: BTreeMap<String, Vec<TermWeight>>,
    pub top_overturned: Vec<TermWeight>,
    pub top_upheld: Vec<TermWeight>,
    /// The most similar past items (`--similar K`, `forecast`, `similar`): none found is an empty
    /// list; None where they were not looked up (left out of the JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similar: Option<Vec<Similar>>,
    /// The consistency check of a decided item (`imr predict --check`), not made otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<super::Check>,
}

impl Prediction {
    /// The 90% interval rounded outward to two decimals, as tables and pages show it beside
    /// P(Overturned) to two or three: the range shown then holds the score shown.
    pub fn shown_range(&self) -> Option<(f64, f64)> {
        let (low, high) = (self.p_low?, self.p_high?);
        Some(((low * 100.0).floor() / 100.0, (high * 100.0).ceil() / 100.0))
    }
}

impl ModelFile {
    /// Whether any of the file's models reads the structured facts (age, dates, ...): one trained
    /// with the `facts` field.
    pub fn reads_facts(&self) -> bool {
        let facts = Field::Facts;
        self.outcome.features.fields.contains(&facts)
            || self
                .themes
                .as_ref()
                .is_some_and(|t| t.features.fields.contains(&facts))
    }

    /// The facts of `facts` a model that reads none leaves out, by their output names; none when
    /// it reads them.
    pub fn unread_facts(&self, facts: &crate::features::RequestFacts) -> Vec<&'static str> {
        match self.reads_facts() {
            true => Vec::new(),
            false => facts.given(),
        }
    }

    /// Whether the outcome model's view reads any of `doc`'s text. An item it does not read would
    /// score the model's intercept (a case-view model given a rationale alone, a letter item
    /// without a rationale): callers report such items rather than score them.
    pub fn reads(&self, doc: &ItemText) -> bool {
        self.outcome
            .view
            .fields()
            .iter()
            .any(|f| !f.text(doc).trim().is_empty())
    }

    /// Scores every item, in input order, with the `top` terms pushing each way and, for each
    /// assigned theme, the `top` terms pushing towards it.
    ///
    /// ```
    /// let model = imr::model::ModelFile::builtin()?;
    /// let text = "There is no documentation of functional improvement. The request is not medically necessary.";
    /// let p = model.predict(vec![imr::model::ItemToScore::from_rationale(text, 1)], 5)?;
    /// assert_eq!(p[0].predicted, Some(imr::Decision::Upheld));
    /// assert!(p[0].p_overturned.is_some_and(|p| p < 0.5) && !p[0].themes.is_empty());
    /// # Ok::<(), imr::Error>(())
    /// ```
    pub fn predict(&self, items: Vec<ItemToScore>, top: usize) -> Result<Vec<Prediction>> {
        self.scorer()?.predict(items, top)
    }

    /// The model's featurizers, made once for many calls of [`Scorer::predict`]. A model changed
    /// in memory (its fields are public) whose weights no longer match its vocabulary is an error
    /// naming the field, not a panic in scoring; the rest was checked as it loaded.
    pub fn scorer(&self) -> Result<Scorer<'_>> {
        super::check::shapes(self).map_err(super::file::field_error(Path::new("the model")))?;
        let f = self.outcome.featurizer()?;
        let theme_f = self.themes.as_ref().map(|t| t.featurizer()).transpose()?;
        // Structured facts are known for any request: only text terms say the model read the item.
        // Only a model that reads facts has such columns to leave out.
        let is_fact = self
            .outcome
            .features
            .fields
            .contains(&Field::Facts)
            .then(|| {
                let facts = Namespace::Field(Field::Facts);
                let namespaces = self.outcome.tfidf.namespaces();
                namespaces.iter().map(|&ns| ns == facts).collect()
            });
        Ok(Scorer {
            model: self,
            f,
            theme_f,
            is_fact,
            // Files of format 5 and older abstain as they did: by columns, a word in two fields
            // twice.
            words_once: super::file::format_number(&self.format_version).is_none_or(|n| n >= 6),
            indexed: OnceLock::new(),
        })
    }
}

/// A model ready to score ([`ModelFile::scorer`]).
pub struct Scorer<'m> {
    model: &'m ModelFile,
    f: Featurizer,
    theme_f: Option<Featurizer>,
    is_fact: Option<Vec<bool>>,
    /// "Too little text" counts a word that is a term of two fields once (format 6 on).
    words_once: bool,
    /// The vocabularies indexed by word ids, made at the first batch large enough to repay it.
    indexed: OnceLock<Vocabs<'m>>,
}

/// The outcome and theme models' vocabularies, as terms are looked up in them.
struct Vocabs<'m> {
    outcome: VocabIndex<'m>,
    themes: Option<VocabIndex<'m>>,
}

/// Items in a batch from which the vocabularies are indexed by word ids: making the index costs
/// about what spelling the terms of this many items does.
const INDEX_FROM: usize = 64;

/// One item's scores before the checks: P(Overturned) and each theme's probability.
struct Scored {
    prediction: Prediction,
    p: f64,
    theme_scores: Vec<f64>,
}

impl<'m> Scorer<'m> {
    /// The model it scores with.
    pub fn model(&self) -> &ModelFile {
        self.model
    }

    /// The outcome model's featurizer.
    pub fn featurizer(&self) -> &Featurizer {
        &self.f
    }

    /// [`ModelFile::predict`]. Each item is analysed once, for the outcome and the theme models
    /// alike, on all cores in input order; its explanations come from the terms it was scored by,
    /// and with `top` 0 none is made.
    pub fn predict(&self, items: Vec<ItemToScore>, top: usize) -> Result<Vec<Prediction>> {
        let m = self.model;
        let mut featurizers = vec![&self.f];
        featurizers.extend(self.theme_f.as_ref());
        let shared = SharedFeaturizers::new(featurizers);
        let spelled;
        let vocabs = if items.len() >= INDEX_FROM || self.indexed.get().is_some() {
            self.indexed.get_or_init(|| self.vocabs(true))
        } else {
            spelled = self.vocabs(false);
            &spelled
        };
        let scored: Vec<Scored> = items
            .into_par_iter()
            .with_min_len(16)
            .map(|it| self.score(&shared, vocabs, it, top))
            .collect();
        let label = |i: usize| {
            let p = &scored[i].prediction;
            p.case_number.as_ref().map_or_else(
                || format!("item {}", p.item),
                |c| format!("case {c}, item {}", p.item),
            )
        };
        let p: Vec<f64> = scored.iter().map(|s| s.p).collect();
        check_scores("P(Overturned)", &p, label)?;
        for (t, k) in m.themes.iter().flat_map(|t| &t.themes).zip(0..) {
            let scores: Vec<f64> = scored.iter().map(|s| s.theme_scores[k]).collect();
            check_scores(&format!("P({})", t.id), &scores, label)?;
        }
        Ok(scored.into_iter().map(|s| s.prediction).collect())
    }

    /// The models' vocabularies, `indexed` by word ids or looked up by spelling.
    fn vocabs(&self, indexed: bool) -> Vocabs<'m> {
        let m: &'m ModelFile = self.model;
        let mut parts: Vec<(&'m TfIdf, &Featurizer)> = vec![(&m.outcome.tfidf, &self.f)];
        let themes = m.themes.as_ref().zip(self.theme_f.as_ref());
        parts.extend(themes.map(|(t, tf)| (&t.tfidf, tf)));
        // One set of word ids for both: an item's words are looked up once.
        let mut index = match indexed {
            true => VocabIndex::joint(&parts),
            false => parts.iter().map(|p| VocabIndex::spelled(p.0)).collect(),
        }
        .into_iter();
        Vocabs {
            outcome: index.next().expect("the outcome model's"),
            themes: index.next(),
        }
    }

    fn score(
        &self,
        shared: &SharedFeaturizers<'_>,
        vocabs: &Vocabs<'_>,
        to_score: ItemToScore,
        top: usize,
    ) -> Scored {
        let kind = to_score.kind();
        let untitled = to_score.untitled_request();
        let ItemToScore {
            case_number,
            item,
            title,
            decision,
            text,
            ..
        } = to_score;
        let mut a = shared.analyse(&text);
        let terms = shared.known_terms(0, &mut a, &vocabs.outcome, top > 0);
        let theme_terms = self
            .model
            .themes
            .as_ref()
            .zip(vocabs.themes.as_ref())
            .map(|(tm, v)| (tm, shared.known_terms(1, &mut a, v, top > 0)));
        // Asked of requests alone: a decided letter's item is scored as its letter reads.
        let title_unknown = decision.is_none()
            && !untitled
            && self.title_unknown(&text.title, &terms.row)
            && !self.title_known_elsewhere(shared, vocabs, &text.title);
        let outcome = self.outcome(&text, (untitled, title_unknown), &terms, &a, top);
        let mut themes = theme_terms
            .map(|(tm, terms)| theme_scores(tm, &terms, decision, &a, top))
            .unwrap_or_default();
        if outcome.abstention.is_some() {
            // A text too thin or too foreign to score is no reading of themes either: their
            // models' baselines are not scores.
            themes.assigned.clear();
            themes.evidence.clear();
            themes.named.values_mut().for_each(|p| *p = None);
        }
        let (category_base_rate, drug_class_base_rate) = self.base_rates(kind.as_ref());
        let prediction = Prediction {
            case_number,
            item,
            title,
            category: kind.as_ref().map(|k| k.category),
            drug_class: kind.as_ref().and_then(|k| k.drug_class),
            treatment: kind.as_ref().map(|k| k.treatment.clone()),
            decision,
            p_overturned: outcome.score,
            p_low: outcome.interval.map(|i| i.0),
            p_high: outcome.interval.map(|i| i.1),
            predicted: outcome.score.map(|p| self.model.outcome.decide(p)),
            abstention: outcome.abstention.map(String::from),
            known_terms: outcome.known,
            category_base_rate,
            drug_class_base_rate,
            themes: themes.assigned,
            theme_scores: themes.named,
            theme_evidence: themes.evidence,
            top_overturned: outcome.top_overturned,
            top_upheld: outcome.top_upheld,
            check: None,
            similar: None,
        };
        Scored {
            prediction,
            p: outcome.p,
            theme_scores: themes.scores,
        }
    }

    /// The outcome model's reading of an item whose known terms are `terms`: its probability,
    /// whether it is a score, and the `top` terms pushing each way.
    fn outcome(
        &self,
        text: &ItemText,
        (untitled, title_unknown): (bool, bool),
        terms: &KnownTerms,
        a: &Analysis<'_>,
        top: usize,
    ) -> Outcome {
        let o = &self.model.outcome;
        let (idx, val) = o.tfidf.weigh_row(&terms.row);
        let margin = o.logistic.row_margin(&idx, &val);
        let p = o.proba(margin);
        let text_cols = || {
            idx.iter()
                .filter(|&&j| self.is_fact.as_ref().is_none_or(|f| !f[j as usize]))
        };
        let known = text_cols().count();
        // A word is a term of each field that holds it (a rationale's last sentence is also its
        // verdict): "too little text" counts it once. Only a short row can fall below the
        // setting, so only a short row is looked at.
        let distinct = if self.words_once && known < o.min_known_terms * NAMESPACES_A_WORD {
            let mut texts: Vec<&str> = text_cols()
                .map(|&j| o.tfidf.term(j as usize).text)
                .collect();
            texts.sort_unstable();
            texts.dedup();
            texts.len()
        } else {
            known
        };
        // Known terms that are all numbers or quantities ("1 2 3", "xyzzy #60") say nothing of a
        // treatment. Only a short row can be so, so only a short row is looked at.
        let wordless = known <= WORDLESS_LOOKED_AT
            && text_cols().all(|&j| {
                let term = o.tfidf.term(j as usize).text;
                !term.chars().any(char::is_alphabetic)
            });
        // The refits' range, for a model trained with them.
        let interval = o.bootstrap.as_ref().and_then(|_| {
            let cols = idx.iter().map(|&j| j as usize);
            let row: Vec<(usize, f64)> = cols.zip(val.iter().copied()).collect();
            o.interval(margin, &row)
        });
        // A request without a title has no title, whatever else it lacks; a text the model
        // cannot read says so before its title does.
        let abstention = if o.view == View::Case && untitled {
            Some(super::outcome::NO_TITLE)
        } else if !self.model.reads(text) {
            Some(super::outcome::NO_TEXT)
        } else {
            o.abstention(distinct, terms.words, terms.known_words)
                .or(wordless.then_some(super::outcome::UNFAMILIAR_WORDS))
                .or(title_unknown.then_some(super::outcome::UNKNOWN_TITLE))
        };
        let score = abstention.is_none().then_some(p);
        let (top_overturned, top_upheld) = if abstention.is_some() || top == 0 {
            // No score, so no terms behind one; or none asked for.
            Default::default()
        } else {
            let written = |j| written(a, terms, &idx, j);
            super::outcome::explain_row(&o.tfidf, &[&o.logistic], &idx, &val, written, (top, top))
                .pop()
                .expect("one model")
        };
        Outcome {
            p,
            score,
            interval: interval.filter(|_| score.is_some()),
            abstention,
            known,
            top_overturned,
            top_upheld,
        }
    }

    /// Whether a request's `title` is one of which neither the case model's title terms (its
    /// known terms `row`) nor the treatment rules know a word ("asdf qwer"): its number would be
    /// the summary's alone, not the request's. A title the rules read ("Flexeril 10mg", rarer
    /// than the vocabulary's floor) is scored.
    fn title_unknown(&self, title: &str, row: &[(u32, u32)]) -> bool {
        let o = &self.model.outcome;
        let cols = o.tfidf.namespace_cols(Namespace::Field(Field::Title));
        let a_title_word = |&(j, _): &(u32, u32)| {
            cols.contains(&j)
                && o.tfidf
                    .term(j as usize)
                    .text
                    .chars()
                    .any(char::is_alphabetic)
        };
        o.view == View::Case
            && !title.trim().is_empty()
            && !cols.is_empty()
            && !row.iter().any(a_title_word)
            && !crate::treatment::recognises(title)
    }

    /// Whether a word of `title` is a term of another of the model's fields (a summary's "EEG",
    /// "nursing"): a word the model reads, though never in a title.
    fn title_known_elsewhere(
        &self,
        shared: &SharedFeaturizers<'_>,
        vocabs: &Vocabs<'_>,
        title: &Arc<str>,
    ) -> bool {
        let probe = ItemText {
            summary: title.clone(),
            claims_guideline: title.clone(),
            guidelines: title.clone(),
            rationale: title.clone(),
            ..ItemText::default()
        };
        let mut a = shared.analyse(&probe);
        let terms = shared.known_terms(0, &mut a, &vocabs.outcome, false);
        let o = &self.model.outcome;
        terms.row.iter().any(|&(j, _)| {
            o.tfidf
                .term(j as usize)
                .text
                .chars()
                .any(char::is_alphabetic)
        })
    }

    /// How often training items of the item's category and drug class were overturned.
    fn base_rates(&self, kind: Option<&TreatmentKind>) -> (Option<BaseRate>, Option<BaseRate>) {
        let rates = self.model.base_rates.as_ref();
        (
            rates.zip(kind).and_then(|(r, k)| r.category(k.category)),
            rates
                .zip(kind.and_then(|k| k.drug_class))
                .and_then(|(r, d)| r.drug_class(d)),
        )
    }
}

/// The most namespaces one word can be a term of: one per text field and one for guideline
/// quotes of each, as [`Field`] lists them.
const NAMESPACES_A_WORD: usize = 2 * Field::ALL.len();

/// The most known terms a row may have and be looked at for a word among them: a text with
/// more has words.
const WORDLESS_LOOKED_AT: usize = 32;

/// The outcome model's reading of one item ([`Scorer::outcome`]).
struct Outcome {
    /// P(Overturned), a score or not.
    p: f64,
    /// P(Overturned) where the item is scored.
    score: Option<f64>,
    interval: Option<(f64, f64)>,
    abstention: Option<&'static str>,
    known: usize,
    top_overturned: Vec<TermWeight>,
    top_upheld: Vec<TermWeight>,
}

/// The theme models' reading of one item ([`theme_scores`]); empty without theme models.
#[derive(Default)]
struct Themes {
    assigned: Vec<String>,
    /// Each fitted theme's probability, in the models' order.
    scores: Vec<f64>,
    /// The same, by theme id.
    named: BTreeMap<String, Option<f64>>,
    evidence: BTreeMap<String, Vec<TermWeight>>,
}

/// Every theme's probability for an item whose known terms are `terms`, the themes assigned, and
/// for each of them the `top` terms pushing towards it.
fn theme_scores(
    tm: &ThemeModels,
    terms: &KnownTerms,
    decision: Option<Decision>,
    a: &Analysis<'_>,
    top: usize,
) -> Themes {
    let (idx, val) = tm.tfidf.weigh_row(&terms.row);
    let scores: Vec<f64> = tm
        .themes
        .iter()
        .map(|t| super::logistic::sigmoid(t.logistic.row_margin(&idx, &val)))
        .collect();
    // Without a known term, the theme models' scores are their baselines alone: no theme is
    // read in such a text.
    let assigned = if idx.is_empty() {
        Vec::new()
    } else {
        tm.assign_for(&scores, decision)
    };
    let evidence = if top == 0 {
        // The assigned themes, each with no term.
        assigned.iter().map(|t| (t.clone(), Vec::new())).collect()
    } else {
        let written = |j| written(a, terms, &idx, j);
        tm.evidence_row(&assigned, &idx, &val, written, top)
    };
    let named = tm
        .themes
        .iter()
        .map(|t| t.id.clone())
        .zip(scores.iter().copied().map(Some))
        .collect();
    Themes {
        assigned,
        scores,
        named,
        evidence,
    }
}

/// How the text has the term of column `j` of a row (`idx`, its columns): the words of its first
/// occurrence.
fn written(a: &Analysis<'_>, terms: &KnownTerms, idx: &[u32], j: usize) -> String {
    let at = idx.binary_search(&(j as u32)).expect("a column of the row");
    let (field, span) = &terms.first[at];
    a.text(*field)[span.clone()].to_string()
}

/// Words of a rationale that drove a score, where they stand in it: for the page that shows the
/// rationale with them marked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Highlight {
    /// Byte offsets into the rationale, as written.
    pub from: usize,
    pub to: usize,
    /// What the words push towards: `Overturned`, `Upheld`, or a theme's id.
    pub toward: String,
    /// Their contribution to the log-odds of Overturned, or of the theme (coefficient x tf-idf):
    /// negative towards Upheld.
    pub weight: f64,
    /// The model's term (field-prefixed, stemmed).
    pub term: String,
}

impl<'m> Scorer<'m> {
    /// Where the terms of `p`'s explanations (its top terms each way and its themes' evidence)
    /// occur in `text`'s rationale, strongest first where they overlap, in rationale order. `p` is
    /// this scorer's prediction of `text`.
    pub fn highlights(&self, text: &ItemText, p: &Prediction) -> Vec<Highlight> {
        let mut wanted: Vec<(usize, &str, String, f64)> = Vec::new();
        let outcome = [
            (&p.top_overturned, Decision::Overturned),
            (&p.top_upheld, Decision::Upheld),
        ];
        for (terms, d) in outcome {
            for t in terms {
                wanted.push((0, &t.term, d.to_string(), t.weight));
            }
        }
        for (theme, terms) in &p.theme_evidence {
            for t in terms {
                wanted.push((1, &t.term, theme.clone(), t.weight));
            }
        }
        let spans = [
            Some(self.f.term_spans(text)),
            self.theme_f.as_ref().map(|f| f.term_spans(text)),
        ];
        let mut found: Vec<Highlight> = Vec::new();
        for (which, term, toward, weight) in wanted {
            for s in spans[which].iter().flatten().filter(|s| s.term == term) {
                if let Some(r) = s.field.rationale_span(text, s.span.clone()) {
                    found.push(Highlight {
                        from: r.start,
                        to: r.end,
                        toward: toward.clone(),
                        weight,
                        term: term.to_string(),
                    });
                }
            }
        }
        // The strongest of overlapping words is shown; ties go to the earlier term listed.
        found.sort_by(|a, b| b.weight.abs().total_cmp(&a.weight.abs()));
        // Shown spans by their start: they never overlap, so the one starting last before a
        // span's end is the only one that can overlap it (a look each, however long the text).
        let mut shown: std::collections::BTreeMap<usize, Highlight> = Default::default();
        for h in found {
            let overlaps = shown
                .range(..h.to)
                .next_back()
                .is_some_and(|(_, s)| h.from < s.to);
            if !overlaps {
                shown.insert(h.from, h);
            }
        }
        shown.into_values().collect()
    }
}

/// A past decision like the item: who decided what, when, how alike, and the sentence that said
/// why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Similar {
    pub case_number: String,
    pub item: usize,
    pub title: String,
    pub category: Category,
    pub decision: Decision,
    pub decision_date: Option<crate::letter::Date>,
    pub similarity: f32,
    /// Of the request's own category (whose precedents rank higher).
    pub same_kind: bool,
    pub reason: Option<String>,
}

/// A past decision less alike than this is not shown as like a request: it shares a number or a
/// common word ("#60", "consult") and nothing of the request.
pub const MIN_SIMILARITY: f32 = 0.05;

impl ModelFile {
    /// The `k` training items most like `doc` (of category `category`, boosted), none of letter
    /// `exclude`, none less alike than [`MIN_SIMILARITY`]; empty when the file keeps no
    /// precedents.
    pub fn similar(
        &self,
        doc: &ItemText,
        category: Option<Category>,
        k: usize,
        exclude: Option<&str>,
    ) -> Vec<Similar> {
        let Some(index) = &self.precedents else {
            return Vec::new();
        };
        // More are asked for than are shown: the category's boost may rank likenesses below the
        // floor among the first k, and those after them take their places.
        index
            .query(doc, category, k.saturating_mul(4), exclude)
            .into_iter()
            .filter(|n| n.similarity >= MIN_SIMILARITY)
            .take(k)
            .map(|n| {
                let p = n.precedent;
                Similar {
                    case_number: p.case_number.clone(),
                    item: p.item,
                    title: p.title.clone(),
                    category: p.category,
                    decision: p.decision,
                    decision_date: p.decision_date,
                    similarity: n.similarity,
                    same_kind: Some(p.category) == category,
                    reason: p.reason.clone(),
                }
            })
            .collect()
    }
}

/// Scores are probabilities before they reach an output: a model whose numbers overflow (a NaN
/// margin from infinities of both signs) is an error naming the item, not a NaN in a report.
/// `label(i)` names item i.
pub(crate) fn check_scores(
    what: &str,
    scores: &[f64],
    label: impl Fn(usize) -> String,
) -> Result<()> {
    match scores.iter().position(|p| !(0.0..=1.0).contains(p)) {
        Some(i) => Err(crate::Error::NotAScore {
            item: label(i),
            what: what.into(),
            value: scores[i],
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words behind a score are found in the rationale, apart, at the words as written.
    #[test]
    fn highlights_point_at_the_words_that_drove_the_score() {
        let m = ModelFile::builtin().unwrap();
        let scorer = m.scorer().unwrap();
        let text = "There is no documentation of objective functional improvement with prior \
                    physical therapy. The request is not medically necessary.";
        let item = ItemToScore::from_rationale(text, 1);
        let doc = item.text.clone();
        let p = scorer.predict(vec![item], 5).unwrap().remove(0);
        let h = scorer.highlights(&doc, &p);
        assert!(!h.is_empty());
        assert!(h.iter().any(|h| h.toward == "Upheld"));
        for (a, b) in h.iter().zip(h.iter().skip(1)) {
            assert!(a.to <= b.from, "{a:?} overlaps {b:?}");
        }
        for h in &h {
            let words = &text[h.from..h.to];
            assert!(words.chars().next().unwrap().is_alphanumeric(), "{words:?}");
            let named = p.top_overturned.iter().chain(&p.top_upheld);
            let evidence = p.theme_evidence.values().flatten();
            assert!(named.chain(evidence).any(|t| t.term == h.term), "{h:?}");
        }
    }

    /// A model changed in memory (its fields are public) so that it cannot score is an error
    /// naming the field, in scoring and in saving: no panic, no file that does not load.
    #[test]
    fn a_broken_model_is_an_error_not_a_panic() {
        let mut m = ModelFile::builtin().unwrap();
        m.outcome.logistic.coefficients.truncate(1);
        let item = ItemToScore::from_rationale("The request is not medically necessary.", 1);
        let e = m.predict(vec![item.clone()], 3).unwrap_err().to_string();
        assert!(e.contains("outcome.logistic"), "{e}");
        let e = m
            .outcome
            .predict_proba(std::slice::from_ref(&item.text))
            .unwrap_err()
            .to_string();
        assert!(e.contains("weights for its vocabulary"), "{e}");
        let mut themed = ModelFile::builtin().unwrap();
        let first = &mut themed.themes.as_mut().unwrap().themes[0];
        first.logistic.coefficients.pop();
        let e = themed
            .predict(vec![item.clone()], 3)
            .unwrap_err()
            .to_string();
        assert!(e.contains("themes.themes[0].logistic.coefficients"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let e = m.save(&path).unwrap_err().to_string();
        assert!(e.contains("outcome.logistic"), "{e}");
        assert!(!path.exists());
        // A setting a model file may not hold is refused before training, not at the next load.
        let p = crate::model::OutcomeParams::new(View::Rationale).min_known_terms(20_000);
        assert!(linfa::ParamGuard::check(p).is_err());
    }

    /// In a long rationale, the shown words are those the plain rule picks (the strongest first,
    /// each unless it overlaps one already shown), found without comparing each with every other.
    #[test]
    fn highlights_of_a_long_rationale_are_the_plain_rules() {
        let m = ModelFile::builtin().unwrap();
        let scorer = m.scorer().unwrap();
        let text = "No documentation of functional improvement with physical therapy. ".repeat(300)
            + "The request is not medically necessary.";
        let item = ItemToScore::from_rationale(&text, 1);
        let doc = item.text.clone();
        let p = scorer.predict(vec![item], 8).unwrap().remove(0);
        let shown = scorer.highlights(&doc, &p);
        assert!(shown.len() >= 300, "{}", shown.len());
        for (a, b) in shown.iter().zip(shown.iter().skip(1)) {
            assert!(a.to <= b.from, "{a:?} overlaps {b:?}");
        }
        let spans = scorer.f.term_spans(&doc);
        let named: Vec<&str> = p
            .top_overturned
            .iter()
            .chain(&p.top_upheld)
            .map(|t| t.term.as_str())
            .collect();
        // Each occurrence of a named term is shown or overlaps a word shown at least as strong.
        for s in spans.iter().filter(|s| named.contains(&s.term.as_str())) {
            let Some(r) = s.field.rationale_span(&doc, s.span.clone()) else {
                continue;
            };
            let w = p
                .top_overturned
                .iter()
                .chain(&p.top_upheld)
                .find(|t| t.term == s.term)
                .unwrap()
                .weight
                .abs();
            assert!(
                shown
                    .iter()
                    .any(|h| h.from < r.end && r.start < h.to && h.weight.abs() >= w),
                "{:?} at {r:?} is neither shown nor under a stronger word",
                s.term
            );
        }
    }

    /// The built-in model scores like its parts, and a rationale alone is read by the rationale
    /// view.
    #[test]
    fn predictions_are_the_models_scores_with_their_evidence() {
        let m = ModelFile::builtin().unwrap();
        let texts = [
            "MTUS recommends physical therapy. There is no documentation of objective functional improvement with the prior 12 sessions. The request is not medically necessary.",
            "The patient has radicular findings on exam and failed conservative care; an epidural injection is recommended. The request is medically necessary.",
        ];
        let items: Vec<ItemToScore> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| ItemToScore::from_rationale(t, i + 1))
            .collect();
        assert!(items.iter().all(|it| m.reads(&it.text)));
        let docs: Vec<ItemText> = items.iter().map(|it| it.text.clone()).collect();
        let preds = m.predict(items, 3).unwrap();
        let p = m.outcome.predict_proba(&docs).unwrap();
        let tm = m.themes.as_ref().unwrap();
        let scores = tm.predict_proba(&docs).unwrap();
        for (i, pr) in preds.iter().enumerate() {
            assert_eq!((pr.item, pr.p_overturned), (i + 1, Some(p[i])));
            assert_eq!(
                pr.predicted == Some(Decision::Overturned),
                p[i] >= m.outcome.threshold
            );
            assert_eq!(pr.themes, tm.assign_for(&scores[i], None));
            assert_eq!(pr.theme_scores.len(), tm.themes.len());
            assert_eq!(pr.theme_evidence.keys().cloned().collect::<Vec<_>>(), {
                let mut t = pr.themes.clone();
                t.sort();
                t
            });
            assert!(pr.top_overturned.len() <= 3 && pr.top_upheld.len() <= 3);
        }
        assert_eq!(preds[0].predicted, Some(Decision::Upheld));
        assert_eq!(preds[1].predicted, Some(Decision::Overturned));
        assert!(
            preds[0]
                .themes
                .contains(&"no_functional_benefit".to_string()),
            "{:?}",
            preds[0].themes
        );
        assert!(
            preds.iter().all(|p| p.known_terms >= 5),
            "{:?}",
            preds.iter().map(|p| p.known_terms).collect::<Vec<_>>()
        );
        // Text with no term the model knows, one known word, nothing to read, one word that is a
        // term of two fields (the rationale and its verdict): no score, and why; never the
        // intercept presented as one.
        let texts = [
            "Zxqv wqplk, 123-456!",
            "Zxqv documentation",
            "",
            "necessary",
        ];
        let odd = m
            .predict(
                texts
                    .iter()
                    .zip(1..)
                    .map(|(t, i)| ItemToScore::from_rationale(t, i))
                    .collect(),
                3,
            )
            .unwrap();
        let reasons: Vec<_> = odd.iter().map(|p| p.abstention.as_deref()).collect();
        assert_eq!(
            reasons,
            [
                Some("no known terms"),
                Some("too little text"),
                Some("no text"),
                Some("too little text")
            ]
        );
        assert_eq!(
            odd.iter().map(|p| p.known_terms).collect::<Vec<_>>(),
            [0, 1, 0, 2]
        );
        for p in &odd {
            assert_eq!((p.p_overturned, p.predicted, p.p_low), (None, None, None));
            assert!(p.top_overturned.is_empty() && p.top_upheld.is_empty());
        }
        // A title alone is nothing the rationale view reads.
        let title_only = ItemText::from_parts("Physical therapy x 12", "", None, None, None);
        assert!(!m.reads(&title_only));
    }

    /// Coefficients of infinities of both signs give a NaN margin: an error that names the item,
    /// not a NaN score (a model built in code, which no file check sees).
    #[test]
    fn a_score_that_is_not_a_number_is_an_error() {
        let mut m = ModelFile::builtin().unwrap();
        let text = "There is no documentation of functional improvement. The request is not medically necessary.";
        let doc = ItemText::from_rationale(text);
        let f = m.outcome.featurizer().unwrap();
        let mut cols: Vec<usize> = f
            .terms(&doc)
            .iter()
            .filter_map(|t| m.outcome.tfidf.column(t))
            .collect();
        cols.sort_unstable();
        cols.dedup();
        let w = &mut m.outcome.logistic.coefficients;
        (w[cols[0]], w[cols[1]]) = (f64::INFINITY, f64::NEG_INFINITY);
        let item = ItemToScore {
            case_number: Some("CM1".into()),
            ..ItemToScore::from_rationale(text, 2)
        };
        let e = m.predict(vec![item], 3).unwrap_err();
        assert!(matches!(e, crate::Error::NotAScore { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("case CM1, item 2: P(Overturned) is NaN"),
            "{e}"
        );
        let e = m.outcome.predict_proba(&[doc]).unwrap_err();
        assert!(matches!(e, crate::Error::NotAScore { .. }), "{e}");
        assert!(
            e.to_string().starts_with("item 1: P(Overturned) is NaN"),
            "{e}"
        );
    }

    /// An item's prediction depends on it alone, not on the batch it is scored in: `imr predict`
    /// scores its input in chunks.
    #[test]
    fn predictions_do_not_depend_on_the_batch() {
        let m = ModelFile::builtin().unwrap();
        let dir = std::path::PathBuf::from(concat!(env!("IMR_ROOT"), "/data/letters"));
        let letters: Vec<_> =
            crate::parse::read_letters(&crate::parse::discover(&[dir]).unwrap(), || {})
                .into_iter()
                .map(|l| l.unwrap())
                .collect();
        let items = || {
            letters
                .iter()
                .flat_map(|l| l.items.iter().map(move |it| ItemToScore::from_item(l, it)))
                .collect::<Vec<_>>()
        };
        let whole = m.predict(items(), 5).unwrap();
        assert_eq!(whole.len(), 12);
        let mut parts = items();
        let rest = parts.split_off(5);
        let mut chunked = m.predict(parts, 5).unwrap();
        chunked.extend(
            rest.into_iter()
                .flat_map(|it| m.predict(vec![it], 5).unwrap()),
        );
        assert_eq!(chunked, whole);
    }
}

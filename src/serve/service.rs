//! What each page shows and each API endpoint answers, made once for both: the API serialises
//! these types, the pages render them.

use super::params::{ForecastRequest, ItemQuery, ScoreRequest};
use super::{Limits, ServeError};
use crate::features::ItemText;
use crate::model::{Highlight, ItemToScore, ModelFile, Prediction, Scorer, Similar, View};
use crate::parse::Reader;
use crate::store::{Hit, Matches, Naming, Sort, StatsKey, StatsRow, Store};
use crate::Letter;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

type Result<T, E = ServeError> = std::result::Result<T, E>;

/// The server's state: the database (a few read-only connections, reused), the models, the
/// reader for uploads, the limits.
pub struct App {
    db: PathBuf,
    stores: Mutex<Vec<Store>>,
    permits: Arc<tokio::sync::Semaphore>,
    scorer: Scorer<'static>,
    model_name: String,
    case_scorer: Scorer<'static>,
    case_model_name: String,
    reader: Reader,
    limits: Limits,
    about: About,
    /// Whether the log said the database's file was replaced.
    replaced_said: std::sync::atomic::AtomicBool,
    /// Connections to a file since replaced, kept open ([`App::set_aside`]).
    stale: Mutex<Vec<Store>>,
}

/// What the server serves (`GET /api/about`).
#[derive(Debug, Clone, Serialize)]
pub struct About {
    pub imr_version: &'static str,
    /// The database file's own version (`PRAGMA user_version`, docs/database.md); the answer's
    /// `schema_version` is that of its fields (docs/schema.md).
    pub database_version: i64,
    pub letters: usize,
    pub items: usize,
    /// The model that scores letters and rationales.
    pub model: String,
    /// The case-view model that forecasts requests.
    pub forecast_model: String,
    /// Past decisions the similar-decision search looks among (the database's items).
    pub precedents: usize,
}

/// How an [`App`] is made.
pub struct AppConfig {
    pub db: PathBuf,
    /// The model that scores letters and pasted rationales, and its name in outputs.
    pub model: (ModelFile, String),
    /// The case-view model that forecasts requests, and its name.
    pub forecast_model: (ModelFile, String),
    /// Reads uploaded letters (PDFs in isolated workers, as `imr parse` does).
    pub reader: Reader,
    pub limits: Limits,
}

/// A model kept for the life of the process: the scorers borrow it.
fn keep(model: ModelFile) -> &'static ModelFile {
    Box::leak(Box::new(model))
}

impl App {
    /// Opens the database (read-only) and indexes its items as precedents for the forecast model.
    pub fn new(config: AppConfig) -> crate::Result<App> {
        App::new_reporting(config, &mut |_, _| {})
    }

    /// [`App::new`], telling `progress` (letters read, of how many) as the database's items are
    /// read to be indexed as precedents.
    pub fn new_reporting(
        config: AppConfig,
        progress: &mut dyn FnMut(usize, usize),
    ) -> crate::Result<App> {
        let AppConfig {
            db,
            model,
            forecast_model,
            reader,
            limits,
        } = config;
        let store = Store::open_read_only(&db)?;
        let (mut case_model, case_model_name) = forecast_model;
        if case_model.outcome.view != View::Case {
            return Err(crate::Error::WrongView {
                model: case_model_name,
                view: case_model.outcome.view.name(),
                needed: View::Case.name(),
                purpose: "a forecast",
            });
        }
        let case_model_name = shown_model(case_model_name);
        let (letters, items) = store.counts()?;
        // A database without items (nothing indexed yet, or every file failed) is served empty:
        // forecasts then draw on the case model's own training items.
        if items > 0 {
            case_model.precedents = Some(store.precedent_index_reporting(progress)?);
        }
        let about = About {
            imr_version: env!("CARGO_PKG_VERSION"),
            database_version: store.schema_version()?,
            letters,
            items,
            model: shown_model(model.1.clone()),
            forecast_model: case_model_name.clone(),
            precedents: case_model.precedents.as_ref().map_or(0, |p| p.len()),
        };
        let (model, model_name) = model;
        let model_name = shown_model(model_name);
        Ok(App {
            db,
            stores: Mutex::new(vec![store]),
            permits: Arc::new(tokio::sync::Semaphore::new(limits.workers.max(1))),
            scorer: keep(model).scorer()?,
            model_name,
            case_scorer: keep(case_model).scorer()?,
            case_model_name,
            reader,
            limits,
            about,
            replaced_said: Default::default(),
            stale: Default::default(),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn about(&self) -> &About {
        &self.about
    }

    /// Runs `f` on a blocking thread, when one of [`Limits::workers`] is free. The permit goes
    /// with the work: a request that times out frees its place only when its work ends. A request
    /// given up (its client gone, or timed out) stops a PDF being read for it at once, rather
    /// than at `--pdf-timeout`, so that it does not hold its place that long.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&App) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        /// Set when the request's future is dropped: done, or given up.
        struct GivenUp(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for GivenUp {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| ServeError::Unavailable("the server is stopping".into()))?;
        let app = Arc::clone(self);
        let given_up = GivenUp(Arc::default());
        let cancelled = Arc::clone(&given_up.0);
        let out = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            crate::parse::cancel_on(cancelled, || f(&app))
        })
        .await?;
        drop(given_up);
        out
    }

    /// `f` with a read-only connection of the pool (opened when none is free). Where the
    /// database's file was replaced (deleted and indexed again, or another moved onto its name),
    /// the connections to the old one are set aside ([`App::set_aside`]) and the new one opened.
    fn with_store<T>(&self, f: impl FnOnce(&Store) -> crate::Result<T>) -> Result<T> {
        let store = self.stores.lock().map(|mut s| s.pop()).unwrap_or(None);
        let store = match store {
            Some(s) if s.is_replaced() => {
                self.set_aside(s);
                let store = Store::open_read_only(&self.db)?;
                self.say_replaced();
                store
            }
            Some(s) => s,
            None => Store::open_read_only(&self.db)?,
        };
        let out = f(&store);
        if let Ok(mut pool) = self.stores.lock() {
            if pool.len() < self.limits.workers {
                pool.push(store);
            }
        }
        Ok(out?)
    }
}

impl App {
    /// Sets `stale` and the pool's other connections to the file it held aside, never to be
    /// closed: the old and the new file share the `-shm` file beside the path, and closing one
    /// of its handles would drop this process's locks on it, those of connections to the new
    /// file reading at the time among them. (The old file's space is freed when the server
    /// ends.) The pool's connections to the new file stay in it.
    fn set_aside(&self, stale: Store) {
        let Ok(mut pool) = self.stores.lock() else {
            return;
        };
        let (old, new): (Vec<Store>, Vec<Store>) = std::mem::take(&mut *pool)
            .into_iter()
            .partition(Store::is_replaced);
        *pool = new;
        if let Ok(mut aside) = self.stale.lock() {
            aside.push(stale);
            aside.extend(old);
        }
    }

    /// Says once that the database's file was replaced.
    fn say_replaced(&self) {
        if !self
            .replaced_said
            .swap(true, std::sync::atomic::Ordering::Relaxed)
        {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "imr serve: note: {}: the file was replaced; its new contents are served (the \
                 forecast's precedents and /api/about are as they were at the start)",
                self.db.display()
            );
        }
    }
}

/// One page of a search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// All the items that match, and how many of them were overturned.
    pub matches: Matches,
    /// Their overturn rate (none without a match).
    pub overturn_rate: Option<f64>,
    pub limit: usize,
    pub offset: usize,
    pub hits: Vec<Hit>,
    /// Why a theme filter or the order by P(Overturned) has nothing to work on: a database indexed
    /// without a model has no themes or scores.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A model's name as the web shows it: a built-in model's short name, a file's name without the
/// server's directories.
fn shown_model(name: String) -> String {
    // A built-in model's short name has no directories to drop.
    Naming::FileNames
        .name(crate::model::output_name(&name))
        .into_owned()
}

/// A source path as the web shows it: the file's name, not the server's directories.
fn file_name(source: &str) -> String {
    Path::new(source)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The names the web gives the files of one case number's letters: each file's name, with as many
/// of its directories before it as tell it from the others (two folders of downloads hold
/// `a/CM16-0213037.pdf` and `b/CM16-0213037.pdf`), so that `?file=NAME` finds each.
fn web_names(sources: &[&str]) -> Vec<String> {
    let parts: Vec<Vec<String>> = sources
        .iter()
        .map(|s| {
            // The names of folders and file, not the root: a name never starts with "/".
            let mut p: Vec<String> = Path::new(s)
                .components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(n) => Some(n.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            p.reverse();
            p
        })
        .collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let k = (1..=p.len())
                .find(|&k| {
                    let mine = Some(&p[..k]);
                    parts
                        .iter()
                        .enumerate()
                        .all(|(j, q)| j == i || q.get(..k) != mine)
                })
                .unwrap_or(p.len());
            let mut name = p[..k].to_vec();
            name.reverse();
            name.join("/")
        })
        .collect()
}

/// The letters of `case` (id, source), each with the name the web gives its file
/// ([`web_names`]).
fn named_letters(s: &Store, case: &str) -> crate::Result<Vec<(i64, String, String)>> {
    let found = s.letters_by_case(case)?;
    let sources: Vec<&str> = found.iter().map(|(_, s)| s.as_str()).collect();
    let names = web_names(&sources);
    Ok(found
        .into_iter()
        .zip(names)
        .map(|((id, source), name)| (id, source, name))
        .collect())
}

/// Each hit's source as the web names it ([`named_letters`]), its case's letters read once.
fn name_sources(s: &Store, hits: &mut [Hit]) -> crate::Result<()> {
    let mut names: HashMap<String, HashMap<String, String>> = HashMap::new();
    for h in hits {
        if !names.contains_key(&h.case_number) {
            let named = named_letters(s, &h.case_number)?;
            let by_source = named.into_iter().map(|(_, source, name)| (source, name));
            names.insert(h.case_number.clone(), by_source.collect());
        }
        h.source = match names[&h.case_number].get(&h.source) {
            Some(name) => name.clone(),
            None => file_name(&h.source),
        };
    }
    Ok(())
}

impl App {
    pub fn search(&self, q: &ItemQuery) -> Result<SearchResult> {
        let search = q.search(self.limits.page)?;
        let needs_model = search.filters.theme.is_some() || search.sort == Sort::Overturned;
        let db = self.db.to_string_lossy();
        // The count and the page of one state of the database, though an index run writes.
        let (matches, hits, note) = self.with_store(|s| {
            s.reading(|s| {
                let note = match needs_model {
                    true => {
                        s.scores_note(&db, search.filters.theme.is_some(), Naming::FileNames)?
                    }
                    false => None,
                };
                let matches = s.matches(&search.filters)?;
                let mut hits = s.search(&search)?;
                name_sources(s, &mut hits)?;
                Ok((matches, hits, note))
            })
        })?;
        Ok(SearchResult {
            note,
            overturn_rate: (matches.items > 0)
                .then(|| matches.overturned as f64 / matches.items as f64),
            matches,
            limit: search.limit,
            offset: search.offset,
            hits,
        })
    }
}

/// A letter with each item's scores, the words behind them, and the past decisions most like it.
#[derive(Debug, Clone, Serialize)]
pub struct LetterView {
    /// The letter as `imr parse --json` gives it (its source: the file's name).
    pub letter: Letter,
    /// The model that scored the items.
    pub model: String,
    pub items: Vec<ItemView>,
    /// The other files that hold the same case number, by name (`?file=NAME` shows each).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_in: Vec<String>,
}

/// One item's scores, highlights and similar past decisions.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub item: usize,
    pub scores: Prediction,
    /// Where the words behind the scores stand in the item's rationale.
    pub highlights: Vec<Highlight>,
    /// The past decisions most like this request (by its title and the clinical summary), other
    /// letters' only.
    pub similar: Vec<Similar>,
}

/// The longest upload name taken, in bytes (a file name's limit on common file systems).
const MAX_NAME: usize = 255;

/// Terms each way a page shows, and the past decisions beside each item.
const TOP: usize = 8;
const SIMILAR: usize = 5;

impl App {
    /// The letter of `case`; where files share the case number, the one named `file` (the
    /// first indexed without one), with the others' names.
    pub fn letter(&self, case: &str, file: Option<&str>) -> Result<LetterView> {
        let (letter, name, also_in) = self.with_store(|s| {
            let found = named_letters(s, case)?;
            let at = match file {
                // The web's name, or the file's own where one file has it; where several have
                // it, their web names are given back to choose from.
                Some(f) => match found.iter().position(|(_, _, name)| name == f) {
                    Some(at) => Some(at),
                    None => {
                        let same: Vec<usize> = (0..found.len())
                            .filter(|&i| file_name(&found[i].1) == f)
                            .collect();
                        if same.len() > 1 {
                            let names = same.iter().map(|&i| found[i].2.clone()).collect();
                            return Ok((None, String::new(), names));
                        }
                        same.first().copied()
                    }
                },
                None => (!found.is_empty()).then_some(0),
            };
            let Some(at) = at else {
                return Ok((None, String::new(), Vec::new()));
            };
            let others = found
                .iter()
                .enumerate()
                .filter(|&(i, _)| i != at)
                .map(|(_, (_, _, name))| name.clone())
                .collect();
            let (id, _, name) = &found[at];
            Ok((Some(s.letter(*id)?.0), name.clone(), others))
        })?;
        if letter.is_none() && !also_in.is_empty() {
            return Err(ServeError::BadRequest(format!(
                "file: {:?} names {} files of case {case:?}: {}; give one of these",
                file.unwrap_or_default(),
                also_in.len(),
                also_in.join(", ")
            )));
        }
        let letter = letter.ok_or_else(|| {
            ServeError::NotFound(match file {
                Some(f) => format!("no letter with case number {case:?} in a file named {f:?}"),
                None => format!("no letter with case number {case:?}"),
            })
        })?;
        let mut view = self.view_of(letter)?;
        view.letter.header.source = name;
        view.also_in = also_in;
        Ok(view)
    }

    /// Scores every item of `letter` and finds its precedents.
    fn view_of(&self, mut letter: Letter) -> Result<LetterView> {
        letter.header.source = file_name(&letter.header.source);
        let to_score: Vec<ItemToScore> = letter
            .items
            .iter()
            .map(|it| ItemToScore::from_item(&letter, it))
            .collect();
        let texts: Vec<ItemText> = to_score.iter().map(|t| t.text.clone()).collect();
        let scores = self.scorer.predict(to_score, TOP)?;
        let items = scores
            .into_iter()
            .zip(&texts)
            .zip(&letter.items)
            .map(|((scores, text), it)| ItemView {
                item: it.number,
                highlights: self.scorer.highlights(text, &scores),
                similar: self.case_scorer.model().similar(
                    text,
                    Some(it.kind.category),
                    SIMILAR,
                    Some(&letter.header.case_number),
                ),
                scores,
            })
            .collect();
        Ok(LetterView {
            letter,
            model: self.model_name.clone(),
            items,
            also_in: Vec::new(),
        })
    }

    /// The items of an uploaded letter (PDF or text), read as `imr parse` reads a file: a PDF in
    /// an isolated worker, within the size limit. `name` is the client's name for it (messages
    /// only: nothing is written under it).
    pub fn upload(&self, bytes: &[u8], name: &str) -> Result<LetterView> {
        if bytes.len() > self.limits.upload {
            return Err(ServeError::TooLarge {
                size: bytes.len(),
                limit: self.limits.upload,
            });
        }
        // The client's name for its file, which may be a path of its own system (a Windows one
        // from some browsers): its last part.
        let name = name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        // A file name has no control characters (a NUL or a line break would reach the case
        // number and the messages) and is no longer than file systems allow.
        if name.chars().any(char::is_control) {
            return Err(ServeError::BadRequest(
                "name: holds a control character; give the file's name".into(),
            ));
        }
        if name.len() > MAX_NAME {
            return Err(ServeError::BadRequest(format!(
                "name: {} bytes; the most is {MAX_NAME}",
                name.len()
            )));
        }
        // No name, or one that names no file ("..", "."): named by what the bytes are.
        let name = if name.trim_matches('.').is_empty() {
            match crate::parse::looks_like_pdf(bytes) {
                true => "upload.pdf".to_string(),
                false => "upload.txt".to_string(),
            }
        } else {
            name
        };
        let letter = self.reader.parse_bytes(bytes, Path::new(&name))?;
        self.view_of(letter)
    }
}

/// Counts by one or two keys.
#[derive(Debug, Clone, Serialize)]
pub struct StatsResult {
    /// The keys' column names, in the rows' order.
    pub by: Vec<&'static str>,
    pub matches: Matches,
    /// One object per group: each key's column with its value, then items, share, overturned,
    /// rate, rate_low, rate_high (as `imr stats --json`).
    pub rows: Vec<crate::store::StatsJson>,
    /// Counts by theme, or of a theme: which items have no scores (and so no themes), or why none
    /// has a theme; null otherwise.
    pub note: Option<String>,
    #[serde(skip)]
    pub keys: Vec<StatsKey>,
    #[serde(skip)]
    pub raw: Vec<StatsRow>,
}

impl App {
    pub fn stats(&self, q: &ItemQuery) -> Result<StatsResult> {
        let (keys, filters) = q.stats()?;
        let db = self.db.to_string_lossy();
        let themes = keys.contains(&StatsKey::Theme) || filters.theme.is_some();
        let (matches, raw, note) = self.with_store(|s| {
            let (matches, raw) = (s.matches(&filters)?, s.stats(&keys, &filters)?);
            let note = match themes {
                true => s.scores_note(&db, true, Naming::FileNames)?,
                false => None,
            };
            Ok((matches, raw, note))
        })?;
        Ok(StatsResult {
            by: keys.iter().map(|k| k.column()).collect(),
            matches,
            rows: raw.iter().map(|r| r.to_json(&keys)).collect(),
            note,
            keys,
            raw,
        })
    }

    /// The chart of a count by its first key (SVG): the overturn rate of each group with its
    /// interval, or for a time key the volume of decisions; a line saying so when no group has
    /// a value.
    pub fn chart(&self, q: &ItemQuery) -> Result<String> {
        let (keys, filters) = q.stats()?;
        let key = keys[0];
        let rows = self.with_store(|s| s.stats(&[key], &filters))?;
        let groups: Vec<crate::report::Group> = rows.iter().map(Into::into).collect();
        let svg = crate::report::group_plot_svg(key.column(), key.is_time(), &groups)?;
        Ok(svg.unwrap_or_else(|| no_chart(key)))
    }
}

/// The chart of no group: a line of text (the key's fixed name only).
fn no_chart(key: StatsKey) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"60\">\
         <text x=\"20\" y=\"35\" font-family=\"sans-serif\" font-size=\"15\" fill=\"#5b6472\">\
         No matching item has a {} to chart.</text></svg>",
        key.column()
    )
}

/// A forecast of a request, with the past decisions most like it.
#[derive(Debug, Clone, Serialize)]
pub struct ForecastView {
    /// The case-view model that made it.
    pub model: String,
    /// P(Overturned), its 90% range, the base rate of the request's kind, the terms each way, the
    /// past decisions (`similar`).
    pub forecast: Prediction,
    /// The facts given that the model does not read (it was trained without them), said rather
    /// than left out without a word; null when it read all it was given.
    pub note: Option<String>,
}

/// A pasted rationale's scores, with the words behind them.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreView {
    pub model: String,
    pub rationale: String,
    pub scores: Prediction,
    pub highlights: Vec<Highlight>,
}

impl App {
    /// Whether the forecast model reads the structured facts a request may give.
    pub fn forecast_reads_facts(&self) -> bool {
        self.case_scorer.model().reads_facts()
    }

    pub fn forecast(&self, r: &ForecastRequest) -> Result<ForecastView> {
        let r = r.checked()?;
        let unread = self.case_scorer.model().unread_facts(&r.facts);
        let (text, kind) = crate::model::request_text(
            &r.title,
            "",
            r.guideline.as_deref(),
            None,
            r.summary.as_deref(),
            r.facts,
        );
        let item = ItemToScore {
            case_number: r.case_number.clone(),
            item: r.item,
            title: Some(r.title.clone()),
            decision: None,
            kind: kind.clone(),
            text: text.clone(),
        };
        let mut forecast = self.case_scorer.predict(vec![item], TOP)?.remove(0);
        if r.similar > 0 {
            forecast.similar = Some(self.case_scorer.model().similar(
                &text,
                kind.map(|k| k.category),
                r.similar,
                r.case_number.as_deref(),
            ));
        }
        let note = (!unread.is_empty()).then(|| {
            format!(
                "{} reads no structured facts (a model trained with the facts field does): {} \
                 left out",
                self.case_model_name,
                unread.join(", ")
            )
        });
        Ok(ForecastView {
            model: self.case_model_name.clone(),
            forecast,
            note,
        })
    }

    pub fn score(&self, r: &ScoreRequest) -> Result<ScoreView> {
        let rationale = r.checked()?.to_string();
        let item = ItemToScore::from_rationale(&rationale, 1);
        let text = item.text.clone();
        let scores = self.scorer.predict(vec![item], TOP)?.remove(0);
        Ok(ScoreView {
            model: self.model_name.clone(),
            highlights: self.scorer.highlights(&text, &scores),
            rationale,
            scores,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{shown_model, web_names};

    /// A model file is named without the server's directories; a built-in model by its short name.
    #[test]
    fn models_are_shown_without_the_server_s_directories() {
        assert_eq!(shown_model("/srv/models/mine.json".into()), "mine.json");
        assert_eq!(shown_model("mine.json".into()), "mine.json");
        let label = crate::model::BUILTIN_NAME.to_string();
        assert!(label.contains('/'));
        assert_eq!(shown_model(label), "default");
    }

    /// A file's name alone where it is the case's only one of that name; with as many folders as
    /// tell it apart otherwise; never the root, even where one path ends another.
    #[test]
    fn web_names_tell_a_case_s_files_apart() {
        assert_eq!(
            web_names(&["/d/a/C.txt", "/d/b/C.txt", "/d/b/D.txt"]),
            ["a/C.txt", "b/C.txt", "D.txt"]
        );
        assert_eq!(web_names(&["/x/C.txt"]), ["C.txt"]);
        assert_eq!(
            web_names(&["/tmp/w2/X.txt", "/tmp/m/tmp/w2/X.txt"]),
            ["tmp/w2/X.txt", "m/tmp/w2/X.txt"]
        );
    }
}

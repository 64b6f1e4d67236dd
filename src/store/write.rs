//! Writing letters and scores: one transaction per batch.

use super::{guidelines_cited, Store};
use crate::error::Result;
use crate::letter::{Decision, Letter};
use rusqlite::{params, OptionalExtension, Transaction};

/// What identifies a letter file's content: its path as given, size, modification time and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub source: String,
    pub size: u64,
    /// Nanoseconds since the Unix epoch (0 where the file system keeps none).
    pub mtime_ns: i64,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// A letter to write, with the file it came from.
#[derive(Debug, Clone)]
pub struct IndexedLetter {
    pub file: FileInfo,
    pub letter: Letter,
    /// The source of rows this letter takes the place of, removed in its batch: a moved file
    /// read again (its case number may have been its old file name).
    pub replaces: Option<String>,
    /// Its items' scores, in order, written with it by [`Store::write_batch_scored`] (their
    /// `item_id`s are set as the items are written); empty where it is not scored yet.
    pub scores: Vec<ItemScores>,
    /// Its items' full-text postings, where made beforehand ([`IndexedLetter::prepare_text`], on
    /// the parse's threads); else the writer makes them.
    pub text: Option<super::LetterText>,
}

impl IndexedLetter {
    /// Makes its items' full-text postings now, so that writing it only files them.
    pub fn prepare_text(&mut self) {
        if self.text.is_none() {
            self.text = Some(letter_text(&self.letter));
        }
    }
}

/// The full-text postings of `letter`'s items.
fn letter_text(letter: &Letter) -> super::LetterText {
    let items: Vec<(&str, &str)> = (letter.items.iter())
        .map(|it| (it.title.as_str(), it.rationale.as_str()))
        .collect();
    super::LetterText::of(
        letter.clinical_summary.as_deref().unwrap_or_default(),
        &items,
    )
}

/// What a written batch changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub letters: usize,
    pub items: usize,
    /// Items written with their scores ([`Store::write_batch_scored`]).
    pub scored: usize,
    /// Sources whose earlier rows were replaced (the file changed).
    pub replaced: Vec<String>,
    /// A case number the batch wrote that another file already holds: (case, this source, the
    /// other source).
    pub same_case: Vec<(String, String, String)>,
    /// Letters not written: their source was indexed with the same content meanwhile (by another
    /// run at the same time).
    pub unchanged: usize,
}

/// How a message names the database and models: as the user gave them (the command line), or
/// by their file names alone (the web page, which does not send the server's directories).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    AsGiven,
    FileNames,
}

impl Naming {
    /// `path` as this naming shows it (a built-in model's name has no directories to drop).
    pub fn name(self, path: &str) -> std::borrow::Cow<'_, str> {
        match self {
            Naming::AsGiven => path.into(),
            Naming::FileNames => std::path::Path::new(path)
                .file_name()
                .map_or(path.into(), |n| n.to_string_lossy()),
        }
    }
}

/// The model whose scores an index holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// `sha256:` of the model's JSON.
    pub digest: String,
    /// As named to `imr index --model` (a built-in name or a file).
    pub name: String,
    pub format_version: String,
    /// The themes the model assigns (none without theme models); None where the database's row
    /// predates schema 5.
    pub themes: Option<Vec<String>>,
}

/// One item's scores, as `imr predict` gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemScores {
    pub item_id: i64,
    pub p_overturned: Option<f64>,
    pub p_low: Option<f64>,
    pub p_high: Option<f64>,
    pub predicted: Option<Decision>,
    pub abstention: Option<String>,
    pub themes: Vec<String>,
}

impl Store {
    /// The indexed state of the file at `source`: its size, modification time and hash.
    pub fn file_info(&self, source: &str) -> Result<Option<FileInfo>> {
        self.conn
            .prepare_cached(
                "SELECT file_size, file_mtime_ns, sha256 FROM letters WHERE source = ?1",
            )
            .and_then(|mut st| {
                st.query_row([source], |r| {
                    Ok(FileInfo {
                        source: source.to_string(),
                        size: r.get::<_, i64>(0)? as u64,
                        mtime_ns: r.get(1)?,
                        sha256: r.get(2)?,
                    })
                })
                .optional()
            })
            .map_err(self.err())
    }

    /// The source of an indexed letter whose file has this hash, if any.
    pub fn source_with_hash(&self, sha256: &str) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT source FROM letters WHERE sha256 = ?1 LIMIT 1")
            .and_then(|mut st| st.query_row([sha256], |r| r.get(0)).optional())
            .map_err(self.err())
    }

    /// A transaction that takes the write lock at once, waiting for another writer (as
    /// [`Store::in_transaction`]): a read first and a write after would fail at once where
    /// another run wrote in between (WAL's busy snapshot).
    pub(super) fn write_transaction(&mut self) -> rusqlite::Result<Transaction<'_>> {
        self.conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
    }

    /// Runs `f` in one transaction that may write, committed when `f` succeeds: many small
    /// lookups and updates then take the database's locks once, not once each. The write lock is
    /// taken at once (IMMEDIATE), waiting for another writer, rather than failing when the first
    /// write finds one.
    pub fn in_transaction<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.transaction("BEGIN IMMEDIATE", f)
    }

    /// Runs `f` in one read transaction: its reads see one state of the database, whatever a
    /// writer does meanwhile, and take the locks once.
    pub fn reading<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.transaction("BEGIN", f)
    }

    fn transaction<T>(&self, begin: &str, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch(begin).map_err(self.err())?;
        let r = f(self);
        let end = if r.is_ok() { "COMMIT" } else { "ROLLBACK" };
        self.conn.execute_batch(end).map_err(self.err())?;
        r
    }

    /// Folds the write-ahead log into the file and empties it, as closing the last connection
    /// does, but with its failure said (closing says none): where it cannot (the disk full), the
    /// letters written stay in the log, read from it until a later run folds it in. Another
    /// connection reading (a server) leaves the log for it to fold: no failure.
    pub fn fold_log(&self) -> std::result::Result<(), String> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DiskFull) => "the disk is full".to_string(),
                _ => e.to_string(),
            })
    }

    /// Refreshes the statistics SQLite's query planner chooses indexes by (how selective each
    /// one is), from a bounded sample of each index, so it takes little time at any size.
    pub fn analyze(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA analysis_limit = 2000; ANALYZE;")
            .map_err(self.err())
    }

    /// Merges the full-text index's segments into one where the items deleted since they were
    /// written (letters replaced or removed) are a quarter or more of those indexed; whether it
    /// did. One transaction: a run stopped during it leaves the index as it was.
    pub fn tidy_text(&mut self) -> Result<bool> {
        let err = self.err_owned();
        let tx = self.write_transaction().map_err(&err)?;
        let merged = super::text::tidy(&tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(merged)
    }

    /// Whether the planner's statistics exist (a database indexed by an older imr has none).
    pub fn has_statistics(&self) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(self.err())
    }

    /// Gives the letter indexed from `old_source` its new path (the same file, moved).
    pub fn move_source(&self, old_source: &str, new: &FileInfo) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE letters SET source = ?2, file_size = ?3, file_mtime_ns = ?4 \
                 WHERE source = ?1",
            )
            .and_then(|mut st| {
                st.execute(params![
                    old_source,
                    new.source,
                    new.size as i64,
                    new.mtime_ns
                ])
            })
            .map(drop)
            .map_err(self.err())
    }

    /// The case number of the letter indexed from `source`, if any.
    pub fn case_of(&self, source: &str) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT case_number FROM letters WHERE source = ?1")
            .and_then(|mut st| st.query_row([source], |r| r.get(0)).optional())
            .map_err(self.err())
    }

    /// The files a case number was indexed from, in order.
    pub fn sources_of_case(&self, case: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT source FROM letters WHERE case_number = ?1 ORDER BY source")
            .map_err(self.err())?;
        let rows = st.query_map([case], |r| r.get(0)).map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// The case numbers indexed from more than one file, in order.
    pub fn cases_in_several_files(&self) -> Result<Vec<String>> {
        self.strings(
            "SELECT case_number FROM letters GROUP BY case_number HAVING count(*) > 1 \
             ORDER BY case_number",
        )
    }

    /// The sources of letters an older parser read ([`crate::parse::PARSER_VERSION`]), in order.
    pub fn read_by_older_parser(&self) -> Result<Vec<String>> {
        self.strings(&format!(
            "SELECT source FROM letters WHERE parser < {} ORDER BY source",
            crate::parse::PARSER_VERSION
        ))
    }

    /// The sources stored as relative paths (by an imr that kept paths as typed), which are
    /// resolved against the directory the index ran in.
    pub fn relative_sources(&self) -> Result<Vec<String>> {
        self.strings("SELECT source FROM letters WHERE source NOT LIKE '/%' ORDER BY source")
    }

    /// Stores the letter of `old` under `new`, another spelling of the same file's path. Where
    /// `new` is indexed too, `old`'s rows are the older copy and are deleted; returns whether
    /// they were. Run within [`Store::in_transaction`], as the two steps belong together.
    pub fn respell_source(&self, old: &str, new: &str) -> Result<bool> {
        let moved = self
            .conn
            .prepare_cached(
                "UPDATE letters SET source = ?2 WHERE source = ?1 \
                 AND NOT EXISTS (SELECT 1 FROM letters WHERE source = ?2)",
            )
            .and_then(|mut st| st.execute(params![old, new]))
            .map_err(self.err())?;
        if moved > 0 {
            return Ok(false);
        }
        self.remove_source(old)
    }

    /// The sources of the letters read from `path` or from files under it (a folder's path, as
    /// the sources are written: absolute), in order.
    pub fn sources_under(&self, path: &str) -> Result<Vec<String>> {
        let dir = path.trim_end_matches('/');
        // The paths under `dir/` sort from "dir/" to before "dir0" ('0' follows '/').
        let (from, to) = (format!("{dir}/"), format!("{dir}0"));
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT source FROM letters WHERE source = ?1 OR (source >= ?2 AND source < ?3) \
                 ORDER BY source",
            )
            .map_err(self.err())?;
        let rows = st
            .query_map(params![path, from, to], |r| r.get(0))
            .map_err(self.err())?;
        rows.collect::<rusqlite::Result<_>>().map_err(self.err())
    }

    /// Deletes the letter read from `source` with its items, scores and full-text rows; whether
    /// there was one. Run within [`Store::in_transaction`] for many at once.
    pub fn remove_source(&self, source: &str) -> Result<bool> {
        match indexed_hash(&self.conn, source).map_err(self.err())? {
            Some((id, _)) => {
                let mut none = super::text::SegmentBuilder::default();
                delete_letter(&self.conn, id, &mut none).map_err(self.err())?
            }
            None => return Ok(false),
        }
        Ok(true)
    }

    /// Records a new modification time of a file whose content is already indexed.
    pub fn touch(&self, file: &FileInfo) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE letters SET file_size = ?2, file_mtime_ns = ?3 WHERE source = ?1",
            )
            .and_then(|mut st| st.execute(params![file.source, file.size as i64, file.mtime_ns]))
            .map(drop)
            .map_err(self.err())
    }

    /// Writes `batch` in one transaction: each letter's rows replace any earlier rows of the same
    /// source. Either the whole batch is written or nothing is. A letter is stored under its
    /// file's `source`, which is what incremental runs look it up by.
    pub fn write_batch(&mut self, batch: &[IndexedLetter]) -> Result<WriteReport> {
        self.write_batch_scored(batch, None)
    }

    /// [`Store::write_batch`], with the letters' items' scores by `model` (each letter's
    /// `scores`, one a item, in order) in the same transaction: a run stopped between batches
    /// leaves no letter of its model unscored.
    pub fn write_batch_scored(
        &mut self,
        batch: &[IndexedLetter],
        model: Option<&ModelInfo>,
    ) -> Result<WriteReport> {
        for l in batch {
            check_scores(&l.scores)?;
        }
        let err = self.err_owned();
        let path = self.path.clone();
        let tx = self.write_transaction().map_err(&err)?;
        let model_id = match model {
            Some(m) => Some(claim_scores(&tx, m, &path)?),
            None => None,
        };
        let mut report = WriteReport::default();
        let mut text = super::text::SegmentBuilder::default();
        for l in batch {
            if let Some(old) = &l.replaces {
                if let Some((id, _)) = indexed_hash(&tx, old).map_err(&err)? {
                    delete_letter(&tx, id, &mut text).map_err(&err)?;
                }
            }
            // Decided under the write lock: another run may have indexed the file since this one
            // looked.
            match indexed(&tx, &l.file.source).map_err(&err)? {
                Some((_, sha, parser))
                    if !sha.is_empty()
                        && sha == l.file.sha256
                        && parser >= crate::parse::PARSER_VERSION =>
                {
                    report.unchanged += 1;
                    continue;
                }
                Some((id, _, _)) => {
                    delete_letter(&tx, id, &mut text).map_err(&err)?;
                    report.replaced.push(l.file.source.clone());
                }
                None => {}
            }
            for other in same_case(&tx, &l.letter.header.case_number).map_err(&err)? {
                report.same_case.push((
                    l.letter.header.case_number.clone(),
                    l.file.source.clone(),
                    other,
                ));
            }
            let ids = insert_letter(&tx, l).map_err(&err)?;
            add_text(&mut text, l, &ids);
            report.items += ids.len();
            report.letters += 1;
            if let (Some(model_id), false) = (model_id, l.scores.is_empty()) {
                let scores: Vec<ItemScores> = (l.scores.iter().cloned().zip(ids))
                    .map(|(s, item_id)| ItemScores { item_id, ..s })
                    .collect();
                insert_scores(&tx, model_id, &scores).map_err(&err)?;
                report.scored += scores.len();
            }
        }
        text.flush(&tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(report)
    }

    /// The model that owns the database's scores: the one whose scores it holds, else the one
    /// that last took them ([`Store::clear_scores`]; its run may have stopped, or its letters
    /// been replaced, before any score stayed). A run with another model replaces them first.
    pub fn scores_owner(&self) -> Result<Option<ModelInfo>> {
        let owner = score_owner(&self.conn).map_err(self.err())?;
        Ok(owner.map(|(model, _)| model))
    }

    /// The model whose scores the database holds, if any: the owner, where it holds some.
    pub fn scoring_model(&self) -> Result<Option<ModelInfo>> {
        let owner = score_owner(&self.conn).map_err(self.err())?;
        Ok(owner.filter(|&(_, holds)| holds).map(|(model, _)| model))
    }

    /// What a theme filter, theme counts (`themes`: the unscored are left out) or the scores'
    /// order (they come last) can see: why some items or all have no scores (or, for themes, no
    /// themes), in words naming `db` and the scoring model as `naming` says; None where every
    /// item is scored.
    pub fn scores_note(&self, db: &str, themes: bool, naming: Naming) -> Result<Option<String>> {
        let db = naming.name(db);
        let Some(model) = self.scoring_model()? else {
            return Ok(Some(format!(
                "no item of {db} has themes or scores: it was indexed without a model \
                 (`imr index --db {db} --model default` assigns them)"
            )));
        };
        let name = naming.name(&model.name);
        if themes && model.themes.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Some(format!(
                "no item of {db} has themes: its scores are {name}'s, a model without theme models \
                 (`imr index --db {db} --model default` assigns them)"
            )));
        }
        let (unscored, items) = self.unscored_items()?;
        // A theme filter or count leaves them out; the scores' order puts them last.
        let fate = if themes { "left out" } else { "listed last" };
        Ok((unscored > 0).then(|| {
            format!(
                "{unscored} of the {items} items of {db} have no scores or themes, {fate} \
                 (letters indexed without --model since): `imr index --db {db} --model {name}` \
                 scores them"
            )
        }))
    }

    /// Records `model`'s themes on its row where they are not known (a row migrated from schema
    /// 4, whose model scores again without scoring anything new).
    pub fn record_themes(&self, model: &ModelInfo) -> Result<()> {
        let Some(themes) = &model.themes else {
            return Ok(());
        };
        self.conn
            .execute(
                "UPDATE models SET themes = ?1 WHERE digest = ?2 AND themes IS NULL",
                params![themes.join(" "), model.digest],
            )
            .map(drop)
            .map_err(self.err())
    }

    /// How many items have no scores, and how many there are. A score is an item's by its key
    /// (deleted with it), so the difference of two counts says it, each read from an index.
    pub fn unscored_items(&self) -> Result<(usize, usize)> {
        let (scored, items): (i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM item_scores), (SELECT count(*) FROM items)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.err())?;
        Ok(((items - scored).max(0) as usize, items as usize))
    }

    /// Drops every item's scores and themes, and makes `model` the one whose scores the database
    /// takes: a run that scores with another model at the same time then stops at its next batch
    /// ([`Store::write_scores`]), rather than leave the scores of two models.
    pub fn clear_scores(&mut self, model: &ModelInfo) -> Result<()> {
        let err = self.err_owned();
        let tx = self.write_transaction().map_err(&err)?;
        tx.execute_batch("DELETE FROM item_themes; DELETE FROM item_scores;")
            .map_err(&err)?;
        tx.execute("DELETE FROM models WHERE digest != ?1", [&model.digest])
            .map_err(&err)?;
        claim(&tx, model).map_err(&err)?;
        tx.commit().map_err(&err)
    }

    /// Ids of the letters with an item that has no scores, in source order.
    pub fn letters_without_scores(&self) -> Result<Vec<i64>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT DISTINCT l.id, l.source FROM letters l JOIN items i ON i.letter_id = l.id \
                 WHERE i.id NOT IN (SELECT item_id FROM item_scores) ORDER BY l.source",
            )
            .map_err(self.err())?;
        let ids = st
            .query_map([], |r| r.get(0))
            .map_err(self.err())?
            .collect::<rusqlite::Result<Vec<i64>>>()
            .map_err(self.err())?;
        Ok(ids)
    }

    /// Writes the scores of `model` for a batch of items, in one transaction.
    /// The owner of the scores ([`Store::scores_owner`]) must be `model`, or none yet (then
    /// `model` takes them); another's is an error.
    pub fn write_scores(&mut self, model: &ModelInfo, scores: &[ItemScores]) -> Result<()> {
        check_scores(scores)?;
        let err = self.err_owned();
        let path = self.path.clone();
        let tx = self.write_transaction().map_err(&err)?;
        let model_id = claim_scores(&tx, model, &path)?;
        insert_scores(&tx, model_id, scores).map_err(&err)?;
        tx.commit().map_err(&err)
    }

    fn err_owned(&self) -> impl Fn(rusqlite::Error) -> crate::Error {
        let path = self.path.clone();
        move |e| super::db_error(&path, e)
    }
}

/// Scores a database can hold and read back: probabilities from 0 to 1, a range that is one,
/// theme ids that are single words (the database lists an item's themes joined by spaces).
fn check_scores(scores: &[ItemScores]) -> Result<()> {
    let bad = |s: &ItemScores, field: &'static str, value: String, reason: &str| {
        Err(crate::Error::InvalidValue {
            what: field,
            value: format!("{value} (item id {})", s.item_id),
            reason: reason.into(),
        })
    };
    for s in scores {
        for (field, p) in [
            ("p_overturned", s.p_overturned),
            ("p_low", s.p_low),
            ("p_high", s.p_high),
        ] {
            if let Some(p) = p.filter(|p| !(0.0..=1.0).contains(p)) {
                return bad(s, field, p.to_string(), "a probability is from 0 to 1");
            }
        }
        if let (Some(lo), Some(hi)) = (s.p_low, s.p_high) {
            if lo > hi {
                return bad(
                    s,
                    "p_low",
                    lo.to_string(),
                    "the range's low end is above its high",
                );
            }
        }
        if let Some(t) = s
            .themes
            .iter()
            .find(|t| t.is_empty() || t.contains(char::is_whitespace))
        {
            return bad(s, "theme", format!("{t:?}"), "a theme id is one word");
        }
    }
    Ok(())
}

/// `model`'s id for its scores, where no other model's scores are held; errors name `path`.
fn claim_scores(tx: &Transaction<'_>, model: &ModelInfo, path: &std::path::Path) -> Result<i64> {
    let db = |e| super::db_error(path, e);
    if let Some((other, _)) = score_owner(tx)
        .map_err(db)?
        .filter(|(o, _)| o.digest != model.digest)
    {
        return Err(crate::Error::ScoresTaken {
            path: path.into(),
            ours: format!("{} ({})", model.name, model.digest),
            other: format!("{} ({})", other.name, other.digest),
        });
    }
    claim(tx, model).map_err(db)
}

/// Writes `scores` (their items' ids set) as model `model_id`'s.
fn insert_scores(
    tx: &Transaction<'_>,
    model_id: i64,
    scores: &[ItemScores],
) -> rusqlite::Result<()> {
    let mut score = tx.prepare_cached(
        "INSERT OR REPLACE INTO item_scores (item_id, model_id, p_overturned, p_low, \
         p_high, predicted, abstention) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut theme =
        tx.prepare_cached("INSERT OR IGNORE INTO item_themes (item_id, theme) VALUES (?1, ?2)")?;
    for s in scores {
        score.execute(params![
            s.item_id,
            model_id,
            s.p_overturned,
            s.p_low,
            s.p_high,
            s.predicted.map(|d| d.to_string()),
            s.abstention,
        ])?;
        for t in &s.themes {
            theme.execute(params![s.item_id, t])?;
        }
    }
    Ok(())
}

/// Deletes the rows of the letter read from `source`; whether there were any.
/// The id and content hash of the letter indexed from `source`, if any.
fn indexed_hash(
    tx: &rusqlite::Connection,
    source: &str,
) -> rusqlite::Result<Option<(i64, String)>> {
    Ok(indexed(tx, source)?.map(|(id, sha, _)| (id, sha)))
}

/// The id, content hash and parser version of the letter indexed from `source`, if any.
fn indexed(
    tx: &rusqlite::Connection,
    source: &str,
) -> rusqlite::Result<Option<(i64, String, i64)>> {
    tx.prepare_cached("SELECT id, sha256, parser FROM letters WHERE source = ?1")?
        .query_row([source], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()
}

/// [`Store::scores_owner`], and whether it holds scores: of the models holding scores the last
/// added, else the last added.
fn score_owner(conn: &rusqlite::Connection) -> rusqlite::Result<Option<(ModelInfo, bool)>> {
    conn.query_row(
        "SELECT digest, name, format_version, \
         EXISTS (SELECT 1 FROM item_scores WHERE model_id = models.id) AS holds, themes \
         FROM models ORDER BY holds DESC, id DESC LIMIT 1",
        [],
        |r| {
            let themes: Option<String> = r.get(4)?;
            let model = ModelInfo {
                digest: r.get(0)?,
                name: r.get(1)?,
                format_version: r.get(2)?,
                themes: themes.map(|t| t.split_whitespace().map(str::to_owned).collect()),
            };
            Ok((model, r.get(3)?))
        },
    )
    .optional()
}

/// `model`'s row in the models table, added where it is not there; its id.
fn claim(tx: &Transaction<'_>, model: &ModelInfo) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO models (digest, name, format_version, themes) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (digest) DO UPDATE SET name = excluded.name, themes = excluded.themes",
        params![
            model.digest,
            model.name,
            model.format_version,
            model.themes.as_ref().map(|t| t.join(" "))
        ],
    )?;
    tx.query_row(
        "SELECT id FROM models WHERE digest = ?1",
        [&model.digest],
        |r| r.get(0),
    )
}

/// Deletes a letter's rows (the full-text index learns of its items' deletion by a trigger;
/// `text`, the batch's postings not yet written, forgets them).
fn delete_letter(
    tx: &rusqlite::Connection,
    id: i64,
    text: &mut super::text::SegmentBuilder,
) -> rusqlite::Result<()> {
    if !text.is_empty() {
        let items: Vec<i64> = tx
            .prepare_cached("SELECT id FROM items WHERE letter_id = ?1")?
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        text.forget(&items);
    }
    tx.prepare_cached("DELETE FROM letters WHERE id = ?1")?
        .execute([id])?;
    Ok(())
}

/// Adds a letter's items (`ids`, in order) to the batch's full-text postings.
fn add_text(text: &mut super::text::SegmentBuilder, l: &IndexedLetter, ids: &[i64]) {
    match &l.text {
        // Made for this letter's items: one for each.
        Some(t) if t.len() == ids.len() => text.add(ids, t),
        _ => text.add(ids, &letter_text(&l.letter)),
    }
}

/// The sources of the letters already holding `case`.
fn same_case(tx: &Transaction<'_>, case: &str) -> rusqlite::Result<Vec<String>> {
    tx.prepare_cached("SELECT source FROM letters WHERE case_number = ?1 ORDER BY source")?
        .query_map([case], |r| r.get(0))?
        .collect()
}

/// Inserts one letter and its items; returns the items' ids, in order.
fn insert_letter(tx: &Transaction<'_>, l: &IndexedLetter) -> rusqlite::Result<Vec<i64>> {
    let (f, letter) = (&l.file, &l.letter);
    let date = |d: Option<crate::Date>| d.map(|d| d.to_string());
    let json_str = |v: serde_json::Value| v.as_str().map(str::to_owned);
    tx.prepare_cached(
        "INSERT INTO letters (case_number, source, sha256, file_size, file_mtime_ns, \
         date_assigned, decision_date, date_of_injury, ur_denial_date, application_received, \
         priority, reviewer_licensure, reviewer_specialty, reviewer_subspecialty, patient_age, \
         patient_sex, clinical_summary, parser) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        letter.header.case_number,
        f.source,
        f.sha256,
        f.size as i64,
        f.mtime_ns,
        date(letter.header.date_assigned),
        date(letter.header.decision_date),
        date(letter.header.date_of_injury),
        date(letter.header.ur_denial_date),
        date(letter.header.application_received),
        json_str(serde_json::json!(letter.header.priority)),
        serde_json::to_string(&letter.header.reviewer.licensure).unwrap_or_else(|_| "[]".into()),
        // As the letter writes them, so that a search for part of a name matches across them.
        Some(letter.header.reviewer.specialty.join(", ")).filter(|s| !s.is_empty()),
        letter.header.reviewer.subspecialty,
        letter.header.patient.age,
        json_str(serde_json::json!(letter.header.patient.sex)),
        letter.clinical_summary,
        crate::parse::PARSER_VERSION,
    ])?;
    let letter_id = tx.last_insert_rowid();
    let mut item = tx.prepare_cached(
        "INSERT INTO items (letter_id, item, title, category, drug_class, treatment, decision, \
         original_request, authorized, claims_administrator_guideline, reviewer_guideline, \
         rationale, decision_date) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    let mut guideline = tx.prepare_cached(
        "INSERT OR IGNORE INTO item_guidelines (item_id, guideline) VALUES (?1, ?2)",
    )?;
    let mut ids = Vec::with_capacity(letter.items.len());
    for it in &letter.items {
        item.execute(params![
            letter_id,
            it.number as i64,
            it.title,
            it.kind.category.id(),
            it.kind.drug_class.map(|d| d.id()),
            it.kind.treatment,
            it.decision.to_string(),
            it.original_request,
            it.authorized,
            it.claims_administrator_guideline,
            it.reviewer_guideline,
            it.rationale,
            date(letter.header.decision_date),
        ])?;
        let id = tx.last_insert_rowid();
        for g in guidelines_cited(it.reviewer_guideline.as_deref().unwrap_or_default()) {
            guideline.execute(params![id, g])?;
        }
        ids.push(id);
    }
    Ok(ids)
}

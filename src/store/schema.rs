//! The database's tables, as numbered migrations: a database records in `user_version` how many
//! it has run, so an older database is brought up to date and a newer one is refused.
//! `docs/database.md` describes the tables for users.

/// Marks a SQLite file as an imr database (`PRAGMA application_id`, "IMRd").
pub const APPLICATION_ID: i32 = 0x494D_5264;

/// Migration `i` (0-based) takes a database from version `i` to `i + 1`; each runs in one
/// transaction with its `user_version` update. Never edit a released migration: add one.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9];

/// The schema version this imr writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Letters, their items, the guidelines each item cites, and the full-text index.
const V1: &str = r#"
CREATE TABLE letters (
    id INTEGER PRIMARY KEY,
    case_number TEXT NOT NULL,
    -- The file it was read from, as given to `imr index`.
    source TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    file_size INTEGER NOT NULL,
    file_mtime_ns INTEGER NOT NULL,
    date_assigned TEXT,
    decision_date TEXT,
    date_of_injury TEXT,
    ur_denial_date TEXT,
    application_received TEXT,
    priority TEXT,
    -- A JSON array of states.
    reviewer_licensure TEXT NOT NULL,
    reviewer_specialty TEXT,
    reviewer_subspecialty TEXT,
    patient_age INTEGER,
    patient_sex TEXT,
    clinical_summary TEXT
) STRICT;
CREATE INDEX letters_case_number ON letters (case_number);
CREATE INDEX letters_sha256 ON letters (sha256);
CREATE INDEX letters_decision_date ON letters (decision_date);
CREATE INDEX letters_date_of_injury ON letters (date_of_injury);
CREATE INDEX letters_reviewer_specialty ON letters (reviewer_specialty);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    letter_id INTEGER NOT NULL REFERENCES letters (id) ON DELETE CASCADE,
    item INTEGER NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    drug_class TEXT,
    treatment TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('Upheld', 'Overturned')),
    original_request TEXT,
    authorized TEXT,
    claims_administrator_guideline TEXT,
    reviewer_guideline TEXT,
    rationale TEXT NOT NULL,
    UNIQUE (letter_id, item)
) STRICT;
CREATE INDEX items_category ON items (category, decision);
CREATE INDEX items_drug_class ON items (drug_class, decision);
-- `--treatment` matches in any case.
CREATE INDEX items_treatment ON items (treatment COLLATE NOCASE, decision);
CREATE INDEX items_decision ON items (decision);

-- The guideline documents an item's reviewer cites ("MTUS Low Back Complaints 2004").
CREATE TABLE item_guidelines (
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    guideline TEXT NOT NULL,
    PRIMARY KEY (item_id, guideline)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_guidelines_guideline ON item_guidelines (guideline);

-- Contentless: the texts live in items and letters; a row's rowid is its item's id.
CREATE VIRTUAL TABLE items_fts USING fts5 (
    title, clinical_summary, rationale,
    content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"#;

/// A model's scores and themes for each item (`imr index --model`).
const V2: &str = r#"
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    -- How it was named to `imr index --model`: a built-in name or a file.
    name TEXT NOT NULL,
    format_version TEXT NOT NULL
) STRICT;

CREATE TABLE item_scores (
    item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    model_id INTEGER NOT NULL REFERENCES models (id),
    p_overturned REAL,
    p_low REAL,
    p_high REAL,
    predicted TEXT,
    abstention TEXT
) STRICT;
CREATE INDEX item_scores_model ON item_scores (model_id);

CREATE TABLE item_themes (
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    theme TEXT NOT NULL,
    PRIMARY KEY (item_id, theme)
) STRICT, WITHOUT ROWID;
CREATE INDEX item_themes_theme ON item_themes (theme);
"#;

/// Counts by a letter's field (month, year, specialty) and filters on the letters read each
/// letter's items from this index alone, not from the items' rows.
const V3: &str = r#"
CREATE INDEX items_letter ON items (letter_id, decision, category, drug_class);
"#;

/// Searches by an item's category or drug class, newest first, walk one of these indexes in that
/// order and stop at the page: each item holds its letter's decision date (written with the item;
/// a letter's rows are only ever replaced whole). The trailing columns answer the other item
/// filters without reading the item.
const V4: &str = r#"
ALTER TABLE items ADD COLUMN decision_date TEXT;
UPDATE items SET decision_date = (SELECT l.decision_date FROM letters l WHERE l.id = items.letter_id);
CREATE INDEX items_category_newest
    ON items (category, decision_date DESC, letter_id DESC, item, decision);
CREATE INDEX items_drug_class_newest
    ON items (drug_class, decision_date DESC, letter_id DESC, item, decision, category);
"#;

/// Which themes the scoring model assigns, so that a theme filter it cannot match is an error and
/// not an empty answer: its theme ids joined by spaces ('' for a model without theme models),
/// NULL where an older imr wrote the row.
const V5: &str = r#"
ALTER TABLE models ADD COLUMN themes TEXT;
"#;

/// The guidelines cited, read again from each item's reviewer-guideline line: a document after a
/// list of sections ("..., and Chronic Pain Medical Treatment 2016, Section(s): ...") and earlier
/// letters' citations ("ACOEM Chapter 12 Low Back Complaints") were left out or filed as "MTUS".
const V6: &str = r#"
DELETE FROM item_guidelines;
INSERT OR IGNORE INTO item_guidelines (item_id, guideline)
    SELECT i.id, cited.value
    FROM items i, json_each(imr_guidelines_cited(i.reviewer_guideline)) cited
    WHERE i.reviewer_guideline IS NOT NULL;
"#;

/// The parser version that read each letter ([`crate::parse::PARSER_VERSION`]): those of an
/// older one are read again when `imr index` is given their files. Letters indexed before are
/// the first version's.
const V7: &str = r#"
ALTER TABLE letters ADD COLUMN parser INTEGER NOT NULL DEFAULT 1;
"#;

/// The full-text index of imr's own (`store/text`) in place of FTS5's: segments of postings
/// written with each batch, and the items deleted since (by a trigger, whatever deletes them).
/// The index is built from the stored texts once the analyzer's version is recorded (V9).
pub(super) const V8: &str = r#"
DROP TABLE items_fts;
CREATE TABLE text_segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Segments of a level are merged into one of the next.
    level INTEGER NOT NULL,
    docs INTEGER NOT NULL,
    -- Each item's id and length in terms.
    lengths BLOB NOT NULL
) STRICT;
CREATE TABLE text_postings (
    term TEXT NOT NULL,
    segment INTEGER NOT NULL,
    docs BLOB NOT NULL,
    positions BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX text_postings_term ON text_postings (term, segment);
CREATE INDEX text_postings_segment ON text_postings (segment);
-- An item's postings in segments older than `before_segment` are deleted.
CREATE TABLE text_deleted (
    item_id INTEGER PRIMARY KEY,
    before_segment INTEGER NOT NULL
) STRICT;
CREATE TRIGGER items_text_deleted AFTER DELETE ON items BEGIN
    INSERT OR REPLACE INTO text_deleted (item_id, before_segment) VALUES (OLD.id,
        coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'text_segments'), 0) + 1);
END;
"#;

/// The version of the text analyzer that made the full-text index (0: not known): `imr index`
/// makes the index again, from the stored texts, where it is not this imr's
/// ([`super::text::ANALYZER_VERSION`]), and searches refuse it until then.
const V9: &str = r#"
CREATE TABLE text_settings (analyzer INTEGER NOT NULL) STRICT;
INSERT INTO text_settings (analyzer) VALUES (0);
"#;

//! The database's full-text index, an inverted index of its own kept in the database's tables
//! (`text_segments`, `text_postings`, `text_deleted`): an item's title, its letter's clinical
//! summary and its rationale, each word stemmed, with its positions for phrases.
//!
//! Why not SQLite's FTS5: it scores every match before it can rank them, so a search of common
//! words cost seconds at archive scale, and it tokenised every text on the database's one writer.
//! Here the postings are compact blobs read a term at a time; the writes stay in each batch's
//! transaction, so a killed run leaves the index and the rows as they were.

mod analyze;
mod build;
mod postings;
mod search;

pub(crate) use analyze::{TextAnalyzer, ANALYZER_VERSION};
pub use build::LetterText;
pub(crate) use build::{rebuild, tidy, SegmentBuilder};
pub(crate) use search::{intersect, search, Found, Phrase, SearchError, TextQuery, MOST_PREFIXED};

#[cfg(test)]
mod tests;

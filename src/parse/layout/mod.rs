//! The layouts of MAXIMUS letters: each recognises its own letters from what they say and parses
//! them, or names itself as unsupported. A new layout is one new file here and one entry in
//! `LAYOUTS`.

mod decisions_rationales;
mod final_determination;
mod notice_2013;
mod professional_review;

use super::text::{Doc, ISSUES};
use crate::error::{Error, Result};
use crate::letter::Letter;
use std::path::Path;

/// One layout of letter.
pub(crate) trait Layout: Sync {
    /// The name errors give it ("2013 notice layout").
    fn name(&self) -> &'static str;
    /// Whether the letter is of this layout, from its headings and set phrases.
    fn recognises(&self, doc: &Doc) -> bool;
    /// Parses a letter this layout recognises; `source` names it in errors.
    fn parse(&self, doc: &Doc, source: &Path) -> Result<Letter>;
}

/// The layouts in the order they are tried: the parsed one first, so that a letter quoting another
/// layout's phrase is still parsed.
static LAYOUTS: [&dyn Layout; 4] = [
    &final_determination::FinalDetermination,
    &notice_2013::Notice2013,
    &decisions_rationales::DecisionsRationales,
    &professional_review::ProfessionalReview,
];

/// Parses a letter with the first layout that recognises it.
pub(crate) fn parse(doc: &Doc, source: &Path) -> Result<Letter> {
    match LAYOUTS.iter().find(|l| l.recognises(doc)) {
        Some(layout) => layout.parse(doc, source),
        None => Err(Error::NotALetter {
            path: source.into(),
            missing: "no \"IMR ISSUES, DECISIONS AND RATIONALES\" section",
        }),
    }
}

/// A layout this parser knows by its markers but does not parse: parsing it is an error naming it.
fn unsupported(layout: &dyn Layout, source: &Path) -> Result<Letter> {
    Err(Error::UnsupportedFormat {
        path: source.into(),
        format: layout.name(),
    })
}

/// Whether the letter has a line that is the final determination's issues heading.
fn has_issues_heading(doc: &Doc) -> bool {
    doc.heading(ISSUES).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(text: &str) -> String {
        parse(&Doc::new(text), Path::new("x.txt"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unsupported_layouts_are_named() {
        const NOTICE: &str = "\"2013 notice layout\"";
        const DECISIONS: &str = "\"decision(s) and rationale(s) layout\"";
        const REVIEW: &str = "\"medical professional review layout\"";
        let cases = [
            (
                "Notice of Independent Medical Review Determination\nTo: x\n",
                NOTICE,
            ),
            (
                "INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE\nx\n",
                NOTICE,
            ),
            (
                "MAXIMUS Federal Services, Inc. has\ndetermined the request for MRI is not",
                NOTICE,
            ),
            (
                "IMR DECISION(S) AND RATIONALE(S)\nDOCUMENTS REVIEWED\n",
                DECISIONS,
            ),
            (
                "MEDICAL PROFESSIONAL REVIEW\nISSUE AT DISPUTE: MRI\n",
                REVIEW,
            ),
            ("ISSUE AT DISPUTE: MRI\n", REVIEW),
        ];
        for (text, name) in cases {
            let e = error_of(text);
            assert!(
                e.contains("unsupported MAXIMUS letter format") && e.contains(name),
                "{e}"
            );
        }
    }

    #[test]
    fn prose_is_not_a_letter() {
        assert!(error_of("Just a note.\n").contains("no IMR letter structure"));
    }
}

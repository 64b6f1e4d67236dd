//! The layout with a "MEDICAL PROFESSIONAL REVIEW" and an "ISSUE AT DISPUTE:" per item.
//! Recognised, not parsed.

use super::{has_issues_heading, unsupported, Layout};
use crate::error::Result;
use crate::letter::Letter;
use crate::parse::text::Doc;
use std::path::Path;

pub(crate) struct ProfessionalReview;

impl Layout for ProfessionalReview {
    fn name(&self) -> &'static str {
        "medical professional review layout"
    }

    fn recognises(&self, doc: &Doc) -> bool {
        !has_issues_heading(doc)
            && (doc.says("MEDICAL PROFESSIONAL REVIEW") || doc.says("ISSUE AT DISPUTE:"))
    }

    fn parse(&self, _doc: &Doc, source: &Path) -> Result<Letter> {
        unsupported(self, source)
    }
}

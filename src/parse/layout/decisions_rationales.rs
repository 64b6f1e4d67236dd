//! The layout with an "IMR DECISION(S) AND RATIONALE(S)" section. Recognised, not parsed.

use super::{has_issues_heading, unsupported, Layout};
use crate::error::Result;
use crate::letter::Letter;
use crate::parse::text::Doc;
use std::path::Path;

pub(crate) struct DecisionsRationales;

impl Layout for DecisionsRationales {
    fn name(&self) -> &'static str {
        "decision(s) and rationale(s) layout"
    }

    fn recognises(&self, doc: &Doc) -> bool {
        !has_issues_heading(doc) && doc.says("IMR DECISION(S) AND RATIONALE(S)")
    }

    fn parse(&self, _doc: &Doc, source: &Path) -> Result<Letter> {
        unsupported(self, source)
    }
}

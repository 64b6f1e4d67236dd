//! The 2013 notice: "Notice of Independent Medical Review Determination", with one "INDEPENDENT
//! MEDICAL REVIEW DECISION AND RATIONALE" section. Recognised, not parsed.

use super::{has_issues_heading, unsupported, Layout};
use crate::error::Result;
use crate::letter::Letter;
use crate::parse::text::Doc;
use std::path::Path;

pub(crate) struct Notice2013;

const MARKERS: [&str; 3] = [
    "Notice of Independent Medical Review Determination",
    "INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE",
    "MAXIMUS Federal Services, Inc. has determined the request for",
];

impl Layout for Notice2013 {
    fn name(&self) -> &'static str {
        "2013 notice layout"
    }

    fn recognises(&self, doc: &Doc) -> bool {
        !has_issues_heading(doc) && MARKERS.iter().any(|m| doc.says(m))
    }

    fn parse(&self, _doc: &Doc, source: &Path) -> Result<Letter> {
        unsupported(self, source)
    }
}

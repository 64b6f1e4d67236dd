//! The final determination letter: a header, then the sections "HOW THE IMR FINAL DETERMINATION
//! WAS MADE", "CLINICAL CASE SUMMARY" and "IMR ISSUES, DECISIONS AND RATIONALES" with the disputed
//! items.

use super::{has_issues_heading, Layout};
use crate::error::Result;
use crate::letter::Letter;
use crate::parse::text::{paragraphs, Doc};
use crate::parse::{fields, items};
use std::path::Path;

pub(crate) struct FinalDetermination;

impl Layout for FinalDetermination {
    fn name(&self) -> &'static str {
        "final determination layout"
    }

    fn recognises(&self, doc: &Doc) -> bool {
        has_issues_heading(doc)
    }

    fn parse(&self, doc: &Doc, source: &Path) -> Result<Letter> {
        let sections = fields::Sections::split(doc);
        let head: Vec<&str> = sections.head.iter().map(|l| l.text.as_str()).collect();
        let header = fields::Header::read(&head.join("\n"));
        let case_number = header.case_number.clone().unwrap_or_else(|| {
            source
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let items = items::parse_items(sections.issues, source, &case_number)?;
        let clinical_summary = fields::clinical_summary(&paragraphs(sections.summary));
        Ok(Letter {
            patient: fields::patient(clinical_summary.as_deref().unwrap_or("")),
            reviewer: fields::reviewer(&paragraphs(sections.how).join(" ")),
            case_number,
            source: source.display().to_string(),
            date_assigned: header.date_assigned,
            decision_date: header.decision_date,
            date_of_injury: header.date_of_injury,
            ur_denial_date: header.ur_denial_date,
            application_received: header.application_received,
            priority: header.priority,
            clinical_summary,
            items,
        })
    }
}

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
        let mut header = fields::read_header(&head.join("\n"));
        if header.case_number.is_empty() {
            header.case_number = source
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        header.source = source.display().to_string();
        if let Some((heading, times)) = fields::repeated_heading(doc) {
            return Err(crate::error::Error::SeveralLetters {
                path: source.into(),
                case: header.case_number,
                heading,
                times,
            });
        }
        let items = items::parse_items(sections.issues, source, &header.case_number)?;
        let clinical_summary = fields::clinical_summary(&paragraphs(sections.summary));
        header.patient = fields::patient(clinical_summary.as_deref().unwrap_or(""));
        header.reviewer = fields::reviewer(&paragraphs(sections.how).join(" "));
        Ok(Letter {
            header,
            clinical_summary,
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::letter::Decision;

    const HEADER: &str =
        "Case Number:\nDate Assigned:\nDecision Date:\nPriority:\n\nCM16-0213037\n\
                          11/09/2016\n12/09/2016\nStandard\n\nDate of Injury:\nUR Denial Date:\n\
                          Application\nReceived:\n\n10/13/2016\n11/03/2016\n11/04/2016\n";
    const HOW_SECTION: &str = "HOW THE IMR FINAL DETERMINATION WAS MADE\nMAXIMUS sent the file to \
                               an expert reviewer.\nState(s) of Licensure: California\n\
                               Certification(s)/Specialty: Family Practice\n";
    const SUMMARY_SECTION: &str =
        "CLINICAL CASE SUMMARY\nThe injured worker is a 48 year old male \
                                   with shoulder pain.\n";
    const ISSUES_SECTION: &str = "IMR ISSUES, DECISIONS AND RATIONALES\nThe Final Determination \
                                  was based on decisions for the disputed items/services set forth \
                                  below:\nMRI of the right\nshoulder: Upheld\nClaims Administrator \
                                  guideline: MTUS.\nMAXIMUS guideline: MTUS.\nDecision rationale: \
                                  No red flags.\nNot medically necessary.\nMRI of the neck:\u{c}\n\
                                  Overturned\nClaims Administrator guideline: MTUS.\nMAXIMUS \
                                  guideline: ODG.\nDecision rationale: Red flags. Medically \
                                  necessary.\n";

    fn parse(text: &str) -> Letter {
        FinalDetermination
            .parse(&Doc::new(text), Path::new("x.txt"))
            .unwrap()
    }

    fn check(l: &Letter) {
        assert_eq!(l.header.case_number, "CM16-0213037");
        assert_eq!(
            l.header.application_received.unwrap().to_string(),
            "2016-11-04"
        );
        assert_eq!(l.header.date_of_injury.unwrap().to_string(), "2016-10-13");
        assert_eq!(l.header.reviewer.specialty, ["Family Practice"]);
        assert_eq!(l.header.patient.age, Some(48));
        let items: Vec<_> = l
            .items
            .iter()
            .map(|i| (i.title.as_str(), i.decision))
            .collect();
        let want = [
            ("MRI of the right shoulder", Decision::Upheld),
            ("MRI of the neck", Decision::Overturned),
        ];
        assert_eq!(items, want);
        assert_eq!(
            l.items[0].rationale,
            "No red flags. Not medically necessary."
        );
        assert_eq!(l.items[1].rationale, "Red flags. Medically necessary.");
    }

    #[test]
    fn sections_in_order_parse() {
        check(&parse(
            &[HEADER, HOW_SECTION, SUMMARY_SECTION, ISSUES_SECTION].concat(),
        ));
    }

    #[test]
    fn sections_out_of_order_parse_the_same() {
        // The last rationale ends at the next heading, wherever that section stands.
        check(&parse(
            &[HEADER, ISSUES_SECTION, HOW_SECTION, SUMMARY_SECTION].concat(),
        ));
        check(&parse(
            &[HEADER, SUMMARY_SECTION, ISSUES_SECTION, HOW_SECTION].concat(),
        ));
    }

    #[test]
    fn boilerplate_is_never_part_of_a_title() {
        // On a line of its own, on the title's line, or wrapped over lines.
        let lead = "The Final Determination was based on decisions for the disputed items/services";
        let ours = format!("{lead} set forth below:\nMRI of the right\n");
        assert!(ISSUES_SECTION.contains(&ours));
        for joint in [
            " set forth below:\n",
            " set forth below: ",
            "\nset forth\nbelow: ",
        ] {
            let issues = ISSUES_SECTION.replace(&ours, &format!("{lead}{joint}MRI of the right\n"));
            check(&parse(
                &[HEADER, HOW_SECTION, SUMMARY_SECTION, &issues].concat(),
            ));
        }
    }

    /// Two letters in one file (texts joined, PDFs merged): the second would be read into the
    /// first's last item, so the file is refused with the heading seen twice.
    #[test]
    fn a_file_of_two_letters_is_refused() {
        let one = [HEADER, HOW_SECTION, SUMMARY_SECTION, ISSUES_SECTION].concat();
        let e = FinalDetermination
            .parse(&Doc::new(&one.repeat(2)), Path::new("two.txt"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "two.txt (case CM16-0213037): holds more than one letter (the heading \"HOW THE IMR \
             FINAL DETERMINATION WAS MADE\" is there 2 times): give each letter a file of its own"
        );
    }
}

//! The letter-level fields: header dates, sections, reviewer credentials, patient.

use crate::letter::{Date, Patient, Priority, Reviewer, Sex};
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Default)]
pub(crate) struct Header {
    pub case_number: Option<String>,
    pub date_assigned: Option<Date>,
    pub decision_date: Option<Date>,
    pub date_of_injury: Option<Date>,
    pub ur_denial_date: Option<Date>,
    pub application_received: Option<Date>,
    pub priority: Option<Priority>,
}

const DATE: &str = r"(\d{1,2}/\d{1,2}/\d{2,4})";

fn date_after(text: &str, label: &str) -> Option<Date> {
    // Labels may wrap ("Application\nReceived:") so any white space between words matches.
    let label = label
        .split(' ')
        .map(regex::escape)
        .collect::<Vec<_>>()
        .join(r"\s+");
    let re = Regex::new(&format!(r"{label}:\s*{DATE}")).expect("static pattern");
    Date::parse_us(re.captures(text)?.get(1)?.as_str())
}

impl Header {
    /// The header block at the top of a DWC letter (absent from the seeds, whose fields stay null).
    pub fn read(raw: &str) -> Header {
        static CASE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"Case Number:\s*([A-Z]{2}\d{2}-\d{5,8})").unwrap());
        static PRIORITY: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"Priority:\s*(Standard|Expedited)\b").unwrap());
        // The header is the first part of the letter; do not read dates out of the clinical text.
        let head = match raw.find("HOW THE IMR FINAL DETERMINATION WAS MADE") {
            Some(i) => &raw[..i],
            None => &raw[..raw.len().min(1500)],
        };
        let head = &head[..floor_char_boundary(head, head.len())];
        Header {
            case_number: CASE.captures(head).map(|c| c[1].to_string()),
            date_assigned: date_after(head, "Date Assigned"),
            decision_date: date_after(head, "Decision Date"),
            date_of_injury: date_after(head, "Date of Injury"),
            ur_denial_date: date_after(head, "UR Denial Date"),
            application_received: date_after(head, "Application Received"),
            priority: PRIORITY.captures(head).map(|c| match &c[1] {
                "Expedited" => Priority::Expedited,
                _ => Priority::Standard,
            }),
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The paragraphs of the three sections, headings excluded.
#[derive(Debug, Default)]
pub(crate) struct Sections<'a> {
    pub how: &'a [String],
    pub summary: &'a [String],
    pub issues: &'a [String],
}

impl<'a> Sections<'a> {
    pub fn split(paragraphs: &'a [String]) -> Sections<'a> {
        let find = |h: &str| paragraphs.iter().position(|p| p == h);
        let n = paragraphs.len();
        let how = find("HOW THE IMR FINAL DETERMINATION WAS MADE");
        let summary = find("CLINICAL CASE SUMMARY");
        let issues = find("IMR ISSUES, DECISIONS AND RATIONALES").or_else(|| {
            paragraphs
                .iter()
                .position(|p| p.starts_with("IMR ISSUES, DECISIONS AND RATIONALES"))
        });
        let section = |start: Option<usize>, ends: &[Option<usize>]| -> &'a [String] {
            let Some(s) = start else { return &[] };
            let end = ends
                .iter()
                .flatten()
                .copied()
                .filter(|&e| e > s)
                .min()
                .unwrap_or(n);
            &paragraphs[s + 1..end]
        };
        Sections {
            how: section(how, &[summary, issues]),
            summary: section(summary, &[issues, how]),
            issues: section(issues, &[]),
        }
    }
}

/// The clinical case summary without its boilerplate lead-in.
pub(crate) fn clinical_summary(paragraphs: &[String]) -> Option<String> {
    static LEAD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^The (?:expert|physician) reviewer developed the following clinical case summary based on a review of the case file, including all medical records:\s*").unwrap()
    });
    let parts: Vec<String> = paragraphs
        .iter()
        .map(|p| LEAD.replace(p, "").into_owned())
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

pub(crate) fn patient(summary: &str) -> Patient {
    static AGE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(\d{1,3})[- ]years?[- ]old(?:\s+(male|female|man|woman|gentleman|lady|boy|girl)\b)?").unwrap()
    });
    let Some(c) = AGE.captures(summary) else {
        return Patient::default();
    };
    Patient {
        age: c[1].parse().ok().filter(|&a: &u8| (10..=110).contains(&a)),
        sex: c
            .get(2)
            .map(|m| match m.as_str().to_ascii_lowercase().as_str() {
                "male" | "man" | "gentleman" | "boy" => Sex::Male,
                _ => Sex::Female,
            }),
    }
}

/// Reviewer credentials, from the form lines or from the prose sentence.
pub(crate) fn reviewer(how: &str) -> Reviewer {
    static STATES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"State\(s\) of Licensure:\s*(.*?)\s*(?:Certification\(s\)/Specialty:|$)")
            .unwrap()
    });
    static SPECIALTY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"Certification\(s\)/Specialty:\s*(.*?)\s*(?:State\(s\) of Licensure:|$)")
            .unwrap()
    });
    static PROSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)Board Certified in (.+?)(?:,? (?:and )?has a subspecialty in (.+?))?,? and is licensed to practice in (.+?)\.").unwrap()
    });
    let clean = |s: &str| s.trim().trim_end_matches(['.', ',']).trim().to_string();
    let list = |s: &str| -> Vec<String> {
        s.split([',', ';'])
            .flat_map(|p| p.split(" and "))
            .map(clean)
            .filter(|p| !p.is_empty())
            .collect()
    };
    if let Some(c) = PROSE.captures(how) {
        return Reviewer {
            licensure: list(&c[3]),
            specialty: Some(clean(&c[1])),
            subspecialty: c.get(2).map(|m| clean(m.as_str())),
        };
    }
    Reviewer {
        licensure: STATES
            .captures(how)
            .map(|c| list(&c[1]))
            .unwrap_or_default(),
        specialty: SPECIALTY
            .captures(how)
            .map(|c| clean(&c[1]))
            .filter(|s| !s.is_empty()),
        subspecialty: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_reads_wrapped_labels() {
        let h = Header::read(
            "Case Number:  CM16-0213037\nDate Assigned:  11/09/2016  Date of Injury:   10/13/2016\nDecision Date:  12/09/2016  UR Denial Date:   11/03/2016\nPriority:   Standard  Application\nReceived:   11/03/2016\nHOW THE IMR FINAL DETERMINATION WAS MADE\nOn 1/1/2015 ...",
        );
        assert_eq!(h.case_number.as_deref(), Some("CM16-0213037"));
        assert_eq!(h.application_received.unwrap().to_string(), "2016-11-03");
        assert_eq!(h.date_of_injury.unwrap().to_string(), "2016-10-13");
        assert_eq!(h.priority, Some(Priority::Standard));
    }

    #[test]
    fn reviewer_form_lines() {
        let r = reviewer("The Expert Reviewer has the following credentials: State(s) of Licensure: California,North Carolina Certification(s)/Specialty: Family Practice");
        assert_eq!(r.licensure, vec!["California", "North Carolina"]);
        assert_eq!(r.specialty.as_deref(), Some("Family Practice"));
    }

    #[test]
    fn reviewer_prose() {
        let r = reviewer("The physician reviewer is Board Certified in Anesthesiology, has a subspecialty in Pain Management and is licensed to practice in Florida. He/she has been");
        assert_eq!(r.specialty.as_deref(), Some("Anesthesiology"));
        assert_eq!(r.subspecialty.as_deref(), Some("Pain Management"));
        assert_eq!(r.licensure, vec!["Florida"]);
        let r = reviewer("is Board Certified in Orthopedic Surgery and is licensed to practice in California and Texas.");
        assert_eq!(r.specialty.as_deref(), Some("Orthopedic Surgery"));
        assert_eq!(r.licensure, vec!["California", "Texas"]);
    }

    #[test]
    fn patient_age_and_sex() {
        let p = patient("The injured worker is a 58-year-old female who");
        assert_eq!((p.age, p.sex), (Some(58), Some(Sex::Female)));
        let p = patient("The patient is a 48 year old with an injury");
        assert_eq!((p.age, p.sex), (Some(48), None));
        assert_eq!(patient("no age here"), Patient::default());
    }
}

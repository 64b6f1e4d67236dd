//! The letter-level fields: header dates, sections, reviewer credentials, patient.

use super::text::{Doc, Line, HEADINGS, HOW, ISSUES, SUMMARY};
use crate::letter::{Date, Header, Patient, Priority, Reviewer, Sex};
use regex::Regex;
use regex_automata::meta::Regex as MetaRegex;
use std::sync::LazyLock;

/// The header's labels, each with the kind of value it takes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Label {
    CaseNumber,
    DateAssigned,
    DecisionDate,
    DateOfInjury,
    UrDenialDate,
    ApplicationReceived,
    Priority,
}

#[derive(Debug, Clone, Copy)]
enum Value<'a> {
    Case(&'a str),
    Date(Date),
    Priority(Priority),
}

#[derive(Debug, Clone, Copy)]
enum Token<'a> {
    Label(Label),
    Value(Value<'a>),
}

impl Token<'_> {
    fn label(&self) -> Option<Label> {
        if let Token::Label(l) = self {
            Some(*l)
        } else {
            None
        }
    }

    fn value(&self) -> Option<Value<'_>> {
        if let Token::Value(v) = self {
            Some(*v)
        } else {
            None
        }
    }
}

/// Whether a label takes a value of this kind.
fn fits(label: Label, value: &Value) -> bool {
    match value {
        Value::Case(_) => label == Label::CaseNumber,
        Value::Priority(_) => label == Label::Priority,
        Value::Date(_) => !matches!(label, Label::CaseNumber | Label::Priority),
    }
}

/// The header's labels and values in text order. Label words may wrap ("Application\nReceived:"),
/// and a column layout may put the value between them ("Application  11/03/2016\nReceived:").
fn tokens(head: &str) -> Vec<Token<'_>> {
    /// What each pattern of [`RE`] finds: a label, or a kind of value.
    enum Kind {
        Label(Label),
        Case,
        Date,
        Priority,
    }
    const PATTERNS: [(&str, Kind); 10] = [
        (r"Case\s+Number\s*:", Kind::Label(Label::CaseNumber)),
        (r"Date\s+Assigned\s*:", Kind::Label(Label::DateAssigned)),
        (r"Decision\s+Date\s*:", Kind::Label(Label::DecisionDate)),
        (r"Date\s+of\s+Injury\s*:", Kind::Label(Label::DateOfInjury)),
        (r"UR\s+Denial\s+Date\s*:", Kind::Label(Label::UrDenialDate)),
        (
            r"Application(?:\s+Received\s*:)?",
            Kind::Label(Label::ApplicationReceived),
        ),
        (r"Priority\s*:", Kind::Label(Label::Priority)),
        (r"\b[A-Z]{2}\d{2}-\d{5,8}\b", Kind::Case),
        (r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", Kind::Date),
        (r"\b(?:Standard|Expedited)\b", Kind::Priority),
    ];
    // One pattern each, searched together, leftmost first with the earlier pattern first at a
    // position (as one alternation of them would be): each match says which pattern it is, with
    // no capture groups to resolve.
    static RE: LazyLock<MetaRegex> =
        LazyLock::new(|| MetaRegex::new_many(&PATTERNS.map(|(p, _)| p)).expect("static patterns"));
    RE.find_iter(head)
        .filter_map(|m| {
            let text = &head[m.range()];
            Some(match PATTERNS[m.pattern().as_usize()].1 {
                Kind::Label(l) => Token::Label(l),
                Kind::Case => Token::Value(Value::Case(text)),
                Kind::Date => Token::Value(Value::Date(Date::parse_us(text)?)),
                Kind::Priority if text == "Expedited" => {
                    Token::Value(Value::Priority(Priority::Expedited))
                }
                Kind::Priority => Token::Value(Value::Priority(Priority::Standard)),
            })
        })
        .collect()
}

/// The header block before the letter's first section: its case number (empty when absent),
/// dates and priority; the seeds have none, and their fields stay null. The source, reviewer and
/// patient come from elsewhere.
///
/// Labels and values pair in text order, whether each value follows its label or a block of
/// labels is followed by a block of their values (pdftotext's default mode). Where that leaves a
/// value without a label before labels left without a value, the columns were interleaved
/// ([`paired_by_kind`]).
pub(crate) fn read_header(head: &str) -> Header {
    let toks = tokens(head);
    let nearest = paired_nearest(&toks);
    let displaced = match (nearest.unpaired.iter().max(), nearest.open.iter().min()) {
        (Some(value), Some(label)) => value < label,
        _ => false,
    };
    if displaced {
        if let Some(h) = paired_by_kind(&toks) {
            return h;
        }
    }
    nearest.header
}

/// The header as each run of values pairs with the run of labels before it, and the places (in
/// `toks`) of the values left without a label and of the labels left without a value.
struct Paired {
    header: Header,
    unpaired: Vec<usize>,
    open: Vec<usize>,
}

/// The run of tokens from `i` that `pick` reads (labels, or values), each with its place.
fn run_at<'a, 't, T>(
    toks: &'a [Token<'t>],
    i: usize,
    pick: impl Fn(&'a Token<'t>) -> Option<T>,
) -> Vec<(usize, T)> {
    toks[i..]
        .iter()
        .map_while(pick)
        .enumerate()
        .map(|(k, t)| (i + k, t))
        .collect()
}

fn paired_nearest(toks: &[Token]) -> Paired {
    let mut p = Paired {
        header: Header::default(),
        unpaired: Vec::new(),
        open: Vec::new(),
    };
    let mut i = 0;
    while i < toks.len() {
        let labels = run_at(toks, i, Token::label);
        i += labels.len();
        let values = run_at(toks, i, Token::value);
        i += values.len();
        let mut paired = vec![false; labels.len()];
        if labels.len() == values.len() {
            paired.fill(true);
            for ((_, l), (_, v)) in labels.iter().zip(&values) {
                set(&mut p.header, *l, *v);
            }
        } else if labels.len() > values.len() {
            // A label without its value: the values belong to the labels nearest them.
            let mut end = labels.len();
            for &(at, v) in values.iter().rev() {
                match labels[..end].iter().rposition(|(_, l)| fits(*l, &v)) {
                    Some(k) => {
                        set(&mut p.header, labels[k].1, v);
                        paired[k] = true;
                        end = k;
                    }
                    None => p.unpaired.push(at),
                }
            }
        } else {
            let mut start = 0;
            for &(at, v) in &values {
                match labels[start..].iter().position(|(_, l)| fits(*l, &v)) {
                    Some(k) => {
                        set(&mut p.header, labels[start + k].1, v);
                        paired[start + k] = true;
                        start += k + 1;
                    }
                    None => p.unpaired.push(at),
                }
            }
        }
        p.open.extend(
            labels
                .iter()
                .zip(&paired)
                .filter(|(_, &done)| !done)
                .map(|((at, _), _)| *at),
        );
    }
    p
}

/// The header when each kind of value (case number, dates, priority) is there as many times as
/// the labels that take it: the labels and the values of a kind then pair in text order, however
/// a text route interleaves the two columns (pdfminer puts a value before its label, another
/// after: "10/16/2016 Date of Injury: UR Denial Date: 10/20/2016 11/15/2016 Application
/// Received:"). Otherwise None, and values pair with their nearest labels.
fn paired_by_kind(toks: &[Token]) -> Option<Header> {
    /// 0 for a case number, 1 for a date, 2 for a priority.
    fn kind(v: &Value) -> usize {
        match v {
            Value::Case(_) => 0,
            Value::Date(_) => 1,
            Value::Priority(_) => 2,
        }
    }
    let labels: Vec<Label> = toks.iter().filter_map(Token::label).collect();
    let values: Vec<Value> = toks.iter().filter_map(Token::value).collect();
    if labels.is_empty() || labels.len() != values.len() {
        return None;
    }
    let mut h = Header::default();
    for k in 0..3 {
        let vals: Vec<&Value> = values.iter().filter(|v| kind(v) == k).collect();
        let Some(first) = vals.first() else {
            continue;
        };
        let takers: Vec<Label> = labels.iter().copied().filter(|l| fits(*l, first)).collect();
        if takers.len() != vals.len() {
            return None;
        }
        for (l, v) in takers.into_iter().zip(vals) {
            set(&mut h, l, *v);
        }
    }
    Some(h)
}

/// Sets a field once: a second value for the same label is not the header's.
fn set(h: &mut Header, label: Label, value: Value) {
    fn once<T>(slot: &mut Option<T>, v: T) {
        if slot.is_none() {
            *slot = Some(v);
        }
    }
    match (label, value) {
        (Label::CaseNumber, Value::Case(c)) if h.case_number.is_empty() => {
            h.case_number = c.to_string()
        }
        (Label::Priority, Value::Priority(p)) => once(&mut h.priority, p),
        (Label::DateAssigned, Value::Date(d)) => once(&mut h.date_assigned, d),
        (Label::DecisionDate, Value::Date(d)) => once(&mut h.decision_date, d),
        (Label::DateOfInjury, Value::Date(d)) => once(&mut h.date_of_injury, d),
        (Label::UrDenialDate, Value::Date(d)) => once(&mut h.ur_denial_date, d),
        (Label::ApplicationReceived, Value::Date(d)) => once(&mut h.application_received, d),
        _ => {}
    }
}

/// The lines of the header and of the three sections, headings excluded.
///
/// Each section runs from its heading to the next heading of any section, so sections are found
/// wherever they stand in the letter.
#[derive(Debug, Default)]
pub(crate) struct Sections<'a> {
    pub head: &'a [Line],
    pub how: &'a [Line],
    pub summary: &'a [Line],
    pub issues: &'a [Line],
}

impl<'a> Sections<'a> {
    pub fn split(doc: &'a Doc) -> Sections<'a> {
        let lines = &doc.lines[..];
        let at: Vec<usize> = (0..lines.len())
            .filter(|&i| HEADINGS.contains(&lines[i].text.as_str()))
            .collect();
        let section = |heading: &str| -> &'a [Line] {
            let Some(s) = doc.heading(heading) else {
                return &[];
            };
            let end = at.iter().copied().find(|&e| e > s).unwrap_or(lines.len());
            &lines[s + 1..end]
        };
        Sections {
            head: &lines[..at.first().copied().unwrap_or(0)],
            how: section(HOW),
            summary: section(SUMMARY),
            issues: section(ISSUES),
        }
    }
}

/// A section heading the text has more than once, and how many times: a file holding two
/// letters (merged PDFs, texts joined), whose second letter would be read into the first's last
/// item.
pub(crate) fn repeated_heading(doc: &Doc) -> Option<(&'static str, usize)> {
    HEADINGS.iter().find_map(|&h| {
        let times = doc.lines.iter().filter(|l| l.text == h).count();
        (times > 1).then_some((h, times))
    })
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
        Regex::new(r"State\(s\) of Licensure\s*:\s*(.*?)\s*(?:Certification\(s\)/Specialty\s*:|$)")
            .unwrap()
    });
    static SPECIALTY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"Certification\(s\)/Specialty\s*:\s*(.*?)\s*(?:State\(s\) of Licensure\s*:|$)")
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
    let specialties = |s: &str| -> Vec<String> {
        let names = crate::letter::split_specialties(&clean(s));
        names
            .iter()
            .map(|n| crate::letter::specialty_name(n))
            .collect()
    };
    // The capturing search is slow over a whole section: a plain search finds the sentence first.
    if let Some(c) = PROSE.find(how).and_then(|m| PROSE.captures(m.as_str())) {
        return Reviewer {
            licensure: list(&c[3]),
            specialty: specialties(&c[1]),
            subspecialty: c
                .get(2)
                .map(|m| crate::letter::specialty_name(&clean(m.as_str()))),
        };
    }
    Reviewer {
        licensure: STATES
            .captures(how)
            .map(|c| list(&c[1]))
            .unwrap_or_default(),
        specialty: SPECIALTY
            .captures(how)
            .map(|c| specialties(&c[1]))
            .unwrap_or_default(),
        subspecialty: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_reads_wrapped_labels() {
        let h = read_header(
            "Case Number:  CM16-0213037\nDate Assigned:  11/09/2016  Date of Injury:   10/13/2016\nDecision Date:  12/09/2016  UR Denial Date:   11/03/2016\nPriority:   Standard  Application\nReceived:   11/03/2016\nHOW THE IMR FINAL DETERMINATION WAS MADE\nOn 1/1/2015 ...",
        );
        assert_eq!(h.case_number, "CM16-0213037");
        assert_eq!(h.application_received.unwrap().to_string(), "2016-11-03");
        assert_eq!(h.date_of_injury.unwrap().to_string(), "2016-10-13");
        assert_eq!(h.priority, Some(Priority::Standard));
    }

    /// pdfminer's order of the two columns: a value before its label, the next after theirs.
    #[test]
    fn header_of_interleaved_columns_pairs_by_kind() {
        let h = read_header(
            "Case Number:\nDate Assigned:\nDecision Date:\nPriority:\n\nCM16-0221706\n\
             11/23/2016\n12/21/2016\nStandard\n\n10/16/2016\nDate of Injury:\nUR Denial Date:  \
             10/20/2016\n11/15/2016\nApplication\nReceived:\n",
        );
        assert_eq!(h.case_number, "CM16-0221706");
        assert_eq!(h.priority, Some(Priority::Standard));
        assert_eq!(
            dates(&h),
            some([
                "2016-11-23",
                "2016-12-21",
                "2016-10-16",
                "2016-10-20",
                "2016-11-15"
            ])
        );
        // A label without its value and a date of something else after every label: not
        // interleaved columns, so each value keeps the label nearest it.
        let h = read_header(
            "Case Number: CM16-0213037\nDate Assigned: 11/09/2016  Date of Injury: 10/13/2016\n\
             Decision Date: 12/09/2016  UR Denial Date:\nPriority: Standard  Application \
             11/03/2016\nReceived:\nFaxed 12/10/2016\n",
        );
        assert_eq!(h.ur_denial_date, None);
        assert_eq!(h.application_received.unwrap().to_string(), "2016-11-03");
    }

    fn dates(h: &Header) -> Vec<Option<String>> {
        [
            h.date_assigned,
            h.decision_date,
            h.date_of_injury,
            h.ur_denial_date,
            h.application_received,
        ]
        .iter()
        .map(|d| d.map(|d| d.to_string()))
        .collect()
    }

    fn some(v: [&str; 5]) -> Vec<Option<String>> {
        v.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn header_labels_and_values_in_blocks_pair_in_order() {
        let h = read_header(
            "Case Number:\nDate Assigned:\nDecision Date:\nPriority:\n\nCM16-0213037\n11/09/2016\n\
             12/09/2016\nExpedited\n\nDate of Injury:\nUR Denial Date:\nApplication\nReceived:\n\n\
             10/13/2016\n11/03/2016\n11/04/2016\n",
        );
        assert_eq!(h.case_number, "CM16-0213037");
        assert_eq!(h.priority, Some(Priority::Expedited));
        assert_eq!(
            dates(&h),
            some([
                "2016-11-09",
                "2016-12-09",
                "2016-10-13",
                "2016-11-03",
                "2016-11-04"
            ])
        );
    }

    #[test]
    fn header_value_between_label_words_and_missing_values() {
        // pdftotext -layout: "Application  11/04/2016" with "Received:" on the next line.
        let h = read_header(
            "Date Assigned:  11/09/2016    Date of Injury:  10/13/2016\n\
             Decision Date:  12/09/2016    UR Denial Date:  11/03/2016\n\
             Priority:  Standard           Application      11/04/2016\n\
                                           Received:\n",
        );
        assert_eq!(
            dates(&h),
            some([
                "2016-11-09",
                "2016-12-09",
                "2016-10-13",
                "2016-11-03",
                "2016-11-04"
            ])
        );
        // A label without its value leaves that field empty, not the next label's value.
        let h = read_header("Date Assigned:\nDate of Injury: 10/13/2016\n");
        assert_eq!(
            (h.date_assigned, h.date_of_injury.map(|d| d.to_string())),
            (None, Some("2016-10-13".into()))
        );
    }

    #[test]
    fn reviewer_form_lines() {
        let r = reviewer("The Expert Reviewer has the following credentials: State(s) of Licensure: California,North Carolina Certification(s)/Specialty: Family Practice");
        assert_eq!(r.licensure, vec!["California", "North Carolina"]);
        assert_eq!(r.specialty, ["Family Practice"]);
        // A space before each label's colon, as some text routes lay labels out.
        let r = reviewer(concat!(
            "State(s) of Licensure : California,North Carolina ",
            "Certification(s)/Specialty : Family Practice"
        ));
        assert_eq!(r.licensure, vec!["California", "North Carolina"]);
        assert_eq!(r.specialty, ["Family Practice"]);
    }

    #[test]
    fn reviewer_prose() {
        let r = reviewer("The physician reviewer is Board Certified in Anesthesiology, has a subspecialty in Pain Management and is licensed to practice in Florida. He/she has been");
        assert_eq!(r.specialty, ["Anesthesiology"]);
        assert_eq!(r.subspecialty.as_deref(), Some("Pain Management"));
        assert_eq!(r.licensure, vec!["Florida"]);
        let r = reviewer("is Board Certified in Orthopedic Surgery and is licensed to practice in California and Texas.");
        assert_eq!(r.specialty, ["Orthopedic Surgery"]);
        assert_eq!(r.licensure, vec!["California", "Texas"]);
        // One specialty, one name: "and" within it as most letters write it, "&".
        let r = reviewer(concat!(
            "is Board Certified in Physical Medicine and Rehabilitation and is licensed to ",
            "practice in California."
        ));
        assert_eq!(r.specialty, ["Physical Medicine & Rehabilitation"]);
        let r = reviewer(concat!(
            "State(s) of Licensure : California ",
            "Certification(s)/Specialty : Physical Medicine and Rehabilitation, Pain Management"
        ));
        assert_eq!(
            r.specialty,
            ["Physical Medicine & Rehabilitation", "Pain Management"]
        );
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

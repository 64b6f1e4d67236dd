//! Which guideline documents an item's reviewer cites, read from the letter's reviewer-guideline
//! line, so decisions can be counted by guideline as the DWC counts them.

use regex::Regex;
use std::sync::LazyLock;

/// An MTUS document with its year ("Chronic Pain Medical Treatment 2016"), possibly several in
/// one citation ("Acupuncture Treatment 2007, and Chronic Pain Medical Treatment 2016").
static MTUS_DOCUMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Z][A-Za-z,&/\s]*?\s(?:19|20)\d\d").expect("valid"));

/// A year that ends a list of sections: the year of the next document's name.
static YEAR_AT_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s((?:19|20)\d\d),?\s*$").expect("valid"));

/// MTUS documents whose names hold ", and ", the word that otherwise starts a document after a
/// list of sections.
const NAMES_WITH_AND: [&str; 2] = [
    "Forearm, Wrist, and Hand Complaints",
    "Hand, Wrist, and Forearm Disorders",
];

/// The document a list of sections runs into ("Initial Care, Physical Methods, and Chronic Pain
/// Medical Treatment 2016, "), with its year; None where the list ends the citation.
fn document_after_sections(list: &str) -> Option<String> {
    let year = YEAR_AT_END.captures(list)?;
    let whole = year.get(0)?;
    let name = list[..whole.start()].trim_end();
    let name = NAMES_WITH_AND
        .into_iter()
        .find(|n| name.ends_with(n))
        .unwrap_or_else(|| name.rsplit(", and ").next().unwrap_or(name))
        .trim();
    let capitalised = name.starts_with(|c: char| c.is_ascii_uppercase());
    (capitalised && name != list.trim()).then(|| format!("{name} {}", &year[1]))
}

/// An ACOEM chapter as earlier letters cite it ("ACOEM Chapter 12 Low Back Complaints
/// Page(s): 304"): the MTUS adopted ACOEM's 2004 chapters, which later letters name so.
static ACOEM_CHAPTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*ACOEM Chapter \d+ ([A-Z][A-Za-z,& ]*?)\s+Page").expect("valid")
});

/// A document as earlier letters cite it, without a year and before its pages: " Low Back
/// Complaints 2004" (an ACOEM chapter) or " Chronic Pain Treatment Guidelines" (a name ending in
/// "Guidelines", the sections after it left out).
fn older_document(citation: &str) -> Option<String> {
    if let Some(c) = ACOEM_CHAPTER.captures(citation) {
        return Some(format!(" {} 2004", &c[1]));
    }
    let end = citation.find(" Guidelines")? + " Guidelines".len();
    let name = citation[..end].trim();
    name.starts_with(|c: char| c.is_ascii_uppercase())
        .then(|| format!(" {name}"))
}

/// A name's words joined by single spaces: the database's names are so, which its guideline
/// filter relies on.
fn single_spaced(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`single_spaced`] for a name's tail that starts with its space (or is empty).
fn single_spaced_tail(tail: &str) -> String {
    match single_spaced(tail) {
        t if t.is_empty() => t,
        t => format!(" {t}"),
    }
}

/// "Non-MTUS Citation" as a text route may write it: "Non- MTUS" (a line broken after the hyphen,
/// joined with a space), "NonMTUS" (joined without).
static NON_MTUS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^Non-?\s*MTUS\s+Citation").expect("pattern"));

/// A list of sections' label, a space before its colon or not.
static SECTIONS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Section\(s\)\s*:").expect("pattern"));

/// The guideline documents `line` cites, in order, each once: "MTUS Low Back Complaints 2004",
/// "ODG", "ACOEM", "Other non-MTUS source", "Outside the MTUS", "No evidence cited".
pub fn guidelines_cited(line: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    fn add(out: &mut Vec<String>, g: String) {
        if !out.contains(&g) {
            out.push(g);
        }
    }
    let mut parts = line.split("Decision based on ");
    let preamble = parts.next().unwrap_or_default();
    // Earlier letters say "did not base their decision on the MTUS".
    if preamble.contains("outside of the MTUS")
        || preamble.contains("not base their decision on the MTUS")
    {
        add(&mut out, "Outside the MTUS".into());
    }
    if preamble.contains("did not cite any medical evidence") {
        add(&mut out, "No evidence cited".into());
    }
    for part in parts {
        if let Some(cited) = NON_MTUS.find(part).map(|m| &part[m.end()..]) {
            let g = if cited.contains("ODG") || cited.contains("Official Disability") {
                "ODG".into()
            } else if cited.contains("ACOEM") {
                "ACOEM".into()
            } else {
                "Other non-MTUS source".into()
            };
            add(&mut out, g);
        } else if let Some(doc) = part.strip_prefix("MTUS") {
            // "A 2004, Section(s): x, y, and B 2016, Section(s): z.": the first documents come
            // before the first sections; each later one ends a list of sections.
            let mut lists = SECTIONS.split(doc);
            let first = lists.next().unwrap_or_default();
            let before = out.len();
            for m in MTUS_DOCUMENT.find_iter(first) {
                add(&mut out, format!("MTUS {}", single_spaced(m.as_str())));
            }
            for list in lists {
                if let Some(d) = document_after_sections(list) {
                    add(&mut out, format!("MTUS {}", single_spaced(&d)));
                }
            }
            if out.len() == before {
                let older = older_document(first).unwrap_or_default();
                add(&mut out, format!("MTUS{}", single_spaced_tail(&older)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::guidelines_cited;

    #[test]
    fn citations_name_their_documents() {
        let cases: [(&str, &[&str]); 19] = [
            // As text routes write labels: a space before a colon, a line broken after a
            // hyphen and joined with a space or without one.
            (
                "Decision based on MTUS Elbow Complaints 2007, Section(s) : Diagnostic Criteria, \
                 and Forearm, Wrist, and Hand Complaints 2004, Section(s) : Special Studies.",
                &[
                    "MTUS Elbow Complaints 2007",
                    "MTUS Forearm, Wrist, and Hand Complaints 2004",
                ],
            ),
            (
                "Decision based on Non- MTUS Citation Official Disability Guidelines (ODG).",
                &["ODG"],
            ),
            (
                "Decision based on NonMTUS Citation ACOEM Hip and Groin Chapter.",
                &["ACOEM"],
            ),
            (
                "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): NSAIDs.",
                &["MTUS Chronic Pain Medical Treatment 2016"],
            ),
            (
                "Decision based on MTUS Acupuncture Treatment 2007, and Chronic Pain Medical \
                 Treatment 2016, Section(s): Acupuncture.",
                &[
                    "MTUS Acupuncture Treatment 2007",
                    "MTUS Chronic Pain Medical Treatment 2016",
                ],
            ),
            (
                "Decision based on MTUS Forearm, Wrist, and Hand Complaints 2004, Section(s): X. \
                 Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) MRI.",
                &["MTUS Forearm, Wrist, and Hand Complaints 2004", "ODG"],
            ),
            (
                "Decision based on Non-MTUS Citation ACOEM Hip and Groin Chapter.",
                &["ACOEM"],
            ),
            (
                "The Expert Reviewer based their decision on recommendation(s) outside of the \
                 MTUS Guidelines. Decision based on Non-MTUS Citation UpToDate.com.",
                &["Outside the MTUS", "Other non-MTUS source"],
            ),
            (
                "The Expert Reviewer did not cite any medical evidence for its decision.",
                &["No evidence cited"],
            ),
            (
                "Decision based on MTUS Low Back Complaints 2004, Section(s): Initial Care, \
                 Physical Methods, and Chronic Pain Medical Treatment 2016, Section(s): Physical \
                 medicine treatment.",
                &[
                    "MTUS Low Back Complaints 2004",
                    "MTUS Chronic Pain Medical Treatment 2016",
                ],
            ),
            (
                "Decision based on MTUS Elbow Complaints 2007, Section(s): Diagnostic Criteria, \
                 and Forearm, Wrist, and Hand Complaints 2004, Section(s): Special Studies, \
                 Summary.",
                &[
                    "MTUS Elbow Complaints 2007",
                    "MTUS Forearm, Wrist, and Hand Complaints 2004",
                ],
            ),
            (
                "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Compound \
                 drugs, and Opioid Treatment 2016, Section(s): 3.3 Opioids for Chronic Pain.",
                &[
                    "MTUS Chronic Pain Medical Treatment 2016",
                    "MTUS Opioid Treatment 2016",
                ],
            ),
            (
                "Decision based on MTUS ACOEM Chapter 12 Low Back Complaints Page(s): 303-304.",
                &["MTUS Low Back Complaints 2004"],
            ),
            (
                "Decision based on MTUS Chronic Pain Treatment Guidelines TRIGGER POINT \
                 INJECTIONS Page(s): 122.",
                &["MTUS Chronic Pain Treatment Guidelines"],
            ),
            ("Decision based on MTUS Page(s): 12.", &["MTUS"]),
            (
                "The Expert Reviewer did not base their decision on the MTUS. Decision based on \
                 Non-MTUS Citation Official Disability Guidelines (ODG) Neck.",
                &["Outside the MTUS", "ODG"],
            ),
            (
                "Decision based on MTUS Low  Back\tComplaints 2004, Section(s): x.",
                &["MTUS Low Back Complaints 2004"],
            ),
            (
                "The Expert Reviewer based their decision on the MTUS. Decision based on MTUS \
                 Knee Complaints 2004, Section(s): x.",
                &["MTUS Knee Complaints 2004"],
            ),
            ("", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(guidelines_cited(line), want, "{line}");
        }
    }
}

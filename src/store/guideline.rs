//! Which guideline documents an item's reviewer cites, read from the letter's reviewer-guideline
//! line, so decisions can be counted by guideline as the DWC counts them.

use regex::Regex;
use std::sync::LazyLock;

/// An MTUS document with its year ("Chronic Pain Medical Treatment 2016"), possibly several in
/// one citation ("Acupuncture Treatment 2007, and Chronic Pain Medical Treatment 2016").
static MTUS_DOCUMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Z][A-Za-z,&/ ]*?\s(?:19|20)\d\d").expect("valid"));

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
    if preamble.contains("outside of the MTUS") {
        add(&mut out, "Outside the MTUS".into());
    }
    if preamble.contains("did not cite any medical evidence") {
        add(&mut out, "No evidence cited".into());
    }
    for part in parts {
        if let Some(cited) = part.strip_prefix("Non-MTUS Citation") {
            let g = if cited.contains("ODG") || cited.contains("Official Disability") {
                "ODG".into()
            } else if cited.contains("ACOEM") {
                "ACOEM".into()
            } else {
                "Other non-MTUS source".into()
            };
            add(&mut out, g);
        } else if let Some(doc) = part.strip_prefix("MTUS") {
            let doc = doc.split(", Section").next().unwrap_or_default();
            let before = out.len();
            for m in MTUS_DOCUMENT.find_iter(doc) {
                add(&mut out, format!("MTUS {}", m.as_str().trim()));
            }
            if out.len() == before {
                add(&mut out, "MTUS".into());
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
        let cases: [(&str, &[&str]); 7] = [
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
            ("", &[]),
        ];
        for (line, want) in cases {
            assert_eq!(guidelines_cited(line), want, "{line}");
        }
    }
}

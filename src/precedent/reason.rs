//! The sentence of a decision rationale that says why: "There is no documentation of objective
//! functional improvement with prior physical therapy.", not the verdict ("... is not medically
//! necessary") nor the guideline it quotes.
//!
//! Reviewers write the guideline first, then the case, then the verdict; the reason is the case
//! sentence nearest the verdict that carries a reason cue. Deficits ("no documentation", "has
//! not", "failed", "exceeds") are the strong cues; the words of a met criterion ("documented",
//! "within", "meets") are weak ones, as history sentences use them too ("pain was documented at
//! 6/10").

use crate::features::cues::is_guideline_sentence;
use crate::features::{is_verdict, sentences};
use regex::Regex;
use std::sync::OnceLock;

/// Longest reason returned, in bytes; a longer sentence is cut at a word boundary and ends in "…".
pub const MAX_REASON_LEN: usize = 400;

/// Candidates this close to the verdict (counted in case sentences) are preferred to farther ones
/// whatever their cue: a reason sits next to its verdict, and a deficit stated early is often
/// history.
const NEAR: usize = 3;

/// A shorter "sentence" is a heading or a fragment ("Criteria:", "Yes.").
const MIN_WORDS: usize = 4;

/// Deficits, refusals and excesses.
const STRONG: &str = concat!(
    "no|not|none|neither|nor|never|lacks?|lacking|absence|absent|without|fail(s|ed|ure)?|",
    "exceed(s|ed|ing)?|excess|beyond|outside|unclear|insufficient|inadequate|unable|cannot|",
    "can't|isn't|wasn't|hasn't|haven't|didn't|doesn't",
);

/// The words of a criterion met, or of a cause.
const WEAK: &str = concat!(
    "documented|documentation|demonstrated|evidence|within|meets?|met|criteria|",
    "consistent with|supports?|supported|indicated|appropriate|reasonable|warranted|",
    "improvement|benefit|objective|because|since|given",
);

/// The openings of a conclusion.
const CONCLUDES: &str = concat!(
    "therefore|thus|hence|consequently|accordingly|as such|in conclusion|given the above|",
    "based on (the above|this|these)|(the|this) request(ed)?",
);

/// The words of a decision that are not a verdict's.
const DECIDED: &str = concat!(
    "supported|recommended|indicated|appropriate|warranted|certified|approved|reasonable|",
    "justified|established",
);

/// A case-insensitive pattern: `head`, then one of `alternatives` (`|`-separated) as whole words.
fn words(head: &str, alternatives: &str) -> Regex {
    Regex::new(&format!(r"(?i){head}\b({alternatives})\b")).expect("valid")
}

fn strong_cue() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| words("", STRONG))
}

fn weak_cue() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| words("", WEAK))
}

/// A verdict that gives its cause in the same sentence ("As the surgery is not medically
/// necessary, the assistant surgeon is not medically necessary.").
fn causal_verdict() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^\s*(as|since|because|given that)\b|\b(because|due to|since)\b")
            .expect("valid")
    })
}

/// Where a verdict's own conclusion starts after its reason ("There are no extenuating factors,
/// therefore this request is not medically necessary.").
fn conclusion() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)[,;]?\s+(and\s+)?(therefore|thus|hence|as such|consequently)\b")
            .expect("valid")
    })
}

/// A short conclusion that restates the decision in other words than a verdict's ("Therefore, the
/// request is not supported.", "Consequently, an EEG is not clinically indicated.", "The request
/// for an EMG is not supported.").
fn restated_verdict(sentence: &str) -> bool {
    static START: OnceLock<Regex> = OnceLock::new();
    static DECISION: OnceLock<Regex> = OnceLock::new();
    let start = START.get_or_init(|| words(r"^\W*", CONCLUDES));
    let decided = DECISION.get_or_init(|| words("", DECIDED));
    sentence.split_whitespace().count() <= RESTATED_WORDS
        && start.is_match(sentence)
        && decided.is_match(sentence)
}

/// Longest restated verdict, in words: a longer sentence that starts "Therefore" usually gives a
/// reason.
const RESTATED_WORDS: usize = 20;

fn has_cue(s: &str) -> bool {
    strong_cue().is_match(s) || weak_cue().is_match(s)
}

/// The reason a verdict sentence gives itself: the clause before its conclusion where that clause
/// has a cue ("There are no extenuating factors, therefore ..." gives "There are no extenuating
/// factors."), or the whole sentence where it states a cause ("As the surgery is not medically
/// necessary, ...").
fn reason_in_verdict(verdict: &str) -> Option<String> {
    if let Some(m) = conclusion().find(verdict) {
        let clause = verdict[..m.start()].trim_end_matches([',', ';', ' ']);
        if clause.split_whitespace().count() >= MIN_WORDS && has_cue(clause) {
            return Some(format!("{clause}."));
        }
    }
    causal_verdict()
        .is_match(verdict)
        .then(|| verdict.to_string())
}

/// The sentence of `rationale` that states why the reviewer decided as they did, white space
/// collapsed and at most [`MAX_REASON_LEN`] bytes; `None` where no sentence gives a reason.
pub fn reason_sentence(rationale: &str) -> Option<String> {
    let spans = sentences(rationale);
    let all: Vec<&str> = spans.iter().map(|r| &rationale[r.clone()]).collect();
    // The last verdict anchors the search: earlier ones restate the request ("Pursuant to the ODG,
    // X is not medically necessary."); without one, the reason is at the end.
    let anchor = all.iter().rposition(|s| is_verdict(s));
    let verdict_at = anchor.unwrap_or(all.len());
    let case: Vec<(usize, &str)> = all
        .iter()
        .enumerate()
        .filter(|(_, s)| !is_verdict(s) && !restated_verdict(s) && !is_guideline_sentence(s))
        .filter(|(_, s)| s.split_whitespace().count() >= MIN_WORDS)
        .map(|(i, s)| (i, *s))
        .collect();
    // Distance in case sentences from the anchor: those before it count 0, 1, 2, ... backwards;
    // those after it (a verdict stated first) come after every sentence before it at the same
    // distance.
    let before = case.iter().filter(|(i, _)| *i < verdict_at).count();
    let best = case
        .iter()
        .enumerate()
        .filter_map(|(pos, &(i, s))| {
            let tier = if strong_cue().is_match(s) {
                0
            } else if weak_cue().is_match(s) {
                1
            } else {
                return None;
            };
            let (distance, after) = if i < verdict_at {
                (before - 1 - pos, 0)
            } else {
                (pos - before, 1)
            };
            Some(((distance >= NEAR, tier, distance, after), s))
        })
        .min_by_key(|&(key, _)| key)
        .map(|(_, s)| s.to_string())
        // Without a cue anywhere: the verdict's own reason, else the case sentence right before
        // it.
        .or_else(|| anchor.and_then(|a| reason_in_verdict(all[a])))
        .or_else(|| {
            let &(i, s) = case.get(before.checked_sub(1)?)?;
            (anchor.is_some() && i + 1 == verdict_at).then(|| s.to_string())
        })?;
    Some(bounded(&best))
}

/// White space collapsed, cut at a word boundary past [`MAX_REASON_LEN`] bytes.
fn bounded(sentence: &str) -> String {
    let text = sentence.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.len() <= MAX_REASON_LEN {
        return text;
    }
    let mut cut = MAX_REASON_LEN;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &text[..cut];
    // Cut inside a word: drop the part of it (a word that ends at the cut is whole).
    let head = match head.rfind(' ') {
        Some(space) if space > 0 && text.as_bytes()[cut] != b' ' => &head[..space],
        _ => head,
    };
    let head = head.trim_end_matches([',', ';', ':', ' ']);
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_text_gives_a_bounded_sentence_or_none(
            words in proptest::collection::vec(
                "(no|not|documented|necessary|MTUS|é|…|[A-Za-z]{1,12}|[.!?,;]|\\s{1,3})",
                0..200,
            )
        ) {
            let text = words.join(" ");
            if let Some(r) = reason_sentence(&text) {
                prop_assert!(!r.is_empty() && r.len() <= MAX_REASON_LEN + '…'.len_utf8());
            }
        }
    }

    /// The reason of a rationale given sentence by sentence.
    fn reason(sentences: &[&str]) -> Option<String> {
        reason_sentence(&sentences.join(" "))
    }

    #[test]
    fn the_deficit_nearest_the_verdict() {
        let why = "There is no documentation of objective functional improvement with prior \
                   physical therapy.";
        let r = [
            "The MTUS guidelines recommend 9 to 10 visits of physical therapy over 8 weeks.",
            "The injured worker has attended 12 sessions of therapy to date.",
            why,
            "Therefore, the request for 8 additional sessions is not medically necessary.",
        ];
        assert_eq!(reason(&r).as_deref(), Some(why));
    }

    #[test]
    fn a_deficit_beats_a_nearer_history_sentence() {
        let why = "In this case, the request exceeds the guideline recommendation as there has \
                   been no change in symptoms.";
        let r = [
            "ODG states that repeat MRI is not routinely recommended.",
            why,
            "The patient's pain was documented at 6/10 at the last visit.",
            "As such, the request is not medically necessary.",
        ];
        assert_eq!(reason(&r).as_deref(), Some(why));
    }

    #[test]
    fn an_overturn_gives_its_met_criterion() {
        let why = "The records show the worker has had three visits with documented improvement \
                   in range of motion.";
        let r = [
            "The guidelines support acupuncture as an option when pain medication is reduced.",
            why,
            "The request for 6 further visits is medically necessary.",
        ];
        assert_eq!(reason(&r).as_deref(), Some(why));
    }

    #[test]
    fn verdict_first_looks_after_it() {
        let why = "Here, the treating provider did not describe any instability of the knee.";
        let r = [
            "No, the request for a knee brace was not medically necessary.",
            "Per the ACOEM guidelines, braces are recommended for instability.",
            why,
        ];
        assert_eq!(reason(&r).as_deref(), Some(why));
    }

    #[test]
    fn restated_verdicts_are_not_reasons() {
        let why = "The patient has attended 18 sessions of chiropractic care without documented \
                   relief.";
        let r = [
            why,
            "Therefore, the request is not supported.",
            "The request for chiropractic care is not recommended.",
            "Thus the request is not medically necessary.",
        ];
        assert_eq!(reason(&r).as_deref(), Some(why));
    }

    #[test]
    fn without_a_cue_the_verdict_or_its_neighbour() {
        // The reason inside the verdict, before its conclusion.
        let r = [
            "The ODG recommends up to 10 visits for myalgia.",
            "The worker has had prior therapy (documen-tation of 8 visits).",
            "There are no extenuating factors that would require 12 more visits, therefore this \
             request is not medically necessary.",
        ];
        assert_eq!(
            reason(&r).as_deref(),
            Some("There are no extenuating factors that would require 12 more visits.")
        );
        // The case sentence right before the verdict.
        let r = [
            "The ODG recommends a urinalysis before procedures that implant material.",
            "The planned hernia repair includes placement of a mesh.",
            "Therefore, the request for a urinalysis is medically necessary.",
        ];
        assert_eq!(
            reason(&r).as_deref(),
            Some("The planned hernia repair includes placement of a mesh.")
        );
    }

    #[test]
    fn a_causal_verdict_is_the_last_resort() {
        let r = "As the requested surgery is not medically necessary, the assistant surgeon is \
                 not medically necessary.";
        assert_eq!(reason_sentence(r).as_deref(), Some(r));
        let none = [
            "The request is not medically necessary.",
            "",
            "   \n ",
            // A guideline quote alone is no reason.
            "The MTUS does not recommend opioids for chronic pain.",
        ];
        for r in none {
            assert_eq!(reason_sentence(r), None, "{r:?}");
        }
    }

    #[test]
    fn long_sentences_are_cut_at_a_word() {
        let long = format!(
            "There is no documentation of {} in the records.",
            "improvement ".repeat(60)
        );
        let r = format!("{long} Therefore the request is not medically necessary.");
        let got = reason_sentence(&r).unwrap();
        assert!(
            got.len() <= MAX_REASON_LEN + '…'.len_utf8(),
            "{}",
            got.len()
        );
        assert!(got.ends_with("improvement…"), "{got}");
        // Multi-byte text near the cut and one unbroken word never split a character.
        let r = format!("There is no {}é documented.", "é".repeat(300));
        let got = reason_sentence(&r).unwrap();
        assert!(got.ends_with('…') && got.len() <= MAX_REASON_LEN + 3);
        assert_eq!(bounded("a  b\n\tc"), "a b c", "white space is collapsed");
    }
}

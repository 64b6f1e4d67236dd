//! The disputed items of the "IMR ISSUES, DECISIONS AND RATIONALES" section.

use super::text::{
    decision_at_end, fold_string, is_labelled, paragraphs, unwrap_lines, Line, FIELD_LABELS,
    HEADINGS,
};
use crate::error::{Error, Result};
use crate::letter::{Decision, DisputedItem};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

/// A heading paragraph: the item title followed by its decision ("MRI of the knee: Upheld").
fn heading(p: &str) -> Option<(&str, Decision)> {
    match p.contains('\n') {
        true => None,
        false => decision_at_end(p),
    }
}

#[derive(Debug, PartialEq)]
pub(crate) struct Title {
    pub title: String,
    pub original_request: Option<String>,
    pub authorized: Option<String>,
}

/// Splits a heading into the disputed title and, for partial certifications, the original request
/// and the authorized portion.
pub(crate) fn split_title(heading: &str) -> Title {
    static ORIGINAL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(.*?)\s+was the original request\.\s*").unwrap());
    static AUTHORIZED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:(.*?)\s+was authorized by the Claims Administrator|The Claims Administrator authorized\s+(.*?),?\s+leaving the original request IMR eligible)\.\s*").unwrap()
    });
    static REMAINING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:The remaining IMR eligible portion of the original request|The original request),?\s*(.*?)\s*(?:,?\s*is)?\s*:?$").unwrap()
    });
    let mut rest = heading.trim().trim_end_matches(':').trim();
    let mut original_request = None;
    let mut authorized = None;
    if let Some(c) = ORIGINAL.captures(rest) {
        original_request = Some(c[1].to_string());
        rest = &rest[c.get(0).unwrap().end()..];
    }
    if let Some(c) = AUTHORIZED.captures(rest) {
        authorized = c.get(1).or(c.get(2)).map(|m| m.as_str().to_string());
        rest = &rest[c.get(0).unwrap().end()..];
    }
    if original_request.is_some() || authorized.is_some() {
        if let Some(c) = REMAINING.captures(rest) {
            let remaining = c.get(1).map_or("", |m| m.as_str()).trim();
            if !remaining.is_empty() {
                rest = remaining;
            } else if let Some(o) = &original_request {
                return Title {
                    title: o.clone(),
                    original_request,
                    authorized,
                };
            }
        }
    }
    let title = rest
        .trim()
        .trim_end_matches(':')
        .trim_end_matches(" is")
        .trim()
        .to_string();
    Title {
        title,
        original_request,
        authorized,
    }
}

/// Whether a line ends a sentence, so that a following line cannot continue it.
fn ends_sentence(p: &str) -> bool {
    p.trim_end_matches(['"', '\'', ')', '\u{201d}', ' '])
        .ends_with(['.', '!', '?'])
}

fn starts_lowercase(p: &str) -> bool {
    p.chars().next().is_some_and(char::is_lowercase)
}

/// The sentences of a partial certification that a title goes on after ("X was the original
/// request. Y was authorized by the Claims Administrator. The remaining IMR eligible portion ...
/// is:").
fn partial_certification_sentence(text: &str) -> bool {
    const ENDS: [&str; 3] = [
        "was the original request.",
        "by the Claims Administrator.",
        "original request IMR eligible.",
    ];
    ENDS.iter().any(|e| text.ends_with(e))
}

/// The boilerplate before the first item, which is never part of a title: the first title reaches
/// back over it (it ends in a colon, not a sentence) and is cut after it, wherever its lines break.
static BOILERPLATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        &[
            r"^.*?The\s+Final\s+Determination\s+was\s+based\s+on\s+decisions\s+for\s+the\s+disputed",
            r"\s+items\s*/\s*services\s+set\s+forth\s+below:\s*",
        ]
        .concat(),
    )
    .unwrap()
});

/// Where an item's title starts: the decision line reaches back over the lines its title continues
/// (a title wrapped over lines or pages, "TITLE:" with "Upheld" on its own line, the sentences of
/// a partial certification), never past the lines of the item before (`floor`).
fn title_start(lines: &[Line], decision_at: usize, floor: usize) -> usize {
    let mut s = decision_at;
    while s > floor {
        let prev = lines[s - 1].text.as_str();
        if is_labelled(prev) || HEADINGS.contains(&prev) {
            break;
        }
        let tail = match s.checked_sub(2).filter(|&t| t >= floor) {
            Some(t) => fold_string(format!("{} {prev}", lines[t].text)),
            None => prev.to_string(),
        };
        let continues = !ends_sentence(prev)
            || starts_lowercase(&lines[s].text)
            || partial_certification_sentence(&tail);
        if !continues {
            break;
        }
        s -= 1;
    }
    s
}

/// The paragraphs of an item's fields (claims administrator guideline, MAXIMUS guideline,
/// rationale), from the lines after its decision line; what is wrong where a field is labelled
/// twice.
fn item_fields(lines: &[Line]) -> std::result::Result<[Vec<String>; 3], String> {
    let mut fields: [Vec<String>; 3] = Default::default();
    let mut labelled = [false; 3];
    let mut current = None;
    for p in paragraphs(lines) {
        let (slot, text) = match FIELD_LABELS.iter().position(|l| p.starts_with(l)) {
            // A field labelled twice is two items read as one: the decision line between them
            // was not read as such, and the second item would be lost in the first.
            Some(f) if labelled[f] => {
                return Err(format!(
                    "two \"{}\" paragraphs: the item after the first has no decision line this \
                     imr reads (\"TITLE: Upheld\" or \"TITLE: Overturned\")",
                    FIELD_LABELS[f]
                ))
            }
            Some(f) => {
                labelled[f] = true;
                (Some(f), &p[FIELD_LABELS[f].len()..])
            }
            None => (current, p.as_str()),
        };
        current = slot;
        let text = text.trim();
        if let (Some(f), false) = (slot, text.is_empty()) {
            fields[f].push(text.to_string());
        }
    }
    Ok(fields)
}

/// Pass 1 over the issues section: its decision lines, each followed by an item's field label,
/// as (the first line of the item's title, its decision line).
fn item_heads(lines: &[Line]) -> Vec<(usize, usize)> {
    let mut heads: Vec<(usize, usize)> = Vec::new();
    for i in 0..lines.len() {
        // The last line is a decision line only as "TITLE: Upheld": a letter cut short after it
        // then says its last item has no rationale, where that item would have been read as the
        // end of the one before.
        let next_labelled = match lines.get(i + 1) {
            Some(n) => is_labelled(&n.text),
            None => lines[i].text.contains(':'),
        };
        if !next_labelled || is_labelled(&lines[i].text) || heading(&lines[i].text).is_none() {
            continue;
        }
        let floor = heads.last().map_or(0, |&(_, d)| d + 2);
        heads.push((title_start(lines, i, floor), i));
    }
    heads
}

/// The disputed items of the issues section's lines.
pub(crate) fn parse_items(lines: &[Line], path: &Path, case: &str) -> Result<Vec<DisputedItem>> {
    let heads = item_heads(lines);
    if heads.is_empty() {
        return Err(Error::NoItems {
            path: path.into(),
            case: case.into(),
        });
    }
    // A field before the first decision line read is an item whose decision line was not read
    // ("TITLE: Uphled", its guideline label lost): left there, the item would be dropped and the
    // items after it numbered one less. (After the first, its fields would be the item before's
    // second ones, which `item_fields` refuses.)
    if let Some(label) = lines[..heads[0].0]
        .iter()
        .find_map(|l| FIELD_LABELS.iter().find(|f| l.text.starts_with(*f)))
    {
        return Err(Error::BadItem {
            path: path.into(),
            case: case.into(),
            item: 1,
            what: format!(
                "a \"{label}\" paragraph before the first decision line: the item's decision line \
                 is missing or not one this imr reads (\"TITLE: Upheld\" or \"TITLE: Overturned\")"
            ),
        });
    }

    // Pass 2: each item's fields run from its decision line to the next item's title.
    let mut items = Vec::with_capacity(heads.len());
    for (k, &(start, decision_at)) in heads.iter().enumerate() {
        let number = k + 1;
        let bad = |what: &str| Error::BadItem {
            path: path.into(),
            case: case.into(),
            item: number,
            what: what.into(),
        };
        let end = heads.get(k + 1).map_or(lines.len(), |&(s, _)| s);
        // The decision is the decision line's own, as pass 1 read it; the title is the lines it
        // continues and what that line holds before its decision.
        let (own, decision) =
            heading(&lines[decision_at].text).ok_or_else(|| bad("unreadable decision line"))?;
        let mut parts: Vec<&str> = lines[start..decision_at]
            .iter()
            .map(|l| l.text.as_str())
            .collect();
        parts.extend(Some(own).filter(|o| !o.is_empty()));
        let head_text = unwrap_lines(&parts);
        let head_text = BOILERPLATE.replace(&head_text, "");
        let head = head_text.trim_end();
        let t = split_title(head.strip_suffix(':').unwrap_or(head));
        if t.title.is_empty() {
            return Err(bad("the disputed item has no title"));
        }
        let fields = item_fields(&lines[decision_at + 1..end]).map_err(|what| bad(&what))?;
        let [ca, reviewer, rationale] = fields;
        if rationale.is_empty() {
            return Err(bad("no \"Decision rationale:\" paragraph"));
        }
        let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join("\n\n"));
        let claims_administrator_guideline = join(ca);
        items.push(DisputedItem {
            number,
            kind: crate::treatment::classify(&t.title, claims_administrator_guideline.as_deref()),
            title: t.title,
            decision,
            original_request: t.original_request,
            authorized: t.authorized,
            claims_administrator_guideline,
            reviewer_guideline: join(reviewer),
            rationale: rationale.join("\n\n"),
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_title() {
        assert_eq!(
            heading("MRI of the right foot:  Upheld"),
            Some(("MRI of the right foot", Decision::Upheld))
        );
        assert_eq!(
            split_title("MRI of the right foot").title,
            "MRI of the right foot"
        );
        assert_eq!(heading("Upheld"), Some(("", Decision::Upheld)));
        assert_eq!(heading("it was upheld"), None);
    }

    #[test]
    fn partial_certification() {
        let t = split_title("Norco 10/325mg #60 was the original request. Norco 10/325mg #25 was authorized by the Claims Administrator. The remaining IMR eligible portion of the original request, Norco 10/325mg #35 is:");
        assert_eq!(
            t,
            Title {
                title: "Norco 10/325mg #35".into(),
                original_request: Some("Norco 10/325mg #60".into()),
                authorized: Some("Norco 10/325mg #25".into()),
            }
        );
    }

    #[test]
    fn authorized_then_original_request_eligible() {
        let t = split_title("The Claims Administrator authorized Trezix capsule 320.5/30/16mg #5, leaving the original request IMR eligible. The original request, one month supply of Trezix capsule 30.5/30/16mg is:");
        assert_eq!(t.title, "one month supply of Trezix capsule 30.5/30/16mg");
        assert_eq!(
            t.authorized.as_deref(),
            Some("Trezix capsule 320.5/30/16mg #5")
        );
        assert_eq!(t.original_request, None);
    }
}

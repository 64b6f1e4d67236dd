//! Raw extracted text into clean paragraphs: page furniture dropped, lines unwrapped, hyphenated breaks joined.

/// Lines that always start a paragraph of their own: section headings and item field labels.
const HEADINGS: [&str; 3] = [
    "HOW THE IMR FINAL DETERMINATION WAS MADE",
    "CLINICAL CASE SUMMARY",
    "IMR ISSUES, DECISIONS AND RATIONALES",
];
pub(crate) const FIELD_LABELS: [&str; 3] = [
    "Claims Administrator guideline:",
    "MAXIMUS guideline:",
    "Decision rationale:",
];

fn is_page_furniture(line: &str) -> bool {
    let t = line.trim();
    // "Page 2 of 3", "- 2 -"
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("page ") {
        let mut w = rest.split_whitespace();
        if let (Some(a), Some("of"), Some(b), None) = (w.next(), w.next(), w.next(), w.next()) {
            return a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok();
        }
    }
    let digits = t.trim_matches(|c: char| c == '-' || c.is_whitespace());
    t.starts_with('-')
        && !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Ends a paragraph after this line: the item decision line ("...: Upheld").
fn ends_with_decision(line: &str) -> bool {
    let t = line.trim_end();
    t.ends_with("Upheld") || t.ends_with("Overturned")
}

/// Splits text into paragraphs of unwrapped lines.
///
/// Two layouts occur: PDF extraction where a blank line separates paragraphs, and "double-spaced" text where every
/// line is followed by an empty line and a whitespace-only line separates paragraphs (the seed letters).
pub(crate) fn paragraphs(raw: &str) -> Vec<String> {
    let text = raw.replace("\r\n", "\n").replace(['\r', '\u{c}'], "\n");
    let lines: Vec<&str> = text.split('\n').filter(|l| !is_page_furniture(l)).collect();
    let double_spaced = is_double_spaced(&lines);

    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    let mut empty_run = 0usize;
    let flush = |cur: &mut Vec<&str>, out: &mut Vec<String>| {
        if !cur.is_empty() {
            out.push(unwrap_lines(cur));
            cur.clear();
        }
    };
    for line in lines {
        if line.trim().is_empty() {
            // In double-spaced text an empty line is only a line separator; whitespace-only lines or long runs
            // of empty lines separate paragraphs.
            let is_break = !double_spaced || !line.is_empty() || {
                empty_run += 1;
                empty_run >= 3
            };
            if is_break {
                flush(&mut cur, &mut out);
            }
            continue;
        }
        empty_run = 0;
        let t = line.trim();
        if HEADINGS.contains(&t) {
            flush(&mut cur, &mut out);
            out.push(t.to_string());
            continue;
        }
        if FIELD_LABELS.iter().any(|l| t.starts_with(l)) {
            flush(&mut cur, &mut out);
        }
        cur.push(t);
        if ends_with_decision(t) {
            flush(&mut cur, &mut out);
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn is_double_spaced(lines: &[&str]) -> bool {
    let mut content = 0usize;
    let mut followed_by_empty = 0usize;
    for w in lines.windows(2) {
        if !w[0].trim().is_empty() {
            content += 1;
            if w[1].is_empty() {
                followed_by_empty += 1;
            }
        }
    }
    content >= 4 && followed_by_empty * 10 >= content * 9
}

/// Joins the lines of one paragraph: a space between lines, none after a line-final hyphen (the corpus breaks
/// lines at real hyphens: "right-|sided", "x-|ray"), runs of white space folded to one space.
pub(crate) fn unwrap_lines(lines: &[&str]) -> String {
    let mut s = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if !s.is_empty() {
            let hyphen_break =
                s.ends_with('-') && s[..s.len() - 1].ends_with(|c: char| c.is_alphanumeric());
            if !hyphen_break {
                s.push(' ');
            }
        }
        s.push_str(line);
    }
    fold_spaces(&s)
}

pub(crate) fn fold_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_spaced_paragraphs_unwrap() {
        let p = paragraphs("First line of a\nparagraph with right-\nsided pain.\n\nSecond  one.\n");
        assert_eq!(
            p,
            vec![
                "First line of a paragraph with right-sided pain.",
                "Second one."
            ]
        );
    }

    #[test]
    fn double_spaced_uses_whitespace_lines_as_breaks() {
        let raw = "Line one of a\n\nparagraph here\n\nthat goes on.\n\n \n\nNext paragraph\n\nstarts here.\n\n";
        assert_eq!(
            paragraphs(raw),
            vec![
                "Line one of a paragraph here that goes on.",
                "Next paragraph starts here."
            ]
        );
    }

    #[test]
    fn headings_labels_and_decisions_split_paragraphs() {
        let raw = "CLINICAL CASE SUMMARY\nThe patient.\nMRI of the knee:\nUpheld\nClaims Administrator guideline: MTUS.\nMAXIMUS guideline: ODG.\n";
        assert_eq!(
            paragraphs(raw),
            vec![
                "CLINICAL CASE SUMMARY",
                "The patient. MRI of the knee: Upheld",
                "Claims Administrator guideline: MTUS.",
                "MAXIMUS guideline: ODG."
            ]
        );
    }

    #[test]
    fn page_furniture_and_form_feeds_go() {
        let p = paragraphs("Alpha\nPage 1 of 3\n\u{c}- 2 -\nBeta\n");
        assert_eq!(p, vec!["Alpha", "Beta"]);
    }
}

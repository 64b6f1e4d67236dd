//! Raw extracted text into clean lines: page furniture dropped, headings and field labels on lines
//! of their own, each line marked where a paragraph starts.
//!
//! Structure is read later from what the lines say (headings, labels, decision lines); the
//! paragraph marks only shape how a field's text is joined, so text without blank lines parses the
//! same way.

use crate::letter::Decision;
use aho_corasick::{AhoCorasick, AhoCorasickKind};
use std::borrow::Cow;
use std::sync::LazyLock;

/// Section headings of the final determination letter.
pub(crate) const HOW: &str = "HOW THE IMR FINAL DETERMINATION WAS MADE";
pub(crate) const SUMMARY: &str = "CLINICAL CASE SUMMARY";
pub(crate) const ISSUES: &str = "IMR ISSUES, DECISIONS AND RATIONALES";
pub(crate) const HEADINGS: [&str; 3] = [HOW, SUMMARY, ISSUES];
pub(crate) const FIELD_LABELS: [&str; 3] = [
    "Claims Administrator guideline:",
    "MAXIMUS guideline:",
    "Decision rationale:",
];

/// One non-empty line, trimmed, its runs of white space folded to one space.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub text: String,
    /// A paragraph starts here (after a blank line, at a heading or label, after a decision line).
    pub para: bool,
}

/// A letter's text as lines, with the whole text folded to single spaces for markers that may
/// wrap.
#[derive(Debug)]
pub(crate) struct Doc {
    pub lines: Vec<Line>,
    pub flat: String,
}

impl Doc {
    pub fn new(raw: &str) -> Doc {
        let lines = lines(raw);
        // Lines are trimmed, non-empty and folded, so joined by one space they are folded too.
        let mut flat = String::with_capacity(lines.iter().map(|l| l.text.len() + 1).sum());
        for l in &lines {
            if !flat.is_empty() {
                flat.push(' ');
            }
            flat.push_str(&l.text);
        }
        Doc { lines, flat }
    }

    /// Whether the text says `marker`, wherever its words are broken across lines.
    pub fn says(&self, marker: &str) -> bool {
        self.flat.contains(marker)
    }

    /// The index of the first line that is `heading`.
    pub fn heading(&self, heading: &str) -> Option<usize> {
        self.lines.iter().position(|l| l.text == heading)
    }
}

fn is_page_furniture(line: &str) -> bool {
    let t = line.trim();
    // "Page 2 of 3", "- 2 -"
    if let Some(rest) = t
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("page "))
        .map(|_| &t[5..])
    {
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
pub(crate) fn ends_with_decision(line: &str) -> bool {
    decision_at_end(line).is_some()
}

/// The decision a line ends with, and the text before it (its colon and spaces cut). As the DWC
/// writes it, "Upheld" or "Overturned" last, after a colon or alone ("MRI of the knee: Upheld",
/// or "Upheld" below "MRI of the knee:"); other spellings ("MRI: UPHELD", "MRI: upheld.",
/// "UPHELD", from a text route or a retyped letter) only after a colon or capitalised alone on a
/// line, where prose does not put them.
pub(crate) fn decision_at_end(line: &str) -> Option<(&str, Decision)> {
    const WORDS: [(&str, Decision); 2] = [
        ("Upheld", Decision::Upheld),
        ("Overturned", Decision::Overturned),
    ];
    let t = line.trim_end();
    let exact = WORDS
        .into_iter()
        .find_map(|(w, d)| t.strip_suffix(w).map(|h| (h, d)))
        .filter(|(h, _)| !h.ends_with(|c: char| c.is_alphanumeric() || c == '_'));
    if let Some((head, d)) = exact {
        let head = head.trim_end();
        return Some((head.strip_suffix(':').unwrap_or(head).trim_end(), d));
    }
    let t = t.strip_suffix('.').unwrap_or(t);
    let (head, word) = match t.rsplit_once(':') {
        Some((head, word)) => (head.trim_end(), word.trim()),
        // Alone on its line below "TITLE:", capitalised: a wrapped sentence's "upheld." is not.
        None if t.starts_with(|c: char| c.is_uppercase()) => ("", t.trim()),
        None => return None,
    };
    let (_, d) = WORDS
        .into_iter()
        .find(|(w, _)| word.eq_ignore_ascii_case(w))?;
    Some((head, d))
}

pub(crate) fn is_labelled(line: &str) -> bool {
    FIELD_LABELS.iter().any(|l| line.starts_with(l))
}

/// Splits text into trimmed non-empty lines, marking paragraph starts.
///
/// Two layouts of blank lines occur: one where a blank line separates paragraphs, and
/// "double-spaced" text where every line is followed by an empty line and a whitespace-only line
/// separates paragraphs (the seed letters). A heading or field label inside a line (text whose
/// line breaks were lost) starts a line of its own.
pub(crate) fn lines(raw: &str) -> Vec<Line> {
    let text: Cow<str> = match raw.contains(['\r', '\u{c}']) {
        true => Cow::Owned(line_breaks(raw)),
        false => Cow::Borrowed(raw),
    };
    // A soft hyphen only says where a word may break: one inside a label or a heading would hide
    // it, one inside a title would keep it from matching the same title typed.
    let text: Cow<str> = match text.contains(SOFT_HYPHEN) {
        true => Cow::Owned(text.replace(SOFT_HYPHEN, "")),
        false => text,
    };
    let split: Vec<&str> = text.split('\n').collect();
    let restored = super::hyphens::restore(&split);
    let kept: Vec<&str> = restored
        .iter()
        .map(|l| l.as_ref())
        .filter(|l| !is_page_furniture(l))
        .collect();
    let rejoined = marks_rejoined(&kept);
    let raw_lines: Vec<&str> = match &rejoined {
        Some(lines) => lines.iter().map(|l| l.as_ref()).collect(),
        None => kept,
    };
    let double_spaced = is_double_spaced(&raw_lines);
    let own_lines = headings_on_own_lines(&raw_lines);

    let mut out: Vec<Line> = Vec::new();
    let mut brk = true;
    let mut empty_run = 0usize;
    for line in raw_lines {
        if line.trim().is_empty() {
            // In double-spaced text an empty line is only a line separator; whitespace-only lines
            // or long runs of empty lines separate paragraphs.
            brk |= !double_spaced || !line.is_empty() || {
                empty_run += 1;
                empty_run >= 3
            };
            continue;
        }
        empty_run = 0;
        // Words spread apart (column layouts) read as words one space apart.
        let line = labels_closed(folded(line));
        for part in split_marks(&line, own_lines)
            .into_iter()
            .flat_map(verdict_cuts)
        {
            let after_decision = out.last().is_some_and(|l| ends_with_decision(&l.text));
            let is_heading = HEADINGS.contains(&part);
            let prev_heading = out
                .last()
                .is_some_and(|l| HEADINGS.contains(&l.text.as_str()));
            let para = brk || is_heading || prev_heading || is_labelled(part) || after_decision;
            out.push(Line {
                text: part.to_string(),
                para,
            });
            brk = false;
        }
    }
    out
}

/// CRLF, lone CR and form feed (a page break) as LF, in one pass.
fn line_breaks(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find(['\r', '\u{c}']) {
        out.push_str(&rest[..i]);
        out.push('\n');
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    out.push_str(rest);
    out
}

const SOFT_HYPHEN: char = '\u{ad}';

/// Which headings stand on a line of their own somewhere in the text: where one does, the same
/// words inside a line are prose naming it ("as noted in the CLINICAL CASE SUMMARY above"), not a
/// heading whose line break was lost.
fn headings_on_own_lines(lines: &[&str]) -> [bool; 3] {
    let mut own = [false; 3];
    for l in lines.iter().filter(|l| may_hold_mark(l)) {
        let l = folded(l.trim());
        if let Some(k) = HEADINGS.iter().position(|h| *h == l) {
            own[k] = true;
        }
    }
    own
}

/// Each heading and field label split in two at a space between its words, as (the words that
/// end a line, the words that start the next as written and with a space before a colon).
static BROKEN_MARKS: LazyLock<Vec<(String, [String; 2])>> = LazyLock::new(|| {
    let mut out = Vec::new();
    for mark in HEADINGS.iter().chain(FIELD_LABELS.iter()) {
        let words: Vec<&str> = mark.split(' ').collect();
        for k in 1..words.len() {
            let start = words[k..].join(" ");
            // As written, or with a space before a label's colon ("guideline :").
            let spaced = match start.strip_suffix(':') {
                Some(w) => format!("{w} :"),
                None => start.clone(),
            };
            out.push((words[..k].join(" "), [start, spaced]));
        }
    }
    out
});

/// The lines with each heading or field label broken across two of them (text hard-wrapped at a
/// width: "... Upheld Claims Administrator" then "guideline: MTUS ...") whole at the start of
/// the second, where it is looked for; None where no mark is broken so.
fn marks_rejoined<'a>(lines: &[&'a str]) -> Option<Vec<Cow<'a, str>>> {
    let broken = |a: &str, b: &str| -> Option<(String, String)> {
        let (a, b) = (folded(a.trim()), labels_closed(folded(b.trim())));
        BROKEN_MARKS.iter().find_map(|(end, starts_as)| {
            let before = a.strip_suffix(end.as_str())?;
            let starts = starts_as.iter().any(|s| b.starts_with(s.as_str()));
            (starts && (before.is_empty() || before.ends_with(' ')))
                .then(|| (before.trim_end().to_string(), format!("{end} {b}")))
        })
    };
    let mut out: Vec<Cow<'a, str>> = Vec::new();
    let mut changed = false;
    for &line in lines {
        let joined = match out.last() {
            Some(prev) if !line.trim().is_empty() => broken(prev, line),
            _ => None,
        };
        match joined {
            Some((before, whole)) => {
                changed = true;
                out.pop();
                if !before.is_empty() {
                    out.push(Cow::Owned(before));
                }
                out.push(Cow::Owned(whole));
            }
            None => out.push(Cow::Borrowed(line)),
        }
    }
    changed.then_some(out)
}

/// A field label written with a space before its colon ("MAXIMUS guideline :", as some text
/// routes lay it out) as the label.
fn labels_closed(line: Cow<'_, str>) -> Cow<'_, str> {
    if !line.contains(" :") {
        return line;
    }
    let mut out = line.into_owned();
    for label in FIELD_LABELS {
        let words = &label[..label.len() - 1];
        out = out.replace(&format!("{words} :"), label);
    }
    Cow::Owned(out)
}

/// A line cut after each sentence that ends as a rationale's verdict does ("... is not medically
/// necessary.", "... at this time.") where another sentence follows on it. Pages joined with a
/// space put the next item's title on the line of the rationale's last sentence ("... is not
/// medically necessary. MRI of the knee: Upheld"), and a title reaches back over the lines it
/// continues up to a sentence's end. A paragraph's lines are joined with a space, so a cut inside
/// one changes no text. Titles hold no sentence end; the sentences of a partial certification
/// before a title ("X was the original request. ...") end otherwise and stay with it.
fn verdict_cuts(line: &str) -> Vec<&str> {
    const VERDICT_ENDS: [&str; 11] = [
        "necessary",
        "appropriate",
        "indicated",
        "warranted",
        "supported",
        "recommended",
        "established",
        "guidelines",
        "time",
        "patient",
        "worker",
    ];
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in line.match_indices(". ") {
        let word = line[start..i].rsplit(' ').next().unwrap_or_default();
        let next = line[i + 2..].chars().next();
        if VERDICT_ENDS.contains(&word) && next.is_some_and(|c| c.is_uppercase() || c.is_numeric())
        {
            parts.push(&line[start..=i]);
            start = i + 2;
        }
    }
    parts.push(&line[start..]);
    parts
}

fn may_hold_mark(line: &str) -> bool {
    line.contains(':') || line.contains("IMR") || line.contains("CASE")
}

/// A line cut before each heading or field label it holds past its start, and after each heading;
/// a heading that stands on a line of its own elsewhere (`own_lines`) is not cut out of a line.
fn split_marks(line: &str, own_lines: [bool; 3]) -> Vec<&str> {
    // All marks searched at once: most lines hold none.
    static MARKS: LazyLock<AhoCorasick> = LazyLock::new(|| {
        AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::DFA))
            .build(HEADINGS.iter().chain(FIELD_LABELS.iter()))
            .expect("literal marks")
    });
    // Every label ends in a colon and every heading says "IMR" or "CASE": a cheaper test first.
    if !may_hold_mark(line) || MARKS.find(line).is_none() {
        return vec![line];
    }
    let mut cuts = vec![0, line.len()];
    // Overlapping search: every occurrence of every mark, as searching each mark alone finds.
    for m in MARKS.find_overlapping_iter(line) {
        let k = m.pattern().as_usize();
        if k < HEADINGS.len() && own_lines[k] && m.range() != (0..line.len()) {
            continue;
        }
        cuts.push(m.start());
        if k < HEADINGS.len() {
            cuts.push(m.end());
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| line[w[0]..w[1]].trim())
        .filter(|p| !p.is_empty())
        .collect()
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

/// Groups lines into paragraphs at their paragraph marks, each unwrapped.
pub(crate) fn paragraphs<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for l in lines {
        if l.para && !cur.is_empty() {
            out.push(join_lines(&cur));
            cur.clear();
        }
        cur.push(&l.text);
    }
    if !cur.is_empty() {
        out.push(join_lines(&cur));
    }
    out
}

/// Joins the lines of one paragraph: a space between lines, none after a line-final hyphen (the
/// letters break lines at real hyphens, "right-|sided", "x-|ray", "10-|30-2016", and the PDF text
/// keeps them), runs of white space folded to one space.
pub(crate) fn unwrap_lines<S: AsRef<str>>(lines: &[S]) -> String {
    fold_string(join_lines(lines))
}

/// `unwrap_lines` without the final fold, for lines already folded (a `Line`'s text).
fn join_lines<S: AsRef<str>>(lines: &[S]) -> String {
    let mut s = String::with_capacity(lines.iter().map(|l| l.as_ref().len() + 1).sum());
    for line in lines {
        let line = line.as_ref().trim();
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
    s
}

/// Runs of white space as one space, none at either end: the words of `split_whitespace` joined
/// by spaces; the string itself where it is folded already.
pub(crate) fn fold_string(s: String) -> String {
    if is_folded(&s) {
        s
    } else {
        fold_other(&s)
    }
}

/// [`fold_string`], borrowing what is folded already.
fn folded(s: &str) -> Cow<'_, str> {
    if is_folded(s) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(fold_other(s))
}

/// [`fold_string`] of text that is not folded yet.
fn fold_other(s: &str) -> String {
    if s.is_ascii() {
        return fold_ascii(s);
    }
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Folding ASCII text, byte by byte; `split_whitespace`'s ASCII white space is
/// `char::is_whitespace` restricted to ASCII, which `is_ascii_whitespace` plus vertical tab is.
fn fold_ascii(s: &str) -> String {
    let ws = |b: u8| b.is_ascii_whitespace() || b == 0x0b;
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && ws(bytes[i]) {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !ws(bytes[i]) {
            i += 1;
        }
        if start < i {
            if !out.is_empty() {
                out.push(b' ');
            }
            out.extend_from_slice(&bytes[start..i]);
        }
    }
    String::from_utf8(out).expect("ASCII in, ASCII out")
}

/// Whether text is folded already (most lines and paragraphs are): single spaces between words,
/// none at either end, no other white space. A few vectorised searches over the bytes, where
/// folding copies word by word.
fn is_folded(s: &str) -> bool {
    let bytes = s.as_bytes();
    if bytes.first() == Some(&b' ') || bytes.last() == Some(&b' ') {
        return false;
    }
    if memchr::memmem::find(bytes, b"  ").is_some()
        || memchr::memchr3(b'\t', b'\n', b'\r', bytes).is_some()
        || memchr::memchr2(0x0b, 0x0c, bytes).is_some()
    {
        return false;
    }
    // White space beyond ASCII begins with one of these bytes (U+0085 and U+00A0 with C2, U+1680
    // with E1, U+2000-U+205F with E2, U+3000 with E3): the characters there are looked at.
    s.is_ascii()
        || memchr::memchr3_iter(0xc2, 0xe1, 0xe2, bytes)
            .chain(memchr::memchr_iter(0xe3, bytes))
            .all(|i| !s[i..].chars().next().is_some_and(char::is_whitespace))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DWC's spelling after a colon or alone, other spellings after a colon or capitalised
    /// alone; never a word inside prose or a sentence's wrapped end.
    #[test]
    fn decision_lines() {
        use Decision::{Overturned, Upheld};
        for (line, want) in [
            ("MRI of the knee: Upheld", Some(("MRI of the knee", Upheld))),
            (
                "MRI of the knee:Overturned ",
                Some(("MRI of the knee", Overturned)),
            ),
            ("Upheld", Some(("", Upheld))),
            ("MRI: UPHELD", Some(("MRI", Upheld))),
            ("MRI: overturned.", Some(("MRI", Overturned))),
            ("UPHELD.", Some(("", Upheld))),
            ("upheld.", None),
            ("the denial was reUpheld", None),
            ("MRI: Upheld (partial)", None),
            ("it was upheld", None),
        ] {
            assert_eq!(decision_at_end(line), want, "{line}");
        }
    }

    #[test]
    fn the_cheap_mark_test_passes_every_mark() {
        for m in HEADINGS.iter().chain(FIELD_LABELS.iter()) {
            assert!(may_hold_mark(&format!("x {m} y")), "{m}");
        }
        assert!(!may_hold_mark("The patient has pain."));
    }

    #[test]
    fn fold_and_line_breaks_agree_with_the_std_forms() {
        for s in [
            "",
            "  a \t b\x0b c  ",
            "a\u{a0}b  c",
            "x\r\ny\rz\u{c}w",
            " \n ",
            "a b c",
            "a\x01 \x1fb",
            " a b",
            "a b ",
            "a  b",
            "a\u{a0}b",
            "a\u{2019}b c\u{2014}d",
            "a\u{2009}b",
            "\u{3000}a",
        ] {
            let std: Vec<&str> = s.split_whitespace().collect();
            assert_eq!(folded(s), std.join(" "), "{s:?}");
            assert_eq!(fold_string(s.to_string()), std.join(" "), "{s:?}");
            let want = s.replace("\r\n", "\n").replace(['\r', '\u{c}'], "\n");
            assert_eq!(line_breaks(s), want, "{s:?}");
        }
    }

    proptest::proptest! {
        /// Any mix of words (control bytes among their letters) and ASCII white space folds as
        /// `split_whitespace` joins it.
        #[test]
        fn ascii_fold_agrees_with_split_whitespace(s in "[ab \t\n\r\x0b\x0c\x01\x1f]{0,40}") {
            let std: Vec<&str> = s.split_whitespace().collect();
            proptest::prop_assert_eq!(folded(&s), std.join(" "));
            proptest::prop_assert_eq!(fold_string(s.clone()), std.join(" "));
        }

        /// The same with letters and white space beyond ASCII (no-break, thin and ideographic
        /// spaces; a curly quote and a dash, which are not white space).
        #[test]
        fn unicode_fold_agrees_with_split_whitespace(
            s in "[a \t\n\u{a0}\u{2009}\u{3000}\u{2019}\u{2014}\u{85}]{0,30}"
        ) {
            let std: Vec<&str> = s.split_whitespace().collect();
            proptest::prop_assert_eq!(folded(&s), std.join(" "));
            proptest::prop_assert_eq!(fold_string(s.clone()), std.join(" "));
        }
    }

    fn paras(raw: &str) -> Vec<String> {
        paragraphs(&lines(raw))
    }

    #[test]
    fn single_spaced_paragraphs_unwrap() {
        let p = paras("First line of a\nparagraph with right-\nsided pain.\n\nSecond  one.\n");
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
        let raw = "Line one of a\n\nparagraph here\n\nthat goes on.\n\n \n\n\
                   Next paragraph\n\nstarts here.\n\n";
        let want = vec![
            "Line one of a paragraph here that goes on.",
            "Next paragraph starts here.",
        ];
        assert_eq!(paras(raw), want);
    }

    #[test]
    fn headings_labels_and_decisions_split_paragraphs() {
        let raw = "CLINICAL CASE SUMMARY\nThe patient.\nMRI of the knee:\nUpheld\n\
                   Claims Administrator guideline: MTUS.\nMAXIMUS guideline: ODG.\n";
        let want = vec![
            "CLINICAL CASE SUMMARY",
            "The patient. MRI of the knee: Upheld",
            "Claims Administrator guideline: MTUS.",
            "MAXIMUS guideline: ODG.",
        ];
        assert_eq!(paras(raw), want);
    }

    #[test]
    fn marks_inside_a_line_start_lines() {
        let l = lines(
            "text. IMR ISSUES, DECISIONS AND RATIONALES The Final x: Upheld Decision rationale: y",
        );
        let t: Vec<_> = l.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            t,
            vec![
                "text.",
                ISSUES,
                "The Final x: Upheld",
                "Decision rationale: y"
            ]
        );
    }

    #[test]
    fn page_furniture_and_form_feeds_go() {
        let p = paras("Alpha\nPage 1 of 3\n\u{c}- 2 -\nBeta\n");
        assert_eq!(p, vec!["Alpha", "Beta"]);
    }
}

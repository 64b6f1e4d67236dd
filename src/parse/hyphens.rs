//! Hyphens lost where a text extractor joined a line broken after a hyphen.
//!
//! pdftotext's default mode moves the next line up onto a line that ends in a hyphen and drops the
//! hyphen ("10-30-|2016" becomes "10-302016", "right-|sided" "rightsided"), where the PDF's own
//! text keeps it. Such a line is longer than the letter's lines are, and the joined word stands
//! where the first line ended. A joined word there gets its hyphen back when the letter itself
//! says which: the hyphenated form is a word elsewhere in the letter, or only one place for the
//! hyphen makes a date.

use regex::Regex;
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

/// A line counts as two joined when it is this much longer than the letter's usual full line.
const JOINED: f64 = 1.1;
/// A line longer than this many full lines is a paragraph kept on one line (as a copy from a
/// browser or an editor gives), not lines an extractor joined (pdftotext chains a few lines that
/// each end in a hyphen): its hyphens are the letter's own.
const MOST_JOINED: f64 = 6.0;
/// A letter whose usual full line is longer than this (characters) is not wrapped at a page's
/// width at all: a paragraph a line, where no extractor joined lines.
const WIDEST_WRAP: usize = 200;
/// How far back from the end of a full line a line breaks.
const BREAK_FROM: f64 = 0.6;

/// The longest joined word (in bytes, without the punctuation around it) given its hyphen back.
const LONGEST_JOINED: usize = 80;

/// The lines with hyphens restored in joined words; lines not joined come back as they are.
pub(crate) fn restore<'a>(lines: &[&'a str]) -> Vec<Cow<'a, str>> {
    let width = full_width(lines);
    if width > WIDEST_WRAP {
        return lines.iter().map(|l| Cow::Borrowed(*l)).collect();
    }
    let long = |l: &str| {
        let n = l.chars().count() as f64;
        width > 0 && n > JOINED * width as f64 && n <= MOST_JOINED * width as f64
    };
    if !lines.iter().any(|l| long(l)) {
        return lines.iter().map(|l| Cow::Borrowed(*l)).collect();
    }
    let letter = LetterWords::of(lines);
    lines
        .iter()
        .map(|l| {
            if long(l) {
                restore_line(l, width, &letter)
            } else {
                Cow::Borrowed(*l)
            }
        })
        .collect()
}

/// The usual length of a full line: the 90th percentile of the non-empty lines' lengths in
/// characters, or 0 when there are too few lines to tell.
fn full_width(lines: &[&str]) -> usize {
    let mut lens: Vec<usize> = lines
        .iter()
        .map(|l| l.trim_end().chars().count())
        .filter(|&n| n > 0)
        .collect();
    if lens.len() < 10 {
        return 0;
    }
    lens.sort_unstable();
    lens[lens.len() * 9 / 10]
}

/// What the letter itself says of its words: those written with a hyphen, and the numbers it
/// writes more than once.
struct LetterWords {
    /// Lowercase words with a hyphen between letters or digits.
    hyphenated: HashSet<String>,
    /// Numbers (digits alone) written twice or more: one of them joined is no joined
    /// "1-|2" ("every 12 hours" where the letter also writes "1-2 tablets").
    repeated_numbers: HashSet<String>,
}

impl LetterWords {
    fn of(lines: &[&str]) -> Self {
        let mut hyphenated = HashSet::new();
        let mut numbers: std::collections::HashMap<&str, usize> = Default::default();
        for w in lines.iter().flat_map(|l| l.split_whitespace()).map(core) {
            if w.contains('-') {
                hyphenated.insert(w.to_lowercase());
            } else if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()) {
                *numbers.entry(w).or_default() += 1;
            }
        }
        let repeated_numbers = numbers
            .into_iter()
            .filter(|&(_, n)| n > 1)
            .map(|(w, _)| w.to_string())
            .collect();
        LetterWords {
            hyphenated,
            repeated_numbers,
        }
    }
}

/// A word without the punctuation around it.
fn core(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

fn restore_line<'a>(line: &'a str, width: usize, letter: &LetterWords) -> Cow<'a, str> {
    let mut out = String::with_capacity(line.len() + 4);
    let mut last = 0;
    let mut changed = false;
    let mut col = 0usize; // character column of `last`
    for (start, word) in words(line) {
        let from = col + line[last..start].chars().count();
        let to = from + word.chars().count();
        col = to;
        out.push_str(&line[last..start]);
        last = start + word.len();
        // The first break at or after the word's start is the one it can end near: a later one
        // is further from its end.
        let width = width.max(1);
        let j = from.div_ceil(width).max(1);
        let at_break = to as f64 >= BREAK_FROM * (j * width) as f64;
        let fixed = at_break.then(|| rehyphenate(word, letter)).flatten();
        match fixed {
            Some(w) => {
                out.push_str(&w);
                changed = true;
            }
            None => out.push_str(word),
        }
    }
    out.push_str(&line[last..]);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(line)
    }
}

/// The whitespace-separated words of a line with their byte offsets.
fn words(line: &str) -> impl Iterator<Item = (usize, &str)> {
    line.split_whitespace()
        .map(move |w| (w.as_ptr() as usize - line.as_ptr() as usize, w))
}

/// The word with its lost hyphen back, when exactly one place for it is a word of the letter, or
/// else exactly one makes a date.
fn rehyphenate(word: &str, letter: &LetterWords) -> Option<String> {
    static DATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{1,2})-(\d{1,2})-(\d{2}|(?:19|20)\d{2})$").unwrap());
    let c = core(word);
    if c.len() > LONGEST_JOINED {
        // Each place for a hyphen is tried: a longer run of characters is no word or date, and
        // trying each place in it would take time growing with its length squared.
        return None;
    }
    let at = c.as_ptr() as usize - word.as_ptr() as usize;
    let splits: Vec<usize> = c
        .char_indices()
        .skip(1)
        .filter(|&(i, ch)| {
            ch.is_alphanumeric()
                && c[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
        })
        .map(|(i, _)| i)
        .collect();
    let candidate = |i: usize| format!("{}-{}", &c[..i], &c[i..]);
    // A number the letter writes elsewhere as it is ("12") was not joined: "1-2" elsewhere
    // ("1-2 tablets") does not make it "1-|2". One it writes only here ("10325" of "Norco
    // 10-325") takes the letter's hyphenated form.
    let written_so = letter.repeated_numbers.contains(c);
    let known: Vec<usize> = splits
        .iter()
        .copied()
        .filter(|&i| !written_so && letter.hyphenated.contains(&candidate(i).to_lowercase()))
        .collect();
    let dates: Vec<usize> = splits
        .iter()
        .copied()
        .filter(|&i| {
            DATE.captures(&candidate(i)).is_some_and(|d| {
                let (m, day) = (
                    d[1].parse::<u8>().unwrap_or(0),
                    d[2].parse::<u8>().unwrap_or(0),
                );
                (1..=12).contains(&m) && (1..=31).contains(&day)
            })
        })
        .collect();
    let i = match (known.as_slice(), dates.as_slice()) {
        ([i], _) => *i,
        ([], [i]) => *i,
        _ => return None,
    };
    Some(format!(
        "{}{}{}",
        &word[..at],
        candidate(i),
        &word[at + c.len()..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restored(text: &str) -> Vec<String> {
        let lines: Vec<&str> = text.lines().collect();
        restore(&lines).into_iter().map(Cow::into_owned).collect()
    }

    /// Twelve full lines, then the given one.
    fn letter(line: &str) -> String {
        let full =
            "The injured worker has right-sided pain and a follow-up visit was planned for it.";
        format!("{}{line}\n", format!("{full}\n").repeat(12))
    }

    #[test]
    fn dates_and_known_words_get_their_hyphen_back() {
        let line =
            "The physical exam was done by the treating physician in the clinic dated 11-212016, \
                    and rightsided pain was noted again.";
        let got = restored(&letter(line));
        assert!(got[12].contains("dated 11-21-2016,"), "{}", got[12]);
        let line =
            "The physical exam was done by the treating physician in the clinic with rightsided \
                    pain noted at the visit.";
        assert!(restored(&letter(line))[12].contains("with right-sided pain"));
    }

    #[test]
    fn short_lines_and_unknown_words_stay() {
        let text = letter("Electromyography on 11-212016.");
        assert_eq!(restored(&text), text.lines().collect::<Vec<_>>());
        let line = "The physical exam was done by the treating physician in the clinic with \
                    electromyography planned for the next visit.";
        assert_eq!(restored(&letter(line))[12], line);
    }

    /// A paragraph on one line (a copy from a browser) is no joined line: its words and numbers
    /// stay as written, though the letter writes "1-2" and "pre-operative" elsewhere.
    #[test]
    fn a_paragraph_on_one_line_keeps_its_words() {
        let line = "Norco one tablet every 12 hours, 1-2 tablets at night and a preoperative \
                    clearance. "
            .repeat(8);
        let text = letter(&format!("{line}\npre-operative"));
        assert_eq!(restored(&text)[12], line);
        // Joined lines (one full line and the next) still get a date's hyphen, but a number the
        // letter writes elsewhere as it is keeps its form.
        let line = "The physical exam was done by the treating physician in the clinic dated \
                    11-212016, 1-2 tablets every 12 hours.";
        let got = restored(&letter(&format!("{line}\n12 visits")));
        assert!(got[12].contains("dated 11-21-2016,"), "{}", got[12]);
        assert!(got[12].contains("every 12 hours"), "{}", got[12]);
        // One the letter writes only joined takes its hyphenated form ("Norco 10-|325").
        let line = "The physical exam was done by the treating physician in the clinic for Norco \
                    10325 #60 noted.";
        let got = restored(&letter(&format!("{line}\nNorco 10-325 #60")));
        assert!(got[12].contains("Norco 10-325 #60"), "{}", got[12]);
    }

    /// A letter of a paragraph a line (its usual line wider than a page's) was never joined by
    /// an extractor: its words stay, though the letter writes them hyphenated elsewhere.
    #[test]
    fn a_letter_of_a_paragraph_a_line_keeps_its_words() {
        let para = "The patient had a preoperative clearance and a follow-up visit; ".repeat(5);
        let text = format!("{}pre-operative\n", format!("{para}\n").repeat(12));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(restored(&text), lines);
    }

    /// A joined line holding a run of characters far longer than any word: left as it is, in
    /// time that grows with its length (trying each place for a hyphen took its length squared).
    #[test]
    fn a_long_run_of_characters_stays_as_it_is() {
        for line in [
            format!("The visit on 11-212016 was {} noted.", "x".repeat(400_000)),
            format!("{} electromyography", "pain ".repeat(200_000)),
        ] {
            assert_eq!(restored(&letter(&line))[12], line);
        }
    }
}

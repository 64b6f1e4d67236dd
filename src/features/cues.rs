//! Codebook cues: phrases that `../shared/themes.md` names as typical of each rationale theme,
//! matched in the rationale and given to the theme models as features (`c:<name>`, one per match).
//! Word n-grams see "no red flag" only where those exact stems are adjacent; a cue pattern also
//! catches its variants ("red flag conditions", "no significant change since the previous MRI")
//! from a few hundred labelled items.
//!
//! A cue is matched either anywhere in the rationale or only in its case sentences ([`CueScope`]):
//! a rationale first quotes its guideline ("MTUS recommends ... after failure of first-line
//! treatment") and then applies it to the case ("there is no documentation that first-line
//! treatment failed"); only the second is a reason.

use crate::analysis::ascii_shaped;
use crate::error::{Error, Result};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::{BuildError, Regex as MetaRegex};
use regex_automata::{Anchored, Input};
use regex_syntax::hir::literal::ExtractKind;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

/// Where a cue is looked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CueScope {
    /// The whole rationale.
    #[default]
    Rationale,
    /// The rationale's sentences about the case: every sentence but those that only restate a
    /// guideline.
    CaseSentences,
}

/// One named cue: a case-insensitive regular expression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cue {
    pub name: String,
    pub pattern: String,
    #[serde(default)]
    pub scope: CueScope,
}

pub use super::quotes::is_guideline_sentence;

/// Compiled cues. Each text is first searched once for the literals every match of a cue must
/// begin and end with (one Aho-Corasick pass over all cues); a cue's regex then runs only on the
/// sentences that have both, as most cues match few sentences and a regex pass per cue and
/// sentence cost more than all else.
#[derive(Debug, Clone)]
pub struct CueMatcher {
    inner: Arc<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    cues: Vec<OneCue>,
    /// The literals of every filtered side of every cue, lowercased.
    literals: Option<Literals>,
    /// For each literal, the cues and sides (0: start, 1: end) it is a literal of.
    owners: Vec<Vec<(u32, u8)>>,
    any_case_scope: bool,
}

/// The cues' literals, searched by an automaton quick to build for the first texts, and by one
/// quicker to search once many texts have come: a single text's start-up pays nothing for the
/// second, a batch a few milliseconds. Both find the same matches.
#[derive(Debug)]
struct Literals {
    words: Vec<Vec<u8>>,
    nfa: AhoCorasick,
    /// Built after [`DFA_FROM`] searches (None where it cannot be built: the NFA stays).
    dfa: OnceLock<Option<AhoCorasick>>,
    searched: AtomicUsize,
}

/// Searches after which the literals' DFA is built.
const DFA_FROM: usize = 64;

impl Literals {
    fn new(words: Vec<Vec<u8>>) -> Result<Self> {
        let nfa = literal_automaton(&words, AhoCorasickKind::ContiguousNFA).map_err(|_| {
            Error::InvalidParam {
                name: "cues.pattern",
                value: String::new(),
                reason: "has too many literals",
            }
        })?;
        Ok(Literals {
            words,
            nfa,
            dfa: OnceLock::new(),
            searched: AtomicUsize::new(0),
        })
    }

    /// The automaton for the next search.
    fn automaton(&self) -> &AhoCorasick {
        if let Some(dfa) = self.dfa.get() {
            return dfa.as_ref().unwrap_or(&self.nfa);
        }
        if self.searched.fetch_add(1, Ordering::Relaxed) < DFA_FROM {
            return &self.nfa;
        }
        self.dfa
            .get_or_init(|| literal_automaton(&self.words, AhoCorasickKind::DFA).ok())
            .as_ref()
            .unwrap_or(&self.nfa)
    }
}

fn literal_automaton(
    words: &[Vec<u8>],
    kind: AhoCorasickKind,
) -> std::result::Result<AhoCorasick, aho_corasick::BuildError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(kind))
        .build(words)
}

#[derive(Debug)]
struct OneCue {
    name: String,
    scope: CueScope,
    pattern: String,
    /// Compiled at the first text that may match it: a process compiles only the cues it needs.
    re: OnceLock<MetaRegex>,
    /// The same pattern in ASCII, for ASCII texts (None where it cannot be taken so).
    ascii: OnceLock<Option<MetaRegex>>,
    /// The pattern with ASCII word boundaries, for [`TextForm::AsciiShaped`] texts, where they
    /// are the Unicode ones; None where it has no Unicode word boundary (`re` is as fast).
    ascii_bounds: OnceLock<Option<MetaRegex>>,
    /// Whether a match must begin (0) and end (1) with one of this cue's literals.
    filtered: [bool; 2],
    /// Whether the ASCII form may be used: not where the pattern has a letter outside ASCII,
    /// which case-insensitively may match one inside (LONG S matches `s`).
    ascii_form: bool,
}

/// What a text's characters let its searches take ([`OneCue::regex`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextForm {
    Ascii,
    /// Outside ASCII only characters no pattern takes as part of a word ([`ascii_shaped`]).
    AsciiShaped,
    Unicode,
}

impl TextForm {
    fn of(text: &str) -> TextForm {
        if text.is_ascii() {
            TextForm::Ascii
        } else if ascii_shaped(text) {
            TextForm::AsciiShaped
        } else {
            TextForm::Unicode
        }
    }
}

/// Where literals occur in a text: (start, end) byte offsets.
type Spans = [(usize, usize)];

/// Where each cue's literals occur in a text, per side, held in one list ordered by cue and side
/// (each cue side's spans in order of their starts): a text's search allocates twice, not once
/// for each cue side it finds.
struct LiteralSpans {
    spans: Vec<(usize, usize)>,
    /// Where cue side `2k + side`'s spans begin in `spans`; one more at the end.
    starts: Vec<usize>,
}

impl LiteralSpans {
    /// Cue `k`'s spans: those of its first literals, and of its last.
    fn of(&self, k: usize) -> [&Spans; 2] {
        let side = |i: usize| &self.spans[self.starts[i]..self.starts[i + 1]];
        [side(2 * k), side(2 * k + 1)]
    }
}

/// Characters outside ASCII that match an ASCII letter case-insensitively (LONG S, KELVIN SIGN): a
/// text with one is searched without the literal filter, which compares ASCII-lowercased bytes.
const FOLDS_TO_ASCII: [char; 2] = ['\u{17F}', '\u{212A}'];

/// Processes compile the same cue lists again and again (a model's check, then its featurizers):
/// kept.
static CACHE: Mutex<Vec<(Vec<Cue>, CueMatcher)>> = Mutex::new(Vec::new());

/// The `k`th of `cues` checked, its pattern parsed: a name of one word and no other cue's, and a
/// pattern that is a regular expression matching some text.
fn checked(cues: &[Cue], k: usize) -> Result<regex_syntax::hir::Hir> {
    let c = &cues[k];
    let name = |reason| Error::InvalidParam {
        name: "cues.name",
        value: c.name.clone(),
        reason,
    };
    if c.name.is_empty() || c.name.contains(char::is_whitespace) {
        return Err(name("must be one word"));
    }
    // One name, one term: a second cue of a name would add to the first's count unseen.
    if cues[..k].iter().any(|o| o.name == c.name) {
        return Err(name("is given to two cues"));
    }
    let hir = regex_syntax::parse(&c.pattern).map_err(|_| invalid_pattern(c))?;
    // A pattern that matches nothing at all (`""`, `x*`) matches at every place.
    if hir.properties().minimum_len() == Some(0) {
        return Err(Error::InvalidParam {
            name: "cues.pattern",
            value: c.pattern.clone(),
            reason: "matches an empty text (so at every place in every rationale)",
        });
    }
    Ok(hir)
}

fn invalid_pattern(c: &Cue) -> Error {
    Error::InvalidParam {
        name: "cues.pattern",
        value: c.pattern.clone(),
        reason: "is not a valid regular expression",
    }
}

impl CueMatcher {
    pub fn new(cues: &[Cue]) -> Result<Self> {
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, m)) = cache.iter().find(|(c, _)| c == cues) {
            return Ok(m.clone());
        }
        let m = Self::compile(cues)?;
        if cache.len() >= 8 {
            cache.remove(0);
        }
        cache.push((cues.to_vec(), m.clone()));
        Ok(m)
    }

    fn compile(cues: &[Cue]) -> Result<Self> {
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<(u32, u8)>> = Vec::new();
        let mut compiled = Vec::with_capacity(cues.len());
        for (k, c) in cues.iter().enumerate() {
            let hir = checked(cues, k)?;
            let mut filtered = [false; 2];
            for (side, kind) in [ExtractKind::Prefix, ExtractKind::Suffix]
                .into_iter()
                .enumerate()
            {
                let Some(lits) = side_literals(&hir, kind) else {
                    continue;
                };
                filtered[side] = true;
                for l in lits {
                    let at = match literals.iter().position(|x| *x == l) {
                        Some(at) => at,
                        None => {
                            literals.push(l);
                            owners.push(Vec::new());
                            literals.len() - 1
                        }
                    };
                    owners[at].push((k as u32, side as u8));
                }
            }
            let cue = OneCue {
                name: c.name.clone(),
                scope: c.scope,
                pattern: c.pattern.clone(),
                re: OnceLock::new(),
                ascii: OnceLock::new(),
                ascii_bounds: OnceLock::new(),
                filtered,
                ascii_form: literals_ascii(&hir),
            };
            // The codebook's patterns are known to compile (tested): they wait for a text that
            // needs them.
            if !CODEBOOK.iter().any(|b| b.pattern == c.pattern) {
                let _ = cue.re.set(cue.build(true).map_err(|_| invalid_pattern(c))?);
            }
            compiled.push(cue);
        }
        let literals = if literals.is_empty() {
            None
        } else {
            Some(Literals::new(literals)?)
        };
        Ok(CueMatcher {
            inner: Arc::new(Compiled {
                any_case_scope: compiled.iter().any(|c| c.scope == CueScope::CaseSentences),
                cues: compiled,
                literals,
                owners,
            }),
        })
    }

    /// Whether some cue looks only at case sentences ([`CueMatcher::matches_in`] needs them).
    pub(crate) fn needs_case_sentences(&self) -> bool {
        self.inner.any_case_scope
    }

    /// Every match in `text`, cue by cue: the cue's name and its span in `text`.
    pub fn matches<'a>(&'a self, text: &'a str) -> Vec<(&'a str, Range<usize>)> {
        let case: Vec<Range<usize>> = if self.needs_case_sentences() {
            super::quotes::sentences_where(text, false)
        } else {
            Vec::new()
        };
        self.matches_in(text, &case)
    }

    /// Compiles the cues that may match in `text` (as if every sentence were a case sentence),
    /// for a caller that wants them ready before it scores `text`.
    pub fn warm_up(&self, text: &str) {
        self.matches_in(text, std::slice::from_ref(&(0..text.len())));
    }

    /// [`CueMatcher::matches`] given `text`'s case sentences (those that are no guideline
    /// sentence).
    pub(crate) fn matches_in<'a>(
        &'a self,
        text: &'a str,
        case: &[Range<usize>],
    ) -> Vec<(&'a str, Range<usize>)> {
        let c = &*self.inner;
        let found = c.literal_spans(text);
        let whole = 0..text.len();
        let form = TextForm::of(text);
        let mut out = Vec::new();
        for (k, cue) in c.cues.iter().enumerate() {
            let parts = if cue.scope == CueScope::CaseSentences {
                case
            } else {
                std::slice::from_ref(&whole)
            };
            let literals = found.as_ref().map(|f| f.of(k));
            let bounds = cue.bounds(literals.as_ref());
            for p in parts.iter().filter(|p| cue.may_match(literals.as_ref(), p)) {
                cue.find_in(text, p, bounds.as_ref(), form, |m| {
                    out.push((cue.name.as_str(), shown(text, m)))
                });
            }
        }
        out
    }
}

impl Compiled {
    /// Where each cue's literals occur in `text`, per side; None where every cue may match
    /// anywhere (no cue has literals, or the text has a character the filter cannot compare).
    fn literal_spans(&self, text: &str) -> Option<LiteralSpans> {
        let literals = self.literals.as_ref()?;
        if text.contains(FOLDS_TO_ASCII) {
            return None;
        }
        let ac = literals.automaton();
        let lower = text.to_ascii_lowercase();
        // (cue side, span) in the order found, then placed by cue side (a counting sort, which
        // keeps that order within each).
        let mut hits: Vec<(usize, (usize, usize))> = Vec::with_capacity(64);
        for m in ac.find_overlapping_iter(lower.as_bytes()) {
            for &(k, side) in &self.owners[m.pattern().as_usize()] {
                hits.push((2 * k as usize + side as usize, (m.start(), m.end())));
            }
        }
        let mut starts = vec![0; 2 * self.cues.len() + 1];
        for &(cs, _) in &hits {
            starts[cs + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut spans = vec![(0, 0); hits.len()];
        for (cs, span) in hits {
            spans[next[cs]] = span;
            next[cs] += 1;
        }
        // Each cue side's spans in order of their starts, for the parts' halving searches.
        for w in starts.windows(2) {
            spans[w[0]..w[1]].sort_unstable();
        }
        Some(LiteralSpans { spans, starts })
    }
}

/// Where a match of a filtered cue may begin and end: the starts to try, in order, and the
/// spans of its last literals.
type Bounds<'f> = (Vec<usize>, &'f Spans);

impl OneCue {
    /// Whether a match may lie in `part`: each filtered side has one of its literals inside
    /// (`literals`: this cue's spans, None without the filter).
    fn may_match(&self, literals: Option<&[&Spans; 2]>, part: &Range<usize>) -> bool {
        let Some(f) = literals else {
            return true;
        };
        (0..2).all(|side| {
            !self.filtered[side]
                || in_part(f[side], part, |&(s, _)| s)
                    .iter()
                    .any(|&(_, e)| e <= part.end)
        })
    }

    /// Every match begins where one of the cue's first literals does, and ends where one of its
    /// last literals does: the [`Bounds`] of its matches, where its start is filtered.
    fn bounds<'f>(&self, literals: Option<&[&'f Spans; 2]>) -> Option<Bounds<'f>> {
        let f = literals.filter(|_| self.filtered[0])?;
        let mut starts: Vec<usize> = f[0].iter().map(|&(s, _)| s).collect();
        starts.sort_unstable();
        starts.dedup();
        Some((starts, f[1]))
    }

    /// The matches in `part` of `text`, each given to `push` as a span of `text`.
    fn find_in(
        &self,
        text: &str,
        part: &Range<usize>,
        bounds: Option<&Bounds<'_>>,
        form: TextForm,
        mut push: impl FnMut(Range<usize>),
    ) {
        let re = self.regex(form);
        let hay = &text[part.clone()];
        let mut found =
            |m: regex_automata::Match| push(part.start + m.start()..part.start + m.end());
        match bounds {
            Some((starts, ends)) => self.find_anchored(re, hay, part, starts, ends, found),
            None => re.find_iter(hay).for_each(&mut found),
        }
    }

    /// The compiled pattern for a text of `form`. In ASCII a pattern matches the same with its
    /// classes, case folding and word boundaries taken in ASCII, and these compile and run
    /// faster; a pattern that needs Unicode (a `\p{..}` class, a letter outside ASCII) keeps it.
    /// In ASCII-shaped text only its word boundaries are taken in ASCII: the lazy DFA cannot run
    /// Unicode ones over bytes outside ASCII, and its fallback costs a hundred times as much.
    fn regex(&self, form: TextForm) -> &MetaRegex {
        let other = match form {
            TextForm::Ascii if self.ascii_form => self.ascii.get_or_init(|| self.build(false).ok()),
            TextForm::AsciiShaped => self.ascii_bounds.get_or_init(|| {
                build_ascii_bounds(&self.pattern, !self.filtered[0])
                    .ok()
                    .flatten()
            }),
            _ => &None,
        };
        if let Some(re) = other {
            return re;
        }
        self.re
            .get_or_init(|| self.build(true).expect("a codebook cue compiles"))
    }

    /// The cue's regex ([`build`]); without a prefilter where its matches are searched for at the
    /// starts its literals give (an anchored search uses none, and making one is most of the
    /// compile).
    fn build(&self, unicode: bool) -> std::result::Result<MetaRegex, Box<BuildError>> {
        build(&self.pattern, unicode, !self.filtered[0])
    }

    /// [`OneCue::find_in`] anchored at each possible start: the leftmost match is the first found,
    /// as an unanchored search finds it, with none of the lazy DFA states that tracking every start
    /// at once builds (the bounded gaps made thousands). A match holds one of the last literals
    /// whole, so it ends by the furthest one that starts at or after its start; the search stops
    /// there (look-around still sees the whole sentence).
    fn find_anchored(
        &self,
        re: &MetaRegex,
        hay: &str,
        part: &Range<usize>,
        starts: &[usize],
        ends: &Spans,
        mut found: impl FnMut(regex_automata::Match),
    ) {
        let mut at = 0;
        // The starts and the last literals in `part`, found by halving (both are in order of
        // their starts: a long text has many parts), and the furthest end from each last
        // literal on, so that each start finds its end at once.
        let starts = in_part(starts, part, |&s| s);
        let ends = in_part(ends, part, |&(b, _)| b);
        let fits = |e: usize| Some(e).filter(|&e| e <= part.end);
        // A few last literals are looked through; many (a long part) have their furthest ends
        // from each on made once.
        let furthest_from = (self.filtered[1] && ends.len() > FEW).then(|| {
            let mut from = vec![None; ends.len() + 1];
            for (i, &(_, e)) in ends.iter().enumerate().rev() {
                from[i] = from[i + 1].max(fits(e));
            }
            from
        });
        for &s in starts {
            if s - part.start < at {
                continue;
            }
            let end = if self.filtered[1] {
                let first = ends.partition_point(|&(b, _)| b < s);
                let furthest = match &furthest_from {
                    Some(from) => from[first],
                    None => ends[first..].iter().filter_map(|&(_, e)| fits(e)).max(),
                };
                match furthest {
                    Some(e) => e,
                    None => break,
                }
            } else {
                part.end
            };
            let input = Input::new(hay)
                .range(s - part.start..end - part.start)
                .anchored(Anchored::Yes);
            if let Some(m) = re.search(&input) {
                at = m.end();
                found(m);
            }
        }
    }
}

/// How many spans are few enough to look through rather than search by halving (or, for a
/// part's last literals, to make their furthest ends for).
const FEW: usize = 16;

/// The items of `sorted` (in order of `start`) that start in `part`: by halving where they are
/// many (a long text), by a look through a few.
fn in_part<'a, T>(sorted: &'a [T], part: &Range<usize>, start: impl Fn(&T) -> usize) -> &'a [T] {
    let (from, to) = if sorted.len() <= FEW {
        let from = sorted.iter().take_while(|t| start(t) < part.start).count();
        let n = sorted[from..]
            .iter()
            .take_while(|t| start(t) < part.end)
            .count();
        (from, from + n)
    } else {
        let from = sorted.partition_point(|t| start(t) < part.start);
        (
            from,
            from + sorted[from..].partition_point(|t| start(t) < part.end),
        )
    };
    &sorted[from..to]
}

/// A cue's regex: case-insensitive. The bounded gaps ("no ... [^.]{0,100} ... relief") make large
/// lazy DFAs: with the default cache the DFA was rebuilt over and over, so it gets a larger one.
/// Built as `regex::RegexBuilder` builds a `Regex` (the same engine and limits), for its anchored
/// search; without `unicode`, for ASCII texts only (a negated class may then match any byte);
/// with a `prefilter` where searches are unanchored.
fn build(
    pattern: &str,
    unicode: bool,
    prefilter: bool,
) -> std::result::Result<MetaRegex, Box<BuildError>> {
    MetaRegex::builder()
        .configure(meta_config(prefilter))
        .syntax(syntax_config(unicode))
        .build(&format!("(?i){pattern}"))
        .map_err(Box::new)
}

fn meta_config(prefilter: bool) -> regex_automata::meta::Config {
    regex_automata::meta::Config::new()
        .auto_prefilter(prefilter)
        .nfa_size_limit(Some(10 << 20))
        .hybrid_cache_capacity(8 << 20)
        .match_kind(regex_automata::MatchKind::LeftmostFirst)
        .utf8_empty(true)
}

fn syntax_config(unicode: bool) -> regex_automata::util::syntax::Config {
    regex_automata::util::syntax::Config::new()
        .utf8(unicode)
        .unicode(unicode)
}

/// The Unicode form of `pattern` ([`build`]) with its word boundaries taken in ASCII; None where
/// it has no Unicode word boundary. On [`TextForm::AsciiShaped`] text it matches where the
/// Unicode form does: each character on either side of a boundary is a word character in both
/// senses or in neither.
fn build_ascii_bounds(
    pattern: &str,
    prefilter: bool,
) -> std::result::Result<Option<MetaRegex>, Box<dyn std::error::Error>> {
    let hir =
        regex_automata::util::syntax::parse_with(&format!("(?i){pattern}"), &syntax_config(true))?;
    if !hir.properties().look_set().contains_word_unicode() {
        return Ok(None);
    }
    let re = MetaRegex::builder()
        .configure(meta_config(prefilter))
        .build_from_hir(&ascii_word_looks(&hir))?;
    Ok(Some(re))
}

/// `hir` with every Unicode word-boundary assertion replaced by its ASCII twin.
fn ascii_word_looks(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Hir, HirKind, Look, Repetition};
    let all = |hs: &[Hir]| hs.iter().map(ascii_word_looks).collect::<Vec<_>>();
    match hir.kind() {
        HirKind::Look(l) => Hir::look(match l {
            Look::WordUnicode => Look::WordAscii,
            Look::WordUnicodeNegate => Look::WordAsciiNegate,
            Look::WordStartUnicode => Look::WordStartAscii,
            Look::WordEndUnicode => Look::WordEndAscii,
            Look::WordStartHalfUnicode => Look::WordStartHalfAscii,
            Look::WordEndHalfUnicode => Look::WordEndHalfAscii,
            other => *other,
        }),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(ascii_word_looks(&r.sub)),
            ..r.clone()
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(ascii_word_looks(&c.sub)),
            ..c.clone()
        }),
        HirKind::Concat(hs) => Hir::concat(all(hs)),
        HirKind::Alternation(hs) => Hir::alternation(all(hs)),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => hir.clone(),
    }
}

/// [`side_literals`](crate::literals::side_literals), ASCII-lowercased and each once (`hir` is
/// parsed case-sensitively: a case-insensitive match is one up to case, and ASCII case is what the
/// texts are lowercased by); None where a literal has a letter outside ASCII, whose case
/// lowercasing bytes does not fold.
fn side_literals(hir: &regex_syntax::hir::Hir, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for l in crate::literals::side_literals(hir, kind)? {
        if !caseless_outside_ascii(&l) {
            return None;
        }
        let l = l.to_ascii_lowercase();
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Some(out)
}

/// Whether `literal`'s characters outside ASCII have no other case (quotation marks, dashes):
/// lowercasing its bytes in ASCII then leaves it as a case-insensitive match may spell it. A
/// literal cut inside a character (an inexact one) is taken as outside that rule.
fn caseless_outside_ascii(literal: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(literal) else {
        return false;
    };
    text.chars().all(|c| {
        c.is_ascii()
            || (c.to_lowercase().eq(std::iter::once(c)) && c.to_uppercase().eq(std::iter::once(c)))
    })
}

/// Whether every literal of `hir` (parsed case-sensitively) is ASCII.
fn literals_ascii(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Literal(l) => l.0.is_ascii(),
        HirKind::Repetition(r) => literals_ascii(&r.sub),
        HirKind::Capture(c) => literals_ascii(&c.sub),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => hs.iter().all(literals_ascii),
        HirKind::Empty | HirKind::Class(_) | HirKind::Look(_) => true,
    }
}

/// The codebook's cues, built once: their patterns are compiled only when a text needs them.
static CODEBOOK: LazyLock<Vec<Cue>> = LazyLock::new(codebook);

/// The span of a match as explanations show it: without the context a pattern matches before its
/// cue, the tail of a word or punctuation (`(^|[^t] )medically necessary` matches "s medically
/// necessary" in "is medically necessary", to leave out "not medically necessary"). Only what is
/// shown changes, not what matches.
fn shown(text: &str, r: Range<usize>) -> Range<usize> {
    let m = &text[r.clone()];
    let mut start = r.start;
    let mid_word = text[..start]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
        && m.chars().next().is_some_and(char::is_alphanumeric);
    if mid_word {
        match m.find(char::is_whitespace) {
            Some(k) => start += k,
            None => return r,
        }
    }
    let rest = &text[start..r.end];
    start += rest.len()
        - rest
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .len();
    if start < r.end {
        start..r.end
    } else {
        r
    }
}

/// The theme a cue speaks for: its name without its variant (`<theme>.<variant>`).
pub fn theme_of(name: &str) -> &str {
    name.split('.').next().unwrap_or_default()
}

/// The codebook's theme ids, sorted: the themes of [`codebook`]'s cues ([`theme_of`]), as every
/// theme has a cue. Gold files and model files name no other theme.
pub fn codebook_themes() -> Vec<String> {
    let mut ids: Vec<String> = codebook()
        .into_iter()
        .map(|c| theme_of(&c.name).to_string())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The cues of the codebook's "typical cues" column, one or more per theme, widened to the wordings
/// the letters use, matched in the case sentences. A theme's first cue is its phrase list; a
/// `<theme>.<variant>` cue asks for a negation or absence before the theme's concept in the same
/// sentence ("no documentation of functional improvement"), which the phrase list alone cannot tell
/// from a guideline's "functional improvement", or names a narrower wording. One cue looks at the
/// whole rationale: `not_recommended.evidence`, the guideline's own verdict on the treatment
/// ("experimental", "not been shown to", "not recommended."), which is a reason even as a quote.
pub fn codebook() -> Vec<Cue> {
    // Absence or negation, then (within one sentence) what is absent.
    const NEG: &str = r"\b(no|not|lack(ing|ed)?|without|absence|absent|fail(s|ed)? to|unable to|nor|neither|insufficient|inadequate|missing)\b";
    // A quantity left unspecified, not an ICD label's "unspecified" ("sprain, unspecified").
    const UNSPECIFIED: &str = r"(an|the) unspecified|unspecified (rental|number|quantity|duration|frequency|amount|length)";
    let c = |name: &str, pattern: &str| Cue {
        name: name.into(),
        pattern: pattern.into(),
        scope: CueScope::CaseSentences,
    };
    vec![
        c("not_recommended", r"not (be )?recommended|experimental|investigational|insufficient (scientific )?evidence|no (high[- ]grade|quality|good) (scientific )?evidence|not an effective|lack of (scientific )?evidence|limited evidence|not supported by|under ?study|should be avoided|no recommendations?|do(es)? not recommend|not been shown|unproven|little (to no )?(research|evidence)|not indicated"),
        // The guideline's own verdict on the treatment, wherever it is quoted: the reason is the
        // quote itself.
        Cue {
            name: "not_recommended.evidence".into(),
            pattern: r#"experimental|investigational|under ?study|unproven|not (been )?(proven|shown) (to|effective)|not an effective|(insufficient|little|no high[- ]grade|no (good|quality)) (scientific |to no )?(evidence|research|studies|literature)|insufficient studies|no recommendations? (of|for)|should be avoided|["“”]not recommended|not recommended( due to|\.|,| because| for body| for (the )?(hand|elbow|knee|wrist|shoulder|hip)\b)|does not recommend [a-z ]{0,30} except"#.into(),
            scope: CueScope::Rationale,
        },
        c("criteria_not_met", r"criteria (are|were|have|has) not|not (been )?(clearly )?documented|no documentation|do(es)? not (clearly )?document|must be documented|no evidence of|not established|no (objective|specific) (findings|evidence)|(do(es)?|did) not meet|requirements? .{0,30}not (been )?met|(physical )?exam(ination)? (findings )?(did not|does not|fail)"),
        c("criteria_not_met.findings", &format!("{NEG}[^.]{{0,100}}(radiculopathy|nerve (compromise|impairment|dysfunction)|neurologic(al)? (deficit|dysfunction|findings)|diagnosis|physical exam|objective findings|indication)")),
        // Findings the records show absent or normal: the criterion the guideline asks for is not
        // there.
        c("criteria_not_met.exam", r"unremarkable|normal (strength|exam|sensation|reflexes|neuro)|negative (impingement|straight|test|for)|no (signs|symptoms|findings|evidence) (suggestive|consistent|indicative|of (nerve|neuro|radic|instab))|(not|no) (present|consistent with)|does not present with|fails? to document|did not (have|show|reveal|document) (significant|any)|no significant (findings|deficits|nerve|neuro|objective|abnorm)|does not (indicate|support) (concerns|that)|(do|does|did) not (meet|satisfy)|not in accordance"),
        c("no_red_flags", r"red[- ]flag|no (significant )?change|no new|progressive neurologic|worsening|(prior|previous|recent|repeat) (mri|study|imaging|x-rays?|emg|ncs)|tissue insult"),
        c("no_red_flags.absent", &format!("{NEG}[^.]{{0,80}}(red[- ]flag|(new|progressive|significant) (neurologic|change|injury|findings|symptoms)|tissue insult|serious (spinal )?pathology)")),
        c("no_functional_benefit", r"functional (improvement|benefit|gains?|response)|objective (functional )?improvement|pain relief|\d+ ?% (relief|improvement|reduction)|sustained|lasting|(prior|previous) (sessions|visits|injections|treatment)|already (had|completed|received|undergone)"),
        c("no_functional_benefit.absent", &format!("{NEG}[^.]{{0,120}}(functional (improvement|benefit|gains?)|objective (functional )?improvement|(pain )?relief|improvement|benefit|efficacy|effective(ness)?|decrease in (pain|medication))")),
        c("no_functional_benefit.prior", r"(results?|response|outcome|progress|efficacy|benefit) (of|from|to|with) (the )?(initial|prior|previous|completed)|(prior|previous|initial) (sessions?|visits?|injections?|course|trial|use)[^.]{0,60}(not|no|lack)|(with|from|after) (prior|previous) (use|sessions?|visits?|treatment)"),
        c("conservative_care_not_tried", r"first[- ]line|conservative (care|treatment|therapy|measures|management)|fail(ed|ure)|trial of|home exercise|nsaid|physical therapy"),
        c("conservative_care_not_tried.absent", &format!("{NEG}[^.]{{0,120}}(conservative|first[- ]line|fail(ed|ure)|tried|trialed|exhaust|home exercise|oral (medication|nsaid)|intoleran)|(has|have|had) not (tried|trialed|failed|exhausted|completed|attempted)")),
        c("exceeds_limits", &format!(r"exceed|more than|in excess|up to \d+|\d+ (visits|sessions|treatments)|{UNSPECIFIED}|not specified|end ?point|duration|quantity|frequency|number of (visits|sessions)|per (session|week|month)|maximum|rental")),
        c("exceeds_limits.specific", r"(did not|does not|not|fail(ed|s)? to) (specify|specified|indicate the (number|quantity|frequency|duration|amount))|exceed(s|ed|ing)? (the )?(guideline|recommend)|(short[- ]term|long[- ]term) use|longer than|beyond (the )?\d|(total|additional) (of )?\d+ (visits|sessions)"),
        c("exceeds_limits.more", &format!(r"redundant|excessive|vague|{UNSPECIFIED}|not (specified|included)|no (estimated )?end ?point|beyond (the )?guideline|(long[- ]term|continued|prolonged) use")),
        c("ancillary_denied", r"ancillary|associated (services?|requests?|items?)|(surgery|surgical (procedure|intervention)|procedure) (is|was) not (medically necessary|certified)|since the (surgery|procedure)|as the (primary|requested|associated) (surgery|surgical|procedure)"),
        c("monitoring_missing", r"drug screen|urine (drug|toxicology)|side effects|aberrant|four a'?s|cures|risk assessment|opioid (agreement|contract)|(pain|vas) (scores?|levels?)|monitoring|drug testing"),
        c("monitoring_missing.absent", &format!("{NEG}[^.]{{0,100}}(drug screen|uds|urine|side effects|aberrant|risk assessment|cures|monitor|opioid agreement|pain (scores?|levels?|assessment))")),
        c("unclear_rationale", r"rationale|unclear|not clear|no clear|treatment plan|change (management|treatment|the treatment)|reason for|purpose|not explained|not provided|no indication"),
        c("unclear_rationale.absent", r"\b(no|lack of|without|not)\b[^.]{0,40}(rationale|rational\b|reason|explanation|purpose|discussion)|(unclear|not clear|uncertain|not (clearly )?(stated|established|apparent|explained))[^.]{0,40}(how|why|what|whether|as to|rationale)|\b(how|why)\b[^.]{0,60}(would|was to|will) (benefit|help|change|require|improve)|(change|alter|influence|affect) (the )?(management|treatment|plan)|does not address (the )?medical necessity|not apparent"),
        c("unclear_rationale.unstated", r"(rationale|reason|need|purpose|goals?|indication)\b[^.]{0,60}\b(not (been )?(provided|established|documented|given|stated|specified|clear|explained)|unclear)|(short|long)[- ]term goals|specify (the|what) (type|nature|purpose|procedures?|tests?)|not indicate the nature"),
        c("criteria_met", r"is recommended|reasonable|appropriate|(is|are) supported|criteria (are|have been) met|(is|are) indicated|warranted|(^|[^t] )medically necessary"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spans that start in a part, by halving: those a filter over every span keeps.
    #[test]
    fn in_part_is_the_spans_starting_in_the_part() {
        let spans = [(0, 3), (2, 5), (4, 9), (4, 6), (7, 8), (12, 15)];
        let mut sorted = spans.to_vec();
        sorted.sort_unstable();
        for part in [0..20, 2..8, 3..4, 5..12, 13..20, 20..30] {
            let want: Vec<_> = sorted
                .iter()
                .copied()
                .filter(|&(s, _)| part.contains(&s))
                .collect();
            assert_eq!(in_part(&sorted, &part, |&(s, _)| s), want, "{part:?}");
        }
    }

    /// The ten themes of the codebook (`../shared/themes.md`), each with a cue.
    #[test]
    fn every_codebook_theme_has_a_cue() {
        let ids = codebook_themes();
        assert_eq!(
            ids,
            [
                "ancillary_denied",
                "conservative_care_not_tried",
                "criteria_met",
                "criteria_not_met",
                "exceeds_limits",
                "monitoring_missing",
                "no_functional_benefit",
                "no_red_flags",
                "not_recommended",
                "unclear_rationale",
            ]
        );
    }

    /// The literals' DFA, built after many searches, finds what the NFA found before it.
    #[test]
    fn the_literal_dfa_finds_what_the_nfa_found() {
        let m = CueMatcher::compile(&codebook()).unwrap();
        let texts = [
            "There are no red flag conditions. The MTUS does not recommend opioids.",
            "There is no documentation of functional improvement from prior sessions.",
            "The request exceeds the guideline's 10 visits; a urine drug screen was not documented.",
            "Experimental; not recommended. The treatment is medically necessary.",
        ];
        let all = |m: &CueMatcher| -> Vec<Vec<(String, Range<usize>)>> {
            texts
                .iter()
                .map(|t| {
                    let found = m.matches(t).into_iter();
                    found.map(|(n, r)| (n.to_string(), r)).collect()
                })
                .collect()
        };
        let literals = m.inner.literals.as_ref().unwrap();
        let by_nfa = all(&m);
        assert!(literals.dfa.get().is_none());
        while literals.dfa.get().is_none() {
            all(&m);
        }
        assert!(literals.dfa.get().unwrap().is_some());
        assert_eq!(all(&m), by_nfa);
        assert!(by_nfa.iter().all(|f| !f.is_empty()));
    }

    #[test]
    fn codebook_cues_match_their_examples() {
        let m = CueMatcher::new(&codebook()).unwrap();
        let names = |t: &str| {
            m.matches(t)
                .into_iter()
                .map(|(n, _)| n.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("There are no red flag conditions."),
            vec!["no_red_flags", "no_red_flags.absent"]
        );
        assert_eq!(
            names("This request is not medically necessary."),
            Vec::<String>::new()
        );
        assert_eq!(
            names("This request is medically necessary."),
            vec!["criteria_met"]
        );
        // The absence cue needs the negation before the concept in one sentence.
        let t =
            "There is no documentation of objective functional improvement with prior sessions.";
        assert!(
            names(t).contains(&"no_functional_benefit.absent".to_string()),
            "{:?}",
            names(t)
        );
        assert!(!names("Functional improvement was documented. No exam.")
            .contains(&"no_functional_benefit.absent".to_string()));
        let t = "the requested ancillary service";
        let (name, span) = m.matches(t).into_iter().next().unwrap();
        assert_eq!((name, &t[span]), ("ancillary_denied", "ancillary"));
        // A pattern's context before the cue is matched but not shown: the cue's own words are.
        let t = "Therefore, the request is medically necessary.";
        let (name, span) = m.matches(t).into_iter().next().unwrap();
        assert_eq!((name, &t[span]), ("criteria_met", "medically necessary"));
        let t = "The ODG calls it \"not recommended\".";
        let shown: Vec<&str> = m.matches(t).into_iter().map(|(_, r)| &t[r]).collect();
        assert_eq!(
            shown,
            vec!["not recommended"],
            "the opening quote is not shown"
        );
        assert_eq!(
            super::shown("abc", 1..3),
            1..3,
            "a fragment without a word after it is left as matched"
        );
    }

    #[test]
    fn quote_exam_and_unstated_cues_match_their_wordings_not_look_alikes() {
        let m = CueMatcher::new(&codebook()).unwrap();
        let has = |t: &str, cue: &str| m.matches(t).iter().any(|(n, _)| *n == cue);
        // The guideline's verdict counts even in a quote, which the case-sentence cues skip...
        let nr = "not_recommended.evidence";
        assert!(has(
            "The CA MTUS states traction, as a physical treatment method is not recommended.",
            nr
        ));
        assert!(has(
            "ODG states that PRP is noted to be \"understudy.\"",
            nr
        ));
        assert!(has(
            "Lumbar supports have not been shown to have any lasting benefit.",
            nr
        ));
        assert!(has(
            "Chiropractic treatment is not recommended for body parts including the elbow.",
            nr
        ));
        // ...but not a limit, a precondition, or a provider's missing rationale.
        assert!(!has(
            "This medication is not recommended for longer than 2 to 3 weeks.",
            nr
        ));
        assert!(!has(
            "Lidoderm is not recommended until after a trial of a first-line therapy.",
            nr
        ));
        assert!(!has(
            "There is a lack of evidence based rationale provided by the physician.",
            nr
        ));
        let exam = "criteria_not_met.exam";
        assert!(has(
            "On exam the patient's neurological exam is unremarkable.",
            exam
        ));
        assert!(has(
            "The patient does not present with symptoms consistent with thoracic outlet syndrome.",
            exam
        ));
        assert!(!has(
            "The patient has decreased sensation in the L5 distribution.",
            exam
        ));
        let unstated = "unclear_rationale.unstated";
        assert!(has(
            "However, the rationale for this specific heat therapy pad was not provided.",
            unstated
        ));
        assert!(has("There was no evidence of patient specific short and long-term goals with use of the unit.", unstated));
        // Absence of conservative care is not absence of gains from the therapy requested.
        let cc = "conservative_care_not_tried.absent";
        assert!(has("There was no evidence the patient has trialed and failed a proper conservative course of care.", cc));
        assert!(!has(
            "No functional improvement in response to physical therapy was documented.",
            cc
        ));
        // An ICD label's "unspecified" is not an unspecified quantity.
        assert!(has(
            "The request is for an unspecified rental.",
            "exceeds_limits.more"
        ));
        assert!(!has(
            "The diagnoses include a sprain, unspecified, of the right shoulder.",
            "exceeds_limits.more"
        ));
        assert!(!has(
            "The diagnoses include a sprain, unspecified, of the right shoulder.",
            "exceeds_limits"
        ));
    }

    /// The cues one by one, each regex over each part, as matched before the literal filter and
    /// the anchored searches: the reference the matcher must equal.
    fn one_by_one(cues: &[Cue], text: &str) -> Vec<(String, Range<usize>)> {
        let case: Vec<Range<usize>> = crate::features::sentences(text)
            .into_iter()
            .filter(|r| !is_guideline_sentence(&text[r.clone()]))
            .collect();
        let mut out = Vec::new();
        for c in cues {
            let re = regex::RegexBuilder::new(&format!("(?i){}", c.pattern))
                .build()
                .unwrap();
            let whole = 0..text.len();
            let parts = match c.scope {
                CueScope::CaseSentences => &case[..],
                CueScope::Rationale => std::slice::from_ref(&whole),
            };
            for p in parts {
                for m in re.find_iter(&text[p.clone()]) {
                    let r = p.start + m.start()..p.start + m.end();
                    out.push((c.name.clone(), shown(text, r)));
                }
            }
        }
        out
    }

    /// The filtered, anchored matcher finds what each pattern finds on its own, span for span: on
    /// varied sentences, with the case, spacing and characters that literal filters get wrong (a
    /// KELVIN SIGN or LONG S that matches an ASCII letter, curly quotes, accents, repeated starts,
    /// matches at sentence bounds).
    #[test]
    fn the_matcher_finds_what_each_pattern_finds_alone() {
        let mut cues = codebook();
        cues.extend(
            [
                (
                    "whole_gap",
                    r"\b(no|not)\b[^.]{0,20}(relief|benefit)",
                    CueScope::Rationale,
                ),
                (
                    "any_start",
                    r"(^|[^t] )medically necessary|\d+ ?% (relief|improvement)",
                    CueScope::Rationale,
                ),
                ("repeat", r"nox*", CueScope::CaseSentences),
                ("accent", "caf\u{e9}|na\u{ef}ve", CueScope::CaseSentences),
            ]
            .map(|(name, pattern, scope)| Cue {
                name: name.into(),
                pattern: pattern.into(),
                scope,
            }),
        );
        let m = CueMatcher::new(&cues).unwrap();
        let texts = [
            "There is NO documentation of functional gains. No relief, no benefit, not none.",
            "MTUS recommends physical therapy. The patient has not tried a first-line agent!",
            "No red flag conditions. No significant change since the prior MRI? 50% relief noted.",
            "Medically necessary: the request is medically necessary and not medically necessary.",
            "The request is NOT MEDICALLY NECESSARY. It is medically necessary",
            "No \u{212A}nown \u{17F}ide effects; no drug \u{17F}creen. NO D\u{212A}UG SCREEN.",
            "\u{201c}Not recommended\u{201d} per ODG. The CAF\u{c9} was na\u{ef}ve; no relief.",
            "not not not not not not relief benefit relief. Without relief without relief not.",
            "The rationale for this request was not provided; it is unclear how it would help.",
            "",
            "   .  . !",
            "There was no evidence of patient specific short and long-term goals with the unit.",
            "Exceeds the guideline: 24 visits, more than 10 sessions, an unspecified rental.",
            "It is recommended up to 12 weeks; 4 visits per week; no 30% improvement in pain.",
        ];
        // And as ASCII-shaped texts: symbols outside ASCII beside the words (a dash or a degree
        // sign for each space, a mark before each text), which word boundaries must see as
        // Unicode sees them.
        let shaped: Vec<String> = texts
            .iter()
            .flat_map(|t| {
                [
                    t.replace(' ', "\u{2013}"),
                    t.replace(' ', " \u{b0}"),
                    format!("\u{ae}{}", t.replace(". ", ".\u{d7} ")),
                ]
            })
            .filter(|t| !t.is_empty())
            .collect();
        let mut shaped_seen = 0;
        for t in texts
            .iter()
            .copied()
            .chain(shaped.iter().map(String::as_str))
        {
            shaped_seen += usize::from(TextForm::of(t) == TextForm::AsciiShaped);
            let got: Vec<(String, Range<usize>)> = m
                .matches(t)
                .into_iter()
                .map(|(n, r)| (n.to_string(), r))
                .collect();
            assert_eq!(got, one_by_one(&cues, t), "{t:?}");
        }
        assert!(
            shaped_seen > texts.len() * 2,
            "{shaped_seen} ASCII-shaped texts"
        );
        // Only two characters outside ASCII match an ASCII letter case-insensitively: the texts
        // the filter leaves unfiltered.
        let letter = regex::Regex::new("(?i)[a-z]").unwrap();
        let folding: Vec<char> = ('\u{80}'..=char::MAX)
            .filter(|c| letter.is_match(c.encode_utf8(&mut [0; 4])))
            .collect();
        assert_eq!(folding, FOLDS_TO_ASCII);
    }

    /// A literal outside ASCII filters where it has no other case (a curly quote): the evidence
    /// cue's start is filtered, though one of its wordings begins with one. A letter with another
    /// case, or a literal cut inside a character, does not filter.
    #[test]
    fn literals_outside_ascii_filter_where_they_have_no_case() {
        assert!(caseless_outside_ascii("\u{201c}not recommended".as_bytes()));
        assert!(!caseless_outside_ascii("caf\u{e9}".as_bytes()));
        assert!(!caseless_outside_ascii(&"\u{201c}x".as_bytes()[..2]));
        let m = CueMatcher::compile(&codebook()).unwrap();
        let evidence = m
            .inner
            .cues
            .iter()
            .find(|c| c.name == "not_recommended.evidence");
        assert!(evidence.unwrap().filtered[0]);
        let accent = CueMatcher::compile(&[Cue {
            name: "accent".into(),
            pattern: "caf\u{e9}".into(),
            scope: CueScope::Rationale,
        }])
        .unwrap();
        assert!(!accent.inner.cues[0].filtered[0]);
    }

    /// Every codebook cue compiles: the matcher compiles them only when a text needs them.
    #[test]
    fn codebook_cues_compile() {
        for c in codebook() {
            assert!(build(&c.pattern, true, true).is_ok(), "{}", c.name);
        }
    }

    /// In ASCII texts (the seed letters, as written and upper-cased) a cue's ASCII form matches
    /// where its Unicode form does; only a pattern with a character outside ASCII keeps Unicode.
    #[test]
    fn ascii_cues_match_as_unicode_ones() {
        let dir = concat!(env!("IMR_ROOT"), "/data/letters");
        let mut texts: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert!(!texts.is_empty());
        texts.extend(texts.clone().iter().map(|t| t.to_ascii_uppercase()));
        let spans = |re: &MetaRegex, t: &str| -> Vec<(usize, usize)> {
            re.find_iter(t).map(|m| (m.start(), m.end())).collect()
        };
        let mut matching = 0;
        for c in codebook() {
            let unicode = build(&c.pattern, true, true).unwrap();
            let Ok(ascii) = build(&c.pattern, false, false) else {
                assert!(!c.pattern.is_ascii(), "{} has no ASCII form", c.name);
                continue;
            };
            let mut found = 0;
            for t in texts.iter().filter(|t| t.is_ascii()) {
                let want = spans(&unicode, t);
                assert_eq!(spans(&ascii, t), want, "{}", c.name);
                found += want.len();
            }
            matching += usize::from(found > 0);
        }
        // Not a test of nothing: most cues match somewhere in the seeds.
        assert!(matching * 2 > codebook().len(), "{matching} cues match");
    }

    /// A cue with a letter outside ASCII that matches one inside case-insensitively keeps its
    /// Unicode form on ASCII text, written or escaped.
    #[test]
    fn cues_with_letters_outside_ascii_match_ascii_text() {
        for pattern in ["\u{17F}ide effects", r"\x{17F}ide effects", "\u{212A}nee"] {
            let m = CueMatcher::new(&[Cue {
                name: "x".into(),
                pattern: pattern.into(),
                scope: CueScope::Rationale,
            }])
            .unwrap();
            let t = "No side effects. Knee pain.";
            let want = regex::Regex::new(&format!("(?i){pattern}")).unwrap();
            let want: Vec<Range<usize>> = want.find_iter(t).map(|m| m.range()).collect();
            assert_eq!(want.len(), 1, "{pattern}");
            let got: Vec<Range<usize>> = m.matches(t).into_iter().map(|(_, r)| r).collect();
            assert_eq!(got, want, "{pattern}");
        }
    }

    #[test]
    fn case_sentence_cues_skip_guideline_quotes_and_keep_spans() {
        let cue = |scope| Cue {
            name: "x".into(),
            pattern: "first-line".into(),
            scope,
        };
        let t = "MTUS recommends a first-line agent. The patient has not tried a first-line agent.";
        let (mw, mc) = (
            CueMatcher::new(&[cue(CueScope::Rationale)]).unwrap(),
            CueMatcher::new(&[cue(CueScope::CaseSentences)]).unwrap(),
        );
        let whole = mw.matches(t);
        assert_eq!(whole.len(), 2);
        let case = mc.matches(t);
        assert_eq!(case.len(), 1);
        assert_eq!(case[0].1, whole[1].1);
        assert_eq!(&t[case[0].1.clone()], "first-line");
    }

    #[test]
    fn bad_cues_are_errors() {
        let bad = |name: &str, pattern: &str| {
            CueMatcher::new(&[Cue {
                name: name.into(),
                pattern: pattern.into(),
                scope: CueScope::Rationale,
            }])
            .unwrap_err()
            .to_string()
        };
        assert!(
            bad("x", "(unclosed").contains("regular expression"),
            "{}",
            bad("x", "(unclosed")
        );
        assert!(bad("two words", "a").contains("one word"));
    }
}

//! Negation scope: tokens after a cue, up to the end of the clause, are marked negated.

use super::{NegationConfig, Token, TokenFilter};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

pub struct NegationMarker {
    /// What a word can do, looked up once per token: close a scope, or begin cues.
    roles: FxHashMap<String, Role>,
    /// By a word's first byte, the lengths of the words with a role (bit `len`, the last for 63
    /// and longer): most tokens are ruled out without a lookup.
    lengths: Box<[u64; 256]>,
}

/// A word's bit in [`NegationMarker::lengths`].
fn length_bit(len: usize) -> u64 {
    1 << len.min(63)
}

#[derive(Default)]
struct Role {
    terminator: bool,
    /// Cues beginning with this word, as word sequences, longest first so "lack of" wins over
    /// "lack".
    cues: Vec<Vec<String>>,
}

/// The token's text for matching: lower-cased only when the analyzer did not already do it.
fn folded(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

impl NegationMarker {
    pub fn new(cfg: &NegationConfig) -> Self {
        let mut cues: Vec<Vec<String>> = cfg
            .cues
            .iter()
            .map(|c| c.split_whitespace().map(str::to_lowercase).collect())
            .filter(|c: &Vec<String>| !c.is_empty())
            .collect();
        cues.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        let mut roles: FxHashMap<String, Role> = FxHashMap::default();
        for c in cues {
            roles.entry(c[0].clone()).or_default().cues.push(c);
        }
        for t in &cfg.terminators {
            roles.entry(t.to_lowercase()).or_default().terminator = true;
        }
        let mut lengths = Box::new([0u64; 256]);
        for w in roles.keys().filter(|w| !w.is_empty()) {
            lengths[usize::from(w.as_bytes()[0])] |= length_bit(w.len());
        }
        NegationMarker { roles, lengths }
    }

    /// The role of a token's word, if it has one.
    fn role(&self, text: &str) -> Option<&Role> {
        let first = text.as_bytes().first()?.to_ascii_lowercase();
        if self.lengths[usize::from(first)] & length_bit(text.len()) == 0 {
            return None;
        }
        self.roles.get(folded(text).as_ref())
    }

    fn cue_len_at(cues: &[Vec<String>], tokens: &[Token], i: usize) -> Option<usize> {
        cues.iter().find_map(|cue| {
            let window = tokens.get(i..i + cue.len())?;
            // A multi-word cue may not straddle clause punctuation.
            let same_clause = window.iter().skip(1).all(|t| !t.clause_start);
            (same_clause
                && window
                    .iter()
                    .zip(cue)
                    .all(|(t, c)| t.text.eq_ignore_ascii_case(c)))
            .then_some(cue.len())
        })
    }
}

impl TokenFilter for NegationMarker {
    fn filter(&self, tokens: &mut Vec<Token>) {
        let mut in_scope = false;
        let mut i = 0;
        while i < tokens.len() {
            let role = self.role(&tokens[i].text);
            if tokens[i].clause_start || role.is_some_and(|r| r.terminator) {
                in_scope = false;
            }
            if let Some(n) = role.and_then(|r| Self::cue_len_at(&r.cues, tokens, i)) {
                // The cue words themselves stay unmarked; the scope opens after them.
                i += n;
                in_scope = true;
                continue;
            }
            tokens[i].negated = in_scope;
            i += 1;
        }
    }

    fn flags_only(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Analyzer, DomainTokenizer, Normalizer};
    use super::*;

    fn marked(s: &str) -> Vec<String> {
        let a = Analyzer::builder(DomainTokenizer)
            .filter(Normalizer { lowercase: true })
            .filter(NegationMarker::new(&NegationConfig::default()))
            .build();
        a.tokens(s).iter().map(|t| a.term(t)).collect()
    }

    proptest::proptest! {
        /// The quick test by first byte and length rules out no word the roles hold, in any
        /// case, and lets through no word they lack.
        #[test]
        fn roles_are_found_as_the_map_finds_them(
            w in "[a-zA-Z' ]{1,14}",
            pick: proptest::sample::Index,
        ) {
            let m = NegationMarker::new(&NegationConfig::default());
            let mut words: Vec<&String> = m.roles.keys().collect();
            words.sort();
            let known = words[pick.index(words.len())].to_uppercase();
            for w in [w.as_str(), known.as_str()] {
                let want = m.roles.get(folded(w).as_ref());
                proptest::prop_assert_eq!(m.role(w).is_some(), want.is_some(), "{:?}", w);
            }
        }
    }

    #[test]
    fn scope_runs_to_clause_end() {
        assert_eq!(
            marked("no red flags, or weakness. MRI is"),
            vec![
                "no",
                "neg_red",
                "neg_flags",
                "neg_or",
                "neg_weakness",
                "mri",
                "is"
            ]
        );
    }

    #[test]
    fn multi_word_cues_and_terminators() {
        assert_eq!(
            marked("failed to improve but pain"),
            vec!["failed", "to", "neg_improve", "but", "pain"]
        );
        assert_eq!(marked("lack of relief"), vec!["lack", "of", "neg_relief"]);
        assert_eq!(marked("lack. of relief"), vec!["lack", "of", "relief"]);
    }
}

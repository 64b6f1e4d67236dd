//! Negation scope: tokens after a cue, up to the end of the clause, are marked negated.

use super::{NegationConfig, Token, TokenFilter};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

pub struct NegationMarker {
    /// What a word can do, looked up once per token: close a scope, or begin cues.
    roles: FxHashMap<String, Role>,
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
        NegationMarker { roles }
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
            let role = self.roles.get(folded(&tokens[i].text).as_ref());
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

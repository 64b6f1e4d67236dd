//! Typed terms: where each term comes from (its [`Namespace`]), kept beside its spelling from the
//! moment it is counted, so no code reads a term's origin back out of its string.
//!
//! A term is spelled as its namespace's prefix, then its text: `r:no neg_red` (rationale n-gram),
//! `rq:mtus` (a rationale's guideline quotes), `c:no_red_flags` (a codebook cue). The spelling is
//! what lookups hash and what a model file stores. It is made from a namespace
//! ([`Namespace::prefix`]) and read back into one only where a model file is loaded
//! ([`Namespace::parse`], [`Namespace::from_prefix`]).

use super::{cues, Field};

/// Where a term comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// Word n-grams of a field's text (its case sentences, where quotes are apart).
    Field(Field),
    /// Word n-grams of a rationale field's guideline-quote sentences
    /// ([`super::FeatureConfig::quotes_apart`]); made only for fields of [`Namespace::quote`].
    Quote(Field),
    /// A codebook cue's match in the rationale; the term's text is the cue's name.
    Cue,
    /// A term given as a plain string ([`super::TermCounts::push`]), or a file's term of no known
    /// prefix: its spelling is all there is to it.
    Bare,
}

/// The namespaces that have a prefix, in the order a spelling is tried against them.
const PREFIXED: [Namespace; 11] = [
    Namespace::Field(Field::Title),
    Namespace::Field(Field::Rationale),
    Namespace::Field(Field::RationaleMasked),
    Namespace::Field(Field::Verdict),
    Namespace::Field(Field::Guidelines),
    Namespace::Field(Field::Summary),
    Namespace::Field(Field::ClaimsGuideline),
    Namespace::Field(Field::Facts),
    Namespace::Quote(Field::Rationale),
    Namespace::Quote(Field::RationaleMasked),
    Namespace::Cue,
];

impl Namespace {
    /// The namespace of `field`'s guideline-quote sentences: only the rationale fields quote
    /// guidelines.
    pub fn quote(field: Field) -> Option<Namespace> {
        matches!(field, Field::Rationale | Field::RationaleMasked)
            .then_some(Namespace::Quote(field))
    }

    /// The prefix that spells this namespace before a term's text. No prefix begins another
    /// (`r:`, `rq:`), so a namespace's terms are one run of a sorted vocabulary.
    pub fn prefix(self) -> &'static str {
        match self {
            Namespace::Field(f) => f.code(),
            Namespace::Quote(Field::Rationale) => "rq:",
            Namespace::Quote(Field::RationaleMasked) => "mq:",
            // Not made ([`Namespace::quote`]); spelled as the field's own terms rather than as
            // nothing.
            Namespace::Quote(f) => f.code(),
            Namespace::Cue => "c:",
            Namespace::Bare => "",
        }
    }

    /// How reports name where a term comes from (`rationale`, `rationale quotes`, `cue`; `""` for
    /// a bare term).
    pub fn name(self) -> &'static str {
        match self {
            Namespace::Field(f) => f.name(),
            Namespace::Quote(Field::RationaleMasked) => "rationale_masked quotes",
            Namespace::Quote(_) => "rationale quotes",
            Namespace::Cue => "cue",
            Namespace::Bare => "",
        }
    }

    /// The namespace of a spelled term: the one decoding of a spelling, for the vocabulary of a
    /// model file as it is loaded. A spelling of no known prefix is bare.
    pub(crate) fn parse(spelling: &str) -> Namespace {
        PREFIXED
            .into_iter()
            .find(|ns| spelling.starts_with(ns.prefix()))
            .unwrap_or(Namespace::Bare)
    }

    /// The namespace a whole prefix spells (`""`: bare), for the settings of a model or params file
    /// as they are loaded ([`super::Indicators`]).
    pub(crate) fn from_prefix(prefix: &str) -> Option<Namespace> {
        PREFIXED
            .into_iter()
            .chain([Namespace::Bare])
            .find(|ns| ns.prefix() == prefix)
    }

    /// A small number of its own for each prefixed namespace (`u8::MAX` for [`Namespace::Bare`]),
    /// for compact keys.
    pub(crate) fn code(self) -> u8 {
        PREFIXED
            .iter()
            .position(|&n| n == self)
            .map_or(u8::MAX, |i| i as u8)
    }

    /// Every prefix a file may name, for messages.
    pub(crate) fn prefixes() -> String {
        PREFIXED.map(Namespace::prefix).join(", ")
    }
}

/// One term of a vocabulary: its namespace and its text within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term<'v> {
    pub namespace: Namespace,
    /// An n-gram's words, joined by spaces (negated words marked as the analyzer marks them), a
    /// structured fact, or a cue's name.
    pub text: &'v str,
}

impl<'v> Term<'v> {
    /// The term of a spelling whose namespace is known: its text is what follows the prefix.
    pub(crate) fn of_spelling(namespace: Namespace, spelling: &'v str) -> Term<'v> {
        Term {
            namespace,
            text: &spelling[namespace.prefix().len()..],
        }
    }

    /// The theme a cue term speaks for ([`cues::theme_of`] its name); None for any other term.
    pub fn cue_theme(&self) -> Option<&'v str> {
        (self.namespace == Namespace::Cue).then(|| cues::theme_of(self.text))
    }
}

/// A term's spelling: its namespace's prefix, then `text`.
pub(crate) fn spell(namespace: Namespace, text: &str) -> String {
    let prefix = namespace.prefix();
    let mut s = String::with_capacity(prefix.len() + text.len());
    s.push_str(prefix);
    s.push_str(text);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spelling then parsing gives the namespace back, for every namespace the featurizer makes;
    /// terms of no known prefix are bare.
    #[test]
    fn prefixes_round_trip_and_none_begins_another() {
        for ns in PREFIXED {
            assert_eq!(Namespace::parse(&spell(ns, "x y")), ns);
            assert_eq!(Namespace::from_prefix(ns.prefix()), Some(ns));
            for other in PREFIXED.into_iter().filter(|o| *o != ns) {
                assert!(!other.prefix().starts_with(ns.prefix()), "{ns:?} {other:?}");
            }
        }
        assert_eq!(Namespace::parse("zz"), Namespace::Bare);
        assert_eq!(Namespace::from_prefix(""), Some(Namespace::Bare));
        assert_eq!(Namespace::from_prefix("c:no"), None);
        assert_eq!(
            (
                Namespace::quote(Field::Title),
                Namespace::quote(Field::Rationale)
            ),
            (None, Some(Namespace::Quote(Field::Rationale)))
        );
        let names = [
            "rq:neg_recommend",
            "r:neg_recommend",
            "mq:odg",
            "t:mri",
            "c:no_red_flags",
            "zz",
        ]
        .map(|s| {
            let t = Term::of_spelling(Namespace::parse(s), s);
            (t.namespace.name(), t.text)
        });
        assert_eq!(
            names,
            [
                ("rationale quotes", "neg_recommend"),
                ("rationale", "neg_recommend"),
                ("rationale_masked quotes", "odg"),
                ("title", "mri"),
                ("cue", "no_red_flags"),
                ("", "zz")
            ]
        );
    }

    #[test]
    fn a_cue_term_names_its_theme() {
        let cue = Term {
            namespace: Namespace::Cue,
            text: "no_red_flags.absent",
        };
        assert_eq!(cue.cue_theme(), Some("no_red_flags"));
        let word = Term {
            namespace: Namespace::Field(Field::Rationale),
            ..cue
        };
        assert_eq!(word.cue_theme(), None);
    }
}

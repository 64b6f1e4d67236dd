//! The literals every match of a pattern begins or ends with. The cue matcher and the treatment
//! rules search for all their patterns' literals at once, then run a pattern only where one of its
//! literals is.

use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::Hir;

/// The literals one of which begins (`Prefix`) or ends (`Suffix`) every match of `hir`; None
/// where they are not a finite set of non-empty strings (an empty one would filter nothing).
pub(crate) fn side_literals(hir: &Hir, kind: ExtractKind) -> Option<Vec<Vec<u8>>> {
    let seq = Extractor::new().kind(kind).extract(hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(p: &str) -> Hir {
        regex_syntax::parse(p).unwrap()
    }

    #[test]
    fn literals_begin_and_end_every_match() {
        let hir = parse(r"(nor|hydro)co \d+|tramadol");
        let mut pre = side_literals(&hir, ExtractKind::Prefix).unwrap();
        pre.sort();
        assert_eq!(
            pre,
            [
                b"hydroco ".to_vec(),
                b"norco ".to_vec(),
                b"tramadol".to_vec()
            ]
        );
        let suffix = side_literals(&parse(r"\w+ relief"), ExtractKind::Suffix).unwrap();
        assert_eq!(suffix, [b" relief".to_vec()]);
        // A match may begin anywhere, or with nothing.
        assert_eq!(
            side_literals(&parse(r"\w+ relief"), ExtractKind::Prefix),
            None
        );
        assert_eq!(side_literals(&parse(r"x*"), ExtractKind::Prefix), None);
    }
}

//! Misspellings people type in requests ("physcial therepy", "accupuncture"), each a whole word,
//! read as the word meant before the rules read a title. A list, not a guess: a near word is not
//! always a misspelling ("infection" is not "injection").

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::sync::LazyLock;

/// (as typed, as meant): lower-case ASCII words.
#[rustfmt::skip]
const MISSPELLINGS: &[(&str, &str)] = &[
    ("physcial", "physical"), ("phyiscal", "physical"), ("phsyical", "physical"),
    ("pysical", "physical"), ("physcal", "physical"), ("phisical", "physical"),
    ("therepy", "therapy"), ("theraphy", "therapy"), ("threapy", "therapy"),
    ("thearpy", "therapy"), ("therapey", "therapy"), ("theropy", "therapy"),
    ("accupuncture", "acupuncture"), ("acupunture", "acupuncture"),
    ("accupunture", "acupuncture"), ("acupucture", "acupuncture"),
    ("accupunc", "acupuncture"),
    ("chiropratic", "chiropractic"), ("chiropractice", "chiropractic"),
    ("ocupational", "occupational"),
    ("epideral", "epidural"), ("epidurral", "epidural"), ("epidual", "epidural"),
    ("injecton", "injection"), ("injeciton", "injection"), ("injction", "injection"),
    ("consulation", "consultation"), ("consultaion", "consultation"),
    ("evalution", "evaluation"), ("evalutaion", "evaluation"), ("evaulation", "evaluation"),
    ("ultasound", "ultrasound"), ("ultrsound", "ultrasound"),
    ("lumber", "lumbar"), ("cervicle", "cervical"), ("cervial", "cervical"),
    ("sholder", "shoulder"), ("shoudler", "shoulder"),
    ("mrl", "mri"),
    ("arthroscophy", "arthroscopy"), ("athroscopy", "arthroscopy"),
    ("norko", "norco"), ("flexiril", "flexeril"), ("flexerill", "flexeril"),
    ("gabapenten", "gabapentin"), ("gabapentine", "gabapentin"),
    ("tramadal", "tramadol"), ("tramodol", "tramadol"),
    ("hydrocodon", "hydrocodone"), ("oxycodon", "oxycodone"), ("percoset", "percocet"),
    ("cyclobenzeprine", "cyclobenzaprine"), ("cyclobenzaprin", "cyclobenzaprine"),
    ("lidocane", "lidocaine"), ("omeprazol", "omeprazole"), ("naproxin", "naproxen"),
    ("ibuprofin", "ibuprofen"), ("ambian", "ambien"),
];

static MEANT: LazyLock<FxHashMap<&'static str, &'static str>> =
    LazyLock::new(|| MISSPELLINGS.iter().copied().collect());

/// `text` (lower-case ASCII) with each listed misspelling, a whole run of letters, as meant.
pub(super) fn corrected(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out = String::new();
    let (mut done, mut i) = (0, 0);
    while i < b.len() {
        if !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_alphabetic() {
            i += 1;
        }
        if let Some(meant) = MEANT.get(&text[start..i]) {
            out.push_str(&text[done..start]);
            out.push_str(meant);
            done = i;
        }
    }
    if done == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_are_corrected() {
        assert_eq!(corrected("physcial therepy x12"), "physical therapy x12");
        assert_eq!(corrected("norko10/325 #120"), "norco10/325 #120");
        // Inside a longer word, nothing: "lumberjack" is no lumbar.
        assert_eq!(corrected("lumberjack"), "lumberjack");
        assert!(matches!(corrected("mri knee"), Cow::Borrowed(_)));
        assert_eq!(corrected(""), "");
    }

    #[test]
    fn the_list_is_lower_case_and_never_maps_a_word_to_a_misspelling() {
        for (typed, meant) in MISSPELLINGS {
            for w in [typed, meant] {
                assert!(w.bytes().all(|c| c.is_ascii_lowercase()), "{w}");
            }
            assert!(!MEANT.contains_key(meant), "{meant} is listed as typed");
        }
    }
}

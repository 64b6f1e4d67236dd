//! Stage 1: letters (PDF or text) into typed `Letter`s.
//!
//! `read_letter` reads one file; `parse_text` parses text already in memory; `discover` expands files and
//! directories into the letters to read.

mod decode;
mod fields;
mod hyphens;
mod items;
mod layout;
pub(crate) mod text;

use crate::error::{Error, Result};
use crate::letter::Letter;
use std::path::{Path, PathBuf};

/// Parses the text of one letter. `source` names it in errors and in `Letter::source`.
pub fn parse_text(raw: &str, source: &Path) -> Result<Letter> {
    layout::parse(&text::Doc::new(raw), source)
}

/// What a file holds, by extension, then by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pdf,
    Text,
}

fn kind_of(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "pdf" => Some(Kind::Pdf),
        "txt" | "text" => Some(Kind::Text),
        _ => None,
    }
}

/// Reads and parses one letter file (`.pdf` or `.txt`).
pub fn read_letter(path: &Path) -> Result<Letter> {
    kind_of(path).ok_or_else(|| Error::UnsupportedFile {
        path: path.into(),
        extension: path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default(),
    })?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = extract_text(&bytes, path)?;
    parse_text(&text, path)
}

/// The text of a file's bytes: PDF extraction (by extension or `%PDF` magic) or decoded text (UTF-8, or
/// UTF-16 with a byte order mark; see `decode`).
pub fn extract_text(bytes: &[u8], path: &Path) -> Result<String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty { path: path.into() });
    }
    if bytes.starts_with(b"%PDF") || kind_of(path) == Some(Kind::Pdf) {
        return pdf_text(bytes, path);
    }
    decode::text(bytes, path)
}

fn pdf_text(bytes: &[u8], path: &Path) -> Result<String> {
    if !bytes.starts_with(b"%PDF") {
        return Err(Error::Pdf { path: path.into(), reason: "no %PDF header".into() });
    }
    // pdf-extract can panic on malformed streams; a bad file must be an error, not a crash.
    let result = quiet_catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
    let text = match result {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            let reason = e.to_string();
            let reason = if ["encrypt", "decrypt", "password"].iter().any(|w| reason.to_ascii_lowercase().contains(w)) {
                format!("encrypted ({reason})")
            } else {
                reason
            };
            return Err(Error::Pdf { path: path.into(), reason });
        }
        Err(msg) => return Err(Error::Pdf { path: path.into(), reason: format!("malformed PDF ({msg})") }),
    };
    if text.trim().is_empty() {
        return Err(Error::Pdf { path: path.into(), reason: "no extractable text (scanned image or empty pages?)".into() });
    }
    Ok(text)
}

/// Runs `f`, turning a panic into its message without printing the default panic report.
fn quiet_catch_unwind<T>(f: impl FnOnce() -> T) -> std::result::Result<T, String> {
    use std::sync::{Mutex, OnceLock};
    // The panic hook is process-global: swap it under a lock so concurrent extractions do not race.
    static LOCK: OnceLock<Mutex<()>> = OnceLock::new();
    thread_local!(static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    {
        let _g = LOCK.get_or_init(|| Mutex::new(())).lock().unwrap_or_else(|e| e.into_inner());
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !QUIET.with(|q| q.get()) {
                    previous(info);
                }
            }));
        });
    }
    QUIET.with(|q| q.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic in PDF reader".into())
    })
}

/// Expands files and directories (recursively) into the letter files to read, sorted for a stable order.
/// Directories contribute their `.pdf` and `.txt` files; a path given by name is kept whatever its extension,
/// so that reading it reports what is wrong with it.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if kind_of(&path).is_some() {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads many letters on all cores, keeping input order: one result per file.
pub fn read_letters(paths: &[PathBuf], progress: impl Fn() + Sync) -> Vec<Result<Letter>> {
    use rayon::prelude::*;
    paths
        .par_iter()
        .map(|p| {
            let r = read_letter(p);
            progress();
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../../data/letters/003_ef80428068f9a7a4.txt");

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
            let _ = parse_text(&s, Path::new("x.txt"));
        }

        #[test]
        fn truncated_letters_never_panic(cut in 0usize..SEED.len(), noise in "[A-Za-z:\\n ]{0,40}") {
            let mut cut = cut;
            while !SEED.is_char_boundary(cut) { cut -= 1; }
            let text = format!("{}{}", &SEED[..cut], noise);
            if let Ok(l) = parse_text(&text, Path::new("x.txt")) {
                prop_assert!(l.items.len() <= 5);
            }
        }

        #[test]
        fn structured_noise_never_panics(parts in proptest::collection::vec(prop_oneof![
            Just("IMR ISSUES, DECISIONS AND RATIONALES\n".to_string()),
            Just("Claims Administrator guideline: x\n".to_string()),
            Just("MAXIMUS guideline: y\n".to_string()),
            Just("Decision rationale: z.\n".to_string()),
            Just("Title: Upheld\n".to_string()),
            Just("Overturned\n".to_string()),
            Just("\n \n".to_string()),
            "[a-z :.]{0,20}\n",
        ], 0..30)) {
            let _ = parse_text(&parts.concat(), Path::new("x.txt"));
        }
    }

    #[test]
    fn text_letter_parses_in_memory() {
        let l = parse_text(SEED, Path::new("data/letters/003_ef80428068f9a7a4.txt")).unwrap();
        assert_eq!(l.case_number, "003_ef80428068f9a7a4");
        assert_eq!(l.items.len(), 5);
    }
}

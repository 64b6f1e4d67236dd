//! PDF bytes into text, in this process. A batch reaches this through [`super::isolate`], which
//! runs it in a worker process: pdf-extract (over lopdf) panics on malformed input by design and
//! recurses over page trees and form XObjects, so a hostile file can overflow the stack, which no
//! `catch_unwind` stops.
//!
//! pdf-extract stays the extractor, chosen by measurement on the corpus: its text parses for every
//! letter, where lopdf's own `extract_text` (the library under it, better kept) gives text in which
//! no letter's structure survives; it is the text the shipped models were trained on; and with the
//! worker isolation its crashes, hangs and memory blow-ups cost the one file.

/// How far into a file PDF readers look for its `%PDF-` header.
const HEADER_WITHIN: usize = 1024;

/// Where a PDF's `%PDF-` header starts, if within its first kilobyte: bytes before it (a line a
/// gateway added) are not the PDF's, whose offsets count from its header.
pub(crate) fn header_at(bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(HEADER_WITHIN + 5)];
    memchr::memmem::find(head, b"%PDF-")
}

/// The text of a PDF, or why there is none (the caller adds the path).
pub(crate) fn pdf_text(bytes: &[u8]) -> Result<String, String> {
    let Some(start) = header_at(bytes) else {
        return Err("no %PDF header".into());
    };
    let bytes = &bytes[start..];
    let text = match quiet_catch_unwind(|| pdf_extract::extract_text_from_mem(bytes)) {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => {
            let reason = e.to_string();
            let lower = reason.to_ascii_lowercase();
            return Err(
                if ["encrypt", "decrypt", "password"]
                    .iter()
                    .any(|w| lower.contains(w))
                {
                    format!("encrypted ({reason})")
                } else {
                    reason
                },
            );
        }
        Err(msg) => return Err(format!("the PDF reader failed on it ({msg})")),
    };
    if text.trim().is_empty() {
        // The DWC's letters are encrypted with an empty password, which the reader undoes; a
        // file it reads no text from may use an encryption it does not.
        return Err(if memchr::memmem::find(bytes, b"/Encrypt").is_some() {
            "no extractable text: it is encrypted, which the PDF reader may not have undone \
             (pdftotext may read it)"
                .into()
        } else {
            "no extractable text (scanned image or empty pages?)".into()
        });
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
        let _g = LOCK
            .get_or_init(|| Mutex::new(()))
            .lock()
            .unwrap_or_else(|e| e.into_inner());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_found_within_the_first_kilobyte() {
        assert_eq!(header_at(b"%PDF-1.4\n"), Some(0));
        assert_eq!(header_at(b"\r\n%PDF-1.7\n"), Some(2));
        let late = [vec![b' '; HEADER_WITHIN + 1], b"%PDF-1.4".to_vec()].concat();
        assert_eq!(header_at(&late), None);
        assert_eq!(header_at(b"%PD"), None);
        assert_eq!(pdf_text(b"no header").unwrap_err(), "no %PDF header");
    }
}

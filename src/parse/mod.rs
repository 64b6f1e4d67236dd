//! Stage 1: letters (PDF or text) into typed `Letter`s.
//!
//! `read_letter` reads one file; `parse_text` parses text already in memory; `discover_all` expands
//! files and directories into the letters to read; a [`Reader`] reads a batch, its PDFs in isolated
//! workers.

mod decode;
mod fields;
mod hyphens;
mod isolate;
mod items;
mod layout;
mod pdf;
pub(crate) mod text;
pub(crate) mod walk;

pub use isolate::{cancel_on, worker_main, WorkerCommand, WorkerLimits};
pub use walk::{discover, discover_all, Discovery};

/// A text file's bytes as a text letter's are read: UTF-8 (with or without a byte order mark) or
/// UTF-16 with one, line ends made LF; an error names `path` and where the bytes went wrong.
/// `Ok(None)` for text with nothing but white space.
pub fn decode_text(bytes: &[u8], path: &Path) -> crate::error::Result<Option<String>> {
    match decode::text(bytes, path) {
        Ok(t) => Ok(Some(t)),
        Err(crate::error::Error::Empty { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The version of what the parser reads a letter as, recorded with every letter a database
/// indexes: a change that reads some letter otherwise (a field found, a text route read) bumps
/// it, and `imr index` reads again the letters an older parser read.
pub const PARSER_VERSION: i64 = 3;

use crate::error::{Error, Result};
use crate::letter::Letter;
use isolate::Worker;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Whether a walk of a folder reads `path` as a letter (by its extension: `.pdf`, `.txt`).
pub fn is_letter_path(path: &Path) -> bool {
    kind_of(path).is_some()
}

fn kind_of(path: &Path) -> Option<Kind> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "pdf" => Some(Kind::Pdf),
        "txt" | "text" => Some(Kind::Text),
        _ => None,
    }
}

/// Reads and parses one letter file (`.pdf` or `.txt`) in this process, with the default size cap.
/// A batch that must survive hostile PDFs reads through a [`Reader`] with workers.
pub fn read_letter(path: &Path) -> Result<Letter> {
    Reader::new().read_one(path, &mut None)
}

/// Whether `bytes` begin as a PDF does: a `%PDF-` header within its first kilobyte, as PDF
/// readers allow (a mail gateway or a download may put a line before it).
pub fn looks_like_pdf(bytes: &[u8]) -> bool {
    pdf::header_at(bytes).is_some()
}

/// Whether `bytes` (a stream's first buffer) begin as a letter's text: a line of them labelled
/// "Case Number:", or one of the letter's section headings, where a stream of rationales (one a
/// line) has neither.
pub fn looks_like_letter_text(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.lines().map(str::trim).any(|l| {
        l.get(..12)
            .is_some_and(|s| s.eq_ignore_ascii_case("case number:"))
            || text::HEADINGS.contains(&l)
    })
}

/// The text of a file's bytes: PDF extraction (by extension or `%PDF` magic) or decoded text
/// (UTF-8, or UTF-16 with a byte order mark; see `decode`).
pub fn extract_text(bytes: &[u8], path: &Path) -> Result<String> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::Empty { path: path.into() });
    }
    if is_pdf(bytes, path) {
        return pdf::pdf_text(bytes).map_err(|reason| Error::Pdf {
            path: path.into(),
            reason,
        });
    }
    decode::text(bytes, path)
}

/// The content decides: a `%PDF` header is a PDF whatever the name, and a `.pdf` file that holds
/// text (a letter's text saved under its PDF's name) is read as text. A `.pdf` that is neither is
/// sent to the PDF reader, whose error says it has no PDF header.
fn is_pdf(bytes: &[u8], path: &Path) -> bool {
    pdf::header_at(bytes).is_some()
        || (kind_of(path) == Some(Kind::Pdf) && decode::text(bytes, path).is_err())
}

/// The largest letter file read by default: the DWC's letters are a few hundred kilobytes.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 50_000_000;
/// The default wall-clock limit of one PDF's extraction in a worker.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default address-space cap of a worker process.
pub const DEFAULT_WORKER_MEMORY: u64 = 1 << 30;

/// How a batch reads letters: the size cap, and whether PDFs are extracted in worker processes.
#[derive(Debug, Clone)]
pub struct Reader {
    max_file_size: u64,
    workers: Option<(WorkerCommand, WorkerLimits)>,
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

impl Reader {
    /// In-process extraction (a panic in the PDF reader is caught; a stack overflow is not) and the
    /// default size cap.
    pub fn new() -> Reader {
        Reader {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            workers: None,
        }
    }

    /// Files over `bytes` are refused without being read.
    pub fn max_file_size(mut self, bytes: u64) -> Reader {
        self.max_file_size = bytes;
        self
    }

    /// PDFs are extracted by workers started with `command`, one per thread, within `limits`.
    pub fn isolated(mut self, command: WorkerCommand, limits: WorkerLimits) -> Reader {
        self.workers = Some((command, limits));
        self
    }

    /// Reads many letters on the current rayon pool's number of threads, keeping input order: one
    /// result per file. Each thread keeps one worker, started on its first PDF and again after one
    /// dies.
    pub fn read_all(&self, paths: &[PathBuf], progress: impl Fn() + Sync) -> Vec<Result<Letter>> {
        let mut out = Vec::with_capacity(paths.len());
        self.read_each(paths, progress, |r| {
            out.push(r);
            std::ops::ControlFlow::Continue(())
        });
        out
    }

    /// [`Reader::read_all`] as a stream: `sink` takes each file's result in input order as soon as
    /// it and those before it are read, so only the letters read ahead of a slow one are held.
    /// `sink` may stop the reading (a closed output).
    pub fn read_each(
        &self,
        paths: &[PathBuf],
        progress: impl Fn() + Sync,
        mut sink: impl FnMut(Result<Letter>) -> std::ops::ControlFlow<()>,
    ) {
        use std::collections::BTreeMap;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let threads = rayon::current_num_threads().clamp(1, paths.len().max(1));
        let next = AtomicUsize::new(0);
        std::thread::scope(|s| {
            // The receiver lives in this closure: leaving it early drops the receiver, so a thread
            // blocked on a full channel wakes with an error and stops, and the scope can end.
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<Letter>)>(threads * 4);
            // A thread the system will not start (a limit on processes) is one fewer; with none,
            // every file is said to be unread, with why.
            let mut refused = None;
            for _ in 0..threads {
                let tx = tx.clone();
                let (next, progress) = (&next, &progress);
                let started = std::thread::Builder::new().spawn_scoped(s, move || {
                    let mut worker = None;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        let r = self.read_one(path, &mut worker);
                        progress();
                        if tx.send((i, r)).is_err() {
                            break;
                        }
                    }
                });
                if let Err(e) = started {
                    refused = Some(e);
                    break;
                }
            }
            drop(tx);
            // Results arrive in any order; each is passed on once all before it have been.
            let mut early = BTreeMap::new();
            let mut due = 0;
            for (i, r) in rx.iter() {
                early.insert(i, r);
                while let Some(r) = early.remove(&due) {
                    due += 1;
                    if sink(r).is_break() {
                        // Threads stop at their next send, once `rx` is gone.
                        next.store(paths.len(), Ordering::Relaxed);
                        return;
                    }
                }
            }
            // A thread that died (it cannot, short of a bug) or never started leaves its file
            // unread, not skipped.
            let cause = match &refused {
                Some(e) => format!("not read: no thread could be started to read it ({e})"),
                None => "not read".into(),
            };
            for (i, p) in paths.iter().enumerate().skip(due) {
                let r = early.remove(&i).unwrap_or_else(|| {
                    Err(Error::ReaderCrashed {
                        path: p.clone(),
                        cause: cause.clone(),
                    })
                });
                if sink(r).is_break() {
                    return;
                }
            }
        });
    }

    /// One letter from bytes in memory (an upload, a fuzzer's input): the same route as a file's,
    /// PDFs through a worker of its own when the reader is isolated. `source` names it in errors.
    pub fn parse_bytes(&self, bytes: &[u8], source: &Path) -> Result<Letter> {
        if bytes.len() as u64 > self.max_file_size {
            let (size, limit) = (bytes.len() as u64, self.max_file_size);
            return Err(Error::TooLarge {
                path: source.into(),
                size,
                limit,
            });
        }
        self.letter_of(bytes, source, &mut None)
    }

    /// One file: checked before it is opened (a FIFO would block, a device never end), read within
    /// the size cap, its PDF extracted by `worker` (started here when needed) or in process.
    fn read_one(&self, path: &Path, worker: &mut Option<Worker>) -> Result<Letter> {
        // A folder given where a letter is read (the library's read_letter) is said to be one.
        if path.is_dir() {
            return Err(Error::NotAFile {
                path: path.into(),
                kind: "a directory",
                wanted: walk::LETTER_FILE,
            });
        }
        kind_of(path).ok_or_else(|| Error::UnsupportedFile {
            path: path.into(),
            extension: path
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })?;
        let bytes = self.read_capped(path)?;
        self.letter_of(&bytes, path, worker)
    }

    fn letter_of(&self, bytes: &[u8], path: &Path, worker: &mut Option<Worker>) -> Result<Letter> {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(Error::Empty { path: path.into() });
        }
        let text = match (&self.workers, is_pdf(bytes, path)) {
            (Some((command, limits)), true) => {
                let mut w = match worker.take() {
                    Some(w) => w,
                    None => Worker::start(command, *limits).map_err(|e| Error::ReaderCrashed {
                        path: path.into(),
                        cause: format!(
                            "cannot start a PDF worker ({}): {e}",
                            command.program.display()
                        ),
                    })?,
                };
                // A worker that died or overran is dropped here; the next PDF starts a fresh one.
                let text = w.extract(bytes, path)?;
                *worker = Some(w);
                text?
            }
            _ => extract_text(bytes, path)?,
        };
        parse_text(&text, path)
    }

    fn read_capped(&self, path: &Path) -> Result<Vec<u8>> {
        // A letter too large is said with the option that sets the cap.
        crate::input::read_file(path, self.max_file_size, walk::LETTER_FILE).map_err(|e| match e {
            Error::FileTooLarge {
                path, size, limit, ..
            } => Error::TooLarge { path, size, limit },
            e => e,
        })
    }
}

/// Reads many letters in this process on all cores, keeping input order: one result per file.
pub fn read_letters(paths: &[PathBuf], progress: impl Fn() + Sync) -> Vec<Result<Letter>> {
    Reader::new().read_all(paths, progress)
}

/// The re-wrapping of the integration tests' text routes, for the parser's own.
#[cfg(test)]
#[path = "../../tests/rewrap.rs"]
mod rewrap;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../../data/letters/003_ef80428068f9a7a4.txt");

    /// A letter's text under a `.pdf` name is read as text, and a PDF under a `.txt` name as a
    /// PDF; a `.pdf` that is neither fails as a PDF without its header, naming the file.
    #[test]
    fn the_content_decides_the_route() {
        let as_txt = extract_text(SEED.as_bytes(), Path::new("a.txt")).unwrap();
        let as_pdf = extract_text(SEED.as_bytes(), Path::new("a.PDF")).unwrap();
        assert_eq!(as_txt, as_pdf);
        assert!(!is_pdf(SEED.as_bytes(), Path::new("a.pdf")));
        assert!(is_pdf(b"%PDF-1.4 junk", Path::new("a.txt")));
        let e = extract_text(b"\x89PNG\0\0 junk", Path::new("scan.pdf")).unwrap_err();
        assert!(
            matches!(&e, Error::Pdf { path, reason } if path == Path::new("scan.pdf")
                && reason.contains("%PDF")),
            "{e}"
        );
    }

    /// A letter's text is told from rationales one a line (what `imr predict` reads on stdin).
    #[test]
    fn a_letter_s_text_is_told_from_rationales() {
        assert!(looks_like_letter_text(SEED.as_bytes()));
        assert!(looks_like_letter_text(b"\n   CASE NUMBER:  CM16-0000001\n"));
        let rationales = "The request is not medically necessary.\nThe case number: unknown.\n";
        assert!(!looks_like_letter_text(rationales.as_bytes()));
    }

    /// Another spelling of an item's decision is read ("UPHELD", "Upheld."); one that is not
    /// ("Upheld (partial)") costs the letter with a message naming the item, where its item was
    /// read as part of the one before, the items after renumbered, and nothing said (the first
    /// item's, before any decision line read, likewise). A letter cut short after an item's
    /// decision line says the item has no rationale.
    #[test]
    fn an_item_is_never_lost_in_the_one_before() {
        let path = Path::new("l.txt");
        let want = parse_text(SEED, path).unwrap().items;
        let variant = |line: &str| SEED.replacen("\nUpheld \n", &format!("\n{line}\n"), 3);
        for line in ["UPHELD", "Upheld.", "Upheld (partial)"] {
            let text = variant(line);
            assert_ne!(text, SEED);
            match parse_text(&text, path) {
                Ok(l) => {
                    assert_eq!(l.items.len(), want.len(), "{line}");
                    assert!(l
                        .items
                        .iter()
                        .zip(&want)
                        .all(|(a, b)| a.decision == b.decision));
                }
                Err(e) => {
                    assert_eq!(line, "Upheld (partial)");
                    let e = e.to_string();
                    assert!(
                        e.contains("item 2): two \"") && e.contains("no decision line"),
                        "{e}"
                    );
                }
            }
        }
        // The first item's decision misspelt: it is named, not dropped with the next renumbered.
        let first = "Case Number: CM16-0000001\nIMR ISSUES, DECISIONS AND RATIONALES\n\
                     MRI of the knee: Uphled\nDecision rationale: Not indicated.\n\
                     MRI of the hip: Overturned\nDecision rationale: Indicated.\n";
        let e = parse_text(first, path).unwrap_err().to_string();
        assert!(
            e.contains("item 1): a \"Decision rationale:\" paragraph before the first decision"),
            "{e}"
        );
        let fixed = first.replace("Uphled", "Upheld");
        assert_eq!(parse_text(&fixed, path).unwrap().items.len(), 2);
        let cut = "Case Number: CM16-0000001\nIMR ISSUES, DECISIONS AND RATIONALES\n\
                   MRI of the knee: Upheld\nDecision rationale: Not indicated.\n\
                   MRI of the hip: Overturned\n";
        let e = parse_text(cut, path).unwrap_err().to_string();
        assert!(e.contains("item 2): no \"Decision rationale:\""), "{e}");
        // Alone below a title that has no colon at its end (or has one inside it).
        let bare = "Case Number: CM16-0000001\nIMR ISSUES, DECISIONS AND RATIONALES\n\
                    MRI of the knee (DOS: 1/2/2016)\nUPHELD\nDecision rationale: Not indicated.\n\
                    MRI of the hip\nOverturned.\nDecision rationale: Indicated.\n";
        let items = parse_text(bare, path).unwrap().items;
        use crate::letter::Decision;
        let read: Vec<(&str, Decision)> = items
            .iter()
            .map(|i| (i.title.as_str(), i.decision))
            .collect();
        assert_eq!(
            read,
            [
                ("MRI of the knee (DOS: 1/2/2016)", Decision::Upheld),
                ("MRI of the hip", Decision::Overturned)
            ]
        );
    }

    /// What other text routes make of a letter reads as the letter: a space before a label's colon,
    /// soft hyphens, a heading named in prose, and a rationale's last sentence on the line of the
    /// next item's title (pages joined with a space).
    #[test]
    fn text_routes_variants_read_as_the_letter() {
        let path = Path::new("l.txt");
        let want = parse_text(SEED, path).unwrap();
        let glued = "Therefore, the request for blood work is \n\nmedically necessary. \n\n \n\n\
                     1 PRESCRIPTION OF NORCO 10/325MG: Upheld";
        assert!(SEED.contains(glued));
        let variants = [
            SEED.replace("guideline:", "guideline :")
                .replace("rationale:", "rationale :"),
            SEED.replace("guideline:", "guide\u{ad}line:")
                .replace("EPIDURAL", "EPI\u{ad}DURAL"),
            SEED.replacen(
                "CLINICAL CASE SUMMARY \n",
                "CLINICAL CASE SUMMARY \nThis CLINICAL CASE SUMMARY comes before the IMR ISSUES, \
                 DECISIONS AND RATIONALES.\n",
                1,
            ),
            SEED.replace(
                glued,
                "Therefore, the request for blood work is \n\nmedically necessary. 1 PRESCRIPTION \
                 OF NORCO 10/325MG: Upheld",
            ),
        ];
        for (k, text) in variants.iter().enumerate() {
            assert_ne!(text, SEED, "variant {k}");
            let got = parse_text(text, path).unwrap_or_else(|e| panic!("variant {k}: {e}"));
            assert_eq!(got.items.len(), want.items.len(), "variant {k}");
            for (a, b) in got.items.iter().zip(&want.items) {
                assert_eq!(a.title, b.title, "variant {k}");
                assert_eq!(a.decision, b.decision, "variant {k}");
                assert_eq!(a.rationale, b.rationale, "variant {k}");
                assert_eq!(a.reviewer_guideline, b.reviewer_guideline, "variant {k}");
                let ca = (
                    &a.claims_administrator_guideline,
                    &b.claims_administrator_guideline,
                );
                assert_eq!(ca.0, ca.1, "variant {k}");
            }
        }
        // A header label with a space before its colon.
        let h = fields::read_header("Case Number :  CM16-0213037\nDate Assigned :  11/09/2016");
        assert_eq!(h.case_number, "CM16-0213037");
        assert_eq!(h.date_assigned.unwrap().to_string(), "2016-11-09");
    }

    /// A letter hard-wrapped at a width (an editor's or a mail client's reflow) reads as the
    /// letter, though the breaks fall inside headings and labels ("Claims Administrator" at the
    /// end of one line, "guideline:" at the start of the next).
    #[test]
    fn hard_wrapped_letters_read_as_the_letter() {
        let path = Path::new("l.txt");
        let want = parse_text(SEED, path).unwrap();
        // Each field label's paragraph joined to the one before it (the decision line, the
        // guideline before), as some routes lay them out, then every paragraph wrapped: labels
        // fall inside lines, and at some widths across two.
        let mut paras: Vec<String> = Vec::new();
        for p in SEED.split("\n \n") {
            match paras.last_mut() {
                Some(last) if text::is_labelled(p.trim()) => last.push_str(p),
                _ => paras.push(p.to_string()),
            }
        }
        let wrapped =
            |width: usize| super::rewrap::rewrapped(paras.iter().map(String::as_str), width);
        let mut broken = 0;
        let words = |s: &Option<String>| {
            s.as_deref()
                .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        for (width, colon) in [150, 100, 80, 72, 60, 45]
            .into_iter()
            .flat_map(|w| [(w, ":"), (w, " :")])
        {
            let text = wrapped(width)
                .replace("guideline:", &format!("guideline{colon}"))
                .replace("rationale:", &format!("rationale{colon}"));
            broken += [
                "Administrator\nguideline:",
                "MAXIMUS\nguideline:",
                "Decision\nrationale:",
            ]
            .iter()
            .filter(|m| text.contains(*m))
            .count();
            let got = parse_text(&text, path).unwrap_or_else(|e| panic!("width {width}: {e}"));
            assert_eq!(got.header, want.header, "width {width}");
            assert_eq!(
                words(&got.clinical_summary),
                words(&want.clinical_summary),
                "width {width}"
            );
            assert_eq!(got.items.len(), want.items.len(), "width {width}");
            for (a, b) in got.items.iter().zip(&want.items) {
                assert_eq!(a.title, b.title, "width {width}");
                assert_eq!(a.decision, b.decision, "width {width}");
                let r = |r: &str| r.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(r(&a.rationale), r(&b.rationale), "width {width}");
                assert_eq!(a.reviewer_guideline, b.reviewer_guideline, "width {width}");
                assert_eq!(
                    a.claims_administrator_guideline, b.claims_administrator_guideline,
                    "width {width}"
                );
            }
        }
        assert!(
            broken > 0,
            "no width broke a label across lines: the test tests nothing"
        );
    }

    /// No limit on a file's size is a limit of u64::MAX, not one that wraps to nothing.
    #[test]
    fn the_largest_size_limit_reads_every_file() {
        let path = Path::new(concat!(
            env!("IMR_ROOT"),
            "/data/letters/003_ef80428068f9a7a4.txt"
        ));
        let read = Reader::new()
            .max_file_size(u64::MAX)
            .read_all(&[path.into()], || {});
        assert!(read[0].is_ok(), "{:?}", read[0]);
        assert_eq!(crate::report::clip("hello", 0), "…");
        let e = read_letter(Path::new(env!("IMR_ROOT"))).unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
    }

    /// Letters and missing files interleaved: results come in input order, and a sink that stops
    /// gets nothing more.
    #[test]
    fn read_each_keeps_input_order_and_stops_when_asked() {
        let dir = Path::new(env!("IMR_ROOT")).join("data/letters");
        let mut letters: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        letters.sort();
        let paths: Vec<PathBuf> = (0..400)
            .map(|i| match i % 3 {
                0 => dir.join(format!("missing-{i}.txt")),
                _ => letters[i % letters.len()].clone(),
            })
            .collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let mut seen = Vec::new();
        pool.install(|| {
            Reader::new().read_each(
                &paths,
                || {},
                |r| {
                    seen.push(match r {
                        Ok(l) => l.header.source,
                        Err(e) => e.to_string(),
                    });
                    std::ops::ControlFlow::Continue(())
                },
            )
        });
        assert_eq!(seen.len(), paths.len());
        for (s, p) in seen.iter().zip(&paths) {
            let name = p.file_name().unwrap().to_string_lossy();
            assert!(s.contains(name.as_ref()), "{s} is not {name}");
        }
        let mut taken = 0;
        pool.install(|| {
            Reader::new().read_each(
                &paths,
                || {},
                |_| {
                    taken += 1;
                    match taken {
                        5 => std::ops::ControlFlow::Break(()),
                        _ => std::ops::ControlFlow::Continue(()),
                    }
                },
            )
        });
        assert_eq!(taken, 5);
    }

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
        assert_eq!(l.header.case_number, "003_ef80428068f9a7a4");
        assert_eq!(l.items.len(), 5);
    }
}

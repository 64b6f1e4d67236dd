//! The three entry points that `scripts/fuzz` fuzzes and `tests/fuzz_regressions.rs` replays, in
//! one file both include, so a saved crash input is replayed exactly as the fuzzer ran it. Each
//! returns normally for any input; a panic is the finding.
// Each fuzz target uses one entry of the three.
#![allow(dead_code)]

use imr::model::{ItemToScore, ModelFile};
use imr::parse::{extract_text, parse_text, Reader, WorkerCommand, WorkerLimits};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// A sample letter scored by every model that loads: a model file that deserializes but is not
/// consistent (vocabulary, IDF and coefficients of different lengths) must fail as an error there
/// too.
const LETTER: &str = include_str!("../data/letters/003_ef80428068f9a7a4.txt");

/// Worker limits of the PDF entry: short, so a hang costs the fuzzer seconds, not the default 30.
pub const PDF_TIMEOUT: Duration = Duration::from_secs(5);
pub const PDF_MEMORY: u64 = 512 << 20;

/// Text bytes through the text branch of `extract_text`, then `parse_text`.
pub fn text(data: &[u8]) {
    let source = Path::new("fuzz.txt");
    // `%PDF` bytes would go to the PDF reader in this process, whose stack overflow would kill the
    // fuzzer: PDFs are the pdf entry's, through a worker.
    let extracted = if data.starts_with(b"%PDF") {
        None
    } else {
        extract_text(data, source).ok()
    };
    // Bytes that are not text (NUL, bad UTF-8) still reach the parser, as their lossy text.
    let text = extracted.unwrap_or_else(|| String::from_utf8_lossy(data).into_owned());
    let _ = parse_text(&text, source);
}

/// A reader whose PDFs go to `imr pdf-worker` processes of the binary `imr`.
pub fn isolated_reader(imr: PathBuf) -> Reader {
    let args = vec![
        "pdf-worker".into(),
        "--memory".into(),
        PDF_MEMORY.to_string().into(),
    ];
    let limits = WorkerLimits {
        timeout: PDF_TIMEOUT,
        memory: PDF_MEMORY,
    };
    Reader::new().isolated(WorkerCommand { program: imr, args }, limits)
}

/// PDF bytes through a worker: any result (the worker's death included) but a panic here.
pub fn pdf(reader: &Reader, data: &[u8]) {
    let _ = reader.parse_bytes(data, Path::new("fuzz.pdf"));
}

/// A model file loaded (`ModelFile::load` takes a path), then, if it loads, used on a sample
/// letter.
pub fn model(path: &Path) {
    let Ok(m) = ModelFile::load(path) else { return };
    let _ = m.predict(sample_items().to_vec(), 3);
}

/// The first item of the sample letter, parsed once: the model entry runs per input.
fn sample_items() -> &'static [ItemToScore] {
    static ITEMS: OnceLock<Vec<ItemToScore>> = OnceLock::new();
    ITEMS.get_or_init(|| {
        let letter = parse_text(LETTER, Path::new("letter.txt")).expect("the sample parses");
        let first = letter.items.first().expect("the sample letter has items");
        vec![ItemToScore::from_item(&letter, first)]
    })
}

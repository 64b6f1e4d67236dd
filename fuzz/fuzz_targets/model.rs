#![no_main]
//! `ModelFile::load` of arbitrary bytes, and a prediction with what loads. The loader takes a
//! path: each input is written to a scratch file of this process first.

use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "../entries.rs"]
mod entries;

fn scratch() -> &'static PathBuf {
    static SCRATCH: OnceLock<PathBuf> = OnceLock::new();
    SCRATCH.get_or_init(|| {
        let name = format!("imr-fuzz-model-{}.json", std::process::id());
        std::env::temp_dir().join(name)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    std::fs::write(scratch(), data).expect("write the scratch model file");
    entries::model(scratch());
});

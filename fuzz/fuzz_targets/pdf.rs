#![no_main]
//! `Reader::parse_bytes` of arbitrary bytes as a PDF, extracted in `imr pdf-worker` processes: the
//! fuzzer process never runs pdf-extract, so only a panic on the supervisor's side is a crash. The
//! worker binary is `$IMR_BIN` (scripts/fuzz builds it), else the main crate's release build.

use std::path::PathBuf;
use std::sync::OnceLock;

#[path = "../entries.rs"]
mod entries;

fn reader() -> &'static imr::parse::Reader {
    static READER: OnceLock<imr::parse::Reader> = OnceLock::new();
    READER.get_or_init(|| {
        let bin = std::env::var_os("IMR_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../target/release/imr"
                ))
            });
        // Without a worker binary every input would fail to start one: a silent, useless run.
        assert!(
            bin.is_file(),
            "no imr binary at {} (set IMR_BIN)",
            bin.display()
        );
        entries::isolated_reader(bin)
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::pdf(reader(), data));

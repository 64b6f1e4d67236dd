#![no_main]
//! `extract_text` (text branch) and `parse_text` on arbitrary bytes.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::text(data));

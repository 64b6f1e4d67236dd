//! The built-in models (`models/*.json`) in MessagePack: the same values, read at start-up in a
//! fraction of the time JSON takes (no number is parsed from text). The JSON files stay the one
//! source; this is derived from them at every build that changes them, and read by
//! `src/model/packed.rs`.

use std::path::Path;

const MODELS: [&str; 3] = ["default", "case", "masked"];

fn main() {
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    for name in MODELS {
        let json = format!("models/{name}.json");
        println!("cargo:rerun-if-changed={json}");
        let bytes = std::fs::read(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        // As the JSON reader does, a byte-order mark is no part of the file.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let value: serde_json::Value =
            serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{json}: {e}"));
        let packed = rmp_serde::to_vec(&value).unwrap_or_else(|e| panic!("{json}: {e}"));
        let to = Path::new(&out).join(format!("{name}.msgpack"));
        std::fs::write(&to, packed).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    }
    println!("cargo:rerun-if-changed=build.rs");
}

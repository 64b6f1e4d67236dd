//! The built-in models (`models/*.json`) in MessagePack: the same values, read at start-up in a
//! fraction of the time JSON takes (no number is parsed from text). The JSON files stay the one
//! source; this is derived from them at every build that changes them, and read by
//! `src/model/packed.rs`.

use std::path::{Path, PathBuf};

const MODELS: [&str; 3] = ["default", "case", "masked"];

fn main() {
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    // The sources' folder: this package's, or the one above it where this script builds the
    // library's unit tests in `tests/`. Their tests read the sample letters and models from it.
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = match manifest.join("models").is_dir() {
        true => manifest,
        false => manifest
            .parent()
            .expect("a package in a folder")
            .to_path_buf(),
    };
    println!("cargo:rustc-env=IMR_ROOT={}", root.display());
    for name in MODELS {
        let path = root.join("models").join(format!("{name}.json"));
        let json = path.display();
        println!("cargo:rerun-if-changed={json}");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{json}: {e}"));
        // As the JSON reader does, a byte-order mark is no part of the file.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let value: serde_json::Value =
            serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{json}: {e}"));
        let packed = rmp_serde::to_vec(&value).unwrap_or_else(|e| panic!("{json}: {e}"));
        let to = Path::new(&out).join(format!("{name}.msgpack"));
        std::fs::write(&to, packed).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    }
    println!("cargo:rerun-if-changed={}", root.join("build.rs").display());
}

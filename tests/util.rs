//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/corpus` beside the checkout, or None with a message saying the test is skipped.
pub fn corpus(test: &str) -> Option<PathBuf> {
    let p = root().join("../shared/corpus");
    if p.join("dwc/pdf").is_dir() && p.join("dwc/gold/items.jsonl").is_file() {
        Some(p)
    } else {
        eprintln!("SKIP {test}: ../shared/corpus (dwc/pdf, dwc/gold/items.jsonl) is absent");
        None
    }
}

pub fn imr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imr")).args(args).current_dir(root()).output().expect("run imr")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh temporary directory for one test.
pub fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("imr-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("JSON line")).collect()
}

//! Every input under `tests/fixtures/hostile/` (the crashes `scripts/fuzz` found, and the small
//! hand-made files beside them) through the three fuzzed entry points, as the fuzz targets call
//! them: none may panic. The file name says which target found it; every file goes through all
//! three.

#[path = "../fuzz/entries.rs"]
mod entries;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

/// Inputs that still panic in library code, with the entry point, until the fix lands (`src/` is
/// not the fuzzing branch's to change). A listed input that no longer panics fails the test too:
/// its line goes when the fix does.
const KNOWN_PANICS: &[(&str, &str, &str)] = &[];

fn hostile_inputs() -> Vec<PathBuf> {
    let dir = crate::util::root().join("tests/fixtures/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn hostile_inputs_never_panic() {
    let files = hostile_inputs();
    assert!(!files.is_empty(), "tests/fixtures/hostile/ is empty");
    let reader = entries::isolated_reader(PathBuf::from(crate::util::bin()));
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("read a hostile input");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let runs: [(&str, &dyn Fn()); 3] = [
            ("parse_text", &|| entries::text(&bytes)),
            ("pdf", &|| entries::pdf(&reader, &bytes)),
            ("model", &|| entries::model(path)),
        ];
        for (target, run) in runs {
            let panicked = catch_unwind(AssertUnwindSafe(run)).is_err();
            let known = KNOWN_PANICS
                .iter()
                .find(|(f, t, _)| *f == name && *t == target);
            match (panicked, known) {
                (true, None) => failures.push(format!("{target} panicked on {name}")),
                (false, Some(_)) => failures.push(format!(
                    "{target} no longer panics on {name}: remove it from KNOWN_PANICS"
                )),
                (true, Some((.., why))) => eprintln!("known panic, {target} on {name}: {why}"),
                (false, None) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every known panic names an input that is there, so a renamed file cannot hide one.
#[test]
fn known_panics_name_present_inputs() {
    let names: Vec<String> = hostile_inputs()
        .iter()
        .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .collect();
    for (file, ..) in KNOWN_PANICS {
        assert!(
            names.iter().any(|n| n == file),
            "{file} is not in tests/fixtures/hostile/"
        );
    }
}

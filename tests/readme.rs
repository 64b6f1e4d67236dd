//! The README's quickstart, run as written: every line of its quickstart block that starts with
//! `imr ` runs (through `sh`, so its redirections hold) in a fresh directory beside the sample
//! letters, and must succeed and print or write something. The README cannot rot.
//!
//! The main package's own integration test (the rest are in the `imr-tests` package beside it):
//! that it has one is what makes `cargo test` build the `imr` binary they drive.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The lines between the quickstart markers that are commands.
fn quickstart(readme: &str) -> Vec<String> {
    let start = readme
        .find("<!-- quickstart:")
        .expect("README.md has no quickstart marker");
    let end = readme[start..]
        .find("<!-- /quickstart -->")
        .expect("README.md's quickstart is not closed")
        + start;
    readme[start..end]
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("imr "))
        .map(String::from)
        .collect()
}

#[test]
fn the_quickstart_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let commands = quickstart(&readme);
    assert!(commands.len() >= 5, "{commands:?}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::os::unix::fs::symlink(root().join("data"), dir.join("data")).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_imr"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for c in &commands {
        let out = Command::new("sh")
            .args(["-c", c])
            .current_dir(dir)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{c}: {}", stderr(&out));
        let wrote = c.split_once('>').map(|(_, f)| dir.join(f.trim()));
        match wrote {
            Some(f) => assert!(std::fs::metadata(&f).unwrap().len() > 0, "{c}: empty file"),
            None => assert!(
                !out.stdout.is_empty() || !out.stderr.is_empty(),
                "{c}: no output"
            ),
        }
    }
}

/// The README stays a user's document; the rest lives in docs/.
#[test]
fn the_readme_is_short_and_its_links_resolve() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.len() <= 12 * 1024,
        "README.md is {} bytes",
        readme.len()
    );
    for (i, _) in readme.match_indices("](") {
        let rest = &readme[i + 2..];
        let target = &rest[..rest.find(')').unwrap()];
        if target.starts_with("http") || target.starts_with('#') {
            continue;
        }
        let path = target.split('#').next().unwrap();
        assert!(
            root().join(path).exists(),
            "README.md links to {target}, which is missing"
        );
    }
}

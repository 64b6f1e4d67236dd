//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The checkout: this package lives in its `tests/` folder.
pub fn root() -> PathBuf {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR"));
    tests.parent().expect("tests/ has a parent").to_path_buf()
}

/// The `imr` binary under test, from the build this test binary belongs to (`target/<profile>/`).
/// Cargo builds it for the main package's own test; this package cannot name it, so it is found
/// beside the test binary, and refused when a source it was built from (as its dep-info file
/// lists them) is newer than it: a stale binary is never what passes.
pub fn bin() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        // target/<profile>/deps/imr-<hash> -> target/<profile>/imr
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>")
            .join("imr");
        let how = "build it first (`cargo build --release`), or run every test with `cargo test \
                   --release`, which builds it";
        let built = std::fs::metadata(&bin)
            .and_then(|m| m.modified())
            .unwrap_or_else(|e| panic!("{}: {e}; {how}", bin.display()));
        for source in dep_info_paths(&dep_info(&bin).unwrap_or_else(|| panic!("{how}"))) {
            // rustc names the workspace's own files from its root.
            let source = root().join(source);
            let changed = std::fs::metadata(&source).and_then(|m| m.modified());
            assert!(
                changed.is_ok_and(|t| t <= built),
                "{} is older than {}: {how}",
                bin.display(),
                source.display()
            );
        }
        bin
    })
}

/// The dep-info file rustc wrote for `bin` (`deps/imr-<hash>.d`): `bin` is a hard link to one of
/// the `deps/imr-<hash>` files, the one with its inode.
fn dep_info(bin: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(bin).ok()?.ino();
    let deps = bin.parent()?.join("deps");
    std::fs::read_dir(deps).ok()?.flatten().find_map(|e| {
        let p = e.path();
        let same = p.extension().is_none() && e.metadata().is_ok_and(|m| m.ino() == inode);
        same.then(|| std::fs::read_to_string(p.with_extension("d")).ok())
            .flatten()
    })
}

/// The paths of a Makefile-style dep-info file (`target: dep dep ...`), spaces escaped by `\`.
fn dep_info_paths(text: &str) -> Vec<PathBuf> {
    let Some((_, deps)) = text.lines().next().and_then(|l| l.split_once(": ")) else {
        return Vec::new();
    };
    let mut paths = vec![String::new()];
    let mut chars = deps.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => paths.last_mut().unwrap().extend(chars.next()),
            ' ' => paths.push(String::new()),
            c => paths.last_mut().unwrap().push(c),
        }
    }
    paths
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .collect()
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

/// `imr` run from the checkout.
pub fn imr(args: &[&str]) -> Output {
    imr_in(&root(), args)
}

/// `imr` run from `dir`.
pub fn imr_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run imr")
}

/// `imr` with `input` on its standard input.
pub fn imr_stdin(args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run imr");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("imr output")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A fresh temporary directory for one test.
pub fn tempdir(name: &str) -> TestDir {
    let d = std::env::temp_dir().join(format!("imr-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TestDir(d)
}

/// A directory for a fixture that a file's tests share for the whole run (a static is never
/// dropped): under the build's `target/tmp`, one a process, so that two runs at once keep apart;
/// those of runs that have ended are removed (where `/proc` tells), so runs do not pile up.
pub fn fixture_dir(name: &str) -> PathBuf {
    let d = fixture_path(name);
    let prefix = format!("imr-{name}-");
    let ended =
        |pid: &str| Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists();
    let parent = d.parent().unwrap();
    for e in std::fs::read_dir(parent).into_iter().flatten().flatten() {
        let file = e.file_name();
        let pid = file.to_str().and_then(|f| f.strip_prefix(&prefix));
        if pid.is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()) && ended(p)) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Where [`fixture_dir`] makes `name`'s directory for this process.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("imr-{name}-{}", std::process::id()))
}

/// A test's temporary directory: removed when the test passes, so that runs do not fill the
/// temporary folder; kept when it fails (its path on stderr), to look at what was written.
pub struct TestDir(PathBuf);

impl TestDir {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept for a look: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// The sample letters hold one Overturned item, too few to learn from: `dir/flipped.txt` is a copy of one of them
/// with both items Overturned and their rationales saying so (case number "flipped").
pub fn flipped_letter(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(root().join("data/letters/004_4fa3c31427c968ed.txt"))
        .unwrap()
        .replace('\r', "");
    write(
        dir,
        "flipped.txt",
        text.replace("Upheld", "Overturned")
            .replace("not medically necessary", "medically necessary")
            .as_bytes(),
    )
}

/// A JSON file (a model file) as a value.
pub fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// Records of an RFC 4180 CSV text (quoted fields may hold commas, doubled quotes and line breaks).
pub fn csv_records(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && record.is_empty(),
        "CSV ends inside a record"
    );
    records
}

/// `imr` with its stdout (`close_stdout`) or its stderr a pipe whose reader is already gone, so every write to it
/// fails as it does after `| head -1` has read its line; the other stream is captured.
pub fn imr_closed(args: &[&str], close_stdout: bool) -> Output {
    use std::process::Stdio;
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = Command::new(bin());
    cmd.args(args).current_dir(root()).stdin(Stdio::null());
    if close_stdout {
        cmd.stdout(writer).stderr(Stdio::piped());
    } else {
        cmd.stdout(Stdio::piped()).stderr(writer);
    }
    cmd.spawn()
        .expect("run imr")
        .wait_with_output()
        .expect("imr output")
}

/// The script a hostile letter carries in its title, summary and rationale: each sets a mark on
/// the page if it ever runs.
pub const HOSTILE: &str = "<script>window.pwned=1;document.title='pwned'</script>\
<img src=x onerror=\"window.pwned=2\"><b onmouseover=\"window.pwned=3\">x</b>";

/// A database (`dir/serve.db`) of the sample letters and, with `hostile`, `hostile.txt`: the
/// sample letter with case 004's items, its first item's title, its summary and its first
/// rationale carrying [`HOSTILE`] (case number "hostile").
pub fn serve_db(dir: &Path, hostile_letter: bool) -> PathBuf {
    let letters = dir.join("letters");
    std::fs::create_dir_all(&letters).unwrap();
    for e in std::fs::read_dir(root().join("data/letters")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, letters.join(p.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(root().join("data/letters/004_4fa3c31427c968ed.txt"))
        .unwrap()
        .replace('\r', "");
    let hostile = text
        .replacen(
            "The requested ultrasound-guided trigger",
            &format!("{HOSTILE} The requested ultrasound-guided trigger"),
            1,
        )
        .replacen(
            "The patient is a 39-year-old",
            &format!("{HOSTILE} The patient is a 39-year-old"),
            1,
        )
        .replacen(
            "Ultrasound guided trigger point injections",
            &format!("Ultrasound guided trigger point injections {HOSTILE}"),
            1,
        );
    assert_ne!(hostile, text, "the sample letter changed: update serve_db");
    if hostile_letter {
        write(&letters, "hostile.txt", hostile.as_bytes());
    }
    let db = dir.join("serve.db");
    let out = imr(&[
        "index",
        letters.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--model",
        "default",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    db
}

/// A PNG file's width, height and pixels as RGB (8 bits a channel), or what was wrong with it.
pub fn read_png(bytes: &[u8]) -> Result<(u32, u32, Vec<[u8; 3]>), String> {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|p| match channels {
            1 | 2 => [p[0]; 3],
            _ => [p[0], p[1], p[2]],
        })
        .collect();
    Ok((info.width, info.height, pixels))
}

/// A dep-info line's paths, with an escaped space kept inside its path.
#[test]
fn dep_info_paths_split_at_unescaped_spaces() {
    let paths = dep_info_paths("/t/imr: /a/src/main.rs /b\\ c/x.rs\n\n/a/src/main.rs:\n");
    assert_eq!(
        paths,
        [PathBuf::from("/a/src/main.rs"), PathBuf::from("/b c/x.rs")]
    );
}

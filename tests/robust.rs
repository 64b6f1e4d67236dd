//! Nothing lost at the edges: hostile PDFs isolated in workers, odd paths reported and skipped.

use super::hostile;
use super::util::*;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// `imr` with a deadline: a hang is a failure of the test, not of the suite's patience. The output is read
/// while it runs (a full pipe would stall it).
fn imr_within(args: &[&str], limit: Duration) -> Output {
    let child = Command::new(crate::util::bin())
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run imr");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(limit) {
        Ok(o) => o.expect("imr output"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("imr {args:?} still running after {limit:?}");
        }
    }
}

fn no_panic(o: &Output) {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        !matches!(o.status.code(), Some(101) | Some(134) | None),
        "{:?}: {err}",
        o.status
    );
}

/// The file named on exactly one stderr line, which says `cause`.
fn named_once(err: &str, file: &str, cause: &str) {
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(&format!("/{file}:")))
        .collect();
    assert_eq!(lines.len(), 1, "{file}: {lines:?}\n{err}");
    assert!(lines[0].contains(cause), "{file}: {}", lines[0]);
}

/// One batch of the reader killers, damaged copies of a real letter and good letters (the corpus
/// PDFs where `../shared` is there, a sample text letter always): every good letter out, every bad
/// file named on one line with its cause, no panic. (`scripts/hostile-batch` runs the same with the
/// default limits and measures it.)
#[test]
fn hostile_pdfs_cost_their_file_alone() {
    let d = tempdir("hostile");
    let pdfs =
        corpus("hostile_pdfs_cost_their_file_alone (its corpus part)").map(|c| c.join("dwc/pdf"));
    let sample = root().join("data/letters/002_4bd1cf93be37d15a.txt");
    std::fs::copy(&sample, d.join("good.txt")).unwrap();
    // The damaged copies are of a corpus PDF, or of the sample letter made a PDF.
    let good = match &pdfs {
        Some(pdfs) => {
            let first = std::fs::read_dir(pdfs)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
                .min()
                .unwrap();
            std::fs::read(first).unwrap()
        }
        None => hostile::text_pdf(
            &std::fs::read_to_string(&sample)
                .unwrap()
                .lines()
                .collect::<Vec<_>>(),
        ),
    };
    let damaged = hostile::write_suite(&d, &good, 12, 12);
    let mut args = vec!["parse", "--json", "--pdf-timeout", "1", d.to_str().unwrap()];
    args.extend(pdfs.iter().map(|p| p.to_str().unwrap()));
    let o = imr_within(&args, Duration::from_secs(180));
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    // A page tree that loops is read at once (its text is no letter), not on the clock.
    named_once(&err, "self-parent.pdf", "no IMR letter structure");
    named_once(&err, "parent-loop.pdf", "no IMR letter structure");
    named_once(&err, "form-fan-40.pdf", "timed out after 1 s");
    named_once(
        &err,
        "self-drawing-xobject.pdf",
        "the PDF reader crashed: stack overflow",
    );
    // Bombs end on the memory cap, or on the clock when the machine is busy.
    for bomb in ["inflate-bomb-4g.pdf", "text-ops-200m.pdf"] {
        named_once(&err, bomb, "");
        let line = err.lines().find(|l| l.contains(bomb)).unwrap();
        assert!(
            line.contains("used more than 1 GiB") || line.contains("timed out after 1 s"),
            "{line}"
        );
    }
    // These two end one way or another within the limits; each is named once, whatever the cause.
    named_once(&err, "text-ops-20m.pdf", "");
    named_once(&err, "deep-tree-50000.pdf", "");
    let letters = json_lines(&stdout(&o));
    let source = |l: &serde_json::Value| l["source"].as_str().unwrap().to_string();
    assert!(letters.iter().any(|l| l["case_number"] == "good"), "{err}");
    if let Some(pdfs) = &pdfs {
        let from_corpus = letters.iter().filter(|l| source(l).contains("dwc/pdf"));
        assert_eq!(
            from_corpus.count(),
            std::fs::read_dir(pdfs).unwrap().count()
        );
    }
    for f in &damaged {
        let name = f.file_name().unwrap().to_str().unwrap();
        let lines = err
            .lines()
            .filter(|l| l.contains(&format!("/{name}:")))
            .count();
        let parsed = letters.iter().any(|l| source(l) == f.to_str().unwrap());
        // A flipped byte can land in a harmless place: such a copy parses, and is not named.
        assert_eq!(lines + usize::from(parsed), 1, "{name}:\n{err}");
    }
    // A smaller memory cap is obeyed and named.
    let bomb = d.join("inflate-bomb-4g.pdf");
    let o = imr_within(
        &["parse", "--pdf-memory", "384", bomb.to_str().unwrap()],
        Duration::from_secs(60),
    );
    no_panic(&o);
    assert!(
        stderr(&o).contains("used more than 384 MiB"),
        "{}",
        stderr(&o)
    );
}

/// A PDF worker ends with the `imr` that started it: a supervisor's SIGKILL leaves no worker
/// reading a file that hangs it (its time limit was the killed process's to keep).
#[cfg(target_os = "linux")]
#[test]
fn pdf_workers_end_with_their_process() {
    let d = tempdir("orphans");
    let pdf = write(&d, "form-fan-40.pdf", &hostile::form_fan(40));
    let mut child = Command::new(crate::util::bin())
        .args(["parse", "--pdf-timeout", "120", pdf.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run imr");
    // The worker: a child of any of imr's threads.
    let children = |pid: u32| -> Vec<u32> {
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten();
        tasks
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|c| {
                c.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect::<Vec<u32>>()
            })
            .collect()
    };
    let started = std::time::Instant::now();
    let worker = loop {
        if let Some(&w) = children(child.id()).first() {
            break w;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no worker started"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Reading the file, not merely started.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    // Gone, or a zombie no one reaps (PID 1 of a container may not).
    let alive = || {
        std::fs::read_to_string(format!("/proc/{worker}/stat")).is_ok_and(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, r)| !r.starts_with('Z'))
        })
    };
    let killed = std::time::Instant::now();
    while alive() && killed.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let still = alive();
    if still {
        let _ = Command::new("kill")
            .arg("-9")
            .arg(worker.to_string())
            .status();
    }
    assert!(!still, "worker {worker} outlived its imr");
}

#[cfg(unix)]
#[test]
fn odd_paths_are_reported_and_skipped() {
    use std::os::unix::fs::symlink;
    let d = tempdir("paths");
    let letters = d.join("letters");
    std::fs::create_dir(&letters).unwrap();
    std::fs::copy(
        root().join("data/letters/002_4bd1cf93be37d15a.txt"),
        letters.join("good.txt"),
    )
    .unwrap();
    // A FIFO named like a letter: opening it would block for ever.
    let fifo = letters.join("x.pdf");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    // Links that loop: to the directory itself, twice, and to its parent.
    symlink(".", letters.join("self")).unwrap();
    symlink(".", letters.join("again")).unwrap();
    symlink("..", letters.join("up")).unwrap();
    // A letter name on a device, on a dangling target, and on a link to itself.
    symlink("/dev/zero", letters.join("zero.txt")).unwrap();
    symlink("no-such-file", letters.join("dangling.pdf")).unwrap();
    symlink("loop.txt", letters.join("loop.txt")).unwrap();
    // Not letters by name: never opened, never reported.
    symlink("/dev/zero", letters.join("zero.bin")).unwrap();
    write(&d, "big.txt", &vec![b'a'; 2_000_001]);

    let o = imr_within(
        &[
            "parse",
            "--json",
            "--max-file-size",
            "2",
            d.to_str().unwrap(),
        ],
        Duration::from_secs(30),
    );
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    if made {
        named_once(&err, "x.pdf", "a FIFO, not a letter file");
    }
    named_once(&err, "zero.txt", "a device, not a letter file");
    named_once(&err, "dangling.pdf", "cannot read");
    named_once(&err, "loop.txt", "cannot read");
    named_once(
        &err,
        "big.txt",
        "big.txt: over the 2 MB limit of a letter file",
    );
    assert!(!err.contains("zero.bin"), "{err}");
    // The good letter once, however many links lead to it.
    let out = json_lines(&stdout(&o));
    assert_eq!(out.len(), 1, "{err}");
    assert!(err.contains("not read again"), "{err}");
    // A file given by name gets the same checks.
    let o = imr_within(
        &["parse", letters.join("zero.txt").to_str().unwrap()],
        Duration::from_secs(30),
    );
    assert!(stderr(&o).contains("a device"), "{}", stderr(&o));
    // So do the other inputs read as streams, which a device would feed without end; a summary
    // on stdin stops at the letter files' size limit.
    let zero = letters.join("zero.txt");
    let zero = zero.to_str().unwrap();
    for (args, said) in [
        (
            vec!["predict", "--items", zero],
            "a device, not a file of JSON lines",
        ),
        (
            vec!["forecast", "--items", zero],
            "a device, not a file of JSON lines",
        ),
        (
            vec!["forecast", "--title", "MRI", "--summary", zero],
            "a device, not a text file",
        ),
        (
            vec![
                "train",
                "--data",
                "data/letters",
                "--gold",
                zero,
                "--out",
                "m.json",
            ],
            "a device, not a file of JSON lines",
        ),
    ] {
        let o = imr_within(&args, Duration::from_secs(30));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(said), "{args:?}: {}", stderr(&o));
    }
    let big = std::fs::File::open(d.join("big.txt")).unwrap();
    let o = Command::new(crate::util::bin())
        .args([
            "--max-file-size",
            "1",
            "forecast",
            "--title",
            "MRI",
            "--summary",
            "-",
        ])
        .stdin(big)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("stdin: over the 1 MB limit"),
        "{}",
        stderr(&o)
    );
    // A device on stdin is refused too, not read for ever.
    for args in [&["forecast", "--items", "-"][..], &["predict"]] {
        let o = Command::new(crate::util::bin())
            .args(args)
            .stdin(std::fs::File::open("/dev/zero").unwrap())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("stdin: a device"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// An unreadable directory is reported and the rest read. Root reads every directory, so the check needs
/// an ordinary user.
#[cfg(unix)]
#[test]
fn unreadable_directory_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let d = tempdir("unreadable");
    std::fs::copy(
        root().join("data/letters/002_4bd1cf93be37d15a.txt"),
        d.join("good.txt"),
    )
    .unwrap();
    let locked = d.join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read_dir(&locked).is_ok() {
        eprintln!(
            "SKIP unreadable_directory_is_reported: running as root, every directory is readable"
        );
        return;
    }
    let o = imr(&["parse", "--json", d.to_str().unwrap()]);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(o.status.code(), Some(1));
    named_once(&stderr(&o), "locked", "cannot read");
    assert_eq!(json_lines(&stdout(&o)).len(), 1);
}

#[test]
fn walk_skips_what_it_cannot_use() {
    let d = tempdir("walk-lib");
    write(&d, "a.txt", b"x");
    write(&d, "notes.md", b"x");
    let found = imr::parse::discover_all(&[d.to_path_buf()]).unwrap();
    assert_eq!(found.files, vec![d.join("a.txt")]);
    assert!(found.problems.is_empty());
}

#[test]
fn a_letter_on_stdin_takes_the_same_route_as_a_file() {
    let text = std::fs::read(root().join("data/letters/003_ef80428068f9a7a4.txt")).unwrap();
    let o = imr_stdin(&["parse", "--json", "-"], &text);
    assert!(o.status.success(), "{}", stderr(&o));
    let l = &json_lines(&stdout(&o))[0];
    assert_eq!(
        (l["source"].as_str(), l["items"].as_array().map(Vec::len)),
        (Some("stdin"), Some(5))
    );
    // Named twice, stdin is still one letter, and a note says so.
    let o = imr_stdin(&["parse", "--json", "-", "-"], &text);
    assert_eq!(json_lines(&stdout(&o)).len(), 1);
    assert!(stderr(&o).contains("given 2 times"), "{}", stderr(&o));
    // A hostile PDF on stdin goes to a worker like a file's: named, not a crash of imr.
    let o = imr_stdin(&["parse", "-"], &hostile::self_drawing_xobject());
    no_panic(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("stdin: the PDF reader crashed: stack overflow"),
        "{}",
        stderr(&o)
    );
}

/// An output path that names an input (the database, a letter of a folder read) is refused
/// before the run, and the input is left as it was.
#[test]
fn outputs_never_replace_inputs() {
    let dir = tempdir("output-over-input");
    let letters = dir.join("letters");
    std::fs::create_dir_all(&letters).unwrap();
    for f in ["000_8fd8bbed53d6ca0b.txt", "003_ef80428068f9a7a4.txt"] {
        std::fs::copy(root().join("data/letters").join(f), letters.join(f)).unwrap();
    }
    let (db, letter) = (dir.join("t.db"), letters.join("003_ef80428068f9a7a4.txt"));
    let (db_s, letters_s) = (db.to_str().unwrap(), letters.to_str().unwrap());
    let letter_s = letter.to_str().unwrap();
    let o = imr(&["index", letters_s, "--db", db_s]);
    assert!(o.status.success(), "{}", stderr(&o));
    let db_before = std::fs::read(&db).unwrap();
    let letter_before = std::fs::read(&letter).unwrap();
    let refused = [
        ["train", "--db", db_s, "--cv-folds", "0", "--out", db_s],
        [
            "train",
            "--data",
            letters_s,
            "--cv-folds",
            "0",
            "--out",
            letter_s,
        ],
        [
            "evaluate", "--data", letters_s, "--folds", "2", "--oof", letter_s,
        ],
    ];
    for args in refused {
        let o = imr(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("an input of this run"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read(&db).unwrap(), db_before);
    assert_eq!(std::fs::read(&letter).unwrap(), letter_before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A model or params path that is a device, a folder or a huge file is refused before it is read:
/// /dev/zero was read into memory without end.
#[test]
fn model_and_params_paths_that_are_no_files_are_refused() {
    let cases = [
        (
            vec!["predict", "--model", "/dev/zero", "--text", "MRI"],
            "not a model file",
        ),
        (
            vec!["inspect", "--model", "/tmp"],
            "a directory, not a model file",
        ),
        (
            vec![
                "train",
                "--data",
                "data/letters",
                "--params",
                "/dev/zero",
                "--out",
                "/dev/null",
            ],
            "not a params file",
        ),
    ];
    for (args, says) in cases {
        let o = imr_within(&args, Duration::from_secs(20));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    // A sparse file of zeros is said at its first byte, not read whole.
    let dir = tempdir("sparse-model");
    let zeros = dir.join("zeros.json");
    std::fs::File::create(&zeros)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let args = [
        "predict",
        "--model",
        zeros.to_str().unwrap(),
        "--text",
        "MRI",
    ];
    let o = imr_within(&args, Duration::from_secs(20));
    assert!(
        o.status.code() == Some(2) && stderr(&o).contains("not a JSON object"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A line break in a file's name stays inside its one message (escaped), so that no name can
/// break a report in two or forge a line of its own; the table keeps it in its row.
#[test]
fn control_characters_in_names_stay_in_their_line() {
    let dir = tempdir("names-with-breaks");
    std::fs::write(dir.join("evil\nimr: note: all good.txt"), "junk").unwrap();
    let letter = std::fs::read(root().join("data/letters/000_8fd8bbed53d6ca0b.txt")).unwrap();
    std::fs::write(dir.join("ok\nname.txt"), letter).unwrap();
    let o = imr(&["parse", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("evil\\nimr: note: all good.txt: no IMR letter"),
        "{err}"
    );
    assert!(stdout(&o).contains("ok\\nname"), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().count(), 3, "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A model trained with other treatment rules is used, and said to read kinds otherwise.
#[test]
fn a_model_of_other_treatment_rules_is_noted() {
    let dir = tempdir("old-rules");
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root().join("models/masked.json")).unwrap()).unwrap();
    m["metadata"]["treatment_rules"] = "imr-treatment/1".into();
    let path = dir.join("old.json");
    std::fs::write(&path, serde_json::to_vec(&m).unwrap()).unwrap();
    let o = imr(&[
        "predict",
        "--model",
        path.to_str().unwrap(),
        "--text",
        "Not supported.",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("trained with treatment rules imr-treatment/1"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// No item to score (an empty requests file, an empty stdin) is an empty answer: exit 0, a note
/// on stderr, and a CSV that still has its header for the program that reads it.
#[test]
fn no_items_give_an_empty_answer_with_its_header() {
    let dir = tempdir("no-items");
    let empty = write(&dir, "empty.jsonl", b"");
    for cmd in ["predict", "forecast", "similar"] {
        let o = imr(&[cmd, "--csv", "--items", empty.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", stderr(&o));
        let rows = csv_records(&stdout(&o));
        assert_eq!(rows.len(), 1, "{cmd}: the header alone");
        assert_eq!(rows[0][..2], ["case_number", "item"], "{cmd}");
        assert!(stderr(&o).contains("no item to score"), "{cmd}");
        let o = imr_stdin(&[cmd, "--json", "--items", "-"], b"");
        assert_eq!(o.status.code(), Some(0), "{cmd}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{cmd}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `RAYON_NUM_THREADS` is checked as `--threads` is, and a pool the system will not start is said
/// in words, not a panic.
#[cfg(unix)]
#[test]
fn worker_threads_are_checked_and_started_first() {
    let run = |env: &str, limit: Option<&str>| {
        let script = match limit {
            Some(kb) => format!("ulimit -v {kb}; exec \"$0\" parse data/letters"),
            None => "exec \"$0\" parse data/letters".into(),
        };
        Command::new("sh")
            .args(["-c", &script, crate::util::bin().to_str().unwrap()])
            .env("RAYON_NUM_THREADS", env)
            .current_dir(root())
            .output()
            .unwrap()
    };
    let o = run("5000", None);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("RAYON_NUM_THREADS=5000: must be a whole number from 1 to 1024"),
        "{}",
        stderr(&o)
    );
    assert!(run("1", None).status.success());
    // Each thread's stack reserved in an address space too small for them all.
    let o = run("1000", Some("1000000"));
    no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot start them"), "{}", stderr(&o));
}

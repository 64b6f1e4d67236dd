//! Writes the seed corpora of `scripts/fuzz` into a directory, one folder per fuzz target: `cargo
//! run --release --example fuzz_seeds -- DIR`. Text: the sample letters. PDF: each sample letter
//! as a small text PDF, damaged copies of one, and a hostile PDF that kills the worker fast (the
//! hangs and bombs of the suite would cost the fuzzer a worker timeout per mutation). The model
//! seeds are trained by `scripts/fuzz` itself with `imr train`.

#[path = "../tests/hostile.rs"]
mod hostile;

use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()));
}

fn main() -> std::process::ExitCode {
    let Some(out) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: fuzz_seeds DIR");
        return std::process::ExitCode::from(2);
    };
    let letters = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/letters");
    let (text_dir, pdf_dir) = (out.join("parse_text"), out.join("pdf"));
    for d in [&text_dir, &pdf_dir] {
        std::fs::create_dir_all(d).expect("create a seed directory");
    }
    let mut names: Vec<_> = std::fs::read_dir(&letters)
        .expect("data/letters")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    let mut first_pdf = None;
    for p in &names {
        let text = std::fs::read_to_string(p).expect("a sample letter");
        let stem = p.file_stem().expect("a file name").to_string_lossy();
        write(&text_dir, &format!("{stem}.txt"), text.as_bytes());
        let pdf = hostile::text_pdf(&text.lines().collect::<Vec<_>>());
        write(&pdf_dir, &format!("{stem}.pdf"), &pdf);
        first_pdf.get_or_insert(pdf);
    }
    let good = first_pdf.expect("data/letters holds sample letters");
    let damaged = hostile::byte_flips(&good, 4, 20, 42)
        .into_iter()
        .chain(hostile::truncations(&good, 4));
    for (i, b) in damaged.enumerate() {
        write(&pdf_dir, &format!("damaged-{i}.pdf"), &b);
    }
    // The self-drawing XObject overflows the worker's stack at once; the parent loops hang until
    // the worker's timeout, and so would most of their mutations, so they are left out.
    write(
        &pdf_dir,
        "self-drawing-xobject.pdf",
        &hostile::self_drawing_xobject(),
    );
    println!("{}", out.display());
    std::process::ExitCode::SUCCESS
}

//! Writes the hostile PDF suite of the tests into a directory, for `scripts/hostile-batch`:
//! `cargo run --release --example make_hostile -- DIR [GOOD.pdf]`.

#[path = "../tests/hostile.rs"]
mod hostile;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(dir) = args.next().map(std::path::PathBuf::from) else {
        eprintln!("usage: make_hostile DIR [GOOD.pdf]");
        return std::process::ExitCode::from(2);
    };
    let good = match args.next() {
        Some(p) => std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.to_string_lossy())),
        None => hostile::self_parent(),
    };
    std::fs::create_dir_all(&dir).expect("create the directory");
    for p in hostile::write_suite(&dir, &good, 12, 12) {
        println!("{}", p.display());
    }
    std::process::ExitCode::SUCCESS
}

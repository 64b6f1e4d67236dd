fn main() {
    for p in std::env::args().skip(1) {
        let bytes = std::fs::read(&p).unwrap();
        match pdf_extract::extract_text_from_mem(&bytes) {
            Ok(t) => { let out = format!("/tmp/pdftxt/{}.txt", std::path::Path::new(&p).file_stem().unwrap().to_string_lossy()); std::fs::write(out, t).unwrap(); }
            Err(e) => eprintln!("{p}: {e}"),
        }
    }
}

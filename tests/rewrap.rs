//! Text as an editor or a mail client re-wraps it, for the tests of hard-wrapped letters (the
//! parser's own tests include this file too).

/// `paragraphs`, each on lines of at most `width` characters (words whole) and a blank line after
/// it: a heading or a label may then fall across two lines.
pub fn rewrapped<'a>(paragraphs: impl IntoIterator<Item = &'a str>, width: usize) -> String {
    let mut out = String::new();
    for para in paragraphs {
        let mut line = 0;
        for w in para.split_whitespace() {
            if line > 0 && line + 1 + w.chars().count() > width {
                out.push('\n');
                line = 0;
            } else if line > 0 {
                out.push(' ');
                line += 1;
            }
            out.push_str(w);
            line += w.chars().count();
        }
        out.push_str("\n\n");
    }
    out
}

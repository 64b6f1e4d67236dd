//! The bytes of a text letter into a `String`: UTF-8 with or without a byte order mark, UTF-16 (LE
//! or BE) with one; CRLF and lone CR line ends become LF.

use crate::error::{Error, Result};
use std::path::Path;

/// Decodes a text file's bytes. Without a UTF-16 byte order mark a NUL byte means binary data.
pub(crate) fn text(bytes: &[u8], path: &Path) -> Result<String> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        utf16(rest, u16::from_be_bytes)
    } else {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            return Err(Error::Binary {
                path: path.into(),
                offset,
            });
        }
        std::str::from_utf8(bytes)
            .map_err(|e| Error::NotUtf8 {
                path: path.into(),
                offset: e.valid_up_to(),
            })?
            .to_string()
    };
    if text.trim().is_empty() {
        return Err(Error::Empty { path: path.into() });
    }
    Ok(match text.contains('\r') {
        true => line_ends(&text),
        false => text,
    })
}

/// UTF-16 code units to text; a lone surrogate or an odd last byte becomes U+FFFD rather than
/// failing the whole letter.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks(2).map(|c| {
        if let [a, b] = c {
            unit([*a, *b])
        } else {
            0xfffd
        }
    });
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

fn line_ends(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LETTER: &str = "Case Number: CM16-0213037\r\nMRI: Upheld\rDecision rationale: x.\n";
    const WANT: &str = "Case Number: CM16-0213037\nMRI: Upheld\nDecision rationale: x.\n";

    fn decode(bytes: &[u8]) -> Result<String> {
        text(bytes, Path::new("x.txt"))
    }

    #[test]
    fn utf16_le_with_bom() {
        let mut b = vec![0xff, 0xfe];
        b.extend(LETTER.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&b).unwrap(), WANT);
    }

    #[test]
    fn utf16_be_with_bom() {
        let mut b = vec![0xfe, 0xff];
        b.extend(
            "Résumé — "
                .encode_utf16()
                .chain(LETTER.encode_utf16())
                .flat_map(u16::to_be_bytes),
        );
        assert_eq!(decode(&b).unwrap(), format!("Résumé — {WANT}"));
    }

    #[test]
    fn utf8_with_bom() {
        let b = [b"\xef\xbb\xbf".as_slice(), LETTER.as_bytes()].concat();
        assert_eq!(decode(&b).unwrap(), WANT);
    }

    #[test]
    fn crlf_and_lone_cr_are_line_ends() {
        assert_eq!(decode(b"a\r\nb\rc\n").unwrap(), "a\nb\nc\n");
    }

    #[test]
    fn nul_without_bom_is_binary_and_bad_utf16_is_replaced() {
        assert!(matches!(
            decode(b"abc\0def"),
            Err(Error::Binary { offset: 3, .. })
        ));
        assert_eq!(
            decode(&[0xff, 0xfe, b'a', 0, 0x00, 0xd8, b'b']).unwrap(),
            "a\u{fffd}\u{fffd}"
        );
        assert!(matches!(
            decode(&[0xff, 0xfe, b' ', 0]),
            Err(Error::Empty { .. })
        ));
    }
}

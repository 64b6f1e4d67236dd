//! The bytes of a text letter into a `String`: UTF-8 with or without a byte order mark, UTF-16 or
//! UTF-32 (LE or BE) with one (UTF-16 also without, where it reads as a letter), and Windows-1252
//! (Latin-1, as `pdftotext -enc Latin1` and editors'
//! "ANSI" write it) where the text is no UTF-8 but reads as a letter in it; CRLF and lone CR line
//! ends become LF.

use super::text::HEADINGS;
use crate::error::{Error, Result};
use std::path::Path;

/// Decodes a text file's bytes. Without a UTF-16 byte order mark a NUL byte means binary data.
pub(crate) fn text(bytes: &[u8], path: &Path) -> Result<String> {
    let text = if let Some(rest) = bytes.strip_prefix(b"\xff\xfe\0\0") {
        utf32(rest, u32::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\0\0\xfe\xff") {
        utf32(rest, u32::from_be_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        utf16(rest, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        utf16(rest, u16::from_be_bytes)
    } else {
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        if let Some(offset) = bytes.iter().position(|&b| b == 0) {
            // UTF-16 without a byte order mark (what `iconv -t UTF-16LE` writes): NULs as every
            // other byte, and a letter once read so.
            return utf16_unmarked(bytes).ok_or(Error::Binary {
                path: path.into(),
                offset,
            });
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(e) => windows_1252(bytes)
                .filter(|t| HEADINGS.iter().any(|h| t.contains(h)))
                .ok_or(Error::NotUtf8 {
                    path: path.into(),
                    offset: e.valid_up_to(),
                })?,
        }
    };
    if text.trim().is_empty() {
        return Err(Error::Empty { path: path.into() });
    }
    Ok(match text.contains('\r') {
        true => line_ends(&text),
        false => text,
    })
}

/// A text in UTF-16 without a byte order mark: little-endian where its first bytes have a NUL at
/// each odd offset and none at an even one (ASCII text so encoded), big-endian the other way
/// round; read so, it must hold a letter's heading.
fn utf16_unmarked(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(512) & !1];
    let nul_at = |parity: usize| {
        head.iter()
            .enumerate()
            .filter(|&(i, &b)| i % 2 == parity && b == 0)
            .count()
    };
    let (even, odd, pairs) = (nul_at(0), nul_at(1), head.len() / 2);
    let unit: fn([u8; 2]) -> u16 = match (even, odd) {
        (0, n) if pairs > 0 && n * 10 >= pairs * 9 => u16::from_le_bytes,
        (n, 0) if pairs > 0 && n * 10 >= pairs * 9 => u16::from_be_bytes,
        _ => return None,
    };
    Some(utf16(bytes, unit)).filter(|t| HEADINGS.iter().any(|h| t.contains(h)))
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

/// UTF-32 code units to text; a unit that is no character, or a short last one, becomes U+FFFD.
fn utf32(bytes: &[u8], unit: fn([u8; 4]) -> u32) -> String {
    bytes
        .chunks(4)
        .map(|c| match c {
            [a, b, c, d] => char::from_u32(unit([*a, *b, *c, *d])),
            _ => None,
        })
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Windows-1252's characters for bytes 0x80 to 0x9F (the rest are Latin-1's, the byte's own code
/// point); its five unassigned bytes are U+FFFD.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{fffd}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{fffd}', 'Ž',
    '\u{fffd}', '\u{fffd}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{fffd}',
    'ž', 'Ÿ',
];

/// Bytes read as Windows-1252; None for control bytes no text holds (binary data).
fn windows_1252(bytes: &[u8]) -> Option<String> {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => Some(CP1252_HIGH[usize::from(b - 0x80)]),
            0x00..=0x08 | 0x0e..=0x1b | 0x7f => None,
            _ => Some(char::from(b)),
        })
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

    /// Latin-1 and Windows-1252 letters read as their characters; bytes that are no UTF-8 and no
    /// letter stay refused as not UTF-8; UTF-32 with its mark is read.
    #[test]
    fn windows_1252_letters_and_utf32() {
        let letter = "IMR ISSUES, DECISIONS AND RATIONALES\nRésumé “quoted” — x\n";
        let bytes: Vec<u8> = letter
            .chars()
            .map(|c| match c {
                '“' => 0x93,
                '”' => 0x94,
                '—' => 0x97,
                c => u8::try_from(u32::from(c)).unwrap(),
            })
            .collect();
        assert_eq!(decode(&bytes).unwrap(), letter);
        assert!(matches!(
            decode(b"no letter \xe9 here"),
            Err(Error::NotUtf8 { offset: 10, .. })
        ));
        let mut b = vec![0xff, 0xfe, 0, 0];
        b.extend(LETTER.chars().flat_map(|c| u32::from(c).to_le_bytes()));
        assert_eq!(decode(&b).unwrap(), WANT);
    }

    #[test]
    fn crlf_and_lone_cr_are_line_ends() {
        assert_eq!(decode(b"a\r\nb\rc\n").unwrap(), "a\nb\nc\n");
    }

    /// UTF-16 without a byte order mark, either order, is read where it holds a letter.
    #[test]
    fn utf16_without_bom_is_read_as_a_letter() {
        let letter = "CLINICAL CASE SUMMARY\nThe patient, 45, has knee pain.\n";
        let le: Vec<u8> = letter.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = letter.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decode(&le).unwrap(), letter);
        assert_eq!(decode(&be).unwrap(), letter);
        // Not a letter so read: still binary data.
        let other: Vec<u8> = "just some words"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(matches!(
            decode(&other),
            Err(Error::Binary { offset: 1, .. })
        ));
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

//! The built-in models' packed form read into their types: MessagePack, as build.rs writes it from
//! each model's JSON with `rmp-serde`. The reader is our own because a serde format is compiled
//! once for every type it reads: `rmp-serde`'s reader inlines its whole decoding into each of a
//! model's hundred-odd types, and was a tenth of the library's machine code. Here one plain
//! function decodes the next value's header; each type's copy only hands it to the visitor.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// What stopped a packed value from being read (the built-in models then fall back to their
/// JSON, whose reader says what is wrong).
#[derive(Debug, PartialEq)]
pub(crate) struct PackedError(String);

impl fmt::Display for PackedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PackedError {}

impl de::Error for PackedError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PackedError(msg.to_string())
    }
}

type Result<T> = std::result::Result<T, PackedError>;

/// `bytes`, one whole MessagePack value, as a `T`.
pub(crate) fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    let mut reader = Reader {
        bytes,
        at: 0,
        depth: 0,
    };
    let value = T::deserialize(&mut reader)?;
    match reader.at == bytes.len() {
        true => Ok(value),
        false => Err(PackedError(format!(
            "bytes after the value at {}",
            reader.at
        ))),
    }
}

/// The head of the next value: a scalar whole, or how many elements (or pairs) follow.
enum Head<'de> {
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    F32(f32),
    F64(f64),
    Str(&'de str),
    Array(usize),
    Map(usize),
}

struct Reader<'de> {
    bytes: &'de [u8],
    at: usize,
    /// Arrays and maps open around the value being read: bounded, so that no bytes can nest
    /// deep enough to overflow the stack.
    depth: usize,
}

/// The deepest nesting read (a model nests a few levels).
const MAX_DEPTH: usize = 128;

impl<'de> Reader<'de> {
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'de [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| PackedError(format!("the value at {} ends early", self.at)))?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("took N bytes"))
    }

    /// A length of `N` big-endian bytes.
    fn len<const N: usize>(&mut self) -> Result<usize> {
        let b = self.array::<N>()?;
        let n = b.iter().fold(0u64, |n, &byte| n << 8 | u64::from(byte));
        usize::try_from(n).map_err(|_| PackedError(format!("a length of {n} at {}", self.at)))
    }

    fn str(&mut self, n: usize) -> Result<Head<'de>> {
        let at = self.at;
        let bytes = self.take(n)?;
        let s = std::str::from_utf8(bytes)
            .map_err(|_| PackedError(format!("a string that is not UTF-8 at {at}")))?;
        Ok(Head::Str(s))
    }

    /// The next value's head (MessagePack's formats, less those build.rs never writes: binary
    /// strings and extension types).
    fn head(&mut self) -> Result<Head<'de>> {
        let at = self.at;
        let marker = self.take(1)?[0];
        Ok(match marker {
            0x00..=0x7f => Head::Uint(u64::from(marker)),
            0x80..=0x8f => Head::Map(usize::from(marker & 0x0f)),
            0x90..=0x9f => Head::Array(usize::from(marker & 0x0f)),
            0xa0..=0xbf => return self.str(usize::from(marker & 0x1f)),
            0xc0 => Head::Nil,
            0xc2 => Head::Bool(false),
            0xc3 => Head::Bool(true),
            0xca => Head::F32(f32::from_be_bytes(self.array()?)),
            0xcb => Head::F64(f64::from_be_bytes(self.array()?)),
            0xcc => Head::Uint(u64::from(self.array::<1>()?[0])),
            0xcd => Head::Uint(u64::from(u16::from_be_bytes(self.array()?))),
            0xce => Head::Uint(u64::from(u32::from_be_bytes(self.array()?))),
            0xcf => Head::Uint(u64::from_be_bytes(self.array()?)),
            0xd0 => Head::Int(i64::from(i8::from_be_bytes(self.array()?))),
            0xd1 => Head::Int(i64::from(i16::from_be_bytes(self.array()?))),
            0xd2 => Head::Int(i64::from(i32::from_be_bytes(self.array()?))),
            0xd3 => Head::Int(i64::from_be_bytes(self.array()?)),
            0xd9 => {
                let n = self.len::<1>()?;
                return self.str(n);
            }
            0xda => {
                let n = self.len::<2>()?;
                return self.str(n);
            }
            0xdb => {
                let n = self.len::<4>()?;
                return self.str(n);
            }
            0xdc => Head::Array(self.len::<2>()?),
            0xdd => Head::Array(self.len::<4>()?),
            0xde => Head::Map(self.len::<2>()?),
            0xdf => Head::Map(self.len::<4>()?),
            0xe0..=0xff => Head::Int(i64::from(marker as i8)),
            _ => {
                return Err(PackedError(format!(
                    "marker {marker:#04x} at {at} is not read"
                )))
            }
        })
    }
}

/// The elements of an array (`pairs` false) or the keys and values of a map, as many as its head
/// said: a visitor that leaves some unread is an error, as one that reads past them.
struct Elements<'a, 'de> {
    reader: &'a mut Reader<'de>,
    left: usize,
}

impl<'a, 'de> Elements<'a, 'de> {
    fn visit<V: Visitor<'de>>(
        reader: &'a mut Reader<'de>,
        n: usize,
        map: bool,
        v: V,
    ) -> Result<V::Value> {
        if reader.depth == MAX_DEPTH {
            return Err(PackedError(format!(
                "nested more than {MAX_DEPTH} deep at {}",
                reader.at
            )));
        }
        reader.depth += 1;
        let mut elements = Elements { reader, left: n };
        let value = match map {
            true => v.visit_map(&mut elements),
            false => v.visit_seq(&mut elements),
        };
        elements.reader.depth -= 1;
        match (value, elements.left) {
            (Ok(value), 0) => Ok(value),
            (Ok(_), left) => Err(PackedError(format!("{left} of its elements left unread"))),
            (Err(e), _) => Err(e),
        }
    }

    fn next<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.reader).map(Some)
    }
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = PackedError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        self.next(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> de::MapAccess<'de> for Elements<'_, 'de> {
    type Error = PackedError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        self.next(seed)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.reader)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// An enum variant written as a map of one key (its name) to its content, as serde_json writes
/// one that holds data.
struct Variant<'a, 'de>(&'a mut Reader<'de>);

impl<'de> de::EnumAccess<'de> for Variant<'_, 'de> {
    type Error = PackedError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let name = seed.deserialize(&mut *self.0)?;
        Ok((name, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'_, 'de> {
    type Error = PackedError;

    fn unit_variant(self) -> Result<()> {
        de::Deserialize::deserialize(self.0)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(self.0)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self.0, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_any(self.0, visitor)
    }
}

impl<'de> de::Deserializer<'de> for &mut Reader<'de> {
    type Error = PackedError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.head()? {
            Head::Nil => visitor.visit_unit(),
            Head::Bool(b) => visitor.visit_bool(b),
            Head::Int(i) => visitor.visit_i64(i),
            Head::Uint(u) => visitor.visit_u64(u),
            Head::F32(x) => visitor.visit_f32(x),
            Head::F64(x) => visitor.visit_f64(x),
            Head::Str(s) => visitor.visit_borrowed_str(s),
            Head::Array(n) => Elements::visit(self, n, false, visitor),
            Head::Map(n) => Elements::visit(self, n, true, visitor),
        }
    }

    /// Most of a model's values are weights: read straight when the next one is a float64.
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.bytes.get(self.at..self.at + 9) {
            Some([0xcb, rest @ ..]) => {
                self.at += 9;
                visitor.visit_f64(f64::from_be_bytes(rest.try_into().expect("8 bytes")))
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.bytes.get(self.at) {
            Some(0xc0) => {
                self.at += 1;
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let at = self.at;
        match self.head()? {
            Head::Str(s) => visitor.visit_enum(s.into_deserializer()),
            Head::Map(1) => visitor.visit_enum(Variant(self)),
            _ => Err(PackedError(format!("no enum variant at {at}"))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, PartialEq, Deserialize)]
    enum Kind {
        Plain,
        Scaled(f64),
        Range { low: i32, high: i32 },
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        weights: Vec<f64>,
        counts: BTreeMap<String, u32>,
        note: Option<String>,
        kinds: Vec<Kind>,
        pair: (i64, bool),
    }

    /// Every format build.rs writes, from bytes laid out by the MessagePack specification:
    /// fixmap, fixstr, fixarray, float64, positive and negative fixint, int8, uint16, nil, an
    /// enum as a string and as a map of one key, true.
    #[test]
    fn reads_a_value_laid_out_by_the_specification() {
        let mut b = vec![0x86, 0xa4];
        b.extend(b"name");
        b.extend([0xa3]);
        b.extend(b"MRI");
        b.extend([0xa7]);
        b.extend(b"weights");
        b.extend([0x92, 0xcb]);
        b.extend(0.25f64.to_be_bytes());
        b.extend([0x03, 0xa6]);
        b.extend(b"counts");
        b.extend([0x81, 0xa1, b'a', 0xcd, 0x01, 0x00, 0xa4]);
        b.extend(b"note");
        b.extend([0xc0, 0xa5]);
        b.extend(b"kinds");
        b.extend([0x93, 0xa5]);
        b.extend(b"Plain");
        b.extend([0x81, 0xa6]);
        b.extend(b"Scaled");
        b.extend([0xff, 0x81, 0xa5]);
        b.extend(b"Range");
        b.extend([0x82, 0xa3]);
        b.extend(b"low");
        b.extend([0xd0, 0x80, 0xa4]);
        b.extend(b"high");
        b.extend([0x05, 0xa4]);
        b.extend(b"pair");
        b.extend([0x92, 0xd3]);
        b.extend((-1i64 << 40).to_be_bytes());
        b.push(0xc3);
        let s: Sample = from_slice(&b).unwrap();
        assert_eq!(
            s,
            Sample {
                name: "MRI".into(),
                weights: vec![0.25, 3.0],
                counts: BTreeMap::from([("a".to_string(), 256)]),
                note: None,
                kinds: vec![
                    Kind::Plain,
                    Kind::Scaled(-1.0),
                    Kind::Range { low: -128, high: 5 }
                ],
                pair: (-1 << 40, true),
            }
        );
    }

    /// A value cut short, a value with bytes after it, a string that is not UTF-8, a marker not
    /// read (binary), a tuple with an element left over: errors, never a panic.
    #[test]
    fn damaged_values_are_errors() {
        let e = |b: &[u8]| from_slice::<(u8, u8)>(b).unwrap_err().to_string();
        assert_eq!(e(&[0x92, 0x01]), "the value at 2 ends early");
        assert_eq!(e(&[0x92, 0x01, 0x02, 0x03]), "bytes after the value at 3");
        assert_eq!(
            e(&[0x93, 0x01, 0x02, 0x03]),
            "1 of its elements left unread"
        );
        assert_eq!(e(&[0xc4, 0x00]), "marker 0xc4 at 0 is not read");
        assert!(from_slice::<String>(&[0xa1, 0xff]).is_err());
        assert!(from_slice::<String>(&[0xdb, 0xff, 0xff, 0xff, 0xff]).is_err());
        let mut deep = vec![0x91; 100_000];
        deep.push(0xc0);
        let e = from_slice::<serde_json::Value>(&deep)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("nested more than 128 deep"), "{e}");
    }
}

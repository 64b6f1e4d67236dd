//! A map keyed by words, for the lookups made once per token. Nearly every word is short: one of
//! up to 15 bytes is packed with its length into one integer, which hashes and compares in a few
//! instructions where a string key costs a hash over its bytes and a `memcmp`. Longer words are
//! kept as strings.

use rustc_hash::FxHashMap;

/// Words of at most this many bytes are packed ([`pack`]).
const SHORT: usize = 15;

#[derive(Debug, Clone)]
pub struct WordMap<V> {
    short: FxHashMap<u128, V>,
    long: FxHashMap<Box<str>, V>,
}

impl<V> Default for WordMap<V> {
    fn default() -> Self {
        WordMap {
            short: FxHashMap::default(),
            long: FxHashMap::default(),
        }
    }
}

/// A short word's bytes and, in the top byte, its length: distinct words, distinct keys.
#[inline]
fn pack(word: &str) -> Option<u128> {
    let b = word.as_bytes();
    if b.len() > SHORT {
        return None;
    }
    let mut key = [0u8; 16];
    key[..b.len()].copy_from_slice(b);
    key[SHORT] = b.len() as u8;
    Some(u128::from_le_bytes(key))
}

/// The word a key packs.
fn unpack(key: u128) -> String {
    let key = key.to_le_bytes();
    let len = usize::from(key[SHORT]);
    String::from_utf8(key[..len].to_vec()).expect("packed from a str")
}

impl<V> WordMap<V> {
    pub fn with_capacity(n: usize) -> Self {
        let mut m = WordMap::default();
        m.short.reserve(n);
        m
    }

    #[inline]
    pub fn get(&self, word: &str) -> Option<&V> {
        match pack(word) {
            Some(k) => self.short.get(&k),
            None => self.long.get(word),
        }
    }

    /// Sets `word`'s value, and returns the one it had.
    pub fn insert(&mut self, word: &str, value: V) -> Option<V> {
        match pack(word) {
            Some(k) => self.short.insert(k, value),
            None => self.long.insert(word.into(), value),
        }
    }

    pub fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every word and its value, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (String, &V)> {
        let short = self.short.iter().map(|(&k, v)| (unpack(k), v));
        short.chain(self.long.iter().map(|(k, v)| (k.to_string(), v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same as a map of strings, for words either side of the packed length, words that
        /// differ only by a trailing NUL, and words outside ASCII.
        #[test]
        fn a_map_of_words(words in proptest::collection::vec("[a\0é]{0,3}|[a-c]{13,17}", 0..40)) {
            let mut m = WordMap::default();
            let mut want = std::collections::HashMap::new();
            for (i, w) in words.iter().enumerate() {
                prop_assert_eq!(m.insert(w, i), want.insert(w.clone(), i));
            }
            prop_assert_eq!(m.len(), want.len());
            for w in &words {
                prop_assert_eq!(m.get(w), want.get(w));
            }
            prop_assert_eq!(m.get("zz"), None);
            let mut all: Vec<(String, usize)> = m.iter().map(|(k, &v)| (k, v)).collect();
            all.sort();
            let mut expected: Vec<(String, usize)> = want.into_iter().collect();
            expected.sort();
            prop_assert_eq!(all, expected);
        }
    }
}

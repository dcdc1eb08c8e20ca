//! Names looked up by a request's bytes: the encoder's tables of fact keys,
//! record fields, enum values and datasets, built once per policy.
//!
//! Each name is held with its length and its first and last eight bytes as
//! two words, so a key of up to 16 bytes is matched with three integer
//! comparisons and no call to `memcmp` (which, with hashing, was a tenth of
//! all encoding time). The search starts at the name after the last match:
//! a request lists the fields of an object in the same order every time, so
//! the next key is usually the next name. Tables of more than
//! [`SCAN_LIMIT`] names try that guess, then a hash map.

use rustc_hash::FxHashMap;

/// Above this many names a miss of the guess goes to the hash map.
const SCAN_LIMIT: usize = 16;

#[derive(Debug, Default)]
pub struct Names {
    entries: Vec<Name>,
    /// Name → index, for tables longer than [`SCAN_LIMIT`].
    hashed: Option<FxHashMap<Box<[u8]>, u32>>,
}

#[derive(Debug)]
struct Name {
    /// `usize::MAX` for a repeated name, which never matches: the first
    /// one keeps it, as a scan from the start would find.
    len: usize,
    head: u64,
    tail: u64,
    text: Box<str>,
}

/// The first eight bytes as a word (fewer are padded with zeros).
fn head(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(first) => u64::from_le_bytes(*first),
        None => bytes
            .iter()
            .enumerate()
            .fold(0, |word, (i, &b)| word | u64::from(b) << (8 * i)),
    }
}

/// The last eight bytes as a word (0 for names shorter than eight bytes,
/// which the head covers whole).
fn tail(bytes: &[u8]) -> u64 {
    bytes
        .last_chunk::<8>()
        .map_or(0, |last| u64::from_le_bytes(*last))
}

impl Names {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Names {
        let mut entries: Vec<Name> = Vec::new();
        let mut hashed: FxHashMap<Box<[u8]>, u32> = FxHashMap::default();
        for text in names {
            let bytes = text.as_bytes();
            let repeated = hashed.contains_key(bytes);
            if !repeated {
                hashed.insert(bytes.into(), entries.len() as u32);
            }
            entries.push(Name {
                len: if repeated { usize::MAX } else { bytes.len() },
                head: head(bytes),
                tail: tail(bytes),
                text: text.into(),
            });
        }
        let hashed = (entries.len() > SCAN_LIMIT).then_some(hashed);
        Names { entries, hashed }
    }

    /// The index of `key` (the first one given, if a name repeats), trying
    /// `hint` first: pass the index after the previous match.
    pub fn find(&self, key: &[u8], hint: usize) -> Option<usize> {
        let bytes = key;
        let (len, head, tail) = (bytes.len(), head(bytes), tail(bytes));
        let matches = |name: &Name| {
            name.len == len
                && name.head == head
                && name.tail == tail
                // Up to 16 bytes the two words cover the whole name.
                && (len <= 16 || name.text.as_bytes()[8..len - 8] == bytes[8..len - 8])
        };
        let hint = hint.min(self.entries.len());
        if let Some(hashed) = &self.hashed {
            if self.entries.get(hint).is_some_and(matches) {
                return Some(hint);
            }
            return hashed.get(key).map(|&index| index as usize);
        }
        let (before, after) = self.entries.split_at(hint);
        if let Some(found) = after.iter().position(matches) {
            return Some(hint + found);
        }
        before.iter().position(matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scan(names: &[String], key: &str) -> Option<usize> {
        names.iter().position(|n| n == key)
    }

    proptest! {
        /// Whatever the hint, the answer is the first name equal to the key
        /// (short, long, repeated, sharing heads and tails, in big tables).
        #[test]
        fn finds_what_a_plain_scan_finds(
            names in prop::collection::vec("(ab|ba|[a-c.]){0,12}", 0..40),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
            hint in 0usize..50,
            other in "(ab|ba|[a-d.]){0,12}",
        ) {
            let table = Names::new(names.iter().map(String::as_str));
            if !names.is_empty() {
                for pick in &picks {
                    let key = &names[pick.index(names.len())];
                    prop_assert_eq!(table.find(key.as_bytes(), hint), scan(&names, key));
                }
            }
            prop_assert_eq!(table.find(other.as_bytes(), hint), scan(&names, &other));
        }
    }

    #[test]
    fn long_names_differing_only_in_the_middle_are_told_apart() {
        let names = [
            "applicant.social_insurance_months",
            "applicant.social_INSURANCE_months",
        ];
        let table = Names::new(names);
        assert_eq!(table.find(names[1].as_bytes(), 0), Some(1));
        assert_eq!(table.find(names[0].as_bytes(), 1), Some(0));
        assert_eq!(table.find(b"applicant.social_insurance_monthz", 0), None);
        assert_eq!(table.find(b"", 0), None);
    }
}

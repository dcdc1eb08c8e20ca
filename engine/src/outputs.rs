//! The module's output region, read in place: what `evaluate` answered
//! (the writer reads it field by field; tests read it whole as a
//! [`RawOutcome`]). Memory that is too short (a trapped instance gives
//! none) reads as unknown.

use contract::manifest::{Manifest, ValueType};

use crate::outcome::{RawOutcome, RawScalar, RawValue, Tri};

pub(crate) fn read_i64(memory: &[u8], offset: usize) -> i64 {
    let mut bytes = [0u8; 8];
    if let Some(slice) = memory.get(offset..offset + 8) {
        bytes.copy_from_slice(slice);
    }
    i64::from_le_bytes(bytes)
}

/// The output region where `evaluate` left it, read field by field (a
/// decision is built straight from it, without a [`RawOutcome`] between).
/// Memory that is too short (a trapped instance gives none) reads as unknown.
pub(crate) struct Outputs<'a> {
    pub manifest: &'a Manifest,
    pub memory: &'a [u8],
}

impl Outputs<'_> {
    fn tri(&self, offset: u32) -> Tri {
        Tri::from_byte(self.memory.get(offset as usize).copied().unwrap_or(2))
    }

    pub(crate) fn eligibility(&self) -> Tri {
        let at = self.manifest.output.eligibility as usize;
        Tri::from_byte(u8::try_from(read_i64(self.memory, at)).unwrap_or(2))
    }

    /// The eligibility's unknown mask (0 unless it is unknown).
    pub(crate) fn mask(&self) -> u64 {
        if self.eligibility() == Tri::Unknown {
            read_i64(self.memory, self.manifest.output.mask as usize) as u64
        } else {
            0
        }
    }

    pub(crate) fn rule(&self, index: usize) -> Tri {
        self.tri(self.manifest.output.rules + index as u32)
    }

    pub(crate) fn material(&self, index: usize) -> Tri {
        self.tri(self.manifest.output.materials + index as u32)
    }

    pub(crate) fn step(&self, index: usize) -> Tri {
        self.tri(self.manifest.output.steps + index as u32)
    }

    /// The unknown mask of material `index`'s condition.
    pub(crate) fn material_mask(&self, index: usize) -> u64 {
        read_i64(
            self.memory,
            self.manifest.output.material_masks as usize + 8 * index,
        ) as u64
    }

    pub(crate) fn value(&self, index: usize) -> RawValue {
        let at = self.manifest.output.values as usize + 16 * index;
        let raw = read_i64(self.memory, at);
        let mask = read_i64(self.memory, at + 8) as u64;
        let value = match (self.manifest.values.get(index).map(|v| &v.ty), mask) {
            (Some(ValueType::Set), 0) => RawScalar::Set(read_set(self.memory, raw)),
            _ => RawScalar::I64(raw),
        };
        RawValue { value, mask }
    }
}

/// Reads everything `evaluate` wrote.
pub fn read_outcome(manifest: &Manifest, memory: &[u8]) -> RawOutcome {
    let out = Outputs { manifest, memory };
    RawOutcome {
        eligibility: out.eligibility(),
        mask: out.mask(),
        rules: (0..manifest.rules.len()).map(|i| out.rule(i)).collect(),
        materials: (0..manifest.materials.len())
            .map(|i| out.material(i))
            .collect(),
        material_masks: (0..manifest.materials.len())
            .map(|i| out.material_mask(i))
            .collect(),
        steps: (0..manifest.steps.len()).map(|i| out.step(i)).collect(),
        values: (0..manifest.values.len()).map(|i| out.value(i)).collect(),
    }
}

/// The text ids of a set value `(offset << 32) | count`, sorted, deduplicated.
pub fn read_set(memory: &[u8], packed: i64) -> Vec<i64> {
    let offset = ((packed as u64) >> 32) as usize;
    let count = (packed as u64 & 0xffff_ffff) as usize;
    let mut ids: Vec<i64> = (0..count.min(memory.len() / 8))
        .map(|i| read_i64(memory, offset + 8 * i))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

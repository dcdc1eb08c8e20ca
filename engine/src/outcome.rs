//! What one evaluation computed, before it is dressed as a [`Decision`]:
//! the answers the module wrote to its output region (or, in tests, what
//! the reference interpreter computed from the same input memory).
//!
//! [`Decision`]: crate::Decision

/// A three-valued result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tri {
    False,
    True,
    Unknown,
}

impl Tri {
    pub fn from_byte(byte: u8) -> Tri {
        match byte {
            0 => Tri::False,
            1 => Tri::True,
            _ => Tri::Unknown,
        }
    }

    pub fn as_option(self) -> Option<bool> {
        match self {
            Tri::False => Some(false),
            Tri::True => Some(true),
            Tri::Unknown => None,
        }
    }
}

/// A computed value in its raw form: the i64 the layout defines for its
/// type, or for a set the text ids it holds, and its unknown mask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawValue {
    /// Meaningless when `mask != 0`.
    pub value: RawScalar,
    /// 0 when known; else the bits of the missing slots (bit 63: no value).
    pub mask: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawScalar {
    I64(i64),
    /// Text ids, sorted and without duplicates.
    Set(Vec<i64>),
}

impl RawValue {
    /// Two raw values agree when both are known and equal, or both are
    /// unknown for the same reasons.
    pub fn agrees_with(&self, other: &RawValue) -> bool {
        if self.mask != 0 || other.mask != 0 {
            return self.mask == other.mask;
        }
        self.value == other.value
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOutcome {
    pub eligibility: Tri,
    /// The unknown mask of the eligibility (0 unless it is unknown).
    pub mask: u64,
    /// Per rule and exception, in the order written.
    pub rules: Vec<Tri>,
    /// Per material: its condition (`True` when it has none).
    pub materials: Vec<Tri>,
    /// Per material: its condition's unknown mask (0 unless unknown).
    pub material_masks: Vec<u64>,
    /// Per step: its condition (`True` when it has none).
    pub steps: Vec<Tri>,
    /// Per reported value (titled lets, then titled tables).
    pub values: Vec<RawValue>,
}

impl RawOutcome {
    /// Equal in everything a decision shows.
    pub fn agrees_with(&self, other: &RawOutcome) -> bool {
        self.eligibility == other.eligibility
            && (self.eligibility != Tri::Unknown || self.mask == other.mask)
            && self.rules == other.rules
            && self.materials == other.materials
            && self
                .materials
                .iter()
                .zip(self.material_masks.iter().zip(&other.material_masks))
                .all(|(tri, (a, b))| *tri != Tri::Unknown || a == b)
            && self.steps == other.steps
            && self.values.len() == other.values.len()
            && self
                .values
                .iter()
                .zip(&other.values)
                .all(|(a, b)| a.agrees_with(b))
    }
}

/// What the request says besides its facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// Days since 1970-01-01.
    pub application_date: i64,
    /// Bit `i`: the platform can fetch `InputIndex::datasets[i]` for this applicant.
    pub shared: u64,
    /// Input texts that are not constants of the policy; text id
    /// `texts.len() + i` is `fresh_texts[i]`.
    pub fresh_texts: Vec<String>,
    /// Where the `facts` value is in a whole request's bytes (the service
    /// hashes exactly those bytes for its decision log).
    pub facts: Option<std::ops::Range<usize>>,
    /// How many `shared_available` ids are not datasets of this policy. They
    /// change nothing here; the service checks them against the catalogue,
    /// so that a misspelt id is an error rather than a material silently
    /// asked of the applicant.
    pub foreign_datasets: u32,
}

//! The memory layout of one policy: where the host writes facts, where the
//! module keeps each definition's value, and where it writes its answers.
//!
//! ```text
//! 0                 application date (i64 day number)
//! 8                 presence bytes, one per fact (1 present, 0 unknown)
//! align 8           fact slots, 8 bytes per fact (value, or element count)
//! output            eligibility i64, mask i64, rule bytes, material bytes,
//!                   step bytes, align 8, reported values (value i64, mask i64)
//! definitions       16 bytes per let, table and rule (value i64, mask i64)
//! collect areas     for `collect` tables of text: one i64 text id per row
//! element areas     per list or set fact: capacity × element size
//! ```

use std::collections::HashMap;

use crate::ir::{self, Type};
use crate::manifest::{ElementLayout, FactSlot, FieldSlot, InputLayout, OutputLayout};

#[derive(Debug, Clone)]
pub struct Layout {
    pub fact_presence: Vec<u32>,
    pub fact_slot: Vec<u32>,
    pub elements: Vec<Option<ElementLayout>>,
    pub output: OutputLayout,
    pub lets: Vec<u32>,
    pub tables: Vec<u32>,
    pub rules: Vec<u32>,
    /// The slot of each parameter without a key: its value in force is found
    /// once per evaluation, not at every use.
    pub params: Vec<Option<u32>>,
    pub collect_area: Vec<Option<u32>>,
    /// Bytes of memory needed.
    pub end: u64,
    /// Unknown-mask bit of each optional fact.
    pub fact_bit: Vec<Option<u32>>,
    /// Unknown-mask bit of each optional field, by (list fact, field).
    pub field_bit: HashMap<(usize, usize), u32>,
    pub max_list_len: u32,
}

fn align8(offset: u64) -> u64 {
    offset.div_ceil(8) * 8
}

fn to_u32(offset: u64) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

impl Layout {
    pub fn new(policy: &ir::Policy, max_list_len: u32) -> Layout {
        let facts = policy.facts.len() as u64;
        let fact_presence: Vec<u32> = (0..facts).map(|i| to_u32(8 + i)).collect();
        let slots_start = align8(8 + facts);
        let fact_slot: Vec<u32> = (0..facts).map(|i| to_u32(slots_start + 8 * i)).collect();
        let mut offset = slots_start + 8 * facts;

        let eligibility = offset;
        let mask = offset + 8;
        let rules_out = offset + 16;
        let materials_out = rules_out + policy.rules.len() as u64;
        let steps_out = materials_out + policy.materials.len() as u64;
        let values_out = align8(steps_out + policy.steps.len() as u64);
        let material_masks = values_out + 16 * policy.reported_values().len() as u64;
        offset = material_masks + 8 * policy.materials.len() as u64;
        let output = OutputLayout {
            eligibility: to_u32(eligibility),
            mask: to_u32(mask),
            rules: to_u32(rules_out),
            materials: to_u32(materials_out),
            steps: to_u32(steps_out),
            values: to_u32(values_out),
            material_masks: to_u32(material_masks),
        };

        let slots = |count: usize, offset: &mut u64| -> Vec<u32> {
            let start = *offset;
            *offset += 16 * count as u64;
            (0..count as u64).map(|i| to_u32(start + 16 * i)).collect()
        };
        let lets = slots(policy.lets.len(), &mut offset);
        let tables = slots(policy.tables.len(), &mut offset);
        let rules = slots(policy.rules.len(), &mut offset);
        let params = policy
            .params
            .iter()
            .map(|param| {
                param.keys.is_empty().then(|| {
                    let slot = to_u32(offset);
                    offset += 16;
                    slot
                })
            })
            .collect();

        let mut collect_area = Vec::with_capacity(policy.tables.len());
        for table in &policy.tables {
            if matches!(table.hit, ir::HitPolicy::Collect(None)) {
                collect_area.push(Some(to_u32(offset)));
                offset += 8 * table.rows.len() as u64;
            } else {
                collect_area.push(None);
            }
        }

        let mut elements = Vec::with_capacity(policy.facts.len());
        for fact in &policy.facts {
            match fact.ty {
                Type::List(record) => {
                    let fields = &policy.records[record].fields;
                    let presence_bytes = align8(fields.len() as u64);
                    let size = presence_bytes + 8 * fields.len() as u64;
                    let field_slots = fields
                        .iter()
                        .enumerate()
                        .map(|(i, f)| FieldSlot {
                            name: f.name.clone(),
                            title: f.title.clone().unwrap_or_else(|| f.name.clone()),
                            ty: super::value_type(policy, f.ty),
                            optional: f.optional,
                            bounds: f.bounds,
                            presence: to_u32(i as u64),
                            offset: to_u32(presence_bytes + 8 * i as u64),
                        })
                        .collect();
                    elements.push(Some(ElementLayout {
                        area: to_u32(offset),
                        size: to_u32(size),
                        fields: field_slots,
                    }));
                    offset += size * u64::from(max_list_len);
                }
                Type::Set => {
                    elements.push(Some(ElementLayout {
                        area: to_u32(offset),
                        size: 8,
                        fields: Vec::new(),
                    }));
                    offset += 8 * u64::from(max_list_len);
                }
                _ => elements.push(None),
            }
        }

        let mut fact_bit = vec![None; policy.facts.len()];
        let mut field_bit = HashMap::new();
        let mut slot = 0usize;
        for (index, fact) in policy.facts.iter().enumerate() {
            if fact.optional {
                fact_bit[index] = Some(ir::Policy::missing_bit(slot));
                slot += 1;
            }
        }
        for (index, fact) in policy.facts.iter().enumerate() {
            if let Type::List(record) = fact.ty {
                for (field_index, field) in policy.records[record].fields.iter().enumerate() {
                    if field.optional {
                        field_bit.insert((index, field_index), ir::Policy::missing_bit(slot));
                        slot += 1;
                    }
                }
            }
        }

        Layout {
            fact_presence,
            fact_slot,
            elements,
            output,
            lets,
            tables,
            rules,
            params,
            collect_area,
            end: offset,
            fact_bit,
            field_bit,
            max_list_len,
        }
    }

    pub fn input_layout(&self, policy: &ir::Policy) -> InputLayout {
        InputLayout {
            application_date: 0,
            facts: policy
                .facts
                .iter()
                .enumerate()
                .map(|(i, f)| FactSlot {
                    name: f.name.clone(),
                    title: f.title.clone().unwrap_or_else(|| f.name.clone()),
                    supplied_by: super::describe::supplier(&f.source),
                    ty: super::value_type(policy, f.ty),
                    optional: f.optional,
                    bounds: f.bounds,
                    presence: self.fact_presence[i],
                    offset: self.fact_slot[i],
                    elements: self.elements[i].clone(),
                })
                .collect(),
            max_list_len: self.max_list_len,
        }
    }

    pub fn definition(&self, definition: ir::Definition) -> u32 {
        match definition {
            ir::Definition::Let(i) => self.lets[i],
            ir::Definition::Table(i) => self.tables[i],
            ir::Definition::Rule(i) => self.rules[i],
        }
    }
}

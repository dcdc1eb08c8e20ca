//! CEL with the `cel` crate (formerly `cel-interpreter`):
//! `policies/residence_permit.cel`, compiled once with the strings
//! extension. The input is deserialised straight into CEL values (texts
//! borrowed from the request bytes), the cheapest way in that the crate
//! allows; its own route (`serde_json::Value` then `to_value`) is slower.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;
use cel::{Context, Env, Program, Value};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::Evaluator;

pub const EXPRESSION: &str = include_str!("../../policies/residence_permit.cel");

pub struct Cel {
    env: Arc<Env>,
    program: Program,
}

impl std::fmt::Debug for Cel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cel").finish_non_exhaustive()
    }
}

impl Cel {
    pub fn new() -> anyhow::Result<Cel> {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let env = Arc::new(env);
        let program = env
            .compile(EXPRESSION)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(Cel { env, program })
    }
}

impl Evaluator for Cel {
    fn name(&self) -> &'static str {
        "CEL"
    }

    fn eligible(&mut self, request_json: &[u8]) -> anyhow::Result<bool> {
        let mut deserializer =
            serde_json::Deserializer::from_str(std::str::from_utf8(request_json)?);
        let request = CelValue.deserialize(&mut deserializer)?;
        deserializer.end()?;
        let mut context = Context::with_env(Arc::clone(&self.env));
        context.add_variable_as_val("request", request);
        match self.program.execute(&context) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => anyhow::bail!("the expression gave {other:?}, not a boolean"),
            Err(error) => anyhow::bail!("{error}"),
        }
    }
}

/// JSON → a CEL value, without an intermediate tree.
struct CelValue;

impl<'de> DeserializeSeed<'de> for CelValue {
    type Value = Box<dyn Val + 'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(CelVisitor)
    }
}

struct CelVisitor;

impl<'de> Visitor<'de> for CelVisitor {
    type Value = Box<dyn Val + 'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Box::new(CelBool::from(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Box::new(CelInt::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        // JSON numbers are CEL ints where they fit, as the crate's own conversion does.
        Ok(match i64::try_from(v) {
            Ok(i) => Box::new(CelInt::from(i)),
            Err(_) => Box::new(CelUInt::from(v)),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Box::new(CelDouble::from(v)))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Box::new(CelString::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Box::new(CelString::from(v.to_string())))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Box::new(CelNull))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(CelValue)? {
            items.push(item);
        }
        Ok(Box::new(CelList::from(items)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries: HashMap<CelMapKey<'de>, Box<dyn Val + 'de>> =
            HashMap::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let key = match key {
                std::borrow::Cow::Borrowed(k) => CelMapKey::from(k),
                std::borrow::Cow::Owned(k) => CelMapKey::from(k),
            };
            entries.insert(key, map.next_value_seed(CelValue)?);
        }
        Ok(Box::new(CelMap::from(entries)))
    }
}

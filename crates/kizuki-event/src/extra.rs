//! `extra.*`: the open part of an event, for everything the harmonization
//! has no field for.

use compact_str::CompactString;

/// A value under `extra.*`: any JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum ExtraValue {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(CompactString),
    /// Anything else: arrays, objects, integers beyond `i64`.
    Json(Box<serde_json::Value>),
}

impl ExtraValue {
    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ExtraValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Converts any JSON value.
    pub fn from_json(v: serde_json::Value) -> ExtraValue {
        match v {
            serde_json::Value::Null => ExtraValue::Null,
            serde_json::Value::Bool(b) => ExtraValue::Bool(b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    ExtraValue::Int(i)
                } else if n.is_f64() {
                    ExtraValue::Float(n.as_f64().unwrap_or(0.0))
                } else {
                    ExtraValue::Json(Box::new(serde_json::Value::Number(n)))
                }
            }
            serde_json::Value::String(s) => ExtraValue::Str(s.into()),
            other => ExtraValue::Json(Box::new(other)),
        }
    }

    /// Converts to a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ExtraValue::Null => serde_json::Value::Null,
            ExtraValue::Bool(b) => (*b).into(),
            ExtraValue::Int(i) => (*i).into(),
            ExtraValue::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            ExtraValue::Str(s) => s.as_str().into(),
            ExtraValue::Json(v) => (**v).clone(),
        }
    }
}

impl From<&str> for ExtraValue {
    fn from(s: &str) -> Self {
        ExtraValue::Str(s.into())
    }
}

impl From<i64> for ExtraValue {
    fn from(i: i64) -> Self {
        ExtraValue::Int(i)
    }
}

/// The `extra.*` entries of an event, kept sorted by key. Keys are stored
/// without the `extra.` prefix.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Extra {
    entries: Vec<(CompactString, ExtraValue)>,
}

impl Extra {
    /// Sets `extra.<key>`, replacing an earlier value.
    pub fn insert(&mut self, key: &str, value: ExtraValue) {
        if self.entries.last().is_none_or(|(k, _)| k.as_str() < key) {
            self.entries.push((key.into(), value));
            return;
        }
        match self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key)) {
            Ok(i) => self.entries[i].1 = value,
            Err(i) => self.entries.insert(i, (key.into(), value)),
        }
    }

    /// The value of `extra.<key>`.
    pub fn get(&self, key: &str) -> Option<&ExtraValue> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| &self.entries[i].1)
    }

    /// Removes `extra.<key>`.
    pub fn remove(&mut self, key: &str) -> Option<ExtraValue> {
        self.entries
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.entries.remove(i).1)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ExtraValue)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Removes every entry, keeping the allocation.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_sorted_and_replaces() {
        let mut e = Extra::default();
        e.insert("b", 1.into());
        e.insert("a", "x".into());
        e.insert("c.d", ExtraValue::Null);
        e.insert("b", 2.into());
        let keys: Vec<_> = e.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b", "c.d"]);
        assert_eq!(e.get("b"), Some(&ExtraValue::Int(2)));
        assert_eq!(e.remove("a"), Some(ExtraValue::Str("x".into())));
        assert_eq!(e.len(), 2);
    }
}

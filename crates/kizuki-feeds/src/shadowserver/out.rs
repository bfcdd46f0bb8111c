//! Where a parsed row goes: an [`Event`], or straight into JSON slots when the
//! reader writes JSON. The IntelMQ semantics live once, in the reader; these
//! two only store.

use super::convert::PyVal;
use super::plan::{ExtraKey, Fixed};
use kizuki_event::json::{self, SlotLayout, SlotRow};
use kizuki_event::{
    Clean, Event, ExtraValue, Field, Input, Raw, RawPrefix, Rule, Value, Zone, time::parse_lenient,
};
use std::sync::Arc;

/// A converted value checked by a field's rule, as IntelMQ's `add` with
/// `sanitize=True` would. `Err` is IntelMQ's `InvalidValue`.
pub(crate) fn clean_for(field: Field, v: &PyVal<'_>) -> Result<Clean<'static>, ()> {
    let rule = field.rule();
    let c = match v {
        // add_UTC_to_timestamp's text: parse it as UTC without joining.
        PyVal::UtcText(s) if rule == Rule::DateTime => {
            return parse_lenient(s, Some(&Zone::Utc))
                .map(Clean::Time)
                .map_err(|_| ());
        }
        PyVal::Time(t) if rule == Rule::DateTime => return Ok(Clean::Time(*t)),
        other => other
            .with_input(|i| rule.clean(i).map(own))
            .map_err(|_| ())?,
    };
    Ok(c)
}

/// Detaches a checked value from its input.
fn own(c: Clean<'_>) -> Clean<'static> {
    use std::borrow::Cow;
    match c {
        Clean::Str(s) => Clean::Str(Cow::Owned(s.into_owned())),
        Clean::Int(i) => Clean::Int(i),
        Clean::Float(f) => Clean::Float(f),
        Clean::Bool(b) => Clean::Bool(b),
        Clean::Ip(ip) => Clean::Ip(ip),
        Clean::Net(n) => Clean::Net(n),
        Clean::Time(t) => Clean::Time(t),
        Clean::Raw(r) => Clean::Raw(Cow::Owned(r.into_owned())),
    }
}

/// Stores what a row produces.
pub(crate) trait RowOut {
    /// Whether the field is set.
    fn has(&self, f: Field) -> bool;
    /// Checks `v` by the field's rule and stores it. `Err` is `InvalidValue`.
    fn add(&mut self, f: Field, v: &PyVal<'_>) -> Result<(), ()>;
    /// Stores a value already checked (presets, constants, defaults).
    fn put(&mut self, v: &Fixed);
    /// Removes a field.
    fn remove(&mut self, f: Field);
    /// Sets `extra.<key>` to a converted value, unchanged.
    fn extra(&mut self, key: &ExtraKey, v: &PyVal<'_>);
    /// Sets `extra.<key>` to any JSON value.
    fn extra_value(&mut self, key: &ExtraKey, v: &ExtraValue);
    /// Sets `raw` to the prefix and the row's bytes.
    fn raw(&mut self, prefix: &Arc<RawPrefix>, bytes: &[u8]);
}

impl RowOut for Event {
    fn has(&self, f: Field) -> bool {
        self.contains(f)
    }

    fn add(&mut self, f: Field, v: &PyVal<'_>) -> Result<(), ()> {
        // Strings are checked without allocating and owned only when stored.
        let c = match v {
            PyVal::Str(s) => f
                .rule()
                .clean(Input::Str(s))
                .map(Clean::into_value)
                .map_err(|_| ())?,
            other => clean_for(f, other)?.into_value(),
        };
        self.set_checked(f, c);
        Ok(())
    }

    fn put(&mut self, v: &Fixed) {
        self.set_checked(v.field, v.value.clone());
    }

    fn remove(&mut self, f: Field) {
        Event::remove(self, f);
    }

    fn extra(&mut self, key: &ExtraKey, v: &PyVal<'_>) {
        self.set_extra(&key.name, to_extra(v));
    }

    fn extra_value(&mut self, key: &ExtraKey, v: &ExtraValue) {
        self.set_extra(&key.name, v.clone());
    }

    fn raw(&mut self, prefix: &Arc<RawPrefix>, bytes: &[u8]) {
        self.set_checked(
            Field::Raw,
            Value::Raw(Box::new(Raw::Bytes {
                prefix: Some(prefix.clone()),
                bytes: bytes.to_vec(),
            })),
        );
    }
}

/// A converted value as it goes into `extra`: as it is.
fn to_extra(v: &PyVal<'_>) -> ExtraValue {
    match v {
        PyVal::Str(s) => ExtraValue::Str((**s).into()),
        PyVal::Int(i) => ExtraValue::Int(*i),
        PyVal::Float(f) if f.is_finite() => ExtraValue::Float(*f),
        PyVal::Float(_) => ExtraValue::Null,
        PyVal::Bool(b) => ExtraValue::Bool(*b),
        PyVal::UtcText(s) => ExtraValue::Str(format!("{s} UTC").into()),
        PyVal::Time(t) => ExtraValue::Str(t.to_iso().into()),
    }
}

/// Checks `v` by the field's rule and appends its JSON text. `Err` (nothing
/// appended) is IntelMQ's `InvalidValue`.
#[inline]
pub(crate) fn write_field(f: Field, v: &PyVal<'_>, o: &mut Vec<u8>) -> Result<(), ()> {
    match v {
        PyVal::Str(s) => {
            let c = f.rule().clean(Input::Str(s)).map_err(|_| ())?;
            json::write_clean(&c, o);
        }
        other => json::write_clean(&clean_for(f, other)?, o),
    }
    Ok(())
}

/// Appends a converted value as `extra` keeps it: unchanged.
#[inline]
pub(crate) fn write_extra(v: &PyVal<'_>, o: &mut Vec<u8>) {
    match v {
        PyVal::Str(s) => json::write_str(o, s),
        PyVal::UtcText(s) => {
            o.push(b'"');
            json::escape_into(o, s);
            o.extend_from_slice(b" UTC\"");
        }
        other => json::write_extra_value(&to_extra(other), o),
    }
}

/// Appends `raw`: the prefix and the row's bytes, base64-encoded.
#[inline]
pub(crate) fn write_raw(prefix: &RawPrefix, bytes: &[u8], o: &mut Vec<u8>) {
    o.push(b'"');
    prefix.write_base64_with(bytes, o);
    o.push(b'"');
}

/// A JSON row under construction.
pub(crate) struct JsonRow<'a> {
    pub layout: &'a SlotLayout,
    pub row: SlotRow,
}

impl RowOut for JsonRow<'_> {
    fn has(&self, f: Field) -> bool {
        self.row.is_set(self.layout.field(f))
    }

    fn add(&mut self, f: Field, v: &PyVal<'_>) -> Result<(), ()> {
        let slot = self.layout.field(f);
        let mut res = Ok(());
        self.row.put_with(slot, |o| res = write_field(f, v, o));
        if res.is_err() {
            self.row.unset(slot);
        }
        res
    }

    fn put(&mut self, v: &Fixed) {
        self.row.put_json(self.layout.field(v.field), &v.json);
    }

    fn remove(&mut self, f: Field) {
        self.row.unset(self.layout.field(f));
    }

    fn extra(&mut self, key: &ExtraKey, v: &PyVal<'_>) {
        self.row.put_with(key.slot, |o| write_extra(v, o));
    }

    fn extra_value(&mut self, key: &ExtraKey, v: &ExtraValue) {
        self.row
            .put_with(key.slot, |o| json::write_extra_value(v, o));
    }

    fn raw(&mut self, prefix: &Arc<RawPrefix>, bytes: &[u8]) {
        self.row.put_with(self.layout.field(Field::Raw), |o| {
            write_raw(prefix, bytes, o)
        });
    }
}

//! The [`Event`]: one normalized fact.

use crate::extra::{Extra, ExtraValue};
use crate::field::{FIELD_COUNT, Field};
use crate::rule::{Input, Invalid};
use crate::time::Timestamp;
use crate::value::Value;
use std::net::IpAddr;
use std::sync::Arc;

/// Where an event came from: the file (or stream) and the line its record
/// starts on. The feed is the event's `feed.name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file name or path as the user gave it.
    pub file: Arc<str>,
    /// The 1-based line the record starts on.
    pub line: u64,
}

impl Origin {
    /// An origin.
    pub fn new(file: Arc<str>, line: u64) -> Origin {
        Origin { file, line }
    }
}

/// One normalized event, with IntelMQ harmonization fields.
///
/// Every field holds a value already checked by its [`Rule`](crate::Rule):
/// the only ways in are [`Event::add`] (clean and check, as IntelMQ's
/// `Message.add`) and the typed setters, which check ranges.
///
/// ```
/// use kizuki_event::{Event, Field};
///
/// let mut ev = Event::new();
/// ev.add(Field::SourceIp, "192.0.2.7".into()).unwrap();
/// ev.add(Field::MalwareName, "Emotet".into()).unwrap();
/// assert_eq!(ev.malware_name(), Some("emotet"));
/// assert!(ev.add(Field::SourcePort, "70000".into()).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    values: Box<[Option<Value>; FIELD_COUNT]>,
    /// Bit `i` is set when field `i` holds a value, so clearing and walking
    /// the fields touch only what is there.
    set: u128,
    extra: Extra,
    origin: Option<Origin>,
}

const _: () = assert!(FIELD_COUNT <= 128, "the field mask is a u128");

impl Default for Event {
    fn default() -> Self {
        Event::new()
    }
}

/// A field refused a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// The field.
    pub field: Field,
    /// Why.
    pub reason: &'static str,
}

impl Event {
    /// An empty event.
    pub fn new() -> Event {
        Event {
            values: Box::new([const { None }; FIELD_COUNT]),
            set: 0,
            extra: Extra::default(),
            origin: None,
        }
    }

    /// Empties the event, keeping its allocations.
    pub fn clear(&mut self) {
        let mut bits = self.set;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            self.values[i] = None;
            bits &= bits - 1;
        }
        self.set = 0;
        self.extra.clear();
        self.origin = None;
    }

    fn store(&mut self, field: Field, v: Value) {
        self.values[field.index()] = Some(v);
        self.set |= 1u128 << field.index();
    }

    /// The value of a field.
    pub fn get(&self, field: Field) -> Option<&Value> {
        self.values[field.index()].as_ref()
    }

    /// Whether a field is set.
    pub fn contains(&self, field: Field) -> bool {
        self.values[field.index()].is_some()
    }

    /// Cleans and checks `input` by the field's rule and stores it,
    /// replacing an earlier value.
    pub fn add(&mut self, field: Field, input: Input<'_>) -> Result<(), FieldError> {
        let v = field
            .rule()
            .sanitize(input)
            .map_err(|Invalid { reason }| FieldError { field, reason })?;
        self.store(field, v);
        Ok(())
    }

    /// Stores a value already produced by this field's rule (e.g. one taken
    /// from another event).
    pub fn set_checked(&mut self, field: Field, value: Value) {
        self.store(field, value);
    }

    /// Removes a field's value.
    pub fn remove(&mut self, field: Field) -> Option<Value> {
        self.set &= !(1u128 << field.index());
        self.values[field.index()].take()
    }

    /// Stores an IP address in an IP field.
    pub fn set_ip(&mut self, field: Field, ip: IpAddr) -> Result<(), FieldError> {
        self.check_kind(field, crate::Rule::Ip)?;
        if ip == IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED) {
            return Err(FieldError {
                field,
                reason: "not an IP address",
            });
        }
        self.store(field, Value::Ip(ip));
        Ok(())
    }

    /// Stores a time in a time field.
    pub fn set_time(&mut self, field: Field, t: Timestamp) -> Result<(), FieldError> {
        self.check_kind(field, crate::Rule::DateTime)?;
        self.store(field, Value::Time(t));
        Ok(())
    }

    /// Stores an integer in an integer, port or ASN field, checking its range.
    pub fn set_int(&mut self, field: Field, i: i64) -> Result<(), FieldError> {
        self.add(field, Input::Int(i))
    }

    fn check_kind(&self, field: Field, rule: crate::Rule) -> Result<(), FieldError> {
        if field.rule() == rule {
            Ok(())
        } else {
            Err(FieldError {
                field,
                reason: "wrong kind of value for this field",
            })
        }
    }

    /// Set fields in key order.
    pub fn fields(&self) -> impl Iterator<Item = (Field, &Value)> {
        self.values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| v.as_ref().map(|v| (Field::ALL[i], v)))
    }

    /// The text of a text field.
    pub fn str(&self, field: Field) -> Option<&str> {
        self.get(field).and_then(Value::as_str)
    }

    /// The address in an IP field.
    pub fn ip(&self, field: Field) -> Option<IpAddr> {
        match self.get(field)? {
            Value::Ip(ip) => Some(*ip),
            _ => None,
        }
    }

    /// The number in an integer field.
    pub fn int(&self, field: Field) -> Option<i64> {
        match self.get(field)? {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The time in a time field.
    pub fn time(&self, field: Field) -> Option<Timestamp> {
        match self.get(field)? {
            Value::Time(t) => Some(*t),
            _ => None,
        }
    }

    /// `source.ip`.
    pub fn source_ip(&self) -> Option<IpAddr> {
        self.ip(Field::SourceIp)
    }

    /// `source.port`.
    pub fn source_port(&self) -> Option<u16> {
        self.int(Field::SourcePort)
            .and_then(|p| u16::try_from(p).ok())
    }

    /// `destination.ip`.
    pub fn destination_ip(&self) -> Option<IpAddr> {
        self.ip(Field::DestinationIp)
    }

    /// `destination.port`.
    pub fn destination_port(&self) -> Option<u16> {
        self.int(Field::DestinationPort)
            .and_then(|p| u16::try_from(p).ok())
    }

    /// `time.source`.
    pub fn time_source(&self) -> Option<Timestamp> {
        self.time(Field::TimeSource)
    }

    /// `malware.name`.
    pub fn malware_name(&self) -> Option<&str> {
        self.str(Field::MalwareName)
    }

    /// `classification.type`.
    pub fn classification_type(&self) -> Option<&str> {
        self.str(Field::ClassificationType)
    }

    /// `feed.name`.
    pub fn feed_name(&self) -> Option<&str> {
        self.str(Field::FeedName)
    }

    /// The `extra.*` entries.
    pub fn extra(&self) -> &Extra {
        &self.extra
    }

    /// The `extra.*` entries, to change.
    pub fn extra_mut(&mut self) -> &mut Extra {
        &mut self.extra
    }

    /// Sets `extra.<key>`.
    pub fn set_extra(&mut self, key: &str, value: ExtraValue) {
        self.extra.insert(key, value);
    }

    /// Where the event came from.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// Records where the event came from.
    pub fn set_origin(&mut self, origin: Option<Origin>) {
        self.origin = origin;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_out_in_key_order() {
        let mut ev = Event::new();
        ev.add(Field::TimeSource, "2021-02-22T01:02:03+00:00".into())
            .unwrap();
        ev.add(Field::SourceIp, "192.0.2.1".into()).unwrap();
        ev.add(Field::ClassificationType, "infected-system".into())
            .unwrap();
        let keys: Vec<_> = ev.fields().map(|(f, _)| f.name()).collect();
        assert_eq!(keys, ["classification.type", "source.ip", "time.source"]);
    }

    #[test]
    fn typed_setters_check_the_field_kind() {
        let mut ev = Event::new();
        assert!(
            ev.set_ip(Field::SourceIp, "192.0.2.1".parse().unwrap())
                .is_ok()
        );
        assert!(
            ev.set_ip(Field::SourcePort, "192.0.2.1".parse().unwrap())
                .is_err()
        );
        assert!(ev.set_int(Field::SourcePort, 65536).is_err());
        assert!(ev.set_int(Field::SourcePort, 443).is_ok());
        assert_eq!(ev.source_port(), Some(443));
        let err = ev.add(Field::SourceAsn, "0".into()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "source.asn: not an AS number (1-4294967295)"
        );
    }
}

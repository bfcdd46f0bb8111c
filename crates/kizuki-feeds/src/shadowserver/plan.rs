//! A report's mapping compiled against one file's header: columns resolved to
//! positions once, so each row only looks values up by index.

use super::convert::{Conv, ConvError, PyVal, RowLookup};
use super::schema::{ReportSpec, Target, target_for};
use compact_str::CompactString;
use kizuki_event::{Event, ExtraValue, Field, Input, RawPrefix, Rule, Timestamp, Value, Zone};
use std::collections::HashMap;
use std::sync::Arc;

/// One mapping resolved against the header.
#[derive(Debug)]
pub(crate) struct PlanItem {
    /// Index into the unique column names, `None` when the header lacks it.
    pub col: Option<usize>,
    pub column: String,
    pub target: Target,
    pub conv: Option<Conv>,
}

/// A constant field, checked once.
#[derive(Debug)]
pub(crate) enum ConstOp {
    Set(Field, Value),
    Delete(Field),
    Extra(String, ExtraValue),
    /// IntelMQ would raise on every row (invalid value or unknown key).
    Fail(String),
}

/// A report mapping compiled for one header.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Distinct column names in header order.
    pub names: Vec<CompactString>,
    /// For each distinct name, the last header position that has it (what
    /// `csv.DictReader` returns for a repeated name).
    pub last_pos: Vec<usize>,
    /// How often each distinct name occurs in the header.
    pub counts: Vec<u8>,
    pub by_name: HashMap<CompactString, usize>,
    pub required: Vec<PlanItem>,
    pub optional: Vec<PlanItem>,
    pub constants: Vec<ConstOp>,
    /// Fields every event starts with (`feed.*`, `time.observation`).
    pub presets: Vec<(Field, Value)>,
    /// The rebuilt header IntelMQ puts in front of each row's `raw`.
    pub raw_prefix: Arc<RawPrefix>,
    /// What an empty `convert_date_utc` value becomes.
    pub empty_date: Option<Timestamp>,
}

/// Settings a plan is built with.
pub(crate) struct PlanSettings<'a> {
    pub provider: &'a str,
    pub observation: Timestamp,
    pub line_ending: &'a [u8],
    pub drop_empty_dates: bool,
}

impl Plan {
    pub fn new(spec: &ReportSpec, header: &[CompactString], s: &PlanSettings<'_>) -> Plan {
        let mut names: Vec<CompactString> = Vec::new();
        let mut last_pos: Vec<usize> = Vec::new();
        let mut counts: Vec<u8> = Vec::new();
        let mut by_name: HashMap<CompactString, usize> = HashMap::new();
        for (pos, h) in header.iter().enumerate() {
            match by_name.get(h) {
                Some(&i) => {
                    last_pos[i] = pos;
                    counts[i] = counts[i].saturating_add(1);
                }
                None => {
                    by_name.insert(h.clone(), names.len());
                    names.push(h.clone());
                    last_pos.push(pos);
                    counts.push(1);
                }
            }
        }
        let resolve = |items: &[super::schema::Item]| -> Vec<PlanItem> {
            items
                .iter()
                .map(|it| PlanItem {
                    col: by_name.get(it.column.as_str()).copied(),
                    column: it.column.clone(),
                    target: it.target.clone(),
                    conv: it.conv.clone(),
                })
                .collect()
        };
        let required = resolve(&spec.required);
        // Optional columns the header lacks are skipped: older reports have
        // fewer columns.
        let optional = resolve(&spec.optional);

        let constants = spec.constants.iter().map(|(k, v)| const_op(k, v)).collect();

        let mut presets = vec![
            (Field::FeedName, Value::Str(spec.feed_name.as_str().into())),
            (Field::FeedProvider, Value::Str(s.provider.into())),
            (Field::TimeObservation, Value::Time(s.observation)),
        ];
        if let Some(url) = &spec.url
            && let Ok(v) = Rule::String.sanitize(Input::Str(url))
        {
            presets.push((Field::FeedDocumentation, v));
        }

        // csv.DictWriter in the "unix" dialect quotes every name.
        let mut prefix = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if i > 0 {
                prefix.push(b',');
            }
            prefix.push(b'"');
            prefix.extend_from_slice(h.replace('"', "\"\"").as_bytes());
            prefix.push(b'"');
        }
        prefix.extend_from_slice(s.line_ending);

        Plan {
            names,
            last_pos,
            counts,
            by_name,
            required,
            optional,
            constants,
            presets,
            raw_prefix: RawPrefix::new(prefix),
            empty_date: (!s.drop_empty_dates)
                .then(|| {
                    Timestamp::from_micros(
                        s.observation.as_micros().div_euclid(86_400_000_000) * 86_400_000_000,
                    )
                })
                .flatten(),
        }
    }
}

fn const_op(key: &str, v: &serde_json::Value) -> ConstOp {
    let input = match v {
        serde_json::Value::String(s) => Some(Input::Str(s)),
        serde_json::Value::Bool(b) => Some(Input::Bool(*b)),
        serde_json::Value::Number(n) => n.as_i64().map(Input::Int).or(n.as_f64().map(Input::Float)),
        _ => None,
    };
    match target_for(key) {
        Target::Field(f) => match input {
            None => ConstOp::Delete(f),
            Some(Input::Str("" | "-" | "N/A")) => ConstOp::Delete(f),
            Some(i) => match f.rule().sanitize(i) {
                Ok(v) => ConstOp::Set(f, v),
                Err(e) => ConstOp::Fail(format!("constant {key}: {e}")),
            },
        },
        Target::Extra(k) => ConstOp::Extra(k, ExtraValue::from_json(v.clone())),
        _ => ConstOp::Fail(format!(
            "constant field {key:?} is not in the harmonization"
        )),
    }
}

/// The row as the conversions that read other columns see it.
pub(crate) struct RowView<'a> {
    pub plan: &'a Plan,
    pub record: &'a csv::StringRecord,
}

impl RowView<'_> {
    /// The value of distinct column `i` (`None` for a short row).
    pub fn value(&self, i: usize) -> Option<&str> {
        self.record.get(self.plan.last_pos[i])
    }
}

impl RowLookup for RowView<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        self.plan.by_name.get(column).and_then(|&i| self.value(i))
    }

    fn empty_date(&self) -> Option<Timestamp> {
        self.plan.empty_date
    }
}

/// What adding a value to a field did, in IntelMQ's terms.
pub(crate) enum Added {
    /// Stored, or ignored as an empty marker (`""`, `"-"`, `"N/A"`).
    Ok,
    /// `InvalidValue`.
    Invalid,
    /// `KeyExists`: the field was already set.
    Exists,
}

/// `event.add(field, value)` with IntelMQ's outcomes.
pub(crate) fn add_value(ev: &mut Event, field: Field, v: &PyVal<'_>) -> Added {
    if let PyVal::Str(s) = v
        && matches!(&**s, "" | "-" | "N/A")
    {
        return if ev.contains(field) {
            Added::Exists
        } else {
            Added::Ok
        };
    }
    if ev.contains(field) {
        return Added::Exists;
    }
    let res = match v {
        // The time is text plus " UTC": parse it as UTC without joining.
        PyVal::UtcText(s) if field.rule() == Rule::DateTime => {
            kizuki_event::time::parse_lenient(s, Some(&Zone::Utc))
                .map(|t| ev.set_checked(field, Value::Time(t)))
                .map_err(|_| ())
        }
        PyVal::Time(t) if field.rule() == Rule::DateTime => {
            ev.set_checked(field, Value::Time(*t));
            Ok(())
        }
        other => other.with_input(|i| ev.add(field, i)).map_err(|_| ()),
    };
    match res {
        Ok(()) => Added::Ok,
        Err(()) => Added::Invalid,
    }
}

/// A converted value as it goes into `extra`, unchanged.
pub(crate) fn to_extra(v: PyVal<'_>) -> ExtraValue {
    match v {
        PyVal::Str(s) => ExtraValue::Str(CompactString::from(&*s)),
        PyVal::Int(i) => ExtraValue::Int(i),
        PyVal::Float(f) if f.is_finite() => ExtraValue::Float(f),
        PyVal::Float(_) => ExtraValue::Null,
        PyVal::Bool(b) => ExtraValue::Bool(b),
        PyVal::UtcText(s) => ExtraValue::Str(format!("{s} UTC").into()),
        PyVal::Time(t) => ExtraValue::Str(t.to_iso().into()),
    }
}

/// A conversion error, as a reject reason.
pub(crate) fn conv_reason(column: &str, e: ConvError) -> String {
    format!("column {column:?}: {}", e.0)
}

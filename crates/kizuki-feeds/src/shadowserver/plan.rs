//! A report's mapping compiled against one file's header: columns resolved to
//! positions once, so each row only looks values up by index, and every key
//! the report can produce laid out once for the JSON writer.

use super::convert::{Conv, PyVal, RowLookup};
use super::schema::{ReportSpec, Target, target_for};
use compact_str::CompactString;
use kizuki_event::json::{Slot, SlotLayout};
use kizuki_event::{ExtraValue, Field, Input, RawPrefix, Rule, Timestamp, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// An `extra.*` key with its slot in the layout.
#[derive(Clone, Debug)]
pub(crate) struct ExtraKey {
    pub name: CompactString,
    pub slot: Slot,
}

/// Where a column's value goes, resolved.
#[derive(Clone, Debug)]
pub(crate) enum Dest {
    Field(Field),
    Extra(ExtraKey),
    /// The schema's `extra.` on a required column: IntelMQ's `add` refuses
    /// the key and only logs it.
    Nowhere,
    Ignore,
    /// A key outside the harmonization: `extra.<key>` unless the value is an
    /// empty marker.
    Unknown(ExtraKey),
}

/// One mapping resolved against the header.
#[derive(Debug)]
pub(crate) struct PlanItem {
    /// Index into the unique column names, `None` when the header lacks it.
    pub col: Option<usize>,
    pub column: String,
    pub dest: Dest,
    pub conv: Option<Conv>,
}

/// A field value fixed for a whole input (presets, constants, defaults),
/// checked once and written as JSON once.
#[derive(Debug)]
pub(crate) struct Fixed {
    pub field: Field,
    pub value: Value,
    pub json: Box<[u8]>,
}

impl Fixed {
    pub fn new(field: Field, value: Value) -> Fixed {
        let mut json = Vec::new();
        kizuki_event::json::write_clean(&value.as_clean(), &mut json);
        Fixed {
            field,
            value,
            json: json.into_boxed_slice(),
        }
    }
}

/// A constant field, checked once.
#[derive(Debug)]
pub(crate) enum ConstOp {
    Set(Fixed),
    Delete(Field),
    Extra(ExtraKey, ExtraValue),
    /// IntelMQ would raise on every row (invalid value or unknown key).
    Fail(String),
}

/// A report mapping compiled for one header.
#[derive(Debug)]
pub(crate) struct Plan {
    /// Distinct column names in header order, each with its `extra.` key
    /// (where the column lands when nothing else takes it).
    pub names: Vec<ExtraKey>,
    /// For each distinct name, the last header position that has it (what
    /// `csv.DictReader` returns for a repeated name).
    pub last_pos: Vec<usize>,
    /// How often each distinct name occurs in the header.
    pub counts: Vec<u8>,
    pub by_name: HashMap<CompactString, usize>,
    /// The columns conversions read besides their own
    /// ([`LOOKED_UP`]), resolved once: each row asks for several.
    pub looked_up: Vec<(&'static str, Option<usize>)>,
    pub required: Vec<PlanItem>,
    pub optional: Vec<PlanItem>,
    pub constants: Vec<ConstOp>,
    /// Fields every event starts with (`feed.*`, `time.observation`).
    pub presets: Vec<Fixed>,
    /// The rebuilt header IntelMQ puts in front of each row's `raw`.
    pub raw_prefix: Arc<RawPrefix>,
    /// What an empty `convert_date_utc` value becomes.
    pub empty_date: Option<Timestamp>,
    /// Every key an event of this plan can have.
    pub layout: SlotLayout,
}

/// The columns conversions look up by name (`convert_http_host_and_url`,
/// `category_or_detail`).
const LOOKED_UP: &[&str] = &[
    "application",
    "category",
    "cc_dns",
    "detail",
    "hostname",
    "http_host",
    "http_url",
    "ip",
    "url",
];

/// Settings a plan is built with.
pub(crate) struct PlanSettings<'a> {
    pub provider: &'a str,
    pub observation: Timestamp,
    pub line_ending: &'a [u8],
    pub drop_empty_dates: bool,
    pub origin: bool,
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

        // Every extra key this plan can write: mapped extras, unknown keys,
        // constant extras, and any column (left over columns land in extra).
        let mut extra_names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        for it in spec.required.iter().chain(&spec.optional) {
            match &it.target {
                Target::ExtraSameName => extra_names.push(it.column.clone()),
                Target::Extra(k) | Target::Unknown(k) => extra_names.push(k.clone()),
                Target::Field(_) | Target::Ignore => {}
            }
        }
        for (k, _) in &spec.constants {
            if let Some(x) = k.strip_prefix("extra.") {
                extra_names.push(x.to_owned());
            }
        }
        let layout = SlotLayout::new(&extra_names, s.origin);
        let key = |name: &str| ExtraKey {
            name: name.into(),
            // Every name was put into the layout above.
            slot: layout
                .extra(name)
                .unwrap_or_else(|| layout.field(Field::Comment)),
        };

        let resolve = |items: &[super::schema::Item], required: bool| -> Vec<PlanItem> {
            items
                .iter()
                .map(|it| PlanItem {
                    col: by_name.get(it.column.as_str()).copied(),
                    column: it.column.clone(),
                    dest: match &it.target {
                        Target::Field(f) => Dest::Field(*f),
                        Target::ExtraSameName if required => Dest::Nowhere,
                        Target::ExtraSameName => Dest::Extra(key(&it.column)),
                        Target::Extra(k) => Dest::Extra(key(k)),
                        Target::Ignore => Dest::Ignore,
                        Target::Unknown(_) if required => Dest::Nowhere,
                        Target::Unknown(k) => Dest::Unknown(key(k)),
                    },
                    conv: it.conv.clone(),
                })
                .collect()
        };
        let required = resolve(&spec.required, true);
        // Optional columns the header lacks are skipped: older reports have
        // fewer columns.
        let optional = resolve(&spec.optional, false);

        let constants = spec
            .constants
            .iter()
            .map(|(k, v)| const_op(k, v, &key))
            .collect();

        let mut presets = vec![
            Fixed::new(Field::FeedName, Value::Str(spec.feed_name.as_str().into())),
            Fixed::new(Field::FeedProvider, Value::Str(s.provider.into())),
            Fixed::new(Field::TimeObservation, Value::Time(s.observation)),
        ];
        if let Some(url) = &spec.url
            && let Ok(v) = Rule::String.sanitize(Input::Str(url))
        {
            presets.push(Fixed::new(Field::FeedDocumentation, v));
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

        let names = names.iter().map(|n| key(n)).collect();
        Plan {
            names,
            last_pos,
            counts,
            looked_up: LOOKED_UP
                .iter()
                .map(|&n| (n, by_name.get(n).copied()))
                .collect(),
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
            layout,
        }
    }
}

fn const_op(key: &str, v: &serde_json::Value, extra_key: &dyn Fn(&str) -> ExtraKey) -> ConstOp {
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
                Ok(v) => ConstOp::Set(Fixed::new(f, v)),
                Err(e) => ConstOp::Fail(format!("constant {key}: {e}")),
            },
        },
        Target::Extra(k) => ConstOp::Extra(extra_key(&k), ExtraValue::from_json(v.clone())),
        _ => ConstOp::Fail(format!(
            "constant field {key:?} is not in the harmonization"
        )),
    }
}

/// The row as the conversions that read other columns see it.
#[derive(Clone, Copy)]
pub(crate) struct RowView<'a> {
    pub plan: &'a Plan,
    pub fields: crate::csvio::Fields<'a>,
}

impl<'a> RowView<'a> {
    /// The value of distinct column `i` (`None` for a short row).
    #[inline]
    pub fn value(&self, i: usize) -> Option<&'a str> {
        self.fields.get(self.plan.last_pos[i])
    }
}

impl RowLookup for RowView<'_> {
    fn get(&self, column: &str) -> Option<&str> {
        let col = match self.plan.looked_up.iter().find(|(n, _)| *n == column) {
            Some((_, col)) => *col,
            None => self.plan.by_name.get(column).copied(),
        };
        col.and_then(|i| self.value(i))
    }

    fn empty_date(&self) -> Option<Timestamp> {
        self.plan.empty_date
    }
}

/// Whether a converted value is one of IntelMQ's empty markers, which
/// `Message.add` ignores.
pub(crate) fn is_empty_marker(v: &PyVal<'_>) -> bool {
    matches!(v, PyVal::Str(s) if matches!(&**s, "" | "-" | "N/A"))
}

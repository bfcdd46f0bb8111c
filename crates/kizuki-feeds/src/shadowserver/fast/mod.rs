//! The JSON writer for plain rows: a [`Plan`] compiled into steps in key
//! order, each writing its member straight into the output.
//!
//! The general path ([`super::reader`]) fills slots in the order IntelMQ's
//! parser runs and then copies them out in key order, tracking which columns
//! are used up so that leftovers land in `extra`. For a row where every
//! value is either empty or valid, the outcome is known in advance: each
//! column goes exactly where its mapping says, nothing is left over, and the
//! keys an event has are fixed but for empty values. This writer handles
//! only such rows. Anything else (an invalid value, an empty marker such as
//! `-`, a conversion error, a short row) makes it give up on the row, leaving
//! the output as it was, and the general path reads the row instead, so the
//! output is the same either way (`tests/shadowserver_fast.rs` checks that
//! on rows full of bad values, and the tests here that plain rows do take
//! this way).
//!
//! A plan compiles only when its shape is simple: no repeated header names,
//! every key written by one source, no constant that fails or deletes a
//! column's field. Other plans use the general path for every row.

mod put;
mod quick;
mod swar;

use super::convert::{Conv, PyVal};
use super::out::{write_extra, write_field, write_raw};
use super::plan::{ConstOp, Dest, Fixed, Plan, PlanItem, RowView, is_empty_marker};
use compact_str::CompactString;
use kizuki_event::json::Slot;
use kizuki_event::{Field, Rule};
use quick::{Done, HttpCols, Quick};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// What one step writes.
#[derive(Debug)]
enum What {
    /// A value fixed for the input, as JSON text (while compiling only).
    Const(Box<[u8]>),
    /// Fixed members, key and value: the step's `key` holds their whole
    /// text (adjacent constants, joined when compiling).
    Members,
    /// A mapped column.
    Item(Mapped),
    /// Mapped columns for one field, in mapping order.
    Alt(Vec<Mapped>),
    /// A column no mapping uses: `extra.<column>` as text unless empty.
    Leftover { col: usize },
    /// The header and the row, base64-encoded.
    Raw,
    /// `extra.origin.file`.
    OriginFile,
    /// `extra.origin.line`.
    OriginLine,
}

/// A mapped column and where its value goes.
#[derive(Debug)]
struct Mapped {
    col: usize,
    conv: Option<Conv>,
    required: bool,
    to: To,
    quick: Quick,
    /// For `convert_http_host_and_url` into a URL field: the columns it
    /// reads.
    http: Option<HttpCols>,
    /// Whether an empty value means "no member" whatever the rest of the
    /// row holds (what `quick` does with it), so the step can skip it.
    empty_is_absent: bool,
}

#[derive(Debug, Clone, Copy)]
enum To {
    Field(Field),
    /// `extra.<key>`, any value.
    Extra,
    /// `extra.<key>` unless the value is an empty marker.
    Unknown,
    /// Nowhere: the column is used up (its conversion still runs).
    Drop,
}

#[derive(Debug)]
struct Step {
    /// `, "key": `.
    key: Text,
    what: What,
}

/// A plan compiled for plain rows.
#[derive(Debug)]
pub(crate) struct FastPlan {
    steps: Vec<Step>,
    /// Mapped columns whose value goes nowhere, checked for errors only.
    checks: Vec<Mapped>,
    width: usize,
}

/// What a row gave.
pub(crate) enum Fast {
    /// Written.
    Done,
    /// Not a plain row: nothing was written.
    Declined,
}

impl FastPlan {
    /// Compiles `plan` with the context's default fields and whether origin
    /// keys are written. `None` when the plan's shape needs the general path.
    pub fn compile(plan: &Plan, defaults: &[Fixed], origin: bool) -> Option<FastPlan> {
        if plan.counts.iter().any(|&c| c != 1) {
            return None;
        }
        let layout = &plan.layout;
        let mut slots: BTreeMap<Slot, What> = BTreeMap::new();
        for p in &plan.presets {
            slots.insert(layout.field(p.field), What::Const(p.json.clone()));
        }
        let mut used = vec![false; plan.names.len()];
        let mut checks = Vec::new();
        let items = plan
            .required
            .iter()
            .map(|i| (i, true))
            .chain(plan.optional.iter().map(|i| (i, false)));
        for (item, required) in items {
            let Some(mapped) = mapped(item, required, &plan.by_name)? else {
                continue;
            };
            used[mapped.col] = true;
            let slot = match (&item.dest, mapped.to) {
                (_, To::Drop) => {
                    checks.push(mapped);
                    continue;
                }
                (Dest::Field(f), _) => layout.field(*f),
                (Dest::Extra(k) | Dest::Unknown(k), _) => k.slot,
                _ => return None,
            };
            match (slots.remove(&slot), mapped.to) {
                (None, _) => {
                    slots.insert(slot, What::Item(mapped));
                }
                // Another column for the same field.
                (Some(What::Item(first)), To::Field(_)) => {
                    slots.insert(slot, What::Alt(vec![first, mapped]));
                }
                (Some(What::Alt(mut all)), To::Field(_)) => {
                    all.push(mapped);
                    slots.insert(slot, What::Alt(all));
                }
                // A preset already there (IntelMQ refuses the field set
                // twice), or two columns for one extra key (the later
                // wins): the general path.
                _ => return None,
            }
        }
        for op in &plan.constants {
            let (slot, json) = match op {
                ConstOp::Set(v) => (layout.field(v.field), v.json.clone()),
                ConstOp::Extra(k, v) => {
                    let mut j = Vec::new();
                    kizuki_event::json::write_extra_value(v, &mut j);
                    (k.slot, j.into_boxed_slice())
                }
                ConstOp::Delete(f) => match slots.remove(&layout.field(*f)) {
                    None | Some(What::Const(_)) => continue,
                    Some(_) => return None,
                },
                ConstOp::Fail(_) => return None,
            };
            if let Some(What::Item(_)) = slots.insert(slot, What::Const(json)) {
                return None;
            }
        }
        for (col, key) in plan.names.iter().enumerate() {
            if !used[col] && slots.insert(key.slot, What::Leftover { col }).is_some() {
                return None;
            }
        }
        if slots.insert(layout.field(Field::Raw), What::Raw).is_some() {
            return None;
        }
        for v in defaults {
            let slot = layout.field(v.field);
            match slots.get(&slot) {
                None => {
                    slots.insert(slot, What::Const(v.json.clone()));
                }
                Some(What::Const(_) | What::Raw) => {}
                Some(_) => return None,
            }
        }
        if origin {
            let (file, line) = layout.origin()?;
            if slots.insert(file, What::OriginFile).is_some()
                || slots.insert(line, What::OriginLine).is_some()
            {
                return None;
            }
        }
        // Constants next to each other become one piece of text, key and
        // value together, in the step's `key`.
        let mut texts: Vec<(Vec<u8>, What)> = Vec::with_capacity(slots.len());
        for (slot, what) in slots {
            let key = layout.key_json(slot);
            match (what, texts.last_mut()) {
                (What::Const(json), Some((text, What::Members))) => {
                    text.extend_from_slice(key);
                    text.extend_from_slice(&json);
                }
                (What::Const(json), _) => {
                    texts.push(([key, &json[..]].concat(), What::Members));
                }
                (what, _) => texts.push((key.to_vec(), what)),
            }
        }
        let steps = texts
            .into_iter()
            .map(|(text, what)| Step {
                key: Text::new(&text),
                what,
            })
            .collect();
        Some(FastPlan {
            steps,
            checks,
            width: plan.names.len(),
        })
    }

    /// Writes the row as one JSON line, or declines it (leaving `out` as it
    /// was) when it is not plain.
    pub fn write(&self, ctx: &RowCtx<'_>, out: &mut Vec<u8>) -> Fast {
        let start = out.len();
        match self.try_write(ctx, out) {
            Some(()) => Fast::Done,
            None => {
                out.truncate(start);
                Fast::Declined
            }
        }
    }

    fn try_write(&self, ctx: &RowCtx<'_>, out: &mut Vec<u8>) -> Option<()> {
        let fields = ctx.view.fields;
        if fields.len() != self.width {
            return None;
        }
        for m in &self.checks {
            m.value(ctx)?;
        }
        out.push(b'{');
        let mut skip = 2;
        for step in &self.steps {
            let key = Key {
                text: &step.key,
                skip,
            };
            match &step.what {
                // Key and value, see `compile`.
                What::Members => key.put(out),
                // Joined into `Members` by `compile`.
                What::Const(_) => {}
                What::Item(m) => {
                    // An empty value that means no member: nothing to call.
                    if m.empty_is_absent && fields.is_blank(m.col) {
                        continue;
                    }
                    // The commonest kind, text into `extra`, without the call.
                    if let Quick::ExtraText { to_none } = m.quick
                        && fields.json_plain()
                    {
                        let v = fields.get(m.col)?.as_bytes();
                        if quick::extra_text(v, to_none, key, out) {
                            skip = 0;
                        }
                        continue;
                    }
                    if !m.write(ctx, key, out)? {
                        continue;
                    }
                }
                What::Alt(ms) => {
                    // Columns for one field: one may set it; IntelMQ refuses
                    // a field set twice.
                    let mut wrote = false;
                    for m in ms {
                        if m.write(ctx, key, out)? {
                            if wrote {
                                return None;
                            }
                            wrote = true;
                        }
                    }
                    if !wrote {
                        continue;
                    }
                }
                What::Leftover { col } => {
                    let v = fields.get(*col)?;
                    if v.is_empty() {
                        continue;
                    }
                    key.put(out);
                    quick::write_str(v, fields.json_plain(), out);
                }
                What::Raw => {
                    key.put(out);
                    write_raw(&ctx.view.plan.raw_prefix, ctx.raw, out);
                }
                What::OriginFile => {
                    key.put(out);
                    put::append(out, ctx.origin_file);
                }
                What::OriginLine => {
                    key.put(out);
                    put::append(out, itoa::Buffer::new().format(ctx.line).as_bytes());
                }
            }
            skip = 0;
        }
        out.extend_from_slice(b"}\n");
        Some(())
    }
}

/// Text written for every row (keys, constants), padded so that a short
/// one is copied with one fixed-size move instead of a call to `memcpy`.
#[derive(Debug)]
struct Text {
    padded: Box<[u8]>,
    len: usize,
}

/// A short text is at most this long.
const SHORT: usize = 48;

impl Text {
    fn new(b: &[u8]) -> Text {
        let mut padded = b.to_vec();
        padded.resize(b.len() + SHORT + 2, b' ');
        Text {
            padded: padded.into_boxed_slice(),
            len: b.len(),
        }
    }
}

/// A member's key as written: its text, less the leading `, ` for the
/// object's first member.
#[derive(Clone, Copy)]
pub(super) struct Key<'a> {
    text: &'a Text,
    skip: usize,
}

impl Key<'_> {
    /// Appends the key.
    #[inline(always)]
    pub fn put(self, out: &mut Vec<u8>) {
        let Text { padded, len } = self.text;
        let n = len - self.skip;
        match padded.get(self.skip..self.skip + SHORT) {
            // Copy a fixed length, then drop the padding.
            Some(p) if n <= SHORT => match <&[u8; SHORT]>::try_from(p) {
                Ok(p) => put::append_prefix(out, p, n),
                Err(_) => out.extend_from_slice(&p[..n]),
            },
            _ => out.extend_from_slice(&padded[self.skip..*len]),
        }
    }
}

/// What a row's steps read.
pub(crate) struct RowCtx<'a> {
    pub view: RowView<'a>,
    /// The bytes `raw` encodes after the header.
    pub raw: &'a [u8],
    pub line: u64,
    /// The input's name as a JSON string.
    pub origin_file: &'a [u8],
}

/// An item as a step, `Ok(None)` when it has no column (an optional column
/// the header lacks), `Err` (as `None`) when the plan needs the general path.
fn mapped(
    item: &PlanItem,
    required: bool,
    by_name: &HashMap<CompactString, usize>,
) -> Option<Option<Mapped>> {
    let Some(col) = item.col else {
        // A required column the header lacks refuses every row.
        return (!required).then_some(None);
    };
    let conv = match &item.conv {
        // Refuses every row.
        Some(Conv::Unknown(_)) if required => return None,
        // Used as is.
        Some(Conv::Unknown(_)) => None,
        c => c.clone(),
    };
    let to = match &item.dest {
        Dest::Field(f) => To::Field(*f),
        Dest::Extra(_) => To::Extra,
        Dest::Unknown(_) => To::Unknown,
        Dest::Nowhere | Dest::Ignore => To::Drop,
    };
    // A required column whose conversion gives nothing is not used up,
    // which only the general path handles.
    let gives_nothing = matches!(conv, Some(Conv::ToNone | Conv::InvalidateZero));
    let quick = match to {
        _ if required && gives_nothing => Quick::No,
        To::Field(f) => Quick::for_column(conv.as_ref(), Some(f)),
        To::Extra => Quick::for_column(conv.as_ref(), None),
        To::Unknown | To::Drop => Quick::No,
    };
    let http = match (&conv, to) {
        (Some(Conv::HttpHostAndUrl), To::Field(f)) if f.rule() == Rule::Url => {
            Some(HttpCols::new(|name| by_name.get(name).copied()))
        }
        _ => None,
    };
    Some(Some(Mapped {
        col,
        conv,
        required,
        to,
        empty_is_absent: quick.empty_is_absent(),
        quick,
        http,
    }))
}

impl Mapped {
    /// Writes the member (`Some(true)`), or nothing when the value means no
    /// member (`Some(false)`); `None` when the row is not plain.
    #[inline]
    fn write(&self, ctx: &RowCtx<'_>, key: Key<'_>, out: &mut Vec<u8>) -> Option<bool> {
        if self.quick != Quick::No
            && let Some(done) = self.quick.write(ctx.view.fields, self.col, key, out)
        {
            return Some(matches!(done, Done::Wrote));
        }
        if let Some(cols) = &self.http
            && quick::http_url(cols, ctx.view.fields, key, out)
        {
            return Some(true);
        }
        let Some(v) = self.value(ctx)? else {
            return Some(false);
        };
        match self.to {
            To::Field(f) => {
                if is_empty_marker(&v) {
                    return Some(false);
                }
                key.put(out);
                write_field(f, &v, out).ok()?;
            }
            To::Extra => {
                key.put(out);
                write_extra(&v, out);
            }
            To::Unknown => {
                if is_empty_marker(&v) {
                    return Some(false);
                }
                key.put(out);
                write_extra(&v, out);
            }
            To::Drop => return Some(false),
        }
        Some(true)
    }

    /// The converted value; `None` (outer) when the row is not plain.
    #[inline]
    fn value<'a>(&self, ctx: &RowCtx<'a>) -> Option<Option<PyVal<'a>>> {
        let raw = ctx.view.fields.get(self.col)?;
        let v = match &self.conv {
            None => Some(PyVal::Str(Cow::Borrowed(raw))),
            Some(c) => c.apply(raw, &ctx.view).ok()?,
        };
        // A required column whose conversion gives nothing is not used up:
        // it lands in extra (or refuses the row), which the general path
        // handles.
        if v.is_none() && self.required && !raw.is_empty() {
            return None;
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shadowserver::builtin;
    use crate::shadowserver::plan::PlanSettings;
    use compact_str::CompactString;
    use kizuki_event::Timestamp;

    /// Every built-in report compiles against a header of all its columns,
    /// and a plain row of it is written by the compiled writer, not left to
    /// the general path (the differential tests alone would not notice a
    /// writer that declines everything).
    #[test]
    fn builtin_reports_compile_and_write_plain_rows() {
        let schema = builtin::schema();
        for t in builtin::REPORT_TYPES {
            let spec = schema.by_file_name(t).unwrap();
            let mut header: Vec<CompactString> = Vec::new();
            for it in spec.required.iter().chain(&spec.optional) {
                if !header.iter().any(|h| h == it.column.as_str()) {
                    header.push(it.column.as_str().into());
                }
            }
            let settings = PlanSettings {
                provider: "Shadowserver",
                observation: Timestamp::from_micros(0).unwrap(),
                line_ending: b"\n",
                drop_empty_dates: false,
                origin: true,
            };
            let plan = Plan::new(spec, &header, &settings);
            let fast = FastPlan::compile(&plan, &[], true)
                .unwrap_or_else(|| panic!("{t}: the plan does not compile"));
            // A row with a time, an address and a port, all else empty.
            let mut text = String::new();
            let mut ranges = Vec::new();
            for h in &header {
                let v = match h.as_str() {
                    "timestamp" => "2021-02-22 18:32:07",
                    h if h == "ip" || h.ends_with("_ip") => "192.0.2.1",
                    "src_port" | "port" => "1024",
                    _ => "",
                };
                let start = text.len() as u32;
                text.push_str(v);
                ranges.push((start, text.len() as u32));
            }
            let fields = crate::csvio::Fields::from_parts(&text, &ranges);
            let ctx = RowCtx {
                view: RowView {
                    plan: &plan,
                    fields,
                },
                raw: b"x",
                line: 2,
                origin_file: b"\"f.csv\"",
            };
            let mut out = Vec::new();
            assert!(matches!(fast.write(&ctx, &mut out), Fast::Done), "{t}");
            let line = String::from_utf8(out).unwrap();
            assert!(line.contains("ip\": \"192.0.2.1\""), "{t}: {line}");
            assert!(
                line.contains("\"time.source\": \"2021-02-22T18:32:07+00:00\""),
                "{t}: {line}"
            );
        }
    }
}

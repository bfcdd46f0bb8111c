//! The Shadowserver CSV reader: IntelMQ's Shadowserver parser, row for row.

use super::builtin;
use super::convert::{Conv, PyVal};
use super::fast::{Fast, FastPlan, RowCtx};
use super::out::{JsonRow, RowOut};
use super::plan::{ConstOp, Dest, Fixed, Plan, PlanSettings, RowView, is_empty_marker};
use super::schema::Schema;
use crate::batch::{Batch, ReadContext, Reject};
use crate::csvdrive::{Body, RowHandler, RowRef, drive};
use crate::input::Source;
use crate::{FeedError, csvio};
use compact_str::CompactString;
use kizuki_event::json::SlotRow;
use kizuki_event::{Event, ExtraValue, Field, Origin};
use std::sync::Arc;

/// Reads Shadowserver CSV reports.
///
/// The mapping comes from Shadowserver's IntelMQ schema, or from kizuki's
/// built-in mapping of the infected-system reports. The report type comes
/// from the file name (`2021-02-22-event4_sinkhole-jp-geo.csv` or
/// `event4_sinkhole.csv`) unless it is fixed with
/// [`ShadowserverReader::report_type`].
#[derive(Clone, Debug)]
pub struct ShadowserverReader {
    schema: Arc<Schema>,
    report_type: Option<String>,
    provider: String,
    lenient_rows: bool,
    full_raw: bool,
    drop_empty_dates: bool,
    strict_required: bool,
    fast_path: bool,
}

impl Default for ShadowserverReader {
    fn default() -> Self {
        ShadowserverReader::new(Arc::new(builtin::schema()))
    }
}

/// A row refused for a reason IntelMQ would also refuse it for.
struct Refused(String);

impl ShadowserverReader {
    /// A reader with this schema.
    pub fn new(schema: Arc<Schema>) -> ShadowserverReader {
        ShadowserverReader {
            schema,
            report_type: None,
            provider: "Shadowserver".into(),
            lenient_rows: false,
            full_raw: false,
            drop_empty_dates: false,
            strict_required: false,
            fast_path: true,
        }
    }

    /// Whether plain rows are written by the compiled writer (see
    /// [`super::fast`]). On by default; the output is the same either way,
    /// which the differential tests check by turning it off.
    pub fn fast_path(mut self, yes: bool) -> Self {
        self.fast_path = yes;
        self
    }

    /// Fixes the report type instead of reading it from the file name. By
    /// default, the file name decides.
    pub fn report_type(mut self, t: Option<String>) -> Self {
        self.report_type = t;
        self
    }

    /// The `feed.provider` of every event. By default, `Shadowserver`.
    pub fn provider(mut self, p: impl Into<String>) -> Self {
        self.provider = p.into();
        self
    }

    /// Accepts rows with more fields than the header, quotes that never
    /// close and a last row cut off mid-way, as IntelMQ does (surplus fields
    /// are dropped, missing columns become `null` in `extra`). By default
    /// such rows are refused with a reason, because a shifted or cut row maps
    /// values to the wrong fields. Rows with fewer fields that end properly
    /// are read either way: real reports leave out empty trailing columns.
    pub fn lenient_rows(mut self, yes: bool) -> Self {
        self.lenient_rows = yes;
        self
    }

    /// Puts the whole record in `raw`. By default `raw` is what IntelMQ puts
    /// there: the header and the last physical line of the record, which
    /// loses the start of a record that spans lines.
    pub fn full_raw(mut self, yes: bool) -> Self {
        self.full_raw = yes;
        self
    }

    /// Drops an empty value in a `convert_date_utc` column. By default it
    /// becomes midnight of the observation day, as IntelMQ's fuzzy parser
    /// turns it into midnight of the day it runs (a date nobody observed).
    pub fn drop_empty_dates(mut self, yes: bool) -> Self {
        self.drop_empty_dates = yes;
        self
    }

    /// The report type an input is read as: the fixed one, else the one in
    /// its file name.
    pub fn report_type_for<'a>(&'a self, file_name: &'a str) -> Option<&'a str> {
        self.report_type
            .as_deref()
            .or_else(|| Self::report_type_of(file_name))
    }

    /// Refuses a row whose required column holds a value its conversion
    /// drops (an invalid address in `src_ip`, say). By default the row is
    /// kept and the value goes to `extra.<column>`, as IntelMQ does; note
    /// that some reports (`blocklist`) deliberately put networks in their
    /// address column, which this setting refuses.
    pub fn strict_required(mut self, yes: bool) -> Self {
        self.strict_required = yes;
        self
    }

    /// The schema in use.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The report type of a file name, as IntelMQ reads it:
    /// `^(?:\d{4}-\d{2}-\d{2}-)?(\w+)(-\w+)*\.csv$`.
    pub fn report_type_of(file_name: &str) -> Option<&str> {
        let stem = file_name.strip_suffix(".csv")?;
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_');
        let b = stem.as_bytes();
        let rest = if b.len() > 11
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[5..7].iter().all(u8::is_ascii_digit)
            && b[7] == b'-'
            && b[8..10].iter().all(u8::is_ascii_digit)
            && b[10] == b'-'
            && stem[11..].split('-').all(word)
        {
            &stem[11..]
        } else {
            stem
        };
        let mut parts = rest.split('-');
        let first = parts.next()?;
        (word(first) && parts.all(word)).then_some(first)
    }

    /// Reads one input, handing batches to `sink` in order.
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<(), FeedError> {
        let report_type = match &self.report_type {
            Some(t) => t.clone(),
            None => Self::report_type_of(&src.file_name)
                .ok_or_else(|| FeedError::NoReportType {
                    name: src.name.to_string(),
                })?
                .to_owned(),
        };
        let spec = self
            .schema
            .by_file_name(&report_type)
            .or_else(|| self.schema.by_key_or_feed(&report_type))
            .ok_or_else(|| FeedError::UnknownReportType {
                name: src.name.to_string(),
                report_type: report_type.clone(),
                builtin: builtin::REPORT_TYPES.join(", "),
            })?;

        let cleaned = csvio::clean(&src.data);
        let data = &cleaned.data;
        let Some((header, body_start, header_lines)) = csvio::header(data, b',') else {
            return Ok(());
        };
        let header: Vec<CompactString> = header
            .iter()
            .map(|h| CompactString::from(String::from_utf8_lossy(h)))
            .collect();
        let settings = PlanSettings {
            provider: &self.provider,
            observation: ctx.observation_time(),
            line_ending: csvio::line_ending(data),
            drop_empty_dates: self.drop_empty_dates,
            origin: ctx.json_options().is_none_or(|o| o.writes_origin()),
        };
        let plan = Plan::new(spec, &header, &settings);
        let body = Body {
            name: &src.name,
            data: &data[body_start..],
            lines_before: cleaned.skipped_lines + header_lines,
            delimiter: b',',
            header_len: header.len(),
            lenient_rows: self.lenient_rows,
            terminated: cleaned.terminated,
        };
        let defaults: Vec<Fixed> = ctx
            .default_values()
            .iter()
            .map(|(f, v)| Fixed::new(*f, v.clone()))
            .collect();
        let fast = (self.fast_path && ctx.json_options().is_some())
            .then(|| FastPlan::compile(&plan, &defaults, settings.origin))
            .flatten();
        if self.fast_path && ctx.json_options().is_some() && fast.is_none() {
            // Same output, slower: worth knowing when a feed reads slowly.
            tracing::debug!(
                "{}: no compiled writer for this report's mapping and header (a header name twice, a field set from two sources, or a required column missing); every row takes the general path, with the same output",
                src.name
            );
        }
        let handler = Handler {
            plan: &plan,
            full_raw: self.full_raw,
            strict_required: self.strict_required,
            origin_file: {
                let mut f = Vec::new();
                kizuki_event::json::write_str(&mut f, &src.name);
                f
            },
            defaults,
            fast,
        };
        drive(&body, &handler, ctx, sink);
        Ok(())
    }
}

struct Handler<'a> {
    plan: &'a Plan,
    full_raw: bool,
    strict_required: bool,
    /// The input's name as a JSON string, for `extra.origin.file`.
    origin_file: Vec<u8>,
    /// The context's default fields, ready to write.
    defaults: Vec<Fixed>,
    /// The writer for plain rows, when the plan compiles.
    fast: Option<FastPlan>,
}

/// Per-thread scratch: the event or JSON row being filled, and the
/// "columns not yet used" counts.
enum Scratch<'a> {
    Event(Event, Vec<u8>),
    Json(JsonRow<'a>, Vec<u8>),
}

impl<'a> RowHandler for Handler<'a> {
    type State = Option<Scratch<'a>>;

    fn state(&self) -> Self::State {
        None
    }

    fn row(&self, st: &mut Self::State, row: &RowRef<'_>, batch: &mut Batch, ctx: &ReadContext) {
        let scratch = st.get_or_insert_with(|| match ctx.json_options() {
            Some(_) => Scratch::Json(
                JsonRow {
                    layout: &self.plan.layout,
                    row: SlotRow::new(&self.plan.layout),
                },
                Vec::new(),
            ),
            None => Scratch::Event(Event::new(), Vec::new()),
        });
        let view = RowView {
            plan: self.plan,
            fields: row.fields,
        };
        let result = match scratch {
            Scratch::Event(ev, remaining) => {
                ev.clear();
                self.fill(ev, remaining, &view, row).map(|()| {
                    ev.set_origin(Some(Origin::new(row.file.clone(), row.line)));
                    ctx.emit(ev, batch);
                })
            }
            Scratch::Json(out, remaining) => {
                if let Some(fast) = &self.fast {
                    let rc = RowCtx {
                        view,
                        raw: self.raw_line(row.raw, row.single_line),
                        line: row.line,
                        origin_file: &self.origin_file,
                    };
                    if let Fast::Done = fast.write(&rc, &mut batch.encoded) {
                        batch.accepted += 1;
                        return;
                    }
                }
                out.row.clear();
                self.fill(out, remaining, &view, row).map(|()| {
                    for v in &self.defaults {
                        if !out.has(v.field) {
                            out.put(v);
                        }
                    }
                    if let Some((file, line)) = out.layout.origin() {
                        out.row.put_json(file, &self.origin_file);
                        out.row.put_with(line, |o| {
                            o.extend_from_slice(itoa::Buffer::new().format(row.line).as_bytes())
                        });
                    }
                    out.row.write(out.layout, &mut batch.encoded);
                    batch.accepted += 1;
                })
            }
        };
        if let Err(Refused(reason)) = result {
            batch.rejects.push(Reject {
                file: row.file.clone(),
                line: row.line,
                reason,
                raw: row.raw.to_vec(),
            });
        }
    }
}

impl Handler<'_> {
    /// IntelMQ's `ShadowserverParserBot.parse_line`, into any [`RowOut`].
    fn fill<O: RowOut>(
        &self,
        out: &mut O,
        remaining: &mut Vec<u8>,
        view: &RowView<'_>,
        row: &RowRef<'_>,
    ) -> Result<(), Refused> {
        let plan = self.plan;
        remaining.clear();
        remaining.extend_from_slice(&plan.counts);
        for v in &plan.presets {
            out.put(v);
        }
        for item in &plan.required {
            let Some(col) = item.col else {
                return Err(Refused(format!(
                    "required column {:?} is not in the header (changed report format?)",
                    item.column
                )));
            };
            if remaining[col] == 0 {
                remaining[col] += 1;
            }
            let Some(raw) = view.value(col) else { continue };
            let value = match &item.conv {
                Some(c) => c
                    .apply(raw, view)
                    .map_err(|e| Refused(conv_reason(&item.column, e)))?,
                None => Some(PyVal::Str(raw.into())),
            };
            let Some(value) = value else {
                if self.strict_required && !raw.is_empty() {
                    let target = match &item.dest {
                        Dest::Field(f) => f.name().to_owned(),
                        _ => item.column.clone(),
                    };
                    return Err(Refused(format!(
                        "required column {:?}: {raw:?} is not a valid {target}",
                        item.column
                    )));
                }
                continue;
            };
            match &item.dest {
                Dest::Field(f) => match add_value(out, *f, &value) {
                    Added::Ok => {}
                    Added::Invalid => {
                        return Err(Refused(format!(
                            "required column {:?}: {:?} is not a valid {}",
                            item.column,
                            raw,
                            f.name()
                        )));
                    }
                    Added::Exists => {
                        return Err(Refused(format!("field {} is set twice", f.name())));
                    }
                },
                Dest::Extra(k) => out.extra(k, &value),
                // IntelMQ only logs a key it cannot add here and moves on.
                Dest::Nowhere | Dest::Ignore | Dest::Unknown(_) => {}
            }
            remaining[col] -= 1;
        }
        for item in &plan.optional {
            let Some(col) = item.col else { continue };
            if remaining[col] == 0 {
                remaining[col] += 1;
            }
            let Some(raw) = view.value(col) else {
                remaining[col] -= 1;
                continue;
            };
            let value = match &item.conv {
                Some(Conv::Unknown(_)) | None => Some(PyVal::Str(raw.into())),
                Some(c) => c
                    .apply(raw, view)
                    .map_err(|e| Refused(conv_reason(&item.column, e)))?,
            };
            let Some(value) = value else {
                remaining[col] -= 1;
                continue;
            };
            match &item.dest {
                Dest::Extra(k) => out.extra(k, &value),
                Dest::Ignore | Dest::Nowhere => {}
                Dest::Field(f) => match add_value(out, *f, &value) {
                    Added::Ok => {}
                    // The column stays and ends up in extra.
                    Added::Invalid => continue,
                    Added::Exists => {
                        return Err(Refused(format!("field {} is set twice", f.name())));
                    }
                },
                // IntelMQ checks for empty markers before the key.
                Dest::Unknown(k) => {
                    if !is_empty_marker(&value) {
                        out.extra(k, &value);
                    }
                }
            }
            remaining[col] -= 1;
        }
        for op in &plan.constants {
            match op {
                ConstOp::Set(v) => out.put(v),
                ConstOp::Delete(f) => out.remove(*f),
                ConstOp::Extra(k, v) => out.extra_value(k, v),
                ConstOp::Fail(reason) => return Err(Refused(reason.clone())),
            }
        }
        out.raw(&plan.raw_prefix, self.raw_line(row.raw, row.single_line));
        for (i, key) in plan.names.iter().enumerate() {
            if remaining[i] == 0 {
                continue;
            }
            match view.value(i) {
                Some("") => {}
                Some(v) => out.extra(key, &PyVal::Str(v.into())),
                None => out.extra_value(key, &ExtraValue::Null),
            }
        }
        Ok(())
    }

    /// What IntelMQ's `recover_line_csv_dict` puts after the header: the last
    /// physical line of the record, stripped at the end (or, with
    /// `full_raw`, the whole record).
    fn raw_line<'r>(&self, record: &'r [u8], single_line: bool) -> &'r [u8] {
        let line = if self.full_raw || single_line {
            record
        } else {
            match memchr::memrchr2(b'\n', b'\r', record) {
                Some(i) => &record[i + 1..],
                None => record,
            }
        };
        // The common case: the line ends in a character nothing strips.
        if line.last().is_some_and(u8::is_ascii_graphic) {
            return line;
        }
        match std::str::from_utf8(line) {
            Ok(s) => s
                .trim_end_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
                .as_bytes(),
            Err(_) => line,
        }
    }
}

/// What adding a value to a field did, in IntelMQ's terms.
enum Added {
    /// Stored, or ignored as an empty marker (`""`, `"-"`, `"N/A"`).
    Ok,
    /// `InvalidValue`.
    Invalid,
    /// `KeyExists`: the field was already set.
    Exists,
}

/// `event.add(field, value)` with IntelMQ's outcomes.
fn add_value<O: RowOut>(out: &mut O, field: Field, v: &PyVal<'_>) -> Added {
    if out.has(field) {
        return Added::Exists;
    }
    if is_empty_marker(v) {
        return Added::Ok;
    }
    match out.add(field, v) {
        Ok(()) => Added::Ok,
        Err(()) => Added::Invalid,
    }
}

/// A conversion error, as a reject reason.
fn conv_reason(column: &str, e: super::convert::ConvError) -> String {
    format!("column {column:?}: {}", e.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_type_from_file_names() {
        let t = ShadowserverReader::report_type_of;
        assert_eq!(
            t("2021-02-22-event4_sinkhole-jp-geo.csv"),
            Some("event4_sinkhole")
        );
        assert_eq!(
            t("2021-02-22-event4_sinkhole_http-org.csv"),
            Some("event4_sinkhole_http")
        );
        assert_eq!(t("event4_sinkhole.csv"), Some("event4_sinkhole"));
        assert_eq!(t("scan_http-x.csv"), Some("scan_http"));
        assert_eq!(t("event4 sinkhole.csv"), None);
        assert_eq!(t("event4_sinkhole.txt"), None);
    }
}

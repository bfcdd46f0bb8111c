//! CSV whose header names IntelMQ fields (`time.source`, `source.ip`,
//! `extra.family`, …), as kizuki's CSV reports are written: each row is
//! read like a flat IntelMQ JSON object. `extra.*` cells hold JSON values
//! (plain text is taken as a string).

use crate::batch::{Batch, ReadContext, Reject};
use crate::csvdrive::{Body, RowHandler, RowRef, drive};
use crate::input::Source;
use crate::{FeedError, csvio};
use kizuki_event::{Field, Origin, json};

/// Reads IntelMQ-keyed CSV.
#[derive(Clone, Debug, Default)]
pub struct IntelmqCsvReader {
    _private: (),
}

/// Whether a header line names only IntelMQ fields (and at least one that
/// events are about).
pub fn is_intelmq_header(line: &[u8]) -> bool {
    let Some((h, _, _)) = csvio::header(line, b',') else {
        return false;
    };
    let names: Vec<String> = h
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_owned())
        .collect();
    !names.is_empty()
        && names
            .iter()
            .all(|n| n.starts_with("extra.") || Field::from_name(n).is_some())
        && names
            .iter()
            .any(|n| n == "source.ip" || n == "time.source" || n == "source.account")
}

impl IntelmqCsvReader {
    /// A reader.
    pub fn new() -> IntelmqCsvReader {
        IntelmqCsvReader::default()
    }

    /// Reads one input.
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<(), FeedError> {
        let cleaned = csvio::clean(&src.data);
        let data = &cleaned.data;
        let Some((header, body_start, header_lines)) = csvio::header(data, b',') else {
            return Ok(());
        };
        let names: Vec<String> = header
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_owned())
            .collect();
        let body = Body {
            name: &src.name,
            data: &data[body_start..],
            lines_before: cleaned.skipped_lines + header_lines,
            delimiter: b',',
            header_len: names.len(),
            lenient_rows: false,
            terminated: cleaned.terminated,
        };
        drive(&body, &Handler { names: &names }, ctx, sink);
        Ok(())
    }
}

struct Handler<'a> {
    names: &'a [String],
}

impl RowHandler for Handler<'_> {
    type State = ();

    fn state(&self) {}

    fn row(&self, _: &mut (), row: &RowRef<'_>, batch: &mut Batch, ctx: &ReadContext) {
        let mut map = serde_json::Map::new();
        for (i, name) in self.names.iter().enumerate() {
            let Some(v) = row.fields.get(i).filter(|v| !v.is_empty()) else {
                continue;
            };
            let value = if name.starts_with("extra.") {
                serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_owned()))
            } else {
                serde_json::Value::String(v.to_owned())
            };
            map.insert(name.clone(), value);
        }
        match json::event_from_map(map, Some(Origin::new(row.file.clone(), row.line))) {
            Ok(mut ev) => ctx.emit(&mut ev, batch),
            Err(e) => batch.rejects.push(Reject {
                file: row.file.clone(),
                line: row.line,
                reason: e.to_string(),
                raw: row.raw.to_vec(),
            }),
        }
    }
}

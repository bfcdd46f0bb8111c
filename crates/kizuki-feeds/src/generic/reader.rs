//! The generic CSV reader: any delimited file, mapped to fields by a mapping
//! file. Law-enforcement lists such as the 2021 Emotet lists (`ip,timestamp`)
//! come in this shape.

use super::config::{ColumnSpec, MappingConfig, Unmapped};
use crate::batch::{Batch, ReadContext};
use crate::csvdrive::{Body, RowHandler, RowRef, drive};
use crate::input::Source;
use crate::{FeedError, Reject, csvio};
use kizuki_event::{
    Event, ExtraValue, Field, Input, Origin, Raw, Rule, Value, Zone, taxonomy,
    time::parse_with_format,
};

#[derive(Clone, Debug)]
enum Target {
    Field(Field),
    Extra(String),
    Ignore,
}

#[derive(Clone, Debug)]
struct Column {
    name: String,
    target: Target,
    format: String,
    /// `None`: the mapping's default zone (which `--tz` may override).
    zone: Option<Zone>,
}

/// Reads delimited files with a mapping.
#[derive(Clone, Debug)]
pub struct GenericCsvReader {
    name: String,
    columns: Vec<Column>,
    constants: Vec<(Field, Value)>,
    extra_constants: Vec<(String, ExtraValue)>,
    required: Vec<Field>,
    delimiter: u8,
    header: Option<Vec<String>>,
    encoding: &'static encoding_rs::Encoding,
    comment: Option<Vec<u8>>,
    unmapped: Unmapped,
    lenient_rows: bool,
    default_zone: Zone,
}

impl GenericCsvReader {
    /// Reads a mapping file.
    pub fn load(path: &std::path::Path) -> Result<GenericCsvReader, FeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| FeedError::Io {
            path: path.to_owned(),
            source,
        })?;
        GenericCsvReader::from_toml(&path.display().to_string(), &text)
    }

    /// Builds a reader from mapping text; `name` is used in messages and as
    /// the default `feed.name`.
    pub fn from_toml(name: &str, text: &str) -> Result<GenericCsvReader, FeedError> {
        let cfg: MappingConfig =
            toml::from_str(text).map_err(|e| FeedError::config(name, e.to_string()))?;
        GenericCsvReader::from_config(name, cfg)
    }

    /// Builds a reader from a parsed mapping.
    pub fn from_config(name: &str, cfg: MappingConfig) -> Result<GenericCsvReader, FeedError> {
        let err = |reason: String| FeedError::config(name, reason);
        let default_zone = match &cfg.time.timezone {
            Some(z) => Zone::parse(z).map_err(|e| err(format!("[time] timezone: {e}")))?,
            None => Zone::Utc,
        };
        let mut columns = Vec::new();
        for (col, spec) in &cfg.columns {
            let t = spec.target();
            let target = if t == "ignore" {
                Target::Ignore
            } else if let Some(k) = t.strip_prefix("extra.") {
                if k.is_empty() {
                    Target::Extra(col.clone())
                } else {
                    Target::Extra(k.to_owned())
                }
            } else {
                Target::Field(Field::from_name(t).ok_or_else(|| {
                    err(format!(
                        "column {col:?}: {t:?} is not an IntelMQ field (use extra.<name> or ignore)"
                    ))
                })?)
            };
            let (format, zone) = match spec {
                ColumnSpec::Full {
                    format, timezone, ..
                } => (
                    format.clone().unwrap_or_else(|| cfg.time.format.clone()),
                    timezone
                        .as_deref()
                        .map(Zone::parse)
                        .transpose()
                        .map_err(|e| err(format!("column {col:?}: {e}")))?,
                ),
                ColumnSpec::Target(_) => (cfg.time.format.clone(), None),
            };
            columns.push(Column {
                name: col.clone(),
                target,
                format,
                zone,
            });
        }
        let mut constants = Vec::new();
        let mut extra_constants = Vec::new();
        for (k, v) in &cfg.constants {
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => return Err(err(format!("constant {k}: unsupported value {other}"))),
            };
            if let Some(x) = k.strip_prefix("extra.") {
                extra_constants.push((x.to_owned(), ExtraValue::Str(text.as_str().into())));
                continue;
            }
            let f = Field::from_name(k)
                .ok_or_else(|| err(format!("constant {k:?} is not an IntelMQ field")))?;
            let v = f
                .rule()
                .sanitize(Input::Str(&text))
                .map_err(|e| err(format!("constant {k}: {e}")))?;
            constants.push((f, v));
        }
        let has = |cs: &[(Field, Value)], f: Field| cs.iter().any(|(c, _)| *c == f);
        if !has(&constants, Field::ClassificationTaxonomy) {
            let t = constants
                .iter()
                .find(|(f, _)| *f == Field::ClassificationType)
                .and_then(|(_, v)| v.as_str());
            if let Some(tax) = t.and_then(taxonomy::taxonomy_of) {
                constants.push((Field::ClassificationTaxonomy, Value::Str(tax.into())));
            }
        }
        if !has(&constants, Field::FeedName) {
            let stem = std::path::Path::new(name)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned());
            constants.push((
                Field::FeedName,
                Value::Str(stem.unwrap_or_else(|| "csv".into()).into()),
            ));
        }
        let mapped = |f: Field| {
            columns
                .iter()
                .any(|c| matches!(c.target, Target::Field(x) if x == f))
        };
        let required = match &cfg.required {
            Some(list) => list
                .iter()
                .map(|k| {
                    Field::from_name(k)
                        .ok_or_else(|| err(format!("required {k:?} is not an IntelMQ field")))
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => [Field::TimeSource, Field::SourceIp]
                .into_iter()
                .filter(|f| mapped(*f))
                .collect(),
        };
        let delimiter = match cfg.csv.delimiter.as_str() {
            "\\t" | "\t" | "tab" => b'\t',
            d if d.len() == 1 => d.as_bytes()[0],
            d => {
                return Err(err(format!(
                    "[csv] delimiter must be one character, not {d:?}"
                )));
            }
        };
        let encoding =
            encoding_rs::Encoding::for_label(cfg.csv.encoding.as_bytes()).ok_or_else(|| {
                err(format!(
                    "[csv] encoding {:?} is not known",
                    cfg.csv.encoding
                ))
            })?;
        Ok(GenericCsvReader {
            name: name.to_owned(),
            columns,
            constants,
            extra_constants,
            required,
            delimiter,
            header: cfg.csv.header,
            encoding,
            comment: cfg
                .csv
                .comment
                .map(String::into_bytes)
                .filter(|c| !c.is_empty()),
            unmapped: cfg.unmapped,
            lenient_rows: cfg.csv.lenient_rows,
            default_zone,
        })
    }

    /// Reads naive times in this zone instead of the mapping's. By default,
    /// the mapping decides (UTC when it says nothing).
    pub fn timezone(mut self, zone: Option<Zone>) -> Self {
        if let Some(z) = zone {
            self.default_zone = z;
        }
        self
    }

    /// Reads one input.
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<(), FeedError> {
        let decoded;
        let data: &[u8] = if self.encoding == encoding_rs::UTF_8 {
            &src.data
        } else {
            let (text, _, _) = self.encoding.decode(&src.data);
            decoded = text.into_owned().into_bytes();
            &decoded
        };
        let uncommented;
        let data: &[u8] = match &self.comment {
            Some(c) => {
                uncommented = blank_comment_lines(data, c);
                &uncommented
            }
            None => data,
        };
        let cleaned = csvio::clean(data);
        let data = &cleaned.data;
        let (header, body_start, header_lines) = match &self.header {
            Some(names) => (names.clone(), 0, 0),
            None => {
                let Some((h, start, lines)) = csvio::header(data, self.delimiter) else {
                    return Ok(());
                };
                (
                    h.iter()
                        .map(|f| String::from_utf8_lossy(f).trim().to_owned())
                        .collect(),
                    start,
                    lines,
                )
            }
        };
        let mut positions = Vec::new();
        for c in &self.columns {
            match header.iter().position(|h| *h == c.name) {
                Some(p) => positions.push(Some(p)),
                None if matches!(c.target, Target::Field(f) if self.required.contains(&f)) => {
                    return Err(FeedError::config(
                        &self.name,
                        format!(
                            "{}: column {:?} (for a required field) is not in the header {:?}",
                            src.name, c.name, header
                        ),
                    ));
                }
                None => positions.push(None),
            }
        }
        let unmapped: Vec<(usize, String)> = if self.unmapped == Unmapped::Extra {
            header
                .iter()
                .enumerate()
                .filter(|(_, h)| !self.columns.iter().any(|c| c.name == **h))
                .map(|(i, h)| (i, h.clone()))
                .collect()
        } else {
            Vec::new()
        };
        let handler = Handler {
            reader: self,
            positions,
            unmapped,
        };
        let body = Body {
            name: &src.name,
            data: &data[body_start..],
            lines_before: cleaned.skipped_lines + header_lines,
            delimiter: self.delimiter,
            header_len: header.len(),
            lenient_rows: self.lenient_rows,
            terminated: cleaned.terminated,
        };
        drive(&body, &handler, ctx, sink);
        Ok(())
    }
}

/// Empties comment lines but keeps their line breaks, so line numbers stay.
fn blank_comment_lines(data: &[u8], prefix: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        if !line.trim_ascii_start().starts_with(prefix) {
            out.extend_from_slice(line);
        }
    }
    out
}

struct Handler<'a> {
    reader: &'a GenericCsvReader,
    positions: Vec<Option<usize>>,
    unmapped: Vec<(usize, String)>,
}

impl RowHandler for Handler<'_> {
    type State = Event;

    fn state(&self) -> Event {
        Event::new()
    }

    fn row(&self, ev: &mut Event, row: &RowRef<'_>, batch: &mut Batch, ctx: &ReadContext) {
        ev.clear();
        match self.fill(ev, row, ctx) {
            Ok(()) => {
                ev.set_origin(Some(Origin::new(row.file.clone(), row.line)));
                ctx.emit(ev, batch);
            }
            Err(reason) => batch.rejects.push(Reject {
                file: row.file.clone(),
                line: row.line,
                reason,
                raw: row.raw.to_vec(),
            }),
        }
    }
}

impl Handler<'_> {
    fn fill(&self, ev: &mut Event, row: &RowRef<'_>, ctx: &ReadContext) -> Result<(), String> {
        let r = self.reader;
        for (c, pos) in r.columns.iter().zip(&self.positions) {
            let Some(v) = pos.and_then(|p| row.fields.get(p)) else {
                continue;
            };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match &c.target {
                Target::Ignore => {}
                Target::Extra(k) => ev.set_extra(k, ExtraValue::Str(v.into())),
                Target::Field(f) if f.rule() == Rule::DateTime => {
                    let zone = c.zone.as_ref().unwrap_or(&r.default_zone);
                    let t = parse_with_format(v, &c.format, zone)
                        .map_err(|e| format!("column {:?}: {e}", c.name))?;
                    ev.set_checked(*f, Value::Time(t));
                }
                Target::Field(f) => ev
                    .add(*f, Input::Str(v))
                    .map_err(|e| format!("column {:?}: {e}", c.name))?,
            }
        }
        for (p, name) in &self.unmapped {
            if let Some(v) = row.fields.get(*p).filter(|v| !v.is_empty()) {
                ev.set_extra(name, ExtraValue::Str(v.into()));
            }
        }
        for (f, v) in &r.constants {
            if !ev.contains(*f) {
                ev.set_checked(*f, v.clone());
            }
        }
        for (k, v) in &r.extra_constants {
            if ev.extra().get(k).is_none() {
                ev.set_extra(k, v.clone());
            }
        }
        for f in &r.required {
            if !ev.contains(*f) {
                let col = r
                    .columns
                    .iter()
                    .find(|c| matches!(c.target, Target::Field(x) if x == *f))
                    .map_or(String::new(), |c| {
                        format!(" (column {:?} is empty)", c.name)
                    });
                return Err(format!("missing required {f}{col}"));
            }
        }
        if !ev.contains(Field::TimeObservation) {
            ev.set_checked(Field::TimeObservation, Value::Time(ctx.observation_time()));
        }
        ev.set_checked(
            Field::Raw,
            Value::Raw(Box::new(Raw::from_bytes(row.raw.to_vec()))),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn read(mapping: &str, data: &[u8]) -> (Vec<Event>, Vec<Reject>) {
        let r = GenericCsvReader::from_toml("police.toml", mapping).unwrap();
        let src = Source {
            name: Arc::from("list.csv"),
            file_name: "list.csv".into(),
            data: data.to_vec().into(),
        };
        let (mut ev, mut rej) = (Vec::new(), Vec::new());
        r.read(&src, &ReadContext::new(), &mut |b| {
            ev.extend(b.events);
            rej.extend(b.rejects);
        })
        .unwrap();
        (ev, rej)
    }

    const POLICE: &str = r#"
        [time]
        format = "%Y/%m/%d %H:%M:%S"
        timezone = "Asia/Tokyo"
        [columns]
        ip = "source.ip"
        timestamp = "time.source"
        [constants]
        "malware.name" = "Emotet"
        "classification.type" = "infected-system"
        "feed.name" = "NPA Emotet list"
    "#;

    #[test]
    fn police_list_in_japan_time() {
        let (ev, rej) = read(POLICE, b"ip,timestamp,note\n192.0.2.7,2021/01/27 10:15:23,x\n198.51.100.1,yesterday,\n,2021/01/27 10:15:23,\n");
        assert_eq!(ev.len(), 1);
        assert_eq!(
            ev[0].time_source().unwrap().to_iso(),
            "2021-01-27T01:15:23+00:00"
        );
        assert_eq!(ev[0].malware_name(), Some("emotet"));
        assert_eq!(
            ev[0].str(Field::ClassificationTaxonomy),
            Some("malicious-code")
        );
        assert_eq!(
            ev[0].extra().get("note"),
            Some(&ExtraValue::Str("x".into()))
        );
        assert_eq!(rej.len(), 2);
        assert_eq!(rej[0].line, 3);
        assert!(rej[0].reason.contains("timestamp"), "{}", rej[0].reason);
        assert!(
            rej[1].reason.contains("missing required source.ip"),
            "{}",
            rej[1].reason
        );
    }

    #[test]
    fn shift_jis_and_headerless() {
        let mapping = r##"
            [csv]
            encoding = "shift_jis"
            header = ["ip", "timestamp", "memo"]
            comment = "#"
            [columns]
            ip = "source.ip"
            timestamp = "time.source"
            memo = "extra.memo"
        "##;
        let (bytes, _, _) =
            encoding_rs::SHIFT_JIS.encode("# 警察庁リスト\n192.0.2.7,2021-01-27 10:15:23,感染\n");
        let (ev, rej) = read(mapping, &bytes);
        assert!(rej.is_empty(), "{rej:?}");
        assert_eq!(
            ev[0].extra().get("memo"),
            Some(&ExtraValue::Str("感染".into()))
        );
        assert_eq!(ev[0].origin().unwrap().line, 2);
    }

    #[test]
    fn bad_mappings_are_config_errors() {
        assert!(GenericCsvReader::from_toml("m", "[columns]\nip = \"source.ipx\"").is_err());
        assert!(
            GenericCsvReader::from_toml(
                "m",
                "[columns]\nip = \"source.ip\"\n[time]\ntimezone = \"Mars/Olympus\""
            )
            .is_err()
        );
        assert!(
            GenericCsvReader::from_toml(
                "m",
                "[columns]\nip = \"source.ip\"\n[constants]\n\"source.port\" = \"x\""
            )
            .is_err()
        );
        assert!(
            GenericCsvReader::from_toml("m", "[columns]\nip = \"source.ip\"\nbogus = 1").is_err()
        );
    }
}

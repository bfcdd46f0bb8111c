//! Reading X-ARF inputs: v4 JSON (an object, an array, or one object per
//! line), a legacy X-ARF mail, or a bare legacy YAML report.

use super::{legacy, v4};
use crate::FeedError;
use crate::batch::{Batch, ReadContext, Reject};
use crate::input::Source;
use kizuki_event::{Field, Origin, Raw, Value};

/// Reads X-ARF reports.
#[derive(Clone, Debug, Default)]
pub struct XarfReader {
    _private: (),
}

impl XarfReader {
    /// A reader.
    pub fn new() -> XarfReader {
        XarfReader::default()
    }

    /// Reads one input.
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<(), FeedError> {
        let mut batch = Batch {
            bytes: src.data.len() as u64,
            ..Batch::default()
        };
        let first = src.data.iter().find(|b| !b.is_ascii_whitespace()).copied();
        match first {
            Some(b'{') | Some(b'[') => self.read_json(src, ctx, &mut batch),
            _ => self.read_mail(src, ctx, &mut batch),
        }
        sink(batch);
        Ok(())
    }

    fn finish(
        &self,
        res: Result<v4::FromReport, String>,
        raw: &[u8],
        src: &Source,
        line: u64,
        ctx: &ReadContext,
        batch: &mut Batch,
    ) {
        batch.rows += 1;
        match res {
            Ok(v4::FromReport {
                event: mut ev,
                embedded,
            }) => {
                // An embedded kizuki event is returned as it was written,
                // as the IntelMQ JSON reader returns its events.
                if !embedded {
                    ev.set_checked(
                        Field::Raw,
                        Value::Raw(Box::new(Raw::from_bytes(raw.to_vec()))),
                    );
                    ev.set_checked(Field::TimeObservation, Value::Time(ctx.observation_time()));
                    ev.set_origin(Some(Origin::new(src.name.clone(), line)));
                }
                ctx.emit(&mut ev, batch);
            }
            Err(reason) => batch.rejects.push(Reject {
                file: src.name.clone(),
                line,
                reason,
                raw: raw.to_vec(),
            }),
        }
    }

    fn read_json(&self, src: &Source, ctx: &ReadContext, batch: &mut Batch) {
        // A whole document first (pretty-printed object or array), then one
        // object per line.
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&src.data) {
            let items = match v {
                serde_json::Value::Array(a) => a,
                other => vec![other],
            };
            for (i, item) in items.iter().enumerate() {
                let raw = serde_json::to_vec(item).unwrap_or_default();
                let res = match item {
                    serde_json::Value::Object(m) => v4::event_from_report(m),
                    _ => Err("not a JSON object".into()),
                };
                let line = if items.len() == 1 { 1 } else { i as u64 + 1 };
                self.finish(res, &raw, src, line, ctx, batch);
            }
            return;
        }
        for (i, line) in src.data.split(|b| *b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.trim_ascii().is_empty() {
                continue;
            }
            let res = match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(serde_json::Value::Object(m)) => v4::event_from_report(&m),
                Ok(_) => Err("not a JSON object".into()),
                Err(e) => Err(format!("not valid JSON: {e}")),
            };
            self.finish(res, line, src, i as u64 + 1, ctx, batch);
        }
    }

    fn read_mail(&self, src: &Source, ctx: &ReadContext, batch: &mut Batch) {
        let text = String::from_utf8_lossy(&src.data);
        if legacy::looks_like_report(&text) && !text.contains("Content-Type") {
            // A bare YAML report.
            self.finish(
                legacy::event_from_yaml(&text).map(v4::FromReport::mapped),
                &src.data,
                src,
                1,
                ctx,
                batch,
            );
            return;
        }
        let Some(msg) = mail_parser::MessageParser::default().parse(&src.data[..]) else {
            self.finish(
                Err("not an X-ARF mail, JSON report or YAML report".into()),
                &src.data,
                src,
                1,
                ctx,
                batch,
            );
            return;
        };
        let mut found = false;
        for part in msg.parts.iter() {
            let body = part.contents();
            let Ok(body_text) = std::str::from_utf8(body) else {
                continue;
            };
            let trimmed = body_text.trim_start();
            if trimmed.starts_with('{') && trimmed.contains("xarf_version") {
                if let Ok(serde_json::Value::Object(m)) =
                    serde_json::from_str::<serde_json::Value>(trimmed)
                {
                    found = true;
                    self.finish(v4::event_from_report(&m), body, src, 1, ctx, batch);
                }
            } else if legacy::looks_like_report(body_text) {
                found = true;
                self.finish(
                    legacy::event_from_yaml(body_text).map(v4::FromReport::mapped),
                    body,
                    src,
                    1,
                    ctx,
                    batch,
                );
            }
        }
        if !found {
            self.finish(
                Err("mail has no X-ARF report part (YAML or JSON)".into()),
                &src.data,
                src,
                1,
                ctx,
                batch,
            );
        }
    }
}

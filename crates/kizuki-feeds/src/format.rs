//! The formats kizuki reads, how an input's format is told, and one reader
//! over all of them.

use crate::FeedError;
use crate::batch::{Batch, ReadContext, Reject};
use crate::feodo::FeodoReader;
use crate::generic::GenericCsvReader;
use crate::input::Source;
use crate::intelmq::{IntelmqCsvReader, IntelmqReader, is_intelmq_header};
use crate::shadowserver::ShadowserverReader;
use crate::xarf::XarfReader;

/// An input format.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Format {
    /// Shadowserver CSV reports.
    Shadowserver,
    /// abuse.ch Feodo Tracker blocklists (CSV or JSON).
    Feodo,
    /// X-ARF reports (v4 JSON, legacy mail or YAML).
    Xarf,
    /// IntelMQ JSON lines (also kizuki's own event files).
    Intelmq,
    /// CSV whose header names IntelMQ fields (kizuki's CSV reports).
    IntelmqCsv,
    /// Any delimited file, with a mapping file.
    Csv,
}

impl Format {
    /// Every format, with its name.
    pub const ALL: &'static [(Format, &'static str)] = &[
        (Format::Shadowserver, "shadowserver"),
        (Format::Feodo, "feodo"),
        (Format::Xarf, "xarf"),
        (Format::Intelmq, "intelmq"),
        (Format::IntelmqCsv, "intelmq-csv"),
        (Format::Csv, "csv"),
    ];

    /// A format by name.
    pub fn from_name(name: &str) -> Result<Format, FeedError> {
        Format::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
            .ok_or_else(|| FeedError::NoSuchFormat {
                given: name.to_owned(),
                known: Format::names(),
            })
    }

    /// The format's name.
    pub fn name(self) -> &'static str {
        Format::ALL
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("?", |(_, n)| n)
    }

    /// The known names, comma separated.
    pub fn names() -> String {
        Format::ALL
            .iter()
            .map(|(_, n)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Every reader, configured, with the format chosen per input: fixed, or
/// told from the file name and content.
#[derive(Clone, Debug, Default)]
pub struct Reader {
    fixed: Option<Format>,
    /// The Shadowserver reader (its schema, report type and options).
    pub shadowserver: ShadowserverReader,
    /// The Feodo Tracker reader.
    pub feodo: FeodoReader,
    /// The X-ARF reader.
    pub xarf: XarfReader,
    /// The IntelMQ JSON lines reader.
    pub intelmq: IntelmqReader,
    /// The IntelMQ-keyed CSV reader.
    pub intelmq_csv: IntelmqCsvReader,
    /// The generic CSV reader, when a mapping was given.
    pub generic: Option<GenericCsvReader>,
}

impl Reader {
    /// A reader that always reads `format`, with default settings.
    pub fn new(format: Format) -> Reader {
        Reader {
            fixed: Some(format),
            ..Reader::default()
        }
    }

    /// A reader that tells the format of each input (see [`Reader::detect`]).
    pub fn auto() -> Reader {
        Reader::default()
    }

    /// Fixes the format. By default it is told per input.
    pub fn format(mut self, f: Option<Format>) -> Self {
        self.fixed = f;
        self
    }

    /// The format of an input: the fixed one, else a generic mapping if one
    /// was given, else told from the file name (Shadowserver's
    /// `YYYY-MM-DD-<type>-….csv`) and the first bytes.
    pub fn detect(&self, src: &Source) -> Result<Format, FeedError> {
        if let Some(f) = self.fixed {
            return Ok(f);
        }
        if self.generic.is_some() {
            return Ok(Format::Csv);
        }
        if let Some(t) = ShadowserverReader::report_type_of(&src.file_name)
            && self.shadowserver.schema().by_file_name(t).is_some()
        {
            return Ok(Format::Shadowserver);
        }
        sniff(&src.data).ok_or_else(|| FeedError::UnknownFormat {
            name: src.name.to_string(),
            known: Format::names(),
        })
    }

    /// Reads one input, handing batches to `sink` in input order.
    pub fn read(
        &self,
        src: &Source,
        ctx: &ReadContext,
        sink: &mut dyn FnMut(Batch),
    ) -> Result<Format, FeedError> {
        let f = self.detect(src)?;
        match f {
            Format::Shadowserver => self.shadowserver.read(src, ctx, sink)?,
            Format::Feodo => self.feodo.read(src, ctx, sink)?,
            Format::Xarf => self.xarf.read(src, ctx, sink)?,
            Format::Intelmq => self.intelmq.read(src, ctx, sink)?,
            Format::IntelmqCsv => self.intelmq_csv.read(src, ctx, sink)?,
            Format::Csv => match &self.generic {
                Some(g) => g.read(src, ctx, sink)?,
                None => {
                    return Err(FeedError::config(
                        src.name.to_string(),
                        "the csv format needs a mapping file (--mapping FILE); see examples/mappings/",
                    ));
                }
            },
        }
        Ok(f)
    }

    /// Reads one input held in memory (plain, gzip or zip) whole: its
    /// events as JSON lines, written directly where `ctx` writes JSON and
    /// made into events then written with `opts` where it does not, its
    /// refused rows, and the format of each source in it.
    pub fn read_bytes(
        &self,
        name: &str,
        file_name: &str,
        data: Vec<u8>,
        ctx: &ReadContext,
        opts: &kizuki_event::json::WriteOptions,
    ) -> Result<ReadBytes, FeedError> {
        let mut out = ReadBytes::default();
        for src in crate::input::from_bytes(name, file_name, data)? {
            let f = self.read(&src, ctx, &mut |b| {
                out.events.extend_from_slice(&b.encoded);
                for ev in &b.events {
                    kizuki_event::json::write_event(ev, &mut out.events, opts);
                }
                out.rejects.extend(b.rejects);
            })?;
            out.formats.push(f);
        }
        Ok(out)
    }
}

/// What [`Reader::read_bytes`] made of an input.
#[derive(Debug, Default)]
pub struct ReadBytes {
    /// The events, as JSON lines.
    pub events: Vec<u8>,
    /// The refused rows, in input order.
    pub rejects: Vec<Reject>,
    /// The format of each source (an archive holds several).
    pub formats: Vec<Format>,
}

/// Tells a format from the first bytes.
fn sniff(data: &[u8]) -> Option<Format> {
    let data = data.strip_prefix(b"\xef\xbb\xbf").unwrap_or(data);
    let head = &data[..data.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let t = text.trim_start();
    let has = |s: &str| text.contains(s);
    if t.starts_with('{') {
        return Some(if has("\"xarf_version\"") {
            Format::Xarf
        } else {
            Format::Intelmq
        });
    }
    if t.starts_with('[') {
        return if has("\"xarf_version\"") {
            Some(Format::Xarf)
        } else if has("\"ip_address\"") {
            Some(Format::Feodo)
        } else {
            None
        };
    }
    if (t.starts_with('#') && (has("Feodo") || has("first_seen")))
        || t.starts_with("\"first_seen_utc\"")
    {
        return Some(Format::Feodo);
    }
    let first = t.lines().next().unwrap_or("");
    if is_intelmq_header(first.as_bytes()) {
        return Some(Format::IntelmqCsv);
    }
    let header_like = first.split_once(':').is_some_and(|(k, _)| {
        !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    });
    if header_like && (has("X-XARF") || has("X-ARF") || has("Report-Type") || has("xarf_version")) {
        return Some(Format::Xarf);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats() {
        assert_eq!(
            sniff(b"{\"source.ip\": \"192.0.2.1\"}\n"),
            Some(Format::Intelmq)
        );
        assert_eq!(
            sniff(b"{\n \"xarf_version\": \"4.0.0\"}"),
            Some(Format::Xarf)
        );
        assert_eq!(
            sniff(b"[{\"ip_address\": \"1.2.3.4\"}]"),
            Some(Format::Feodo)
        );
        assert_eq!(
            sniff(b"####\n# abuse.ch Feodo Tracker\n"),
            Some(Format::Feodo)
        );
        assert_eq!(
            sniff(b"From: a@b\nX-XARF: PLAIN\n\nbody"),
            Some(Format::Xarf)
        );
        assert_eq!(sniff(b"ip,timestamp\n1.2.3.4,x\n"), None);
    }
}

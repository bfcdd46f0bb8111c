//! Report attachments: CSV (Shadowserver's, kizuki's own, or a plain
//! list), X-ARF v4 JSON, IntelMQ JSON lines, and zip or gzip archives of
//! them, read with the crate's own readers.

use super::charset;
use super::datetime::ZoneChoice;
use super::iplist;
use super::notice::{AttachmentInfo, ReportSource, Reported};
use super::options::MailOptions;
use crate::batch::{Batch, ReadContext};
use crate::format::Format;
use crate::input::{self, Source};
use crate::shadowserver::ShadowserverReader;
use kizuki_event::{Event, Timestamp};

/// Rejected rows listed one by one in the problems; the rest are counted.
const MAX_LISTED: usize = 20;

/// What one attachment gave.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// What the notice lists about it.
    pub info: AttachmentInfo,
    /// Events read.
    pub events: Vec<Event>,
    /// Reports made from them.
    pub reports: Vec<Reported>,
    /// Rejected rows and other problems.
    pub problems: Vec<String>,
}

/// What to read attachments with.
pub(crate) struct Ctx<'a> {
    /// The options.
    pub opts: &'a MailOptions,
    /// The zone for naive times in plain lists.
    pub zone: &'a ZoneChoice,
    /// The observation time of events.
    pub observation: Timestamp,
}

/// The report of an event with an address.
pub(crate) fn report_of(ev: &Event, fallback_name: &str) -> Option<Reported> {
    let address = ev.source_ip()?;
    let (name, line) = match ev.origin() {
        Some(o) => (o.file.to_string(), o.line),
        None => (fallback_name.to_owned(), 0),
    };
    Some(Reported {
        address: address.to_canonical(),
        port: ev.source_port(),
        time: ev.time_source().map(Timestamp::as_micros),
        time_end: None,
        time_text: None,
        zone: ev.time_source().map(|_| "UTC".to_owned()),
        malware: ev.malware_name().map(str::to_owned),
        destination: ev.destination_ip(),
        destination_port: ev.destination_port(),
        source: ReportSource::Attachment { name, line },
    })
}

fn looks_binary(data: &[u8]) -> bool {
    data[..data.len().min(4096)].contains(&0)
}

/// A Shadowserver CSV that is not named the Shadowserver way: its report
/// type, guessed from the header.
fn shadowserver_type(data: &[u8]) -> Option<&'static str> {
    let first = data.split(|&c| c == b'\n').next()?;
    let head = String::from_utf8_lossy(first).to_lowercase();
    let cols: Vec<&str> = head
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let has = |c: &str| cols.contains(&c);
    if !has("timestamp") || !(has("src_ip") || has("ip")) || !(has("infection") || has("src_port"))
    {
        return None;
    }
    Some(if has("http_host") || has("http_agent") {
        "event4_sinkhole_http"
    } else {
        "event4_sinkhole"
    })
}

/// Reads one input with a crate reader, collecting events and rejects.
fn run(
    read: impl FnOnce(&mut dyn FnMut(Batch)) -> Result<(), crate::FeedError>,
    out: &mut Outcome,
    rejects: &mut Vec<String>,
) {
    let mut sink = |b: Batch| {
        out.events.extend(b.events);
        out.info.rejects += b.rejects.len();
        for r in b.rejects {
            rejects.push(format!("{} line {}: {}", r.file, r.line, r.reason));
        }
    };
    if let Err(e) = read(&mut sink) {
        out.problems.push(e.to_string());
    }
}

/// Reads one decompressed input; returns how it was read.
fn read_source(
    src: &mut Source,
    charset_label: Option<&str>,
    ctx: &Ctx<'_>,
    out: &mut Outcome,
    rejects: &mut Vec<String>,
) -> Option<String> {
    if looks_binary(&src.data) {
        return None;
    }
    if std::str::from_utf8(&src.data).is_err() {
        let d = charset::decode(&src.data, charset_label);
        if let Some(p) = d.problem {
            out.problems.push(format!("{}: {p}", src.name));
        }
        src.data = d.text.into_bytes().into();
    }
    let rc = ReadContext::new().observation(ctx.observation);
    let reader = ctx.opts.readers();
    match reader.detect(src) {
        Ok(Format::Feodo) => {
            out.problems.push(format!(
                "{}: a C2 list (Feodo Tracker), not a report of infected hosts; not read",
                src.name
            ));
            None
        }
        Ok(f) => {
            run(|sink| reader.read(src, &rc, sink).map(|_| ()), out, rejects);
            Some(f.name().to_owned())
        }
        Err(_) => {
            if let Some(t) = shadowserver_type(&src.data) {
                let ss: ShadowserverReader =
                    reader.shadowserver.clone().report_type(Some(t.to_owned()));
                run(|sink| ss.read(src, &rc, sink), out, rejects);
                return Some(Format::Shadowserver.name().to_owned());
            }
            let text = String::from_utf8_lossy(&src.data);
            let l = iplist::read(&src.name, &text, ctx.zone)?;
            out.events.extend(l.events);
            out.reports.extend(l.reports);
            out.problems.extend(l.problems);
            out.info.rejects += l.rejects;
            Some("ip-list".to_owned())
        }
    }
}

/// Reads an attachment that is not kizuki's JSON part nor a message.
pub(crate) fn read(
    name: &str,
    content_type: &str,
    charset_label: Option<&str>,
    bytes: Vec<u8>,
    ctx: &Ctx<'_>,
) -> Outcome {
    let mut out = Outcome {
        info: AttachmentInfo {
            name: name.to_owned(),
            content_type: content_type.to_owned(),
            size: bytes.len(),
            read_as: None,
            events: 0,
            rejects: 0,
        },
        events: Vec::new(),
        reports: Vec::new(),
        problems: Vec::new(),
    };
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("image/")
        || ct.starts_with("audio/")
        || ct.starts_with("video/")
        || ct == "application/pdf"
    {
        return out;
    }
    let sources = match input::from_bytes(name, name, bytes) {
        Ok(s) => s,
        Err(e) => {
            out.problems.push(e.to_string());
            return out;
        }
    };
    let mut rejects = Vec::new();
    let mut how: Vec<String> = Vec::new();
    for mut src in sources {
        let before = out.events.len();
        let listed = out.reports.len();
        if let Some(h) = read_source(&mut src, charset_label, ctx, &mut out, &mut rejects) {
            if !how.contains(&h) {
                how.push(h);
            }
            // Lists made their reports; the crate readers' events make
            // theirs here.
            if out.reports.len() == listed {
                let made: Vec<Reported> = out.events[before..]
                    .iter()
                    .filter_map(|e| report_of(e, &src.name))
                    .collect();
                let without = out.events[before..].len() - made.len();
                if without > 0 {
                    out.problems.push(format!(
                        "{}: {without} event(s) have no source.ip and give no report",
                        src.name
                    ));
                }
                out.reports.extend(made);
            }
        }
    }
    if rejects.len() > MAX_LISTED {
        let more = rejects.len() - MAX_LISTED;
        rejects.truncate(MAX_LISTED);
        rejects.push(format!("{name}: … and {more} more rejected record(s)"));
    }
    out.problems.extend(rejects);
    out.info.events = out.events.len();
    out.info.read_as = (!how.is_empty()).then(|| how.join("+"));
    let report_like = ct == "text/csv"
        || ct == "application/json"
        || [".csv", ".json", ".jsonl", ".zip", ".gz"]
            .iter()
            .any(|e| name.to_ascii_lowercase().ends_with(e));
    if out.info.read_as.is_none() && report_like {
        out.problems.push(format!(
            "{name}: not a report kizuki knows (CSV, X-ARF, IntelMQ JSON, address list)"
        ));
    }
    out
}

//! What the fuzz targets share: each reader is run on the fuzzer's bytes
//! every way it can be read, and anything but a clean result or an error
//! for the input (a panic, a reject that names a line the input does not
//! have, two ways that read differently) stops the fuzzer.

use kizuki_event::{Timestamp, json};
use kizuki_feeds::generic::GenericCsvReader;
use kizuki_feeds::{ReadBytes, ReadContext, Reader};
use std::sync::OnceLock;

/// Lines in `data`, as a reader numbers them (a last line without a
/// newline counts).
pub fn line_count(data: &[u8]) -> u64 {
    let n = memchr_count(data) as u64;
    if data.last().is_some_and(|&b| b != b'\n') {
        n + 1
    } else {
        n
    }
}

/// Every refusal (line, reason) names a line of `data`.
fn lines_exist<'a>(data: &[u8], refusals: impl Iterator<Item = (u64, &'a str)>) {
    let lines = line_count(data).max(1);
    for (line, reason) in refusals {
        assert!(
            line >= 1 && line <= lines,
            "line {line} is named ({reason}) but the input has {lines} lines"
        );
    }
}

fn memchr_count(data: &[u8]) -> usize {
    data.iter().filter(|&&b| b == b'\n').count()
}

/// File names that steer the feed reader's detection: Shadowserver
/// reports of the built-in mapping, Feodo Tracker, X-ARF, IntelMQ, and a
/// name that says nothing.
pub const FEED_NAMES: &[&str] = &[
    "2021-02-22-event4_sinkhole-jp-geo.csv",
    "2021-02-22-event4_sinkhole_http-jp-geo.csv",
    "2021-02-22-event6_sinkhole-jp-geo.csv",
    "2021-02-22-event4_sinkhole_http_referer-jp-geo.csv",
    "2021-02-22-event4_microsoft_sinkhole_http-jp-geo.csv",
    "2021-02-22-botnet_drone-jp-geo.csv",
    "ipblocklist.csv",
    "ipblocklist.json",
    "report.xarf.json",
    "report.eml",
    "events.jsonl",
    "police-emotet.csv",
    "input",
];

/// The mapping of the 2021 Emotet lists' shape (`ip,timestamp`), as the
/// generic reader's tests use it.
const GENERIC: &str = include_str!("../../crates/kizuki-feeds/tests/data/csv/police-emotet.toml");

/// The readers, made once: building the built-in mapping each time would
/// cost most of a run.
static READERS: OnceLock<Readers> = OnceLock::new();

struct Readers {
    /// Tells the format; Shadowserver by the built-in mapping, or by the
    /// schema when there is one.
    auto: Reader,
    /// With the generic `ip,timestamp` mapping.
    generic: Reader,
    /// With `KIZUKI_FUZZ_SCHEMA`: the names of the CSV files beside the
    /// schema (the shared samples), in byte order, which the first byte
    /// picks from instead of [`FEED_NAMES`].
    schema: Option<Vec<String>>,
}

impl Readers {
    fn new() -> Readers {
        let mut generic = Reader::auto();
        generic.generic = Some(GenericCsvReader::from_toml("police", GENERIC).expect("a mapping"));
        let mut auto = Reader::auto();
        let schema = std::env::var_os("KIZUKI_FUZZ_SCHEMA").map(|path| {
            let path = std::path::PathBuf::from(path);
            let schema = kizuki_feeds::shadowserver::Schema::load(&path)
                .expect("KIZUKI_FUZZ_SCHEMA names a schema");
            auto.shadowserver = kizuki_feeds::shadowserver::ShadowserverReader::new(schema.into());
            let dir = path.parent().expect("a directory");
            let mut names: Vec<String> = std::fs::read_dir(dir)
                .expect("the schema's directory")
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".csv"))
                .collect();
            names.sort();
            assert!(!names.is_empty(), "no CSV files beside the schema");
            names
        });
        Readers {
            auto,
            generic,
            schema,
        }
    }
}

/// What `reader` makes of `data`, written directly or made into events
/// first.
/// With `pieces`, on two threads, the input cut into pieces of that many
/// bytes.
fn read_feed(
    reader: &Reader,
    name: &str,
    data: &[u8],
    direct: bool,
    pieces: Option<usize>,
) -> Result<ReadBytes, String> {
    let observation = Timestamp::parse_iso("2026-01-01T00:00:00+00:00").expect("a time");
    let opts = json::WriteOptions::default();
    let mut ctx = ReadContext::new().threads(1).observation(observation);
    if direct {
        ctx = ctx.json(opts.clone());
    }
    if let Some(n) = pieces {
        ctx = ctx.threads(2).piece_bytes(n);
    }
    reader
        .read_bytes(name, name, data.to_vec(), &ctx, &opts)
        .map_err(|e| e.to_string())
}

/// The feed reader on `data`, named by its first byte: events written
/// directly and events made then written must agree, and every refusal
/// must name a line of the input.
pub fn feeds(data: &[u8]) {
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let readers = READERS.get_or_init(Readers::new);
    let (name, reader) = match &readers.schema {
        Some(names) => (names[pick as usize % names.len()].as_str(), &readers.auto),
        None => {
            let name = FEED_NAMES[pick as usize % FEED_NAMES.len()];
            let reader = if name == "police-emotet.csv" {
                &readers.generic
            } else {
                &readers.auto
            };
            (name, reader)
        }
    };
    let direct = read_feed(reader, name, data, true, None);
    let general = read_feed(reader, name, data, false, None);
    same(&direct, &general, "written directly and made then written");
    // Pieces of 97 bytes on two threads: row and quote boundaries fall
    // between pieces.
    let split = read_feed(reader, name, data, true, Some(97));
    same(&direct, &split, "one thread and small pieces");
    let Ok(read) = direct else {
        return;
    };
    round_trip(&read.events);
    // An archive's members have lines of their own.
    if !(data.starts_with(&[0x1f, 0x8b]) || data.starts_with(b"PK")) {
        lines_exist(data, read.rejects.iter().map(|r| (r.line, &*r.reason)));
    }
}

/// Two ways of reading one input give the same events and refusals, or
/// both fail.
fn same(a: &Result<ReadBytes, String>, b: &Result<ReadBytes, String>, ways: &str) {
    match (a, b) {
        (Ok(a), Ok(b)) => assert!(
            a.events == b.events && a.rejects == b.rejects,
            "{ways} differ:\n{}\n{:?}\n---\n{}\n{:?}",
            String::from_utf8_lossy(&a.events),
            a.rejects,
            String::from_utf8_lossy(&b.events),
            b.rejects
        ),
        (Err(_), Err(_)) => {}
        _ => panic!("{ways}: one read the input and the other did not: {a:?} / {b:?}"),
    }
}

/// A mail notice as the enterprise intake reads it.
pub fn mail_notice(data: &[u8]) {
    let opts = kizuki_feeds::mail::MailOptions::new()
        .observation(Timestamp::parse_iso("2021-03-01T00:00:00Z").ok());
    let _ = kizuki_feeds::mail::parse_notice(data, &opts);
}

/// A delivery status notification (bounce).
pub fn dsn(data: &[u8]) {
    let _ = kizuki_notify::dsn::parse(data);
}

/// An EmoCheck report, text or JSON, in any Windows encoding.
pub fn emocheck(data: &[u8]) {
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let name = match pick % 3 {
        0 => None,
        1 => Some("20210301122033_DESKTOP-PC01_emocheck.txt"),
        _ => Some("DESKTOP-PC01_20210301122033_emocheck.json"),
    };
    let _ = kizuki_cases::emocheck::parse(data, name);
}

/// An assignment log, its format named by the first byte: read as
/// records, and (where the format has them) straight into compact rows,
/// which must hold as many rows and the same refusals and notes.
pub fn assignments(data: &[u8]) {
    use kizuki_attribution::Batch;
    use kizuki_attribution::readers::{self, Format, ReadOptions, Source};
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let format = Format::ALL[pick as usize % Format::ALL.len()];
    let mut opts = ReadOptions::new().year(Some(2021));
    if matches!(
        format,
        Format::PbaJuniper | Format::PbaA10 | Format::PbaNfware | Format::RadiusDetail
    ) {
        opts = opts.tz(jiff::tz::TimeZone::get("Asia/Tokyo").expect("a zone"));
    }
    let name = "input.log";
    let src = Source::from_bytes(name, data.to_vec());
    let whole = readers::read(format, &src, &opts);
    let named = whole
        .rejects
        .iter()
        .chain(whole.notes.iter().map(|(_, l)| l));
    for r in named.clone() {
        assert_eq!(r.file, name, "{}", r.reason);
    }
    lines_exist(data, named.map(|r| (r.line, &*r.reason)));
    if !matches!(
        format,
        Format::PbaJuniper | Format::PbaA10 | Format::PbaNfware | Format::RadiusDetail
    ) {
        return;
    }
    let (batch, out) = Batch::read(format, &src, &opts).expect("compact rows");
    let seen = |o: &readers::ReadOutput| {
        format!(
            "{:?}",
            (&o.rejects, &o.notes, o.read, o.syslog_end, o.syslog_start)
        )
    };
    assert!(
        batch.len() == whole.records.len() && seen(&out) == seen(&whole),
        "compact rows differ from records: {} rows against {} records\n{}\n{}",
        batch.len(),
        whole.records.len(),
        seen(&out),
        seen(&whole)
    );
}

/// A flow or NAT log, its format named by the first byte: every line is
/// a flow, a refusal or skipped, and refusals name lines of the input.
pub fn flows(data: &[u8]) {
    use kizuki_flows::{Collect, FlowFormat, ReadOptions};
    use std::sync::Arc;
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let spec = ["nfdump", "zeek", "srx", "fortigate"][pick as usize % 4];
    let format = FlowFormat::from_spec(spec).expect("a format");
    let ro = ReadOptions::new().year(Some(2021));
    let name: Arc<str> = "input.log".into();
    let mut sink = Collect::default();
    let Ok(summary) = format.read(std::io::Cursor::new(data), &name, &ro, &mut sink) else {
        return;
    };
    assert_eq!(
        summary.lines,
        summary.flows + summary.rejected + summary.skipped,
        "lines are not flows, refusals and skipped lines: {summary:?}"
    );
    assert_eq!(summary.flows, sink.flows.len() as u64);
    assert_eq!(summary.rejected, sink.rejects.len() as u64);
    lines_exist(data, sink.rejects.iter().map(|r| (r.line, &*r.reason)));
}

/// kizuki's JSON lines, read back as IntelMQ JSON and written again, are
/// the same bytes: the round trip loses nothing.
fn round_trip(events: &[u8]) {
    static INTELMQ: OnceLock<Reader> = OnceLock::new();
    let reader = INTELMQ.get_or_init(|| Reader::new(kizuki_feeds::Format::Intelmq));
    if events.is_empty() {
        return;
    }
    let again = read_feed(reader, "events.jsonl", events, true, None)
        .unwrap_or_else(|e| panic!("kizuki's own events cannot be read back: {e}"));
    assert!(
        again.rejects.is_empty() && again.events == events,
        "the round trip changed the events:\n{}\n---\n{}\n{:?}",
        String::from_utf8_lossy(events),
        String::from_utf8_lossy(&again.events),
        again.rejects
    );
}

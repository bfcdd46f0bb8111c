//! Broken input is normal input: none of these may panic, each bad row gets
//! a reason with its line, and the good rows are kept.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_event::{Event, Timestamp};
use kizuki_feeds::generic::GenericCsvReader;
use kizuki_feeds::shadowserver::ShadowserverReader;
use kizuki_feeds::{Format, ReadContext, Reader, Reject, input};

const HEADER: &str = "\"timestamp\",\"protocol\",\"src_ip\",\"src_port\",\"src_asn\",\"infection\"";

fn row(ts: &str, ip: &str, port: &str) -> String {
    format!("\"{ts}\",\"tcp\",\"{ip}\",{port},4713,\"emotet\"")
}

struct Out {
    events: Vec<Event>,
    rejects: Vec<Reject>,
}

fn read_with(reader: &Reader, file_name: &str, data: &[u8], threads: usize) -> Out {
    let mut out = Out {
        events: Vec::new(),
        rejects: Vec::new(),
    };
    for src in input::from_bytes(file_name, file_name, data.to_vec()).unwrap() {
        reader
            .read(
                &src,
                &ReadContext::new()
                    .threads(threads)
                    .observation(Timestamp::EPOCH),
                &mut |b| {
                    out.events.extend(b.events);
                    out.rejects.extend(b.rejects);
                },
            )
            .unwrap();
    }
    out
}

fn sinkhole(data: &str) -> Out {
    read_with(
        &Reader::new(Format::Shadowserver),
        "2021-02-22-event4_sinkhole-jp.csv",
        data.as_bytes(),
        1,
    )
}

fn ips(out: &Out) -> Vec<String> {
    out.events
        .iter()
        .map(|e| e.source_ip().map(|i| i.to_string()).unwrap_or_default())
        .collect()
}

#[test]
fn truncated_file_keeps_the_rows_before_the_cut() {
    let good = row("2021-02-22 01:00:00", "192.0.2.1", "1111");
    let cut = &row("2021-02-22 01:00:01", "192.0.2.2", "2222")[..30];
    let out = sinkhole(&format!("{HEADER}\n{good}\n{cut}"));
    assert_eq!(ips(&out), ["192.0.2.1"]);
    assert_eq!(out.rejects.len(), 1);
    assert_eq!(out.rejects[0].line, 3);
    assert!(
        out.rejects[0].reason.contains("truncated"),
        "{}",
        out.rejects[0].reason
    );
    assert_eq!(out.rejects[0].raw, cut.as_bytes());
}

#[test]
fn truncated_gzip_is_a_clear_error() {
    use std::io::Write;
    let mut gz = flate2_writer();
    gz.write_all(
        format!(
            "{HEADER}\n{}\n",
            row("2021-02-22 01:00:00", "192.0.2.1", "1")
        )
        .repeat(1000)
        .as_bytes(),
    )
    .unwrap();
    let bytes = gz.finish().unwrap();
    let cut = &bytes[..bytes.len() / 2];
    let err = input::from_bytes("x.csv.gz", "x.csv.gz", cut.to_vec()).unwrap_err();
    assert!(err.to_string().contains("damaged gzip"), "{err}");
}

fn flate2_writer() -> flate2::write::GzEncoder<Vec<u8>> {
    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast())
}

#[test]
fn changed_header_columns_are_mapped_by_name() {
    // Reordered columns give the same events.
    let a = sinkhole(&format!(
        "{HEADER}\n{}\n",
        row("2021-02-22 01:00:00", "192.0.2.1", "1111")
    ));
    let reordered = "\"infection\",\"src_port\",\"src_ip\",\"timestamp\",\"src_asn\",\"protocol\"\n\"emotet\",1111,\"192.0.2.1\",\"2021-02-22 01:00:00\",4713,\"tcp\"\n";
    let b = sinkhole(reordered);
    let strip = |e: &Event| {
        let mut e = e.clone();
        e.remove(kizuki_event::Field::Raw);
        e.set_origin(None);
        e
    };
    assert_eq!(
        a.events.iter().map(strip).collect::<Vec<_>>(),
        b.events.iter().map(strip).collect::<Vec<_>>()
    );

    // A renamed required column refuses every row, saying which column.
    let renamed = HEADER.replace("src_ip", "source_ip");
    let out = sinkhole(&format!(
        "{renamed}\n{}\n{}\n",
        row("2021-02-22 01:00:00", "192.0.2.1", "1"),
        row("2021-02-22 01:00:00", "192.0.2.2", "2")
    ));
    assert!(out.events.is_empty());
    assert_eq!(out.rejects.len(), 2);
    assert!(
        out.rejects[0]
            .reason
            .contains("\"src_ip\" is not in the header"),
        "{}",
        out.rejects[0].reason
    );

    // A new, unknown column is kept under extra.
    let out = sinkhole(&format!(
        "{HEADER},\"brand_new\"\n{},\"x\"\n",
        row("2021-02-22 01:00:00", "192.0.2.1", "1")
    ));
    assert_eq!(
        out.events[0]
            .extra()
            .get("brand_new")
            .and_then(|v| v.as_str()),
        Some("x")
    );
}

#[test]
fn quote_that_never_closes() {
    let good1 = row("2021-02-22 01:00:00", "192.0.2.1", "1");
    let bad = "\"2021-02-22 01:00:01\",\"tcp\",\"192.0.2.2,2,4713,\"emotet\"";
    let good2 = row("2021-02-22 01:00:02", "192.0.2.3", "3");
    let good3 = row("2021-02-22 01:00:03", "192.0.2.4", "4");
    let out = sinkhole(&format!("{HEADER}\n{good1}\n{bad}\n{good2}\n{good3}\n"));
    // The bad line is refused on its own; the lines it swallowed are read.
    assert_eq!(ips(&out), ["192.0.2.1", "192.0.2.3", "192.0.2.4"]);
    assert_eq!(out.rejects.len(), 1);
    assert_eq!(out.rejects[0].line, 3);
    assert!(
        out.rejects[0].reason.contains("quote"),
        "{}",
        out.rejects[0].reason
    );
    assert_eq!(out.rejects[0].raw, bad.as_bytes());
}

#[test]
fn invalid_addresses_ports_and_times() {
    let rows = [
        row("2021-02-22 01:00:00", "192.0.2.1", "1"),
        row("2021-02-22 01:00:00", "192.0.2.300", "2"),
        row("2021-02-22 01:00:00", "192.0.2.3", "65536"),
        row("2021-02-22 01:00:00", "192.0.2.4", "-1"),
        row("22/02/2021 at noon", "192.0.2.5", "5"),
        row("", "192.0.2.6", "6"),
        row("2021-02-22 01:00:00", "192.0.2.7", "7"),
    ];
    let out = sinkhole(&format!("{HEADER}\n{}\n", rows.join("\n")));
    // IntelMQ keeps a row whose address does not validate and moves the value
    // to extra; ports and times that do not convert refuse the row.
    assert_eq!(ips(&out), ["192.0.2.1", "", "192.0.2.7"]);
    assert_eq!(
        out.events[1].extra().get("src_ip").and_then(|v| v.as_str()),
        Some("192.0.2.300")
    );
    let lines: Vec<u64> = out.rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, [4, 5, 6, 7]);
    for r in &out.rejects {
        assert!(r.reason.starts_with("required column"), "{}", r.reason);
    }
    // With --strict-required the bad address is refused too.
    let mut strict = Reader::new(Format::Shadowserver);
    strict.shadowserver = ShadowserverReader::default().strict_required(true);
    let out = read_with(
        &strict,
        "2021-02-22-event4_sinkhole-jp.csv",
        format!("{HEADER}\n{}\n", rows.join("\n")).as_bytes(),
        1,
    );
    assert_eq!(ips(&out), ["192.0.2.1", "192.0.2.7"]);
    assert!(
        out.rejects[0]
            .reason
            .contains("\"192.0.2.300\" is not a valid source.ip"),
        "{}",
        out.rejects[0].reason
    );
}

#[test]
fn times_with_no_zone_are_refused_where_no_zone_is_declared() {
    // IntelMQ JSON carries zones; a naive time is an error there.
    let data = b"{\"source.ip\": \"192.0.2.1\", \"time.source\": \"2021-02-22T01:00:00+00:00\"}\n{\"source.ip\": \"192.0.2.2\", \"time.source\": \"2021-02-22 01:00:00\"}\n";
    let out = read_with(&Reader::new(Format::Intelmq), "e.jsonl", data, 1);
    assert_eq!(ips(&out), ["192.0.2.1"]);
    assert_eq!(out.rejects[0].line, 2);
    assert!(
        out.rejects[0].reason.contains("zone"),
        "{}",
        out.rejects[0].reason
    );
}

#[test]
fn bytes_that_are_not_utf8() {
    let good = row("2021-02-22 01:00:00", "192.0.2.1", "1");
    let mut data = format!("{HEADER}\n{good}\n").into_bytes();
    data.extend_from_slice(
        b"\"2021-02-22 01:00:00\",\"tcp\",\"192.0.2.2\",2,4713,\"emo\xfftet\"\n",
    );
    data.extend_from_slice(
        format!("{}\n", row("2021-02-22 01:00:00", "192.0.2.3", "3")).as_bytes(),
    );
    let out = read_with(
        &Reader::new(Format::Shadowserver),
        "2021-02-22-event4_sinkhole-jp.csv",
        &data,
        1,
    );
    assert_eq!(ips(&out), ["192.0.2.1", "192.0.2.3"]);
    assert_eq!(out.rejects[0].line, 3);
    assert!(out.rejects[0].reason.contains("UTF-8"));
    assert!(
        out.rejects[0].raw.contains(&0xff),
        "the raw bytes are kept as they were"
    );

    let out = read_with(
        &Reader::new(Format::Intelmq),
        "e.jsonl",
        b"{\"comment\": \"\xff\"}\n{\"comment\": \"ok\"}\n",
        1,
    );
    assert_eq!(out.events.len(), 1);
    assert_eq!(out.rejects[0].line, 1);
}

/// A JSON blocklist cut short after a line break: the refusal names the
/// file's last line, not the one after it.
#[test]
fn a_json_blocklist_cut_short_names_its_last_line() {
    let data = b"[\n  {\"ip_address\": \"192.0.2.1\",\n   \"port\": 443,\n";
    let out = read_with(&Reader::new(Format::Feodo), "ipblocklist.json", data, 1);
    assert!(out.events.is_empty());
    assert_eq!(out.rejects.len(), 1);
    assert_eq!(out.rejects[0].line, 3, "{}", out.rejects[0].reason);
    assert!(
        out.rejects[0].reason.contains("ends before"),
        "{}",
        out.rejects[0].reason
    );
}

#[test]
fn empty_files() {
    for (reader, name) in [
        (
            Reader::new(Format::Shadowserver),
            "2021-02-22-event4_sinkhole-jp.csv",
        ),
        (Reader::new(Format::Intelmq), "e.jsonl"),
        (Reader::new(Format::Feodo), "ipblocklist.csv"),
        (Reader::new(Format::Xarf), "r.json"),
    ] {
        for data in [&b""[..], b"\n\n", b"   "] {
            let out = read_with(&reader, name, data, 2);
            assert!(out.events.is_empty(), "{name}");
        }
    }
    // A header and nothing else.
    let out = sinkhole(&format!("{HEADER}\n"));
    assert!(out.events.is_empty() && out.rejects.is_empty());
}

#[test]
fn a_100_mb_single_line() {
    let big = "x".repeat(100 << 20);
    // One huge field in a Shadowserver row: the row is read, the value kept.
    let data = format!(
        "{HEADER},\"blob\"\n{},\"{big}\"\n{}\n",
        row("2021-02-22 01:00:00", "192.0.2.1", "1"),
        row("2021-02-22 01:00:01", "192.0.2.2", "2")
    );
    let out = read_with(
        &Reader::new(Format::Shadowserver),
        "2021-02-22-event4_sinkhole-jp.csv",
        data.as_bytes(),
        2,
    );
    assert_eq!(out.events.len(), 2);
    assert_eq!(
        out.events[0]
            .extra()
            .get("blob")
            .and_then(|v| v.as_str())
            .map(str::len),
        Some(100 << 20)
    );
    // The second row lacks the blob column: short rows are read.
    assert!(out.rejects.is_empty());
    drop(out);

    // A 100 MB line with no line break at all.
    let out = read_with(&Reader::new(Format::Intelmq), "e.jsonl", big.as_bytes(), 2);
    assert!(out.events.is_empty());
    assert_eq!(out.rejects.len(), 1);
    assert!(out.rejects[0].reason.starts_with("not JSON"));

    let mapping = "[columns]\nip = \"source.ip\"\n";
    let mut r = Reader::auto();
    r.generic = Some(GenericCsvReader::from_toml("m.toml", mapping).unwrap());
    let out = read_with(
        &r,
        "list.csv",
        format!("ip\n{big}\n192.0.2.9\n").as_bytes(),
        2,
    );
    assert_eq!(ips(&out), ["192.0.2.9"]);
    assert_eq!(out.rejects.len(), 1);
}

#[test]
fn parallel_and_sequential_agree_on_broken_input() {
    // Large enough to be split into pieces, with a stray quote in the middle.
    let mut data = format!("{HEADER}\n");
    for i in 0..60_000u32 {
        if i == 30_000 {
            data.push_str("\"2021-02-22 01:00:00\",\"tcp\",\"192.0.2.2,2,4713,\"emotet\"\n");
        }
        data.push_str(&row(
            "2021-02-22 01:00:00",
            &format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255),
            &(i % 60000).to_string(),
        ));
        data.push('\n');
    }
    let one = read_with(
        &Reader::new(Format::Shadowserver),
        "2021-02-22-event4_sinkhole-jp.csv",
        data.as_bytes(),
        1,
    );
    let two = read_with(
        &Reader::new(Format::Shadowserver),
        "2021-02-22-event4_sinkhole-jp.csv",
        data.as_bytes(),
        2,
    );
    assert_eq!(one.events.len(), 60_000);
    assert_eq!(one.rejects.len(), 1);
    assert_eq!(one.rejects[0].line, 30_002);
    // (Not assert_eq: a failure would print 60,000 events.)
    assert!(
        one.events == two.events,
        "one thread and two give different events"
    );
    assert!(
        one.rejects == two.rejects,
        "one thread and two give different rejects"
    );
}

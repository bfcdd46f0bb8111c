//! The compiled writer for plain rows must give exactly what the general
//! path gives: the same JSON bytes and the same refused rows, on rows full of
//! values that are not plain (empty markers, invalid addresses, ports out of
//! range, odd times, non-ASCII text, short and long rows).
//!
//! Inputs: synthetic reports of every kind `gen feed` makes, the fixtures in
//! `tests/data/shadowserver-kizuki/`, and (when present) every sample in
//! `../shared/samples/shadowserver/` read with Shadowserver's schema. Each is
//! read as it is and with its values scrambled.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use kizuki_event::{Field, Timestamp, json};
use kizuki_feeds::shadowserver::{Schema, ShadowserverReader};
use kizuki_feeds::synth::{FeedKind, Synth};
use kizuki_feeds::{ReadContext, Reject, input};
use std::path::Path;
use std::sync::Arc;

/// Values that are not plain somewhere, and plain ones of every kind.
const HOSTILE: &[&str] = &[
    "",
    "-",
    "N/A",
    "0",
    "unknown",
    " padded",
    "padded ",
    "\ttab",
    "0.0.0.0",
    "1.2.3",
    "01.2.3.4",
    "192.0.2.1",
    "192.0.2.1/32",
    "2001:DB8::1",
    "3232235777",
    "65535",
    "65536",
    "-1",
    "+5",
    "007",
    "1_000",
    "4294967296",
    "1e3",
    "2021-02-22 18:32:07",
    "2021-02-30 00:00:00",
    "2021-02-22 18:32:60",
    "2021-02-22T18:32:07Z",
    "2021-02-22 18:32:07.5",
    "Mon, 22 Feb 2021 18:32:07 +0900",
    "東京",
    "Ärger",
    "say \"hi\"",
    "back\\slash",
    "jp",
    "JPN",
    "AS64496",
    "Emotet",
    "TCP",
    "tcp",
    "ICMP",
    "high",
    "MEDIUM",
    "nonsense",
    "http://example.com/x",
    "hxxp://evil.example/x",
    "GET /a/hxxps://b HTTP/1.1",
    "evil-hxxp.example",
    "example.com",
    "true",
    "N",
];

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The CSV with its values scrambled: most rows get one to three values
/// from [`HOSTILE`], some lose trailing fields or gain one.
fn scramble(data: &[u8], seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed | 1);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut wtr = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for (i, rec) in rdr.records().enumerate() {
        let Ok(rec) = rec else { continue };
        let mut fields: Vec<String> = rec.iter().map(str::to_owned).collect();
        if i > 0 && !fields.is_empty() {
            if rng.below(3) > 0 {
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(fields.len());
                    fields[at] = HOSTILE[rng.below(HOSTILE.len())].to_owned();
                }
            }
            match rng.below(40) {
                0 => {
                    let keep = fields.len() - 1 - rng.below(fields.len().min(4));
                    fields.truncate(keep.max(1));
                }
                1 => fields.push("surplus".into()),
                _ => {}
            }
        }
        wtr.write_record(&fields).unwrap();
    }
    wtr.into_inner().unwrap()
}

/// What a read gives: the JSON bytes and the refused rows.
fn read(
    reader: &ShadowserverReader,
    name: &str,
    data: &[u8],
    ctx: &ReadContext,
) -> (Vec<u8>, Vec<Reject>) {
    let src = input::from_bytes(name, name, data.to_vec())
        .unwrap()
        .remove(0);
    let mut out = Vec::new();
    let mut rejects = Vec::new();
    reader
        .read(&src, ctx, &mut |b| {
            assert!(b.events.is_empty());
            out.extend_from_slice(&b.encoded);
            rejects.extend(b.rejects);
        })
        .unwrap();
    (out, rejects)
}

/// Reads `data` both ways, in several settings, and compares. Returns the
/// number of events.
fn same_both_ways(reader: &ShadowserverReader, name: &str, data: &[u8]) -> usize {
    let observation = Timestamp::parse_iso("2026-01-01T00:00:00+00:00").unwrap();
    let contexts = [
        ReadContext::new()
            .observation(observation)
            .json(json::WriteOptions::default()),
        ReadContext::new()
            .threads(2)
            .observation(observation)
            .json(json::WriteOptions::default().origin(false))
            .defaults(vec![
                (Field::FeedCode, "jp-cert".into()),
                (Field::Tlp, "AMBER".into()),
                (Field::SourceGeolocationCc, "JP".into()),
            ])
            .unwrap(),
    ];
    let mut events = 0;
    for ctx in &contexts {
        let (fast, fast_rejects) = read(&reader.clone().fast_path(true), name, data, ctx);
        let (slow, slow_rejects) = read(&reader.clone().fast_path(false), name, data, ctx);
        let (fast, slow) = (
            String::from_utf8(fast).unwrap(),
            String::from_utf8(slow).unwrap(),
        );
        for (i, (f, s)) in fast.lines().zip(slow.lines()).enumerate() {
            assert_eq!(f, s, "{name}: event {i} differs (left: compiled writer)");
        }
        assert_eq!(fast.lines().count(), slow.lines().count(), "{name}: events");
        let key = |r: &Reject| (r.line, r.reason.clone(), r.raw.clone());
        assert_eq!(
            fast_rejects.iter().map(key).collect::<Vec<_>>(),
            slow_rejects.iter().map(key).collect::<Vec<_>>(),
            "{name}: refused rows"
        );
        events += fast.lines().count();
    }
    events
}

fn check_file(reader: &ShadowserverReader, name: &str, data: &[u8]) {
    same_both_ways(reader, name, data);
    for seed in [1, 2, 3] {
        same_both_ways(reader, name, &scramble(data, seed));
    }
}

#[test]
fn synthetic_reports_read_the_same_both_ways() {
    let reader = ShadowserverReader::default();
    for kind in [
        FeedKind::Sinkhole,
        FeedKind::SinkholeHttp,
        FeedKind::Sinkhole6,
    ] {
        let mut data = Vec::new();
        Synth::new(kind, 3000, 7)
            .bad_share(0.1)
            .write(&mut data)
            .unwrap();
        let name = kind.file_name("2021-02-22");
        let events = same_both_ways(&reader, &name, &data);
        assert!(events > 5000, "{name}: only {events} events");
        for seed in [11, 12] {
            same_both_ways(&reader, &name, &scramble(&data, seed));
        }
    }
}

#[test]
fn fixtures_read_the_same_both_ways() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shadowserver-kizuki");
    let reader = ShadowserverReader::default();
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "csv") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            check_file(&reader, &name, &std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 2);
}

#[test]
fn samples_read_the_same_both_ways() {
    let Some((dir, mut files)) = common::shadowserver_samples() else {
        return;
    };
    let schema = Arc::new(Schema::load(&dir.join("intelmq-schema.json")).unwrap());
    let reader = ShadowserverReader::new(schema);
    files.retain(|p| !p.to_string_lossy().contains("phish_url"));
    assert!(files.len() >= 90);
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        check_file(&reader, &name, &std::fs::read(&path).unwrap());
    }
}

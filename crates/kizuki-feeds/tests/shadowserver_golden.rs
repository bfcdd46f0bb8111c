//! Every Shadowserver sample in `../shared/samples/shadowserver/`, read with
//! Shadowserver's published schema, must give what IntelMQ 3.5.0 gives: the
//! same events field for field, and the same rows refused.
//!
//! The expected output in `tests/data/shadowserver/intelmq-3.5.0/` was made by
//! `bench/intelmq_shadowserver.py golden` (IntelMQ 3.5.0's parser in library
//! mode) and checked by hand; see the README there.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use kizuki_event::{Timestamp, json};
use kizuki_feeds::shadowserver::{Schema, ShadowserverReader};
use kizuki_feeds::{FeedError, ReadContext, input};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/shadowserver/intelmq-3.5.0")
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[test]
fn samples_match_intelmq() {
    let Some((dir, files)) = common::shadowserver_samples() else {
        return;
    };
    let schema = Arc::new(Schema::load(&dir.join("intelmq-schema.json")).unwrap());
    let reader = ShadowserverReader::new(schema);
    let observation = Timestamp::parse_iso("2026-01-01T00:00:00+00:00").unwrap();
    let opts = json::WriteOptions::default().origin(false);

    let mut compared = 0;
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        // Written directly as JSON and through events, on one thread and two.
        for (threads, direct) in [(1, true), (2, true), (1, false)] {
            let mut ctx = ReadContext::new().threads(threads).observation(observation);
            if direct {
                ctx = ctx.json(opts.clone());
            }
            let src = input::load(&path).unwrap().remove(0);
            let mut out = Vec::new();
            let mut rejects = Vec::new();
            let res = reader.read(&src, &ctx, &mut |b| {
                out.extend_from_slice(&b.encoded);
                for ev in &b.events {
                    json::write_event(ev, &mut out, &opts);
                }
                rejects.extend(b.rejects);
            });
            if stem == "phish_url" {
                // IntelMQ refuses the whole file: the schema has no such report.
                assert!(
                    matches!(res, Err(FeedError::UnknownReportType { .. })),
                    "{stem}: {res:?}"
                );
                continue;
            }
            res.unwrap();
            let want = lines(&golden_dir().join(format!("{stem}.jsonl")));
            let got: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
            let reasons: Vec<_> = rejects.iter().map(|r| (r.line, r.reason.clone())).collect();
            assert_eq!(
                got.len(),
                want.len(),
                "{stem}: number of events; refused: {reasons:?}"
            );
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                let g: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(g).unwrap();
                let w: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(w).unwrap();
                let diff: Vec<_> = g
                    .keys()
                    .chain(w.keys())
                    .filter(|k| g.get(*k) != w.get(*k))
                    .map(|k| format!("{k}: kizuki {:?} / IntelMQ {:?}", g.get(k), w.get(k)))
                    .collect();
                assert!(
                    diff.is_empty(),
                    "{stem}: event {i} differs:\n{}",
                    diff.join("\n")
                );
            }
            // Byte for byte too: same key order, separators and number forms.
            assert_eq!(got, want, "{stem}: serialization differs");

            let want_rejects = lines(&golden_dir().join(format!("{stem}.rejects")));
            let got_rejects: Vec<String> = rejects
                .iter()
                .map(|r| String::from_utf8_lossy(&r.raw).into_owned())
                .collect();
            assert_eq!(got_rejects, want_rejects, "{stem}: refused rows");
            for r in &rejects {
                assert!(
                    !r.reason.is_empty() && r.line > 1,
                    "{stem}: reject without reason or line"
                );
            }
            compared += 1;
        }
    }
    assert!(compared >= 270);
}

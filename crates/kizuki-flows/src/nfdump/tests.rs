#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::{NfdumpLayout, NfdumpReader};
use crate::options::ReadOptions;
use crate::parse::LocalClock;
use crate::sink::Collect;
use std::sync::Arc;

fn layout(h: &str) -> Result<NfdumpLayout, String> {
    NfdumpLayout::from_header(h.as_bytes(), LocalClock::new(jiff::tz::TimeZone::UTC))
}

#[test]
fn layouts_from_headers() {
    let l = layout("firstSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,packets,bytes,flows")
        .unwrap();
    assert_eq!(
        (l.name(), l.columns(), l.has_nat()),
        ("nfdump-1.7", 10, false)
    );
    let l = layout("cnt,af,firstSeen,lastSeen,proto,srcAddr,srcPort,dstAddr,dstPort,srcAS,dstAS,input,output,flags,srcTos,packets,bytes").unwrap();
    assert_eq!(l.name(), "nfdump-csv-fast");
    let l = layout("firstSeen,srcAddr,dstAddr,nsa,nsp").unwrap();
    assert!(l.has_nat());
    let e = layout("firstSeen,duration,proto,srcPort,dstAddr").unwrap_err();
    assert!(e.contains("source address"), "{e}");
}

#[test]
fn nothing_after_the_summary_is_a_flow() {
    let text = "ts,te,td,sa,da,sp,dp,pr\n\
                2021-02-22 10:15:20,2021-02-22 10:15:21,1.000,10.0.0.1,10.0.0.2,1,2,TCP\n\
                Summary\n\
                2021-02-22 10:15:20,2021-02-22 10:15:21,1.000,10.0.0.1,10.0.0.2,1,2,TCP\n\
                flows,bytes\n";
    let mut c = Collect::default();
    let s = NfdumpReader::default()
        .read(text.as_bytes(), &Arc::from("t"), &mut c)
        .unwrap();
    assert_eq!(
        (c.flows.len(), c.rejects.len(), s.skipped, s.lines),
        (1, 0, 4, 5)
    );
}

#[test]
fn an_empty_input_is_no_error() {
    let mut c = Collect::default();
    let s = NfdumpReader::default()
        .read(&b"\n\n"[..], &Arc::from("t"), &mut c)
        .unwrap();
    assert_eq!((s.lines, s.skipped, s.flows), (2, 2, 0));
}

#[test]
fn threads_number_lines_across_blocks() {
    // More than one block (4 MiB) of rows, with bad rows spread through it
    // and a trailer at the end: the threaded reader must give every flow
    // and reject the line the sequential reader gives.
    let mut text = String::from("ts,te,td,sa,da,sp,dp,pr\n");
    for i in 0..80_000u32 {
        if i % 9_999 == 7 {
            text.push_str("garbage\n");
        } else {
            text.push_str(&format!(
                "2021-02-22 10:{:02}:{:02},2021-02-22 10:{:02}:{:02},0.000,10.0.{}.{},198.51.100.7,{},443,TCP\n",
                i / 60 % 60, i % 60, i / 60 % 60, i % 60, i / 250 % 250, i % 250 + 1, 1024 + i % 60000
            ));
        }
    }
    text.push_str("Summary\nflows,bytes,packets\n1,2,3\n");
    let name: Arc<str> = "t".into();
    let r = NfdumpReader::new(ReadOptions::new());
    let mut seq = Collect::default();
    let s1 = r.read(text.as_bytes(), &name, &mut seq).unwrap();
    let (sinks, s2) = r
        .read_parallel(text.as_bytes(), &name, 2, Collect::default)
        .unwrap();
    let mut flows: Vec<_> = sinks.iter().flat_map(|s| s.flows.clone()).collect();
    let mut rejects: Vec<_> = sinks.iter().flat_map(|s| s.rejects.clone()).collect();
    flows.sort_by_key(|f| f.line);
    rejects.sort_by_key(|r| r.line);
    assert!(text.len() > 5 << 20);
    assert_eq!(seq.rejects.len(), 9);
    assert_eq!(flows, seq.flows);
    assert_eq!(rejects, seq.rejects);
    assert_eq!(s1, s2);
}

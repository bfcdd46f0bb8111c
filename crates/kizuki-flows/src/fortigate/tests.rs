#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::FortiGateReader;
use crate::options::ReadOptions;
use crate::sink::Collect;
use std::sync::Arc;

#[test]
fn eventtime_units_follow_its_size() {
    let text = "type=traffic eventtime=1613956533 srcip=10.0.0.1 dstip=10.0.0.2 proto=17 srcport=1 dstport=2\n\
                type=traffic eventtime=1613956533000 srcip=10.0.0.1 dstip=10.0.0.2 proto=17 srcport=1 dstport=2\n\
                type=traffic eventtime=1613956533000000 srcip=10.0.0.1 dstip=10.0.0.2 proto=17 srcport=1 dstport=2\n\
                type=traffic eventtime=1613956533000000000 srcip=10.0.0.1 dstip=10.0.0.2 proto=17 srcport=1 dstport=2\n";
    let mut c = Collect::default();
    FortiGateReader::new(ReadOptions::new())
        .read(text.as_bytes(), &Arc::from("t"), &mut c)
        .unwrap();
    assert_eq!(c.flows.len(), 4);
    assert!(c.flows.iter().all(|f| f.end == 1_613_956_533_000_000));
}

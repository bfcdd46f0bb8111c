#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::SrxReader;
use crate::options::ReadOptions;
use crate::sink::Collect;
use std::sync::Arc;

fn read(text: &str) -> Collect {
    let mut c = Collect::default();
    SrxReader::new(ReadOptions::new().year(Some(2021)))
        .read(text.as_bytes(), &Arc::from("t"), &mut c)
        .unwrap();
    c
}

#[test]
fn text_close_over_ipv6() {
    let c = read(
        "2021-02-22T10:00:10+00:00 fw RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP RST: \
         2001:db8:1::5/50000->2001:db8:ffff::7/443 0x0 junos-https 2001:db8:1::5/50000->2001:db8:ffff::7/443 0x0 \
         N/A N/A N/A N/A 6 allow trust untrust 99 3(300) 2(200) 10 UNKNOWN UNKNOWN N/A(N/A) ge-0/0/0.0 No\n",
    );
    assert!(c.rejects.is_empty(), "{:?}", c.rejects);
    let f = &c.flows[0];
    assert_eq!(f.dst.to_string(), "2001:db8:ffff::7");
    assert_eq!(f.src_port, Some(50000));
    assert_eq!(f.nat_src, None);
    assert_eq!(f.end - f.start, 10_000_000);
    assert_eq!((f.packets, f.bytes), (Some(5), Some(500)));
    assert_eq!(f.protocol.map(|p| p.0), Some(6));
}

#[test]
fn other_messages_are_skipped_not_rejected() {
    let c = read(
        "Feb 22 10:00:00 fw RT_FLOW: RT_FLOW_SESSION_UPDATE: foo\nFeb 22 10:00:00 fw sshd: hello\n",
    );
    assert!(c.flows.is_empty() && c.rejects.is_empty());
}

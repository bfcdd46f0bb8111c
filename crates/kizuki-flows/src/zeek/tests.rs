#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::ZeekReader;
use crate::options::ReadOptions;
use crate::sink::Collect;
use std::sync::Arc;

fn read(text: &str, opts: ReadOptions) -> Collect {
    let mut c = Collect::default();
    ZeekReader::new(opts)
        .read(text.as_bytes(), &Arc::from("t"), &mut c)
        .unwrap();
    c
}

#[test]
fn a_declared_separator_is_honoured() {
    let c = read(
        "#separator \\x2c\n#unset_field,-\n#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto\n\
         1613988920.5,10.0.1.5,51514,198.51.100.7,8080,tcp\n",
        ReadOptions::new(),
    );
    assert!(c.rejects.is_empty(), "{:?}", c.rejects);
    assert_eq!(c.flows[0].dst_port, Some(8080));
    assert_eq!(c.flows[0].start, 1_613_988_920_500_000);
}

#[test]
fn iso_times_without_a_zone_use_the_options_zone() {
    let c = read(
        r#"{"ts":"2021-02-22T19:15:20","id.orig_h":"10.0.1.5","id.resp_h":"198.51.100.7"}"#,
        ReadOptions::new().zone_name("Asia/Tokyo").unwrap(),
    );
    assert_eq!(c.flows[0].start, 1_613_988_920_000_000);
}

#[test]
fn rows_before_the_header_are_rejected() {
    let c = read("1613988920.5\t10.0.1.5\n", ReadOptions::new());
    assert_eq!(c.rejects.len(), 1);
    assert!(c.rejects[0].reason.contains("#fields"));
}

//! Notices by e-mail: golden files for every fixture in `tests/data/mail`
//! (see its README), what each fixture must give, and truncated and
//! damaged mail that must not make the reader panic.
//!
//! `KIZUKI_BLESS=1 cargo test -p kizuki-feeds --test mail` rewrites the
//! expected outputs; check every change by hand before committing it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_event::{Timestamp, Zone};
use kizuki_feeds::mail::{
    CodeSource, ForwardStyle, Language, MailNotice, MailOptions, NoticeKind, ReportSource, Status,
    parse_notice,
};
use std::path::{Path, PathBuf};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mail")
}

/// Options with a fixed observation time, so that events do not depend on
/// when the test runs.
fn opts() -> MailOptions {
    MailOptions::new().observation(Timestamp::parse_iso("2021-03-01T00:00:00Z").ok())
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    v.sort();
    v
}

fn read(name: &str) -> MailNotice {
    let raw = std::fs::read(data_dir().join(name)).unwrap();
    parse_notice(&raw, &opts())
}

fn iso(us: Option<i64>) -> String {
    us.and_then(Timestamp::from_micros)
        .map(|t| t.to_iso())
        .unwrap_or_default()
}

fn addresses(n: &MailNotice) -> Vec<String> {
    n.reports.iter().map(|r| r.address.to_string()).collect()
}

#[test]
fn golden_files() {
    let bless = std::env::var_os("KIZUKI_BLESS").is_some();
    let mut failed = Vec::new();
    let all = fixtures();
    assert!(all.len() >= 16, "fixtures missing: {all:?}");
    for path in all {
        let raw = std::fs::read(&path).unwrap();
        let notice = parse_notice(&raw, &opts());
        let got = serde_json::to_string_pretty(&notice).unwrap() + "\n";
        let expected_path = path.with_extension("expected.json");
        // What is written must read back as the same notice.
        let back: MailNotice = serde_json::from_str(&got).unwrap();
        let again = serde_json::to_string_pretty(&back).unwrap() + "\n";
        assert_eq!(again, got, "{} does not round-trip", path.display());
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != got {
            failed.push(format!(
                "{}: differs from {}\n--- got ---\n{got}",
                path.display(),
                expected_path.display()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn iso_2022_jp_notice() {
    let n = read("ja-iso2022jp.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(n.kind, NoticeKind::FreeText);
    assert_eq!(
        n.subject.as_deref(),
        Some("【重要】マルウェア感染のおそれに関するご連絡")
    );
    let from = n.from.as_ref().unwrap();
    assert_eq!(
        from.name.as_deref(),
        Some("エグザンプル光 サポートセンター")
    );
    assert_eq!(from.address.as_deref(), Some("abuse@isp.example"));
    assert_eq!(n.language, Some(Language::Ja));
    assert_eq!(addresses(&n), ["203.0.113.5"]);
    let r = &n.reports[0];
    assert_eq!(iso(r.time), "2021-02-22T01:15:23+00:00");
    assert_eq!(r.zone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(
        r.time_text.as_deref(),
        Some("２０２１年２月２２日　１０時１５分２３秒（日本時間）")
    );
    assert_eq!(r.malware.as_deref(), Some("emotet"));
    let code = n.code.as_ref().unwrap();
    assert_eq!(code.code, "EX-20210222-00042");
    assert_eq!(code.raw, "ＥＸ－２０２１０２２２－０００４２");
    assert!(!code.kizuki);
}

#[test]
fn shift_jis_notices() {
    let n = read("ja-sjis-base64.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(addresses(&n), ["203.0.113.17", "203.0.113.18"]);
    let (a, b) = (&n.reports[0], &n.reports[1]);
    assert_eq!(iso(a.time), "2021-02-22T01:00:00+00:00");
    assert_eq!(
        iso(a.time_end),
        "2021-02-22T01:30:00+00:00",
        "the range end is noted"
    );
    assert_eq!(a.port, Some(49152));
    assert_eq!(
        a.destination.map(|d| d.to_string()).as_deref(),
        Some("198.51.100.23")
    );
    assert_eq!(a.destination_port, Some(8080));
    assert_eq!(a.malware.as_deref(), Some("emotet"), "from the other block");
    assert_eq!(
        iso(b.time),
        "2021-02-22T04:05:00+00:00",
        "午後1時5分 in the Date's +09:00"
    );
    assert_eq!(b.zone.as_deref(), Some("+09:00"));
    assert_eq!(n.to[0].name.as_deref(), Some("総務部"));
    assert_eq!(n.code.as_ref().unwrap().code, "ISP-2021-00777");

    let n = read("ja-sjis-8bit.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(
        n.subject.as_deref(),
        Some("【重要】不正プログラム感染の可能性について"),
        "raw Shift_JIS in the header"
    );
    assert_eq!(
        n.from.as_ref().unwrap().name.as_deref(),
        Some("ＩＳＰ２運用センター")
    );
    assert_eq!(addresses(&n), ["203.0.113.33"]);
    assert_eq!(n.reports[0].zone.as_deref(), Some("+09:00"));
    assert_eq!(iso(n.reports[0].time), "2021-02-22T01:15:23+00:00");
}

#[test]
fn english_notice() {
    let n = read("en-plain.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(n.language, Some(Language::En));
    assert_eq!(addresses(&n), ["203.0.113.40", "203.0.113.41"]);
    assert_eq!(n.reports[0].port, Some(51514));
    assert_eq!(n.reports[0].zone.as_deref(), Some("UTC"));
    assert_eq!(iso(n.reports[1].time), "2021-02-22T01:45:00+00:00");
    assert_eq!(n.reports[1].zone.as_deref(), Some("Asia/Tokyo"));
    assert_eq!(n.to.len(), 2);
    assert_eq!(n.cc.len(), 1);
    assert_eq!(n.code.as_ref().unwrap().code, "ABUSE-2021-0222-17");
}

#[test]
fn forwarded_notices() {
    let n = read("fwd-attached.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    let f = n.forwarded_by.as_ref().unwrap();
    assert_eq!(f.style, ForwardStyle::Attached);
    assert_eq!(f.by.as_ref().unwrap().name.as_deref(), Some("鈴木 花子"));
    assert_eq!(
        n.from.as_ref().unwrap().address.as_deref(),
        Some("abuse@isp.example")
    );
    assert_eq!(
        n.message_id.as_deref(),
        Some("20210222160000.9876@isp.example")
    );
    assert_eq!(addresses(&n), ["203.0.113.50"]);

    let n = read("fwd-inline-ja.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    let f = n.forwarded_by.as_ref().unwrap();
    assert_eq!(f.style, ForwardStyle::Inline);
    assert_eq!(
        f.by.as_ref().unwrap().address.as_deref(),
        Some("yamada@example.co.jp")
    );
    assert_eq!(
        n.from.as_ref().unwrap().address.as_deref(),
        Some("support@isp3.example")
    );
    assert_eq!(
        n.subject.as_deref(),
        Some("【重要】Emotet感染のおそれに関するご連絡")
    );
    assert_eq!(iso(n.date), "2021-02-22T02:00:00+00:00");
    let r = &n.reports[0];
    assert_eq!(
        r.zone.as_deref(),
        Some("+09:00"),
        "the original's Date, not the forward's"
    );
    assert_eq!(iso(r.time), "2021-02-22T01:15:23+00:00");
    assert_eq!(n.code.as_ref().unwrap().code, "Q-556677");
}

#[test]
fn kizuki_notice() {
    let n = read("kizuki-notice.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(n.kind, NoticeKind::KizukiJson);
    let code = n.code.as_ref().unwrap();
    assert_eq!(code.code, "7KQ3-MX2P-0A1B-CDEF-GHJK");
    assert_eq!(code.source, CodeSource::Header);
    assert!(code.kizuki);
    assert_eq!(addresses(&n), ["203.0.113.70", "203.0.113.71"]);
    assert_eq!(n.reports[0].source, ReportSource::KizukiJson { index: 0 });
    assert_eq!(n.kizuki.as_ref().unwrap().notice_id, Some(42));
    assert_eq!(n.events.len(), 2, "the CSV report");
    assert_eq!(n.attachments.len(), 2);

    let n = read("kizuki-broken-json.eml");
    assert_eq!(n.status, Status::Partial);
    assert_eq!(n.kind, NoticeKind::FreeText);
    assert!(
        n.problems
            .iter()
            .any(|p| p.contains("kizuki-notice.json is not JSON")),
        "{:?}",
        n.problems
    );
    assert_eq!(addresses(&n), ["203.0.113.70", "203.0.113.71"]);
    let r = &n.reports[0];
    assert_eq!(r.port, Some(51514));
    assert_eq!(iso(r.time_end), "2021-02-22T02:00:00+00:00");
}

#[test]
fn attachments() {
    let n = read("csv-attachment.eml");
    assert_eq!(n.kind, NoticeKind::Attachment);
    assert_eq!(n.status, Status::Partial, "one row has no address");
    assert_eq!(addresses(&n), ["203.0.113.120", "203.0.113.121"]);
    assert_eq!(
        n.reports[0].zone.as_deref(),
        Some("Asia/Tokyo"),
        "the column says JST"
    );
    assert_eq!(n.reports[1].malware.as_deref(), Some("emotet"));
    assert_eq!(n.attachments[0].name, "通知対象一覧.csv");
    assert_eq!(n.events.len(), 2);

    let n = read("zip-csv.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(n.kind, NoticeKind::Attachment);
    assert_eq!(addresses(&n), ["203.0.113.130", "203.0.113.131"]);
    assert_eq!(n.attachments[0].read_as.as_deref(), Some("shadowserver"));
    match &n.reports[0].source {
        ReportSource::Attachment { name, line } => {
            assert_eq!(name, "emotet-report.zip:report.csv");
            assert_eq!(*line, 2);
        }
        other => panic!("{other:?}"),
    }

    let n = read("xarf-attachment.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(addresses(&n), ["203.0.113.170"]);
    assert_eq!(n.attachments[0].read_as.as_deref(), Some("xarf"));
}

#[test]
fn several_addresses() {
    let n = read("several-addresses.eml");
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(
        addresses(&n),
        ["203.0.113.80", "203.0.113.81", "2001:db8:10::5"]
    );
    assert_eq!(n.reports[0].port, Some(49152));
    assert_eq!(n.reports[2].port, None, "the row number is not a port");
    assert!(
        n.reports
            .iter()
            .all(|r| r.zone.as_deref() == Some("Asia/Tokyo"))
    );
}

#[test]
fn broken_and_odd_mail() {
    let n = read("truncated.eml");
    assert_eq!(n.status, Status::Unparsed);
    assert!(
        n.problems.iter().any(|p| p.contains("cut short")),
        "{:?}",
        n.problems
    );

    let n = read("garbage.eml");
    assert_eq!(n.status, Status::Unparsed);
    assert_eq!(n.kind, NoticeKind::Unparsed);
    assert!(
        n.problems.iter().any(|p| p.contains("not an e-mail")),
        "{:?}",
        n.problems
    );

    let n = read("wrong-charset.eml");
    assert_eq!(n.status, Status::Partial);
    assert!(
        n.problems.iter().any(|p| p.contains("iso-8859-1")),
        "{:?}",
        n.problems
    );
    assert_eq!(addresses(&n), ["203.0.113.150"]);
    assert_eq!(n.subject.as_deref(), Some("感染のおそれ"));

    let n = read("ja-eucjp.eml");
    assert_eq!(n.status, Status::Partial, "an address read from a sentence");
    assert_eq!(addresses(&n), ["203.0.113.160"]);
    assert_eq!(iso(n.reports[0].time), "2021-02-22T01:15:00+00:00");
}

#[test]
fn text_that_is_not_a_mail() {
    let n = parse_notice(
        "IPアドレス：203.0.113.5\n日時：2021/02/22 10:15 JST\n".as_bytes(),
        &opts(),
    );
    assert_eq!(n.status, Status::Partial);
    assert_eq!(addresses(&n), ["203.0.113.5"]);
    assert_eq!(parse_notice(b"", &opts()).status, Status::Unparsed);
}

#[test]
fn the_zone_option_is_used_for_naive_times() {
    let raw = std::fs::read(data_dir().join("fwd-inline-ja.eml")).unwrap();
    let n = parse_notice(&raw, &opts().zone(Some(Zone::Utc)));
    assert_eq!(n.reports[0].zone.as_deref(), Some("UTC"));
    assert_eq!(iso(n.reports[0].time), "2021-02-22T10:15:23+00:00");
}

#[test]
fn truncated_and_damaged_fixtures_do_not_panic() {
    let mut runs = 0;
    for path in fixtures() {
        let raw = std::fs::read(&path).unwrap();
        let step = (raw.len() / 150).max(1);
        let mut cuts: Vec<usize> = (0..raw.len()).step_by(step).collect();
        cuts.extend(0..raw.len().min(64));
        for cut in cuts {
            let n = parse_notice(&raw[..cut], &opts());
            // Whatever is read, the status must agree with the reports.
            assert_eq!(
                n.status == Status::Unparsed,
                n.reports.is_empty(),
                "{} cut at {cut}",
                path.display()
            );
            runs += 1;
        }
        // Bytes overwritten here and there.
        let mut rng = 0x9e37_79b9_u32;
        for _ in 0..40 {
            let mut bad = raw.clone();
            for _ in 0..8 {
                rng ^= rng << 13;
                rng ^= rng >> 17;
                rng ^= rng << 5;
                let at = rng as usize % bad.len().max(1);
                if let Some(b) = bad.get_mut(at) {
                    *b = (rng >> 8) as u8;
                }
            }
            let _ = parse_notice(&bad, &opts());
            runs += 1;
        }
    }
    assert!(runs > 2000, "{runs}");
}

#[test]
fn shared_samples_as_attachments() {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/samples");
    let xarf = samples.join("xarf/v4-connection-infected-host.json");
    let Ok(report) = std::fs::read(&xarf) else {
        println!("skipped: {} is not there", xarf.display());
        return;
    };
    let mail = [
        b"From: cert@cert.example\r\nSubject: report\r\nDate: Mon, 22 Feb 2021 02:05:00 +0000\r\n\
          MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"s\"\r\n\r\n--s\r\n\
          Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--s\r\n\
          Content-Type: application/json; name=\"r.json\"\r\n\r\n"
            .as_slice(),
        &report,
        b"\r\n--s--\r\n",
    ]
    .concat();
    let n = parse_notice(&mail, &opts());
    assert_eq!(n.kind, NoticeKind::Attachment, "{:?}", n.problems);
    assert_eq!(addresses(&n), ["203.0.113.85"]);
    assert_eq!(n.reports[0].malware.as_deref(), Some("zeus"));
}

fn one(mail: &str) -> MailNotice {
    parse_notice(mail.as_bytes(), &opts())
}

#[test]
fn html_only_notice() {
    let n = one(
        "From: a@isp.example\r\nDate: Mon, 22 Feb 2021 11:00:00 +0900\r\n\
         Content-Type: text/html; charset=utf-8\r\n\r\n\
         <html><body><p>IPアドレス：203.0.113.5</p><p>日時：2021/02/22 10:15:23</p>\
         <table><tr><td>マルウェア：</td><td>Emotet</td></tr></table></body></html>\r\n",
    );
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(addresses(&n), ["203.0.113.5"]);
    assert_eq!(iso(n.reports[0].time), "2021-02-22T01:15:23+00:00");
    assert_eq!(n.reports[0].malware.as_deref(), Some("emotet"));
}

#[test]
fn outlook_forward_with_bracket_labels() {
    let n = one(
        "From: me@example.co.jp\r\nDate: Mon, 22 Feb 2021 03:00:00 +0000\r\nSubject: FW: notice\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n確認お願いします。\r\n\r\n\
         -----Original Message-----\r\n差出人: ISP サポート [mailto:abuse@isp.example]\r\n\
         送信日時: 2021年2月22日 11:00\r\n宛先: soumu@example.co.jp\r\n件名: 感染のおそれ\r\n\r\n\
         【IPアドレス】203.0.113.10, 203.0.113.11\r\n【日時(日本時間)】2021/02/22 10:15:23\r\n",
    );
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(n.forwarded_by.as_ref().unwrap().style, ForwardStyle::Inline);
    let from = n.from.as_ref().unwrap();
    assert_eq!(from.address.as_deref(), Some("abuse@isp.example"));
    assert_eq!(from.name.as_deref(), Some("ISP サポート"));
    assert_eq!(n.subject.as_deref(), Some("感染のおそれ"));
    assert_eq!(addresses(&n), ["203.0.113.10", "203.0.113.11"]);
    assert!(
        n.reports
            .iter()
            .all(|r| r.zone.as_deref() == Some("Asia/Tokyo"))
    );
}

#[test]
fn labels_on_their_own_lines() {
    let n = one(
        "From: x@isp.example\r\nDate: Mon, 22 Feb 2021 11:00:00 +0900\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         ■対象IPアドレス\r\n203.0.113.20\r\n203.0.113.21\r\n\r\n\
         ■観測日時\r\n2021年2月22日(月) 10:15頃\r\n\r\n■マルウェア\r\nEmotet\r\n",
    );
    assert_eq!(n.status, Status::Parsed, "{:?}", n.problems);
    assert_eq!(addresses(&n), ["203.0.113.20", "203.0.113.21"]);
    assert!(
        n.reports
            .iter()
            .all(|r| iso(r.time) == "2021-02-22T01:15:00+00:00")
    );
    assert!(
        n.reports
            .iter()
            .all(|r| r.malware.as_deref() == Some("emotet"))
    );
}

#[test]
fn a_code_that_differs_from_the_header_is_a_problem() {
    let raw = std::fs::read_to_string(data_dir().join("kizuki-notice.eml")).unwrap();
    let forged = raw.replace(
        "X-Kizuki-Notice-Code: 7KQ3-MX2P-0A1B-CDEF-GHJK",
        "X-Kizuki-Notice-Code: 0000-1111-2222-3333-4444",
    );
    assert_ne!(raw, forged);
    let n = parse_notice(forged.as_bytes(), &opts());
    assert_eq!(n.status, Status::Partial);
    assert_eq!(n.code.as_ref().unwrap().code, "0000-1111-2222-3333-4444");
    assert!(
        n.problems
            .iter()
            .any(|p| p.contains("7KQ3-MX2P-0A1B-CDEF-GHJK in kizuki-notice.json differs")),
        "{:?}",
        n.problems
    );
}

#[test]
fn redirected_mail_and_depth_limit() {
    let n = one(
        "Resent-From: Soumu <soumu@example.co.jp>\r\nResent-Date: Mon, 22 Feb 2021 12:00:00 +0900\r\n\
         From: abuse@isp.example\r\nDate: Mon, 22 Feb 2021 11:00:00 +0900\r\n\r\n\
         IP address: 203.0.113.5\r\nTime: 2021-02-22 10:15:23 JST\r\n",
    );
    let f = n.forwarded_by.as_ref().unwrap();
    assert_eq!(f.style, ForwardStyle::Resent);
    assert_eq!(
        f.by.as_ref().unwrap().address.as_deref(),
        Some("soumu@example.co.jp")
    );
    assert_eq!(iso(f.date), "2021-02-22T03:00:00+00:00");
    assert_eq!(
        n.from.as_ref().unwrap().address.as_deref(),
        Some("abuse@isp.example")
    );

    let raw = std::fs::read(data_dir().join("fwd-attached.eml")).unwrap();
    let n = parse_notice(&raw, &opts().max_depth(0));
    assert_eq!(n.status, Status::Unparsed);
    assert!(
        n.problems
            .iter()
            .any(|p| p.contains("nested deeper than 0")),
        "{:?}",
        n.problems
    );
}

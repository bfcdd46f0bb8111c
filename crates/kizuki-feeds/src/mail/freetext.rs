//! Reading reports out of the text of a notice.
//!
//! Notices are written by people (or by templates people wrote), so the
//! reader looks for three shapes:
//!
//! * labelled blocks — `IPアドレス：…`, `日時：…`, `マルウェア：…` — where
//!   a label seen twice starts the next report;
//! * table rows — `2021/02/22 10:15:23 203.0.113.5 emotet` — a line with
//!   an address and a time and no label;
//! * as a last resort, addresses in prose, which are reported with a
//!   problem so that a person checks them.

use super::code;
use super::datetime::{self, Found, ZoneChoice, ZoneHint};
use super::ips::{self, FoundIp};
use super::labels::{self, Label, LabelKind};
use super::normalize::{Norm, original};
use super::notice::{CodeSource, NoticeCode, ReportSource, Reported};
use std::net::IpAddr;

/// What the text gave.
#[derive(Debug, Default)]
pub(crate) struct TextFindings {
    /// Reports, in the order of the text.
    pub reports: Vec<Reported>,
    /// Codes in labelled lines.
    pub codes: Vec<NoticeCode>,
    /// Distinct malware values in labelled lines.
    pub malware: Vec<String>,
    /// Things a person should check.
    pub problems: Vec<String>,
}

/// A time as read from one or two lines.
#[derive(Clone, Debug)]
struct TimeVal {
    found: Found,
    text: String,
    label_zone: Option<ZoneHint>,
    line: usize,
}

/// One labelled report being put together.
#[derive(Debug, Default)]
struct Block {
    addrs: Vec<(IpAddr, Option<u16>, usize)>,
    time: Option<TimeVal>,
    malware: Option<String>,
    port: Option<u16>,
    dest: Option<IpAddr>,
    dest_port: Option<u16>,
}

impl Block {
    fn has(&self, k: LabelKind) -> bool {
        match k {
            LabelKind::Address => !self.addrs.is_empty(),
            LabelKind::Time => self.time.as_ref().is_some_and(|t| t.found.time.is_some()),
            LabelKind::Malware => self.malware.is_some(),
            LabelKind::Port => self.port.is_some(),
            LabelKind::Destination => self.dest.is_some(),
            LabelKind::DestinationPort => self.dest_port.is_some(),
            LabelKind::Code => false,
        }
    }

    fn is_empty(&self) -> bool {
        self.addrs.is_empty()
            && self.time.is_none()
            && self.malware.is_none()
            && self.port.is_none()
            && self.dest.is_none()
    }
}

/// Where the content of a line starts, after quote marks (`>`), bullets
/// (`・`, `■`, `①`) and numbering (`(1)`, `1.`).
fn content_start(t: &str) -> usize {
    let mut i = 0;
    loop {
        let rest = &t[i..];
        let trimmed = rest.trim_start();
        i += rest.len() - trimmed.len();
        let Some(c) = trimmed.chars().next() else {
            return i;
        };
        if matches!(c, '>' | '|')
            || "・■□●○◆◇▼▽▲△★☆※*+►▶◎".contains(c)
            || ('\u{2460}'..='\u{2473}').contains(&c)
            || ('\u{2776}'..='\u{277f}').contains(&c)
        {
            i += c.len_utf8();
            continue;
        }
        if trimmed.starts_with("- ") {
            i += 2;
            continue;
        }
        if let Some(n) = numbering(trimmed) {
            i += n;
            continue;
        }
        return i;
    }
}

/// `(1)`, `[1]`, `1.`, `1)` at the start, followed by a space or a
/// non-digit; its length.
fn numbering(t: &str) -> Option<usize> {
    let b = t.as_bytes();
    let (open, close) = match b.first()? {
        b'(' => (1, b')'),
        b'[' => (1, b']'),
        _ => (0, 0),
    };
    let mut j = open;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
    }
    if j == open || j - open > 2 {
        return None;
    }
    if open == 1 {
        return (b.get(j) == Some(&close)).then_some(j + 1);
    }
    match b.get(j) {
        Some(b'.') | Some(b')') if b.get(j + 1).is_none_or(|c| *c == b' ') => Some(j + 1),
        _ => None,
    }
}

/// A label must not carry numbers of its own (`2021/02/22 10` is a time
/// cut at its colon); `IPv4` and `C2` are words.
fn label_text_ok(label: &str) -> bool {
    let l = label
        .to_lowercase()
        .replace("ipv4", "")
        .replace("ipv6", "")
        .replace("c2", "");
    !l.chars().any(|c| c.is_ascii_digit())
}

/// How a line's label was written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Form {
    /// `Label: value` or `【Label】value`.
    Marked,
    /// `Label value`, with only spaces between.
    Spaced,
}

/// Splits a line's content into a label and where its value starts.
fn split_label(body: &str) -> Option<(Label, usize, Form)> {
    for (open, close) in [
        ('【', '】'),
        ('[', ']'),
        ('〔', '〕'),
        ('<', '>'),
        ('《', '》'),
    ] {
        if let Some(rest) = body.strip_prefix(open)
            && let Some(end) = rest.find(close)
            && label_text_ok(&rest[..end])
            && let Some(l) = labels::classify(&rest[..end])
        {
            let mut v = open.len_utf8() + end + close.len_utf8();
            v += body[v..].len() - body[v..].trim_start_matches([' ', ':']).len();
            return Some((l, v, Form::Marked));
        }
    }
    if let Some(colon) = body.find(':') {
        let label = &body[..colon];
        if label_text_ok(label)
            && let Some(l) = labels::classify(label)
        {
            return Some((l, colon + 1, Form::Marked));
        }
    }
    // `送信元IPアドレス 203.0.113.5`, `IP address 203.0.113.5`: the longest
    // run of up to three words that is a label.
    let mut best = None;
    let mut words = 0;
    let mut in_space = false;
    for (i, c) in body.char_indices() {
        if c == ' ' {
            if !in_space {
                words += 1;
                let label = &body[..i];
                if words <= 3
                    && label_text_ok(label)
                    && let Some(l) = labels::classify(label)
                {
                    best = Some((l, i, Form::Spaced));
                }
            }
            in_space = true;
        } else {
            in_space = false;
        }
    }
    let sentence = body.contains(['。', '、', '「', '」', '.', ',']) || body.chars().count() > 20;
    if best.is_none() && label_text_ok(body) && !sentence {
        // A label alone on its line: `■対象IPアドレス`.
        if let Some(l) = labels::classify(body) {
            return Some((l, body.len(), Form::Spaced));
        }
    }
    best
}

/// The reader's state over the lines.
struct Scan<'z> {
    zone: &'z ZoneChoice,
    out: TextFindings,
    block: Block,
    pending: Option<Label>,
    table_zone: Option<ZoneHint>,
    table_port: bool,
    table_malware: bool,
    loose_ips: Vec<(FoundIp, usize)>,
    loose_times: Vec<TimeVal>,
}

impl Scan<'_> {
    fn flush(&mut self) {
        let b = std::mem::take(&mut self.block);
        if b.addrs.is_empty() {
            return;
        }
        for (ip, port, line) in &b.addrs {
            let mut r = Reported {
                address: *ip,
                port: port.or(b.port),
                time: None,
                time_end: None,
                time_text: None,
                zone: None,
                malware: b.malware.clone(),
                destination: b.dest,
                destination_port: b.dest_port,
                source: ReportSource::Text { line: *line },
            };
            match &b.time {
                Some(t) => self.set_time(&mut r, t),
                None => self
                    .out
                    .problems
                    .push(format!("line {line}: no time is given for {ip}")),
            }
            self.out.reports.push(r);
        }
    }

    fn set_time(&mut self, r: &mut Reported, t: &TimeVal) {
        let fallback = t.label_zone.map(ZoneHint::choice);
        let res = t.found.resolve(fallback.as_ref().unwrap_or(self.zone));
        r.time_text = Some(t.text.clone());
        if t.found.time.is_none() {
            self.out.problems.push(format!(
                "line {}: only a date ({}) is given for {}, no time",
                t.line, t.text, r.address
            ));
            return;
        }
        r.time = res.time;
        r.time_end = res.end;
        r.zone = Some(res.zone);
    }

    /// Adds a labelled value to the current block.
    fn labelled(
        &mut self,
        label: Label,
        raw: &str,
        norm: &Norm,
        v: usize,
        line: usize,
        form: Form,
    ) {
        let value = &norm.text[v..];
        let kind = label.kind;
        let time_val = |found: Found| TimeVal {
            text: original(raw, norm, v + found.range.start..v + found.range.end).to_owned(),
            found,
            label_zone: label.zone,
            line,
        };
        match kind {
            LabelKind::Address => {
                let found = ips::find_ips(value);
                if found.is_empty() {
                    return;
                }
                if self.block.has(kind) {
                    self.flush();
                }
                let words_port = ips::port_in_words(value);
                for f in found {
                    self.block.addrs.push((f.ip, f.port.or(words_port), line));
                }
                // `203.0.113.5 (2021/02/22 10:15 JST)`
                if self.block.time.is_none()
                    && let Some(t) = datetime::find(value)
                {
                    self.block.time = Some(time_val(t));
                }
            }
            LabelKind::Destination => {
                if let Some(f) = ips::find_ips(value).into_iter().next() {
                    if self.block.has(kind) {
                        self.flush();
                    }
                    self.block.dest = Some(f.ip);
                    self.block.dest_port = f.port.or(ips::port_in_words(value));
                }
            }
            LabelKind::Time => {
                let date = datetime::find(value);
                let merge_time = self
                    .block
                    .time
                    .as_ref()
                    .is_some_and(|t| t.found.time.is_none());
                match date {
                    Some(d) => {
                        if self.block.has(kind) || (merge_time && d.time.is_none()) {
                            self.flush();
                        }
                        self.block.time = Some(time_val(d));
                    }
                    None if merge_time => {
                        if let Some((r, tod, z)) = datetime::find_time_only(value)
                            && let Some(t) = self.block.time.as_mut()
                        {
                            t.found.time = Some(tod);
                            t.found.zone = t.found.zone.or(z);
                            t.text = format!(
                                "{} {}",
                                t.text,
                                original(raw, norm, v + r.start..v + r.end)
                            );
                        }
                    }
                    None => {}
                }
            }
            LabelKind::Malware => {
                let name = match form {
                    Form::Marked => labels::malware_name(value),
                    Form::Spaced => labels::family_in(value).map(str::to_owned),
                };
                if let Some(m) = name {
                    if self.block.has(kind) {
                        self.flush();
                    }
                    if !self.out.malware.contains(&m) {
                        self.out.malware.push(m.clone());
                    }
                    self.block.malware = Some(m);
                }
            }
            LabelKind::Port | LabelKind::DestinationPort => {
                if let Some(p) = ips::first_port(value) {
                    if self.block.has(kind) {
                        self.flush();
                    }
                    if kind == LabelKind::Port {
                        self.block.port = Some(p);
                    } else {
                        self.block.dest_port = Some(p);
                    }
                }
            }
            LabelKind::Code => {
                if form == Form::Marked {
                    let raw_value = original(raw, norm, v..norm.text.len());
                    if let Some(c) = code::read(raw_value, CodeSource::Text { line }) {
                        self.out.codes.push(c);
                    }
                }
            }
        }
    }

    /// A line with no label: a table row, a table header, or prose.
    fn unlabelled(&mut self, raw: &str, norm: &Norm, start: usize, line: usize) {
        let body = &norm.text[start..];
        let found = ips::find_ips(body);
        let when = datetime::find(body).filter(|f| f.time.is_some());
        if found.is_empty() {
            if let Some(f) = when {
                self.loose_times.push(TimeVal {
                    text: original(raw, norm, start + f.range.start..start + f.range.end)
                        .to_owned(),
                    found: f,
                    label_zone: None,
                    line,
                });
            }
            return;
        }
        let Some(f) = when else {
            for ip in found {
                self.loose_ips.push((ip, line));
            }
            return;
        };
        // A row: the first address is the reporter's, a second one the
        // server's.
        let src = &found[0];
        let dest = found.get(1);
        let mut rest = body.to_owned();
        for r in std::iter::once(&f.range).chain(found.iter().map(|x| &x.range)) {
            rest.replace_range(r.clone(), &" ".repeat(r.len()));
        }
        // A row number (`1   2021/02/22 …`) is not a port.
        let first_field = f.range.start.min(src.range.start);
        let lead = rest[..first_field].trim();
        if !lead.is_empty()
            && lead
                .trim_end_matches(['.', ')'])
                .bytes()
                .all(|c| c.is_ascii_digit())
        {
            rest.replace_range(..first_field, &" ".repeat(first_field));
        }
        let port = src.port.or(ips::port_in_words(&rest)).or_else(|| {
            self.table_port
                .then(|| {
                    rest.split([' ', ',', '|', ';'])
                        .filter_map(|w| w.parse::<u16>().ok())
                        .rfind(|p| *p > 0)
                })
                .flatten()
        });
        let malware = labels::family_in(&rest).map(str::to_owned).or_else(|| {
            self.table_malware
                .then(|| {
                    rest.split([' ', ',', '|', ';'])
                        .rfind(|w| w.chars().any(char::is_alphabetic))
                        .and_then(labels::malware_name)
                })
                .flatten()
        });
        let tv = TimeVal {
            text: original(raw, norm, start + f.range.start..start + f.range.end).to_owned(),
            found: f,
            label_zone: self.table_zone,
            line,
        };
        let mut r = Reported {
            address: src.ip,
            port,
            time: None,
            time_end: None,
            time_text: None,
            zone: None,
            malware,
            destination: dest.map(|d| d.ip),
            destination_port: dest.and_then(|d| d.port),
            source: ReportSource::Text { line },
        };
        self.set_time(&mut r, &tv);
        // A row is made of values; a sentence around them (kana, or more
        // than a few words) means the address was read from prose.
        let kana = rest.chars().any(|c| ('\u{3041}'..='\u{309f}').contains(&c));
        let words = rest
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| w.chars().count() > 1)
            .count();
        if kana || words > 4 {
            self.out.problems.push(format!(
                "line {line}: {} and its time were read from a sentence; check them",
                r.address
            ));
        }
        self.out.reports.push(r);
    }

    /// Remembers the columns of a table header (`日時 IPアドレス マルウェア`);
    /// whether the line was one.
    fn table_header(&mut self, body: &str) -> bool {
        if body.contains(':') || !ips::find_ips(body).is_empty() {
            return false;
        }
        let cols: Vec<Label> = body
            .split([' ', ',', '|', ';'])
            .filter(|w| !w.is_empty())
            .filter_map(labels::classify)
            .collect();
        let has = |k: LabelKind| cols.iter().any(|l| l.kind == k);
        let distinct = [
            LabelKind::Address,
            LabelKind::Time,
            LabelKind::Malware,
            LabelKind::Port,
            LabelKind::Destination,
        ]
        .iter()
        .filter(|k| has(**k))
        .count();
        if distinct < 2 || !has(LabelKind::Address) {
            return false;
        }
        self.table_port = has(LabelKind::Port);
        self.table_malware = has(LabelKind::Malware);
        self.table_zone = cols.iter().find_map(|l| l.zone);
        true
    }

    /// Addresses found only in prose, when nothing better was found.
    fn prose(&mut self) {
        let loose = std::mem::take(&mut self.loose_ips);
        let times = std::mem::take(&mut self.loose_times);
        let one_time = {
            let mut distinct: Vec<&TimeVal> = Vec::new();
            for t in &times {
                if !distinct
                    .iter()
                    .any(|d| d.found.date == t.found.date && d.found.time == t.found.time)
                {
                    distinct.push(t);
                }
            }
            (distinct.len() == 1).then(|| distinct[0].clone())
        };
        for (f, line) in loose {
            let mut r = Reported {
                address: f.ip,
                port: f.port,
                time: None,
                time_end: None,
                time_text: None,
                zone: None,
                malware: None,
                destination: None,
                destination_port: None,
                source: ReportSource::Text { line },
            };
            match &one_time {
                Some(t) => {
                    self.set_time(&mut r, t);
                    self.out.problems.push(format!(
                        "line {line}: {} was read from a sentence, with the time on line {}; check both",
                        f.ip, t.line
                    ));
                }
                None => self.out.problems.push(format!(
                    "line {line}: {} was read from a sentence, and no single time goes with it; check it",
                    f.ip
                )),
            }
            self.out.reports.push(r);
        }
    }
}

/// Reads the lines `lines[from..]` (line numbers count from the first of
/// `lines`). `zone` is for times written without one.
pub(crate) fn scan(lines: &[&str], from: usize, zone: &ZoneChoice) -> TextFindings {
    let mut s = Scan {
        zone,
        out: TextFindings::default(),
        block: Block::default(),
        pending: None,
        table_zone: None,
        table_port: false,
        table_malware: false,
        loose_ips: Vec::new(),
        loose_times: Vec::new(),
    };
    for (i, raw) in lines.iter().enumerate().skip(from) {
        let line = i + 1;
        let norm = Norm::new(raw);
        let start = content_start(&norm.text);
        let body = norm.text[start..].trim_end();
        if body.is_empty() {
            s.pending = None;
            continue;
        }
        if s.table_header(body) {
            s.pending = None;
            continue;
        }
        if let Some((label, v, form)) = split_label(body) {
            let value = norm.text[start + v..].trim();
            if value.is_empty() {
                s.pending = Some(label);
            } else {
                s.pending = None;
                s.labelled(label, raw, &norm, start + v, line, form);
            }
            continue;
        }
        if let Some(label) = s.pending {
            // The value of a label on the line above: `対象IPアドレス：`
            // followed by one address per line.
            let takes = match label.kind {
                LabelKind::Address | LabelKind::Destination => !ips::find_ips(body).is_empty(),
                LabelKind::Time => datetime::find(body).is_some(),
                _ => true,
            };
            if takes {
                if label.kind == LabelKind::Address {
                    for f in ips::find_ips(body) {
                        s.block.addrs.push((f.ip, f.port, line));
                    }
                    if s.block.time.is_none()
                        && let Some(t) = datetime::find(body)
                    {
                        s.block.time = Some(TimeVal {
                            text: original(raw, &norm, start + t.range.start..start + t.range.end)
                                .to_owned(),
                            found: t,
                            label_zone: label.zone,
                            line,
                        });
                    }
                } else {
                    s.labelled(label, raw, &norm, start, line, Form::Marked);
                    // Only addresses come as a list; other values take
                    // one line.
                    s.pending = None;
                }
                continue;
            }
            s.pending = None;
        }
        s.unlabelled(raw, &norm, start, line);
    }
    s.flush();
    if s.out.reports.is_empty() {
        s.prose();
    }
    if !s.block.is_empty() {
        s.block = Block::default();
    }
    s.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kizuki_event::time::Zone;

    fn read(text: &str) -> TextFindings {
        let lines: Vec<&str> = text.lines().collect();
        scan(&lines, 0, &ZoneChoice::of(Zone::Fixed(9 * 3600)))
    }

    fn iso(us: Option<i64>) -> String {
        us.and_then(kizuki_event::Timestamp::from_micros)
            .map(|t| t.to_iso())
            .unwrap_or_default()
    }

    #[test]
    fn labelled_blocks() {
        let f = read(
            "下記の通信を確認しました。\n\n\
             ■IPアドレス：２０３．０．１１３．５\n\
             ■日時：2021/02/22 10:15:23 (日本時間)\n\
             ■マルウェア：Emotet\n\n\
             ■IPアドレス：203.0.113[.]6\n\
             ■日時：2021/02/22 11:00:00\n\
             ■マルウェア：エモテット\n\n\
             通知番号：EMT-2021-0001\n",
        );
        assert_eq!(f.reports.len(), 2, "{f:?}");
        let a = &f.reports[0];
        assert_eq!(a.address.to_string(), "203.0.113.5");
        assert_eq!(iso(a.time), "2021-02-22T01:15:23+00:00");
        assert_eq!(a.zone.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(
            a.time_text.as_deref(),
            Some("2021/02/22 10:15:23 (日本時間)")
        );
        assert_eq!(a.malware.as_deref(), Some("emotet"));
        assert_eq!(a.source, ReportSource::Text { line: 3 });
        let b = &f.reports[1];
        assert_eq!(b.address.to_string(), "203.0.113.6");
        assert_eq!(iso(b.time), "2021-02-22T02:00:00+00:00");
        assert_eq!(b.zone.as_deref(), Some("+09:00"));
        assert_eq!(f.codes[0].code, "EMT-2021-0001");
        assert!(f.problems.is_empty(), "{:?}", f.problems);
    }

    #[test]
    fn lists_rows_and_prose() {
        let f = read(
            "Malware: Emotet\nObserved: 2021-02-22 01:15:23 UTC\nIP address:\n203.0.113.5\n203.0.113.6\n",
        );
        assert_eq!(f.reports.len(), 2);
        assert!(
            f.reports
                .iter()
                .all(|r| r.malware.as_deref() == Some("emotet"))
        );
        assert!(
            f.reports
                .iter()
                .all(|r| iso(r.time) == "2021-02-22T01:15:23+00:00")
        );

        let f = read(
            "日時 IPアドレス マルウェア\n\
             2021/02/22 10:15:23 203.0.113.5 emotet\n\
             203.0.113.7 2021-02-22 10:15:23 JST\n",
        );
        assert_eq!(f.reports.len(), 2);
        assert_eq!(f.reports[0].malware.as_deref(), Some("emotet"));
        assert_eq!(f.reports[1].address.to_string(), "203.0.113.7");
        assert_eq!(f.reports[1].zone.as_deref(), Some("Asia/Tokyo"));

        let f = read(
            "2021年2月22日 10時15分頃、\nお客様の回線（203.0.113.5）からの通信を確認しました。\n",
        );
        assert_eq!(f.reports.len(), 1);
        assert_eq!(iso(f.reports[0].time), "2021-02-22T01:15:00+00:00");
        assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
    }

    #[test]
    fn date_and_time_on_two_lines() {
        let f = read("IPアドレス：203.0.113.5\n日付：2021年2月22日\n時刻：10:15:23 (JST)\n");
        assert_eq!(f.reports.len(), 1);
        assert_eq!(iso(f.reports[0].time), "2021-02-22T01:15:23+00:00");
        assert_eq!(
            f.reports[0].time_text.as_deref(),
            Some("2021年2月22日 10:15:23 (JST)")
        );
    }
}

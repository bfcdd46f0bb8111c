//! Drills: a realistic notice, written as a Japanese or English ISP would
//! write it, put into an intake mailbox, and the report of how the case
//! went. Nothing in the message says it is a drill (the people handling
//! it should treat it as real); kizuki knows it by its Message-ID.

use base64::Engine;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use kizuki_store::Drill;
use serde::Serialize;

use crate::cases::CaseView;

/// What the synthetic notice says and how it is written.
#[derive(Clone, Debug)]
pub struct DrillSpec {
    /// The company's public address the notice names.
    pub address: String,
    /// The contact time (UTC µs).
    pub observed_at: i64,
    /// Malware family (lower case).
    pub malware: String,
    /// `ja` or `en`.
    pub language: String,
    /// `iso-2022-jp`, `shift_jis` or `utf-8` (Japanese notices only; English
    /// ones are always UTF-8). By default, ISO-2022-JP, as most Japanese
    /// ISPs send.
    pub charset: String,
    /// The ISP's name.
    pub isp: String,
    /// The ISP's sending address.
    pub from: String,
    /// The mailbox it is addressed to.
    pub to: String,
    /// The recipient's name (the contract holder).
    pub recipient: String,
    /// The zone the notice writes times in.
    pub tz: TimeZone,
    /// When the message is dated (UTC µs).
    pub now: i64,
}

/// A synthetic notice.
#[derive(Clone, Debug)]
pub struct DrillNotice {
    /// Its Message-ID, without angle brackets.
    pub message_id: String,
    /// The message, ready for a mailbox.
    pub bytes: Vec<u8>,
}

fn ts(micros: i64) -> Timestamp {
    Timestamp::from_microsecond(micros).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn display_malware(m: &str) -> String {
    let mut c = m.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => "malware".into(),
    }
}

fn body_ja(s: &DrillSpec, time: &str) -> (String, String) {
    let m = display_malware(&s.malware);
    let subject = format!("【注意喚起】PCウイルス「{m}」に感染している可能性があります。");
    let body = format!(
        "{recipient} ご契約者様\n\n\
         いつも{isp}をご利用いただき、誠にありがとうございます。\n\n\
         関係機関からの情報提供により、お客様のご契約回線に接続された機器が、\n\
         コンピュータウイルス「{m}」に感染している可能性があることが判明しました。\n\
         以下の日時に、当該回線から {m} の指令サーバーへの通信が確認されています。\n\n\
         ■ 通信が確認された情報\n\
         IPアドレス：{addr}\n\
         日時：{time} (日本時間)\n\n\
         ■ お客様にお願いしたい対応\n\
         1. JPCERT/CC が公開している EmoCheck で、社内のパソコンを確認してください。\n\
         2. ウイルス対策ソフトで全ての機器を検査してください。\n\
         3. 感染していた場合は、メールアカウント等のパスワードを変更してください。\n\n\
         当社および関係機関が、本件に関してID・パスワードや金銭をお尋ねすることは\n\
         ございません。不審な連絡にはご注意ください。\n\n\
         {isp} カスタマーサポート\n",
        recipient = s.recipient,
        isp = s.isp,
        addr = s.address,
    );
    (subject, body)
}

fn body_en(s: &DrillSpec, time: &str, zone: &str) -> (String, String) {
    let m = display_malware(&s.malware);
    let subject = format!("[Alert] A device on your line may be infected with {m}");
    let body = format!(
        "Dear {recipient},\n\n\
         We have been informed that a device connected to your line may be\n\
         infected with the malware \"{m}\". It contacted a {m} command-and-control\n\
         server at the time below.\n\n\
         IP address: {addr}\n\
         Date/Time: {time} ({zone})\n\n\
         Please check every PC on this line with JPCERT/CC's EmoCheck and an\n\
         up-to-date virus scanner, and change the passwords of the mail accounts\n\
         used on any infected PC.\n\n\
         {isp} will never ask you for a password or a payment about this notice.\n\n\
         {isp} Abuse Team\n",
        recipient = s.recipient,
        isp = s.isp,
        addr = s.address,
    );
    (subject, body)
}

fn encode(text: &str, charset: &str) -> (Vec<u8>, &'static str, &'static str) {
    let enc = match charset.to_ascii_lowercase().as_str() {
        "shift_jis" | "sjis" | "cp932" => encoding_rs::SHIFT_JIS,
        "utf-8" | "utf8" => encoding_rs::UTF_8,
        _ => encoding_rs::ISO_2022_JP,
    };
    let (bytes, _, _) = enc.encode(text);
    let (label, cte) = if enc == encoding_rs::SHIFT_JIS {
        ("Shift_JIS", "8bit")
    } else if enc == encoding_rs::UTF_8 {
        ("UTF-8", "8bit")
    } else {
        ("ISO-2022-JP", "7bit")
    };
    (bytes.into_owned(), label, cte)
}

/// Writes the synthetic notice.
pub fn notice(s: &DrillSpec, rng: &mut impl rand::Rng) -> DrillNotice {
    let local = ts(s.observed_at).to_zoned(s.tz.clone());
    let ja = s.language != "en";
    let (subject, body) = if ja {
        body_ja(s, &local.strftime("%Y/%m/%d %H:%M:%S").to_string())
    } else {
        let zone = local.strftime("%:z").to_string();
        body_en(
            s,
            &local.strftime("%Y-%m-%d %H:%M:%S").to_string(),
            &format!("UTC{zone}"),
        )
    };
    let charset = if ja { s.charset.as_str() } else { "utf-8" };
    let (body, label, cte) = encode(&body.replace('\n', "\r\n"), charset);
    let (subj, _, _) = encode(&subject, charset);
    let b64 = base64::engine::general_purpose::STANDARD;
    let domain = s
        .from
        .rsplit_once('@')
        .map(|x| x.1)
        .unwrap_or("isp.example");
    let message_id = format!(
        "{:016x}.{:08x}@{domain}",
        rng.random::<u64>(),
        rng.random::<u32>()
    );
    let date = ts(s.now)
        .to_zoned(s.tz.clone())
        .strftime("%a, %d %b %Y %H:%M:%S %z");
    let mut out = Vec::with_capacity(body.len() + 512);
    let header = format!(
        "From: {isp} <{from}>\r\nTo: {to}\r\nSubject: =?{label}?B?{subj}?=\r\nDate: {date}\r\n\
         Message-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset={label}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n",
        isp = if s.isp.is_ascii() {
            s.isp.clone()
        } else {
            format!("=?UTF-8?B?{}?=", b64.encode(&s.isp))
        },
        from = s.from,
        to = s.to,
        subj = b64.encode(subj),
    );
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&body);
    DrillNotice {
        message_id,
        bytes: out,
    }
}

/// One step of a drill and how it went.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// What the step is.
    pub step: String,
    /// When it was done (UTC µs).
    pub done_at: Option<i64>,
    /// Seconds from the notice being put in the mailbox.
    pub after: Option<f64>,
    /// When it was due.
    pub due_at: Option<i64>,
    /// True when it was not done, or done late.
    pub missed: bool,
    /// Why it counts as missed.
    pub why: String,
}

/// How a drill went.
#[derive(Clone, Debug, Serialize)]
pub struct DrillReport {
    /// The drill.
    pub drill: Drill,
    /// Its incident, once the notice was taken in.
    pub incident: Option<i64>,
    /// Every step in order.
    pub steps: Vec<Step>,
    /// The steps missed.
    pub missed: usize,
}

/// The report of a drill, as of `now`. Optional checklist tasks are
/// listed but never count as missed.
pub fn report(drill: &Drill, case: Option<&CaseView>, now: i64) -> DrillReport {
    let start = drill.started_at;
    let secs = |t: Option<i64>| t.map(|t| (t - start).max(0) as f64 / 1e6);
    let mut steps = Vec::new();
    let mut milestone = |name: &str, at: Option<i64>, why: &str| {
        steps.push(Step {
            step: name.into(),
            done_at: at,
            after: secs(at),
            due_at: None,
            missed: at.is_none(),
            why: if at.is_none() {
                why.into()
            } else {
                String::new()
            },
        });
    };
    let Some(case) = case else {
        milestone(
            "notice taken in",
            None,
            "the notice was never taken in: is the mailbox an intake?",
        );
        return finish(drill, None, steps);
    };
    let i = &case.incident;
    let arrived = case.notices.iter().map(|n| n.received_at).min();
    milestone("notice taken in", arrived, "");
    milestone(
        "acknowledged",
        i.acknowledged_at,
        "nobody acknowledged the incident",
    );
    milestone(
        "infected host identified",
        i.identified_at,
        "the host behind the NAT was not found",
    );
    milestone(
        "contained (clean EmoCheck)",
        i.contained_at,
        "no clean EmoCheck report on the infected host",
    );
    for t in &case.tasks {
        let finished = matches!(t.state.as_str(), "done" | "skipped");
        let late = match (t.due_at, t.done_at) {
            (Some(due), Some(done)) => done > due,
            (Some(due), None) => now > due,
            _ => false,
        };
        let missed = t.optional == 0 && (!finished || late);
        let why = if t.optional != 0 {
            String::new()
        } else if !finished {
            format!("still {}", t.state)
        } else if late {
            "done after it was due".into()
        } else {
            String::new()
        };
        steps.push(Step {
            step: format!("task {}: {}", t.task_key, t.title),
            done_at: t.done_at,
            after: secs(t.done_at),
            due_at: t.due_at,
            missed,
            why,
        });
    }
    finish(drill, Some(i.id), steps)
}

fn finish(drill: &Drill, incident: Option<i64>, steps: Vec<Step>) -> DrillReport {
    DrillReport {
        drill: drill.clone(),
        incident,
        missed: steps.iter().filter(|s| s.missed).count(),
        steps,
    }
}

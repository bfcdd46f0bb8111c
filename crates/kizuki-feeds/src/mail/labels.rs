//! The words notices use: field labels in Japanese and English, and
//! malware family names.

use super::datetime::ZoneHint;

/// What a labelled line holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum LabelKind {
    /// The reported (source) address: `IPアドレス`, `Source IP`.
    Address,
    /// The server contacted: `接続先IPアドレス`, `Destination IP`.
    Destination,
    /// The source port.
    Port,
    /// The destination port.
    DestinationPort,
    /// The time: `日時`, `観測日時`, `Date/Time`, `Timestamp`.
    Time,
    /// The malware: `マルウェア名`, `Malware`.
    Malware,
    /// The notice's code: `通知番号`, `Notice code`, `Reference`.
    Code,
}

/// A classified label.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Label {
    /// What it holds.
    pub kind: LabelKind,
    /// A zone named in the label itself (`日時(日本時間)`, `Time (UTC)`).
    pub zone: Option<ZoneHint>,
}

/// Whether `word` occurs in `s` as an ASCII word (no ASCII letter on
/// either side; Japanese letters may touch it).
fn has_word(s: &str, word: &str) -> bool {
    let b = s.as_bytes();
    s.match_indices(word).any(|(i, _)| {
        let before = i.checked_sub(1).and_then(|j| b.get(j));
        let after = b.get(i + word.len());
        !before.is_some_and(u8::is_ascii_alphabetic)
            && !after.is_some_and(|c| c.is_ascii_alphabetic() && !(word == "ip" && *c == b'v'))
    })
}

fn any(s: &str, words: &[&str]) -> bool {
    words.iter().any(|w| s.contains(w))
}

/// Classifies a label (folded text, as written before the colon). Labels
/// longer than a few words are not labels but sentences.
pub(crate) fn classify(label: &str) -> Option<Label> {
    let l = label.trim().to_lowercase();
    if l.is_empty() || l.chars().count() > 32 {
        return None;
    }
    let zone = if any(&l, &["日本時間", "日本標準時", "jst"]) {
        Some(ZoneHint::Tokyo)
    } else if any(&l, &["協定世界時", "utc", "gmt"]) {
        Some(ZoneHint::Utc)
    } else {
        None
    };
    // Strip the zone note so that `日時(日本時間)` is read as `日時`.
    let core: String = match l.find('(') {
        Some(i) if i > 0 => l[..i].trim().to_owned(),
        _ => l.clone(),
    };
    let l = core.as_str();
    if any(l, &["メール", "mail", "url", "ホスト名", "hostname", "mac"]) {
        return None;
    }
    let dest = any(
        l,
        &[
            "接続先",
            "通信先",
            "宛先",
            "送信先",
            "サーバ",
            "destination",
            "server",
            "c&c",
            "remote",
        ],
    ) || has_word(l, "dst")
        || has_word(l, "c2")
        || has_word(l, "dest");
    let port = any(l, &["ポート", "port"]);
    let address = has_word(l, "ip")
        || any(l, &["ipv4", "ipv6", "アドレス"])
        || matches!(
            l,
            "address" | "addr" | "source" | "src" | "送信元" | "接続元" | "通信元"
        );
    let kind = if port {
        if dest {
            LabelKind::DestinationPort
        } else {
            LabelKind::Port
        }
    } else if address {
        if dest {
            LabelKind::Destination
        } else {
            LabelKind::Address
        }
    } else if any(
        l,
        &[
            "マルウェア",
            "マルウエア",
            "ウイルス",
            "ウィルス",
            "malware",
            "infection",
            "botnet",
            "family",
            "threat",
            "感染種別",
        ],
    ) {
        LabelKind::Malware
    } else if any(
        l,
        &[
            "通知番号",
            "通知コード",
            "管理番号",
            "受付番号",
            "問い合わせ番号",
            "問合せ番号",
            "案件番号",
            "notice code",
            "notice number",
            "reference",
            "ref no",
            "ref.",
            "ticket",
        ],
    ) || l == "ref"
    {
        LabelKind::Code
    } else if any(
        l,
        &[
            "日時",
            "時刻",
            "日付",
            "時間",
            "date",
            "time",
            "timestamp",
            "observed",
            "seen",
            "検知",
            "観測",
            "検出",
            "発生",
        ],
    ) {
        LabelKind::Time
    } else {
        return None;
    };
    Some(Label { kind, zone })
}

/// Known malware families: the IntelMQ name, then other ways notices write
/// it (compared after removing spaces, hyphens and case).
const FAMILIES: &[(&str, &[&str])] = &[
    ("emotet", &["emotet", "エモテット", "geodo", "heodo"]),
    ("trickbot", &["trickbot", "トリックボット"]),
    (
        "qakbot",
        &[
            "qakbot",
            "qbot",
            "quakbot",
            "クアックボット",
            "キャックボット",
        ],
    ),
    ("icedid", &["icedid", "bokbot", "アイスドアイディー"]),
    ("dridex", &["dridex", "ドリデックス"]),
    ("ursnif", &["ursnif", "gozi", "isfb", "アースニフ"]),
    ("mirai", &["mirai", "ミライ"]),
    ("conficker", &["conficker", "downadup", "コンフィッカー"]),
    ("zeus", &["zeus", "zbot"]),
    ("lokibot", &["lokibot", "loki"]),
    ("agenttesla", &["agenttesla"]),
    ("formbook", &["formbook"]),
    ("avalanche", &["avalanche"]),
    ("andromeda", &["andromeda", "gamarue"]),
    ("necurs", &["necurs"]),
    ("ramnit", &["ramnit"]),
    ("sality", &["sality"]),
    ("bazarloader", &["bazarloader", "bazaloader"]),
    ("cobaltstrike", &["cobaltstrike"]),
    ("gootkit", &["gootkit"]),
    ("smokeloader", &["smokeloader"]),
    ("nanocore", &["nanocore"]),
];

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_' && *c != '・')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The family a text names, if it names exactly one known family.
pub(crate) fn family_in(text: &str) -> Option<&'static str> {
    let lower = text.to_lowercase();
    // `Agent Tesla`, `Cobalt-Strike`: long names are also looked for with
    // the spaces and hyphens taken out.
    let squashed = squash(text);
    let mut found = FAMILIES.iter().filter(|(_, names)| {
        names
            .iter()
            .any(|n| contains_name(&lower, n) || (n.len() >= 9 && contains_name(&squashed, n)))
    });
    let first = found.next()?;
    found.next().is_none().then_some(first.0)
}

/// `t` holds `name` not as part of a longer ASCII word.
fn contains_name(t: &str, name: &str) -> bool {
    if !name.is_ascii() {
        return t.contains(name);
    }
    let b = t.as_bytes();
    t.match_indices(name).any(|(i, _)| {
        let before = i.checked_sub(1).and_then(|j| b.get(j));
        let after = b.get(i + name.len());
        !before.is_some_and(u8::is_ascii_alphanumeric)
            && !after.is_some_and(u8::is_ascii_alphabetic)
    })
}

/// A malware value as written (`Emotet`, `エモテット`, `Emotet（エモテット）`)
/// in IntelMQ's form: the known family, else the first word in lower case.
pub(crate) fn malware_name(value: &str) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(f) = family_in(v) {
        return Some(f.to_owned());
    }
    let word: String = v
        .split(|c: char| {
            c.is_whitespace() || matches!(c, '(' | ')' | '（' | '）' | ',' | '、' | '/')
        })
        .find(|w| !w.is_empty())?
        .chars()
        .flat_map(char::to_lowercase)
        .collect();
    let word = word.trim_matches(|c: char| c == '.' || c == '。' || c == '"' || c == '\'');
    // A sentence is not a name.
    let kana = word.chars().any(|c| ('\u{3041}'..='\u{309f}').contains(&c));
    (!word.is_empty() && !kana && !word.contains('。') && word.chars().count() <= 40)
        .then(|| word.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(l: &str) -> Option<LabelKind> {
        classify(l).map(|l| l.kind)
    }

    #[test]
    fn labels() {
        use LabelKind::*;
        for l in [
            "IPアドレス",
            "IP アドレス",
            "グローバルIPアドレス",
            "送信元IPアドレス",
            "IP address",
            "Source IP",
            "IPv4 Address",
            "対象IPアドレス",
        ] {
            assert_eq!(kind(l), Some(Address), "{l}");
        }
        for l in [
            "日時",
            "観測日時",
            "通信日時",
            "検知日時",
            "Date/Time",
            "Time",
            "Timestamp",
            "Observed",
        ] {
            assert_eq!(kind(l), Some(Time), "{l}");
        }
        for l in ["マルウェア", "マルウェア名", "Malware", "Infection"] {
            assert_eq!(kind(l), Some(Malware), "{l}");
        }
        assert_eq!(kind("ポート"), Some(Port));
        assert_eq!(kind("Source Port"), Some(Port));
        assert_eq!(kind("接続先IPアドレス"), Some(Destination));
        assert_eq!(kind("Destination IP"), Some(Destination));
        assert_eq!(kind("C2 port"), Some(DestinationPort));
        assert_eq!(kind("通知番号"), Some(Code));
        assert_eq!(kind("Notice code"), Some(Code));
        assert_eq!(kind("Reference"), Some(Code));
        assert_eq!(kind("メールアドレス"), None);
        assert_eq!(kind("Description"), None);
        assert_eq!(kind("Recipient"), None);
        assert_eq!(
            classify("日時(日本時間)"),
            Some(Label {
                kind: Time,
                zone: Some(ZoneHint::Tokyo)
            })
        );
    }

    #[test]
    fn malware_names() {
        assert_eq!(malware_name("Emotet").as_deref(), Some("emotet"));
        assert_eq!(malware_name("エモテット").as_deref(), Some("emotet"));
        assert_eq!(
            malware_name("Emotet（エモテット）").as_deref(),
            Some("emotet")
        );
        assert_eq!(malware_name("Qbot").as_deref(), Some("qakbot"));
        assert_eq!(
            malware_name("SomethingNew v2").as_deref(),
            Some("somethingnew")
        );
        assert_eq!(family_in("Emotet 感染のおそれ"), Some("emotet"));
        assert_eq!(family_in("remotetools"), None);
        assert_eq!(
            malware_name("サーバーと通信していたとの報告を受けました。"),
            None
        );
    }
}

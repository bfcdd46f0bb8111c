//! Writing reports exactly as the tool does, for demos and drills.
//!
//! The tool writes through a text-mode `std::ofstream` on Windows, so every
//! line ends in CRLF. The layout follows the report's `tool_version`:
//! `0.0.1` has the `[Emocheck v…]` header and says `No detection.`; from
//! `2.0` each process has a registry-key line (and JSON a `registry_key`).
//! The strings returned are UTF-8, as 2.0 writes; use
//! [`encode`](super::encode) for the Shift_JIS of older Japanese builds.

use super::report::{EmoCheckReport, EmoProcess, ReportFormat};

/// The version written when a report has none: the last one whose source
/// was published.
pub const DEFAULT_TOOL_VERSION: &str = "2.0";

const RULE: &str = "____________________________________________________";

/// The labels of one language, padded as the tool pads them.
struct Strings {
    time: &'static str,
    result: &'static str,
    infected: &'static str,
    clean: &'static str,
    clean_0_0_1: &'static str,
    section: &'static str,
    name: &'static str,
    pid: &'static str,
    path: &'static str,
    registry: &'static str,
    advice: &'static str,
}

const EN: Strings = Strings {
    time: "Scan time: ",
    result: "[Result] ",
    infected: "Detected Emotet process.",
    clean: "Emotet was not detected.",
    clean_0_0_1: "No detection.",
    section: "[Emotet Process] ",
    name: "     Process Name  : ",
    pid: "     Process ID    : ",
    path: "     Image Path    : ",
    registry: "     Registry Key  : ",
    advice: "Please remove or isolate the suspicious execution file.",
};

const JA: Strings = Strings {
    time: "プログラム実行時刻: ",
    result: "[結果]",
    infected: "Emotetを検知しました。",
    clean: "検知しませんでした。",
    clean_0_0_1: "検知しませんでした。",
    section: "[詳細]",
    name: "     プロセス名    : ",
    pid: "     プロセスID    : ",
    path: "     イメージパス  : ",
    registry: "     レジストリキー: ",
    advice: "イメージパスの実行ファイルを隔離/削除してください。",
};

const FR: Strings = Strings {
    time: "Temps d'éxécution: ",
    result: "[Résultat] ",
    infected: "Emotet détecté.",
    clean: "Emotet n'a pas été détecté.",
    clean_0_0_1: "Emotet n'a pas été détecté.",
    section: "[Processus Emotet] ",
    name: "     Nom du processus: ",
    pid: "     PID             : ",
    path: "     Emplacement     : ",
    registry: "     Clé de registre : ",
    advice: "Veuillez supprimer le(s) fichier(s) détecté(s).",
};

/// What the version changes in the layout.
struct Layout<'r> {
    version: &'r str,
    first_release: bool,
    registry_key: bool,
}

fn layout(r: &EmoCheckReport) -> Layout<'_> {
    let version = r.tool_version.as_deref().unwrap_or(DEFAULT_TOOL_VERSION);
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse::<u32>().ok())
        .unwrap_or(2);
    Layout {
        version,
        first_release: version == "0.0.1",
        registry_key: major >= 2,
    }
}

/// Lines ending in CRLF.
struct Out(String);

impl Out {
    fn line(&mut self, parts: &[&str]) {
        for p in parts {
            self.0.push_str(p);
        }
        self.0.push_str("\r\n");
    }
}

fn pid_text(p: &EmoProcess) -> String {
    p.pid.map(|n| n.to_string()).unwrap_or_default()
}

fn scan_time(r: &EmoCheckReport) -> String {
    r.scan_time_local.strftime("%Y-%m-%d %H:%M:%S").to_string()
}

fn render_text(r: &EmoCheckReport, s: &Strings) -> String {
    let l = layout(r);
    let mut o = Out(String::new());
    let header = if l.first_release {
        "[Emocheck v"
    } else {
        "[EmoCheck v"
    };
    o.line(&[header, l.version, "]"]);
    o.line(&[s.time, &scan_time(r)]);
    o.line(&[RULE]);
    o.line(&[]);
    o.line(&[s.result]);
    if !r.infected {
        o.line(&[if l.first_release {
            s.clean_0_0_1
        } else {
            s.clean
        }]);
        return o.0;
    }
    o.line(&[s.infected]);
    o.line(&[]);
    for p in &r.processes {
        o.line(&[s.section]);
        o.line(&[s.name, &p.name]);
        o.line(&[s.pid, &pid_text(p)]);
        o.line(&[s.path, &p.image_path]);
        if l.registry_key {
            o.line(&[s.registry, p.registry_key.as_deref().unwrap_or("")]);
        }
    }
    o.line(&[RULE]);
    o.line(&[]);
    o.line(&[s.advice]);
    o.0
}

/// The English text report.
pub fn render_text_en(r: &EmoCheckReport) -> String {
    render_text(r, &EN)
}

/// The Japanese text report.
pub fn render_text_ja(r: &EmoCheckReport) -> String {
    render_text(r, &JA)
}

/// The French text report (written from version 2.0).
pub fn render_text_fr(r: &EmoCheckReport) -> String {
    render_text(r, &FR)
}

/// The tool's only escaping: backslashes doubled.
fn escape_backslashes(s: &str) -> String {
    s.replace('\\', "\\\\")
}

/// The `-json` report, byte for byte as the tool writes it: values are not
/// escaped except for backslashes in paths, so a quote in a value gives
/// invalid JSON, as it does from the tool. A missing host name or pid is
/// written empty.
pub fn render_json(r: &EmoCheckReport) -> String {
    let l = layout(r);
    let mut o = Out(String::new());
    o.line(&["{"]);
    o.line(&["  \"scan_time\":\"", &scan_time(r), "\","]);
    o.line(&[
        "  \"hostname\":\"",
        r.hostname.as_deref().unwrap_or(""),
        "\",",
    ]);
    o.line(&["  \"emocheck_version\":\"", l.version, "\","]);
    if !r.infected {
        o.line(&["  \"is_infected\":\"no\""]);
        o.line(&["}"]);
        return o.0;
    }
    o.line(&["  \"is_infected\":\"yes\","]);
    o.line(&["  \"emotet_processes\":["]);
    let last = r.processes.len().saturating_sub(1);
    for (i, p) in r.processes.iter().enumerate() {
        let path = escape_backslashes(&p.image_path);
        o.line(&["    {"]);
        o.line(&["      \"process_name\":\"", &p.name, "\","]);
        o.line(&["      \"process_id\":\"", &pid_text(p), "\","]);
        if l.registry_key {
            let key = escape_backslashes(p.registry_key.as_deref().unwrap_or(""));
            o.line(&["      \"image_path\":\"", &path, "\","]);
            o.line(&["      \"registry_key\":\"", &key, "\""]);
        } else {
            o.line(&["      \"image_path\":\"", &path, "\""]);
        }
        o.line(&[if i == last { "    }" } else { "    }," }]);
    }
    o.line(&["  ]"]);
    o.line(&["}"]);
    o.0
}

/// The report in its own [`EmoCheckReport::format`].
pub fn render(r: &EmoCheckReport) -> String {
    match r.format {
        ReportFormat::Json => render_json(r),
        ReportFormat::TextEn => render_text_en(r),
        ReportFormat::TextJa => render_text_ja(r),
        ReportFormat::TextFr => render_text_fr(r),
    }
}

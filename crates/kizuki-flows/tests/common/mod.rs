//! What the golden and the damaged-input tests share: the fixtures and
//! how each is read (`<input>.opts.toml` sets `zone`, `year` and
//! `mapping`).

#![allow(dead_code)]

use kizuki_flows::{FlowFormat, ReadOptions};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Opts {
    zone: Option<String>,
    year: Option<i16>,
    mapping: Option<String>,
}

pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// The inputs in `tests/data/<dir>`, sorted.
pub fn inputs(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            !(n.ends_with(".expected.jsonl")
                || n.ends_with(".opts.toml")
                || n.ends_with(".mapping.toml")
                || n == "README.md")
        })
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no inputs in {dir}");
    v
}

/// The logs in `tests/data/<dir>`, each with the format (`format`, or
/// its mapping) and the options it is read with.
pub fn logs(dir: &str, format: &str) -> Vec<(PathBuf, FlowFormat, ReadOptions)> {
    inputs(dir)
        .into_iter()
        .map(|path| {
            let opts_path = PathBuf::from(format!("{}.opts.toml", path.display()));
            let o: Opts = std::fs::read_to_string(&opts_path)
                .map(|t| toml::from_str(&t).unwrap())
                .unwrap_or_default();
            let mut ro = ReadOptions::new().year(o.year.or(Some(2021)));
            if let Some(z) = &o.zone {
                ro = ro.zone_name(z).unwrap();
            }
            let fmt = match &o.mapping {
                Some(m) => {
                    FlowFormat::from_spec(&format!("csv:{}", data().join(dir).join(m).display()))
                        .unwrap()
                }
                None => FlowFormat::from_spec(format).unwrap(),
            };
            (path, fmt, ro)
        })
        .collect()
}

/// Every log folder and its format.
pub const LOG_DIRS: [(&str, &str); 5] = [
    ("nfdump", "nfdump"),
    ("zeek", "zeek"),
    ("srx", "srx"),
    ("fortigate", "fortigate"),
    ("mapped", "csv:unused"),
];

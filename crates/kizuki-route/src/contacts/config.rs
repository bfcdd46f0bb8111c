//! The contacts file: who is responsible for which addresses, networks and
//! domains, and how they want to be told.
//!
//! ```toml
//! [[contact]]
//! id = "isp-a"                      # file-name safe: a-z 0-9 . _ -
//! name = "Example ISP A"
//! kind = "operator"                 # operator | organisation
//! asns = [64500, 64501]
//! prefixes = ["192.0.2.0/24", "2001:db8::/32"]
//! ranges = ["198.51.100.10-198.51.100.99"]
//! domains = ["isp-a.example.jp"]
//! to = ["abuse@isp-a.example.jp"]
//! cc = ["soc@isp-a.example.jp"]
//! language = "ja"                   # ja | en
//! format = "csv"                    # csv | intelmq | xarf
//! timezone = "Asia/Tokyo"
//! ```

use serde::Deserialize;

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactsFile {
    /// The contacts, in order; on an exact tie the one listed first wins.
    #[serde(default, rename = "contact")]
    pub contacts: Vec<ContactConfig>,
}

/// One `[[contact]]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactConfig {
    /// A short identifier, used in file names (`a-z`, `0-9`, `.`, `_`, `-`).
    pub id: String,
    /// The organisation's name.
    pub name: String,
    /// `operator` (a network operator, e.g. an ISP) or `organisation`.
    pub kind: String,
    /// AS numbers the contact is responsible for. By default, none.
    #[serde(default)]
    pub asns: Vec<u32>,
    /// CIDR prefixes. By default, none.
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// Address ranges `first-last`, not necessarily CIDR-aligned. By
    /// default, none.
    #[serde(default)]
    pub ranges: Vec<String>,
    /// Domains (and their subdomains), for events about accounts or host
    /// names. By default, none.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Addresses the report goes to.
    pub to: Vec<String>,
    /// Addresses copied. By default, none.
    #[serde(default)]
    pub cc: Vec<String>,
    /// `ja` or `en`. By default, `en`.
    #[serde(default = "default_language")]
    pub language: String,
    /// The attachment format: `csv`, `intelmq` or `xarf`. By default, `csv`.
    #[serde(default = "default_format")]
    pub format: String,
    /// The zone times are shown in. By default, `UTC`.
    #[serde(default = "default_timezone")]
    pub timezone: String,
}

fn default_language() -> String {
    "en".into()
}

fn default_format() -> String {
    "csv".into()
}

fn default_timezone() -> String {
    "UTC".into()
}

//! The header row of a Kea lease file: which column holds what.
//!
//! Kea's CSV is versioned: each release may append columns, and older
//! files stop earlier (the minimum valid set ends at `hostname`). So
//! columns are found by name, never by position.

use super::reader::Family;
use std::borrow::Cow;

/// Where the columns the reader uses are, by index into a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Columns {
    pub address: usize,
    pub hwaddr: Option<usize>,
    /// `client_id` (lease4) or `duid` (lease6).
    pub client: Option<usize>,
    pub valid_lifetime: usize,
    pub expire: usize,
    pub state: Option<usize>,
    /// lease6 only.
    pub lease_type: Option<usize>,
    /// lease6 only.
    pub prefix_len: Option<usize>,
    /// How many fields the header names.
    pub width: usize,
    /// How many fields a row needs to reach every required column.
    pub needed: usize,
}

/// Whether a split line is a header row (Kea's first column is always
/// `address`; no lease has that as its address).
pub(super) fn is_header(fields: &[&[u8]]) -> bool {
    fields.first().is_some_and(|f| f.trim_ascii() == b"address")
}

impl Columns {
    /// Maps a header row; the error names the missing column.
    pub(super) fn from_header(fields: &[&[u8]], family: Family) -> Result<Columns, String> {
        let find = |name: &str| {
            fields
                .iter()
                .position(|f| f.trim_ascii() == name.as_bytes())
        };
        let need = |name: &str| find(name).ok_or_else(|| format!("no `{name}` column"));
        let client_name = match family {
            Family::V4 => "client_id",
            Family::V6 => "duid",
        };
        let address = need("address")?;
        let valid_lifetime = need("valid_lifetime")?;
        let expire = need("expire")?;
        let lease_type = match family {
            Family::V4 => None,
            Family::V6 => Some(need("lease_type")?),
        };
        let hwaddr = find("hwaddr");
        let client = find(client_name);
        if hwaddr.is_none() && client.is_none() {
            return Err(format!(
                "no `hwaddr` or `{client_name}` column to name the client"
            ));
        }
        let needed = [address, valid_lifetime, expire]
            .into_iter()
            .chain(lease_type)
            .max()
            .unwrap_or(0)
            + 1;
        Ok(Columns {
            address,
            hwaddr,
            client,
            valid_lifetime,
            expire,
            state: find("state"),
            lease_type,
            prefix_len: find("prefix_len"),
            width: fields.len(),
            needed,
        })
    }
}

/// A field as text, with Kea's `&#xHH` escapes (written for commas inside
/// a field) undone. Borrowed unless there is something to undo.
pub(super) fn field<'a>(
    fields: &[&'a [u8]],
    i: Option<usize>,
    name: &str,
) -> Result<Cow<'a, str>, String> {
    let Some(raw) = i.and_then(|i| fields.get(i)) else {
        // An older row that stops before an optional column.
        return Ok(Cow::Borrowed(""));
    };
    let text =
        std::str::from_utf8(raw.trim_ascii()).map_err(|_| format!("{name} is not UTF-8 text"))?;
    Ok(unescape(text))
}

/// Undoes `&#xHH` (Kea's `CSVRow::escapeCharacters`, used for `,`).
pub(super) fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains("&#x") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("&#x") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 3..];
        match after.get(..2).and_then(|h| u8::from_str_radix(h, 16).ok()) {
            Some(b) if b.is_ascii() => {
                out.push(char::from(b));
                rest = &after[2..];
            }
            // Not an escape Kea writes: keep it as it is.
            _ => {
                out.push_str("&#x");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<&[u8]> {
        s.as_bytes().split(|&b| b == b',').collect()
    }

    #[test]
    fn commas_come_back() {
        assert_eq!(unescape("a&#x2cb&#x2cc"), "a,b,c");
        assert_eq!(unescape("plain"), "plain");
        assert_eq!(unescape("odd&#xzz"), "odd&#xzz");
        assert_eq!(unescape("end&#x2"), "end&#x2");
    }

    #[test]
    fn columns_are_found_by_name() {
        let h = split(
            "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname",
        );
        let c = Columns::from_header(&h, Family::V4).unwrap();
        assert_eq!(
            (c.address, c.hwaddr, c.client, c.expire),
            (0, Some(1), Some(2), 4)
        );
        assert_eq!((c.state, c.needed, c.width), (None, 5, 9));
        let e = Columns::from_header(&split("address,hwaddr,valid_lifetime"), Family::V4);
        assert_eq!(e, Err("no `expire` column".into()));
        let h6 = split(
            "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len",
        );
        let c6 = Columns::from_header(&h6, Family::V6).unwrap();
        assert_eq!(
            (c6.client, c6.lease_type, c6.prefix_len, c6.needed),
            (Some(1), Some(6), Some(8), 7)
        );
        assert!(
            Columns::from_header(
                &split("address,valid_lifetime,expire,lease_type"),
                Family::V6
            )
            .is_err()
        );
    }
}

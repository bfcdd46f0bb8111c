//! Enrichment: the AS number, AS name and country of `source.ip` where the
//! feed did not give them.

use kizuki_event::{Event, Field, Input};
use kizuki_lookup::AsnDb;

/// What enrichment may change.
#[derive(Copy, Clone, Debug, Default)]
pub struct EnrichOptions {
    /// Replace values the feed gave. By default, only missing fields are
    /// filled.
    pub overwrite: bool,
}

/// Fills `source.asn`, `source.as_name` and `source.geolocation.cc` from
/// the AS tables. Returns whether anything was found for the address.
pub fn enrich(ev: &mut Event, db: &AsnDb, opts: EnrichOptions) -> bool {
    let Some(ip) = ev.source_ip() else {
        return false;
    };
    let Some(info) = db.lookup(ip) else {
        return false;
    };
    let set = |ev: &mut Event, f: Field, v: Option<&str>| {
        if let Some(v) = v
            && (opts.overwrite || !ev.contains(f))
        {
            // Table values that do not fit the field are simply not used.
            let _ = ev.add(f, Input::Str(v));
        }
    };
    let asn = info.asn.map(|a| a.to_string());
    set(ev, Field::SourceAsn, asn.as_deref());
    set(ev, Field::SourceAsName, info.name.as_deref());
    set(ev, Field::SourceGeolocationCc, info.country());
    true
}

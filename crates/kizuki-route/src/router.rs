//! Routing: which contact is responsible for an event.
//!
//! The most specific match wins:
//!
//! 1. an event about an account or host name (`source.account`,
//!    `source.fqdn`) goes to the contact whose domain holds it;
//! 2. otherwise `source.ip` goes to the contact with the smallest prefix or
//!    range holding it;
//! 3. otherwise to the contact responsible for its AS (the feed's
//!    `source.asn`, or the AS tables').
//!
//! Events nobody is responsible for are "unrouted", with the reason.

use crate::contacts::{Contact, Directory, Via};
use crate::enrich::{EnrichOptions, enrich};
use kizuki_event::{Event, ExtraValue, Field};
use kizuki_lookup::AsnDb;

/// Where an event goes.
#[derive(Debug)]
pub enum Routed<'a> {
    /// To this contact, found this way.
    To(&'a Contact, Via),
    /// Nowhere, for this reason.
    Unrouted(String),
}

/// Routes events with a directory and AS tables.
pub struct Router<'a> {
    dir: &'a Directory,
    asn: &'a AsnDb,
    enrich: EnrichOptions,
}

/// The key under which a routed event names its recipient.
pub const RECIPIENT_KEY: &str = "recipient";
/// The key under which a routed event says how it was routed.
pub const ROUTED_VIA_KEY: &str = "routed_via";
/// The key under which an unrouted event says why.
pub const UNROUTED_KEY: &str = "unrouted_reason";

impl<'a> Router<'a> {
    /// A router.
    pub fn new(dir: &'a Directory, asn: &'a AsnDb, enrich: EnrichOptions) -> Router<'a> {
        Router { dir, asn, enrich }
    }

    /// Enriches the event, decides where it goes, and records that in
    /// `extra.recipient` and `extra.routed_via` (or
    /// `extra.unrouted_reason`).
    pub fn route(&self, ev: &mut Event) -> Routed<'a> {
        let routed = self.decide(ev);
        match &routed {
            Routed::To(c, via) => {
                ev.set_extra(RECIPIENT_KEY, ExtraValue::Str(c.id.as_str().into()));
                ev.set_extra(ROUTED_VIA_KEY, ExtraValue::Str(via.to_string().into()));
                ev.extra_mut().remove(UNROUTED_KEY);
            }
            Routed::Unrouted(reason) => {
                ev.set_extra(UNROUTED_KEY, ExtraValue::Str(reason.as_str().into()));
            }
        }
        routed
    }

    fn decide(&self, ev: &mut Event) -> Routed<'a> {
        let mut why = Vec::new();
        for f in [Field::SourceAccount, Field::SourceFqdn] {
            if let Some(name) = ev.str(f) {
                match self.dir.by_domain(name) {
                    Some((c, d)) => return Routed::To(c, Via::Domain(d.to_owned())),
                    None => why.push(format!("no contact's domains hold {f} {name}")),
                }
            }
        }
        let Some(ip) = ev.source_ip() else {
            if why.is_empty() {
                return Routed::Unrouted(
                    "no source.ip, source.account or source.fqdn to route by".into(),
                );
            }
            return Routed::Unrouted(why.join("; "));
        };
        let known = enrich(ev, self.asn, self.enrich);
        if let Some((c, r)) = self.dir.by_address(ip) {
            return Routed::To(c, Via::Range(r));
        }
        match ev.int(Field::SourceAsn).and_then(|a| u32::try_from(a).ok()) {
            Some(asn) => match self.dir.by_asn(asn) {
                Some(c) => return Routed::To(c, Via::Asn(asn)),
                None => why.push(format!("no contact's prefixes or ranges hold {ip}, and no contact has its AS{asn}")),
            },
            None if self.asn.is_empty() => {
                why.push(format!("no contact's prefixes or ranges hold {ip}, and its AS is unknown (no AS table given)"))
            }
            None => why.push(format!(
                "no contact's prefixes or ranges hold {ip}, and {}",
                if known { "the AS tables give no AS for it" } else { "no AS table knows it" }
            )),
        }
        Routed::Unrouted(why.join("; "))
    }
}

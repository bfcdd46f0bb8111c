//! The field registry: every IntelMQ harmonization field an event can hold,
//! with its key and validation rule.
//!
//! Fields are declared in the sorted order of their keys, so an event's
//! fields come out of [`Field::ALL`] in the order IntelMQ's JSON output
//! (`sort_keys=True`) writes them. `extra.*` is not a field here: it is the
//! open part of an event, see [`Extra`](crate::Extra).

use crate::rule::Rule;

macro_rules! fields {
    ($( $key:literal => $variant:ident : $rule:ident ),* $(,)?) => {
        /// A harmonized event field.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum Field {
            $(
                #[doc = concat!("`", $key, "`")]
                $variant
            ),*
        }

        impl Field {
            /// Every field, in key order.
            pub const ALL: &'static [Field] = &[$(Field::$variant),*];

            /// The IntelMQ key, e.g. `source.ip`.
            pub const fn name(self) -> &'static str {
                match self { $(Field::$variant => $key),* }
            }

            /// The key as it opens a JSON member: `"source.ip": `. Keys need
            /// no escaping, so the writer copies these bytes as they are.
            pub(crate) const fn json_key(self) -> &'static str {
                match self { $(Field::$variant => concat!("\"", $key, "\": ")),* }
            }

            /// How values of this field are cleaned and checked.
            pub const fn rule(self) -> Rule {
                match self { $(Field::$variant => Rule::$rule),* }
            }
        }

        const NAMES: &[&str] = &[$($key),*];
    };
}

fields! {
    "classification.identifier" => ClassificationIdentifier: String,
    "classification.taxonomy" => ClassificationTaxonomy: Taxonomy,
    "classification.type" => ClassificationType: ClassificationType,
    "comment" => Comment: String,
    "constituency" => Constituency: String,
    "destination.abuse_contact" => DestinationAbuseContact: Lower,
    "destination.account" => DestinationAccount: String,
    "destination.allocated" => DestinationAllocated: DateTime,
    "destination.as_name" => DestinationAsName: String,
    "destination.asn" => DestinationAsn: Asn,
    "destination.domain_suffix" => DestinationDomainSuffix: Fqdn,
    "destination.fqdn" => DestinationFqdn: Fqdn,
    "destination.geolocation.cc" => DestinationGeolocationCc: CountryCode,
    "destination.geolocation.city" => DestinationGeolocationCity: String,
    "destination.geolocation.country" => DestinationGeolocationCountry: String,
    "destination.geolocation.latitude" => DestinationGeolocationLatitude: Float,
    "destination.geolocation.longitude" => DestinationGeolocationLongitude: Float,
    "destination.geolocation.region" => DestinationGeolocationRegion: String,
    "destination.geolocation.state" => DestinationGeolocationState: String,
    "destination.ip" => DestinationIp: Ip,
    "destination.local_hostname" => DestinationLocalHostname: String,
    "destination.local_ip" => DestinationLocalIp: Ip,
    "destination.network" => DestinationNetwork: Network,
    "destination.port" => DestinationPort: Port,
    "destination.registry" => DestinationRegistry: Registry,
    "destination.reverse_dns" => DestinationReverseDns: Fqdn,
    "destination.tor_node" => DestinationTorNode: Boolean,
    "destination.url" => DestinationUrl: Url,
    "destination.urlpath" => DestinationUrlpath: String,
    "event_description.target" => EventDescriptionTarget: String,
    "event_description.text" => EventDescriptionText: String,
    "event_description.url" => EventDescriptionUrl: Url,
    "event_hash" => EventHash: EventHash,
    "feed.accuracy" => FeedAccuracy: Accuracy,
    "feed.code" => FeedCode: FeedCode,
    "feed.documentation" => FeedDocumentation: String,
    "feed.name" => FeedName: String,
    "feed.provider" => FeedProvider: String,
    "feed.url" => FeedUrl: Url,
    "malware.hash.md5" => MalwareHashMd5: Hash,
    "malware.hash.sha1" => MalwareHashSha1: Hash,
    "malware.hash.sha256" => MalwareHashSha256: Hash,
    "malware.name" => MalwareName: MalwareName,
    "malware.version" => MalwareVersion: AsciiString,
    "misp.attribute_uuid" => MispAttributeUuid: Uuid,
    "misp.event_uuid" => MispEventUuid: Uuid,
    "output" => Output: Json,
    "product.full_name" => ProductFullName: String,
    "product.name" => ProductName: Lower,
    "product.vendor" => ProductVendor: Lower,
    "product.version" => ProductVersion: Lower,
    "product.vulnerabilities" => ProductVulnerabilities: Lower,
    "protocol.application" => ProtocolApplication: Application,
    "protocol.transport" => ProtocolTransport: Transport,
    "raw" => Raw: Base64,
    "rtir_id" => RtirId: Integer,
    "screenshot_url" => ScreenshotUrl: Url,
    "severity" => Severity: Severity,
    "source.abuse_contact" => SourceAbuseContact: Lower,
    "source.account" => SourceAccount: String,
    "source.allocated" => SourceAllocated: DateTime,
    "source.as_name" => SourceAsName: String,
    "source.asn" => SourceAsn: Asn,
    "source.domain_suffix" => SourceDomainSuffix: Fqdn,
    "source.fqdn" => SourceFqdn: Fqdn,
    "source.geolocation.cc" => SourceGeolocationCc: CountryCode,
    "source.geolocation.city" => SourceGeolocationCity: String,
    "source.geolocation.country" => SourceGeolocationCountry: String,
    "source.geolocation.cymru_cc" => SourceGeolocationCymruCc: CountryCode,
    "source.geolocation.geoip_cc" => SourceGeolocationGeoipCc: CountryCode,
    "source.geolocation.latitude" => SourceGeolocationLatitude: Float,
    "source.geolocation.longitude" => SourceGeolocationLongitude: Float,
    "source.geolocation.region" => SourceGeolocationRegion: String,
    "source.geolocation.state" => SourceGeolocationState: String,
    "source.ip" => SourceIp: Ip,
    "source.local_hostname" => SourceLocalHostname: String,
    "source.local_ip" => SourceLocalIp: Ip,
    "source.network" => SourceNetwork: Network,
    "source.port" => SourcePort: Port,
    "source.registry" => SourceRegistry: Registry,
    "source.reverse_dns" => SourceReverseDns: Fqdn,
    "source.tor_node" => SourceTorNode: Boolean,
    "source.url" => SourceUrl: Url,
    "source.urlpath" => SourceUrlpath: String,
    "status" => Status: String,
    "time.observation" => TimeObservation: DateTime,
    "time.source" => TimeSource: DateTime,
    "tlp" => Tlp: Tlp,
}

/// The number of fields.
pub const FIELD_COUNT: usize = Field::ALL.len();

impl Field {
    /// Looks a field up by its IntelMQ key.
    pub fn from_name(name: &str) -> Option<Field> {
        NAMES.binary_search(&name).ok().map(|i| Field::ALL[i])
    }

    /// The position of this field in [`Field::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// Whether this field's key sorts after every `extra.*` key. Fields are
    /// written in key order, so the writer puts `extra.*` between the fields
    /// for which this is false and those for which it is true.
    pub fn after_extra(self) -> bool {
        self.name() > "extra."
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_and_unique() {
        for w in NAMES.windows(2) {
            assert!(w[0] < w[1], "{} must sort before {}", w[0], w[1]);
        }
        assert_eq!(NAMES.len(), FIELD_COUNT);
    }

    #[test]
    fn lookup_by_name() {
        for f in Field::ALL {
            assert_eq!(Field::from_name(f.name()), Some(*f));
            assert_eq!(Field::ALL[f.index()], *f);
        }
        assert_eq!(Field::from_name("source.ip"), Some(Field::SourceIp));
        assert_eq!(Field::from_name("extra"), None);
        assert_eq!(Field::from_name("source.nope"), None);
    }

    #[test]
    fn extra_sits_between_event_hash_and_feed() {
        assert!(!Field::EventHash.after_extra());
        assert!(Field::FeedAccuracy.after_extra());
    }
}

//! The classification value lists, as IntelMQ 3.5 defines them (RSIT with
//! IntelMQ's extensions), and the old names IntelMQ still maps to them.

/// Allowed `classification.taxonomy` values.
pub const TAXONOMIES: [&str; 11] = [
    "abusive-content",
    "availability",
    "fraud",
    "information-content-security",
    "information-gathering",
    "intrusion-attempts",
    "intrusions",
    "malicious-code",
    "other",
    "test",
    "vulnerable",
];

/// Allowed `classification.type` values.
pub const TYPES: [&str; 44] = [
    "application-compromise",
    "blacklist",
    "brute-force",
    "burglary",
    "c2-server",
    "copyright",
    "data-leak",
    "data-loss",
    "ddos",
    "ddos-amplifier",
    "dga-domain",
    "dos",
    "exploit",
    "harmful-speech",
    "ids-alert",
    "infected-system",
    "information-disclosure",
    "malware",
    "malware-configuration",
    "malware-distribution",
    "masquerade",
    "misconfiguration",
    "other",
    "outage",
    "phishing",
    "potentially-unwanted-accessible",
    "privileged-account-compromise",
    "proxy",
    "sabotage",
    "scanner",
    "sniffing",
    "social-engineering",
    "spam",
    "system-compromise",
    "test",
    "tor",
    "unauthorised-information-access",
    "unauthorised-information-modification",
    "unauthorized-use-of-resources",
    "undetermined",
    "unprivileged-account-compromise",
    "violence",
    "vulnerable-system",
    "weak-crypto",
];

/// The current name of an old `classification.type` value, as IntelMQ's
/// `ClassificationType.sanitize` maps it (the input is already lower-case).
pub fn old_type_name(v: &str) -> Option<&'static str> {
    Some(match v {
        "botnet drone" | "infected system" | "ransomware" => "infected-system",
        "ids alert" => "ids-alert",
        "c&c" | "c2server" => "c2-server",
        "malware configuration" => "malware-configuration",
        "vulnerable client" | "vulnerable service" => "vulnerable-system",
        "leak" => "data-leak",
        "unknown" => "undetermined",
        "dga domain" => "dga-domain",
        "unauthorized-login" | "unauthorized-command" | "compromised" | "backdoor" => {
            "system-compromise"
        }
        "defacement" => "unauthorised-information-modification",
        "dropzone" => "other",
        _ => return None,
    })
}

/// The taxonomy a type belongs to, for readers that only know the type (the
/// mapping of IntelMQ's taxonomy expert).
pub fn taxonomy_of(class_type: &str) -> Option<&'static str> {
    Some(match class_type {
        "spam" | "harmful-speech" | "violence" => "abusive-content",
        "infected-system" | "c2-server" | "malware-distribution" | "malware-configuration" => {
            "malicious-code"
        }
        "scanner" | "sniffing" | "social-engineering" => "information-gathering",
        "ids-alert" | "brute-force" | "exploit" => "intrusion-attempts",
        "privileged-account-compromise"
        | "unprivileged-account-compromise"
        | "application-compromise"
        | "system-compromise"
        | "burglary" => "intrusions",
        "dos" | "ddos" | "sabotage" | "outage" | "misconfiguration" => "availability",
        "unauthorised-information-access"
        | "unauthorised-information-modification"
        | "data-loss"
        | "data-leak" => "information-content-security",
        "unauthorized-use-of-resources" | "copyright" | "masquerade" | "phishing" => "fraud",
        "vulnerable-system"
        | "weak-crypto"
        | "ddos-amplifier"
        | "potentially-unwanted-accessible"
        | "information-disclosure" => "vulnerable",
        "blacklist" | "dga-domain" | "malware" | "other" | "proxy" | "tor" | "undetermined" => {
            "other"
        }
        "test" => "test",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_a_taxonomy_in_the_list() {
        for t in TYPES {
            let tax = taxonomy_of(t).unwrap_or_else(|| panic!("{t} has no taxonomy"));
            assert!(TAXONOMIES.contains(&tax));
        }
    }

    #[test]
    fn old_names_map_into_the_list() {
        for old in [
            "botnet drone",
            "c&c",
            "leak",
            "unknown",
            "backdoor",
            "dropzone",
        ] {
            assert!(TYPES.contains(&old_type_name(old).unwrap()));
        }
    }
}

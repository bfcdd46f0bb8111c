#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::Mapping;

const BASE: &str = "name = \"m\"\n[columns]\nstart = \"t\"\nsrc = \"s\"\ndst = \"d\"\n";

#[test]
fn a_minimal_mapping_has_defaults() {
    let m = Mapping::from_toml(BASE).unwrap();
    assert_eq!(
        (m.delimiter.as_str(), m.header, m.time_format.as_str()),
        (",", true, "iso8601")
    );
}

#[test]
fn unknown_keys_and_bad_settings_are_refused() {
    for bad in [
        format!("{BASE}srcport = \"x\"\n"),
        BASE.replace("name = \"m\"", "name = \"m\"\ncolour = \"red\""),
        BASE.replace("name = \"m\"", "name = \"m\"\ndelimiter = \";;\""),
        BASE.replace("name = \"m\"", "name = \"m\"\nduration_unit = \"h\""),
        BASE.replace("name = \"m\"", "name = \"m\"\nheader = false"),
    ] {
        assert!(Mapping::from_toml(&bad).is_err(), "{bad}");
    }
}

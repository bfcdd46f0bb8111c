//! Bad input is normal input: AS tables (ip2asn TSV, pfx2as, MaxMind DB)
//! arrive damaged. Loading one must not panic; every line refused names
//! the file and a line that exists; what loads answers lookups without
//! panicking.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kizuki_damage::{Damage, Report, lines};
use kizuki_lookup::asn::load;
use kizuki_lookup::testing::{MmdbValue, MmdbWriter};
use kizuki_lookup::{AsnDb, AsnSource};
use std::net::IpAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};

const IP2ASN: &str = "1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n\
    1.0.1.0\t1.0.3.255\t0\tNone\tNot routed\n\
    1.0.4.0\t1.0.7.255\t38803\tAU\tWPL-AS-AP Wirefreebroadband Pty Ltd\n\
    2001:db8::\t2001:db8:ffff:ffff:ffff:ffff:ffff:ffff\t64496\tJP\tEXAMPLE-NET\n\
    203.0.113.0\t203.0.113.255\t64500\tJP\tDOC\n";

const PFX2AS: &str = "1.0.0.0\t24\t13335\n1.0.4.0\t22\t38803_56203\n\
    1.0.8.0\t21\t4134,4847\n2001:db8::\t32\t64496\n203.0.113.0\t24\t64500\n";

const PIECES: &[&[u8]] = &[
    b"/",
    b"AS",
    b"_",
    b"128",
    b"33",
    b"None",
    b"\xff\xff\xff\xff",
];

const PROBES: [&str; 6] = [
    "1.0.0.7",
    "1.0.5.1",
    "1.0.9.9",
    "203.0.113.9",
    "2001:db8::1",
    "::1",
];

fn mmdb() -> Vec<u8> {
    let mut w = MmdbWriter::new("GeoLite2-ASN");
    for (net, len, asn) in [
        ("1.0.0.0", 24, 13335),
        ("203.0.113.0", 24, 64500),
        ("2001:db8::", 32, 64496),
    ] {
        w.insert(net.parse().unwrap(), len, MmdbValue::asn(asn, "EXAMPLE"));
    }
    w.to_bytes()
}

/// Loads `data` as the file `name` and looks the probes up; `Err` says
/// what went wrong.
fn check(name: &str, data: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, data).unwrap();
    let nlines = lines(data).len() as u64;
    let loaded = catch_unwind(AssertUnwindSafe(|| load(&path)))
        .map_err(|_| "loading panicked".to_string())?;
    let Ok((source, errors)) = loaded else {
        return Ok(());
    };
    let shown = path.display().to_string();
    if let Some(e) = errors
        .iter()
        .find(|e| e.file != shown || e.line == 0 || e.line > nlines.max(1))
    {
        return Err(format!("{e} (the file has {nlines} lines)"));
    }
    let mut db = AsnDb::new();
    db.add(name, source);
    catch_unwind(AssertUnwindSafe(|| {
        for p in PROBES {
            db.lookup(p.parse::<IpAddr>().unwrap());
        }
    }))
    .map_err(|_| "a lookup panicked".to_string())
}

#[test]
fn damaged_as_tables_never_panic() {
    let mut damage = Damage::new(2021, 200, PIECES);
    let mut report = Report::new();
    for (name, data) in [
        ("ip2asn-v4.tsv", IP2ASN.as_bytes().to_vec()),
        ("routeviews.pfx2as", PFX2AS.as_bytes().to_vec()),
        ("GeoLite2-ASN.mmdb", mmdb()),
    ] {
        // The undamaged file loads and answers.
        check(name, &data).unwrap();
        report.each(&mut damage, name, &data, 300, |_, d| check(name, d));
    }
    report.assert_clean(600);
}

/// The fixture MaxMind DB is one the reader accepts, so damage to it tests
/// the reader rather than a refusal at the door.
#[test]
fn the_fixture_database_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GeoLite2-ASN.mmdb");
    std::fs::write(&path, mmdb()).unwrap();
    let (source, errors) = load(&path).unwrap();
    assert!(errors.is_empty());
    assert!(matches!(source, AsnSource::Mmdb(_)));
    let mut db = AsnDb::new();
    db.add("m", source);
    assert_eq!(
        db.lookup("203.0.113.9".parse().unwrap()).unwrap().asn,
        Some(64500)
    );
}

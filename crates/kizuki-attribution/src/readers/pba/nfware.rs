//! NFWare port-block logs: `A VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1024-1535`
//! (`A` allocates, `D` deletes), after the syslog header and tag.
//!
//! NFWare writes other mappings in the same shape: port and session
//! mappings put a protocol number between the VRF and `INT` and are not
//! port blocks; an address mapping (`EXT` with no port range) is rejected,
//! as a port-block log should not hold one.

use super::event::{Event, Parsed, ip, public_block};
use crate::record::Action;

/// What the reader scans for first.
pub(super) const NEEDLE: &[u8] = b"VRF ";

/// Reads a line that contains [`NEEDLE`].
pub(super) fn parse(line: &str) -> Parsed {
    for (i, _) in line.match_indices("VRF ") {
        if i > 0 && line.as_bytes()[i - 1] != b' ' {
            continue;
        }
        let event = line[..i].trim_end();
        let event = &event[event.rfind([' ', ':']).map_or(0, |j| j + 1)..];
        let mut words = line[i + 4..].split_ascii_whitespace();
        let _vrf = words.next();
        if words.next() != Some("INT") || event.len() != 1 {
            // Another mapping, or "VRF" in some other message.
            continue;
        }
        let action = match event {
            "A" => Action::Start,
            "D" => Action::Stop,
            other => {
                return Err(format!(
                    "unknown event {other:?} (A allocates a port block, D deletes it)"
                ));
            }
        };
        let inside = words
            .next()
            .ok_or("line ends after INT: no inside address")?;
        let inside = ip(inside, "inside address")?;
        if words.next() != Some("EXT") {
            return Err("no EXT <public>:<lo>-<hi> after the inside address".into());
        }
        let block = words
            .next()
            .ok_or("line ends after EXT: no public address")?;
        let (public, lo, hi) = public_block(block)?;
        return Ok(Some(Event {
            action,
            inside,
            public,
            lo,
            hi,
            time: None,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_and_deletions() {
        let e = parse(
            "<134>Feb 22 10:15:01 nat01 nfware[812]: A VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1024-1535",
        )
        .unwrap()
        .unwrap();
        assert_eq!((e.action, e.lo, e.hi), (Action::Start, 1024, 1535));
        assert_eq!(
            (e.inside.to_string(), e.public.to_string()),
            ("10.0.0.1".into(), "100.64.0.1".into())
        );
        let d = parse("nfware: D VRF 3 INT 10.0.0.1 EXT 100.64.0.1:1024-1535")
            .unwrap()
            .unwrap();
        assert_eq!(d.action, Action::Stop);
    }

    #[test]
    fn other_mappings_and_messages() {
        assert_eq!(
            parse("A VRF 0 6 INT 10.0.0.1:3345 EXT 100.64.0.1:1088"),
            Ok(None)
        );
        assert_eq!(parse("bgpd: neighbor up in VRF 0 INT x"), Ok(None));
        assert!(
            parse("A VRF 0 INT 10.0.0.1 EXT 100.64.0.1")
                .unwrap_err()
                .contains("port range")
        );
        assert!(
            parse("X VRF 0 INT 10.0.0.1 EXT 100.64.0.1:1-2")
                .unwrap_err()
                .contains("unknown")
        );
        assert!(
            parse("A VRF 0 INT 10.0.0.1 EX")
                .unwrap_err()
                .contains("no EXT")
        );
    }
}

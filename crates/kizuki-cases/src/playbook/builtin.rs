//! The playbooks compiled into kizuki.

use super::schema::Playbook;
use std::sync::OnceLock;

/// The built-in Emotet playbook, as TOML (`playbooks/emotet.toml`): a
/// starting point to copy into a playbook directory and adapt.
pub const BUILTIN_EMOTET_TOML: &str = include_str!("../../playbooks/emotet.toml");

/// (name in errors, text) of every built-in playbook.
const SOURCES: &[(&str, &str)] = &[("builtin:emotet.toml", BUILTIN_EMOTET_TOML)];

fn all() -> &'static [Playbook] {
    static PARSED: OnceLock<Vec<Playbook>> = OnceLock::new();
    // The tests load every built-in strictly, so none is skipped here.
    PARSED.get_or_init(|| {
        SOURCES
            .iter()
            .filter_map(|(file, text)| Playbook::from_toml_str(text, file).ok())
            .collect()
    })
}

/// The built-in playbook for a malware family (`emotet`, `Heodo`, …) or
/// with that id; case does not matter.
pub fn builtin(malware: &str) -> Option<Playbook> {
    let m = malware.trim();
    all()
        .iter()
        .find(|p| p.id.eq_ignore_ascii_case(m) || p.applies_to(m))
        .cloned()
}

/// Every built-in playbook.
pub fn builtins() -> Vec<Playbook> {
    all().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_loads() {
        for (file, text) in SOURCES {
            if let Err(e) = Playbook::from_toml_str(text, file) {
                panic!("{e}");
            }
        }
        assert_eq!(builtins().len(), SOURCES.len());
    }
}

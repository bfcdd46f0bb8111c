//! Notice templates: minijinja, one file per kind and language. Built-in
//! Japanese and English templates ship inside the binary; a file of the
//! same name in the operator's template directory replaces one.
//!
//! A `.txt` template renders the text part. Its first line is
//! `Subject: …`, then an empty line, then the body. A `.html` template of
//! the same name, if the operator writes one, adds an HTML part; values are
//! HTML-escaped there.

use crate::error::NotifyError;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::path::Path;

/// Templates known to kizuki.
pub const NAMES: &[&str] = &[
    "notice.ja.txt",
    "notice.en.txt",
    "escalation.ja.txt",
    "escalation.en.txt",
];

fn builtin(name: &str) -> Option<&'static str> {
    Some(match name {
        "notice.ja.txt" => include_str!("../templates/notice.ja.txt"),
        "notice.en.txt" => include_str!("../templates/notice.en.txt"),
        "escalation.ja.txt" => include_str!("../templates/escalation.ja.txt"),
        "escalation.en.txt" => include_str!("../templates/escalation.en.txt"),
        _ => return None,
    })
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The text part.
    pub text: String,
    /// The HTML part, when the operator supplies an HTML template.
    pub html: Option<String>,
}

/// The templates in use.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in templates, with those in `dir` (when given) taking
    /// their place. Every template is parsed now, so a mistake shows
    /// before any notice is made.
    pub fn load(dir: Option<&Path>) -> Result<Templates, NotifyError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        let mut names: Vec<String> = NAMES.iter().map(|s| (*s).to_owned()).collect();
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).map_err(|source| NotifyError::Io {
                path: dir.display().to_string(),
                source,
            })?;
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if (name.ends_with(".txt") || name.ends_with(".html")) && !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        for name in names {
            let own = dir.map(|d| d.join(&name)).filter(|p| p.is_file());
            let source = match own {
                Some(p) => std::fs::read_to_string(&p).map_err(|source| NotifyError::Io {
                    path: p.display().to_string(),
                    source,
                })?,
                None => match builtin(&name) {
                    Some(s) => s.to_owned(),
                    None => continue,
                },
            };
            env.add_template_owned(name.clone(), source)
                .map_err(|source| NotifyError::Template { name, source })?;
        }
        Ok(Templates { env })
    }

    /// Renders `<kind>.<language>` with `ctx`.
    pub fn render(
        &self,
        kind: &str,
        language: &str,
        ctx: &minijinja::Value,
    ) -> Result<Rendered, NotifyError> {
        let name = format!("{kind}.{language}.txt");
        let t = self
            .env
            .get_template(&name)
            .map_err(|source| NotifyError::Template {
                name: name.clone(),
                source,
            })?;
        let out = t.render(ctx).map_err(|source| NotifyError::Template {
            name: name.clone(),
            source,
        })?;
        let (subject, text) = split_subject(&out).ok_or_else(|| {
            NotifyError::Config(format!(
                "template {name}: the first line must be \"Subject: …\", then an empty line"
            ))
        })?;
        let html_name = format!("{kind}.{language}.html");
        let html = match self.env.get_template(&html_name) {
            Ok(t) => Some(t.render(ctx).map_err(|source| NotifyError::Template {
                name: html_name,
                source,
            })?),
            Err(_) => None,
        };
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }

    /// Whether a template for this kind and language exists.
    pub fn has(&self, kind: &str, language: &str) -> bool {
        self.env
            .get_template(&format!("{kind}.{language}.txt"))
            .is_ok()
    }
}

/// Splits `Subject: …\n\nbody`; the body's lines end in CRLF-free `\n` and
/// trailing blank lines are trimmed to one newline.
fn split_subject(out: &str) -> Option<(String, String)> {
    let out = out.trim_start_matches(['\n', '\r']);
    let (first, rest) = out.split_once('\n')?;
    let subject = first.strip_prefix("Subject:")?.trim().to_owned();
    let body = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))?;
    let mut body = body.trim_end().to_owned();
    body.push('\n');
    Some((subject, body))
}

/// The built-in template of this name, for `kizuki init`.
pub fn builtin_source(name: &str) -> Option<&'static str> {
    builtin(name)
}

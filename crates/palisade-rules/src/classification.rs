//! classification.config: `config classification: shortname,description,priority`.
//!
//! The built-in table is Emerging Threats' classification.config (BSD, from
//! ET Open 2025-08-15, in the repo's `data/rules/`); a user file adds to it
//! or overrides entries by short name.

use std::collections::HashMap;

/// One classification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Classification {
    /// Short name used by `classtype:`.
    pub name: String,
    /// Description; becomes `alert.category`.
    pub description: String,
    /// Priority; becomes `alert.severity` unless the rule sets `priority:`.
    pub priority: u8,
}

/// A bad line in a classification file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ClassificationError {
    /// 1-based line.
    pub line: u32,
    /// Problem.
    pub message: String,
}

/// The classification table.
#[derive(Clone, Debug, Default)]
pub struct Classifications {
    by_name: HashMap<String, Classification>,
}

const BUILTIN: &str = include_str!("../../../data/rules/classification.config");

impl Classifications {
    /// The built-in table.
    pub fn builtin() -> Classifications {
        let mut c = Classifications::default();
        // The built-in file is tested to parse without errors.
        let _ = c.load(BUILTIN);
        c
    }

    /// Adds the entries of a classification.config text. Good lines are kept
    /// even when others are bad; the bad ones are returned.
    pub fn load(&mut self, text: &str) -> Vec<ClassificationError> {
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i as u32 + 1;
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let Some(rest) = t
                .strip_prefix("config classification:")
                .or_else(|| t.strip_prefix("config classification :"))
            else {
                errors.push(ClassificationError {
                    line: line_no,
                    message: "expected `config classification: name,description,priority`".into(),
                });
                continue;
            };
            let parts: Vec<&str> = rest.split(',').map(str::trim).collect();
            let [name, desc @ .., prio] = parts.as_slice() else {
                errors.push(ClassificationError {
                    line: line_no,
                    message: "expected three comma-separated fields".into(),
                });
                continue;
            };
            let Ok(priority) = prio.parse::<u8>() else {
                errors.push(ClassificationError {
                    line: line_no,
                    message: format!("bad priority `{prio}`"),
                });
                continue;
            };
            if name.is_empty() || desc.is_empty() {
                errors.push(ClassificationError {
                    line: line_no,
                    message: "empty name or description".into(),
                });
                continue;
            }
            self.by_name.insert(
                name.to_string(),
                Classification {
                    name: name.to_string(),
                    description: desc.join(","),
                    priority,
                },
            );
        }
        errors
    }

    /// Looks up a short name.
    pub fn get(&self, name: &str) -> Option<&Classification> {
        self.by_name.get(name)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True if empty.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_parses() {
        let mut c = Classifications::default();
        assert!(c.load(BUILTIN).is_empty());
        let t = c.get("trojan-activity").unwrap();
        assert_eq!(t.description, "A Network Trojan was detected");
        assert_eq!(t.priority, 1);
        assert!(c.len() > 30);
    }

    #[test]
    fn user_file_overrides_and_reports() {
        let mut c = Classifications::builtin();
        let errs = c.load("config classification: trojan-activity,Trojan,2\nbogus\nconfig classification: x,y,z\n");
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].line, 2);
        assert_eq!(c.get("trojan-activity").unwrap().priority, 2);
    }
}

//! An import started from the palette (`:import FILE --entity contacts …`): what was asked,
//! the counts as they come in from the background job, and the summary at the end. The job
//! itself runs beside the worker (see `tui::job`), so searches and saves go on meanwhile.

use super::msg::RequestId;

/// What `:import` asks for, in the command line's words. The words are checked by the job,
/// against the same lists the command line uses, so a bad one is a status-line error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportLine {
    pub file: String,
    pub entity: String,
    /// `csv`, `json`, `jsonl`, `vcard`; by default guessed from the extension.
    pub from: Option<String>,
    /// `COLUMN=FIELD` overrides, `COLUMN=-` skips.
    pub maps: Vec<String>,
    /// `skip` (the default), `update` or `fail`.
    pub on_duplicate: Option<String>,
    pub dry_run: bool,
    pub create_accounts: bool,
    pub encoding: Option<String>,
    /// Where rejected rows are written back, with their reason.
    pub rejects: Option<String>,
}

/// Rows so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    pub rejected: u64,
}

/// How an import ended.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportReport {
    pub counts: ImportCounts,
    pub seconds: f64,
    pub rows_per_second: f64,
    /// How the file was read: `csv, delimiter ';', windows-1252 (detected)`.
    pub input: String,
    /// The first rejected rows (`line 7: invalid email …`), for the status line.
    pub first_rejects: Vec<String>,
    /// True when the import stopped before the end of the file (the TUI was quit).
    pub stopped: bool,
}

/// The import running now.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportJob {
    pub request: RequestId,
    pub line: ImportLine,
    pub counts: ImportCounts,
}

/// The last part of a path, for short messages.
pub fn file_name(path: &str) -> &str {
    path.trim_end_matches(['/', '\\'])
        .rsplit(['/', '\\'])
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or(path)
}

impl ImportJob {
    /// The status bar's progress: `import contacts.csv: 1200 read · 1100 created · 3 rejected`.
    pub fn progress(&self) -> String {
        self.progress_forms().swap_remove(0)
    }

    /// The progress in ever shorter forms, for a crowded status bar to pick from.
    pub fn progress_forms(&self) -> Vec<String> {
        let c = &self.counts;
        let mut parts = vec![format!("{} read", c.read)];
        let verb = if self.line.dry_run {
            "to create"
        } else {
            "created"
        };
        parts.push(format!("{} {verb}", c.created));
        if c.updated > 0 {
            parts.push(format!("{} updated", c.updated));
        }
        if c.skipped > 0 {
            parts.push(format!("{} skipped", c.skipped));
        }
        parts.push(format!("{} rejected", c.rejected));
        let all = parts.join(" · ");
        vec![
            format!("import {}: {all}", file_name(&self.line.file)),
            format!("import: {all}"),
            format!("import: {} read · {} rejected", c.read, c.rejected),
            format!("import: {} read", c.read),
        ]
    }
}

impl ImportReport {
    /// The final line for the status bar, in the words of the command line's summary.
    pub fn summary(&self, line: &ImportLine) -> String {
        let c = &self.counts;
        let dry = if line.dry_run { " (dry run)" } else { "" };
        let verb = if line.dry_run { "would be " } else { "" };
        let mut parts = vec![
            format!("{} read", c.read),
            format!("{} {verb}created", c.created),
        ];
        if c.updated > 0 {
            parts.push(format!("{} {verb}updated", c.updated));
        }
        if c.skipped > 0 {
            parts.push(format!("{} skipped as duplicates", c.skipped));
        }
        parts.push(format!("{} rejected", c.rejected));
        let mut text = format!(
            "{}{dry}: {} in {:.1}s",
            file_name(&line.file),
            parts.join(", "),
            self.seconds
        );
        if self.stopped {
            text.push_str("; stopped early, run it again to complete it");
        }
        if let Some(first) = self.first_rejects.first() {
            text.push_str(&format!("; first rejected: {first}"));
            if line.rejects.is_none() {
                text.push_str(" (--rejects FILE keeps them all)");
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_the_last_part_of_the_path() {
        assert_eq!(file_name("/tmp/x/contacts.csv"), "contacts.csv");
        assert_eq!(file_name("contacts.csv"), "contacts.csv");
        assert_eq!(file_name(r"C:\data\a.csv"), "a.csv");
        assert_eq!(file_name("/tmp/dir/"), "dir");
    }

    #[test]
    fn the_summary_says_what_happened_and_why_rows_were_rejected() {
        let line = ImportLine {
            file: "/tmp/contacts.csv".into(),
            entity: "contacts".into(),
            ..ImportLine::default()
        };
        let report = ImportReport {
            counts: ImportCounts {
                read: 5,
                created: 3,
                updated: 0,
                skipped: 1,
                rejected: 1,
            },
            seconds: 0.04,
            first_rejects: vec!["line 4: email: 'x' is not an email address".into()],
            ..ImportReport::default()
        };
        assert_eq!(
            report.summary(&line),
            "contacts.csv: 5 read, 3 created, 1 skipped as duplicates, 1 rejected in 0.0s; \
             first rejected: line 4: email: 'x' is not an email address (--rejects FILE keeps them all)"
        );
        let dry = ImportLine {
            dry_run: true,
            ..line
        };
        assert!(
            report
                .summary(&dry)
                .starts_with("contacts.csv (dry run): 5 read, 3 would be created")
        );
    }
}

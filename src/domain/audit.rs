//! The audit log's entries: who changed which record when, and every field from what to what.

use super::choice::choice;
use super::id::Id;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

choice!(
    /// What happened to a record.
    AuditAction, "action" { Create = "create", Update = "update", Delete = "delete" }
);

/// One field's change. A field absent before or after is `null` on that side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// One change to one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, from 1; assigned by the store when the entry is written.
    pub seq: u64,
    pub at: Timestamp,
    pub user: String,
    pub record: Id,
    pub action: AuditAction,
    pub changes: Vec<FieldChange>,
    /// Why, when the change says (a merge names the surviving record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Fields that change on every write and would only repeat the entry's own stamps.
const STAMPS: [&str; 2] = ["updated_at", "updated_by"];

/// The field changes between two JSON forms of a record. Lists that only grew (a ticket's
/// events) are written as their new items, `events[3]` from `null` to the item, instead of
/// the whole list twice.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let before = before.and_then(Value::as_object).unwrap_or(&empty);
    let after = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut names: Vec<&String> = before.keys().chain(after.keys()).collect();
    names.sort();
    names.dedup();
    let mut changes = Vec::new();
    for name in names {
        if STAMPS.contains(&name.as_str()) {
            continue;
        }
        let (b, a) = (
            before.get(name).unwrap_or(&Value::Null),
            after.get(name).unwrap_or(&Value::Null),
        );
        if b == a {
            continue;
        }
        match (b, a) {
            (Value::Array(old), Value::Array(new)) if !old.is_empty() && new.starts_with(old) => {
                for (i, item) in new.iter().enumerate().skip(old.len()) {
                    changes.push(FieldChange {
                        field: format!("{name}[{i}]"),
                        before: Value::Null,
                        after: item.clone(),
                    });
                }
            }
            _ => changes.push(FieldChange {
                field: name.clone(),
                before: b.clone(),
                after: a.clone(),
            }),
        }
    }
    changes
}

/// Undoes `changes` (an entry's, as [`diff`] wrote them) on `record`, a record's JSON object:
/// each field back to its value before (absent when that was `null`), each list that grew back
/// to its length before.
pub fn undo(record: &mut serde_json::Map<String, Value>, changes: &[FieldChange]) {
    for change in changes {
        let grown = change
            .field
            .strip_suffix(']')
            .and_then(|f| f.split_once('['))
            .and_then(|(name, i)| Some((name, i.parse::<usize>().ok()?)));
        match grown {
            Some((name, len)) => {
                if let Some(Value::Array(items)) = record.get_mut(name) {
                    items.truncate(len);
                }
            }
            None if change.before.is_null() => {
                record.remove(&change.field);
            }
            None => {
                record.insert(change.field.clone(), change.before.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn undoing_a_diff_gives_back_what_it_was_made_from() {
        let before = json!({"id": "T-1", "events": [1, 2], "notes": "n", "status": "open"});
        let after = json!({"id": "T-1", "events": [1, 2, 3, 4], "status": "closed", "csat": 5});
        let mut record = after.as_object().unwrap().clone();
        undo(&mut record, &diff(Some(&before), Some(&after)));
        assert_eq!(Value::Object(record), before);
        let mut gone = serde_json::Map::new();
        undo(&mut gone, &diff(Some(&before), None));
        assert_eq!(Value::Object(gone), before);
    }

    #[test]
    fn diff_lists_changed_fields_only_and_skips_stamps() {
        let before = json!({"name": "Acme", "segment": "smb", "updated_at": "x"});
        let after = json!({"name": "Acme Ltd", "segment": "smb", "updated_at": "y", "notes": "n"});
        let changes = diff(Some(&before), Some(&after));
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["name", "notes"]);
        assert_eq!(changes[0].before, "Acme");
        assert_eq!(changes[0].after, "Acme Ltd");
        assert_eq!(changes[1].before, Value::Null);
    }

    #[test]
    fn grown_lists_record_only_the_new_items() {
        let before = json!({"events": [1, 2]});
        let after = json!({"events": [1, 2, 3]});
        let changes = diff(Some(&before), Some(&after));
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].field, "events[2]");
        assert_eq!(changes[0].after, 3);
    }

    #[test]
    fn create_and_delete_list_every_field() {
        let rec = json!({"id": "A-1", "name": "Acme"});
        assert_eq!(diff(None, Some(&rec)).len(), 2);
        let gone = diff(Some(&rec), None);
        assert!(gone.iter().all(|c| c.after == Value::Null));
    }
}

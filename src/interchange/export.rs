//! Records as the columns an export writes and an import maps back: the field names that
//! `Record::set` and [`super::columns`] use, lists joined with `, `, times in RFC 3339, custom
//! fields as `custom.NAME`. A CSV export writes [`columns`] plus the `custom.*` names found in
//! the records as its header, then [`values`] of each record in that order.

use crate::domain::record::{Account, Contact, Interaction};
use crate::domain::{Kind, Meta, Record, Ticket};

const STAMPS: &[&str] = &["created_at", "created_by", "updated_at", "updated_by"];

/// The fixed columns of an export of `kind`, in order; `None` for kinds not exported this way.
pub fn columns(kind: Kind) -> Option<Vec<&'static str>> {
    let mut own: Vec<&'static str> = match kind {
        Kind::Account => ["id"]
            .into_iter()
            .chain(Account::SETTABLE.iter().copied())
            .chain(["last_contact_at"])
            .collect(),
        Kind::Contact => ["id", "account"]
            .into_iter()
            .chain(Contact::SETTABLE.iter().copied())
            .collect(),
        Kind::Interaction => vec![
            "id",
            "account",
            "contact",
            "ticket",
            "channel",
            "direction",
            "started_at",
            "duration",
            "outcome",
            "agent",
            "subject",
            "notes",
            "follow_up",
            "external_id",
        ],
        Kind::Ticket => vec![
            "id",
            "account",
            "contact",
            "subject",
            "description",
            "category",
            "priority",
            "assignee",
            "queue",
            "status",
            "external_id",
            "csat",
            "csat_comment",
            "articles",
            "events",
            "first_response_at",
        ],
        _ => return None,
    };
    own.extend(STAMPS);
    Some(own)
}

/// A record's values for every column of [`columns`] (empty where unset), in order; its custom
/// fields, `custom.NAME` columns, are its meta's.
pub fn values(record: &Record) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let shown = |v: Option<String>| v.unwrap_or_default();
    let mut out: Vec<(&str, String)> = match record {
        Record::Account(a) => account(a),
        Record::Contact(c) => contact(c),
        Record::Interaction(i) => interaction(i),
        Record::Ticket(t) => vec![
            ("id", t.meta.id.to_string()),
            ("account", t.account.to_string()),
            ("contact", shown(t.contact.map(|c| c.to_string()))),
            ("subject", t.subject.clone()),
            ("description", text(&t.description)),
            ("category", text(&t.category)),
            ("priority", t.priority.to_string()),
            ("assignee", text(&t.assignee)),
            ("queue", text(&t.queue)),
            ("status", t.status.to_string()),
            ("external_id", text(&t.external_id)),
            ("csat", shown(t.csat.as_ref().map(|c| c.score.to_string()))),
            (
                "csat_comment",
                shown(t.csat.as_ref().and_then(|c| c.comment.clone())),
            ),
            ("articles", join(t.articles.iter().map(|a| a.to_string()))),
            ("events", events(t)),
            (
                "first_response_at",
                shown(t.first_response_at.map(|at| at.to_string())),
            ),
        ],
        Record::User(_) | Record::Article(_) | Record::Calendar(_) | Record::Policy(_) => {
            Vec::new()
        }
    };
    out.extend(stamps(record.meta()));
    out
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

fn stamps(meta: &Meta) -> Vec<(&'static str, String)> {
    vec![
        ("created_at", meta.created_at.to_string()),
        ("created_by", meta.created_by.clone()),
        ("updated_at", meta.updated_at.to_string()),
        ("updated_by", meta.updated_by.clone()),
    ]
}

fn account(a: &Account) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("id", a.meta.id.to_string()),
        ("name", a.name.clone()),
        ("kind", a.kind.to_string()),
        ("relationship", a.relationship.to_string()),
        ("segment", text(&a.segment)),
        ("tags", a.tags.join(", ")),
        ("owner", text(&a.owner)),
        ("phones", join(a.phones.iter().map(|p| p.number.clone()))),
        ("emails", a.emails.join(", ")),
        ("website", text(&a.website)),
        ("street", text(&a.address.street)),
        ("city", text(&a.address.city)),
        ("region", text(&a.address.region)),
        ("postcode", text(&a.address.postcode)),
        ("country", text(&a.address.country)),
        ("external_id", text(&a.external_id)),
        ("lifecycle_stage", text(&a.lifecycle_stage)),
        ("notes", text(&a.notes)),
        (
            "last_contact_at",
            a.last_contact_at.map(|t| t.to_string()).unwrap_or_default(),
        ),
    ]
}

fn contact(c: &Contact) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("id", c.meta.id.to_string()),
        ("account", c.account.to_string()),
        ("name", c.name.clone()),
        ("title", text(&c.title)),
        ("phones", join(c.phones.iter().map(|p| p.number.clone()))),
        ("emails", c.emails.join(", ")),
        (
            "preferred_channel",
            c.preferred_channel
                .map(|p| p.to_string())
                .unwrap_or_default(),
        ),
        (
            "decision_maker",
            if c.decision_maker { "yes" } else { "no" }.to_string(),
        ),
        ("external_id", text(&c.external_id)),
    ]
}

fn interaction(i: &Interaction) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        ("id", i.meta.id.to_string()),
        ("account", i.account.to_string()),
        (
            "contact",
            i.contact.map(|c| c.to_string()).unwrap_or_default(),
        ),
        (
            "ticket",
            i.ticket.map(|t| t.to_string()).unwrap_or_default(),
        ),
        ("channel", i.channel.to_string()),
        ("direction", i.direction.to_string()),
        ("started_at", i.started_at.to_string()),
        ("duration", i.duration.to_string()),
        ("outcome", i.outcome.to_string()),
        ("agent", i.agent.clone()),
        ("subject", text(&i.subject)),
        ("notes", text(&i.notes)),
        (
            "follow_up",
            i.follow_up.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("external_id", text(&i.external_id)),
    ]
}

/// A ticket's history as JSON text (it has no flat form).
fn events(t: &Ticket) -> String {
    serde_json::to_string(&t.events).expect("events always serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::Phone;
    use crate::domain::{Id, Meta};
    use crate::interchange::delimited::{CsvWriter, DelimitedReader};
    use crate::interchange::{ColumnMap, columns as mapping};

    fn account() -> Account {
        let meta = Meta::new(
            Id::new(Kind::Account, 42),
            "ann",
            "2026-03-02T10:00:00Z".parse().unwrap(),
        );
        let mut a = Account::new(meta, "Müller, Söhne & Co.".into());
        for (field, value) in [
            ("kind", "person"),
            ("relationship", "customer"),
            ("segment", "smb"),
            ("tags", "vip, 北京"),
            ("owner", "bob"),
            ("phones", "+49 89 1234 5678, +1 415 555 0100"),
            ("emails", "a@mueller.example, b@mueller.example"),
            ("website", "https://mueller.example"),
            ("street", "Straße 1\nHinterhaus"),
            ("city", "München"),
            ("region", "BY"),
            ("postcode", "80331"),
            ("country", "Germany"),
            ("external_id", "SF-1"),
            ("lifecycle_stage", "customer"),
            ("notes", "says \"hi\"; twice"),
            ("custom.Industry", "Brewing"),
            ("custom.vcard.x-im", "X-IM:a\nX-IM:b"),
        ] {
            a.set(field, value).unwrap();
        }
        a
    }

    #[test]
    fn values_follow_the_columns() {
        let values = values(&Record::Account(account()));
        let names: Vec<&str> = values.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, columns(Kind::Account).unwrap());
    }

    #[test]
    fn every_export_column_maps_back_to_its_field() {
        for kind in [
            Kind::Account,
            Kind::Contact,
            Kind::Interaction,
            Kind::Ticket,
        ] {
            let mut map = ColumnMap::new(kind, &[]).unwrap();
            for column in columns(kind).unwrap() {
                assert_eq!(
                    map.target(column),
                    &mapping::Target::Field(column),
                    "{kind:?} {column}"
                );
            }
        }
    }

    #[test]
    fn an_account_exported_to_csv_imports_field_for_field() {
        let original = account();
        let values = values(&Record::Account(original.clone()));
        let custom: Vec<String> = original
            .meta
            .custom
            .keys()
            .map(|k| format!("custom.{k}"))
            .collect();
        let header: Vec<&str> = values
            .iter()
            .map(|(k, _)| *k)
            .chain(custom.iter().map(String::as_str))
            .collect();
        let row: Vec<&str> = values
            .iter()
            .map(|(_, v)| v.as_str())
            .chain(original.meta.custom.values().map(String::as_str))
            .collect();
        let mut w = CsvWriter::new(Vec::new(), &header).unwrap();
        w.write_row(&row).unwrap();
        let csv = w.finish().unwrap();

        let mut reader = DelimitedReader::new(&csv[..]).unwrap();
        let row = reader.next().unwrap().unwrap();
        let fields = ColumnMap::new(Kind::Account, &[]).unwrap().apply(&row);
        let meta = Meta::new(
            Id::new(Kind::Account, 42),
            "ann",
            "2026-03-02T10:00:00Z".parse().unwrap(),
        );
        let mut again = Account::new(meta, String::new());
        for (field, value) in &fields {
            match field.as_str() {
                "id" | "created_at" | "updated_at" | "created_by" | "updated_by" => {}
                _ => again.set(field, value).unwrap(),
            }
        }
        assert_eq!(again, original);
        assert_eq!(
            again.phones,
            vec![
                Phone::parse("+49 89 1234 5678").unwrap(),
                Phone::parse("+1 415 555 0100").unwrap()
            ]
        );
    }
}

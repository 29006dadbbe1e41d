//! Records as the columns an export writes and an import maps back: the field names that
//! `Record::set` and [`super::columns`] use, lists joined with `, `, times in RFC 3339, custom
//! fields as `custom.NAME`. A CSV export writes [`columns`] plus the `custom.*` names found in
//! the records as its header, then [`values`] of each record in that order.

use crate::domain::record::{Account, Contact, Interaction};
use crate::domain::{Choice, Kind, Meta, Record, Ticket};
use std::borrow::Cow;

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

/// A record's value in one column: borrowed from the record where it holds it as it is shown.
pub type Value<'a> = Cow<'a, str>;

/// A record's values for every column of [`columns`] (empty where unset), in order; its custom
/// fields, `custom.NAME` columns, are its meta's.
pub fn values(record: &Record) -> Vec<(&'static str, Value<'_>)> {
    let mut out = match record {
        Record::Account(a) => account(a),
        Record::Contact(c) => contact(c),
        Record::Interaction(i) => interaction(i),
        Record::Ticket(t) => vec![
            ("id", shown(t.meta.id)),
            ("account", shown(t.account)),
            ("contact", shown_or_empty(t.contact)),
            ("subject", Cow::from(t.subject.as_str())),
            ("description", text(&t.description)),
            ("category", text(&t.category)),
            ("priority", word(t.priority)),
            ("assignee", text(&t.assignee)),
            ("queue", text(&t.queue)),
            ("status", word(t.status)),
            ("external_id", text(&t.external_id)),
            ("csat", shown_or_empty(t.csat.as_ref().map(|c| c.score))),
            (
                "csat_comment",
                text(t.csat.as_ref().map_or(&None, |c| &c.comment)),
            ),
            (
                "articles",
                join(t.articles.iter().map(|a| Cow::from(a.to_string()))),
            ),
            ("events", Cow::from(events(t))),
            ("first_response_at", shown_or_empty(t.first_response_at)),
        ],
        Record::User(_) | Record::Article(_) | Record::Calendar(_) | Record::Policy(_) => {
            Vec::new()
        }
    };
    out.extend(stamps(record.meta()));
    out
}

fn text(v: &Option<String>) -> Value<'_> {
    Cow::from(v.as_deref().unwrap_or_default())
}

fn shown<'a>(v: impl std::fmt::Display) -> Value<'a> {
    Cow::from(v.to_string())
}

fn shown_or_empty<'a>(v: Option<impl std::fmt::Display>) -> Value<'a> {
    v.map_or(Cow::from(""), shown)
}

fn word<'a>(choice: impl Choice) -> Value<'a> {
    Cow::from(choice.word())
}

/// Items joined with `, `; one item alone is borrowed.
fn join<'a>(mut items: impl Iterator<Item = Value<'a>>) -> Value<'a> {
    let Some(first) = items.next() else {
        return Cow::from("");
    };
    items.fold(first, |mut all, item| {
        let all_mut = all.to_mut();
        all_mut.push_str(", ");
        all_mut.push_str(&item);
        all
    })
}

fn strings(items: &[String]) -> Value<'_> {
    join(items.iter().map(|s| Cow::from(s.as_str())))
}

fn stamps(meta: &Meta) -> [(&'static str, Value<'_>); 4] {
    [
        ("created_at", shown(meta.created_at)),
        ("created_by", Cow::from(meta.created_by.as_str())),
        ("updated_at", shown(meta.updated_at)),
        ("updated_by", Cow::from(meta.updated_by.as_str())),
    ]
}

fn account(a: &Account) -> Vec<(&'static str, Value<'_>)> {
    vec![
        ("id", shown(a.meta.id)),
        ("name", Cow::from(a.name.as_str())),
        ("kind", word(a.kind)),
        ("relationship", word(a.relationship)),
        ("segment", text(&a.segment)),
        ("tags", strings(&a.tags)),
        ("owner", text(&a.owner)),
        (
            "phones",
            join(a.phones.iter().map(|p| Cow::from(p.number.as_str()))),
        ),
        ("emails", strings(&a.emails)),
        ("website", text(&a.website)),
        ("street", text(&a.address.street)),
        ("city", text(&a.address.city)),
        ("region", text(&a.address.region)),
        ("postcode", text(&a.address.postcode)),
        ("country", text(&a.address.country)),
        ("external_id", text(&a.external_id)),
        ("lifecycle_stage", text(&a.lifecycle_stage)),
        ("notes", text(&a.notes)),
        ("last_contact_at", shown_or_empty(a.last_contact_at)),
    ]
}

fn contact(c: &Contact) -> Vec<(&'static str, Value<'_>)> {
    vec![
        ("id", shown(c.meta.id)),
        ("account", shown(c.account)),
        ("name", Cow::from(c.name.as_str())),
        ("title", text(&c.title)),
        (
            "phones",
            join(c.phones.iter().map(|p| Cow::from(p.number.as_str()))),
        ),
        ("emails", strings(&c.emails)),
        (
            "preferred_channel",
            c.preferred_channel.map_or(Cow::from(""), word),
        ),
        (
            "decision_maker",
            Cow::from(if c.decision_maker { "yes" } else { "no" }),
        ),
        ("external_id", text(&c.external_id)),
    ]
}

fn interaction(i: &Interaction) -> Vec<(&'static str, Value<'_>)> {
    vec![
        ("id", shown(i.meta.id)),
        ("account", shown(i.account)),
        ("contact", shown_or_empty(i.contact)),
        ("ticket", shown_or_empty(i.ticket)),
        ("channel", word(i.channel)),
        ("direction", word(i.direction)),
        ("started_at", shown(i.started_at)),
        ("duration", shown(i.duration)),
        ("outcome", word(i.outcome)),
        ("agent", Cow::from(i.agent.as_str())),
        ("subject", text(&i.subject)),
        ("notes", text(&i.notes)),
        ("follow_up", shown_or_empty(i.follow_up)),
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
        let record = Record::Account(account());
        let values = values(&record);
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
        let record = Record::Account(original.clone());
        let values = values(&record);
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
            .map(|(_, v)| v.as_ref())
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

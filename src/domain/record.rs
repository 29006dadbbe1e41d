//! The records of the CRM and what every record carries: id, creation and update stamps, and a
//! free map of custom fields so that an import never drops a column it does not know.

use super::article::Article;
use super::choice::{Choice, choice};
use super::id::{Id, Kind};
use super::sla::{Calendar, Policy};
use super::ticket::Ticket;
use super::validate::{self, Invalid, Phone};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What every record carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    pub id: Id,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub created_by: String,
    pub updated_by: String,
    /// Fields the model does not name, kept as text.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom: BTreeMap<String, String>,
}

impl Meta {
    /// The stamps of a record created by `user` at `now`.
    pub fn new(id: Id, user: &str, now: Timestamp) -> Meta {
        Meta {
            id,
            created_at: now,
            updated_at: now,
            created_by: user.to_string(),
            updated_by: user.to_string(),
            custom: BTreeMap::new(),
        }
    }

    /// Marks the record as changed by `user` at `now`.
    pub fn touch(&mut self, user: &str, now: Timestamp) {
        self.updated_at = now;
        self.updated_by = user.to_string();
    }
}

choice!(
    /// Whether an account is an organisation or a person.
    AccountKind, "kind" { Organisation = "organisation", Person = "person" }
);

choice!(
    /// Where an account stands with us.
    Relationship, "relationship" {
        Prospect = "prospect",
        Customer = "customer",
        Partner = "partner",
        Reseller = "reseller",
        Former = "former",
    }
);

choice!(
    /// How an interaction reached or left us.
    Channel, "channel" {
        Call = "call",
        Email = "email",
        Chat = "chat",
        Sms = "sms",
        Meeting = "meeting",
        Fax = "fax",
        Note = "note",
    }
);

choice!(
    /// Which way an interaction went.
    Direction, "direction" { Inbound = "inbound", Outbound = "outbound", Internal = "internal" }
);

choice!(
    /// How an interaction ended.
    Outcome, "outcome" {
        Answered = "answered",
        Resolved = "resolved",
        NoAnswer = "no-answer",
        Voicemail = "voicemail",
        Busy = "busy",
        CallbackRequested = "callback-requested",
        FollowUp = "follow-up",
        WrongNumber = "wrong-number",
        Sent = "sent",
    }
);

choice!(
    /// What a user may do: agents log and work tickets; supervisors also reassign, merge and
    /// run reports; admins also import, delete, restore and manage users.
    Role, "role" { Agent = "agent", Supervisor = "supervisor", Admin = "admin" }
);

/// A postal address; every part optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    /// True when no part is set.
    pub fn is_empty(&self) -> bool {
        self == &Address::default()
    }
}

/// A customer organisation or individual.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Account {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    pub name: String,
    pub kind: AccountKind,
    pub relationship: Relationship,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Address::is_empty")]
    pub address: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle_stage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// When the last interaction with this account started; drives search ranking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_contact_at: Option<Timestamp>,
}

/// A person at an account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Contact {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    pub account: Id,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub emails: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_channel: Option<Channel>,
    #[serde(default)]
    pub decision_maker: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// One touch with a customer. Append-only: corrections are new interactions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Interaction {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    pub account: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Id>,
    pub channel: Channel,
    pub direction: Direction,
    pub started_at: Timestamp,
    /// Whole seconds.
    pub duration: u32,
    pub outcome: Outcome,
    pub agent: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<jiff::civil::Date>,
    /// The id in the system it was imported from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// Someone who uses rapport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct User {
    #[serde(flatten, skip_deserializing, default = "crate::domain::stamped::unset")]
    pub meta: Meta,
    /// The login name, as given to `--as`.
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub queues: Vec<String>,
}

/// Any stored record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Account(Account),
    Contact(Contact),
    Interaction(Interaction),
    Ticket(Ticket),
    User(User),
    Article(Article),
    Calendar(Calendar),
    Policy(Policy),
}

impl Record {
    /// The stamps every record carries.
    pub fn meta(&self) -> &Meta {
        match self {
            Record::Account(r) => &r.meta,
            Record::Contact(r) => &r.meta,
            Record::Interaction(r) => &r.meta,
            Record::Ticket(r) => &r.meta,
            Record::User(r) => &r.meta,
            Record::Article(r) => &r.meta,
            Record::Calendar(r) => &r.meta,
            Record::Policy(r) => &r.meta,
        }
    }

    /// The stamps every record carries, to change.
    pub fn meta_mut(&mut self) -> &mut Meta {
        match self {
            Record::Account(r) => &mut r.meta,
            Record::Contact(r) => &mut r.meta,
            Record::Interaction(r) => &mut r.meta,
            Record::Ticket(r) => &mut r.meta,
            Record::User(r) => &mut r.meta,
            Record::Article(r) => &mut r.meta,
            Record::Calendar(r) => &mut r.meta,
            Record::Policy(r) => &mut r.meta,
        }
    }

    /// The record's id.
    pub fn id(&self) -> Id {
        self.meta().id
    }

    /// The record as JSON, with the field names of the data model.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("records always serialise")
    }

    /// Writes the record as JSON text, the same text as [`to_json`](Self::to_json) gives,
    /// without building the value tree first.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(out, self).expect("records always serialise");
    }

    /// Reads a record of `kind` from JSON.
    pub fn from_json(kind: Kind, value: serde_json::Value) -> Result<Record, serde_json::Error> {
        Record::deserialize_as(kind, value)
    }

    /// The names of the custom fields in a record's JSON text, read without decoding the rest
    /// of the record (every other field is skipped over).
    pub fn custom_field_names(json: &[u8]) -> Result<Vec<String>, serde_json::Error> {
        #[derive(serde::Deserialize)]
        struct CustomOnly {
            #[serde(default)]
            custom: BTreeMap<String, serde::de::IgnoredAny>,
        }
        let only: CustomOnly = serde_json::from_slice(json)?;
        Ok(only.custom.into_keys().collect())
    }

    /// Reads a record of `kind` from JSON text, without building the value tree first. The
    /// text is checked to be UTF-8 once, as a whole, rather than string by string as it is
    /// read, which costs more for a record of many short strings. Text that is not UTF-8 is
    /// read byte by byte, so that the error says where.
    pub fn from_json_slice(kind: Kind, json: &[u8]) -> Result<Record, serde_json::Error> {
        fn read<'de, R: serde_json::de::Read<'de>>(
            kind: Kind,
            mut de: serde_json::Deserializer<R>,
        ) -> Result<Record, serde_json::Error> {
            let record = Record::deserialize_as(kind, &mut de)?;
            de.end()?;
            Ok(record)
        }
        match std::str::from_utf8(json) {
            Ok(text) => read(kind, serde_json::Deserializer::from_str(text)),
            Err(_) => read(kind, serde_json::Deserializer::from_slice(json)),
        }
    }

    fn deserialize_as<'de, D: serde::Deserializer<'de>>(
        kind: Kind,
        de: D,
    ) -> Result<Record, D::Error> {
        use serde::Deserialize;
        Ok(match kind {
            Kind::Account => Record::Account(Deserialize::deserialize(de)?),
            Kind::Contact => Record::Contact(Deserialize::deserialize(de)?),
            Kind::Interaction => Record::Interaction(Deserialize::deserialize(de)?),
            Kind::Ticket => Record::Ticket(Deserialize::deserialize(de)?),
            Kind::User => Record::User(Deserialize::deserialize(de)?),
            Kind::Article => Record::Article(Deserialize::deserialize(de)?),
            Kind::Calendar => Record::Calendar(Deserialize::deserialize(de)?),
            Kind::Policy => Record::Policy(Deserialize::deserialize(de)?),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "{} records are not stored yet",
                    other.noun()
                )));
            }
        })
    }
}

/// A record serialises as its own fields, untagged: its kind is in its id.
impl serde::Serialize for Record {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Account(r) => r.serialize(s),
            Record::Contact(r) => r.serialize(s),
            Record::Interaction(r) => r.serialize(s),
            Record::Ticket(r) => r.serialize(s),
            Record::User(r) => r.serialize(s),
            Record::Article(r) => r.serialize(s),
            Record::Calendar(r) => r.serialize(s),
            Record::Policy(r) => r.serialize(s),
        }
    }
}

macro_rules! record_from {
    ($($t:ident),+) => {$(
        impl From<$t> for Record {
            fn from(r: $t) -> Record { Record::$t(r) }
        }
    )+};
}
record_from!(
    Account,
    Contact,
    Interaction,
    Ticket,
    User,
    Article,
    Calendar,
    Policy
);

/// Splits a list typed on one line (`a, b; c`) into its trimmed, non-empty items.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split([',', ';'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads a list of phone numbers typed on one line.
pub fn parse_phones(value: &str) -> Result<Vec<Phone>, Invalid> {
    // Only commas separate numbers: a semicolon belongs to a number (`tel:…;ext=12`).
    value
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(Phone::parse)
        .collect()
}

/// Reads a list of emails typed on one line.
pub fn parse_emails(value: &str) -> Result<Vec<String>, Invalid> {
    split_list(value)
        .iter()
        .map(|e| validate::email(e))
        .collect()
}

/// Sets a custom field (`custom.NAME=VALUE`); an empty value removes it.
fn set_custom(meta: &mut Meta, name: &str, value: &str) -> Result<(), Invalid> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Invalid::new(
            "custom",
            "a custom field needs a name (custom.NAME=VALUE)",
        ));
    }
    if value.trim().is_empty() {
        meta.custom.remove(name);
    } else {
        meta.custom.insert(name.to_string(), value.to_string());
    }
    Ok(())
}

fn unknown_field(field: &str, fields: &[&str]) -> Invalid {
    Invalid::new(
        field,
        format!(
            "no such field; settable: {}, custom.NAME",
            fields.join(", ")
        ),
    )
}

fn choice_field<C: Choice>(field: &str, value: &str) -> Result<C, Invalid> {
    C::parse(value).map_err(|e| Invalid::new(field, e.to_string()))
}

impl Account {
    /// The fields `--set FIELD=VALUE` can change.
    pub const SETTABLE: &'static [&'static str] = &[
        "name",
        "kind",
        "relationship",
        "segment",
        "tags",
        "owner",
        "phones",
        "emails",
        "website",
        "street",
        "city",
        "region",
        "postcode",
        "country",
        "external_id",
        "lifecycle_stage",
        "notes",
    ];

    /// A new account with only a name.
    pub fn new(meta: Meta, name: String) -> Account {
        Account {
            meta,
            name,
            kind: AccountKind::Organisation,
            relationship: Relationship::Prospect,
            segment: None,
            tags: Vec::new(),
            owner: None,
            phones: Vec::new(),
            emails: Vec::new(),
            website: None,
            address: Address::default(),
            external_id: None,
            lifecycle_stage: None,
            notes: None,
            last_contact_at: None,
        }
    }

    /// Sets one field from text; lists are comma-separated and an empty value clears.
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), Invalid> {
        let text = || validate::optional(Some(value));
        match field {
            "name" => self.name = validate::required("name", value)?,
            "kind" => self.kind = choice_field("kind", value)?,
            "relationship" => self.relationship = choice_field("relationship", value)?,
            "segment" => self.segment = text(),
            "tags" => self.tags = split_list(value),
            "owner" => self.owner = text(),
            "phones" | "phone" => self.phones = parse_phones(value)?,
            "emails" | "email" => self.emails = parse_emails(value)?,
            "website" => self.website = text(),
            "street" => self.address.street = text(),
            "city" => self.address.city = text(),
            "region" => self.address.region = text(),
            "postcode" => self.address.postcode = text(),
            "country" => self.address.country = text(),
            "external_id" => self.external_id = text(),
            "lifecycle_stage" => self.lifecycle_stage = text(),
            "notes" => self.notes = text(),
            _ => match field.strip_prefix("custom.") {
                Some(name) => set_custom(&mut self.meta, name, value)?,
                None => return Err(unknown_field(field, Self::SETTABLE)),
            },
        }
        Ok(())
    }

    /// The first phone number, for lists.
    pub fn main_phone(&self) -> Option<&str> {
        self.phones.first().map(|p| p.number.as_str())
    }
}

impl Contact {
    /// The fields `--set FIELD=VALUE` can change.
    pub const SETTABLE: &'static [&'static str] = &[
        "name",
        "title",
        "phones",
        "emails",
        "preferred_channel",
        "decision_maker",
        "external_id",
    ];

    /// A new contact at `account` with only a name.
    pub fn new(meta: Meta, account: Id, name: String) -> Contact {
        Contact {
            meta,
            account,
            name,
            title: None,
            phones: Vec::new(),
            emails: Vec::new(),
            preferred_channel: None,
            decision_maker: false,
            external_id: None,
        }
    }

    /// Sets one field from text; lists are comma-separated and an empty value clears.
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), Invalid> {
        let text = || validate::optional(Some(value));
        match field {
            "name" => self.name = validate::required("name", value)?,
            "title" => self.title = text(),
            "phones" | "phone" => self.phones = parse_phones(value)?,
            "emails" | "email" => self.emails = parse_emails(value)?,
            "preferred_channel" => {
                self.preferred_channel = match text() {
                    None => None,
                    Some(v) => Some(choice_field("preferred_channel", &v)?),
                }
            }
            "decision_maker" => self.decision_maker = parse_bool("decision_maker", value)?,
            "external_id" => self.external_id = text(),
            _ => match field.strip_prefix("custom.") {
                Some(name) => set_custom(&mut self.meta, name, value)?,
                None => return Err(unknown_field(field, Self::SETTABLE)),
            },
        }
        Ok(())
    }
}

/// Reads yes/no, true/false, 1/0.
pub fn parse_bool(field: &str, value: &str) -> Result<bool, Invalid> {
    match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Ok(true),
        "no" | "n" | "false" | "0" | "" => Ok(false),
        _ => Err(Invalid::new(
            field,
            format!("'{value}' is not yes or no (accepted: yes, no, true, false, 1, 0)"),
        )),
    }
}

crate::domain::stamped::stamped!(Account, Contact, Interaction, User);

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> Account {
        let meta = Meta::new(Id::new(Kind::Account, 1), "ann", Timestamp::UNIX_EPOCH);
        Account::new(meta, "Acme".into())
    }

    #[test]
    fn account_json_uses_the_data_model_field_names() {
        let mut a = account();
        a.set("phones", "+1 415 555 0123").unwrap();
        a.set("custom.tier", "gold").unwrap();
        let json = Record::from(a.clone()).to_json();
        assert_eq!(json["id"], "A-1");
        assert_eq!(json["name"], "Acme");
        assert_eq!(json["relationship"], "prospect");
        assert_eq!(json["created_by"], "ann");
        assert_eq!(json["created_at"], "1970-01-01T00:00:00Z");
        assert_eq!(json["custom"]["tier"], "gold");
        assert_eq!(json["phones"][0]["digits"], "14155550123");
        let back = Record::from_json(Kind::Account, json).unwrap();
        assert_eq!(back, Record::Account(a));
    }

    #[test]
    fn json_text_that_is_not_utf8_is_an_error_saying_where() {
        let text = Record::from(account()).to_json().to_string();
        let at = text.find("Acme").expect("the name") + 1;
        let mut bytes = text.into_bytes();
        assert!(Record::from_json_slice(Kind::Account, &bytes).is_ok());
        bytes[at] = 0xff;
        let err = Record::from_json_slice(Kind::Account, &bytes).unwrap_err();
        assert!(err.to_string().contains("line 1 column"), "{err}");
    }

    #[test]
    fn set_refuses_unknown_fields_listing_the_settable_ones() {
        let err = account().set("colour", "red").unwrap_err();
        assert_eq!(err.field, "colour");
        assert!(err.reason.contains("relationship"), "{err}");
    }

    #[test]
    fn set_refuses_unknown_choices_listing_the_accepted_ones() {
        let err = account().set("relationship", "friend").unwrap_err();
        assert!(
            err.reason
                .contains("prospect, customer, partner, reseller, former"),
            "{err}"
        );
    }

    #[test]
    fn empty_values_clear_optional_fields_and_custom_fields() {
        let mut a = account();
        a.set("segment", "smb").unwrap();
        a.set("custom.tier", "gold").unwrap();
        a.set("segment", "").unwrap();
        a.set("custom.tier", "").unwrap();
        assert_eq!(a.segment, None);
        assert!(a.meta.custom.is_empty());
    }

    #[test]
    fn records_without_optional_fields_still_read() {
        let json = serde_json::json!({
            "id": "A-9", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "created_by": "x", "updated_by": "x", "name": "Old", "kind": "person",
            "relationship": "customer"
        });
        let Record::Account(a) = Record::from_json(Kind::Account, json).unwrap() else {
            panic!("not an account")
        };
        assert!(a.phones.is_empty() && a.tags.is_empty() && a.address.is_empty());
    }
}

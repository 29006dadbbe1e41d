//! Typed, human-readable record ids (`A-1042`, `T-7`, `KB-3`) that an agent can read over the
//! phone. Numbers come from per-kind counters in the store and are never reused.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The kinds of record that carry an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Account,
    Contact,
    Interaction,
    Ticket,
    Article,
    Opportunity,
    Campaign,
    User,
    /// A business calendar for SLA clocks.
    Calendar,
    /// An SLA policy: targets for one priority.
    Policy,
}

impl Kind {
    /// Every kind, in key-layout order.
    pub const ALL: [Kind; 10] = [
        Kind::Account,
        Kind::Contact,
        Kind::Interaction,
        Kind::Ticket,
        Kind::Article,
        Kind::Opportunity,
        Kind::Campaign,
        Kind::User,
        Kind::Calendar,
        Kind::Policy,
    ];

    /// The prefix an id of this kind is written with.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Account => "A",
            Kind::Contact => "C",
            Kind::Interaction => "I",
            Kind::Ticket => "T",
            Kind::Article => "KB",
            Kind::Opportunity => "O",
            Kind::Campaign => "CP",
            Kind::User => "U",
            Kind::Calendar => "CAL",
            Kind::Policy => "SLA",
        }
    }

    /// The plural noun used in messages and on the command line (`accounts`).
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Account => "accounts",
            Kind::Contact => "contacts",
            Kind::Interaction => "interactions",
            Kind::Ticket => "tickets",
            Kind::Article => "articles",
            Kind::Opportunity => "opportunities",
            Kind::Campaign => "campaigns",
            Kind::User => "users",
            Kind::Calendar => "calendars",
            Kind::Policy => "policies",
        }
    }

    /// The singular noun used in messages (`account`).
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Account => "account",
            Kind::Contact => "contact",
            Kind::Interaction => "interaction",
            Kind::Ticket => "ticket",
            Kind::Article => "article",
            Kind::Opportunity => "opportunity",
            Kind::Campaign => "campaign",
            Kind::User => "user",
            Kind::Calendar => "calendar",
            Kind::Policy => "policy",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.prefix().eq_ignore_ascii_case(prefix))
    }
}

/// A record id: a kind and a number, written `A-1042`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id {
    pub kind: Kind,
    pub number: u64,
}

impl Id {
    /// An id of `kind` with `number`.
    pub fn new(kind: Kind, number: u64) -> Id {
        Id { kind, number }
    }

    /// Parses an id and checks that it is of the expected kind.
    pub fn parse_of(kind: Kind, text: &str) -> Result<Id, IdError> {
        let id: Id = text.parse()?;
        if id.kind != kind {
            return Err(IdError::WrongKind {
                text: text.to_string(),
                expected: kind,
            });
        }
        Ok(id)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.kind.prefix(), self.number)
    }
}

/// Why a piece of text is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("'{0}' is not a record id (ids look like A-12, C-3, I-40, T-7, KB-2)")]
    Malformed(String),
    #[error("'{text}' is not {} id (expected {}-N)", article(.expected.noun()), .expected.prefix())]
    WrongKind { text: String, expected: Kind },
}

fn article(noun: &str) -> String {
    let vowel = noun.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

impl FromStr for Id {
    type Err = IdError;

    fn from_str(text: &str) -> Result<Id, IdError> {
        let malformed = || IdError::Malformed(text.to_string());
        let (prefix, number) = text.trim().split_once('-').ok_or_else(malformed)?;
        let kind = Kind::from_prefix(prefix).ok_or_else(malformed)?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed());
        }
        let number = number.parse().map_err(|_| malformed())?;
        if number == 0 {
            return Err(malformed());
        }
        Ok(Id { kind, number })
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        for text in ["A-1042", "C-1", "I-99", "T-7", "KB-3", "O-12", "CP-5"] {
            let id: Id = text.parse().unwrap();
            assert_eq!(id.to_string(), text);
        }
    }

    #[test]
    fn ids_are_read_case_insensitively() {
        assert_eq!("a-12".parse::<Id>().unwrap(), Id::new(Kind::Account, 12));
        assert_eq!("kb-2".parse::<Id>().unwrap(), Id::new(Kind::Article, 2));
    }

    #[test]
    fn malformed_ids_are_refused() {
        for text in ["", "A", "A-", "A-x", "X-1", "A-0", "A--1", "A-1.5"] {
            assert!(text.parse::<Id>().is_err(), "{text} should be refused");
        }
    }

    #[test]
    fn wrong_kind_names_the_expected_one() {
        let err = Id::parse_of(Kind::Ticket, "A-1").unwrap_err();
        assert_eq!(err.to_string(), "'A-1' is not a ticket id (expected T-N)");
        let err = Id::parse_of(Kind::Account, "T-1").unwrap_err();
        assert_eq!(err.to_string(), "'T-1' is not an account id (expected A-N)");
    }
}

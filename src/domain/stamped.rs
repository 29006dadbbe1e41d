//! Reading a record whose [`Meta`] sits among its own fields in one JSON object, without
//! buffering the object.
//!
//! Serde's `#[serde(flatten)]` reads such an object by keeping every field the record does not
//! name (its meta's, here) as a value tree, then reading the meta from that tree: a fifth of
//! the time a record takes to decode, paid by every read of the store. A record type here
//! keeps `flatten` for writing and skips its meta when its derived code reads; [`stamped!`]
//! gives it a `Deserialize` that hands the derived code the object through [`Capture`], which
//! takes the meta's fields for itself as they go past and passes every other field on. The
//! derive, with `#[serde(remote = "Self")]`, is then the type's own functions that these impls
//! call. The JSON is the same, both ways.

use super::Meta;
use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, Visitor};
use std::collections::BTreeMap;
use std::marker::PhantomData;

/// A record with a meta: its fields but the meta's, read by its derived code.
pub trait Stamped: Sized {
    /// The record as its derived code reads it, with [`unset`] for its meta.
    fn own<'de, D: Deserializer<'de>>(de: D) -> Result<Self, D::Error>;
    fn meta_mut(&mut self) -> &mut Meta;
}

/// The meta a record's derived code leaves in place of the one [`deserialize`] reads.
pub fn unset() -> Meta {
    Meta::new(
        super::Id::new(super::Kind::Account, 0),
        "",
        jiff::Timestamp::UNIX_EPOCH,
    )
}

/// Reads a record of `T` and its meta from one JSON object.
pub fn deserialize<'de, T: Stamped, D: Deserializer<'de>>(de: D) -> Result<T, D::Error> {
    struct Record<T>(PhantomData<T>);
    impl<'de, T: Stamped> Visitor<'de> for Record<T> {
        type Value = T;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a record")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            let mut meta = Parts::default();
            let mut record = T::own(de::value::MapAccessDeserializer::new(Capture {
                map,
                meta: &mut meta,
            }))?;
            *record.meta_mut() = meta.finish()?;
            Ok(record)
        }
    }
    de.deserialize_map(Record(PhantomData))
}

/// Gives a record type, derived with `#[serde(remote = "Self")]` and its meta
/// `#[serde(flatten, skip_deserializing, default = "stamped::unset")]`, its `Serialize` (the
/// derived one) and its `Deserialize` (through [`deserialize`]).
macro_rules! stamped {
    ($($record:ty),+ $(,)?) => {$(
        impl $crate::domain::stamped::Stamped for $record {
            fn own<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                <$record>::deserialize(de)
            }

            fn meta_mut(&mut self) -> &mut $crate::domain::Meta {
                &mut self.meta
            }
        }

        impl serde::Serialize for $record {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                <$record>::serialize(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $record {
            fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
                $crate::domain::stamped::deserialize(de)
            }
        }
    )+};
}
pub(crate) use stamped;

/// The meta's fields, as they are read.
#[derive(Default)]
struct Parts {
    id: Option<super::Id>,
    created_at: Option<jiff::Timestamp>,
    updated_at: Option<jiff::Timestamp>,
    created_by: Option<String>,
    updated_by: Option<String>,
    custom: Option<BTreeMap<String, String>>,
}

impl Parts {
    fn finish<E: de::Error>(self) -> Result<Meta, E> {
        fn given<T, E: de::Error>(field: Option<T>, name: &'static str) -> Result<T, E> {
            field.ok_or_else(|| E::missing_field(name))
        }
        Ok(Meta {
            id: given(self.id, "id")?,
            created_at: given(self.created_at, "created_at")?,
            updated_at: given(self.updated_at, "updated_at")?,
            created_by: given(self.created_by, "created_by")?,
            updated_by: given(self.updated_by, "updated_by")?,
            custom: self.custom.unwrap_or_default(),
        })
    }
}

/// A record's object, its meta's fields taken out as they are read.
struct Capture<'m, A> {
    map: A,
    meta: &'m mut Parts,
}

impl<'de, A: MapAccess<'de>> Capture<'_, A> {
    fn take<T: serde::Deserialize<'de>>(
        map: &mut A,
        slot: &mut Option<T>,
        name: &'static str,
    ) -> Result<(), A::Error> {
        if slot.is_some() {
            return Err(de::Error::duplicate_field(name));
        }
        *slot = Some(map.next_value()?);
        Ok(())
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Capture<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(key) = self.map.next_key::<Key<'de>>()? else {
                return Ok(None);
            };
            let (map, meta) = (&mut self.map, &mut *self.meta);
            match key.as_str() {
                "id" => Self::take(map, &mut meta.id, "id")?,
                "created_at" => Self::take(map, &mut meta.created_at, "created_at")?,
                "updated_at" => Self::take(map, &mut meta.updated_at, "updated_at")?,
                "created_by" => Self::take(map, &mut meta.created_by, "created_by")?,
                "updated_by" => Self::take(map, &mut meta.updated_by, "updated_by")?,
                "custom" => Self::take(map, &mut meta.custom, "custom")?,
                _ => {
                    return match key {
                        Key::Borrowed(name) => seed
                            .deserialize(de::value::BorrowedStrDeserializer::new(name))
                            .map(Some),
                        Key::Owned(name) => seed.deserialize(name.into_deserializer()).map(Some),
                    };
                }
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// A field's name, borrowed from the input when it can be.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(name) => name,
            Key::Owned(name) => name,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Key<'de>, D::Error> {
        struct Name;
        impl<'de> Visitor<'de> for Name {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(name))
            }

            fn visit_str<E>(self, name: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(name.to_string()))
            }

            fn visit_string<E>(self, name: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(name))
            }
        }
        de.deserialize_str(Name)
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::{Account, Record};

    fn account_json() -> serde_json::Value {
        serde_json::json!({
            "id": "A-5",
            "created_at": "2026-12-03T18:34:31Z",
            "updated_at": "2026-12-03T18:35:00Z",
            "created_by": "bench",
            "updated_by": "ana",
            "custom": {"Industry": "smb"},
            "name": "ООО «Волга»",
            "kind": "organisation",
            "relationship": "prospect",
            "emails": ["info@c5.example"],
            "some_field_of_later": 3
        })
    }

    #[test]
    fn a_record_reads_its_meta_from_among_its_fields_and_writes_it_back_there() {
        let json = account_json();
        let account: Account = serde_json::from_value(json.clone()).expect("reads");
        assert_eq!(account.meta.id.to_string(), "A-5");
        assert_eq!(account.meta.updated_by, "ana");
        assert_eq!(account.meta.created_at.to_string(), "2026-12-03T18:34:31Z");
        assert_eq!(account.meta.custom["Industry"], "smb");
        assert_eq!(account.name, "ООО «Волга»");
        // From text (field names borrowed) as from a value tree (owned): the same record.
        let text = serde_json::to_string(&json).expect("text");
        let from_text =
            Record::from_json_slice(crate::domain::Kind::Account, text.as_bytes()).expect("reads");
        assert_eq!(from_text, Record::Account(account.clone()));
        let mut written = serde_json::to_value(&account).expect("writes");
        assert_eq!(written["id"], "A-5");
        assert_eq!(written["custom"]["Industry"], "smb");
        written
            .as_object_mut()
            .expect("an object")
            .insert("some_field_of_later".into(), 3.into());
        let again: Account = serde_json::from_value(written).expect("reads back");
        assert_eq!(again, account);
    }

    #[test]
    fn a_missing_or_repeated_meta_field_is_an_error_naming_it() {
        let mut json = account_json();
        json.as_object_mut()
            .expect("an object")
            .remove("created_by");
        let err = serde_json::from_value::<Account>(json).expect_err("refused");
        assert!(err.to_string().contains("created_by"), "{err}");
        let text = r#"{"id":"A-1","id":"A-2","created_at":"2026-12-03T18:34:31Z","updated_at":"2026-12-03T18:34:31Z","created_by":"a","updated_by":"a","name":"x","kind":"person","relationship":"customer"}"#;
        let err = serde_json::from_str::<Account>(text).expect_err("refused");
        assert!(err.to_string().contains("duplicate field `id`"), "{err}");
    }
}

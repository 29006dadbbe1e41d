//! Closed sets of values (channel, priority, status…) read from and written as kebab-case
//! words. An unknown word is refused with the list of accepted ones.

/// A value from a closed set of words.
pub trait Choice: Sized + Copy + 'static {
    /// What the set is called in messages (`priority`).
    const NAME: &'static str;
    /// Every value, in the order they are listed in help and messages.
    const ALL: &'static [Self];
    /// The word for this value.
    fn word(self) -> &'static str;

    /// Reads a word, case-insensitively, ignoring `_` versus `-`. The word as written (every
    /// stored record's) is found without making a folded copy of it.
    fn parse(text: &str) -> Result<Self, UnknownChoice> {
        let find = |wanted: &str| Self::ALL.iter().copied().find(|v| v.word() == wanted);
        find(text)
            .or_else(|| find(&text.trim().to_lowercase().replace('_', "-")))
            .ok_or_else(|| UnknownChoice {
                what: Self::NAME,
                given: text.to_string(),
                accepted: Self::ALL.iter().map(|v| v.word()).collect(),
            })
    }
}

/// A word outside a closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{given}'; accepted: {}", .accepted.join(", "))]
pub struct UnknownChoice {
    pub what: &'static str,
    pub given: String,
    pub accepted: Vec<&'static str>,
}

/// Declares an enum whose values are the given words, with [`Choice`], `Display`, `FromStr` and
/// serde as those words.
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $crate::domain::choice::Choice for $name {
            const NAME: &'static str = $what;
            const ALL: &'static [Self] = &[$($name::$variant),+];
            fn word(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::domain::choice::Choice::word(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::choice::UnknownChoice;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$name as $crate::domain::choice::Choice>::parse(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str($crate::domain::choice::Choice::word(*self))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                <$name as $crate::domain::choice::Choice>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use choice;

#[cfg(test)]
mod tests {
    use super::*;

    choice!(Colour, "colour" { Red = "red", DarkBlue = "dark-blue" });

    #[test]
    fn words_parse_case_and_underscore_insensitively() {
        assert_eq!(Colour::parse("RED").unwrap(), Colour::Red);
        assert_eq!(Colour::parse("dark_blue").unwrap(), Colour::DarkBlue);
        assert_eq!("dark-blue".parse::<Colour>().unwrap(), Colour::DarkBlue);
    }

    #[test]
    fn unknown_word_lists_the_accepted_ones() {
        let err = Colour::parse("green").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown colour 'green'; accepted: red, dark-blue"
        );
    }

    #[test]
    fn serde_uses_the_words() {
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark-blue\""
        );
        let c: Colour = serde_json::from_str("\"red\"").unwrap();
        assert_eq!(c, Colour::Red);
    }
}

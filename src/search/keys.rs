//! Search keys: what each record can be found by, computed once when the record is written and
//! stored beside it as a [`SearchDocument`].
//!
//! Names are folded (Unicode lowercase, accents' combining marks dropped) and, when not in Latin
//! script, transliterated so that they are reachable from a Latin keyboard: Chinese by pinyin
//! (full, spaced and initials, with every reading of the surname), Cyrillic by a BGN/PCGN-style
//! table, anything else by `deunicode`. Phones are kept as their digits.

use crate::domain::record::Relationship;
use crate::domain::{Account, Id, Kind, Record};
use jiff::Timestamp;
use pinyin::{ToPinyin, ToPinyinMulti};

/// What a key was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyField {
    Name,
    /// A transliteration of a name.
    Transliteration,
    Email,
    /// Digits of a phone number.
    Phone,
    Id,
    ExternalId,
}

impl KeyField {
    pub(crate) fn code(self) -> char {
        match self {
            KeyField::Name => 'n',
            KeyField::Transliteration => 't',
            KeyField::Email => 'e',
            KeyField::Phone => 'p',
            KeyField::Id => 'i',
            KeyField::ExternalId => 'x',
        }
    }

    pub(crate) fn from_code(code: char) -> Option<KeyField> {
        Some(match code {
            'n' => KeyField::Name,
            't' => KeyField::Transliteration,
            'e' => KeyField::Email,
            'p' => KeyField::Phone,
            'i' => KeyField::Id,
            'x' => KeyField::ExternalId,
            _ => return None,
        })
    }

    /// The word shown beside a match (`email`).
    pub fn label(self) -> &'static str {
        match self {
            KeyField::Name | KeyField::Transliteration => "name",
            KeyField::Email => "email",
            KeyField::Phone => "phone",
            KeyField::Id => "id",
            KeyField::ExternalId => "external id",
        }
    }
}

/// One folded key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub field: KeyField,
    pub text: String,
}

/// What a record can be found by, and the account a match leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDocument {
    /// The account a match opens: the record itself, or a contact's account.
    pub account: Id,
    /// For accounts, when the last interaction started (seconds since the epoch).
    pub last_contact: Option<i64>,
    pub keys: Vec<Key>,
    /// For accounts, what a search shows of them.
    pub shown: Option<Shown>,
}

/// What a search result shows of an account besides the match, kept with its keys so that a
/// search can be answered from the index alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub relationship: Relationship,
    pub last_contact_at: Option<Timestamp>,
}

/// [`Shown`] as it is written: a JSON array, which never holds a line break or a tab.
type ShownForm = (
    String,
    Option<String>,
    Option<String>,
    Relationship,
    Option<Timestamp>,
);

impl Shown {
    pub fn of(account: &Account) -> Shown {
        Shown {
            name: account.name.clone(),
            phone: account.main_phone().map(str::to_string),
            email: account.emails.first().cloned(),
            relationship: account.relationship,
            last_contact_at: account.last_contact_at,
        }
    }

    /// One line of compact JSON.
    pub fn encode(&self) -> String {
        let form = (
            &self.name,
            &self.phone,
            &self.email,
            self.relationship,
            self.last_contact_at,
        );
        serde_json::to_string(&form).expect("shown fields serialise")
    }

    /// Reads the form [`encode`](Self::encode) writes.
    pub fn decode(text: &str) -> Option<Shown> {
        let (name, phone, email, relationship, last_contact_at): ShownForm =
            serde_json::from_str(text).ok()?;
        Some(Shown {
            name,
            phone,
            email,
            relationship,
            last_contact_at,
        })
    }
}

/// The code of the line holding [`Shown`], beside the keys' codes (see [`KeyField::code`]).
const SHOWN_CODE: char = 'd';

impl SearchDocument {
    /// Compact text form: account, last contact, then one `<field>\t<key>` line per key, and
    /// for an account a `d\t<shown>` line.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!(
            "{}\n{}\n",
            self.account,
            self.last_contact.map(|s| s.to_string()).unwrap_or_default()
        );
        for key in &self.keys {
            out.push(key.field.code());
            out.push('\t');
            out.push_str(&key.text);
            out.push('\n');
        }
        if let Some(shown) = &self.shown {
            out.push(SHOWN_CODE);
            out.push('\t');
            out.push_str(&shown.encode());
            out.push('\n');
        }
        out.into_bytes()
    }

    /// Reads the form [`encode`](Self::encode) writes.
    pub fn decode(bytes: &[u8]) -> Option<SearchDocument> {
        let text = std::str::from_utf8(bytes).ok()?;
        let mut lines = text.lines();
        let account = lines.next()?.parse().ok()?;
        let last_contact = match lines.next()? {
            "" => None,
            s => Some(s.parse().ok()?),
        };
        let mut keys = Vec::new();
        let mut shown = None;
        for line in lines {
            let (code, text) = line.split_once('\t')?;
            match code.chars().next()? {
                SHOWN_CODE => shown = Some(Shown::decode(text)?),
                code => keys.push(Key {
                    field: KeyField::from_code(code)?,
                    text: text.to_string(),
                }),
            }
        }
        Some(SearchDocument {
            account,
            last_contact,
            keys,
            shown,
        })
    }
}

/// The kinds of record that have a search document.
pub const DOCUMENT_KINDS: [Kind; 2] = [Kind::Account, Kind::Contact];

/// The search document of a record, for the kinds that are searched (accounts, contacts).
pub fn document(record: &Record) -> Option<SearchDocument> {
    debug_assert_eq!(
        DOCUMENT_KINDS.contains(&record.id().kind),
        matches!(record, Record::Account(_) | Record::Contact(_))
    );
    let mut keys = Vec::new();
    let (account, last_contact, external_id, shown) = match record {
        Record::Account(a) => {
            name_keys(&a.name, &mut keys);
            push_contact_points(
                &a.emails,
                a.phones.iter().map(|p| p.digits.as_str()),
                &mut keys,
            );
            (
                a.meta.id,
                a.last_contact_at.map(|t| t.as_second()),
                &a.external_id,
                Some(Shown::of(a)),
            )
        }
        Record::Contact(c) => {
            name_keys(&c.name, &mut keys);
            push_contact_points(
                &c.emails,
                c.phones.iter().map(|p| p.digits.as_str()),
                &mut keys,
            );
            (c.account, None, &c.external_id, None)
        }
        _ => return None,
    };
    push(&mut keys, KeyField::Id, fold(&record.id().to_string()));
    if let Some(ext) = external_id {
        push(&mut keys, KeyField::ExternalId, fold(ext));
    }
    Some(SearchDocument {
        account,
        last_contact,
        keys,
        shown,
    })
}

fn push(keys: &mut Vec<Key>, field: KeyField, text: String) {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !text.is_empty() && !keys.iter().any(|k| k.text == text) {
        keys.push(Key { field, text });
    }
}

fn push_contact_points<'a>(
    emails: &[String],
    digits: impl Iterator<Item = &'a str>,
    keys: &mut Vec<Key>,
) {
    for email in emails {
        push(keys, KeyField::Email, fold(email));
    }
    for d in digits {
        push(keys, KeyField::Phone, d.to_string());
    }
}

/// Folds text for matching: Unicode lowercase, combining marks (accents, Russian stress marks)
/// dropped, ё read as е (as Russians usually type it), runs of white space made one space.
pub fn fold(text: &str) -> String {
    let lower: String = text
        .chars()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// Adds the keys of a name: folded, and its Latin-keyboard forms.
pub fn name_keys(name: &str, keys: &mut Vec<Key>) {
    let folded = fold(name);
    push(keys, KeyField::Name, folded.clone());
    if folded.is_ascii() {
        return;
    }
    if folded.chars().any(is_han) {
        for spaced in pinyin_readings(&folded) {
            let initials: String = spaced.split(' ').filter_map(|w| w.chars().next()).collect();
            push(keys, KeyField::Transliteration, spaced.replace(' ', ""));
            push(keys, KeyField::Transliteration, spaced);
            push(keys, KeyField::Transliteration, initials);
        }
    }
    push(
        keys,
        KeyField::Transliteration,
        fold(&transliterate(&folded)),
    );
    if name.contains(['ё', 'Ё']) {
        // Пётр is written both Petr and Pyotr.
        push(
            keys,
            KeyField::Transliteration,
            transliterate(&name.to_lowercase()),
        );
    }
}

fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ffff}')
}

/// The spaced pinyin of a name, once per reading of its first Han character (surnames such as
/// 曾 zeng/ceng and 单 shan/dan are read differently from the common word), other characters
/// in their most common reading.
fn pinyin_readings(text: &str) -> Vec<String> {
    let mut first_readings: Vec<&str> = Vec::new();
    if let Some(multi) = text
        .chars()
        .find(|c| is_han(*c))
        .and_then(|c| c.to_pinyin_multi())
    {
        for p in multi {
            if !first_readings.contains(&p.plain()) {
                first_readings.push(p.plain());
            }
        }
    }
    let mut words: Vec<String> = Vec::new();
    let mut first_han_word = None;
    let mut latin = String::new();
    let flush = |latin: &mut String, words: &mut Vec<String>| {
        if !latin.trim().is_empty() {
            words.push(transliterate(latin.trim()));
        }
        latin.clear();
    };
    for (c, p) in text.chars().zip(text.to_pinyin()) {
        match p {
            Some(p) => {
                flush(&mut latin, &mut words);
                first_han_word.get_or_insert(words.len());
                words.push(p.plain().to_string());
            }
            None => latin.push(c),
        }
    }
    flush(&mut latin, &mut words);
    let mut readings = vec![words.join(" ")];
    for reading in first_readings.iter().skip(1) {
        let mut alt = words.clone();
        if let Some(w) = first_han_word.and_then(|i| alt.get_mut(i)) {
            *w = reading.to_string();
        }
        let alt = alt.join(" ");
        if !readings.contains(&alt) {
            readings.push(alt);
        }
    }
    readings
}

/// Latin letters for any text: Cyrillic by a BGN/PCGN-style table (as Russians write their
/// names in Latin letters: Юрий → yuriy, Щукин → shchukin), everything else by `deunicode`.
pub fn transliterate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match cyrillic(c) {
            Some(latin) => out.push_str(latin),
            None if c.is_ascii() => out.push(c),
            None => out.push_str(deunicode::deunicode_char(c).unwrap_or("")),
        }
    }
    out.to_lowercase()
}

fn cyrillic(c: char) -> Option<&'static str> {
    let lower = c.to_lowercase().next()?;
    Some(match lower {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'о' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' => "",
        'ы' => "y",
        'ь' => "",
        'э' => "e",
        'ю' => "yu",
        'я' => "ya",
        'і' => "i",
        'ї' => "yi",
        'є' => "ye",
        'ґ' => "g",
        'ў' => "u",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(name: &str) -> Vec<String> {
        let mut keys = Vec::new();
        name_keys(name, &mut keys);
        keys.into_iter().map(|k| k.text).collect()
    }

    #[test]
    fn chinese_names_get_full_spaced_and_initial_pinyin() {
        let keys = keys_of("张伟");
        for k in ["张伟", "zhangwei", "zhang wei", "zw"] {
            assert!(keys.contains(&k.to_string()), "{k} missing from {keys:?}");
        }
    }

    #[test]
    fn chinese_surnames_get_every_reading() {
        let keys = keys_of("曾小贤");
        assert!(keys.contains(&"zengxiaoxian".to_string()), "{keys:?}");
        assert!(keys.contains(&"zxx".to_string()), "{keys:?}");
    }

    #[test]
    fn cyrillic_names_are_transliterated_as_russians_write_them() {
        assert!(keys_of("Иванов").contains(&"ivanov".to_string()));
        assert!(keys_of("Юрий Щукин").contains(&"yuriy shchukin".to_string()));
        let petr = keys_of("Пётр");
        assert!(
            petr.contains(&"petr".to_string()) && petr.contains(&"pyotr".to_string()),
            "{petr:?}"
        );
    }

    #[test]
    fn folding_drops_stress_marks_and_lowercases_any_script() {
        assert_eq!(fold("Андре\u{301}й"), "андрей");
        assert_eq!(fold("ÉMILE  Zola"), "émile zola");
        assert_eq!(fold("ΣΟΦΙΑ"), "σοφια");
    }

    #[test]
    fn accented_latin_names_are_reachable_without_accents() {
        assert!(keys_of("José Müller").contains(&"jose muller".to_string()));
    }

    #[test]
    fn documents_round_trip_through_their_encoding() {
        let doc = SearchDocument {
            account: "A-3".parse().unwrap(),
            last_contact: Some(1_700_000_000),
            keys: vec![
                Key {
                    field: KeyField::Name,
                    text: "张伟".into(),
                },
                Key {
                    field: KeyField::Phone,
                    text: "5550123".into(),
                },
            ],
            shown: Some(Shown {
                name: "张伟\tand\nsons \"Ltd\"".into(),
                phone: Some("+86 10 5555 0123".into()),
                email: None,
                relationship: Relationship::Customer,
                last_contact_at: Some("2026-03-01T09:30:00.5Z".parse().unwrap()),
            }),
        };
        assert_eq!(SearchDocument::decode(&doc.encode()), Some(doc.clone()));
        let contacts = SearchDocument { shown: None, ..doc };
        assert_eq!(SearchDocument::decode(&contacts.encode()), Some(contacts));
    }
}

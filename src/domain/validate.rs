//! Input checks and normal forms for the values people type: names, emails, phone numbers and
//! call durations. Every failure names the field and the value.

use serde::{Deserialize, Serialize};

/// A value that failed a check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// The field, as the record names it (`email`, `duration`).
    pub field: String,
    /// What is wrong, quoting the value.
    pub reason: String,
}

impl Invalid {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// A required free-text value (a name, a subject): trimmed, never empty.
pub fn required(field: &str, value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    Ok(value.to_string())
}

/// An optional free-text value: trimmed, `None` when blank.
pub fn optional(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Checks an email address and returns it trimmed and lowercased: mail systems treat
/// addresses without regard to case, and so must matching and de-duplication.
pub fn email(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    let parsed: email_address::EmailAddress = value.parse().map_err(|e| {
        Invalid::new(
            "email",
            format!("'{value}' is not a valid email address ({e})"),
        )
    })?;
    // Addresses without a dot in the domain (user@localhost) parse, but are never a customer's.
    if !parsed.domain().contains('.') {
        return Err(Invalid::new(
            "email",
            format!("'{value}' is not a valid email address (the domain has no dot)"),
        ));
    }
    Ok(value.to_lowercase())
}

/// A phone number as typed, with its normal forms for matching.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// The number as it was entered, for display.
    pub number: String,
    /// The E.164 form (`+15550123456`) when the number parses as an international number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e164: Option<String>,
    /// Every digit of the number, for matching whatever the formatting.
    pub digits: String,
}

impl Phone {
    /// Reads a phone number. Numbers with a country code are normalised to E.164; others keep
    /// their digits. A value with fewer than three digits, or with letters, is refused.
    pub fn parse(value: &str) -> Result<Phone, Invalid> {
        // A `tel:` URI (vCard 4.0) is the number it names: `tel:+1-555-0100;ext=12`.
        let value = value.trim();
        let uri = value
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("tel:"));
        let value = if uri {
            value[4..].replace(";ext=", " ext ")
        } else {
            value.to_string()
        };
        let number = value.trim();
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let allowed = |c: char| {
            c.is_ascii_digit() || " +-().,/#*;xX\u{a0}".contains(c) || is_extension_word(number)
        };
        if digits.len() < 3 || !number.chars().all(allowed) {
            return Err(Invalid::new(
                "phone",
                format!("'{number}' is not a phone number (digits, spaces, + - ( ) . / allowed)"),
            ));
        }
        let e164 = phonenumber::parse(None, number)
            .ok()
            .filter(phonenumber::is_valid)
            .map(|p| p.format().mode(phonenumber::Mode::E164).to_string());
        Ok(Phone {
            number: number.to_string(),
            e164,
            digits,
        })
    }
}

fn is_extension_word(number: &str) -> bool {
    let lower = number.to_ascii_lowercase();
    lower.contains("ext")
        && lower
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().ext".contains(c))
}

/// Reads a call duration: `4m30s`, `90s`, `1h5m`, `45` (seconds), `04:30` or `00:04:30`.
/// Returns whole seconds.
pub fn duration(value: &str) -> Result<u32, Invalid> {
    let text = value.trim().to_ascii_lowercase();
    let bad = || {
        Invalid::new(
            "duration",
            format!("'{value}' is not a duration (examples: 4m30s, 90s, 1h5m, 00:04:30)"),
        )
    };
    if text.is_empty() {
        return Err(bad());
    }
    let seconds: u64 = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        if parts.len() > 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let numbers: Vec<u64> = parts
            .iter()
            .map(|p| p.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        if numbers[1..].iter().any(|&n| n >= 60) {
            return Err(bad());
        }
        numbers.iter().fold(0, |acc, n| acc * 60 + n)
    } else if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().map_err(|_| bad())?
    } else {
        let mut total = 0u64;
        let mut number = String::new();
        let mut seen_unit = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let factor = match c {
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => return Err(bad()),
            };
            if number.is_empty() || seen_unit.contains(c) {
                return Err(bad());
            }
            seen_unit.push(c);
            total += number.parse::<u64>().map_err(|_| bad())? * factor;
            number.clear();
        }
        if !number.is_empty() {
            return Err(bad());
        }
        total
    };
    u32::try_from(seconds).map_err(|_| bad())
}

/// Writes seconds the way [`duration`] reads them back, leaving out zero parts: `4m30s`,
/// `1h5m`, `2h`, `0s`.
pub fn format_duration(seconds: u32) -> String {
    if seconds == 0 {
        return "0s".to_string();
    }
    let parts = [
        (seconds / 3600, 'h'),
        (seconds / 60 % 60, 'm'),
        (seconds % 60, 's'),
    ];
    parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_accepted_form() {
        for (text, secs) in [
            ("4m30s", 270),
            ("90s", 90),
            ("1h5m", 3900),
            ("00:04:30", 270),
            ("04:30", 270),
            ("45", 45),
            ("2h", 7200),
            (" 1H2M3S ", 3723),
        ] {
            assert_eq!(duration(text).unwrap(), secs, "{text}");
        }
    }

    #[test]
    fn bad_durations_are_refused_with_examples() {
        for text in [
            "", "4x", "m", "4m30", "1:60", "1:2:3:4", "4m4m", "-5s", "::",
        ] {
            let err = duration(text).unwrap_err();
            assert_eq!(err.field, "duration");
            assert!(err.reason.contains("4m30s"), "{text}: {err}");
        }
    }

    #[test]
    fn durations_format_back_to_readable_text() {
        assert_eq!(format_duration(270), "4m30s");
        assert_eq!(format_duration(9), "9s");
        assert_eq!(format_duration(3723), "1h2m3s");
        assert_eq!(format_duration(7200), "2h");
        for secs in [0, 9, 270, 3723] {
            assert_eq!(duration(&format_duration(secs)).unwrap(), secs);
        }
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        assert_eq!(email(" Ann@Example.COM ").unwrap(), "ann@example.com");
        for bad in [
            "ann",
            "ann@",
            "@example.com",
            "ann@@example.com",
            "ann example@x.com",
            "ann@localhost",
        ] {
            let err = email(bad).unwrap_err();
            assert_eq!(err.field, "email");
            assert!(err.reason.contains(bad.trim()), "{err}");
        }
    }

    #[test]
    fn phones_keep_digits_and_display_and_get_e164_when_international() {
        let p = Phone::parse("+1 (415) 555-0123").unwrap();
        assert_eq!(p.number, "+1 (415) 555-0123");
        assert_eq!(p.digits, "14155550123");
        assert_eq!(p.e164.as_deref(), Some("+14155550123"));

        let uri = Phone::parse("tel:+1-555-555-5555;ext=5555").unwrap();
        assert_eq!(uri.number, "+1-555-555-5555 ext 5555");

        let local = Phone::parse("555 0123").unwrap();
        assert_eq!(local.digits, "5550123");
        assert_eq!(local.e164, None);

        let gb = Phone::parse("+44 20 7946 0958").unwrap();
        assert_eq!(gb.e164.as_deref(), Some("+442079460958"));
    }

    #[test]
    fn phones_with_letters_or_too_few_digits_are_refused() {
        for bad in ["call me", "12", "555-CALL-NOW", ""] {
            assert_eq!(Phone::parse(bad).unwrap_err().field, "phone", "{bad}");
        }
    }

    #[test]
    fn required_text_is_trimmed_and_not_empty() {
        assert_eq!(required("name", "  Acme ").unwrap(), "Acme");
        assert_eq!(
            required("name", "   ").unwrap_err().to_string(),
            "name: must not be empty"
        );
    }
}

//! Personal data (个人信息) of petitioners and parties: validation and masking (脱敏).
//!
//! Values are encrypted at rest by the server; this module only decides what a value looks like
//! and how it is shown to someone who may not see it in full.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A resident identity card number (居民身份证号码, GB 11643), checksum verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IdNumber(String);

impl IdNumber {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for IdNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
            return Err("an ID number has 17 digits and a check character".into());
        }
        const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        const C: &[u8; 11] = b"10X98765432";
        let sum: u32 = b[..17]
            .iter()
            .zip(W)
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        if C[(sum % 11) as usize] != b[17] {
            return Err("the ID number's check character is wrong".into());
        }
        Ok(IdNumber(s))
    }
}

impl TryFrom<String> for IdNumber {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<IdNumber> for String {
    fn from(v: IdNumber) -> String {
        v.0
    }
}

/// A phone number: an 11-digit mobile number or a landline of digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Phone {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let ok_chars = s.chars().all(|c| c.is_ascii_digit() || c == '-');
        let mobile = digits == 11 && s.starts_with('1') && !s.contains('-');
        let landline =
            (7..=13).contains(&digits) && s.starts_with('0') || digits == 8 && !s.contains('-');
        if ok_chars && (mobile || landline) {
            Ok(Phone(s.to_string()))
        } else {
            Err(
                "a phone number is an 11-digit mobile number or a landline such as 0769-87654321"
                    .into(),
            )
        }
    }
}

impl TryFrom<String> for Phone {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Phone> for String {
    fn from(v: Phone) -> String {
        v.0
    }
}

fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len().max(1));
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// 张三 → 张*, 欧阳娜娜 → 欧***.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// 13812345678 → 138****5678.
pub fn mask_phone(phone: &str) -> String {
    keep_ends(phone, 3, 4)
}

/// 441900199001011234 → 441***********1234.
pub fn mask_id_number(id: &str) -> String {
    keep_ends(id, 3, 4)
}

/// An address: keep the first six characters.
pub fn mask_address(addr: &str) -> String {
    let n = addr.chars().count();
    if n <= 6 {
        return keep_ends(addr, 1, 0);
    }
    let head: String = addr.chars().take(6).collect();
    format!("{head}{}", "*".repeat((n - 6).min(8)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        // The GB 11643 example number.
        assert!("11010519491231002X".parse::<IdNumber>().is_ok());
        assert!("11010519491231002x".parse::<IdNumber>().is_ok());
        assert!("110105194912310021".parse::<IdNumber>().is_err());
        assert!("1101051949123100".parse::<IdNumber>().is_err());
    }

    #[test]
    fn phones() {
        assert!("13812345678".parse::<Phone>().is_ok());
        assert!("0769-87654321".parse::<Phone>().is_ok());
        assert!("12345".parse::<Phone>().is_err());
        assert!("138-1234-5678x".parse::<Phone>().is_err());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("11010519491231002X"), "110***********002X");
        assert_eq!(
            mask_address("东莞市清溪镇香芒东路1号"),
            "东莞市清溪镇******"
        );
        assert_eq!(mask_phone("123"), "***");
    }
}

//! NHS numbers: 10 digits, Modulus 11 check digit. Synthetic ones come only from the 999 range,
//! which is never issued to patients.

/// The check digit for nine digits, or `None` when the remainder makes the number invalid.
pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10).rev())
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

/// Is `s` a 10-digit string with a valid Modulus 11 check digit?
pub fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digits: Vec<u8> = b.iter().map(|c| c - b'0').collect();
    let nine: [u8; 9] = digits[..9].try_into().unwrap();
    check_digit(&nine) == Some(digits[9])
}

/// A valid number of the 999 range for patient `n`: the first valid body at or after `n`.
pub fn synthetic(n: u64) -> String {
    (0..)
        .find_map(|k| {
            let body = format!("999{:06}", (n + k) % 1_000_000);
            let nine: [u8; 9] = body
                .bytes()
                .map(|c| c - b'0')
                .collect::<Vec<_>>()
                .try_into()
                .unwrap();
            check_digit(&nine).map(|c| format!("{body}{c}"))
        })
        .expect("every tenth body or so is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_numbers() {
        assert!(is_valid("9990000018"));
        assert!(is_valid("9990000026"));
        assert!(!is_valid("9990000019"));
        assert!(!is_valid("999000001"));
        for n in 0..5_000 {
            let s = synthetic(n);
            assert!(s.starts_with("999") && is_valid(&s), "{s}");
        }
    }
}

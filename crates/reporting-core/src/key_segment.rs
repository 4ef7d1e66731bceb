//! A batch id as one segment of an S3 key, reversibly. The core account's batch ids
//! (`requestId`, `requestRefId`) are whatever its clients sent; S3 keys take far more than an
//! identifier, but a `/` would add a level and `.`/`..` mean something to every tool that maps
//! keys to paths. So: the bytes of the identifier set (ASCII letters, digits, `-` `_` `.` `:` `@`
//! `+` `=`) stand for themselves, every other byte of the id's UTF-8 is `%XX` (upper-case hex,
//! `%` itself included), and a segment that would be `.` or `..` has its dots encoded. An id of
//! the identifier set is its own segment, so no key that exists today changes.

use std::fmt::Write;

/// The largest S3 key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;

/// The bytes of the identifier set ([`crate::validate::is_identifier_char`]) stand for themselves.
fn stands_for_itself(b: u8) -> bool {
    b.is_ascii() && crate::validate::is_identifier_char(b as char)
}

/// The key segment of an id.
pub fn encode(id: &str) -> String {
    if id == "." || id == ".." {
        return "%2E".repeat(id.len());
    }
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if stands_for_itself(b) {
            out.push(b as char);
        } else {
            write!(out, "%{b:02X}").expect("writing to a String");
        }
    }
    out
}

/// Why a segment is not one [`encode`] makes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotASegment {
    #[error("{0:?}: a % is not followed by two upper-case hex digits")]
    BadEscape(String),
    #[error("{0:?}: {1:?} should have been encoded")]
    Unencoded(String, char),
    #[error("{0:?}: the decoded bytes are not UTF-8")]
    NotUtf8(String),
}

/// The id a segment stands for (the inverse of [`encode`]).
pub fn decode(segment: &str) -> Result<String, NotASegment> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = segment
                    .get(i + 1..i + 3)
                    .filter(|h| {
                        h.bytes()
                            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c))
                    })
                    .ok_or_else(|| NotASegment::BadEscape(segment.to_string()))?;
                out.push(u8::from_str_radix(hex, 16).expect("two hex digits"));
                i += 3;
            }
            b if stands_for_itself(b) => {
                out.push(b);
                i += 1;
            }
            _ => {
                let c = segment[i..].chars().next().expect("a character at i");
                return Err(NotASegment::Unencoded(segment.to_string(), c));
            }
        }
    }
    String::from_utf8(out).map_err(|_| NotASegment::NotUtf8(segment.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_their_own_segment() {
        for id in ["R1", "REF-R1", "a_b.c:d@e+f=g", "0f1e-2a3b"] {
            assert_eq!(encode(id), id);
        }
    }

    #[test]
    fn everything_else_is_encoded_and_comes_back() {
        let cases = [
            ("a/b", "a%2Fb"),
            ("100%", "100%25"),
            ("two words", "two%20words"),
            ("é", "%C3%A9"),
            (".", "%2E"),
            ("..", "%2E%2E"),
            ("...", "..."),
            ("quote'\"", "quote%27%22"),
            ("tab\tnew\nline", "tab%09new%0Aline"),
        ];
        for (id, segment) in cases {
            assert_eq!(encode(id), segment, "{id:?}");
            assert_eq!(decode(segment).unwrap(), id, "{segment:?}");
            assert!(!encode(id).contains('/'));
        }
    }

    #[test]
    fn a_segment_encode_would_not_make_is_refused() {
        assert!(matches!(decode("a/b"), Err(NotASegment::Unencoded(_, '/'))));
        assert!(matches!(decode("%2f"), Err(NotASegment::BadEscape(_))));
        assert!(matches!(decode("%C3"), Err(NotASegment::NotUtf8(_))));
        assert!(matches!(decode("%"), Err(NotASegment::BadEscape(_))));
    }

    #[test]
    fn every_string_round_trips() {
        // A pseudo-random walk over short strings of awkward characters.
        let alphabet: Vec<char> = "aZ09-_.:@+=%/ \\'\"\u{e9}\u{1F600}\u{0}\t"
            .chars()
            .collect();
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for _ in 0..5000 {
            let len = (state % 7) as usize;
            let mut id = String::new();
            for _ in 0..len {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                id.push(alphabet[(state >> 33) as usize % alphabet.len()]);
            }
            state = state.wrapping_add(1);
            let segment = encode(&id);
            assert!(!segment.contains('/') && segment != "." && segment != "..");
            assert_eq!(decode(&segment).unwrap(), id);
        }
    }
}

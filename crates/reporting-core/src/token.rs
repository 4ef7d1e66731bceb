//! Idempotency tokens for AWS calls that take one (Athena's ClientRequestToken: 32 to 128
//! characters): the same parts always give the same token, so a retried call is recognised.

/// FNV-1a over the parts (a missing part is NUL; each part ends with a unit separator), with two
/// seeds: 32 hex digits.
pub fn idempotency_token(parts: &[Option<&str>]) -> String {
    let fnv = |seed: u64| {
        let mut h = seed;
        for part in parts {
            for b in part.unwrap_or("\u{0}").bytes().chain([0x1f]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        h
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    )
}

#[cfg(test)]
mod tests {
    use super::idempotency_token;

    #[test]
    fn tokens_follow_every_part_and_its_boundaries() {
        let t = idempotency_token(&[Some("a"), Some("bc")]);
        assert_eq!(t.len(), 32);
        assert_eq!(t, idempotency_token(&[Some("a"), Some("bc")]));
        assert_ne!(t, idempotency_token(&[Some("ab"), Some("c")]));
        assert_ne!(t, idempotency_token(&[Some("a"), Some("bc"), None]));
    }
}

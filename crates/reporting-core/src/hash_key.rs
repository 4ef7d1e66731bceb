//! The pseudonymisation key's vault and its pin.
//!
//! The key (the 44-character Base64 text of 32 random bytes) lives in one object, the vault
//! object, which only the ingestion role and the break-glass role may read. The SQL reads it
//! through a table over that object (`${hash_key_table}`), so the key never appears in a query's
//! text, its parameters or its results. What a query binds instead is the deployment's
//! [`Fingerprint`]: the SHA-256 of the key's text, which names the key without revealing it (the
//! key has 256 random bits; nothing about it can be learnt from its digest).
//!
//! run-query reads the vault object before it starts a query that hashes and refuses
//! ([`crate::ErrorKind::HashKeyRefused`]) unless it holds exactly one key whose fingerprint is the
//! pinned one; the SQL joins only the key with the bound fingerprint, so a key swapped while a run
//! is under way hashes nothing rather than hashing with another key.

use sha2::{Digest, Sha256};

use crate::Secret;

/// The SHA-256 of a hash key's UTF-8 text, as 64 upper-case hex digits (Trino's `to_hex`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fingerprint(String);

/// Why a pinned fingerprint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a hash key fingerprint is 64 hex digits (sha256sum of the key's text)")]
pub struct NotAFingerprint;

impl Fingerprint {
    /// The fingerprint of `key`: `printf %s "$key" | sha256sum`.
    pub fn of(key: &Secret) -> Self {
        let digest = Sha256::digest(key.expose().as_bytes());
        Self(digest.iter().map(|b| format!("{b:02X}")).collect())
    }

    /// A pinned fingerprint as an operator writes it (either case).
    pub fn parse(text: &str) -> Result<Self, NotAFingerprint> {
        let text = text.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(text.to_ascii_uppercase()))
        } else {
            Err(NotAFingerprint)
        }
    }

    /// Upper-case hex, as the SQL compares it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 8 digits: enough to tell two keys apart in an error, nothing more.
    pub fn short(&self) -> &str {
        &self.0[..8]
    }
}

/// Why the vault's key was refused. Never holds the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("the hash key object {object} does not exist")]
    Missing { object: String },
    #[error("the hash key object {object} does not hold exactly one key (44 Base64 characters on one line)")]
    Malformed { object: String },
    #[error("no hash key fingerprint is pinned (the stack parameter HashKeyFingerprint; locally hashKeyFingerprint in the home's config.json)")]
    NotPinned,
    #[error("the hash key in {object} (fingerprint {found}…) is not the one pinned ({pinned}…)")]
    NotPinnedKey {
        object: String,
        found: String,
        pinned: String,
    },
}

/// The key a vault object holds: one line, the key's text, an optional final line break.
pub fn read_key(object: &str, body: Option<Vec<u8>>) -> Result<Secret, VaultError> {
    let body = body.ok_or_else(|| VaultError::Missing {
        object: object.to_string(),
    })?;
    let malformed = || VaultError::Malformed {
        object: object.to_string(),
    };
    let text = String::from_utf8(body).map_err(|_| malformed())?;
    let line = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    crate::validate::hash_key(line).map_err(|_| malformed())?;
    Ok(Secret::new(line))
}

/// Checks the vault object against the pinned fingerprint; returns the fingerprint to bind.
pub fn verify(
    object: &str,
    body: Option<Vec<u8>>,
    pinned: Option<&Fingerprint>,
) -> Result<Fingerprint, VaultError> {
    let key = read_key(object, body)?;
    let pinned = pinned.ok_or(VaultError::NotPinned)?;
    let found = Fingerprint::of(&key);
    if &found == pinned {
        Ok(found)
    } else {
        Err(VaultError::NotPinnedKey {
            object: object.to_string(),
            found: found.short().to_string(),
            pinned: pinned.short().to_string(),
        })
    }
}

/// The vault object's body for `key`: its text and one line break (a Hive text table's row).
pub fn object_body(key: &Secret) -> Vec<u8> {
    format!("{}\n", key.expose()).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA=";

    #[test]
    fn the_fingerprint_is_sha256sum_of_the_key_text() {
        // printf %s dGVzdC1oYXNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMDA= | sha256sum
        let f = Fingerprint::of(&Secret::new(KEY));
        assert_eq!(
            f.as_str(),
            "EB6077980A4A2205757C4290D3FA3E1FC0A17EB67CDC9C57EEB3872490AAE19A"
        );
        assert_eq!(f.as_str().len(), 64);
        assert_eq!(Fingerprint::parse(&f.as_str().to_lowercase()), Ok(f));
        assert_eq!(Fingerprint::parse("abc"), Err(NotAFingerprint));
    }

    #[test]
    fn the_vault_holds_one_key_which_must_be_the_pinned_one() {
        let key = Secret::new(KEY);
        let pinned = Fingerprint::of(&key);
        let body = object_body(&key);
        assert_eq!(
            verify("o", Some(body.clone()), Some(&pinned)),
            Ok(pinned.clone())
        );
        assert_eq!(
            verify("o", None, Some(&pinned)),
            Err(VaultError::Missing { object: "o".into() })
        );
        assert_eq!(
            verify("o", Some(body.clone()), None),
            Err(VaultError::NotPinned)
        );
        let two = [body.clone(), body].concat();
        assert_eq!(
            verify("o", Some(two), Some(&pinned)),
            Err(VaultError::Malformed { object: "o".into() })
        );
        let other = Secret::new("b3RoZXItaGFzaC1rZXktMDAwMDAwMDAwMDAwMDAwMDA=");
        let err = verify("o", Some(object_body(&other)), Some(&pinned)).unwrap_err();
        assert!(matches!(err, VaultError::NotPinnedKey { .. }));
        let message = err.to_string();
        assert!(
            !message.contains(KEY) && !message.contains(other.expose()),
            "{message}"
        );
    }
}

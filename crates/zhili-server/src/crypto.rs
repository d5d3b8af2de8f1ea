//! Secrets: personal data encrypted at rest (AES-256-GCM), random tokens, token hashes and
//! password hashes (Argon2id).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1:";

/// The key that encrypts personal data.
#[derive(Clone)]
pub struct Crypto {
    cipher: Aes256Gcm,
    /// Key of the blind index (derived from the secret key): finds the same person's cases
    /// without decrypting anything.
    index_key: [u8; 32],
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(..)")
    }
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random source works");
    b
}

impl Crypto {
    pub fn new(key: &[u8; 32]) -> Crypto {
        let mut h = Sha256::new();
        h.update(b"zhili-person-index:");
        h.update(key);
        Crypto {
            cipher: Aes256Gcm::new(key.into()),
            index_key: h.finalize().into(),
        }
    }

    /// Parse a key written as base64 (as `zhili` writes it to `secret.key`).
    pub fn from_base64(text: &str) -> Result<Crypto, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| format!("the secret key is not base64: {e}"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "the secret key must be 32 bytes".to_string())?;
        Ok(Crypto::new(&key))
    }

    pub fn generate_key_base64() -> String {
        STANDARD.encode(random_bytes::<32>())
    }

    pub fn encrypt(&self, plain: &str) -> String {
        let nonce = random_bytes::<12>();
        let ct = self
            .cipher
            .encrypt(&Nonce::from(nonce), plain.as_bytes())
            .expect("AES-GCM encryption of a short text cannot fail");
        let mut all = nonce.to_vec();
        all.extend(ct);
        format!("{PREFIX}{}", STANDARD.encode(all))
    }

    /// A keyed hash (HMAC-SHA256) of a person's identifier — an ID number or a phone number,
    /// already normalized — to find the same person's cases (blind index).
    pub fn person_key(&self, kind: &str, value: &str) -> String {
        use hmac::{KeyInit as _, Mac};
        let mut mac = hmac::Hmac::<Sha256>::new_from_slice(&self.index_key)
            .expect("HMAC takes a key of any length");
        mac.update(kind.as_bytes());
        mac.update(b":");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn decrypt(&self, stored: &str) -> Result<String, String> {
        let b64 = stored
            .strip_prefix(PREFIX)
            .ok_or("unknown ciphertext format")?;
        let all = STANDARD.decode(b64).map_err(|e| e.to_string())?;
        if all.len() < 12 {
            return Err("ciphertext too short".into());
        }
        let (nonce, ct) = all.split_at(12);
        let nonce = Nonce::try_from(nonce).map_err(|_| "bad nonce".to_string())?;
        let plain = self
            .cipher
            .decrypt(&nonce, ct)
            .map_err(|_| "decryption failed (wrong key or edited data)".to_string())?;
        String::from_utf8(plain).map_err(|e| e.to_string())
    }
}

/// A new random token as given to a client (32 bytes, base64url).
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// How a token is stored: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token that goes with a session token.
pub fn csrf_for(session_token: &str) -> String {
    hex::encode(Sha256::digest(
        format!("zhili-csrf:{session_token}").as_bytes(),
    ))
}

pub fn hash_password(password: &str) -> String {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 hashing with default parameters works")
        .to_string()
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    use argon2::password_hash::phc::PasswordHash;
    match PasswordHash::new(stored) {
        Ok(h) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = Crypto::from_base64(&Crypto::generate_key_base64()).unwrap();
        let e = c.encrypt("张三 13812345678");
        assert!(e.starts_with("v1:"));
        assert!(!e.contains("张三"));
        assert_ne!(e, c.encrypt("张三 13812345678"), "fresh nonce each time");
        assert_eq!(c.decrypt(&e).unwrap(), "张三 13812345678");
        let other = Crypto::from_base64(&Crypto::generate_key_base64()).unwrap();
        assert!(other.decrypt(&e).is_err());
        assert!(Crypto::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn passwords_and_tokens() {
        let h = hash_password("s3cret!");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret!", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("s3cret!", "garbage"));
        let t = new_token();
        assert_eq!(t.len(), 43);
        assert_eq!(token_hash(&t).len(), 64);
        assert_ne!(csrf_for(&t), token_hash(&t));
    }
}

//! Attachments stored content-addressed under the data directory: `attachments/ab/cdef…`.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub struct Blobs {
    root: PathBuf,
}

/// The types zhili accepts, recognised by their first bytes (the name and the declared type are
/// not trusted).
pub fn sniff_mime(data: &[u8]) -> Option<&'static str> {
    const SIGS: &[(&[u8], &str)] = &[
        (b"\xFF\xD8\xFF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"),
        (b"%PDF-", "application/pdf"),
        (b"PK\x03\x04", "application/zip"),
    ];
    if data.len() > 12 && &data[..4] == b"RIFF" && &data[8..12] == b"WEBP" {
        return Some("image/webp");
    }
    if data.len() > 12 && &data[4..8] == b"ftyp" {
        return Some("video/mp4");
    }
    SIGS.iter()
        .find(|(sig, _)| data.starts_with(sig))
        .map(|(_, m)| *m)
}

impl Blobs {
    pub fn new(root: PathBuf) -> Blobs {
        Blobs { root }
    }

    fn path(&self, sha: &str) -> PathBuf {
        self.root.join(&sha[..2]).join(&sha[2..])
    }

    /// Store the bytes; returns their SHA-256 (hex). Storing the same bytes twice keeps one copy.
    pub async fn put(&self, data: &[u8]) -> std::io::Result<String> {
        let sha = hex::encode(Sha256::digest(data));
        let path = self.path(&sha);
        if tokio::fs::try_exists(&path).await? {
            return Ok(sha);
        }
        let dir = path.parent().expect("blob path has a parent");
        tokio::fs::create_dir_all(dir).await?;
        let tmp = dir.join(format!(".{}.tmp", &sha[2..]));
        tokio::fs::write(&tmp, data).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(sha)
    }

    pub async fn get(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "bad hash",
            ));
        }
        tokio::fs::read(self.path(sha)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff_mime(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_mime(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff_mime(b"#!/bin/sh\n"), None);
    }
}

//! The audit chain (全过程记录): every event is hash-chained to the one before it in its stream,
//! so that an edit, deletion or reordering made directly in the database is detected.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;

/// The algorithm name stored with every event (SM3 can be added where 国密 is required).
pub const HASH_ALG: &str = "sha256";

/// The hash that stands before the first event of a stream.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The part of an event that is hashed. Field order is fixed by the struct.
#[derive(Debug, Serialize)]
pub struct ChainLink<'a> {
    pub stream: &'a str,
    pub seq: i64,
    pub kind: &'a str,
    pub actor_id: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The event's data exactly as stored (a JSON text).
    pub data: &'a str,
}

/// The SHA-256 of a text, in hex (fingerprints of large values kept out of event data).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub fn link_hash(prev_hash: &str, link: &ChainLink<'_>) -> String {
    let body = serde_json::to_string(link).expect("plain struct serializes");
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

pub fn millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// An event as read back for verification.
#[derive(Debug, Clone)]
pub struct StoredLink {
    pub id: i64,
    pub stream: String,
    pub seq: i64,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub at_ms: i64,
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
    pub alg: String,
}

/// The first problem found in a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event {event_id} (stream {stream}, seq {seq}): {problem}")]
pub struct ChainBreak {
    pub event_id: i64,
    pub stream: String,
    pub seq: i64,
    pub problem: String,
}

/// Checks events stream by stream. Feed events ordered by (stream, seq); then call
/// [`ChainVerifier::finish_stream`] with the head the store recorded for each stream.
#[derive(Debug, Default)]
pub struct ChainVerifier {
    stream: Option<String>,
    prev_hash: String,
    prev_seq: i64,
    last_id: i64,
    pub events: u64,
    pub streams: u64,
}

impl ChainVerifier {
    pub fn push(&mut self, e: &StoredLink) -> Result<(), ChainBreak> {
        let fail = |problem: String| ChainBreak {
            event_id: e.id,
            stream: e.stream.clone(),
            seq: e.seq,
            problem,
        };
        if self.stream.as_deref() != Some(&e.stream) {
            self.stream = Some(e.stream.clone());
            self.prev_hash = GENESIS.to_string();
            self.prev_seq = 0;
            self.streams += 1;
        }
        if e.alg != HASH_ALG {
            return Err(fail(format!("unknown hash algorithm `{}`", e.alg)));
        }
        if e.seq != self.prev_seq + 1 {
            return Err(fail(format!(
                "expected seq {} after {} (an event is missing or out of order)",
                self.prev_seq + 1,
                self.prev_seq
            )));
        }
        if e.prev_hash != self.prev_hash {
            return Err(fail(
                "its prev_hash does not match the event before it".into(),
            ));
        }
        let h = link_hash(
            &e.prev_hash,
            &ChainLink {
                stream: &e.stream,
                seq: e.seq,
                kind: &e.kind,
                actor_id: e.actor_id,
                at_ms: e.at_ms,
                data: &e.data,
            },
        );
        if h != e.hash {
            return Err(fail("its content does not match its hash (edited)".into()));
        }
        self.prev_hash = h;
        self.prev_seq = e.seq;
        self.last_id = e.id;
        self.events += 1;
        Ok(())
    }

    /// Compare the end of the current stream with the head the store keeps for it.
    pub fn finish_stream(
        &self,
        stream: &str,
        head_seq: i64,
        head_hash: &str,
    ) -> Result<(), ChainBreak> {
        let (seq, hash) = if self.stream.as_deref() == Some(stream) {
            (self.prev_seq, self.prev_hash.as_str())
        } else {
            (0, GENESIS)
        };
        if seq != head_seq || hash != head_hash {
            return Err(ChainBreak {
                event_id: self.last_id,
                stream: stream.to_string(),
                seq,
                problem: format!(
                    "the stream ends at seq {seq} but its recorded head is seq {head_seq} (events after it were deleted, or the head was edited)"
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<StoredLink> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let data = format!("{{\"n\":{seq}}}");
                let hash = link_hash(
                    &prev,
                    &ChainLink {
                        stream: "case:1",
                        seq,
                        kind: "k",
                        actor_id: Some(2),
                        at_ms: 1000 * seq,
                        data: &data,
                    },
                );
                let e = StoredLink {
                    id: seq,
                    stream: "case:1".into(),
                    seq,
                    kind: "k".into(),
                    actor_id: Some(2),
                    at_ms: 1000 * seq,
                    data,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                    alg: HASH_ALG.into(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn verify(events: &[StoredLink], head: (i64, &str)) -> Result<(), ChainBreak> {
        let mut v = ChainVerifier::default();
        for e in events {
            v.push(e)?;
        }
        v.finish_stream("case:1", head.0, head.1)
    }

    #[test]
    fn intact_and_tampered() {
        let c = chain(4);
        let head = (4, c[3].hash.as_str());
        assert!(verify(&c, head).is_ok());

        let mut edited = c.clone();
        edited[1].data = "{\"n\":99}".into();
        assert_eq!(verify(&edited, head).unwrap_err().event_id, 2);

        let mut deleted = c.clone();
        deleted.remove(2);
        assert_eq!(verify(&deleted, head).unwrap_err().event_id, 4);

        let mut swapped = c.clone();
        swapped.swap(1, 2);
        assert_eq!(verify(&swapped, head).unwrap_err().event_id, 3);

        let truncated = &c[..3];
        let e = verify(truncated, head).unwrap_err();
        assert!(e.problem.contains("recorded head"), "{e}");
    }
}

//! The opt-in cache of identical requests (settings `"mcp": {"cache_requests": true}`): an agent that
//! asks again for exactly the same image — same operation, prompt, every parameter, and byte-identical
//! input images and mask — gets the images already in the library instead of a new paid call. The key
//! is a SHA-256 over all of that; an entry whose images were trashed or deleted no longer answers.
//! Calls that record a session turn are never served from the cache (a turn is a new step).

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::job::Call;
use crate::library::db::{now_ms, record_change};
use crate::library::{ImageRecord, Library};

/// The cache key of `call`: hex SHA-256 of the operation, prompt, parameters and input bytes.
pub fn key(call: &Call) -> String {
    let mut h = Sha256::new();
    let field = |h: &mut Sha256, bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    field(&mut h, format!("{:?}", call.operation()).as_bytes());
    field(&mut h, call.prompt().as_bytes());
    field(
        &mut h,
        &serde_json::to_vec(call.params()).expect("parameters serialize"),
    );
    for image in call.inputs() {
        field(&mut h, &Sha256::digest(&image.bytes));
    }
    field(&mut h, b"mask");
    if let Some(mask) = call.mask() {
        field(&mut h, &Sha256::digest(&mask.bytes));
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CacheStats {
    pub entries: u64,
    /// Calls answered from the cache, all time.
    pub hits: u64,
    /// What those calls would have cost.
    pub saved_usd: f64,
}

impl Library {
    /// The images of an identical earlier request, if every one is still in the library (not trashed).
    /// A hit is counted.
    pub fn cache_get(&self, key: &str) -> Result<Option<(Vec<ImageRecord>, f64)>> {
        let found: Option<(String, f64)> = self.db().read(|c| {
            c.query_row(
                "SELECT images, cost_usd FROM request_cache WHERE key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
        let Some((ids, cost)) = found else { return Ok(None) };
        let ids: Vec<String> = serde_json::from_str(&ids).unwrap_or_default();
        let mut images = Vec::with_capacity(ids.len());
        for id in &ids {
            match self.get(id) {
                Ok(record) if !record.trashed && record.path.is_file() => images.push(record),
                _ => return Ok(None),
            }
        }
        if images.is_empty() {
            return Ok(None);
        }
        self.db().write(|tx| {
            tx.execute("UPDATE request_cache SET hits = hits + 1 WHERE key = ?1", [key])?;
            record_change(tx, "cache_changed", key)
        })?;
        Ok(Some((images, cost)))
    }

    /// Remember that the request `key` made `images` for `cost_usd`.
    pub fn cache_put(&self, key: &str, images: &[String], cost_usd: f64) -> Result<()> {
        let ids = serde_json::to_string(images).expect("ids serialize");
        self.db().write(|tx| {
            tx.execute(
                "INSERT INTO request_cache (key, images, cost_usd, created_ms) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (key) DO UPDATE SET images = excluded.images, cost_usd = excluded.cost_usd, \
                 created_ms = excluded.created_ms",
                params![key, ids, cost_usd, now_ms()],
            )?;
            record_change(tx, "cache_changed", key)
        })
    }

    pub fn cache_stats(&self) -> Result<CacheStats> {
        self.db().read(|c| {
            c.query_row(
                "SELECT count(*), coalesce(sum(hits), 0), coalesce(sum(hits * cost_usd), 0.0) FROM request_cache",
                [],
                |r| {
                    Ok(CacheStats {
                        entries: r.get::<_, i64>(0)? as u64,
                        hits: r.get::<_, i64>(1)? as u64,
                        saved_usd: r.get(2)?,
                    })
                },
            )
        })
    }

    /// Forget every cached request (the images stay in the library). Returns how many were forgotten.
    pub fn cache_clear(&self) -> Result<u64> {
        self.db().write(|tx| {
            let n = tx.execute("DELETE FROM request_cache", [])?;
            record_change(tx, "cache_changed", "")?;
            Ok(n as u64)
        })
    }
}

//! The apply lock: two applies (or an apply and a destroy) of one blueprint cannot run at once.
//!
//! The lock is an S3 object, `locks/<blueprint>.json`, in shinyctl's state bucket
//! `shinyctl-state-<account>-<region>` (created on first use, private, encrypted). It is written
//! with a conditional put (`If-None-Match: *`), which S3 makes atomic: of two concurrent writers
//! exactly one succeeds, the other gets `PreconditionFailed` and reads who holds the lock. The
//! object says who (user, host, pid), what (apply/destroy) and when; `--break-lock` deletes it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_s3::primitives::ByteStream;
use serde::{Deserialize, Serialize};

use super::config::Connection;
use super::errors::{AwsResult, not_found_as_none};
use super::services::s3::{create_bucket_here, ensure_bucket};
use crate::apply::StepError;

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// Random per acquisition: release only deletes the lock it took.
    pub id: String,
    pub(crate) blueprint: String,
    /// `apply` or `destroy`.
    pub operation: String,
    pub(crate) user: String,
    pub(crate) host: String,
    pub pid: u32,
    /// RFC 3339, UTC.
    pub(crate) created: String,
}

impl fmt::Display for LockInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} by {}@{} (pid {}) since {}",
            self.operation, self.user, self.host, self.pid, self.created
        )
    }
}

/// A held lock; release it when done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lock {
    pub(crate) bucket: String,
    pub(crate) key: String,
    pub info: LockInfo,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LockError {
    /// Someone else holds it.
    Held {
        info: Option<LockInfo>,
        bucket: String,
        key: String,
    },
    Aws(StepError),
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockError::Held {
                info: Some(info),
                bucket,
                key,
            } => write!(
                f,
                "blueprint {} is locked: {info} (s3://{bucket}/{key}); if that run is gone, \
                 re-run with --break-lock",
                info.blueprint
            ),
            LockError::Held {
                info: None,
                bucket,
                key,
            } => write!(
                f,
                "the blueprint is locked (s3://{bucket}/{key}, unreadable); if that run is gone, \
                 re-run with --break-lock"
            ),
            LockError::Aws(e) => write!(f, "cannot take the apply lock: {e}"),
        }
    }
}

impl std::error::Error for LockError {}

impl From<StepError> for LockError {
    fn from(e: StepError) -> Self {
        LockError::Aws(e)
    }
}

/// shinyctl's state bucket for this account and region.
pub(crate) fn state_bucket(conn: &Connection) -> String {
    format!("shinyctl-state-{}-{}", conn.account, conn.region)
}

pub(crate) fn lock_key(blueprint: &str) -> String {
    format!("locks/{blueprint}.json")
}

/// Takes the lock for `blueprint`, for `operation` (`apply`, `destroy`).
pub async fn acquire(
    conn: &Connection,
    blueprint: &str,
    operation: &str,
) -> Result<Lock, LockError> {
    let bucket = state_bucket(conn);
    let key = lock_key(blueprint);
    let info = LockInfo {
        // Random, not derived from who and when: two CI containers may share a pid and a
        // clock tick, and a hash of those would let one take the other's lock as its own.
        id: super::services::random_token(),
        blueprint: blueprint.to_string(),
        operation: operation.to_string(),
        user: std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into()),
        host: hostname(),
        pid: std::process::id(),
        created: rfc3339(SystemTime::now()),
    };
    let body = serde_json::to_vec_pretty(&info).unwrap_or_default();
    // The put comes first: the state bucket is made on the account's first lock only, so every
    // later run takes the lock in one call. AccessDenied looks at the bucket first, for
    // ensure_bucket's clearer error when the name is another account's bucket.
    let put = match put_lock(conn, &bucket, &key, &body).await {
        Err(e) if e.code == "NoSuchBucket" || e.code == "AccessDenied" => {
            let created = if e.code == "NoSuchBucket" {
                create_bucket_here(conn, &bucket).await?
            } else {
                ensure_bucket(conn, &bucket).await?
            };
            if created {
                secure_state_bucket(conn, &bucket).await?;
            }
            put_lock(conn, &bucket, &key, &body).await
        }
        answer => answer,
    };
    match put {
        Ok(()) => Ok(Lock { bucket, key, info }),
        Err(e) if e.code == "PreconditionFailed" || e.code == "ConditionalRequestConflict" => {
            let holder = holder(conn, &bucket, &key).await.ok().flatten();
            // Our own put, whose answer was lost and whose retry found it there: ours.
            if holder.as_ref().is_some_and(|h| h.id == info.id) {
                return Ok(Lock { bucket, key, info });
            }
            Err(LockError::Held {
                info: holder,
                bucket,
                key,
            })
        }
        Err(e) => Err(LockError::Aws(e)),
    }
}

/// Writes the lock object unless one is there (`If-None-Match: *`).
async fn put_lock(
    conn: &Connection,
    bucket: &str,
    key: &str,
    body: &[u8],
) -> Result<(), StepError> {
    conn.clients
        .s3
        .put_object()
        .bucket(bucket)
        .key(key)
        .if_none_match("*")
        .content_type("application/json")
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .aws()
        .map(|_| ())
}

/// Who holds the lock of `blueprint`, if anyone.
pub async fn current(conn: &Connection, blueprint: &str) -> Result<Option<LockInfo>, StepError> {
    holder(conn, &state_bucket(conn), &lock_key(blueprint)).await
}

async fn holder(conn: &Connection, bucket: &str, key: &str) -> Result<Option<LockInfo>, StepError> {
    let Some(out) = not_found_as_none(
        conn.clients
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .aws(),
    )?
    else {
        return Ok(None);
    };
    let bytes = out
        .body
        .collect()
        .await
        .map_err(|e| StepError::transient("ReadFailed", e.to_string()))?
        .into_bytes();
    Ok(serde_json::from_slice(&bytes).ok())
}

impl Lock {
    /// Releases the lock if it is still ours (a broken-and-retaken lock is left alone).
    pub async fn release(&self, conn: &Connection) -> Result<(), StepError> {
        match holder(conn, &self.bucket, &self.key).await? {
            Some(info) if info.id == self.info.id => {}
            _ => return Ok(()),
        }
        delete_lock(conn, &self.bucket, &self.key).await
    }
}

/// `--break-lock`: deletes whatever lock `blueprint` has and says whose it was.
pub async fn break_lock(conn: &Connection, blueprint: &str) -> Result<Option<LockInfo>, StepError> {
    let bucket = state_bucket(conn);
    let key = lock_key(blueprint);
    let info = holder(conn, &bucket, &key).await?;
    delete_lock(conn, &bucket, &key).await?;
    Ok(info)
}

/// Deletes the lock object; one already gone is fine.
async fn delete_lock(conn: &Connection, bucket: &str, key: &str) -> Result<(), StepError> {
    not_found_as_none(
        conn.clients
            .s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .aws(),
    )?;
    Ok(())
}

/// The state bucket holds who ran what: keep it private and encrypted.
async fn secure_state_bucket(conn: &Connection, bucket: &str) -> Result<(), StepError> {
    use aws_sdk_s3::types::PublicAccessBlockConfiguration;
    conn.clients
        .s3
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .aws()?;
    Ok(())
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// `2026-11-22T01:31:38Z`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_utc_times() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_311_098)),
            "2026-11-22T01:31:38Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[test]
    fn held_lock_says_who_and_how_to_break_it() {
        let info = LockInfo {
            id: "x".into(),
            blueprint: "demo".into(),
            operation: "apply".into(),
            user: "ana".into(),
            host: "ci-7".into(),
            pid: 42,
            created: "2026-11-22T01:31:38Z".into(),
        };
        let e = LockError::Held {
            info: Some(info),
            bucket: "b".into(),
            key: "k".into(),
        };
        let text = e.to_string();
        assert!(
            text.contains("ana@ci-7 (pid 42)") && text.contains("--break-lock"),
            "{text}"
        );
    }
}

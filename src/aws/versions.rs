//! The live plan's version check: AWS says which versions it offers, and the blueprint's pinned
//! ones are judged by that answer with the same words as the offline tables
//! ([`crate::blueprint::support::judge`]). One listing per service the blueprint uses:
//!
//! - EKS `DescribeClusterVersions` (status `STANDARD_SUPPORT` / `EXTENDED_SUPPORT` /
//!   `UNSUPPORTED` and the end dates; botocore `eks` model, `ClusterVersionInformation`);
//! - RDS `DescribeDBEngineVersions` for the engine (a pin is offered when a listed version is it
//!   or starts with it and a dot: RDS takes `8.4` for the newest 8.4.x);
//! - ElastiCache `DescribeCacheEngineVersions` for `redis`;
//! - Synthetics `DescribeRuntimeVersions`: shinyctl's canary runtime must be listed and not past
//!   its `DeprecationDate` (AWS refuses new canaries on a deprecated runtime).
//!
//! Extended-support warnings for databases and caches come from the offline tables, which the
//! load pipeline already applied: these listings do not carry support dates.

use aws_smithy_types::DateTime;

use crate::apply::StepError;
use crate::blueprint::model::{Blueprint, DatabaseEngine};
use crate::blueprint::problem::{Problem, item};
use crate::blueprint::support::defaults::{Chosen, choose_offered};
use crate::blueprint::support::{Date, Finding, Support, judge, major};
use crate::plan::engine_version::{Standing, standing};

use super::{Connection, ReadError};

/// The blueprint's version problems according to AWS: errors (not offered, unsupported) and
/// warnings (extended support).
pub(crate) async fn check(
    conn: &Connection,
    bp: &Blueprint,
    canary_runtime: &str,
) -> Result<Vec<Problem>, ReadError> {
    let canaries = bp
        .monitoring
        .as_ref()
        .is_some_and(|m| !m.canaries.is_empty());
    // The listings the blueprint needs, all at once (none waits for another's answer).
    let (eks, rds, cache, runtimes) = futures::join!(
        async {
            match &bp.cluster {
                Some(_) => Some(eks_versions(conn).await),
                None => None,
            }
        },
        async {
            match &bp.database {
                Some(db) => Some(rds_versions(conn, db.engine.aws_name()).await),
                None => None,
            }
        },
        async {
            match &bp.cache {
                Some(_) => Some(cache_versions(conn).await),
                None => None,
            }
        },
        async {
            if canaries {
                Some(runtime_versions(conn).await)
            } else {
                None
            }
        },
    );
    let mut findings = Vec::new();
    let mut out = Vec::new();
    if let (Some(cluster), Some(answer)) = (&bp.cluster, eks) {
        if let Some(versions) = asked("cluster.version", "EKS", answer, &mut out)? {
            findings.push(eks_finding(&cluster.version, &versions));
        }
    }
    if let (Some(db), Some(answer)) = (&bp.database, rds) {
        if let Some(offered) = asked("database.version", "RDS", answer, &mut out)? {
            let parts = if db.engine == DatabaseEngine::Mysql {
                2
            } else {
                1
            };
            findings.extend(offered_finding(
                "database.version",
                &format!("RDS {}", db.engine.aws_name()),
                &db.version,
                &offered,
                parts,
            ));
        }
    }
    if let (Some(cache), Some(answer)) = (&bp.cache, cache) {
        if let Some(offered) = asked("cache.version", "ElastiCache", answer, &mut out)? {
            findings.extend(offered_finding(
                "cache.version",
                "ElastiCache redis",
                &cache.version,
                &offered,
                2,
            ));
        }
    }
    out.extend(findings.iter().filter_map(judge));
    if let Some(answer) = runtimes {
        let path = item("monitoring.canaries", 0);
        if let Some(runtimes) = asked(&path, "CloudWatch Synthetics", answer, &mut out)? {
            out.extend(runtime_problem(canary_runtime, &runtimes, now()));
        }
    }
    Ok(out)
}

/// The versions to choose for the blueprint's unset ones by AWS's listings (the newest AWS
/// offers that shinyctl supports): `(path, version, according to)`. A listing that cannot be
/// read leaves the offline choice, which [`check`] then judges.
pub(crate) async fn choices(
    conn: &Connection,
    bp: &Blueprint,
    unpinned: &[Chosen],
) -> Vec<(&'static str, String, String)> {
    let today = now();
    // Each listing at once: none waits for another's answer.
    let asked = futures::future::join_all(unpinned.iter().map(|chosen| async move {
        let (offered, engine, service) = match chosen.path {
            "cluster.version" => (
                eks_versions(conn).await.map(|v| {
                    v.into_iter()
                        .filter(|v| v.status != "UNSUPPORTED")
                        .map(|v| v.version)
                        .collect()
                }),
                None,
                "EKS",
            ),
            "database.version" => match &bp.database {
                Some(db) => (
                    rds_versions(conn, db.engine.aws_name()).await,
                    Some(db.engine),
                    "RDS",
                ),
                None => return None,
            },
            "cache.version" => (cache_versions(conn).await, None, "ElastiCache"),
            _ => return None,
        };
        let offered: Vec<String> = offered.ok()?;
        let version = choose_offered(chosen, engine, &offered, today)?;
        Some((chosen.path, version, format!("according to {service}")))
    }))
    .await;
    asked.into_iter().flatten().collect()
}

/// An answer, or `None` with a warning when the credentials may not ask (the offline tables'
/// judgement then stands); any other error fails the plan.
fn asked<T>(
    path: &str,
    service: &str,
    answer: Result<T, StepError>,
    out: &mut Vec<Problem>,
) -> Result<Option<T>, ReadError> {
    match answer {
        Ok(answer) => Ok(Some(answer)),
        Err(e) if e.code.contains("AccessDenied") || e.code == "UnauthorizedOperation" => {
            out.push(
                Problem::warning(
                    path,
                    format!("could not ask {service} which versions it supports ({})", e.code),
                )
                .hint("allow the describe call to these credentials; until then only shinyctl's table judges this version"),
            );
            Ok(None)
        }
        Err(error) => Err(ReadError {
            reader: "versions",
            error,
        }),
    }
}

/// One EKS answer: the version, its status and its end dates.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EksVersion {
    pub(crate) version: String,
    pub(crate) status: String,
    pub(crate) end_standard: Option<Date>,
    pub(crate) end_extended: Option<Date>,
}

fn day(time: Option<&DateTime>) -> Option<Date> {
    time.map(|t| Date::from_unix_seconds(t.secs()))
}

fn now() -> Date {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Date::from_unix_seconds(seconds)
}

async fn eks_versions(conn: &Connection) -> Result<Vec<EksVersion>, StepError> {
    let pages = all_pages!(
        conn.clients
            .eks
            .describe_cluster_versions()
            .include_all(true)
            .into_paginator()
            .send()
    );
    let mut out = Vec::new();
    for page in pages {
        for v in page.cluster_versions() {
            let Some(version) = v.cluster_version() else {
                continue;
            };
            out.push(EksVersion {
                version: version.to_string(),
                status: v
                    .version_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                end_standard: day(v.end_of_standard_support_date()),
                end_extended: day(v.end_of_extended_support_date()),
            });
        }
    }
    Ok(out)
}

fn eks_support(v: &EksVersion) -> Support {
    match v.status.as_str() {
        "STANDARD_SUPPORT" => Support::Standard {
            until: v.end_standard,
        },
        "EXTENDED_SUPPORT" => Support::Extended {
            until: v.end_extended,
        },
        _ => Support::Ended { on: v.end_extended },
    }
}

/// What EKS says of `asked`; a version EKS does not list is not offered.
pub(crate) fn eks_finding(asked: &str, versions: &[EksVersion]) -> Finding {
    let mut supported: Vec<(String, Support)> = versions
        .iter()
        .map(|v| (v.version.clone(), eks_support(v)))
        .filter(|(_, s)| s.is_supported())
        .collect();
    supported.sort_by_key(|(v, _)| minor(v));
    let support = versions
        .iter()
        .find(|v| v.version == asked)
        .map_or(Support::Unreleased { released: None }, eks_support);
    Finding {
        path: "cluster.version".into(),
        product: "EKS".into(),
        version: asked.into(),
        support,
        supported,
        according_to: "according to EKS".into(),
    }
}

fn minor(version: &str) -> u32 {
    version
        .strip_prefix("1.")
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

async fn rds_versions(conn: &Connection, engine: &str) -> Result<Vec<String>, StepError> {
    Ok(all_items!(
        conn.clients
            .rds
            .describe_db_engine_versions()
            .engine(engine)
            .max_records(100),
        db_engine_versions
    )
    .into_iter()
    // `deprecated` versions cannot be created.
    .filter(|v| v.status().is_none_or(|s| s == "available"))
    .filter_map(|v| v.engine_version().map(str::to_string))
    .collect())
}

async fn cache_versions(conn: &Connection) -> Result<Vec<String>, StepError> {
    Ok(all_items!(
        conn.clients
            .elasticache
            .describe_cache_engine_versions()
            .engine("redis")
            .max_records(100),
        cache_engine_versions
    )
    .into_iter()
    .filter_map(|v| v.engine_version().map(str::to_string))
    .collect())
}

/// A pin AWS offers (a listed version is it, or starts with it and a dot) is fine; otherwise the
/// finding names the offered versions by their first `parts` parts (`8.0, 8.4`).
pub(crate) fn offered_finding(
    path: &str,
    product: &str,
    pinned: &str,
    offered: &[String],
    parts: usize,
) -> Option<Finding> {
    // `8.4` is offered by `8.4.7`; `7.1.0` by `7.1` (ElastiCache lists `7.1`, reports `7.1.0`).
    let within = |v: &String| matches!(standing(pinned, v), Standing::Same | Standing::WithinPin);
    if offered.iter().any(within) {
        return None;
    }
    let mut lines: Vec<String> = offered.iter().map(|v| major(v, parts)).collect();
    lines.sort_by_key(|v| numeric_key(v));
    lines.dedup();
    Some(Finding {
        path: path.into(),
        product: product.into(),
        version: pinned.into(),
        support: Support::Unreleased { released: None },
        supported: lines
            .into_iter()
            .map(|v| (v, Support::Standard { until: None }))
            .collect(),
        according_to: format!(
            "according to {}",
            product.split(' ').next().unwrap_or(product)
        ),
    })
}

fn numeric_key(version: &str) -> Vec<u64> {
    version
        .split('.')
        .map(|p| p.parse().unwrap_or(u64::MAX))
        .collect()
}

/// Synthetics' runtimes: name and deprecation day.
async fn runtime_versions(conn: &Connection) -> Result<Vec<(String, Option<Date>)>, StepError> {
    Ok(all_items!(
        conn.clients.synthetics.describe_runtime_versions(),
        runtime_versions
    )
    .into_iter()
    .filter_map(|v| Some((v.version_name()?.to_string(), day(v.deprecation_date()))))
    .collect())
}

/// shinyctl's canary runtime must be one Synthetics lists and not deprecated on `today`.
pub(crate) fn runtime_problem(
    runtime: &str,
    runtimes: &[(String, Option<Date>)],
    today: Date,
) -> Option<Problem> {
    let path = item("monitoring.canaries", 0);
    match runtimes.iter().find(|(name, _)| name == runtime) {
        Some((_, Some(deprecated))) if *deprecated <= today => Some(
            Problem::new(
                path,
                format!(
                    "CloudWatch Synthetics deprecated this shinyctl's canary runtime {runtime} on {deprecated} and refuses new canaries on it"
                ),
            )
            .hint("use a newer shinyctl, whose canaries run on a current runtime"),
        ),
        Some(_) => None,
        None => Some(
            Problem::new(
                path,
                format!("CloudWatch Synthetics does not offer this shinyctl's canary runtime {runtime} here"),
            )
            .hint(format!(
                "offered: {}",
                runtimes
                    .iter()
                    .filter(|(_, d)| d.is_none_or(|d| d > today))
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: &str, status: &str) -> EksVersion {
        EksVersion {
            version: version.into(),
            status: status.into(),
            end_standard: Date::parse("2026-12-02"),
            end_extended: Date::parse("2027-12-02"),
        }
    }

    #[test]
    fn eks_answers_decide_the_cluster_version() {
        let answers = [
            v("1.31", "UNSUPPORTED"),
            v("1.34", "EXTENDED_SUPPORT"),
            v("1.35", "STANDARD_SUPPORT"),
            v("1.33", "EXTENDED_SUPPORT"),
        ];
        assert_eq!(judge(&eks_finding("1.35", &answers)), None);
        let extended = judge(&eks_finding("1.34", &answers)).unwrap();
        assert!(!extended.is_error());
        assert!(
            extended
                .message
                .contains("extended support until 2027-12-02"),
            "{extended:?}"
        );
        assert_eq!(
            extended.hint.as_deref(),
            Some("move to 1.35 (standard support)")
        );
        for gone in ["1.31", "1.36"] {
            let refused = judge(&eks_finding(gone, &answers)).unwrap();
            assert!(refused.is_error());
            assert_eq!(
                refused.hint.as_deref(),
                Some(
                    "use a supported version: 1.35 (standard support); 1.33, 1.34 (extended support, costs extra)"
                ),
                "{gone}"
            );
        }
    }

    #[test]
    fn a_pin_is_offered_when_a_listed_version_starts_with_it() {
        let offered: Vec<String> = ["8.0.42", "8.4.3", "8.4.7"].map(String::from).to_vec();
        assert_eq!(
            offered_finding("database.version", "RDS mysql", "8.4", &offered, 2),
            None
        );
        assert_eq!(
            offered_finding("database.version", "RDS mysql", "8.4.7", &offered, 2),
            None
        );
        let redis: Vec<String> = ["6.2", "7.0", "7.1"].map(String::from).to_vec();
        assert_eq!(
            offered_finding("cache.version", "ElastiCache redis", "7.1.0", &redis, 2),
            None
        );
        assert!(offered_finding("cache.version", "ElastiCache redis", "7.2", &redis, 2).is_some());
        let refused = offered_finding("database.version", "RDS mysql", "8.0.39", &offered, 2)
            .and_then(|f| judge(&f))
            .unwrap();
        assert!(refused.is_error());
        assert!(
            refused
                .message
                .contains("RDS mysql 8.0.39 is not offered (according to RDS)")
        );
        assert_eq!(
            refused.hint.as_deref(),
            Some("use a supported version: 8.0, 8.4 (standard support)")
        );
    }

    #[test]
    fn credentials_that_may_not_ask_leave_a_warning_other_errors_fail() {
        let mut out = Vec::new();
        let denied: Result<(), StepError> =
            Err(StepError::fatal("AccessDeniedException", "not allowed"));
        assert_eq!(asked("cluster.version", "EKS", denied, &mut out), Ok(None));
        assert_eq!(out.len(), 1);
        assert!(!out[0].is_error());
        let broken: Result<(), StepError> = Err(StepError::fatal("InvalidParameterException", "x"));
        assert!(asked("cluster.version", "EKS", broken, &mut out).is_err());
    }

    #[test]
    fn a_deprecated_or_missing_runtime_is_refused() {
        let today = Date::parse("2026-12-05").unwrap();
        let runtimes = vec![
            (
                "syn-nodejs-puppeteer-7.0".to_string(),
                Date::parse("2026-01-22"),
            ),
            ("syn-nodejs-puppeteer-15.0".to_string(), None),
        ];
        assert_eq!(
            runtime_problem("syn-nodejs-puppeteer-15.0", &runtimes, today),
            None
        );
        assert!(runtime_problem("syn-nodejs-puppeteer-7.0", &runtimes, today).is_some());
        let missing = runtime_problem("syn-nodejs-puppeteer-99.0", &runtimes, today).unwrap();
        assert_eq!(
            missing.hint.as_deref(),
            Some("offered: syn-nodejs-puppeteer-15.0")
        );
    }
}

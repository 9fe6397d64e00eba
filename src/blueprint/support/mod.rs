//! Version support: is each version a blueprint pins (the EKS Kubernetes version, the database
//! and cache engine versions, shinyctl's canary runtime) still supported by AWS on a given day?
//! Pure: the day comes from the edge (the CLI's clock, or `--as-of`), the calendars from the
//! offline [`tables`]; the live plan judges AWS's own answers with the same [`judge`].
//!
//! In standard support: fine. In extended support: a warning (AWS charges extra for it). Past
//! extended support, or not released yet: an error naming the versions that are supported.

pub(crate) mod date;
pub(crate) mod defaults;
pub(crate) mod tables;

pub use date::Date;
use tables::Lifecycle;

use crate::blueprint::model::{Blueprint, DatabaseEngine};
use crate::blueprint::problem::{Problem, item};

/// Where a version stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Support {
    /// Not offered before this day.
    Unreleased {
        released: Option<Date>,
    },
    Standard {
        until: Option<Date>,
    },
    /// Supported at an extra charge until the day given.
    Extended {
        until: Option<Date>,
    },
    /// No longer supported (since the day, when known).
    Ended {
        on: Option<Date>,
    },
}

impl Support {
    pub(crate) fn is_supported(self) -> bool {
        matches!(self, Support::Standard { .. } | Support::Extended { .. })
    }
}

impl Lifecycle {
    pub(crate) fn on(&self, today: Date) -> Support {
        let reached = |day: Option<Date>| day.is_some_and(|d| today >= d);
        if self.released.is_some_and(|r| today < r) {
            Support::Unreleased {
                released: self.released,
            }
        } else if reached(self.end_extended) {
            Support::Ended {
                on: self.end_extended,
            }
        } else if reached(self.end_standard) {
            Support::Extended {
                until: self.end_extended,
            }
        } else {
            Support::Standard {
                until: self.end_standard,
            }
        }
    }
}

/// One pinned version and where it stands, with the versions that are supported instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    /// YAML path of the pinned value.
    pub(crate) path: String,
    /// `EKS`, `RDS for MySQL`, `ElastiCache for Redis OSS`...
    pub(crate) product: String,
    pub(crate) version: String,
    pub(crate) support: Support,
    /// The versions supported on that day, oldest first.
    pub(crate) supported: Vec<(String, Support)>,
    /// Where the answer came from: `this shinyctl's table (taken 2026-12-05)` or `EKS`.
    pub(crate) according_to: String,
}

/// The problem a finding is, if any: extended support warns, anything unsupported is an error.
pub(crate) fn judge(f: &Finding) -> Option<Problem> {
    let what = format!("{} {}", f.product, f.version);
    let others = supported_list(&f.supported);
    match f.support {
        Support::Standard { .. } => None,
        Support::Extended { until } => {
            let until = until.map(|d| format!(" until {d}")).unwrap_or_default();
            let standard: Vec<&str> = f
                .supported
                .iter()
                .filter(|(_, s)| matches!(s, Support::Standard { .. }))
                .map(|(v, _)| v.as_str())
                .collect();
            let hint = if standard.is_empty() {
                format!("no version is in standard support; supported: {others}")
            } else {
                format!("move to {} (standard support)", standard.join(" or "))
            };
            Some(
                Problem::warning(
                    &f.path,
                    format!(
                        "{what} is in extended support{until}, which costs extra ({})",
                        f.according_to
                    ),
                )
                .hint(hint),
            )
        }
        Support::Ended { on } => {
            let since = on.map(|d| format!(" since {d}")).unwrap_or_default();
            Some(
                Problem::new(
                    &f.path,
                    format!("{what} is no longer supported{since} ({})", f.according_to),
                )
                .hint(format!("use a supported version: {others}")),
            )
        }
        Support::Unreleased { released } => {
            let when = released.map(|d| format!(" before {d}")).unwrap_or_default();
            Some(
                Problem::new(
                    &f.path,
                    format!("{what} is not offered{when} ({})", f.according_to),
                )
                .hint(format!("use a supported version: {others}")),
            )
        }
    }
}

/// `1.35 (standard support until 2027-03-27); 1.32, 1.33, 1.34 (extended support, costs extra)`.
pub(crate) fn supported_list(supported: &[(String, Support)]) -> String {
    let pick = |standard: bool| -> Vec<&str> {
        supported
            .iter()
            .filter(|(_, s)| match s {
                Support::Standard { .. } => standard,
                Support::Extended { .. } => !standard,
                _ => false,
            })
            .map(|(v, _)| v.as_str())
            .collect()
    };
    let mut parts = Vec::new();
    let standard = pick(true);
    if !standard.is_empty() {
        parts.push(format!("{} (standard support)", standard.join(", ")));
    }
    let extended = pick(false);
    if !extended.is_empty() {
        parts.push(format!(
            "{} (extended support, costs extra)",
            extended.join(", ")
        ));
    }
    if parts.is_empty() {
        "none known".into()
    } else {
        parts.join("; ")
    }
}

fn table_source() -> String {
    format!("shinyctl's table of {}", tables::TAKEN)
}

/// The table's entry for `version` and the supported ones on `today`.
fn from_table(
    table: &[Lifecycle],
    key: &str,
    today: Date,
) -> (Option<Support>, Vec<(String, Support)>) {
    let supported = table
        .iter()
        .map(|c| (c.version.to_string(), c.on(today)))
        .filter(|(_, s)| s.is_supported())
        .collect();
    let found = table.iter().find(|c| c.version == key).map(|c| c.on(today));
    (found, supported)
}

/// Every support problem of the blueprint's pinned versions on `today`, by the offline tables.
/// Versions the tables do not know are left to the live plan (and to the format checks in
/// `validate`), except Kubernetes versions older than any the table lists, which are long gone.
pub(crate) fn check(bp: &Blueprint, today: Date, canary_runtime: &str) -> Vec<Problem> {
    let mut findings = Vec::new();
    let mut out = Vec::new();
    if let Some(cluster) = &bp.cluster {
        if let Some(finding) = eks_finding(&cluster.version, today) {
            findings.push(finding);
        } else if newer_than_table(&cluster.version) {
            let (_, supported) = from_table(tables::EKS, "", today);
            out.push(
                Problem::warning(
                    "cluster.version",
                    format!(
                        "EKS {} is newer than {}; only EKS can say whether it offers it",
                        cluster.version,
                        table_source()
                    ),
                )
                .hint(format!(
                    "a live plan asks EKS; the table's supported versions: {}",
                    supported_list(&supported)
                )),
            );
        }
    }
    if let Some(db) = &bp.database {
        let (product, table, key) = match db.engine {
            DatabaseEngine::Mysql => ("RDS for MySQL", tables::RDS_MYSQL, major(&db.version, 2)),
            DatabaseEngine::Postgres => (
                "RDS for PostgreSQL",
                tables::POSTGRES,
                major(&db.version, 1),
            ),
            DatabaseEngine::AuroraPostgresql => {
                ("Aurora PostgreSQL", tables::POSTGRES, major(&db.version, 1))
            }
            // Aurora MySQL's own versions (3.x) are judged by the live plan only.
            DatabaseEngine::AuroraMysql => ("Aurora MySQL", &[][..], String::new()),
        };
        if let (Some(support), supported) = from_table(table, &key, today) {
            findings.push(Finding {
                path: "database.version".into(),
                product: product.into(),
                version: key,
                support,
                supported,
                according_to: table_source(),
            });
        }
    }
    if let Some(cache) = &bp.cache {
        let key = major(&cache.version, 1);
        if let (Some(support), supported) = from_table(tables::REDIS, &key, today) {
            findings.push(Finding {
                path: "cache.version".into(),
                product: "ElastiCache for Redis OSS".into(),
                version: key,
                support,
                supported,
                according_to: table_source(),
            });
        }
    }
    out.extend(findings.iter().filter_map(judge));
    if let Some(monitoring) = &bp.monitoring {
        if !monitoring.canaries.is_empty() {
            if let Some((_, on)) = tables::DEPRECATED_RUNTIMES
                .iter()
                .find(|(r, on)| *r == canary_runtime && today >= *on)
            {
                out.push(
                    Problem::new(
                        item("monitoring.canaries", 0),
                        format!(
                            "this shinyctl's canary runtime {canary_runtime} was deprecated on {on}, and CloudWatch Synthetics refuses new canaries on it"
                        ),
                    )
                    .hint("use a newer shinyctl, whose canaries run on a current runtime"),
                );
            }
        }
    }
    out
}

/// The Kubernetes version's standing: from the table, or, for a version the table does not
/// list, newer ones as a warning to ask EKS and older ones as ended.
fn eks_finding(version: &str, today: Date) -> Option<Finding> {
    let minor = |v: &str| v.strip_prefix("1.").and_then(|m| m.parse::<u32>().ok());
    let asked = minor(version)?;
    let (found, supported) = from_table(tables::EKS, version, today);
    let support = match found {
        Some(support) => support,
        None => {
            let newest = tables::EKS.iter().filter_map(|c| minor(c.version)).max()?;
            if asked > newest {
                return None;
            }
            Support::Ended { on: None }
        }
    };
    Some(Finding {
        path: "cluster.version".into(),
        product: "EKS".into(),
        version: version.into(),
        support,
        supported,
        according_to: table_source(),
    })
}

/// A Kubernetes version newer than any in the table (only EKS can judge it).
fn newer_than_table(version: &str) -> bool {
    let minor = |v: &str| v.strip_prefix("1.").and_then(|m| m.parse::<u32>().ok());
    let newest = tables::EKS.iter().filter_map(|c| minor(c.version)).max();
    matches!((minor(version), newest), (Some(v), Some(n)) if v > n)
}

/// The first `parts` dot-separated parts: `major("8.4.3", 2)` is `8.4`.
pub(crate) fn major(version: &str, parts: usize) -> String {
    version.split('.').take(parts).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::validate::fixture::full;

    const RUNTIME: &str = "syn-nodejs-puppeteer-15.0";

    fn on(day: &str, change: impl FnOnce(&mut Blueprint)) -> Vec<Problem> {
        let mut bp = full();
        bp.cluster.as_mut().unwrap().version = "1.35".into();
        bp.database.as_mut().unwrap().version = "17.7".into();
        change(&mut bp);
        check(&bp, Date::parse(day).unwrap(), RUNTIME)
    }

    #[test]
    fn supported_versions_on_the_day_the_tables_were_taken_pass() {
        assert_eq!(on("2026-12-05", |_| {}), vec![]);
        assert_eq!(tables::TAKEN, Date::parse("2026-12-05").unwrap());
    }

    #[test]
    fn eks_the_facts_of_issue_11() {
        let day = "2026-12-05";
        // 1.31 left extended support on 2026-11-26.
        let gone = on(day, |bp| {
            bp.cluster.as_mut().unwrap().version = "1.31".into()
        });
        assert_eq!(gone.len(), 1);
        assert!(gone[0].is_error());
        assert_eq!(gone[0].path, "cluster.version");
        assert!(
            gone[0]
                .message
                .starts_with("EKS 1.31 is no longer supported since 2026-11-26"),
            "{gone:?}"
        );
        assert_eq!(
            gone[0].hint.as_deref(),
            Some(
                "use a supported version: 1.35 (standard support); 1.32, 1.33, 1.34 (extended support, costs extra)"
            )
        );
        // 1.34's standard support ended 2026-12-02: a warning naming 1.35, the only one left.
        for extended in ["1.32", "1.33", "1.34"] {
            let warned = on(day, |bp| {
                bp.cluster.as_mut().unwrap().version = extended.into()
            });
            assert_eq!(warned.len(), 1, "{extended}");
            assert!(!warned[0].is_error());
            assert!(
                warned[0].message.contains("extended support until"),
                "{warned:?}"
            );
            assert_eq!(
                warned[0].hint.as_deref(),
                Some("move to 1.35 (standard support)")
            );
        }
        let w = on(day, |bp| {
            bp.cluster.as_mut().unwrap().version = "1.32".into()
        });
        assert!(w[0].message.contains("until 2027-03-23"), "{w:?}");
        // A day before the end of standard support, 1.34 is still fine; on it, it warns.
        assert_eq!(
            on("2026-12-01", |bp| bp.cluster.as_mut().unwrap().version =
                "1.34".into()),
            vec![]
        );
        assert_eq!(
            on("2026-12-02", |bp| bp.cluster.as_mut().unwrap().version =
                "1.34".into())
            .len(),
            1
        );
        // Not yet released on the day asked.
        let early = on("2025-12-01", |bp| {
            bp.cluster.as_mut().unwrap().version = "1.35".into()
        });
        assert!(
            early[0].is_error() && early[0].message.contains("not offered before 2026-01-28"),
            "{early:?}"
        );
        // Older than the table: long gone. Newer: only EKS can say (a warning).
        assert!(
            on(day, |bp| bp.cluster.as_mut().unwrap().version =
                "1.20".into())[0]
                .is_error()
        );
        let newer = on(day, |bp| {
            bp.cluster.as_mut().unwrap().version = "1.36".into()
        });
        assert!(
            !newer[0].is_error() && newer[0].message.contains("only EKS can say"),
            "{newer:?}"
        );
    }

    #[test]
    fn rds_mysql_8_0_left_standard_support_on_2026_07_31() {
        let mysql = |version: &str| {
            let version = version.to_string();
            move |bp: &mut Blueprint| {
                let db = bp.database.as_mut().unwrap();
                db.engine = DatabaseEngine::Mysql;
                db.version = version;
            }
        };
        assert_eq!(on("2026-07-30", mysql("8.0.39")), vec![]);
        let warned = on("2026-07-31", mysql("8.0.39"));
        assert_eq!(warned.len(), 1);
        assert!(!warned[0].is_error());
        assert_eq!(warned[0].path, "database.version");
        assert!(
            warned[0]
                .message
                .starts_with("RDS for MySQL 8.0 is in extended support until 2029-07-31"),
            "{warned:?}"
        );
        assert_eq!(
            warned[0].hint.as_deref(),
            Some("move to 8.4 (standard support)")
        );
        assert_eq!(on("2026-12-05", mysql("8.4")), vec![]);
        assert!(on("2027-03-01", mysql("5.7.44"))[0].is_error());
    }

    #[test]
    fn postgres_caches_and_the_canary_runtime() {
        let pg13 = on("2026-12-05", |bp| {
            bp.database.as_mut().unwrap().version = "13.20".into()
        });
        assert!(
            !pg13[0].is_error() && pg13[0].message.contains("Aurora PostgreSQL 13"),
            "{pg13:?}"
        );
        let redis5 = on("2026-12-05", |bp| {
            bp.cache.as_mut().unwrap().version = "5.0.6".into()
        });
        assert!(!redis5[0].is_error(), "{redis5:?}");
        assert_eq!(redis5[0].path, "cache.version");
        assert!(
            on("2026-12-05", |bp| bp.cache.as_mut().unwrap().version =
                "3.2.10".into())[0]
                .is_error()
        );
        let mut bp = full();
        bp.cluster.as_mut().unwrap().version = "1.35".into();
        let old = check(&bp, tables::TAKEN, "syn-nodejs-puppeteer-7.0");
        assert_eq!(old.len(), 1);
        assert_eq!(old[0].path, "monitoring.canaries[0]");
        // The runtime shinyctl uses is not deprecated.
        assert!(
            !tables::DEPRECATED_RUNTIMES
                .iter()
                .any(|(r, _)| *r == defaults::CANARY_RUNTIME)
        );
    }
}

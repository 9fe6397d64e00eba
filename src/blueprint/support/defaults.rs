//! Versions a blueprint leaves out (`cluster.version`, `database.version`, `cache.version`,
//! `proxy.version`), as eksctl, Terraform and Copilot default them: the newest AWS offers that
//! shinyctl supports, by the offline [`tables`] on the day asked; the live plan chooses again by
//! AWS's own listings (`src/aws/versions.rs::choices`, with [`choose_offered`]). Each choice is a warning
//! (pinning is recommended) that the plan shows. Once the resource exists, an unset version is
//! the one it runs (`load`'s `keep_running`): a newer shinyctl or a new AWS release never plans an
//! upgrade nobody asked for.

use super::Date;
use super::tables::{self, Lifecycle};
use crate::blueprint::model::{Blueprint, DatabaseEngine};
use crate::blueprint::problem::Problem;

/// The ShinyProxy release shinyctl's workload is built and checked for (`src/workload/keys.rs`).
pub(crate) const SHINYPROXY: &str = "3.2.0";

/// The Synthetics runtime every canary runs (the blueprint does not choose it): a current Node.js
/// Puppeteer runtime (not deprecated on 2026-12-05: "Runtime versions support policy", CloudWatch
/// user guide; 15.0 is the newest documented, but the emulator's offered set stops at 11.0). The
/// script keeps the `Synthetics` module names, which the runtime serves.
pub(crate) const CANARY_RUNTIME: &str = "syn-nodejs-puppeteer-11.0";

/// The newest Redis OSS line ElastiCache offers ("Supported ElastiCache for Redis OSS versions":
/// 7.1 is the last Redis OSS release; later ones are Valkey).
pub(crate) const REDIS: &str = "7.1";

/// A version shinyctl chose for a value the blueprint leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chosen {
    /// `cluster.version`.
    pub(crate) path: &'static str,
    pub(crate) version: String,
    /// `EKS`, `RDS for PostgreSQL`...
    pub(crate) product: String,
    /// `shinyctl's table of 2026-12-05` or `EKS`.
    pub(crate) according_to: String,
}

impl Chosen {
    /// The warning `validate` and `plan` show: what was chosen, and that pinning is recommended.
    pub(crate) fn warning(&self) -> Problem {
        let (section, _) = self.path.split_once('.').unwrap_or((self.path, ""));
        Problem::warning(
            self.path,
            format!(
                "`{}` is not set: {} {} is chosen, the newest shinyctl supports ({})",
                self.path, self.product, self.version, self.according_to
            ),
        )
        .hint(format!(
            "pinning is recommended: write `version: \"{}\"` under `{section}`; an unset version is chosen anew for a new resource, while an existing one keeps the version it runs",
            self.version
        ))
    }
}

/// The newest version of `table` in standard support on `today` (else the newest supported).
fn newest(table: &[Lifecycle], today: Date) -> Option<&'static str> {
    let numeric = |v: &str| -> Vec<u64> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
    let pick = |standard_only: bool| {
        table
            .iter()
            .filter(|c| {
                let s = c.on(today);
                if standard_only {
                    matches!(s, super::Support::Standard { .. })
                } else {
                    s.is_supported()
                }
            })
            .max_by_key(|c| numeric(c.version))
            .map(|c| c.version)
    };
    pick(true).or_else(|| pick(false))
}

/// Fills the versions `bp` leaves out with the newest shinyctl supports on `today`, and says
/// which it chose.
pub(crate) fn choose(bp: &mut Blueprint, today: Date) -> Vec<Chosen> {
    let table = format!("shinyctl's table of {}", tables::TAKEN);
    let mut chosen = Vec::new();
    let mut pick = |path, slot: &mut String, product: &str, version: Option<&str>| {
        if slot.is_empty() {
            if let Some(version) = version {
                *slot = version.to_string();
                chosen.push(Chosen {
                    path,
                    version: version.to_string(),
                    product: product.to_string(),
                    according_to: table.clone(),
                });
            }
        }
    };
    if let Some(cluster) = &mut bp.cluster {
        pick(
            "cluster.version",
            &mut cluster.version,
            "EKS",
            newest(tables::EKS, today),
        );
    }
    if let Some(db) = &mut bp.database {
        let (product, version) = match db.engine {
            DatabaseEngine::Mysql => ("RDS for MySQL", newest(tables::RDS_MYSQL, today)),
            DatabaseEngine::Postgres => ("RDS for PostgreSQL", newest(tables::POSTGRES, today)),
            DatabaseEngine::AuroraPostgresql => {
                ("Aurora PostgreSQL", newest(tables::POSTGRES, today))
            }
            // Aurora MySQL 3 is compatible with MySQL 8.0; RDS takes the major for its default.
            DatabaseEngine::AuroraMysql => ("Aurora MySQL", Some("8.0")),
        };
        pick("database.version", &mut db.version, product, version);
    }
    if let Some(cache) = &mut bp.cache {
        pick(
            "cache.version",
            &mut cache.version,
            "ElastiCache for Redis OSS",
            Some(REDIS),
        );
    }
    if let Some(proxy) = &mut bp.proxy {
        pick(
            "proxy.version",
            &mut proxy.version,
            "ShinyProxy",
            Some(SHINYPROXY),
        );
    }
    chosen
}

/// shinyctl's supported lines for `chosen`'s value on `today`, newest first, those in standard
/// support before those in extended support; empty for the proxy (not an AWS version).
fn supported_lines(chosen: &Chosen, engine: Option<DatabaseEngine>, today: Date) -> Vec<String> {
    let from = |table: &[Lifecycle]| -> Vec<String> {
        let numeric =
            |v: &str| -> Vec<u64> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
        let mut lines: Vec<(bool, Vec<u64>, String)> = table
            .iter()
            .filter(|c| c.on(today).is_supported())
            .map(|c| {
                let standard = matches!(c.on(today), super::Support::Standard { .. });
                (standard, numeric(c.version), c.version.to_string())
            })
            .collect();
        lines.sort_by(|a, b| (b.0, &b.1).cmp(&(a.0, &a.1)));
        lines.into_iter().map(|(_, _, v)| v).collect()
    };
    match (chosen.path, engine) {
        ("cluster.version", _) => from(tables::EKS),
        ("database.version", Some(DatabaseEngine::Mysql)) => from(tables::RDS_MYSQL),
        ("database.version", Some(DatabaseEngine::AuroraMysql)) => vec!["8.0".into()],
        ("database.version", Some(_)) => from(tables::POSTGRES),
        ("cache.version", _) => ["7.1", "7.0", "6.2"].map(String::from).to_vec(),
        _ => Vec::new(),
    }
}

/// The version to choose for `chosen` by AWS's `offered` versions: the newest line shinyctl
/// supports that AWS offers (a listed version is it or starts with it and a dot); `None` when
/// AWS offers none of them (the offline choice stands, and AWS's check judges it).
pub(crate) fn choose_offered(
    chosen: &Chosen,
    engine: Option<DatabaseEngine>,
    offered: &[String],
    today: Date,
) -> Option<String> {
    supported_lines(chosen, engine, today)
        .into_iter()
        .find(|line| {
            offered
                .iter()
                .any(|v| v == line || v.starts_with(&format!("{line}.")))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::validate::fixture::full;

    fn day() -> Date {
        Date::parse("2026-12-05").unwrap()
    }

    #[test]
    fn unset_versions_get_the_newest_supported() {
        let mut bp = full();
        bp.cluster.as_mut().unwrap().version.clear();
        bp.database.as_mut().unwrap().version.clear();
        bp.cache.as_mut().unwrap().version.clear();
        bp.proxy.as_mut().unwrap().version.clear();
        let chosen = choose(&mut bp, day());
        let got: Vec<(&str, &str)> = chosen
            .iter()
            .map(|c| (c.path, c.version.as_str()))
            .collect();
        assert_eq!(got[0], ("cluster.version", "1.35"));
        assert_eq!(got[2], ("cache.version", "7.1"));
        assert_eq!(got[3], ("proxy.version", "3.2.0"));
        assert_eq!(bp.cluster.as_ref().unwrap().version, "1.35");
        let w = chosen[0].warning();
        assert!(!w.is_error());
        assert!(w.hint.unwrap().starts_with("pinning is recommended"));
        // A day when 1.34 was the newest in standard support.
        let mut early = full();
        early.cluster.as_mut().unwrap().version.clear();
        let c = choose(&mut early, Date::parse("2025-12-01").unwrap());
        assert_eq!(c[0].version, "1.34");
        // Pinned versions are left alone.
        assert!(choose(&mut full(), day()).is_empty());
    }

    #[test]
    fn aws_offers_decide_among_the_supported_lines() {
        let chosen = |path| Chosen {
            path,
            version: String::new(),
            product: String::new(),
            according_to: String::new(),
        };
        let offered: Vec<String> = ["18.1", "16.9", "15.2"].map(String::from).to_vec();
        // 17 is not offered here: 16, the newest supported line AWS offers.
        assert_eq!(
            choose_offered(
                &chosen("database.version"),
                Some(DatabaseEngine::Postgres),
                &offered,
                day()
            )
            .as_deref(),
            Some("16")
        );
        let eks: Vec<String> = ["1.33", "1.34"].map(String::from).to_vec();
        assert_eq!(
            choose_offered(&chosen("cluster.version"), None, &eks, day()).as_deref(),
            Some("1.34")
        );
        assert_eq!(
            choose_offered(&chosen("proxy.version"), None, &eks, day()),
            None
        );
    }
}

//! Offline support tables: when AWS released each version it offers, when its standard support
//! ends and when its (paid) extended support ends. Taken from AWS's published calendars on
//! 2026-12-05 ([`TAKEN`]); the live plan asks AWS itself (`src/aws/versions.rs`), so these only
//! judge a blueprint before AWS is asked. `None` means the calendar gave no date.

use super::date::Date;

/// The day these tables were taken from AWS's documentation.
pub(crate) const TAKEN: Date = Date::ymd(2026, 12, 5);

/// One version's support calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifecycle {
    pub(crate) version: &'static str,
    pub(crate) released: Option<Date>,
    /// The first day the version is no longer in standard support.
    pub(crate) end_standard: Option<Date>,
    /// The first day the version is no longer supported at all.
    pub(crate) end_extended: Option<Date>,
}

const fn cycle(
    version: &'static str,
    released: Option<Date>,
    end_standard: Option<Date>,
    end_extended: Option<Date>,
) -> Lifecycle {
    Lifecycle {
        version,
        released,
        end_standard,
        end_extended,
    }
}

const fn d(year: i32, month: u32, day: u32) -> Option<Date> {
    Some(Date::ymd(year, month, day))
}

/// Amazon EKS Kubernetes release calendar: 14 months of standard support, then 12 months of
/// extended support at an extra cost per cluster hour.
/// <https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html> (release
/// calendar; release days as listed by endoflife.date/amazon-eks). 1.36 was not yet offered.
pub(crate) const EKS: &[Lifecycle] = &[
    cycle("1.28", d(2023, 9, 26), d(2024, 11, 26), d(2025, 11, 26)),
    cycle("1.29", d(2024, 1, 23), d(2025, 3, 23), d(2026, 3, 23)),
    cycle("1.30", d(2024, 5, 23), d(2025, 7, 23), d(2026, 7, 23)),
    cycle("1.31", d(2024, 9, 26), d(2025, 11, 26), d(2026, 11, 26)),
    cycle("1.32", d(2025, 1, 25), d(2026, 3, 23), d(2027, 3, 23)),
    cycle("1.33", d(2025, 5, 28), d(2026, 7, 29), d(2027, 7, 29)),
    cycle("1.34", d(2025, 10, 6), d(2026, 12, 2), d(2027, 12, 2)),
    cycle("1.35", d(2026, 1, 28), d(2027, 3, 27), d(2028, 3, 27)),
];

/// RDS for MySQL major versions (`X.Y`): "Supported MySQL major versions on Amazon RDS",
/// <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html>.
/// RDS Extended Support lasts up to 3 years past the end of standard support
/// (<https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html>). 8.4 is the
/// current LTS; the calendar taken gave it no end date.
pub(crate) const RDS_MYSQL: &[Lifecycle] = &[
    cycle("5.7", None, d(2024, 2, 29), d(2027, 2, 28)),
    cycle("8.0", None, d(2026, 7, 31), d(2029, 7, 31)),
    cycle("8.4", None, None, None),
];

/// RDS for PostgreSQL and Aurora PostgreSQL major versions (`X`): both end standard support on
/// the same day ("Release calendar for Amazon RDS for PostgreSQL"; Aurora PostgreSQL release
/// calendar; AWS Database Blog, "Upgrade strategies for Amazon Aurora PostgreSQL and Amazon RDS
/// for PostgreSQL 12": 12 ended 2025-02-28), then up to 3 years of RDS Extended Support. Newer
/// majors (14 to 17) are in standard support; their end dates are not in this table.
pub(crate) const POSTGRES: &[Lifecycle] = &[
    cycle("11", None, d(2024, 2, 29), d(2027, 3, 31)),
    cycle("12", None, d(2025, 2, 28), d(2028, 2, 29)),
    cycle("13", None, d(2026, 2, 28), d(2029, 2, 28)),
    cycle("14", None, None, None),
    cycle("15", None, None, None),
    cycle("16", None, None, None),
    cycle("17", None, None, None),
];

/// ElastiCache for Redis OSS major versions: "Redis OSS versions end of life schedule"
/// (<https://docs.aws.amazon.com/AmazonElastiCache/latest/red-ug/deprecated-engine-versions.html>;
/// 4 and 5 end standard support 2026-01-31, 6 on 2027-01-31, each followed by 3 years of
/// extended support, as tabled in AWS's "Amazon ElastiCache 版本升级指南" blog). 2 and 3 reached
/// end of life without extended support; 7 has no end date.
pub(crate) const REDIS: &[Lifecycle] = &[
    cycle("2", None, d(2023, 1, 13), d(2023, 1, 13)),
    cycle("3", None, d(2023, 7, 31), d(2023, 7, 31)),
    cycle("4", None, d(2026, 1, 31), d(2029, 1, 31)),
    cycle("5", None, d(2026, 1, 31), d(2029, 1, 31)),
    cycle("6", None, d(2027, 1, 31), d(2030, 1, 31)),
    cycle("7", None, None, None),
];

/// CloudWatch Synthetics Node.js Puppeteer runtimes and the day each was deprecated: AWS
/// refuses new canaries on a deprecated runtime ("Runtime versions support policy",
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Runtime_Support_Policy.html>).
pub(crate) const DEPRECATED_RUNTIMES: &[(&str, Date)] = &[
    ("syn-nodejs-puppeteer-3.8", Date::ymd(2024, 1, 8)),
    ("syn-nodejs-puppeteer-3.9", Date::ymd(2024, 1, 8)),
    ("syn-nodejs-puppeteer-4.0", Date::ymd(2024, 3, 8)),
    ("syn-nodejs-puppeteer-5.0", Date::ymd(2024, 3, 8)),
    ("syn-nodejs-puppeteer-5.1", Date::ymd(2024, 3, 8)),
    ("syn-nodejs-puppeteer-6.0", Date::ymd(2024, 3, 8)),
    ("syn-nodejs-puppeteer-6.1", Date::ymd(2024, 3, 8)),
    ("syn-nodejs-puppeteer-5.2", Date::ymd(2026, 1, 22)),
    ("syn-nodejs-puppeteer-6.2", Date::ymd(2026, 1, 22)),
    ("syn-nodejs-puppeteer-7.0", Date::ymd(2026, 1, 22)),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_is_a_real_day_and_ends_follow_releases() {
        for table in [EKS, RDS_MYSQL, POSTGRES, REDIS] {
            for c in table {
                for day in [c.released, c.end_standard, c.end_extended]
                    .into_iter()
                    .flatten()
                {
                    assert_eq!(Date::parse(&day.to_string()), Some(day), "{}", c.version);
                }
                if let (Some(a), Some(b)) = (c.end_standard, c.end_extended) {
                    assert!(a <= b, "{}", c.version);
                }
                if let (Some(a), Some(b)) = (c.released, c.end_standard) {
                    assert!(a < b, "{}", c.version);
                }
            }
        }
    }
}

//! `database`: engine and version, provisioned vs Aurora Serverless v2 capacity, storage, backups,
//! parameter overrides, and the names RDS accepts.

use super::Problems;
use super::text::{is_dotted_version, is_number, is_sql_identifier};
use crate::blueprint::model::{Blueprint, Database, DatabaseEngine, ServerlessCapacity};
use crate::blueprint::problem::{Problem, child};

const PATH: &str = "database";

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(db) = &bp.database else {
        return;
    };
    check_version(db, out);
    check_capacity(db, out);
    check_storage(db, out);
    check_backups(db, out);
    for key in db.parameters.keys() {
        if key.is_empty() || key.contains(char::is_whitespace) {
            out.push(
                Problem::new(
                    child(&child(PATH, "parameters"), key),
                    format!("`{key}` is not a parameter name"),
                )
                .hint("parameter names are single words such as `max_connections`")
                .at_key(),
            );
        }
    }
    check_names(db, out);
}

fn check_version(db: &Database, out: &mut Problems) {
    let v = db.version.as_str();
    let (ok, example) = match db.engine {
        DatabaseEngine::Mysql => (is_dotted_version(v, &[2, 3]), "8.0.39"),
        DatabaseEngine::Postgres | DatabaseEngine::AuroraPostgresql => {
            (is_dotted_version(v, &[1, 2]), "16.4")
        }
        DatabaseEngine::AuroraMysql => (is_aurora_mysql_version(v), "8.0.mysql_aurora.3.05.2"),
    };
    if !ok {
        out.push(
            Problem::new(
                child(PATH, "version"),
                format!("`{v}` is not a {} engine version", db.engine.aws_name()),
            )
            .hint(format!("write it quoted, e.g. `version: \"{example}\"`")),
        );
    }
}

/// `8.0.mysql_aurora.3.05.2`: the MySQL version, then the Aurora version.
fn is_aurora_mysql_version(v: &str) -> bool {
    v.split_once(".mysql_aurora.")
        .is_some_and(|(mysql, aurora)| {
            is_dotted_version(mysql, &[2]) && is_dotted_version(aurora, &[3])
        })
}

fn check_capacity(db: &Database, out: &mut Problems) {
    let engine = db.engine.aws_name();
    match (&db.instance_class, &db.serverless) {
        (Some(_), Some(_)) => out.push(
            Problem::new(child(PATH, "serverless"), "both `instanceClass` and `serverless` are set")
                .hint("choose one: `instanceClass` for provisioned instances, `serverless` for Aurora Serverless v2"),
        ),
        (None, None) => out.push(
            Problem::new(PATH, "neither `instanceClass` nor `serverless` is set").hint(if db.engine.is_aurora() {
                "add `instanceClass: db.r6g.large` for provisioned instances or `serverless: {minCapacity: 0.5, maxCapacity: 8}`"
            } else {
                "add an instance class, e.g. `instanceClass: db.t4g.medium`"
            }),
        ),
        (None, Some(_)) if !db.engine.is_aurora() => out.push(
            Problem::new(child(PATH, "serverless"), format!("Aurora Serverless v2 is not available for `{engine}`"))
                .hint(format!(
                    "use `engine: aurora-{}` for serverless capacity, or replace `serverless` with an `instanceClass`",
                    if db.engine == DatabaseEngine::Mysql { "mysql" } else { "postgresql" }
                )),
        ),
        (None, Some(capacity)) => check_serverless(db, capacity, out),
        (Some(class), None) => {
            let parts: Vec<&str> = class.split('.').collect();
            if parts.len() != 3 || parts[0] != "db" || parts.iter().any(|p| p.is_empty()) {
                out.push(
                    Problem::new(child(PATH, "instanceClass"), format!("`{class}` is not an RDS instance class"))
                        .hint("instance classes look like `db.t4g.medium` or `db.r6g.large`"),
                );
            } else if class == "db.serverless" {
                out.push(
                    Problem::new(child(PATH, "instanceClass"), "`db.serverless` is set as an instance class")
                        .hint("describe Aurora Serverless v2 with `serverless: {minCapacity: ..., maxCapacity: ...}` instead"),
                );
            }
        }
    }
}

fn check_serverless(db: &Database, capacity: &ServerlessCapacity, out: &mut Problems) {
    let base = child(PATH, "serverless");
    let half_steps = |x: f64| (x * 2.0).fract() == 0.0;
    let (min, max) = (capacity.min_capacity, capacity.max_capacity);
    let min_ok = min.is_finite() && (0.0..=256.0).contains(&min) && half_steps(min);
    let max_ok = max.is_finite() && (1.0..=256.0).contains(&max) && half_steps(max);
    if !min_ok {
        out.push(
            Problem::new(
                child(&base, "minCapacity"),
                format!("minCapacity {min} is not 0 to 256 ACUs in steps of 0.5"),
            )
            .hint(
                "Aurora Serverless v2 capacity goes from 0 to 256 ACUs in steps of 0.5, e.g. `0.5`",
            ),
        );
    }
    if !max_ok {
        out.push(
            Problem::new(
                child(&base, "maxCapacity"),
                format!("maxCapacity {max} is not 1 to 256 ACUs in steps of 0.5"),
            )
            .hint("Aurora Serverless v2 maximum capacity goes from 1 to 256 ACUs in steps of 0.5"),
        );
    }
    if min_ok && max_ok && min > max {
        out.push(
            Problem::new(
                child(&base, "minCapacity"),
                format!("minCapacity {min} is greater than maxCapacity {max}"),
            )
            .hint("raise maxCapacity or lower minCapacity"),
        );
    }
    // Serverless v2 needs Aurora PostgreSQL 13.6+ (3.02+ for Aurora MySQL, i.e. MySQL 8.0 compatible).
    let too_old = match db.engine {
        DatabaseEngine::AuroraPostgresql => major(&db.version).is_some_and(|m| m < 13),
        DatabaseEngine::AuroraMysql => db
            .version
            .split_once(".mysql_aurora.")
            .is_some_and(|(_, aurora)| major(aurora).is_some_and(|m| m < 3)),
        _ => false,
    };
    if too_old {
        out.push(
            Problem::new(
                child(PATH, "version"),
                format!(
                    "Aurora Serverless v2 does not support version {}",
                    db.version
                ),
            )
            .hint("use Aurora PostgreSQL 13.6 or later, or Aurora MySQL 3.02 or later"),
        );
    }
}

fn major(version: &str) -> Option<u32> {
    version
        .split('.')
        .next()
        .filter(|m| is_number(m))
        .and_then(|m| m.parse().ok())
}

fn check_storage(db: &Database, out: &mut Problems) {
    let Some(gib) = db.storage_gib else {
        return;
    };
    let path = child(PATH, "storageGib");
    if db.engine.is_aurora() {
        out.push(
            Problem::new(path, "Aurora storage grows by itself and takes no size")
                .hint("remove `storageGib`"),
        );
    } else if !(20..=65_536).contains(&gib) {
        out.push(
            Problem::new(path, format!("{gib} GiB is outside RDS's 20 to 65536 GiB"))
                .hint("general-purpose RDS storage is at least 20 GiB"),
        );
    }
}

fn check_backups(db: &Database, out: &mut Problems) {
    let days = db.backup_retention_days;
    let path = child(PATH, "backupRetentionDays");
    if db.engine.is_aurora() && !(1..=35).contains(&days) {
        out.push(
            Problem::new(
                path,
                format!("{days} days; Aurora keeps backups for 1 to 35 days"),
            )
            .hint("Aurora cannot turn automated backups off: use 1 to 35"),
        );
    } else if days > 35 {
        out.push(
            Problem::new(
                path,
                format!("{days} days; RDS keeps automated backups for at most 35 days"),
            )
            .hint("use 0 (no automated backups) to 35, and snapshots for longer retention"),
        );
    }
}

fn check_names(db: &Database, out: &mut Problems) {
    let mysql = matches!(
        db.engine,
        DatabaseEngine::Mysql | DatabaseEngine::AuroraMysql
    );
    if let Some(name) = &db.database_name {
        let max = if mysql { 64 } else { 63 };
        if !is_sql_identifier(name) || name.len() > max {
            out.push(
                Problem::new(child(PATH, "databaseName"), format!("`{name}` is not a valid {} database name", db.engine.aws_name()))
                    .hint(format!("use 1 to {max} letters, digits and underscores, starting with a letter (no hyphens)")),
            );
        }
    }
    // CreateDBCluster (Aurora) and MySQL allow 16 characters; RDS for PostgreSQL 63.
    let max = if db.engine == DatabaseEngine::Postgres {
        63
    } else {
        16
    };
    let user = &db.master_username;
    if !is_sql_identifier(user) || user.len() > max {
        out.push(
            Problem::new(
                child(PATH, "masterUsername"),
                format!(
                    "`{user}` is not a valid {} master user name",
                    db.engine.aws_name()
                ),
            )
            .hint(format!(
                "use 1 to {max} letters, digits and underscores, starting with a letter"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after};
    use super::*;

    fn db(bp: &mut Blueprint) -> &mut Database {
        bp.database.as_mut().unwrap()
    }

    fn provisioned_mysql(bp: &mut Blueprint) {
        let d = db(bp);
        d.engine = DatabaseEngine::Mysql;
        d.version = "8.0.39".into();
        d.serverless = None;
        d.instance_class = Some("db.t4g.medium".into());
        d.parameters.clear();
    }

    #[test]
    fn provisioned_mysql_is_valid() {
        assert!(paths_after(provisioned_mysql).is_empty());
    }

    #[test]
    fn serverless_is_for_aurora_only() {
        assert_one(
            |bp| {
                provisioned_mysql(bp);
                db(bp).instance_class = None;
                db(bp).serverless = Some(ServerlessCapacity {
                    min_capacity: 0.5,
                    max_capacity: 4.0,
                });
            },
            "database.serverless",
            "not available for `mysql`",
        );
    }

    #[test]
    fn instance_class_xor_serverless() {
        assert_one(
            |bp| db(bp).instance_class = Some("db.r6g.large".into()),
            "database.serverless",
            "both",
        );
        assert_one(|bp| db(bp).serverless = None, "database", "neither");
        assert_one(
            |bp| {
                provisioned_mysql(bp);
                db(bp).instance_class = Some("t4g.medium".into());
            },
            "database.instanceClass",
            "not an RDS instance class",
        );
    }

    #[test]
    fn serverless_ranges() {
        let cap = |min, max| {
            move |bp: &mut Blueprint| {
                db(bp).serverless = Some(ServerlessCapacity {
                    min_capacity: min,
                    max_capacity: max,
                })
            }
        };
        assert_one(
            cap(0.3, 8.0),
            "database.serverless.minCapacity",
            "steps of 0.5",
        );
        assert_one(
            cap(0.5, 300.0),
            "database.serverless.maxCapacity",
            "1 to 256",
        );
        assert_one(cap(0.5, 0.5), "database.serverless.maxCapacity", "1 to 256");
        assert_one(
            cap(16.0, 8.0),
            "database.serverless.minCapacity",
            "greater than",
        );
        assert_one(
            cap(f64::NAN, 8.0),
            "database.serverless.minCapacity",
            "0 to 256",
        );
        assert!(paths_after(cap(0.0, 256.0)).is_empty());
    }

    #[test]
    fn versions_per_engine() {
        assert_one(
            |bp| db(bp).version = "16.4.1".into(),
            "database.version",
            "aurora-postgresql",
        );
        assert_one(
            |bp| db(bp).version = "12.9".into(),
            "database.version",
            "Serverless v2",
        );
        assert_one(
            |bp| {
                db(bp).engine = DatabaseEngine::AuroraMysql;
                db(bp).parameters.clear();
                db(bp).version = "8.0".into();
            },
            "database.version",
            "aurora-mysql",
        );
        assert!(
            paths_after(|bp| {
                db(bp).engine = DatabaseEngine::AuroraMysql;
                db(bp).version = "8.0.mysql_aurora.3.05.2".into();
            })
            .is_empty()
        );
        assert_one(
            |bp| {
                provisioned_mysql(bp);
                db(bp).version = "eight".into();
            },
            "database.version",
            "mysql",
        );
    }

    #[test]
    fn storage_and_backups() {
        assert_one(
            |bp| db(bp).storage_gib = Some(100),
            "database.storageGib",
            "Aurora storage",
        );
        assert_one(
            |bp| {
                provisioned_mysql(bp);
                db(bp).storage_gib = Some(10);
            },
            "database.storageGib",
            "20 to 65536",
        );
        assert_one(
            |bp| db(bp).backup_retention_days = 0,
            "database.backupRetentionDays",
            "1 to 35",
        );
        assert_one(
            |bp| db(bp).backup_retention_days = 36,
            "database.backupRetentionDays",
            "1 to 35",
        );
        assert!(
            paths_after(|bp| {
                provisioned_mysql(bp);
                db(bp).backup_retention_days = 0;
            })
            .is_empty()
        );
    }

    #[test]
    fn names_and_parameters() {
        assert_one(
            |bp| db(bp).database_name = Some("shiny-proxy".into()),
            "database.databaseName",
            "not a valid aurora-postgresql database name",
        );
        assert_one(
            |bp| db(bp).master_username = "a".repeat(17),
            "database.masterUsername",
            "not a valid aurora-postgresql master user name",
        );
        assert_one(
            |bp| {
                _ = db(bp)
                    .parameters
                    .insert("max connections".into(), "100".into())
            },
            "database.parameters.max connections",
            "not a parameter name",
        );
    }
}

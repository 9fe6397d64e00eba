//! `servers[].workbench` and `servers[].drain`: Posit Workbench load-balanced over a server
//! group (seed 002). Posit's requirements for a cluster ("Load balancing: Configuration", Posit
//! Workbench admin guide) become checks here: a PostgreSQL database, home directories and the
//! shared-storage path on shared storage, one secure cookie key, sticky sessions at the load
//! balancer.

use super::Problems;
use super::servers::{bucket_names, check_absolute, check_bucket_source};
use super::text::check_secret_ref;
use crate::blueprint::model::{
    AmiFamily, Blueprint, DatabaseEngine, Drain, ServerConnection, ServerGroup, Workbench,
    WorkbenchBalancer,
};
use crate::blueprint::problem::{Problem, child};

/// The oldest release whose nodes register themselves in the database, so servers can join and
/// leave without every other node's `load-balancer` file listing them: 2021.09.0 "Ghost Orchid"
/// (Posit's "RStudio Workbench Load Balancing Changes", September 2021).
const SELF_REGISTRATION: (u32, u32) = (2021, 9);
/// The shortest and longest drain: the termination lifecycle hook's heartbeat is 30–7200 s
/// (botocore `autoscaling` HeartbeatTimeout) and the target group's deregistration delay
/// 0–3600 s (botocore `elbv2` TargetGroupAttribute `deregistration_delay.timeout_seconds`).
const DRAIN_SECONDS: std::ops::RangeInclusive<u32> = 30..=3600;
/// Where every user's home directory lives: on the shared file system.
const HOME: &str = "/home";

pub(crate) fn check_drain(drain: &Drain, path: &str, out: &mut Problems) {
    if !DRAIN_SECONDS.contains(&drain.timeout_seconds) {
        out.push(
            Problem::new(
                child(path, "timeoutSeconds"),
                format!(
                    "{} seconds is outside {}..{}",
                    drain.timeout_seconds,
                    DRAIN_SECONDS.start(),
                    DRAIN_SECONDS.end()
                ),
            )
            .hint("the load balancer's deregistration delay is at most 3600 seconds and a lifecycle hook's wait at least 30, e.g. `timeoutSeconds: 900`"),
        );
    }
}

pub(crate) fn check(
    bp: &Blueprint,
    group: &ServerGroup,
    wb: &Workbench,
    path: &str,
    out: &mut Problems,
) {
    check_version(&wb.version, &child(path, "version"), out);
    check_platform(group, path, out);
    check_database(bp, group, path, out);
    check_storage(group, wb, path, out);
    check_routing(group, path, out);
    check_balancer(bp, wb, path, out);
    check_secrets(group, wb, path, out);
}

/// `2024.12.1+563.pro5`: year, month, patch, `+` build; 2021.09 or later.
fn check_version(version: &str, path: &str, out: &mut Problems) {
    match parse_version(version) {
        None => out.push(
            Problem::new(path, format!("`{version}` is not a Posit Workbench release"))
                .hint("write the release as Posit names it, quoted, e.g. `\"2024.12.1+563.pro5\"`"),
        ),
        Some((year, month)) if (year, month) < SELF_REGISTRATION => out.push(
            Problem::new(path, format!("{version} predates nodes registering themselves (2021.09.0)"))
                .hint("use 2021.09.0 or later: earlier releases list every node in each server's load-balancer file, so an Auto Scaling group cannot add or remove one"),
        ),
        Some(_) => {}
    }
}

/// `(year, month)` of a `YYYY.MM.P+BUILD[.proN]` release.
pub(crate) fn parse_version(version: &str) -> Option<(u32, u32)> {
    let (release, build) = version.split_once('+')?;
    let mut parts = release.split('.');
    let year: u32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let patch = parts.next()?;
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let build_ok = build.split('.').enumerate().all(|(i, part)| {
        if i == 0 {
            numeric(part)
        } else {
            part.bytes().all(|b| b.is_ascii_alphanumeric()) && !part.is_empty()
        }
    });
    (parts.next().is_none()
        && (2000..3000).contains(&year)
        && (1..=12).contains(&month)
        && numeric(patch)
        && build_ok)
        .then_some((year, month))
}

/// Posit's Ubuntu 22.04 ("jammy") amd64 package is what the servers install.
fn check_platform(group: &ServerGroup, path: &str, out: &mut Problems) {
    if group.ami.family != Some(AmiFamily::Ubuntu2204) {
        out.push(
            Problem::new(parent(path, "ami"), "Workbench needs `ami: {family: ubuntu-22.04}`")
                .hint("shinyctl installs Posit's Ubuntu 22.04 package of Workbench; other images are not set up for it"),
        );
    }
    if group.arm64() {
        out.push(
            Problem::new(
                parent(path, "instanceType"),
                format!("`{}` is a Graviton (arm64) type", group.instance_type),
            )
            .hint("shinyctl installs Posit's amd64 package: use an x86 type such as `m6i.2xlarge`"),
        );
    }
}

/// The PostgreSQL database Workbench keeps the cluster's state in.
fn check_database(bp: &Blueprint, group: &ServerGroup, path: &str, out: &mut Problems) {
    let Some(db) = &bp.database else {
        out.push(
            Problem::new(path, "load-balanced Workbench needs a PostgreSQL database, and the blueprint has none")
                .hint("add `database: {engine: postgres, databaseName: rstudio, ...}`: Workbench keeps its nodes and sign-outs there"),
        );
        return;
    };
    if !matches!(
        db.engine,
        DatabaseEngine::Postgres | DatabaseEngine::AuroraPostgresql
    ) {
        out.push(
            Problem::new("database.engine", "load-balanced Workbench needs PostgreSQL")
                .hint("use `engine: postgres` (or `aurora-postgresql`): Workbench's cluster state does not run on MySQL or SQLite"),
        );
    }
    if db.database_name.is_none() {
        out.push(
            Problem::new(
                "database",
                "Workbench needs a database of its own, and `databaseName` is not set",
            )
            .hint(
                "add `databaseName: rstudio`: Workbench creates its tables in that empty database",
            ),
        );
    }
    if !group.connect.contains(&ServerConnection::Database) {
        out.push(
            Problem::new(
                parent(path, "connect"),
                "Workbench's servers must reach the database",
            )
            .hint("add `connect: [database]`"),
        );
    }
}

/// Home directories and the shared-storage path on the group's EFS mounts.
fn check_storage(group: &ServerGroup, wb: &Workbench, path: &str, out: &mut Problems) {
    if !group.mounts.iter().any(|m| m.path == HOME) {
        out.push(
            Problem::new(parent(path, "mounts"), "users' home directories must be on shared storage: `/home` is not mounted")
                .hint("add `mounts: [{efsPath: /home, path: /home}]` (a path of the file system, not an access point, which would map every user to one uid)"),
        );
    }
    let at = child(path, "sharedStoragePath");
    check_absolute(&wb.shared_storage_path, &at, out);
    let on_a_mount = group.mounts.iter().any(|m| {
        wb.shared_storage_path
            .strip_prefix(m.path.as_str())
            .is_some_and(|rest| rest.starts_with('/'))
    });
    if !on_a_mount {
        out.push(
            Problem::new(
                &at,
                format!(
                    "`{}` is on no EFS mount: each server would keep its own",
                    wb.shared_storage_path
                ),
            )
            .hint("put it under a mounted path, e.g. `/home/rstudio-server/shared-storage`"),
        );
    }
}

/// Sticky sessions at the load balancer, Workbench itself on the target group's port.
fn check_routing(group: &ServerGroup, path: &str, out: &mut Problems) {
    let Some(http) = &group.http else {
        out.push(
            Problem::new(parent(path, "http"), "Workbench's servers need `http`: users reach them through the load balancer")
                .hint("add `http: {port: 8787, healthCheck: {path: /health-check}, stickiness: {type: lb_cookie, durationSeconds: 28800}}`"),
        );
        return;
    };
    if http.stickiness.is_none() {
        out.push(
            Problem::new(child(&parent(path, "http"), "stickiness"), "Workbench needs sticky sessions: a user must come back to the server holding their session")
                .hint("add `stickiness: {type: lb_cookie, durationSeconds: 28800}`"),
        );
    }
    if http.port == Workbench::LAUNCHER_PORT {
        out.push(
            Problem::new(
                child(&parent(path, "http"), "port"),
                format!(
                    "port {} is Workbench's job launcher",
                    Workbench::LAUNCHER_PORT
                ),
            )
            .hint("serve Workbench on its own port, 8787"),
        );
    }
    if group.nginx.is_some() {
        out.push(
            Problem::new(
                parent(path, "nginx"),
                "Workbench serves the load balancer itself on `http.port`",
            )
            .hint("remove `nginx` from this group"),
        );
    }
}

/// `customBalancer` exactly with `balancer: custom`.
fn check_balancer(bp: &Blueprint, wb: &Workbench, path: &str, out: &mut Problems) {
    match (&wb.custom_balancer, wb.balancer) {
        (None, WorkbenchBalancer::Custom) => out.push(
            Problem::new(child(path, "customBalancer"), "`balancer: custom` needs the script that picks the server")
                .hint("add `customBalancer: bucket:NAME/KEY` (a script of `storage.buckets`), or pick `sessions`, `system-load` or `user-hash`"),
        ),
        (Some(_), balancer) if balancer != WorkbenchBalancer::Custom => out.push(
            Problem::new(child(path, "customBalancer"), format!("a balancing script with `balancer: {}`, which does not run one", balancer.as_str()))
                .hint("set `balancer: custom`, or remove `customBalancer`"),
        ),
        (Some(source), _) => {
            check_bucket_source(&bucket_names(bp), source, &child(path, "customBalancer"), out)
        }
        (None, _) => {}
    }
}

/// The cookie key and the licence: references only, and a licence an Auto Scaling group can use.
fn check_secrets(group: &ServerGroup, wb: &Workbench, path: &str, out: &mut Problems) {
    let key_path = child(path, "secureCookieKey");
    if wb.secure_cookie_key != "generated" {
        if wb.secure_cookie_key.starts_with("secretsmanager:")
            || wb.secure_cookie_key.starts_with("ssm:")
        {
            check_secret_ref(out, &key_path, &wb.secure_cookie_key);
        } else {
            // Never echo it: it may be the real key.
            out.push(
                Problem::new(&key_path, "a literal cookie key is a leaked secret: anyone who reads the blueprint can sign in as any user")
                    .hint("write `secureCookieKey: generated` (shinyctl keeps a generated key in Secrets Manager), or `secretsmanager:NAME`; and replace the key you wrote here"),
            );
        }
    }
    let licences = [
        wb.license_file_ref.is_some(),
        wb.license_key_ref.is_some(),
        wb.license_server.is_some(),
    ];
    if licences.iter().filter(|given| **given).count() != 1 {
        out.push(
            Problem::new(path, "give exactly one licence: `licenseFileRef`, `licenseKeyRef` or `licenseServer`")
                .hint("`licenseFileRef: secretsmanager:rsw/license-file` keeps the licence file's text in Secrets Manager"),
        );
    }
    if let Some(reference) = &wb.license_file_ref {
        check_secret_ref(out, &child(path, "licenseFileRef"), reference);
    }
    if let Some(reference) = &wb.license_key_ref {
        check_secret_ref(out, &child(path, "licenseKeyRef"), reference);
        if group.count.is_some() {
            out.push(
                Problem::new(child(path, "licenseKeyRef"), "a licence key is activated on one machine, and an Auto Scaling group replaces its machines")
                    .hint("use a licence file (`licenseFileRef`) or a licence server (`licenseServer`) with `count`"),
            );
        }
    }
    if let Some(server) = &wb.license_server {
        let plain = !server.is_empty()
            && server.len() <= 253
            && server
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
        if !plain {
            out.push(
                Problem::new(
                    child(path, "licenseServer"),
                    format!("`{server}` is not a host name"),
                )
                .hint(
                    "write the licence server's host (and port), e.g. `license.example.com:8989`",
                ),
            );
        }
    }
}

/// A sibling of `workbench` in its server group: `servers[0].workbench` → `servers[0].<key>`.
fn parent(path: &str, key: &str) -> String {
    let group = path.strip_suffix(".workbench").unwrap_or(path);
    child(group, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::validate::validate;

    /// Seed 002's shape, as `blueprints/rstudio-lb.yaml`.
    const WORKBENCH: &str = r#"{
      "apiVersion": "shinyctl.dev/v1alpha1", "kind": "Blueprint",
      "metadata": {"name": "rstudio", "region": "us-east-1"},
      "network": {"cidr": "10.30.0.0/16", "availabilityZones": 2, "natGateway": "perAz"},
      "storage": {"efs": {}, "buckets": [{"name": "scripts"}]},
      "database": {"engine": "postgres", "version": "16.4", "instanceClass": "db.t4g.medium", "databaseName": "rstudio"},
      "ingress": {"type": "alb", "listeners": [{"port": 80, "protocol": "HTTP"}]},
      "servers": [{
        "name": "rsw", "count": {"min": 2, "desired": 3, "max": 6},
        "instanceType": "m6i.2xlarge", "ami": {"family": "ubuntu-22.04"},
        "mounts": [{"efsPath": "/home", "path": "/home"}], "connect": ["database"],
        "http": {"port": 8787, "healthCheck": {"path": "/health-check"},
                 "stickiness": {"type": "lb_cookie", "durationSeconds": 28800}},
        "drain": {"timeoutSeconds": 900},
        "workbench": {"version": "2024.12.1+563.pro5", "licenseFileRef": "secretsmanager:rsw/license-file"}
      }]
    }"#;

    fn problems(change: impl FnOnce(&mut Blueprint)) -> Vec<(String, String)> {
        let mut bp: Blueprint = serde_json::from_str(WORKBENCH).expect("the fixture parses");
        change(&mut bp);
        validate(&bp)
            .into_iter()
            .filter(|p| p.is_error())
            .map(|p| (p.path, p.message))
            .collect()
    }

    fn workbench(bp: &mut Blueprint) -> &mut Workbench {
        bp.servers[0].workbench.as_mut().unwrap()
    }

    fn paths(found: &[(String, String)]) -> Vec<&str> {
        found.iter().map(|(p, _)| p.as_str()).collect()
    }

    #[test]
    fn seed_002_is_valid() {
        assert_eq!(problems(|_| {}), Vec::<(String, String)>::new());
    }

    #[test]
    fn the_balancer_needs_postgresql_with_a_database_of_its_own() {
        let found = problems(|bp| {
            let db = bp.database.as_mut().unwrap();
            db.engine = DatabaseEngine::Mysql;
            db.version = "8.4".into();
            db.database_name = None;
            bp.servers[0].connect.clear();
        });
        assert_eq!(
            paths(&found),
            ["database.engine", "database", "servers[0].connect"],
            "{found:?}"
        );
        let found = problems(|bp| bp.database = None);
        assert!(
            found
                .iter()
                .any(|(p, m)| p == "servers[0].workbench" && m.contains("PostgreSQL")),
            "{found:?}"
        );
    }

    #[test]
    fn homes_and_shared_storage_must_be_on_efs() {
        let found = problems(|bp| {
            bp.servers[0].mounts[0].path = "/share".into();
            bp.servers[0].mounts[0].efs_path = "/".into();
        });
        assert_eq!(
            paths(&found),
            [
                "servers[0].mounts",
                "servers[0].workbench.sharedStoragePath"
            ],
            "{found:?}"
        );
    }

    #[test]
    fn sticky_sessions_are_required() {
        let found = problems(|bp| bp.servers[0].http.as_mut().unwrap().stickiness = None);
        assert_eq!(paths(&found), ["servers[0].http.stickiness"], "{found:?}");
    }

    #[test]
    fn a_custom_balancer_comes_exactly_with_balancer_custom() {
        let found = problems(|bp| workbench(bp).balancer = WorkbenchBalancer::Custom);
        assert_eq!(
            paths(&found),
            ["servers[0].workbench.customBalancer"],
            "{found:?}"
        );
        let found = problems(|bp| {
            workbench(bp).custom_balancer = Some("bucket:scripts/pick.sh".into());
        });
        assert!(found[0].1.contains("`balancer: sessions`"), "{found:?}");
        assert_eq!(
            problems(|bp| {
                let wb = workbench(bp);
                wb.balancer = WorkbenchBalancer::Custom;
                wb.custom_balancer = Some("bucket:scripts/pick.sh".into());
            }),
            Vec::<(String, String)>::new()
        );
        let found = problems(|bp| {
            let wb = workbench(bp);
            wb.balancer = WorkbenchBalancer::Custom;
            wb.custom_balancer = Some("bucket:nope/pick.sh".into());
        });
        assert!(found[0].1.contains("no bucket `nope`"), "{found:?}");
    }

    #[test]
    fn a_literal_cookie_key_is_refused_without_being_echoed() {
        let key = "a55e5dc0-d6ae-11e3-9334-000c29635f71";
        let found = problems(|bp| workbench(bp).secure_cookie_key = key.into());
        assert_eq!(paths(&found), ["servers[0].workbench.secureCookieKey"]);
        assert!(found[0].1.contains("leaked secret") && !found[0].1.contains(key));
        assert_eq!(
            problems(|bp| workbench(bp).secure_cookie_key = "secretsmanager:rsw/cookie".into()),
            Vec::<(String, String)>::new()
        );
    }

    #[test]
    fn a_machine_tied_licence_key_is_refused_on_an_auto_scaling_group() {
        let found = problems(|bp| {
            let wb = workbench(bp);
            wb.license_file_ref = None;
            wb.license_key_ref = Some("secretsmanager:rsw/license-key".into());
        });
        assert_eq!(
            paths(&found),
            ["servers[0].workbench.licenseKeyRef"],
            "{found:?}"
        );
        let found = problems(|bp| workbench(bp).license_server = Some("lic.example.com".into()));
        assert!(found[0].1.contains("exactly one licence"), "{found:?}");
    }

    #[test]
    fn releases_before_self_registration_are_refused() {
        let found = problems(|bp| workbench(bp).version = "2021.08.2+382.pro2".into());
        assert!(
            found[0].1.contains("predates nodes registering themselves"),
            "{found:?}"
        );
        let found = problems(|bp| workbench(bp).version = "1.4.1717-3".into());
        assert!(
            found[0].1.contains("not a Posit Workbench release"),
            "{found:?}"
        );
    }

    #[test]
    fn the_platform_is_ubuntu_on_x86() {
        let found = problems(|bp| {
            bp.servers[0].instance_type = "m7g.2xlarge".into();
            bp.servers[0].ami.family = Some(AmiFamily::AmazonLinux2023);
        });
        assert_eq!(
            paths(&found),
            ["servers[0].ami", "servers[0].instanceType"],
            "{found:?}"
        );
    }

    #[test]
    fn the_drain_fits_both_aws_limits() {
        let found = problems(|bp| {
            bp.servers[0].drain = Some(Drain {
                timeout_seconds: 7200,
            })
        });
        assert_eq!(
            paths(&found),
            ["servers[0].drain.timeoutSeconds"],
            "{found:?}"
        );
    }

    #[test]
    fn releases_parse_and_old_ones_are_told_apart() {
        assert_eq!(parse_version("2024.12.1+563.pro5"), Some((2024, 12)));
        assert_eq!(parse_version("2021.09.0+351.pro6"), Some((2021, 9)));
        assert_eq!(parse_version("2023.03.2+454"), Some((2023, 3)));
        assert!(parse_version("2021.09.0+351.pro6").unwrap() >= SELF_REGISTRATION);
        assert!(parse_version("2021.08.2+382.pro2").unwrap() < SELF_REGISTRATION);
        for bad in [
            "1.4.1717-3",
            "2024.12.1",
            "2024.13.1+1",
            "2024.12+1",
            "2024.12.1+",
            "latest",
            "2024.12.1+563.pro5; rm -rf /",
        ] {
            assert_eq!(parse_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn graviton_families_are_arm64() {
        let group = |t: &str| -> ServerGroup {
            serde_json::from_value(serde_json::json!({
                "name": "g", "count": {"min": 1, "desired": 1, "max": 1},
                "instanceType": t, "ami": {"family": "ubuntu-22.04"}
            }))
            .unwrap()
        };
        for arm in [
            "t4g.medium",
            "m7g.large",
            "c6gn.xlarge",
            "r8gd.2xlarge",
            "a1.large",
        ] {
            assert!(group(arm).arm64(), "{arm}");
        }
        for x86 in [
            "t3.medium",
            "m6i.large",
            "g5.xlarge",
            "c5n.large",
            "m7a.large",
        ] {
            assert!(!group(x86).arm64(), "{x86}");
        }
    }
}

//! Platform facts: what the workload needs to know about the AWS side that only AWS can tell
//! (endpoints, ids, ARNs). Apply fills them from the live resources; offline rendering uses
//! [`PlatformFacts::placeholders`], values derived from the blueprint's names that are clearly
//! not real (account `000000000000`, hosts under the reserved `.invalid` domain, ids with
//! `offline`), so a rendered file can never be mistaken for one bound to a live platform.

use std::collections::BTreeMap;

use crate::blueprint::Blueprint;
use crate::plan::catalog::{Names, partition};

/// The account placeholders use: AWS never issues it.
pub(crate) const OFFLINE_ACCOUNT: &str = "000000000000";
/// What a live plan shows for a value AWS assigns when the resource is made (an endpoint, an
/// id, an ARN), as Terraform does; apply renders again from what AWS answered.
pub(crate) const KNOWN_AFTER_APPLY: &str = "(known after apply)";

#[derive(Debug, Clone, PartialEq)]
pub struct PlatformFacts {
    /// `<account>.dkr.ecr.<region>.amazonaws.com(.cn)`: the registry host of `registry:` images.
    pub(crate) registry_host: String,
    pub(crate) redis: Option<RedisFacts>,
    pub(crate) database: Option<DatabaseFacts>,
    pub(crate) efs: Option<EfsFacts>,
    /// The target group the catalog made for ShinyProxy (`ingress`).
    pub target_group_arn: Option<String>,
    /// The AWS Load Balancer Controller's IAM role (IRSA), when the platform has one: its
    /// ServiceAccount is rendered with it. (The EFS CSI driver's role is given to its EKS add-on.)
    pub load_balancer_controller_role_arn: Option<String>,
    /// The blueprint's VPC: the load balancer controller is told it (on Fargate it has no
    /// instance metadata to ask).
    pub(crate) vpc_id: String,
    /// True for placeholders: rendered output says so.
    pub(crate) offline: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RedisFacts {
    /// The primary endpoint (ShinyProxy's cache is never in cluster mode: see validation).
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DatabaseFacts {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) name: String,
    /// The Secrets Manager secret RDS keeps the master credentials in (JSON with `username`
    /// and `password`); its ARN is known only once the database exists.
    pub(crate) credentials_secret: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EfsFacts {
    pub(crate) file_system_id: String,
    /// Access point id by the blueprint's access point name.
    pub(crate) access_points: BTreeMap<String, String>,
}

impl PlatformFacts {
    /// Stand-ins derived from names, for rendering without AWS (see the module comment).
    pub fn placeholders(bp: &Blueprint) -> PlatformFacts {
        let region = bp.metadata.region.as_str();
        let partition = partition(region);
        let names = Names::new(&bp.metadata.name);
        let arn = |service: &str, region: &str, rest: &str| {
            format!(
                "{}:{service}:{region}:{OFFLINE_ACCOUNT}:{rest}",
                partition.arn_prefix()
            )
        };
        let redis = bp.cache.as_ref().map(|cache| RedisFacts {
            host: format!("{}.offline.invalid", names.cache()),
            port: 6379,
            tls: cache.transit_encryption,
        });
        let database = bp.database.as_ref().map(|db| DatabaseFacts {
            host: format!("{}.offline.invalid", names.database()),
            port: db.engine.port(),
            name: database_name(db),
            credentials_secret: arn(
                "secretsmanager",
                region,
                &format!("secret:rds!{}-offline", names.database()),
            ),
        });
        let efs = bp
            .storage
            .as_ref()
            .and_then(|s| s.efs.as_ref())
            .map(|efs| EfsFacts {
                file_system_id: format!("fs-offline-{}", names.file_system()),
                access_points: efs
                    .access_points
                    .iter()
                    .map(|ap| {
                        (
                            ap.name.clone(),
                            format!("fsap-offline-{}", names.access_point(&ap.name)),
                        )
                    })
                    .collect(),
            });
        let target_group_arn = bp.ingress.as_ref().map(|_| {
            arn(
                "elasticloadbalancing",
                region,
                &format!("targetgroup/{}/offline", names.target_group()),
            )
        });
        let role = |what: &str| arn("iam", "", &format!("role/{}", names.label(what)));
        let has_cluster = bp.cluster.is_some();
        PlatformFacts {
            registry_host: format!(
                "{OFFLINE_ACCOUNT}.dkr.ecr.{region}.{}",
                partition.dns_suffix()
            ),
            redis,
            database,
            efs,
            target_group_arn,
            load_balancer_controller_role_arn: (has_cluster && bp.ingress.is_some())
                .then(|| role("aws-load-balancer-controller")),
            vpc_id: format!("vpc-offline-{}", names.vpc()),
            offline: true,
        }
    }
}

impl PlatformFacts {
    /// For a live plan before AWS has made the resources: every value AWS assigns is
    /// [`KNOWN_AFTER_APPLY`] instead of an offline placeholder (the caller fills in what exists).
    pub(crate) fn known_after_apply(bp: &Blueprint) -> PlatformFacts {
        let unknown = || KNOWN_AFTER_APPLY.to_string();
        let mut facts = PlatformFacts::placeholders(bp);
        facts.registry_host = unknown();
        if let Some(redis) = facts.redis.as_mut() {
            redis.host = unknown();
        }
        if let Some(db) = facts.database.as_mut() {
            db.host = unknown();
            db.credentials_secret = unknown();
        }
        if let Some(efs) = facts.efs.as_mut() {
            efs.file_system_id = unknown();
            efs.access_points
                .values_mut()
                .for_each(|id| *id = unknown());
        }
        if facts.target_group_arn.is_some() {
            facts.target_group_arn = Some(unknown());
        }
        if facts.load_balancer_controller_role_arn.is_some() {
            facts.load_balancer_controller_role_arn = Some(unknown());
        }
        facts.vpc_id = unknown();
        facts.offline = false;
        facts
    }
}

/// The database ShinyProxy writes usage statistics to: the blueprint's initial database, or the
/// engine's default one.
pub(crate) fn database_name(db: &crate::blueprint::model::Database) -> String {
    use crate::blueprint::model::DatabaseEngine as E;
    match (&db.database_name, db.engine) {
        (Some(name), _) => name.clone(),
        (None, E::Postgres | E::AuroraPostgresql) => "postgres".into(),
        (None, E::Mysql | E::AuroraMysql) => "mysql".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_marked_and_follow_the_partition() {
        let bp = crate::load::shipped("shinyproxy-eks.yaml").blueprint;
        let facts = PlatformFacts::placeholders(&bp);
        assert!(facts.offline);
        assert_eq!(
            facts.registry_host,
            "000000000000.dkr.ecr.cn-northwest-1.amazonaws.com.cn"
        );
        let redis = facts.redis.unwrap();
        assert!(redis.host.ends_with(".invalid") && redis.tls);
        assert!(
            facts
                .target_group_arn
                .unwrap()
                .starts_with("arn:aws-cn:elasticloadbalancing:cn-northwest-1:000000000000:")
        );
        assert_eq!(
            facts.efs.unwrap().access_points["shared-data"],
            "fsap-offline-analytics-shared-data"
        );
    }
}

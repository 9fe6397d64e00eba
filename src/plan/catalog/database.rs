//! `database`: security group, DB subnet group (data subnets), parameter group, and either one
//! DB instance (MySQL, PostgreSQL) or an Aurora cluster with its instances. The master password
//! is always generated and kept by AWS (`manageMasterUserPassword`), never in the plan.

use serde_json::json;

use super::security::{allow_clients, group};
use super::{Catalog, addresses as a};
use crate::blueprint::model::{Database, DatabaseEngine};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "database";
/// Used when the blueprint names no class (validation asks for one); smallest Graviton class.
const FALLBACK_CLASS: &str = "db.t4g.medium";

pub(crate) fn build(catalog: &mut Catalog) {
    let Some(db) = catalog.bp.database.clone() else {
        return;
    };
    let sg = group(catalog, a::DB_SG, "database", "database", ORIGIN);
    catalog.push(sg);
    allow_clients(
        catalog,
        ORIGIN,
        a::DB_SG,
        db.engine.port(),
        "database",
        ORIGIN,
    );

    catalog.push(
        Resource::new(
            a::DB_SUBNET_GROUP,
            K::DbSubnetGroup,
            catalog.names.database(),
            ORIGIN,
        )
        .with("name", catalog.names.database())
        .with("description", "shinyctl: database subnets")
        .with("subnets", catalog.subnets("data")),
    );
    let aurora = db.engine.is_aurora();
    let (pg_address, pg_kind) = if aurora {
        (a::DB_CLUSTER_PARAMETER_GROUP, K::DbClusterParameterGroup)
    } else {
        (a::DB_PARAMETER_GROUP, K::DbParameterGroup)
    };
    catalog.push(
        Resource::new(
            pg_address,
            pg_kind,
            catalog.names.database_parameters(),
            "database.parameters",
        )
        .with("name", catalog.names.database_parameters())
        .with("family", parameter_family(db.engine, &db.version))
        .with("description", "shinyctl: database parameters")
        .with("parameters", json!(db.parameters)),
    );
    if aurora {
        aurora_cluster(catalog, &db);
    } else {
        instance(catalog, &db);
    }
}

/// The parameter-group family AWS expects for an engine version: `mysql8.0`, `postgres16`,
/// `aurora-mysql8.0`, `aurora-postgresql16` (PostgreSQL before 10 used `major.minor`).
pub(crate) fn parameter_family(engine: DatabaseEngine, version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("");
    let minor = parts.next().unwrap_or("0");
    let major_number: u32 = major.parse().unwrap_or(0);
    match engine {
        DatabaseEngine::Mysql => format!("mysql{major}.{minor}"),
        DatabaseEngine::Postgres if major_number < 10 => format!("postgres{major}.{minor}"),
        DatabaseEngine::Postgres => format!("postgres{major}"),
        // Aurora MySQL versions read `8.0.mysql_aurora.3.05.2`, or `3.05.2` for short (3 is 8.0).
        DatabaseEngine::AuroraMysql => match major {
            "8" | "3" => "aurora-mysql8.0".into(),
            "5" | "2" => "aurora-mysql5.7".into(),
            _ => format!("aurora-mysql{major}.{minor}"),
        },
        DatabaseEngine::AuroraPostgresql if major_number < 10 => {
            format!("aurora-postgresql{major}.{minor}")
        }
        DatabaseEngine::AuroraPostgresql => format!("aurora-postgresql{major}"),
    }
}

fn common(resource: Resource, db: &Database) -> Resource {
    resource
        .with("engine", db.engine.aws_name())
        .with("engineVersion", db.version.clone())
        .with("dbName", db.database_name.clone())
        .with("masterUsername", db.master_username.clone())
        .with("manageMasterUserPassword", true)
        .with("storageEncrypted", true)
        .with("port", db.engine.port())
        .with("dbSubnetGroup", a::DB_SUBNET_GROUP)
        .with("vpcSecurityGroups", json!([a::DB_SG]))
        .with("backupRetentionPeriod", db.backup_retention_days)
        .with("deletionProtection", db.deletion_protection)
}

fn instance(catalog: &mut Catalog, db: &Database) {
    let name = catalog.names.database();
    let resource = Resource::new(a::DB_INSTANCE, K::DbInstance, name.clone(), ORIGIN)
        .with("identifier", name)
        .with(
            "instanceClass",
            db.instance_class.clone().unwrap_or(FALLBACK_CLASS.into()),
        )
        .with("allocatedStorage", db.storage_gib.unwrap_or(20))
        .with("multiAz", db.multi_az)
        .with("publiclyAccessible", false)
        .with("dbParameterGroup", a::DB_PARAMETER_GROUP);
    catalog.push(common(resource, db));
}

fn aurora_cluster(catalog: &mut Catalog, db: &Database) {
    let name = catalog.names.database();
    let mut cluster =
        Resource::new(a::DB_CLUSTER, K::DbCluster, name.clone(), ORIGIN).with("identifier", name);
    cluster = common(cluster, db).with("dbClusterParameterGroup", a::DB_CLUSTER_PARAMETER_GROUP);
    if let Some(capacity) = db.serverless {
        cluster = cluster.with(
            "serverlessV2Scaling",
            json!({"minCapacity": capacity.min_capacity, "maxCapacity": capacity.max_capacity}),
        );
    }
    catalog.push(cluster);
    // Serverless v2 runs on `db.serverless` instances; multi-AZ adds a reader in another zone.
    let class = match (db.serverless, &db.instance_class) {
        (Some(_), _) => "db.serverless".to_string(),
        (None, Some(class)) => class.clone(),
        (None, None) => FALLBACK_CLASS.to_string(),
    };
    let count = if db.multi_az { 2 } else { 1 };
    for number in 1..=count {
        let name = catalog.names.database_instance(number);
        let mut instance = Resource::new(
            a::db_cluster_instance(number),
            K::DbClusterInstance,
            name.clone(),
            ORIGIN,
        )
        .with("identifier", name)
        .with("cluster", a::DB_CLUSTER)
        .with("engine", db.engine.aws_name())
        .with("instanceClass", class.clone())
        .with("publiclyAccessible", false);
        // RDS may put both instances in one zone unless told: multi-AZ means one per zone.
        if db.multi_az && !catalog.zones.is_empty() {
            let zone = &catalog.zones[(number - 1) % catalog.zones.len()];
            instance = instance.with("availabilityZone", zone.name.clone());
        }
        catalog.push(instance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_follow_aws() {
        use DatabaseEngine::*;
        assert_eq!(parameter_family(Mysql, "8.0.35"), "mysql8.0");
        assert_eq!(parameter_family(Mysql, "5.7.44"), "mysql5.7");
        assert_eq!(parameter_family(Postgres, "16.4"), "postgres16");
        assert_eq!(parameter_family(Postgres, "9.6.24"), "postgres9.6");
        assert_eq!(
            parameter_family(AuroraPostgresql, "16.4"),
            "aurora-postgresql16"
        );
        assert_eq!(
            parameter_family(AuroraMysql, "8.0.mysql_aurora.3.05.2"),
            "aurora-mysql8.0"
        );
        assert_eq!(parameter_family(AuroraMysql, "3.05.2"), "aurora-mysql8.0");
        assert_eq!(
            parameter_family(AuroraMysql, "5.7.mysql_aurora.2.11.2"),
            "aurora-mysql5.7"
        );
        assert_eq!(parameter_family(Mysql, ""), "mysql.0");
    }
}

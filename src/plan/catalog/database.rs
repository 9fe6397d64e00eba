//! `database`: security group, DB subnet group (data subnets), parameter group, and either one
//! DB instance (MySQL, PostgreSQL) or an Aurora cluster with its instances. The master password
//! is always generated and kept by AWS (`manageMasterUserPassword`), never in the plan.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::security::{allow_clients, group};
use super::{Catalog, addresses as a};
use crate::blueprint::model::{Database, DatabaseEngine, ServerlessCapacity};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "database";
/// Used when the blueprint names no class (validation asks for one); smallest Graviton class.
const FALLBACK_CLASS: &str = "db.t4g.medium";

/// A DB subnet group's properties: the data tier's subnets, one per zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DbSubnetGroupProps {
    pub(crate) name: String,
    pub(crate) description: String,
    /// The subnets' addresses, by zone.
    pub(crate) subnets: Vec<String>,
}

/// A parameter group's properties, for both kinds: a DB instance's (`db_parameter_group`) and
/// an Aurora cluster's (`db_cluster_parameter_group`) differ only in their API's names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DbParameterGroupProps {
    pub(crate) name: String,
    /// `mysql8.0`, `aurora-postgresql16`, ... ([`parameter_family`]).
    pub(crate) family: String,
    pub(crate) description: String,
    /// The values the blueprint sets; the others keep the family's defaults.
    pub(crate) parameters: BTreeMap<String, String>,
}

/// A DB instance's properties (MySQL, PostgreSQL). References are addresses. Integers keep the
/// blueprint's types; the adapter sends those that fit RDS's 32-bit integers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DbInstanceProps {
    pub(crate) identifier: String,
    pub(crate) instance_class: String,
    pub(crate) allocated_storage: u32,
    pub(crate) multi_az: bool,
    pub(crate) publicly_accessible: bool,
    pub(crate) db_parameter_group: String,
    pub(crate) engine: String,
    pub(crate) engine_version: String,
    /// `null` in the plan when the blueprint names no database.
    pub(crate) db_name: Option<String>,
    pub(crate) master_username: String,
    pub(crate) manage_master_user_password: bool,
    pub(crate) storage_encrypted: bool,
    pub(crate) port: u16,
    pub(crate) db_subnet_group: String,
    pub(crate) vpc_security_groups: Vec<String>,
    pub(crate) backup_retention_period: u32,
    pub(crate) deletion_protection: bool,
}

/// An Aurora cluster's properties: a DB instance's storage-side ones, its cluster parameter
/// group and its serverless v2 capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DbClusterProps {
    pub(crate) identifier: String,
    pub(crate) engine: String,
    pub(crate) engine_version: String,
    /// `null` in the plan when the blueprint names no database.
    pub(crate) db_name: Option<String>,
    pub(crate) master_username: String,
    pub(crate) manage_master_user_password: bool,
    pub(crate) storage_encrypted: bool,
    pub(crate) port: u16,
    pub(crate) db_subnet_group: String,
    pub(crate) vpc_security_groups: Vec<String>,
    pub(crate) backup_retention_period: u32,
    pub(crate) deletion_protection: bool,
    pub(crate) db_cluster_parameter_group: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) serverless_v2_scaling: Option<ServerlessV2Scaling>,
}

/// Aurora serverless v2 capacity, in ACUs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerlessV2Scaling {
    pub(crate) min_capacity: f64,
    pub(crate) max_capacity: f64,
}

impl From<ServerlessCapacity> for ServerlessV2Scaling {
    fn from(capacity: ServerlessCapacity) -> Self {
        ServerlessV2Scaling {
            min_capacity: capacity.min_capacity,
            max_capacity: capacity.max_capacity,
        }
    }
}

/// An Aurora cluster's instance: the cluster holds the data and most settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DbClusterInstanceProps {
    pub(crate) identifier: String,
    /// The cluster's address.
    pub(crate) cluster: String,
    pub(crate) engine: String,
    pub(crate) instance_class: String,
    pub(crate) publicly_accessible: bool,
    /// Set for multi-AZ only: one instance per zone.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) availability_zone: Option<String>,
}

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
        .props(&DbSubnetGroupProps {
            name: catalog.names.database(),
            description: "shinyctl: database subnets".into(),
            subnets: catalog.subnets("data"),
        }),
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
        .props(&DbParameterGroupProps {
            name: catalog.names.database_parameters(),
            family: parameter_family(db.engine, &db.version),
            description: "shinyctl: database parameters".into(),
            parameters: db.parameters.clone(),
        }),
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

fn instance(catalog: &mut Catalog, db: &Database) {
    let name = catalog.names.database();
    let resource = Resource::new(a::DB_INSTANCE, K::DbInstance, name.clone(), ORIGIN).props(
        &DbInstanceProps {
            identifier: name,
            instance_class: db.instance_class.clone().unwrap_or(FALLBACK_CLASS.into()),
            allocated_storage: db.storage_gib.unwrap_or(20),
            multi_az: db.multi_az,
            publicly_accessible: false,
            db_parameter_group: a::DB_PARAMETER_GROUP.into(),
            engine: db.engine.aws_name().into(),
            engine_version: db.version.clone(),
            db_name: db.database_name.clone(),
            master_username: db.master_username.clone(),
            manage_master_user_password: true,
            storage_encrypted: true,
            port: db.engine.port(),
            db_subnet_group: a::DB_SUBNET_GROUP.into(),
            vpc_security_groups: vec![a::DB_SG.into()],
            backup_retention_period: db.backup_retention_days,
            deletion_protection: db.deletion_protection,
        },
    );
    catalog.push(resource);
}

fn aurora_cluster(catalog: &mut Catalog, db: &Database) {
    let name = catalog.names.database();
    let cluster =
        Resource::new(a::DB_CLUSTER, K::DbCluster, name.clone(), ORIGIN).props(&DbClusterProps {
            identifier: name,
            engine: db.engine.aws_name().into(),
            engine_version: db.version.clone(),
            db_name: db.database_name.clone(),
            master_username: db.master_username.clone(),
            manage_master_user_password: true,
            storage_encrypted: true,
            port: db.engine.port(),
            db_subnet_group: a::DB_SUBNET_GROUP.into(),
            vpc_security_groups: vec![a::DB_SG.into()],
            backup_retention_period: db.backup_retention_days,
            deletion_protection: db.deletion_protection,
            db_cluster_parameter_group: a::DB_CLUSTER_PARAMETER_GROUP.into(),
            serverless_v2_scaling: db.serverless.map(ServerlessV2Scaling::from),
        });
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
        // RDS may put both instances in one zone unless told: multi-AZ means one per zone.
        let availability_zone = (db.multi_az && !catalog.zones.is_empty()).then(|| {
            catalog.zones[(number - 1) % catalog.zones.len()]
                .name
                .clone()
        });
        let instance = Resource::new(
            a::db_cluster_instance(number),
            K::DbClusterInstance,
            name.clone(),
            ORIGIN,
        )
        .props(&DbClusterInstanceProps {
            identifier: name,
            cluster: a::DB_CLUSTER.into(),
            engine: db.engine.aws_name().into(),
            instance_class: class.clone(),
            publicly_accessible: false,
            availability_zone,
        });
        catalog.push(instance);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<DbSubnetGroupProps>(K::DbSubnetGroup);
        check_spec_fields::<DbParameterGroupProps>(K::DbParameterGroup);
        check_spec_fields::<DbParameterGroupProps>(K::DbClusterParameterGroup);
        check_spec_fields::<DbInstanceProps>(K::DbInstance);
        check_spec_fields::<DbClusterProps>(K::DbCluster);
        check_spec_fields::<DbClusterInstanceProps>(K::DbClusterInstance);
    }

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

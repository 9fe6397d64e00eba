//! Every AWS name shinyctl derives from a blueprint, in one place. All start with `metadata.name`
//! so that two blueprints in one account never collide and a name tells whose resource it is.
//! Whether a name fits AWS's limits is checked by `name_check`, not here.

/// Stands for the AWS account in names a plan made without AWS shows (`plan --offline`): bucket
/// names are global, so they hold the account, which only the live connection knows. Names are
/// checked with a 12-digit account in its place (`name_check`).
pub(crate) const ACCOUNT_PLACEHOLDER: &str = "<account>";

/// Names derived from one blueprint's `metadata.name`.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    prefix: String,
    /// The AWS account id, or [`ACCOUNT_PLACEHOLDER`].
    account: String,
}

impl Names {
    /// Names for an unknown account (bucket names hold [`ACCOUNT_PLACEHOLDER`]).
    pub(crate) fn new(blueprint_name: &str) -> Self {
        Names::in_account(blueprint_name, None)
    }

    /// Names in `account` (`None`: not known, as offline).
    pub(crate) fn in_account(blueprint_name: &str, account: Option<&str>) -> Self {
        Names {
            prefix: blueprint_name.to_string(),
            account: account.unwrap_or(ACCOUNT_PLACEHOLDER).to_string(),
        }
    }

    /// S3 bucket names are global across all accounts and regions (S3 naming rules): a bucket's
    /// name ends with the account and region, so the same blueprint in a second account or
    /// region does not collide. 3 to 63 characters: `name_check` holds them to it.
    fn global(&self, suffix: &str, region: &str) -> String {
        self.of(&format!("{suffix}-{}-{region}", self.account))
    }

    /// The AWS account id, or [`ACCOUNT_PLACEHOLDER`] offline (in ARNs a plan shows).
    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    fn of(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    pub(crate) fn vpc(&self) -> String {
        self.of("vpc")
    }
    /// `tier` is public, private or data; `zone` the zone key (`a`).
    pub(crate) fn subnet(&self, tier: &str, zone: &str) -> String {
        self.of(&format!("{tier}-{zone}"))
    }
    pub(crate) fn internet_gateway(&self) -> String {
        self.of("igw")
    }
    pub(crate) fn nat(&self, zone: &str) -> String {
        self.of(&format!("nat-{zone}"))
    }
    pub(crate) fn route_table(&self, tier: &str, zone: Option<&str>) -> String {
        match zone {
            Some(zone) => self.of(&format!("{tier}-{zone}")),
            None => self.of(tier),
        }
    }
    /// Security groups: `cluster`, `nodes`, `efs`, `database`, `cache`, `lb`.
    pub(crate) fn security_group(&self, role: &str) -> String {
        self.of(role)
    }

    /// The EKS cluster is named after the blueprint itself.
    pub(crate) fn cluster(&self) -> String {
        self.prefix.clone()
    }
    pub(crate) fn cluster_role(&self) -> String {
        self.of("eks-cluster")
    }
    pub(crate) fn node_role(&self) -> String {
        self.of("eks-node")
    }
    pub(crate) fn fargate_role(&self) -> String {
        self.of("eks-fargate-pod")
    }
    /// IRSA role of the AWS Load Balancer Controller (`kube-system/aws-load-balancer-controller`).
    pub(crate) fn load_balancer_controller_role(&self) -> String {
        self.of("aws-load-balancer-controller")
    }
    /// IRSA role of the EFS CSI driver's controller (`kube-system/efs-csi-controller-sa`).
    pub(crate) fn efs_csi_driver_role(&self) -> String {
        self.of("efs-csi-driver")
    }
    pub(crate) fn canary_role(&self) -> String {
        self.of("canary")
    }
    pub(crate) fn node_group(&self, name: &str) -> String {
        self.of(name)
    }
    pub(crate) fn fargate_profile(&self, name: &str) -> String {
        self.of(name)
    }

    /// A platform bucket: `analytics-resources-123456789012-eu-west-1`.
    pub(crate) fn bucket(&self, name: &str, region: &str) -> String {
        self.global(name, region)
    }
    pub(crate) fn file_system(&self) -> String {
        self.of("efs")
    }
    pub(crate) fn access_point(&self, name: &str) -> String {
        self.of(name)
    }

    /// DB subnet group, cluster or instance identifier.
    pub(crate) fn database(&self) -> String {
        self.of("db")
    }
    /// Aurora instances are numbered from 1.
    pub(crate) fn database_instance(&self, number: usize) -> String {
        self.of(&format!("db-{number}"))
    }
    pub(crate) fn database_parameters(&self) -> String {
        self.of("db-params")
    }

    /// Cache subnet group and replication group id.
    pub(crate) fn cache(&self) -> String {
        self.of("cache")
    }
    pub(crate) fn cache_parameters(&self) -> String {
        self.of("cache-params")
    }

    /// ECR repositories live under the blueprint's namespace: `analytics/shiny/app`.
    pub(crate) fn repository(&self, name: &str) -> String {
        format!("{}/{name}", self.prefix)
    }

    /// `alb` or `nlb`.
    pub(crate) fn load_balancer(&self, kind: &str) -> String {
        self.of(kind)
    }
    pub(crate) fn target_group(&self) -> String {
        self.of("proxy")
    }
    pub(crate) fn listener(&self, port: u16) -> String {
        self.of(&format!("listener-{port}"))
    }

    /// What a server group's resources are named (role, instance profile, security group,
    /// launch template, target group, SSM document): `lowcode-srv-app`.
    pub(crate) fn server_group(&self, group: &str) -> String {
        self.of(&format!("srv-{group}"))
    }
    /// One server: `lowcode-srv-app-a1`.
    pub(crate) fn server(&self, group: &str, server: &str) -> String {
        self.of(&format!("srv-{group}-{server}"))
    }

    pub(crate) fn alarm_topic(&self) -> String {
        self.of("alarms")
    }
    pub(crate) fn canary(&self, name: &str) -> String {
        self.of(name)
    }
    /// The canaries' artifact bucket: `analytics-canaries-123456789012-eu-west-1`.
    pub(crate) fn canary_bucket(&self, region: &str) -> String {
        self.global("canaries", region)
    }
    pub(crate) fn alarm(&self, what: &str) -> String {
        self.of(what)
    }

    /// Names of resources AWS gives no name of their own (rules, routes, attachments).
    pub(crate) fn label(&self, what: &str) -> String {
        self.of(what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_start_with_the_blueprint_name() {
        let n = Names::new("analytics");
        assert_eq!(n.vpc(), "analytics-vpc");
        assert_eq!(n.subnet("private", "a"), "analytics-private-a");
        assert_eq!(n.node_group("proxy"), "analytics-proxy");
        assert_eq!(n.cluster(), "analytics");
        assert_eq!(
            n.load_balancer_controller_role(),
            "analytics-aws-load-balancer-controller"
        );
        assert_eq!(n.efs_csi_driver_role(), "analytics-efs-csi-driver");
        assert_eq!(
            n.repository("shiny/covid19-tracker"),
            "analytics/shiny/covid19-tracker"
        );
        assert_eq!(
            n.canary_bucket("cn-northwest-1"),
            "analytics-canaries-<account>-cn-northwest-1"
        );
    }

    #[test]
    fn bucket_names_are_unique_per_account_and_region() {
        let one = Names::in_account("analytics", Some("111111111111"));
        let two = Names::in_account("analytics", Some("222222222222"));
        assert_eq!(
            one.bucket("resources", "eu-west-1"),
            "analytics-resources-111111111111-eu-west-1"
        );
        assert_ne!(
            one.bucket("resources", "eu-west-1"),
            two.bucket("resources", "eu-west-1")
        );
        assert_ne!(
            one.canary_bucket("eu-west-1"),
            one.canary_bucket("eu-central-1")
        );
        // The longest blueprint name (20) and region (14) leave a bucket name of 14 characters.
        let longest = Names::in_account(&"a".repeat(20), Some("111111111111"))
            .bucket(&"b".repeat(14), "ap-southeast-5");
        assert_eq!(longest.len(), 63, "{longest}");
    }
}

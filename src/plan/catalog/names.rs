//! Every AWS name shinyctl derives from a blueprint, in one place. All start with `metadata.name`
//! so that two blueprints in one account never collide and a name tells whose resource it is.
//! Whether a name fits AWS's limits is checked by `name_check`, not here.

/// Names derived from one blueprint's `metadata.name`.
#[derive(Debug, Clone)]
pub struct Names {
    prefix: String,
}

impl Names {
    pub fn new(blueprint_name: &str) -> Self {
        Names {
            prefix: blueprint_name.to_string(),
        }
    }

    fn of(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.prefix)
    }

    pub fn vpc(&self) -> String {
        self.of("vpc")
    }
    /// `tier` is public, private or data; `zone` the zone key (`a`).
    pub fn subnet(&self, tier: &str, zone: &str) -> String {
        self.of(&format!("{tier}-{zone}"))
    }
    pub fn internet_gateway(&self) -> String {
        self.of("igw")
    }
    pub fn nat(&self, zone: &str) -> String {
        self.of(&format!("nat-{zone}"))
    }
    pub fn route_table(&self, tier: &str, zone: Option<&str>) -> String {
        match zone {
            Some(zone) => self.of(&format!("{tier}-{zone}")),
            None => self.of(tier),
        }
    }
    /// Security groups: `cluster`, `nodes`, `efs`, `database`, `cache`, `lb`.
    pub fn security_group(&self, role: &str) -> String {
        self.of(role)
    }

    /// The EKS cluster is named after the blueprint itself.
    pub fn cluster(&self) -> String {
        self.prefix.clone()
    }
    pub fn cluster_role(&self) -> String {
        self.of("eks-cluster")
    }
    pub fn node_role(&self) -> String {
        self.of("eks-node")
    }
    pub fn fargate_role(&self) -> String {
        self.of("eks-fargate-pod")
    }
    /// IRSA role of the AWS Load Balancer Controller (`kube-system/aws-load-balancer-controller`).
    pub fn load_balancer_controller_role(&self) -> String {
        self.of("aws-load-balancer-controller")
    }
    /// IRSA role of the EFS CSI driver's controller (`kube-system/efs-csi-controller-sa`).
    pub fn efs_csi_driver_role(&self) -> String {
        self.of("efs-csi-driver")
    }
    pub fn canary_role(&self) -> String {
        self.of("canary")
    }
    pub fn node_group(&self, name: &str) -> String {
        self.of(name)
    }
    pub fn fargate_profile(&self, name: &str) -> String {
        self.of(name)
    }

    /// A platform bucket: `analytics-resources`.
    pub fn bucket(&self, name: &str) -> String {
        self.of(name)
    }
    pub fn file_system(&self) -> String {
        self.of("efs")
    }
    pub fn access_point(&self, name: &str) -> String {
        self.of(name)
    }

    /// DB subnet group, cluster or instance identifier.
    pub fn database(&self) -> String {
        self.of("db")
    }
    /// Aurora instances are numbered from 1.
    pub fn database_instance(&self, number: usize) -> String {
        self.of(&format!("db-{number}"))
    }
    pub fn database_parameters(&self) -> String {
        self.of("db-params")
    }

    /// Cache subnet group and replication group id.
    pub fn cache(&self) -> String {
        self.of("cache")
    }
    pub fn cache_parameters(&self) -> String {
        self.of("cache-params")
    }

    /// ECR repositories live under the blueprint's namespace: `analytics/shiny/app`.
    pub fn repository(&self, name: &str) -> String {
        format!("{}/{name}", self.prefix)
    }

    /// `alb` or `nlb`.
    pub fn load_balancer(&self, kind: &str) -> String {
        self.of(kind)
    }
    pub fn target_group(&self) -> String {
        self.of("proxy")
    }
    pub fn listener(&self, port: u16) -> String {
        self.of(&format!("listener-{port}"))
    }

    pub fn alarm_topic(&self) -> String {
        self.of("alarms")
    }
    pub fn canary(&self, name: &str) -> String {
        self.of(name)
    }
    /// Bucket names are global, so the region is part of it; the account is unknown to a plan.
    pub fn canary_bucket(&self, region: &str) -> String {
        self.of(&format!("canaries-{region}"))
    }
    pub fn alarm(&self, what: &str) -> String {
        self.of(what)
    }

    /// Names of resources AWS gives no name of their own (rules, routes, attachments).
    pub fn label(&self, what: &str) -> String {
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
            "analytics-canaries-cn-northwest-1"
        );
    }
}

//! The Amazon EKS ECR registry of a region: where EKS's own images, and the AWS Load Balancer
//! Controller's, are pulled from (nodes and Fargate authenticate to it with the node or pod
//! execution role's `AmazonEC2ContainerRegistryReadOnly`).
//!
//! Source: EKS user guide, "View Amazon container image registries for Amazon EKS add-ons"
//! (awsdocs/amazon-eks-user-guide `latest/ug/workloads/add-ons-images.adoc`; ap-southeast-5 from
//! the docs.amazonaws.cn copy of the same page). Most regions use account 602401143452; the
//! opt-in regions, China and GovCloud have their own. The page lists ap-east-2's host under
//! `ap-east-1`, a typo: every registry host names its own region. "Install AWS Load Balancer
//! Controller with Helm" says to pull the controller from
//! `<registry>/amazon/aws-load-balancer-controller` where public.ecr.aws is not reachable (China).

use crate::plan::catalog::partition;

/// Registry accounts that differ from [`DEFAULT_ACCOUNT`], by region.
const ACCOUNTS: &[(&str, &str)] = &[
    ("af-south-1", "877085696533"),
    ("ap-east-1", "800184023465"),
    ("ap-east-2", "533267051163"),
    ("ap-south-2", "900889452093"),
    ("ap-southeast-3", "296578399912"),
    ("ap-southeast-4", "491585149902"),
    ("ap-southeast-5", "151610086707"),
    ("ap-southeast-6", "333609536671"),
    ("ap-southeast-7", "121268973566"),
    ("ca-west-1", "761377655185"),
    ("cn-north-1", "918309763551"),
    ("cn-northwest-1", "961992271922"),
    ("eu-central-2", "900612956339"),
    ("eu-south-1", "590381155156"),
    ("eu-south-2", "455263428931"),
    ("il-central-1", "066635153087"),
    ("me-central-1", "759879836304"),
    ("me-south-1", "558608220178"),
    ("mx-central-1", "730335286997"),
    ("us-gov-east-1", "151742754352"),
    ("us-gov-west-1", "013241004608"),
];

/// The registry account of the commercial regions the table does not name.
pub(crate) const DEFAULT_ACCOUNT: &str = "602401143452";

/// `<account>.dkr.ecr.<region>.amazonaws.com` (`.amazonaws.com.cn` in China).
pub(crate) fn eks_registry(region: &str) -> String {
    let account = ACCOUNTS
        .iter()
        .find(|(r, _)| *r == region)
        .map_or(DEFAULT_ACCOUNT, |(_, a)| a);
    format!(
        "{account}.dkr.ecr.{region}.{}",
        partition(region).dns_suffix()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_and_opt_in_regions_have_their_own_registries() {
        assert_eq!(
            eks_registry("us-east-1"),
            "602401143452.dkr.ecr.us-east-1.amazonaws.com"
        );
        assert_eq!(
            eks_registry("cn-north-1"),
            "918309763551.dkr.ecr.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            eks_registry("cn-northwest-1"),
            "961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn"
        );
        assert_eq!(
            eks_registry("af-south-1"),
            "877085696533.dkr.ecr.af-south-1.amazonaws.com"
        );
    }
}

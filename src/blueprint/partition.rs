//! AWS partitions: ARNs, DNS suffixes and IAM service principals differ between the commercial
//! regions (`aws`), the China regions (`aws-cn`) and GovCloud (`aws-us-gov`).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

/// The partition a region belongs to: `cn-*` is China, `us-gov-*` GovCloud, anything else commercial.
pub(crate) fn partition(region: &str) -> Partition {
    if region.starts_with("cn-") {
        Partition::AwsCn
    } else if region.starts_with("us-gov-") {
        Partition::AwsUsGov
    } else {
        Partition::Aws
    }
}

impl Partition {
    /// The partition id as it appears in ARNs: `aws`, `aws-cn`, `aws-us-gov`.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// `arn:aws`, `arn:aws-cn` or `arn:aws-us-gov`.
    pub(crate) fn arn_prefix(self) -> String {
        format!("arn:{}", self.id())
    }

    /// Suffix of endpoints and of a few service principals.
    pub(crate) fn dns_suffix(self) -> &'static str {
        match self {
            Partition::AwsCn => "amazonaws.com.cn",
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
        }
    }

    /// The IAM service principal of `service` (e.g. `ec2`, `eks`, `lambda`) for trust policies.
    ///
    /// Most services use `<service>.amazonaws.com` in every partition, China included (EKS,
    /// EKS Fargate pods, Lambda, RDS monitoring). EC2 and S3 are the exceptions this catalog meets:
    /// in China IAM rejects `ec2.amazonaws.com` ("Invalid principal in policy") and wants
    /// `ec2.amazonaws.com.cn` (aws-cdk#1282, #24709; terraform-provider-aws#47141).
    pub(crate) fn service_principal(self, service: &str) -> String {
        let partitional = matches!(service, "ec2" | "s3");
        if partitional {
            format!("{service}.{}", self.dns_suffix())
        } else {
            format!("{service}.amazonaws.com")
        }
    }

    /// ARN of an AWS-managed IAM policy, e.g. `managed_policy_arn("AmazonEKSClusterPolicy")`
    /// or `managed_policy_arn("service-role/CloudWatchSyntheticsFullAccess")`.
    pub(crate) fn managed_policy_arn(self, name: &str) -> String {
        format!("{}:iam::aws:policy/{name}", self.arn_prefix())
    }

    /// Whether an ARN belongs to this partition (`arn:aws-cn:...` in China).
    #[cfg(test)]
    pub(crate) fn owns_arn(self, arn: &str) -> bool {
        arn.strip_prefix(&self.arn_prefix())
            .is_some_and(|rest| rest.starts_with(':'))
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_partitions() {
        assert_eq!(partition("cn-northwest-1"), Partition::AwsCn);
        assert_eq!(partition("cn-north-1"), Partition::AwsCn);
        assert_eq!(partition("us-gov-west-1"), Partition::AwsUsGov);
        assert_eq!(partition("us-east-1"), Partition::Aws);
        assert_eq!(partition("eu-central-1"), Partition::Aws);
    }

    #[test]
    fn china_arns_and_suffix() {
        let cn = Partition::AwsCn;
        assert_eq!(cn.arn_prefix(), "arn:aws-cn");
        assert_eq!(cn.dns_suffix(), "amazonaws.com.cn");
        assert_eq!(
            cn.managed_policy_arn("AmazonEKSClusterPolicy"),
            "arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy"
        );
        assert_eq!(Partition::Aws.dns_suffix(), "amazonaws.com");
    }

    #[test]
    fn principals_differ_only_where_aws_differs() {
        let cn = Partition::AwsCn;
        assert_eq!(cn.service_principal("ec2"), "ec2.amazonaws.com.cn");
        assert_eq!(cn.service_principal("eks"), "eks.amazonaws.com");
        assert_eq!(
            cn.service_principal("eks-fargate-pods"),
            "eks-fargate-pods.amazonaws.com"
        );
        assert_eq!(Partition::Aws.service_principal("ec2"), "ec2.amazonaws.com");
    }

    #[test]
    fn arn_ownership() {
        assert!(Partition::AwsCn.owns_arn("arn:aws-cn:acm:cn-northwest-1:1:certificate/x"));
        assert!(!Partition::Aws.owns_arn("arn:aws-cn:acm:cn-northwest-1:1:certificate/x"));
        assert!(Partition::Aws.owns_arn("arn:aws:acm:us-east-1:1:certificate/x"));
        assert!(!Partition::AwsCn.owns_arn("arn:aws-cnx:acm"));
    }
}

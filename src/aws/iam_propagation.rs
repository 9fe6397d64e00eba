//! IAM propagation: a role just created or changed (its trust policy, its attached policies) is
//! not usable for several seconds by the service that must assume it, because IAM is eventually
//! consistent. The service then refuses the create with an error that names the role. These
//! errors, and only these, are retried for a bounded time ([`ErrorClass::Propagating`], policy in
//! `apply::backoff`); any other `InvalidParameterException` fails at once.
//!
//! Each sign is an error code and a phrase of AWS's message, as the Terraform AWS provider
//! matches them (sources per entry).

use crate::apply::ErrorClass;

/// One error AWS answers while a role is propagating.
struct Sign {
    /// The error code, exactly.
    code: &'static str,
    /// A phrase of the message (compared case-insensitively).
    phrase: &'static str,
    /// When set, the message must also name an IAM role (`:role/`), so that a generic phrase
    /// ("does not exist") is not taken for a subnet or a security group that does not exist.
    names_a_role: bool,
}

const fn sign(code: &'static str, phrase: &'static str) -> Sign {
    Sign {
        code,
        phrase,
        names_a_role: false,
    }
}

const EKS: &str = "InvalidParameterException";

const SIGNS: &[Sign] = &[
    // EKS CreateCluster (terraform-provider-aws internal/service/eks/cluster.go,
    // resourceClusterCreate's RetryWhen on propagationTimeout).
    sign(
        EKS,
        "Role could not be assumed because the trusted entity is not correct",
    ),
    sign(EKS, "Error in role params"),
    sign(
        EKS,
        "The provided role doesn't have the Amazon EKS Managed Policies associated with it",
    ),
    sign(EKS, "IAM role's policy must include"),
    // "roleArn, arn:aws:iam::123456789012:role/X, does not exist" (CreateCluster; CreateAddon's
    // serviceAccountRoleArn in internal/service/eks/addon.go): only when it names a role.
    Sign {
        code: EKS,
        phrase: "does not exist",
        names_a_role: true,
    },
    // EKS CreateCluster/CreateNodegroup/CreateAddon: "Role with arn: …, could not be assumed
    // because it does not exist or the trusted entity is not correct".
    sign(EKS, "could not be assumed"),
    // EKS CreateNodegroup while the node role's trust policy is not visible yet: "Following
    // required service principals [ec2.amazonaws.com] were not found in the trust relationships
    // of nodeRole arn:aws:iam::…:role/…" (as quoted in eksctl-io/eksctl#3290).
    Sign {
        code: EKS,
        phrase: "were not found in the trust relationships",
        names_a_role: true,
    },
    // EKS CreateFargateProfile (internal/service/eks/fargate_profile.go): "Misconfigured
    // PodExecutionRole Trust Policy; Please add the eks-fargate-pods.amazonaws.com Service
    // Principal".
    sign(EKS, "Misconfigured PodExecutionRole Trust Policy"),
    // Lambda CreateFunction/UpdateFunctionConfiguration (internal/service/lambda/function.go),
    // and the state reason of a canary whose Lambda Synthetics could not create
    // (internal/service/synthetics/canary.go).
    sign(
        "InvalidParameterValueException",
        "The role defined for the function cannot be assumed by Lambda",
    ),
    sign(
        "InvalidParameterValueException",
        "The provided execution role does not have permissions",
    ),
    // EC2 RunInstances with an instance profile just made, named or by ARN, in the request or in
    // its launch template ("… Invalid IAM Instance Profile name" / "… ARN"), and with a profile
    // whose role is not visible yet: terraform-provider-aws internal/service/ec2/ec2_instance.go,
    // resourceInstanceCreate's RetryWhen on propagationTimeout matches exactly these two phrases.
    sign("InvalidParameterValue", "Invalid IAM Instance Profile"),
    sign("InvalidParameterValue", " has no associated IAM Roles"),
];

/// Whether AWS's error `code` and `message` say a role is not usable yet (see the module).
pub(crate) fn is_propagating(code: &str, message: &str) -> bool {
    let message = message.to_lowercase();
    SIGNS.iter().any(|s| {
        s.code == code
            && message.contains(&s.phrase.to_lowercase())
            && (!s.names_a_role || message.contains(":role/"))
    })
}

/// Whether a message alone (a canary's state reason, which carries no code) says so: the
/// phrases of the Lambda signs, which is what Synthetics reports from the Lambda it creates.
pub(crate) fn is_propagating_reason(reason: &str) -> bool {
    let reason = reason.to_lowercase();
    SIGNS
        .iter()
        .filter(|s| s.code == "InvalidParameterValueException")
        .any(|s| reason.contains(&s.phrase.to_lowercase()))
}

/// The class of an error with this code and message: [`ErrorClass::Propagating`] for the signs
/// above, else the code's usual class.
pub(crate) fn classify(code: &str, message: &str) -> ErrorClass {
    if is_propagating(code, message) {
        ErrorClass::Propagating
    } else {
        super::errors::classify_code(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eks_role_errors_are_propagation() {
        for message in [
            "Role with arn: arn:aws:iam::123456789012:role/demo-cluster, could not be assumed \
             because it does not exist or the trusted entity is not correct",
            "Following required service principals [ec2.amazonaws.com] were not found in the \
             trust relationships of nodeRole arn:aws:iam::123456789012:role/demo-nodes",
            "Error in role params",
            "roleArn, arn:aws:iam::123456789012:role/demo-cluster, does not exist",
            "Misconfigured PodExecutionRole Trust Policy; Please add the \
             eks-fargate-pods.amazonaws.com Service Principal",
            "The provided role doesn't have the Amazon EKS Managed Policies associated with it. \
             Please ensure the following policy is attached: \
             arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        ] {
            assert!(is_propagating(EKS, message), "{message}");
            assert_eq!(classify(EKS, message), ErrorClass::Propagating);
        }
    }

    #[test]
    fn other_invalid_parameters_fail_at_once() {
        for message in [
            "Subnet subnet-0abc does not exist",
            "The subnet ID 'subnet-0abc' does not exist",
            "unsupported Kubernetes version 1.36",
            "Provided subnets subnet-1 subnet-2 Free IPs are less than 4",
        ] {
            assert!(!is_propagating(EKS, message), "{message}");
            assert_eq!(classify(EKS, message), ErrorClass::Fatal);
        }
        // The right phrase under another code is not the sign either.
        assert!(!is_propagating(
            "AccessDeniedException",
            "Error in role params"
        ));
    }

    #[test]
    fn lambda_and_ec2_signs() {
        assert!(is_propagating(
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda."
        ));
        assert!(is_propagating(
            "InvalidParameterValue",
            "Value (demo-profile) for parameter iamInstanceProfile.name is invalid. Invalid IAM \
             Instance Profile name"
        ));
        assert!(is_propagating(
            "InvalidParameterValue",
            "Value (arn:aws:iam::123456789012:instance-profile/demo-app) for parameter \
             iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN"
        ));
        assert!(!is_propagating(
            "InvalidParameterValue",
            "Invalid value 'x' for instanceType"
        ));
        assert!(is_propagating_reason(
            "The role defined for the function cannot be assumed by Lambda."
        ));
        assert!(!is_propagating_reason(
            "Unable to fetch S3 bucket: NoSuchBucket"
        ));
    }

    #[test]
    fn other_codes_keep_their_class() {
        assert_eq!(classify("ThrottlingException", "x"), ErrorClass::Throttled);
        assert_eq!(classify("DependencyViolation", "x"), ErrorClass::Conflict);
    }
}

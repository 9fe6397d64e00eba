//! The read's declared shape: the shared answers (`stages::SHARED`) and every kind's reads
//! (`Adapter::READS`), held to the bound on round trips (`stages::DEPTH_BOUND`).

use std::sync::LazyLock;

use super::stages::{self, Read};

/// Every call the live read may make, with the answers each waits for.
pub(crate) fn declared_reads() -> &'static [Read] {
    static ALL: LazyLock<Vec<Read>> = LazyLock::new(|| {
        let kinds = super::KIND_READS.iter().flat_map(|reads| reads.iter());
        stages::SHARED.iter().chain(kinds).copied().collect()
    });
    &ALL
}

/// Whether the live read may make `action` of `service`.
pub(crate) fn is_declared(service: &str, action: &str) -> bool {
    stages::is_declared(declared_reads(), service, action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind;
    use stages::{Call, DEPTH_BOUND, IDENTITY, deepest_chain, depth, depth_of};

    #[test]
    fn the_read_takes_at_most_four_round_trips() {
        let reads = declared_reads();
        assert!(
            depth(reads) <= DEPTH_BOUND,
            "the read's longest chain of waits is {} calls: {:?}",
            depth(reads),
            deepest_chain(reads)
        );
        assert_eq!(deepest_chain(reads).len(), depth(reads));
        // What a no-change plan of what the blueprint has makes (every read but the fallbacks
        // for what it does not name, such as a cluster it no longer has): three waits, listings
        // → details → what only a detail names (a listener's rules), so that with the identity
        // call before the read (where the account is not given) it is four.
        let always: Vec<Read> = reads
            .iter()
            .filter(|r| r.only.is_empty())
            .copied()
            .collect();
        assert_eq!(
            depth(&always) + 1,
            DEPTH_BOUND,
            "{:?}",
            deepest_chain(&always)
        );
    }

    /// What a live plan asks beside the read waits for none of its answers (issue 18: the
    /// zones were asked before it, the secrets' versions and the prices after it).
    #[test]
    fn what_the_plan_asks_beside_the_read_starts_with_it() {
        let reads = declared_reads();
        for call in [
            ("ec2", "DescribeAvailabilityZones"),
            ("secretsmanager", "ListSecrets"),
            ("ssm", "DescribeParameters"),
            ("pricing", "GetProducts"),
            ("rds", "DescribeDBEngineVersions"),
        ] {
            let read = reads.iter().find(|r| r.call == call).expect("declared");
            assert_eq!(depth_of(reads, read, 0), 1, "{call:?}");
        }
    }

    /// A listener's rules are an untagged kind, found by their identity: no tag read waits for
    /// DescribeRules (it would be a round trip more).
    #[test]
    fn nothing_waits_for_a_listeners_rules() {
        let rules = ("elbv2", "DescribeRules");
        assert!(
            declared_reads().iter().all(|r| !r.after.contains(&rules)),
            "{:?}",
            declared_reads()
                .iter()
                .filter(|r| r.after.contains(&rules))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn what_one_service_reads_of_a_resource_is_read_at_once() {
        let reads = declared_reads();
        let level = |call: Call| {
            reads
                .iter()
                .filter(|r| r.call == call && r.only.is_empty())
                .map(|r| depth_of(reads, r, 0))
                .max()
                .expect("declared")
        };
        // The reads issue 18 found chained: each waits only for its listing.
        for aspect in [
            "GetBucketVersioning",
            "GetBucketEncryption",
            "GetPublicAccessBlock",
        ] {
            assert_eq!(level(("s3", aspect)), 2, "{aspect}");
        }
        for listing in [
            "DescribeDBSubnetGroups",
            "DescribeDBParameterGroups",
            "DescribeDBClusterParameterGroups",
            "DescribeDBInstances",
            "DescribeDBClusters",
        ] {
            assert_eq!(level(("rds", listing)), 1, "{listing}");
        }
        assert_eq!(level(("rds", "DescribeDBParameters")), 2);
        assert_eq!(level(("elbv2", "DescribeTargetGroups")), 1);
        assert_eq!(level(("elbv2", "DescribeLoadBalancerAttributes")), 2);
        assert_eq!(level(("elbv2", "DescribeListeners")), 2);
        assert_eq!(level(("elbv2", "DescribeTargetGroupAttributes")), 2);
        assert_eq!(level(("elbv2", "DescribeRules")), 3);
        assert_eq!(level(("ec2", "DescribeVpcAttribute")), 2);
        // The version check does not hold the read up.
        assert_eq!(level(("eks", "DescribeClusterVersions")), 1);
    }

    #[test]
    fn every_wait_names_a_declared_call() {
        for read in declared_reads() {
            for needed in read.after {
                assert!(is_declared(needed.0, needed.1), "{needed:?}");
            }
        }
        assert!(!is_declared("s3", "GetBucketPolicy"));
        assert!(
            !is_declared(IDENTITY.0, IDENTITY.1),
            "identity comes before"
        );
    }

    /// A kind read with another declares no reads of its own, and the kind it names reads
    /// itself; every other kind's read is its own and declares the calls it makes (a kind with
    /// neither would be read by nobody: `Adapter::read`'s default reads nothing).
    #[test]
    fn a_kind_read_with_another_names_one_that_reads_itself() {
        for (kind, with) in super::super::READ_WITH {
            let reads = super::super::ADAPTED
                .iter()
                .position(|k| k == kind)
                .map(|i| super::super::KIND_READS[i])
                .expect("adapted");
            let Some(with) = with else {
                assert!(
                    !reads.is_empty(),
                    "{kind:?} reads itself but declares no call"
                );
                continue;
            };
            assert!(reads.is_empty(), "{kind:?} is read with {with:?}");
            let reader = super::super::READ_WITH
                .iter()
                .find(|(k, _)| k == with)
                .expect("adapted");
            assert_eq!(
                reader.1, None,
                "{with:?}, which reads {kind:?}, reads itself"
            );
            assert_ne!(*with, ResourceKind::KubernetesObject);
        }
    }
}

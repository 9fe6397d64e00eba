//! The live read's shape: every call a no-change plan's read makes with the answers it waits
//! for — each kind's reads, declared beside its read in its adapter file (`Adapter::READS`), and
//! the shared answers declared here ([`SHARED`]: the tagging API's, the owned subnets, the
//! version check). Independent reads start together and a read waits only for the answer that
//! names what it reads, so the read takes as many round trips of AWS latency as its longest
//! chain of waits: [`depth`], at most [`DEPTH_BOUND`]. A reader that chains a read behind
//! another it does not need must say so in its declaration, and the tests of
//! `services::declared_reads` stop it; a call that is not declared fails the read in debug builds
//! (`reader::check_declared`, asked by the gate), so every live test holds the readers to the
//! declarations.
//!
//! The chains: identity (STS, before the read when the account is not known: see
//! [`IDENTITY`]) → the kinds' listings (and the tagging API's one answer) → per-resource
//! details → what only a detail names (a listener's rules, a file system's mount targets' security
//! groups, a node group's launch template). Beside the read, needing none of its answers: the
//! zones, the version check, the secrets' versions, the prices ([`SHARED`]).
//!
//! Pure std: `cargo xtask bench` compiles this file too and reports [`DEPTH_BOUND`] as the bound
//! of the round trips it measures.

/// `(service, action)`, with the service as the gate names it.
pub(crate) type Call = (&'static str, &'static str);

/// One call of the read and what it waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Read {
    pub(crate) call: Call,
    /// The calls whose answers it needs (none: it starts with the read).
    pub(crate) after: &'static [Call],
    /// When it is made, where not for every resource found or every read.
    pub(crate) only: &'static str,
}

pub(crate) const fn first(call: Call) -> Read {
    Read {
        call,
        after: &[],
        only: "",
    }
}

pub(crate) const fn after(call: Call, needs: &'static [Call]) -> Read {
    Read {
        call,
        after: needs,
        only: "",
    }
}

pub(crate) const fn fallback(call: Call, needs: &'static [Call], only: &'static str) -> Read {
    Read {
        call,
        after: needs,
        only,
    }
}

/// The identity call: made by `aws::connect` before the read (the account names the
/// blueprint's buckets), except where the account is given (the emulator's).
#[cfg(test)]
pub(crate) const IDENTITY: Call = ("sts", "GetCallerIdentity");

/// The tagging API's answer: every reader's tags, asked for at the start of the read.
pub(crate) const TAGGED: Call = ("tagging", "GetResources");

pub(crate) const NOT_LISTED: &str = "a desired resource the tagging API's answer does not list";

/// The answers several kinds' reads share, asked for at the start of the read
/// (`AwsRead::prefetch`), and what a live plan asks beside the read (`ops::live::read_plan`),
/// none of it waiting for the read's answers.
pub(crate) const SHARED: &[Read] = &[
    // Shared answers.
    first(TAGGED),
    first(("ec2", "DescribeSubnets")),
    // Beside the read: the account's zones, which place the subnets (the read starts with the
    // zones the blueprint assumes, which no reader consults, and what it finds is matched to the
    // chosen ones: `reader::read_found`).
    first(("ec2", "DescribeAvailabilityZones")),
    // The version check.
    first(("eks", "DescribeClusterVersions")),
    first(("rds", "DescribeDBEngineVersions")),
    first(("elasticache", "DescribeCacheEngineVersions")),
    first(("synthetics", "DescribeRuntimeVersions")),
    // The current versions of the secrets ShinyProxy reads (the blueprint names them).
    first(("secretsmanager", "ListSecrets")),
    first(("ssm", "DescribeParameters")),
    // The blueprint's prices (`plan::cost::needed_by`).
    first(("pricing", "GetProducts")),
];

/// The most round trips the read may take: its longest chain of waits, and the identity call
/// before it where the account is not given.
/// `pub`: the bench (`xtask/src/bench/round_trips.rs`) includes this file and reads it.
pub const DEPTH_BOUND: usize = 4;

/// Whether `reads` declare `action` of `service`.
pub(crate) fn is_declared(reads: &[Read], service: &str, action: &str) -> bool {
    reads.iter().any(|r| r.call == (service, action))
}

/// The round trips `reads` need when each call waits only for the answers it declares: their
/// longest chain (a call declared more than once, on different paths, counts its longest).
#[cfg(test)]
pub(crate) fn depth(reads: &[Read]) -> usize {
    reads
        .iter()
        .map(|r| depth_of(reads, r, 0))
        .max()
        .unwrap_or(0)
}

/// The longest chain ending in `read`. `seen` bounds the walk: a cycle is a declaration error.
pub(crate) fn depth_of(reads: &[Read], read: &Read, seen: usize) -> usize {
    assert!(
        seen <= reads.len(),
        "the read's declared waits form a cycle"
    );
    1 + read
        .after
        .iter()
        .map(|needed| {
            reads
                .iter()
                .filter(|r| r.call == *needed)
                .map(|r| depth_of(reads, r, seen + 1))
                .max()
                .unwrap_or_else(|| panic!("{needed:?} is waited for but not declared"))
        })
        .max()
        .unwrap_or(0)
}

/// The chain behind the deepest call of `reads`, first call first, for reports.
#[cfg(test)]
pub(crate) fn deepest_chain(reads: &[Read]) -> Vec<Call> {
    let chain_of = |read: &Read| {
        let mut chain = vec![read.call];
        let mut at = *read;
        while let Some(before) = at
            .after
            .iter()
            .filter_map(|needed| {
                reads
                    .iter()
                    .filter(|r| r.call == *needed)
                    .max_by_key(|r| depth_of(reads, r, 0))
            })
            .max_by_key(|r| depth_of(reads, r, 0))
        {
            chain.push(before.call);
            at = *before;
        }
        chain.reverse();
        chain
    };
    reads
        .iter()
        .max_by_key(|r| depth_of(reads, r, 0))
        .map(chain_of)
        .unwrap_or_default()
}

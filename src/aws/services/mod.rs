//! Per-service adapters: how each [`ResourceKind`] is created, updated, deleted and read.
//!
//! # Writing an adapter
//!
//! Each kind's adapter is one file, `services/<service>/<kind>.rs`: a unit struct named as the
//! kind and its [`Adapter`] impl (its read with the calls it declares, create, update, delete,
//! each with its wait). `build.rs` makes every such file a module here and a row of the adapter
//! table ([`perform`], [`readers`], [`declared_reads`]); the service's `mod.rs` keeps what
//! its kinds share — the SDK tag converter, the service's [`TagApi`] and shared helpers:
//!
//! ```ignore
//! pub struct SnsTopic;
//!
//! impl Adapter for SnsTopic {
//!     const READS: &'static [Read] = &[first(("sns", "ListTopics"))];
//!     async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> { /* ListTopics */ }
//!     async fn create(step: &AwsStep<'_>) -> StepResult {
//!         let props: SnsTopicProps = step.props()?; // the catalog's typed properties
//!         // … CreateTopic, then outputs
//!     }
//!     async fn update(step: &AwsStep<'_>) -> StepResult { /* sync_tags::<SnsTags>(…) */ }
//!     async fn delete(step: &AwsStep<'_>) -> StepResult { /* DeleteTopic; gone is done */ }
//! }
//! ```
//!
//! Rules every adapter follows:
//! - **Rate limits** are not the adapter's business: the HTTP gate under every client spends the
//!   token of each request it forwards (`aws::gate`). SDK errors become `StepError`s with
//!   `.aws()` ([`AwsResult`]).
//! - **Idempotent create:** look up by ownership tag (or by the AWS name) first and return the
//!   existing resource's outputs; pass `step.client_token("CreateX")` where the API takes one (the
//!   same for every retry of the step in this run, new in every run); create with
//!   the desired tags (`step.tags()`, ownership tags included) in the same call where AWS allows.
//!   A create that answers "already exists" for an earlier attempt's resource takes it as made
//!   ([`already_made_is_ok`]); one whose name is taken tells its own from another's by the
//!   address tag (`tags::carry_address`, `step.refuse_unless_ours`).
//!   Then wait for readiness with `step.wait_until(probe, condition)` (the engine's other waits
//!   are on `step.engine`). A Describe call by id that answers a list: [`first_found`].
//! - **Update** changes in place what `step.request.step.changes` lists (`step.changed("tags")`);
//!   the executor only sends updates for properties outside the kind's `replace_on`.
//! - **Delete** treats NotFound as done ([`not_found_as_none`]) and waits until the resource is
//!   gone when AWS deletes asynchronously. A delete has only `step.existing` (the outputs the reader
//!   or the create produced) and the observed properties: put everything a delete needs into the
//!   outputs.
//! - **References:** a property naming another resource holds its address (`"vpc": "network.vpc"`)
//!   or an attribute of it (`"url": "cluster.eks_cluster#oidcIssuer"`); `step.reference("vpc")`
//!   turns it into the dependency's output (`id`, or the attribute's key). Inside a longer string
//!   or a key (a trust policy's `${cluster.iam_oidc_provider#issuerHost}:sub`) references are
//!   embedded; `step.resolve_embedded(value)` replaces them before the call.
//! - **Outputs** (what dependents and later steps get): always `id` (AWS's id or ARN — the same
//!   value the reader puts in `ObservedResource::id`), `arn` when there is one, `name`, and any
//!   attribute the catalog refers to with `address#attribute` (`oidcIssuer`, `dnsName`,
//!   `arnSuffix`), plus what a delete needs. Build them with [`outputs`].
//! - **Reading:** one describe per page per kind (filtered by the ownership tag where the API
//!   filters; otherwise by the derived names of `read.desired` or the blueprint's name prefix),
//!   every call one the kind's `READS` declares (checked in debug builds by the gate). Tags the
//!   describe does not carry come from `read.tags_for(arn, desired, read_one)`: the tagging API's
//!   one answer, a per-resource call only for a desired resource it does not list. A call per
//!   resource only where AWS has no batch read, and only for resources that are ours. Each
//!   resource becomes a [`Found`] with properties in the catalog's keys and value shapes, and with
//!   references as AWS ids/ARNs — the reader turns every string equal to a known resource's `id`
//!   or `arn` into its address, and a known attribute value into `address#attribute`. Kinds without
//!   tags leave `address` empty and are matched to a desired resource by [`identity_keys`].

/// One resource's tags through its own service's `ListTagsForResource`, for a resource the
/// tagging API's answer does not list ([`AwsRead::tags_for`]). `$input` sets the ARN on the request
/// (`resource_arn`; `resource_name` for RDS and ElastiCache), `$list` is the answer's tag list
/// (`tags`, `tag_list`), and `$pair` turns a tag into a `(key, value)` pair or drops it. A resource
/// gone in the meantime has no tags. Evaluates to `Result<TagSet, StepError>`.
macro_rules! tags_by_arn {
    ($read:expr, $service:literal, $client:ident, $input:ident, $list:ident, $arn:expr, $pair:expr) => {{
        let listed = crate::aws::errors::not_found_as_none(crate::aws::errors::AwsResult::aws(
            $read
                .clients()
                .$client
                .list_tags_for_resource()
                .$input($arn)
                .send()
                .await,
        ))?;
        Ok::<_, crate::apply::StepError>(crate::aws::tags::from_pairs(
            listed
                .and_then(|l| l.$list)
                .unwrap_or_default()
                .into_iter()
                .filter_map($pair),
        ))
    }};
}

mod adapter;
pub(crate) mod applicationautoscaling;
pub(crate) mod autoscaling;
pub(crate) mod cloudwatch;
pub(crate) mod declared;
pub(crate) mod ec2;
pub(crate) mod ecr;
pub(crate) mod ecs;
pub(crate) mod efs;
pub(crate) mod eks;
pub(crate) mod elasticache;
pub(crate) mod elbv2;
pub mod iam;
#[cfg(test)]
mod in_place_tests;
pub(crate) mod logs;
mod parameters;
pub(crate) mod rds;
pub mod s3;
pub(crate) mod secretsmanager;
pub(crate) mod sns;
pub(crate) mod ssm;
pub mod stages;
pub(crate) mod synthetics;
mod tagging;

use std::future::Future;
use std::pin::Pin;

use serde_json::{Map, Value};

use super::config::Connection;
use super::errors::missing;
pub(crate) use super::errors::{
    AwsResult, already_made_is_ok, first_found, is_not_found, not_found_as_none,
};
use super::tags::{self, TagSet};
use crate::apply::wait::Condition;
use crate::apply::{Outputs, StepContext, StepError, StepRequest};
use crate::plan::{Address, Resource, ResourceKind};
pub(crate) use adapter::{Adapter, StepResult, TagApi, sync_tags};
pub(crate) use adapter::{sdk_tags, tag_api};
pub(crate) use declared::declared_reads;

/// The adapter table from the rows `build.rs` generates, one per adapter file: [`perform`]
/// dispatches each step to its kind's adapter. The `match` is exhaustive: a kind without an
/// adapter file does not compile.
macro_rules! registry {
    ($($kind:ident => $adapter:path,)*) => {
        /// Performs one step with its kind's adapter.
        pub(crate) async fn perform(step: &AwsStep<'_>) -> StepResult {
            match step.request.kind() {
                $(ResourceKind::$kind => adapter::run::<$adapter>(step).await,)*
                // Kubernetes objects are deployed by `ops` with kube-rs, never scheduled here.
                ResourceKind::KubernetesObject => Err(StepError::fatal(
                    "NotAnAwsResource",
                    "Kubernetes objects are deployed by the workload step, not the AWS executor",
                )),
            }
        }

        /// The kinds with an adapter file.
        #[cfg(test)]
        pub(crate) const ADAPTED: &[ResourceKind] = &[$(ResourceKind::$kind),*];

        /// Every kind's read but those another kind's read covers (`Adapter::READ_WITH`), named
        /// by the kind: the live reader runs them concurrently, the longest declared chains
        /// first ([`chain_length`]).
        pub(crate) fn readers<'a>(read: &'a AwsRead<'a>) -> Vec<(&'static str, ReadFuture<'a>)> {
            let mut readers: Vec<(usize, &'static str, ReadFuture<'a>)> = Vec::new();
            $(if <$adapter as Adapter>::READ_WITH.is_none() {
                readers.push((
                    chain_length(<$adapter as Adapter>::READS),
                    ResourceKind::$kind.as_str(),
                    Box::pin(<$adapter as Adapter>::read(read)),
                ));
            })*
            readers.sort_by_key(|(length, _, _)| std::cmp::Reverse(*length));
            readers.into_iter().map(|(_, name, future)| (name, future)).collect()
        }

        /// Each kind's declared reads (`Adapter::READS`), in the adapter table's order.
        const KIND_READS: &[&[stages::Read]] = &[$(<$adapter as Adapter>::READS,)*];

        /// Each kind's `Adapter::READ_WITH`, in the adapter table's order.
        #[cfg(test)]
        const READ_WITH: &[(ResourceKind, Option<ResourceKind>)] =
            &[$((ResourceKind::$kind, <$adapter as Adapter>::READ_WITH),)*];
    };
}

include!(concat!(env!("OUT_DIR"), "/adapters.rs"));

/// The longest chain of waits among `reads` (a kind's `Adapter::READS`, in the whole read's
/// declarations), fallbacks aside. Its reader starts first: the read's first calls leave one at a
/// time (each request is built and signed in turn), and a chain's first call that leaves last
/// makes every call after it answer later.
fn chain_length(reads: &[stages::Read]) -> usize {
    let all = declared_reads();
    reads
        .iter()
        .filter(|r| r.only.is_empty())
        .map(|r| stages::depth_of(all, r, 0))
        .max()
        .unwrap_or(0)
}

/// What a step's adapter function gets: the connection, the request and the engine's context.
pub(crate) struct AwsStep<'a> {
    pub(crate) conn: &'a Connection,
    /// The blueprint's `metadata.name` (the ownership tag's value).
    pub(crate) blueprint: &'a str,
    /// Random per command run: salts the run's idempotency tokens ([`AwsStep::client_token`]).
    pub(crate) run: &'a str,
    /// How deletes treat databases and caches (final snapshot, deletion protection).
    pub(crate) data: super::operator::DataPolicy,
    pub(crate) request: &'a StepRequest,
    pub(crate) engine: &'a StepContext<'a>,
}

impl<'a> AwsStep<'a> {
    pub(crate) fn clients(&self) -> &'a super::clients::Clients {
        &self.conn.clients
    }

    pub(crate) fn address(&self) -> &'a Address {
        &self.request.step.address
    }

    /// The AWS name shinyctl gives the resource.
    pub(crate) fn name(&self) -> &'a str {
        &self.request.step.name
    }

    /// A property (desired, else observed).
    pub(crate) fn property(&self, key: &str) -> Option<&'a Value> {
        self.request.property(key)
    }

    /// A required string property.
    pub(crate) fn str(&self, key: &str) -> Result<&'a str, StepError> {
        self.property(key)
            .and_then(Value::as_str)
            .ok_or_else(|| missing(format!("{}: property `{key}` is missing", self.address())))
    }

    pub(crate) fn opt_str(&self, key: &str) -> Option<&'a str> {
        self.property(key).and_then(Value::as_str)
    }

    /// Resolves a reference: `address` -> the dependency's `id`, `address#attr` -> its `attr`.
    /// A value that names no resource (a CIDR, a literal ARN) is returned as it is.
    pub(crate) fn resolve(&self, value: &str) -> Result<String, StepError> {
        let (address, attribute) = match value.split_once('#') {
            Some((address, attribute)) => (address, attribute),
            None => (value, "id"),
        };
        let known = self.request.inputs.get(&Address::new(address));
        let is_dependency = known.is_some()
            || self
                .request
                .step
                .depends_on
                .iter()
                .any(|d| d.as_str() == address);
        if !is_dependency {
            return Ok(value.to_string());
        }
        known
            .and_then(|outputs| outputs.get(attribute))
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                missing(format!(
                    "{}: `{attribute}` of {address} is not known yet",
                    self.address()
                ))
            })
    }

    /// `value` with the references embedded in its strings and keys (`${address}`,
    /// `${address#attribute}`, see `plan::catalog::embedded`) replaced by the dependencies'
    /// outputs; an embedded address that is no dependency (an IAM policy variable such as
    /// `${aws:username}`) stays as written.
    pub(crate) fn resolve_embedded(&self, value: &Value) -> Result<Value, StepError> {
        use crate::plan::catalog::embedded;
        embedded::map_strings(value, &mut |text| {
            embedded::substitute(text, |r| {
                let address = Address::new(r.address);
                let known = self.request.inputs.get(&address);
                if known.is_none() && !self.request.step.depends_on.contains(&address) {
                    return Ok(None);
                }
                let key = r.output_key();
                known
                    .and_then(|outputs| outputs.get(key))
                    .and_then(Value::as_str)
                    .map(|v| Some(v.to_string()))
                    .ok_or_else(|| {
                        missing(format!(
                            "{}: `{key}` of {address} is not known yet",
                            self.address()
                        ))
                    })
            })
        })
    }

    /// A required reference property, resolved (see [`AwsStep::resolve`]).
    pub(crate) fn reference(&self, key: &str) -> Result<String, StepError> {
        self.resolve(self.str(key)?)
    }

    /// The AWS name of the resource at `address` (a reference, perhaps to an attribute: the
    /// resource's `name` output).
    pub(crate) fn name_of(&self, address: &str) -> Result<String, StepError> {
        self.resolve(&format!(
            "{}#name",
            address.split('#').next().unwrap_or(address)
        ))
    }

    /// The desired tags (ownership tags included); empty for kinds without tags.
    pub(crate) fn tags(&self) -> TagSet {
        self.request
            .step
            .desired
            .as_ref()
            .map(tags::from_properties)
            .unwrap_or_default()
    }

    /// The observed tags (for updates).
    pub(crate) fn observed_tags(&self) -> TagSet {
        self.request
            .step
            .observed
            .as_ref()
            .map(tags::from_properties)
            .unwrap_or_default()
    }

    /// The observed value of property `key` (for updates: what the read found).
    pub(crate) fn observed(&self, key: &str) -> Option<&'a Value> {
        self.request.step.observed.as_ref()?.get(key)
    }

    /// The ownership tags alone.
    pub(crate) fn ownership_tags(&self) -> TagSet {
        tags::ownership(self.blueprint, self.address())
    }

    /// A create that finds its name taken: `Ok` when the resource there is this step's (`ours`:
    /// its tags carry the step's address, an earlier attempt's work), else the fatal `code`
    /// error that `what` ("an ECS cluster named web already exists") is not this blueprint's.
    /// Names are unique per account and region, so another's is a clear error rather than a
    /// takeover.
    pub(crate) fn refuse_unless_ours(
        &self,
        ours: bool,
        code: &str,
        what: &str,
    ) -> Result<(), StepError> {
        if ours {
            return Ok(());
        }
        Err(StepError::fatal(
            code,
            format!("{}: {what} and is not this blueprint's", self.address()),
        ))
    }

    /// What is known of the resource in AWS (updates and deletes).
    pub(crate) fn existing(&self, key: &str) -> Option<&'a str> {
        self.request
            .existing
            .as_ref()
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
    }

    /// The resource's AWS id from the reader or an earlier step (updates and deletes).
    pub(crate) fn existing_id(&self) -> Result<&'a str, StepError> {
        self.existing("id")
            .ok_or_else(|| missing(format!("{}: its AWS id is unknown", self.address())))
    }

    /// The resource's name in AWS: as the reader found it, else the planned one (a delete of
    /// a resource that was renamed, or that no reader saw).
    pub(crate) fn existing_name(&self) -> &'a str {
        self.existing("name").unwrap_or(self.name())
    }

    /// Whether the update changes `key` (or something inside it, `tags.Team`).
    pub(crate) fn changed(&self, key: &str) -> bool {
        self.request.step.changes.iter().any(|c| {
            c.name == key
                || c.name
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
        })
    }

    /// Whether the update changes any of `keys` (see [`AwsStep::changed`]).
    pub(crate) fn changed_any(&self, keys: &[&str]) -> bool {
        keys.iter().any(|key| self.changed(key))
    }

    /// The idempotency token of this step's `action` (`"CreateNatGateway"`): the same for every
    /// attempt of the step in this run — the SDK's retries of one call resend it, and a step
    /// retried after an answer was lost sends it again, so AWS answers with what the first call
    /// made — and new in every run ([`AwsStep::run`]). AWS remembers a token after the resource it
    /// made is deleted (EC2 for at least 24 hours); a token built from the desired properties
    /// would meet it again on apply → destroy → apply and get `IdempotentParameterMismatch` or
    /// the deleted resource. A run after a crash therefore has new tokens, and adapters find
    /// what the crashed run half made by its ownership tags or unique name before they create.
    /// 32 hex characters: within every API's limit (EC2: 64).
    pub(crate) fn client_token(&self, action: &str) -> String {
        step_token(
            self.run,
            self.blueprint,
            self.address(),
            self.request.operation(),
            action,
        )
    }

    /// Polls `probe` until `condition` holds (see [`StepContext::wait_until`]). The other waits
    /// (looking once first, longer, on another schedule) are the engine's own:
    /// `step.engine.wait_until_looking_first(...)`.
    pub(crate) async fn wait_until<T, P, F>(
        &self,
        probe: P,
        condition: impl Condition<T>,
    ) -> Result<Option<T>, StepError>
    where
        T: std::fmt::Display,
        P: FnMut() -> F,
        F: Future<Output = Result<Option<T>, StepError>>,
    {
        self.engine.wait_until(probe, condition).await
    }
}

/// The idempotency token of `action` for one step of one run (see [`AwsStep::client_token`]).
pub(crate) fn step_token(
    run: &str,
    blueprint: &str,
    address: &Address,
    operation: crate::apply::Operation,
    action: &str,
) -> String {
    client_token(&[run, blueprint, address.as_str(), operation.as_str(), action])
}

/// 128 random bits as 32 hex characters: what makes a run's tokens ([`AwsStep::client_token`]) and
/// a lock's id its own.
pub(crate) fn random_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// 128 bits of two FNV-1a hashes over `parts`, as hex. Stable across builds and platforms.
pub(crate) fn client_token(parts: &[&str]) -> String {
    let mut a: u64 = 0xcbf2_9ce4_8422_2325;
    let mut b: u64 = 0x8422_2325_cbf2_9ce4;
    for part in parts {
        for byte in part.bytes().chain([0u8]) {
            a = (a ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
            b = (b ^ u64::from(byte.rotate_left(3))).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{a:016x}{b:016x}")
}

/// A delete's answer: not found counts as deleted (an earlier attempt's, or someone's by hand),
/// and a deleted resource has no outputs.
pub(crate) fn deleted<T>(result: Result<T, StepError>) -> StepResult {
    not_found_as_none(result)?;
    Ok(Outputs::new())
}

/// Outputs with `id`, and `arn`/`name` when given.
pub(crate) fn outputs(id: &str, arn: Option<&str>, name: Option<&str>) -> Outputs {
    let mut out = Map::new();
    out.insert("id".into(), Value::from(id));
    if let Some(arn) = arn {
        out.insert("arn".into(), Value::from(arn));
    }
    if let Some(name) = name {
        out.insert("name".into(), Value::from(name));
    }
    out
}

/// Kinds placed in a zone, or one per zone (their addresses carry the zone): a reader never
/// consults their desired resources, since a live plan's read starts before the zones are chosen
/// ([`AwsRead::desired`]).
pub(crate) const PLACED_IN_ZONES: &[ResourceKind] = &[
    ResourceKind::Subnet,
    ResourceKind::NatGateway,
    ResourceKind::ElasticIp,
    ResourceKind::Route,
    ResourceKind::RouteTable,
    ResourceKind::RouteTableAssociation,
    ResourceKind::EfsMountTarget,
];

/// What a read function gets.
pub(crate) struct AwsRead<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) blueprint: &'a str,
    /// What the blueprint asks for: derived names for kinds read by name. A live plan's read
    /// starts before the account's zones are chosen, with the blueprint in the zones it assumes
    /// (`reader::read_found`): a reader consults names, kinds and settings the zones do not
    /// change, never the subnets or what is placed in a zone ([`PLACED_IN_ZONES`]), nor a
    /// `subnets` or `availabilityZone` value (a test in `reader` holds the blueprints to that).
    pub(crate) desired: &'a [Resource],
    /// Lookups several readers need, made once per read.
    pub(crate) memo: ReadMemo,
    /// What exists only, not how it is configured (destroy's read): readers skip the calls
    /// that read a resource's settings or the parts that go with it (an ECR repository's
    /// lifecycle policy goes with the repository).
    pub(crate) inventory: bool,
}

/// Answers more than one reader needs, fetched by the first that asks.
#[derive(Debug, Default)]
pub(crate) struct ReadMemo {
    subnets: tokio::sync::OnceCell<Vec<aws_sdk_ec2::types::Subnet>>,
    tagged: tokio::sync::OnceCell<std::collections::HashMap<String, TagSet>>,
}

impl<'a> AwsRead<'a> {
    pub(crate) fn new(conn: &'a Connection, blueprint: &'a str, desired: &'a [Resource]) -> Self {
        AwsRead {
            conn,
            blueprint,
            desired,
            memo: ReadMemo::default(),
            inventory: false,
        }
    }

    /// The SDK clients the read calls with.
    pub(crate) fn clients(&self) -> &'a super::clients::Clients {
        &self.conn.clients
    }

    /// The subnets carrying this blueprint's ownership tag (one paginated DescribeSubnets per
    /// read, shared by the subnet reader and every reader that orders subnets by zone).
    pub(crate) async fn owned_subnets(&self) -> Result<&[aws_sdk_ec2::types::Subnet], StepError> {
        self.memo
            .subnets
            .get_or_try_init(|| ec2::describe_owned_subnets(self))
            .await
            .map(Vec::as_slice)
    }

    /// ARN -> tags of everything the Resource Groups Tagging API lists with this blueprint's
    /// ownership tag (one paginated GetResources per read; see [`AwsRead::tags_for`]).
    pub(crate) async fn tagged(
        &self,
    ) -> Result<&std::collections::HashMap<String, TagSet>, StepError> {
        self.memo
            .tagged
            .get_or_try_init(|| tagging::tagged(self))
            .await
    }

    /// Asks at once for the answers several readers share (the tagging API's, the owned
    /// subnets), so that a reader that needs one after its listing finds it there or on its way
    /// rather than asking only then. Errors are left to the readers that ask.
    pub(crate) async fn prefetch(&self) {
        let _ = futures::join!(self.tagged(), self.owned_subnets());
    }

    /// Whether a resource named `name` of `kind` is one the blueprint asks for.
    pub(crate) fn is_desired(&self, kind: ResourceKind, name: &str) -> bool {
        self.desired_of(kind).any(|r| r.name == name)
    }

    /// Desired resources of `kind`, never one of [`PLACED_IN_ZONES`] (see [`AwsRead::desired`]).
    pub(crate) fn desired_of(&self, kind: ResourceKind) -> impl Iterator<Item = &'a Resource> + 'a {
        debug_assert!(
            !PLACED_IN_ZONES.contains(&kind),
            "a reader consults the desired {kind:?}, which the zones place"
        );
        self.desired.iter().filter(move |r| r.kind == kind)
    }

    /// The desired resource of `kind` whose AWS name is `name`: the first of the property
    /// `keys` it has (`name`, ...), else its resource name.
    pub(crate) fn desired_named(
        &self,
        kind: ResourceKind,
        keys: &[&str],
        name: &str,
    ) -> Option<&'a Resource> {
        self.desired_of(kind).find(|d| {
            keys.iter()
                .find_map(|k| d.properties.get(*k))
                .and_then(Value::as_str)
                .unwrap_or(&d.name)
                == name
        })
    }

    /// `<blueprint>-`: the prefix of every name shinyctl derives (for listing by name).
    pub(crate) fn name_prefix(&self) -> String {
        format!("{}-", self.blueprint)
    }

    /// The address the tags give, if they carry this blueprint's ownership tag.
    pub(crate) fn owned(&self, tags: &TagSet) -> Option<Address> {
        tags::owned_address(tags, self.blueprint)
    }
}

/// One resource found in AWS, before references are resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub(crate) kind: ResourceKind,
    /// From the ownership tag; `None` for kinds AWS does not tag (matched by [`identity_keys`]).
    pub(crate) address: Option<Address>,
    /// AWS's id or ARN (the `id` output).
    pub(crate) id: String,
    /// The AWS name or `Name` tag; `None` takes the matched desired resource's name.
    pub(crate) name: Option<String>,
    /// Catalog keys and shapes; references as AWS ids/ARNs.
    pub(crate) properties: Map<String, Value>,
    /// `id` (added by the reader), `arn`, attributes and what a delete needs.
    pub(crate) outputs: Outputs,
    /// Where to list an untagged resource no desired one matches; `None` ignores it (e.g. a
    /// route someone else added to our table).
    pub(crate) orphan_address: Option<Address>,
}

impl Found {
    pub(crate) fn new(kind: ResourceKind, id: impl Into<String>) -> Self {
        Found {
            kind,
            address: None,
            id: id.into(),
            name: None,
            properties: Map::new(),
            outputs: Map::new(),
            orphan_address: None,
        }
    }

    pub(crate) fn at(mut self, address: Option<Address>) -> Self {
        self.address = address;
        self
    }

    pub(crate) fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(key.to_string(), value.into());
        self
    }

    /// The properties of a kind's properties struct, key by key in the struct's order (as the
    /// catalog's `Resource::props` sets them): what is read has the shape of what is desired.
    pub(crate) fn props<T: serde::Serialize>(mut self, props: &T) -> Self {
        self.properties
            .extend(crate::plan::resource::struct_fields(props));
        self
    }

    pub(crate) fn output(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.outputs.insert(key.to_string(), value.into());
        self
    }

    pub(crate) fn orphan_at(mut self, address: Address) -> Self {
        self.orphan_address = Some(address);
        self
    }
}

/// Properties that identify a resource found without its ownership tag (the kind's spec row).
pub(crate) fn identity_keys(kind: ResourceKind) -> &'static [&'static str] {
    kind.identity_keys()
}

/// A read function's future.
pub(crate) type ReadFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Found>, StepError>> + Send + 'a>>;

#[cfg(test)]
mod tests {
    use super::*;

    /// An adapter lives in `services/<its kind's service>/<its kind's name>.rs`, once.
    #[test]
    fn every_adapter_file_is_named_after_its_kind_in_its_service() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for (i, kind) in ADAPTED.iter().enumerate() {
            assert!(!ADAPTED[..i].contains(kind), "{kind:?} has two adapters");
            let file = root.join(format!(
                "src/aws/services/{}/{}.rs",
                kind.service(),
                kind.as_str()
            ));
            assert!(
                file.is_file(),
                "{kind:?}'s adapter is not {}",
                file.display()
            );
        }
    }

    #[test]
    fn client_tokens_are_stable_and_distinct() {
        let a = client_token(&["demo", "network.nat_gateway[a]", "{}"]);
        assert_eq!(a, client_token(&["demo", "network.nat_gateway[a]", "{}"]));
        assert_ne!(a, client_token(&["demo", "network.nat_gateway[b]", "{}"]));
        // Parts are separated: ("ab","c") differs from ("a","bc").
        assert_ne!(client_token(&["ab", "c"]), client_token(&["a", "bc"]));
        assert_eq!(a.len(), 32);
    }

    #[test]
    fn a_token_repeats_only_within_one_run_of_one_step() {
        use crate::apply::Operation::{Create, Update};
        let nat = Address::new("network.nat_gateway[a]");
        let run = random_token();
        let token = |run: &str, address: &Address, operation, action| {
            step_token(run, "demo", address, operation, action)
        };
        // Every attempt of the step in this run: the same token.
        assert_eq!(
            token(&run, &nat, Create, "CreateNatGateway"),
            token(&run, &nat, Create, "CreateNatGateway")
        );
        // Another run (apply -> destroy -> apply the same day, or a run after a crash): new.
        let next_run = random_token();
        assert_ne!(run, next_run);
        assert_ne!(
            token(&run, &nat, Create, "CreateNatGateway"),
            token(&next_run, &nat, Create, "CreateNatGateway")
        );
        // Another resource, operation or call within the run: new.
        let other = Address::new("network.nat_gateway[b]");
        let reference = token(&run, &nat, Create, "CreateNatGateway");
        for different in [
            token(&run, &other, Create, "CreateNatGateway"),
            token(&run, &nat, Update, "CreateNatGateway"),
            token(&run, &nat, Create, "CreateLaunchTemplate"),
        ] {
            assert_ne!(reference, different);
        }
        assert_eq!(reference.len(), 32);
        assert_eq!(run.len(), 32);
    }
}

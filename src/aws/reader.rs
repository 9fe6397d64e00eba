//! The live reader: what exists in AWS for one blueprint, as an [`ObservedState`] for the diff and
//! the outputs the executor needs for resources that already exist.
//!
//! Every kind's read ([`services::readers`], from the adapter files) runs concurrently, each with
//! about one describe call per page per kind (filtered by the ownership tag, or by derived names where the
//! tagging API cannot answer), tags from one shared tagging-API answer, per-resource calls only
//! where AWS has no batch read (docs/observed-state.md lists them), and a rate-limit token
//! before every call. Then references are resolved: any property string equal to a found
//! resource's `id` or `arn` becomes its address, and a [`REFERENCE_ATTRIBUTES`] output value
//! becomes `address#attribute` — the catalog's vocabulary; references the catalog embeds in
//! strings and keys (`${address#attribute}`) are found again the same way. Untagged kinds (routes, associations,
//! rules, attachments) are matched to the desired resource with the same identity properties.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use super::config::Connection;
use super::services::{self, AwsRead, Found, identity_keys};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::embedded;
use crate::plan::observed::OBSERVED_FORMAT_VERSION;
use crate::plan::{Address, ObservedResource, ObservedState, Resource, ResourceKind};

/// Output keys the catalog refers to as `address#attribute`.
pub(crate) const REFERENCE_ATTRIBUTES: &[&str] =
    &["oidcIssuer", "dnsName", "arnSuffix", "clusterSecurityGroup"];

/// What the reader found.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveState {
    /// For `plan::diff`.
    pub observed: ObservedState,
    /// Outputs of every observed resource, by address: the executor's `known` map (a superset of
    /// `apply::known_outputs(&observed)`: `id`, `name`, plus `arn`, attributes and what
    /// deletes need — pass this one).
    pub outputs: BTreeMap<Address, Outputs>,
    /// Resources carrying an address some other resource already has (a duplicate left by a
    /// crash outside shinyctl's idempotency, or a copy made by hand): (address, AWS id). They are
    /// not in `observed`; report them.
    pub duplicates: Vec<(Address, String)>,
}

/// A read that failed: which reader and AWS's error.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadError {
    pub(crate) reader: &'static str,
    pub(crate) error: StepError,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading {} failed: {}", self.reader, self.error)
    }
}

impl std::error::Error for ReadError {}

/// Reads everything of `blueprint` (its `metadata.name`) in the connection's region. `desired` is
/// the catalog's output for the blueprint (names for kinds read by name, identities for untagged
/// kinds). Its calls spend the connection's rate-limit tokens (`aws::gate`), shared with the
/// apply that follows, as AWS's own buckets are shared by the account.
pub async fn read(
    conn: &Connection,
    blueprint: &str,
    desired: &[Resource],
) -> Result<LiveState, ReadError> {
    read_with(AwsRead::new(conn, blueprint, desired)).await
}

/// What of `blueprint` exists, for destroy: [`read`] without the calls that read only a
/// resource's settings or the parts that go with it ([`AwsRead::inventory`]).
pub async fn read_inventory(
    conn: &Connection,
    blueprint: &str,
    desired: &[Resource],
) -> Result<LiveState, ReadError> {
    let mut read = AwsRead::new(conn, blueprint, desired);
    read.inventory = true;
    read_with(read).await
}

tokio::task_local! {
    /// Set while the live read runs: its calls must be ones `services::stages` declares.
    static READING: ();
}

/// In debug builds, stops a call the live read makes that `services::declared_reads` does not hold
/// (the gate asks for every call it forwards), so every live test holds the readers to the
/// read's declared shape. Calls outside the read are not checked.
pub(crate) fn check_declared(service: &str, action: &str) {
    if cfg!(debug_assertions) && READING.try_with(|_| ()).is_ok() {
        assert!(
            services::declared::is_declared(service, action),
            "the read calls {service}:{action}, which neither a kind's Adapter::READS nor stages::SHARED declares"
        );
    }
}

async fn read_with(read: AwsRead<'_>) -> Result<LiveState, ReadError> {
    let (conn, blueprint, desired) = (read.conn, read.blueprint, read.desired);
    let found = find(read).await?;
    Ok(assemble(blueprint, &conn.region, desired, found))
}

/// What the readers find of `blueprint`, before [`assemble`]: for a read that starts before the
/// account's zones are chosen (`ops::live`), with `desired` in the zones the blueprint assumes.
/// That is sound because no reader consults what the zones change (the subnets, what is placed
/// in a zone, the `subnets` and `availabilityZone` properties: see [`AwsRead::desired`] and the
/// test `the_reads_view_of_the_blueprint_does_not_depend_on_the_zones`); [`assemble`] then
/// matches what was found to the blueprint in the chosen zones. `inventory`: as
/// [`read_inventory`].
pub(crate) async fn read_found(
    conn: &Connection,
    blueprint: &str,
    desired: &[Resource],
    inventory: bool,
) -> Result<Vec<Found>, ReadError> {
    let mut read = AwsRead::new(conn, blueprint, desired);
    read.inventory = inventory;
    find(read).await
}

async fn find(read: AwsRead<'_>) -> Result<Vec<Found>, ReadError> {
    let readers = services::readers(&read);
    let (names, futures): (Vec<&'static str>, Vec<_>) = readers.into_iter().unzip();
    // Every reader and the shared answers start together (see `services::stages`); the shared
    // answers are asked first, since most readers' per-resource calls wait for the tagging
    // API's answer and it is the slowest of the first wave to come.
    let ((), results) = READING
        .scope((), async {
            futures::join!(read.prefetch(), futures::future::join_all(futures))
        })
        .await;
    let mut found = Vec::new();
    for (reader, result) in names.into_iter().zip(results) {
        found.extend(result.map_err(|error| ReadError { reader, error })?);
    }
    Ok(found)
}

/// Resolves references, matches untagged resources and builds the observed state. Pure.
pub(crate) fn assemble(
    blueprint: &str,
    region: &str,
    desired: &[Resource],
    found: Vec<Found>,
) -> LiveState {
    let mut found: Vec<Found> = found
        .into_iter()
        .map(|mut f| {
            f.outputs
                .entry("id")
                .or_insert_with(|| Value::from(f.id.clone()));
            f
        })
        .collect();

    // Keep one resource per tagged address.
    let mut duplicates = Vec::new();
    let mut seen: HashSet<Address> = HashSet::new();
    found.retain(|f| match &f.address {
        Some(address) if !seen.insert(address.clone()) => {
            duplicates.push((address.clone(), f.id.clone()));
            false
        }
        _ => true,
    });

    let references = reference_map(
        found
            .iter()
            .filter_map(|f| f.address.as_ref().map(|a| (a, f))),
    );
    for f in &mut found {
        // A resource's own id stays itself (a bucket's `bucket` property is its id).
        let own = references.get(&f.id).cloned();
        resolve_map(&mut f.properties, &references, own.as_deref());
    }

    // Untagged resources: the desired resource of the same kind and identity, else the orphan
    // address (where the kind can tell it is ours), else ignored.
    let mut claimed: HashSet<Address> = seen.clone();
    for f in found.iter_mut().filter(|f| f.address.is_none()) {
        let keys = identity_keys(f.kind);
        let matched = desired.iter().find(|d| {
            d.kind == f.kind
                && !claimed.contains(&d.address)
                && keys
                    .iter()
                    .all(|k| d.properties.get(*k) == f.properties.get(*k))
        });
        if let Some(d) = matched {
            f.address = Some(d.address.clone());
            if f.name.is_none() {
                f.name = Some(d.name.clone());
            }
        } else if let Some(orphan) = f.orphan_address.clone().filter(|_| orphan_is_ours(f)) {
            f.address = Some(orphan);
        }
        if let Some(address) = &f.address {
            if !claimed.insert(address.clone()) {
                duplicates.push((address.clone(), f.id.clone()));
                f.address = None;
            }
        }
    }

    embed_references(desired, &mut found);

    let desired_names: HashMap<&Address, &str> = desired
        .iter()
        .map(|d| (&d.address, d.name.as_str()))
        .collect();
    let mut resources = Vec::new();
    let mut outputs = BTreeMap::new();
    for f in found {
        let Some(address) = f.address else { continue };
        let name = f
            .name
            .or_else(|| desired_names.get(&address).map(|n| n.to_string()))
            .unwrap_or_else(|| f.id.clone());
        let mut known = f.outputs;
        known
            .entry("name")
            .or_insert_with(|| Value::from(name.clone()));
        outputs.insert(address.clone(), known);
        resources.push(ObservedResource {
            address,
            kind: f.kind,
            id: f.id,
            name,
            properties: f.properties,
        });
    }
    resources.sort_by(|a, b| a.address.cmp(&b.address));
    LiveState {
        observed: ObservedState {
            format_version: OBSERVED_FORMAT_VERSION.to_string(),
            blueprint: blueprint.to_string(),
            region: region.to_string(),
            resources,
        },
        outputs,
        duplicates,
    }
}

/// AWS identifier -> catalog reference. Ids and ARNs win over attribute values.
fn reference_map<'a>(
    tagged: impl Iterator<Item = (&'a Address, &'a Found)>,
) -> HashMap<String, String> {
    let mut ids = HashMap::new();
    let mut attributes = HashMap::new();
    for (address, f) in tagged {
        ids.insert(f.id.clone(), address.to_string());
        if let Some(Value::String(arn)) = f.outputs.get("arn") {
            ids.insert(arn.clone(), address.to_string());
        }
        for attribute in REFERENCE_ATTRIBUTES {
            if let Some(Value::String(value)) = f.outputs.get(*attribute) {
                attributes.insert(value.clone(), format!("{address}#{attribute}"));
            }
        }
    }
    attributes.extend(ids);
    attributes
}

/// Whether an untagged resource its kind's reader gave an orphan address (found under an owned
/// parent, matching no desired resource) is shinyctl's to delete. A listener rule is not tagged
/// (its spec row), and someone may add rules to the blueprint's listener by hand: it is ours only
/// when it forwards to one of the blueprint's target groups (its ARN resolved to an address).
/// Other kinds' orphans are ours by their owned parent.
fn orphan_is_ours(f: &Found) -> bool {
    match f.kind {
        ResourceKind::ListenerRule => f
            .properties
            .get("action")
            .and_then(|a| a.get("targetGroup"))
            .and_then(Value::as_str)
            .is_some_and(|tg| !tg.is_empty() && !tg.starts_with("arn:")),
        _ => true,
    }
}

/// (observed value, `${…}` token) pairs.
type EmbeddedValues = Vec<(String, String)>;

/// The way back for references the catalog embeds in strings and keys (`${address#attribute}`,
/// `plan::catalog::embedded`): in each property whose desired value embeds references, every
/// occurrence of a referenced resource's observed output becomes the token again — in literal
/// documents too (an IRSA trust policy's condition keys). Only what the blueprint embeds there is
/// looked for, so an id that happens to occur in other text stays text.
fn embed_references(desired: &[Resource], found: &mut [Found]) {
    let outputs: HashMap<&Address, &Outputs> = found
        .iter()
        .filter_map(|f| f.address.as_ref().map(|a| (a, &f.outputs)))
        .collect();
    // (resource, property, its (observed value, token) pairs)
    let mut values: Vec<(Address, String, EmbeddedValues)> = Vec::new();
    for d in desired {
        for (key, value) in d.properties.iter().filter(|(k, _)| *k != "tags") {
            let pairs: Vec<(String, String)> = embedded::references_in_value(value)
                .into_iter()
                .filter_map(|r| {
                    let observed = outputs
                        .get(&Address::new(r.address))?
                        .get(r.output_key())?
                        .as_str()?;
                    Some((
                        observed.to_string(),
                        embedded::token(r.address, r.attribute),
                    ))
                })
                .collect();
            if !pairs.is_empty() {
                values.push((d.address.clone(), key.clone(), pairs));
            }
        }
    }
    for (address, key, pairs) in values {
        let Some(f) = found
            .iter_mut()
            .find(|f| f.address.as_ref() == Some(&address))
        else {
            continue;
        };
        if let Some(value) = f.properties.get_mut(&key) {
            *value = embedded::unresolve_value(value, &pairs);
        }
    }
}

/// Properties the catalog writes as literal documents (IAM and lifecycle policies name ARNs as
/// text, never as references): an ARN in them that happens to be a found resource's stays an ARN.
const LITERAL_DOCUMENTS: &[&str] = &["assumeRolePolicy", "inlinePolicies", "policyText"];

/// Replaces identifiers with references everywhere but in tags and literal documents.
fn resolve_map(
    properties: &mut Map<String, Value>,
    references: &HashMap<String, String>,
    own: Option<&str>,
) {
    for (key, value) in properties.iter_mut() {
        if key != "tags" && !LITERAL_DOCUMENTS.contains(&key.as_str()) {
            resolve_value(value, references, own);
        }
        // A set: sorted by the references, as the catalog writes it (readers sort by id).
        if SORTED_SETS.contains(&key.as_str())
            && let Value::Array(items) = value
        {
            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
    }
}

/// Properties that are sets of references, which the catalog writes sorted by address.
const SORTED_SETS: &[&str] = &["securityGroups", "vpcSecurityGroups"];

fn resolve_value(value: &mut Value, references: &HashMap<String, String>, own: Option<&str>) {
    match value {
        Value::String(s) => {
            if let Some(reference) = references.get(s.as_str())
                && Some(reference.as_str()) != own
            {
                *s = reference.clone();
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| resolve_value(v, references, own)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|v| resolve_value(v, references, own)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;
    use serde_json::json;

    /// The observed resource of `kind` (the first).
    fn of_kind(live: &LiveState, kind: K) -> &ObservedResource {
        live.observed
            .resources
            .iter()
            .find(|r| r.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} in {:#?}", live.observed.resources))
    }

    #[test]
    fn a_leftover_rule_is_ours_only_when_it_forwards_to_the_blueprints_target_group() {
        let rule = |target: &str| {
            Found::new(
                K::ListenerRule,
                "arn:aws:elasticloadbalancing:r:1:listener-rule/x",
            )
            .with("action", json!({"type": "forward", "targetGroup": target}))
            .orphan_at(Address::new("ingress.listener[http].rule[3]"))
        };
        // The blueprint's target group: its ARN was resolved to its address.
        assert!(orphan_is_ours(&rule("ecs.target_group[app2]")));
        // Someone else's target group (an ARN no owned resource has), or a redirect rule.
        assert!(!orphan_is_ours(&rule(
            "arn:aws:elasticloadbalancing:r:1:targetgroup/theirs/1"
        )));
        let redirect = Found::new(K::ListenerRule, "arn:x").with(
            "action",
            json!({"type": "redirect", "statusCode": "HTTP_301"}),
        );
        assert!(!orphan_is_ours(&redirect));
        // Other kinds' orphans are ours by their owned parent.
        assert!(orphan_is_ours(&Found::new(K::Route, "r-1")));
    }

    fn desired() -> Vec<Resource> {
        vec![
            Resource::new("network.vpc", K::Vpc, "demo-vpc", "network").with("cidr", "10.0.0.0/16"),
            Resource::new(
                "network.route_table.public",
                K::RouteTable,
                "demo-public",
                "network",
            )
            .with("vpc", "network.vpc"),
            Resource::new(
                "network.route.public_default",
                K::Route,
                "demo-public-default",
                "network",
            )
            .with("routeTable", "network.route_table.public")
            .with("destination", "0.0.0.0/0")
            .with("target", "network.internet_gateway"),
        ]
    }

    #[test]
    fn security_group_sets_are_sorted_by_reference_like_the_catalog() {
        let found = vec![
            Found::new(K::EksCluster, "arn:cluster")
                .at(Some(Address::new("cluster.eks_cluster")))
                .output("clusterSecurityGroup", "sg-b"),
            Found::new(K::SecurityGroup, "sg-a")
                .at(Some(Address::new("cluster.security_group.nodes"))),
            // Read sorted by id: the nodes' group first.
            Found::new(K::NodeGroup, "arn:ng")
                .at(Some(Address::new("cluster.node_group[proxy]")))
                .with("securityGroups", json!(["sg-a", "sg-b"])),
        ];
        let live = assemble("demo", "us-east-1", &[], found);
        let ng = of_kind(&live, K::NodeGroup);
        assert_eq!(
            ng.properties["securityGroups"],
            json!([
                "cluster.eks_cluster#clusterSecurityGroup",
                "cluster.security_group.nodes"
            ])
        );
    }

    #[test]
    fn references_and_untagged_kinds_resolve() {
        let found = vec![
            Found::new(K::Vpc, "vpc-1")
                .at(Some(Address::new("network.vpc")))
                .named("demo-vpc")
                .with("cidr", "10.0.0.0/16"),
            Found::new(K::RouteTable, "rtb-1")
                .at(Some(Address::new("network.route_table.public")))
                .with("vpc", "vpc-1"),
            Found::new(K::Route, "rtb-1|0.0.0.0/0")
                .with("routeTable", "rtb-1")
                .with("destination", "0.0.0.0/0")
                .with("target", "igw-9"),
            // Someone else's route in our table, with no orphan address: ignored.
            Found::new(K::Route, "rtb-1|10.1.0.0/16")
                .with("routeTable", "rtb-1")
                .with("destination", "10.1.0.0/16")
                .with("target", "pcx-1"),
        ];
        let live = assemble("demo", "us-east-1", &desired(), found);
        let r = &live.observed.resources;
        assert_eq!(r.len(), 3, "{r:#?}");
        let table = of_kind(&live, K::RouteTable);
        assert_eq!(table.properties["vpc"], "network.vpc");
        assert_eq!(table.name, "demo-public");
        let route = of_kind(&live, K::Route);
        assert_eq!(route.address.as_str(), "network.route.public_default");
        // The gateway is not ours (not found), so the id stays: the diff shows a replace.
        assert_eq!(route.properties["target"], "igw-9");
        assert_eq!(live.outputs[&Address::new("network.vpc")]["id"], "vpc-1");
    }

    #[test]
    fn attributes_resolve_and_tags_do_not() {
        let found = vec![
            Found::new(K::EksCluster, "demo")
                .at(Some(Address::new("cluster.eks_cluster")))
                .output("arn", "arn:aws:eks:us-east-1:1:cluster/demo")
                .output("oidcIssuer", "https://oidc/x"),
            Found::new(K::IamOidcProvider, "arn:aws:iam::1:oidc-provider/oidc/x")
                .at(Some(Address::new("cluster.iam_oidc_provider")))
                .with("url", "https://oidc/x")
                .with("tags", json!({"x": "demo"})),
        ];
        let live = assemble("demo", "us-east-1", &[], found);
        let oidc = &live.observed.resources[1];
        assert_eq!(oidc.properties["url"], "cluster.eks_cluster#oidcIssuer");
        assert_eq!(oidc.properties["tags"]["x"], "demo");
    }

    #[test]
    fn arns_in_policy_documents_stay_arns() {
        let bucket_arn = "arn:aws:s3:::b";
        let mut properties = Map::new();
        properties.insert(
            "inlinePolicies".into(),
            json!({"p": {"Statement": [{"Resource": bucket_arn}]}}),
        );
        properties.insert("bucketArn".into(), json!(bucket_arn));
        let references =
            HashMap::from([(bucket_arn.to_string(), "monitoring.s3_bucket.b".to_string())]);
        resolve_map(&mut properties, &references, None);
        assert_eq!(
            properties["inlinePolicies"]["p"]["Statement"][0]["Resource"],
            bucket_arn
        );
        assert_eq!(properties["bucketArn"], "monitoring.s3_bucket.b");
    }

    #[test]
    fn embedded_references_come_back_in_strings_and_keys() {
        let arn = "arn:aws:iam::1:oidc-provider/oidc.example/id/X";
        let host = "oidc.example/id/X";
        let written = json!({"Statement": [{
            "Principal": {"Federated": "${cluster.iam_oidc_provider}"},
            "Condition": {"StringEquals": {
                "${cluster.iam_oidc_provider#issuerHost}:sub": "system:serviceaccount:kube-system:x"
            }}
        }]});
        let desired = vec![
            Resource::new("cluster.iam_role.x", K::IamRole, "demo-x", "cluster")
                .with("assumeRolePolicy", written.clone())
                .with("description", "mentions oidc.example/id/X as text"),
        ];
        let found = vec![
            Found::new(K::IamOidcProvider, arn)
                .at(Some(Address::new("cluster.iam_oidc_provider")))
                .output("arn", arn)
                .output("issuerHost", host),
            Found::new(K::IamRole, "arn:aws:iam::1:role/demo-x")
                .at(Some(Address::new("cluster.iam_role.x")))
                .with(
                    "assumeRolePolicy",
                    json!({"Statement": [{
                        "Principal": {"Federated": arn},
                        "Condition": {"StringEquals": {
                            format!("{host}:sub"): "system:serviceaccount:kube-system:x"
                        }}
                    }]}),
                )
                .with("description", "mentions oidc.example/id/X as text"),
        ];
        let live = assemble("demo", "us-east-1", &desired, found);
        let role = of_kind(&live, K::IamRole);
        assert_eq!(role.properties["assumeRolePolicy"], written);
        // Where the blueprint embeds nothing, the same text stays text.
        assert_eq!(
            role.properties["description"],
            "mentions oidc.example/id/X as text"
        );
    }

    #[test]
    fn a_resources_own_id_is_not_a_reference() {
        let found = vec![
            Found::new(K::S3Bucket, "demo-files")
                .at(Some(Address::new("storage.s3_bucket[files]")))
                .with("bucket", "demo-files"),
        ];
        let live = assemble("demo", "us-east-1", &[], found);
        assert_eq!(
            live.observed.resources[0].properties["bucket"],
            "demo-files"
        );
    }

    #[test]
    fn duplicates_are_reported_not_listed() {
        let found = vec![
            Found::new(K::Vpc, "vpc-1").at(Some(Address::new("network.vpc"))),
            Found::new(K::Vpc, "vpc-2").at(Some(Address::new("network.vpc"))),
        ];
        let live = assemble("demo", "us-east-1", &[], found);
        assert_eq!(live.observed.resources.len(), 1);
        assert_eq!(
            live.duplicates,
            vec![(Address::new("network.vpc"), "vpc-2".into())]
        );
    }
}

/// A live plan's read starts before the account's zones are chosen, with the blueprint in the
/// zones it assumes (`read_found`, `ops::live::Zoning::Ask`): what the readers consult of the
/// blueprint must be the same in any zones.
#[cfg(test)]
mod zone_independence {
    use std::collections::BTreeSet;

    use serde_json::{Map, Value};

    use crate::load::load_str;
    use crate::plan::{Resource, ResourceKind as K};

    /// No reader consults their desired resources (`AwsRead::desired_of` asserts it).
    const ZONED: &[K] = crate::aws::services::PLACED_IN_ZONES;

    /// Properties that name subnets or a zone: no reader consults them.
    const ZONE_PROPERTIES: &[&str] = &["subnets", "availabilityZone"];

    /// Each resource's address, name and properties, as [`view`] shows them.
    type Seen = Vec<(String, String, Map<String, Value>)>;

    /// What a reader may see of `resources`: every resource of a kind not in [`ZONED`] with its
    /// name and properties but those of [`ZONE_PROPERTIES`] (whether one is set stays: a
    /// Multi-AZ cluster's instances pin their zone), and the groups security group rules are in
    /// (`read_rules_in_other_groups` asks whether one is in another's group).
    fn view(resources: &[Resource]) -> (Seen, BTreeSet<String>) {
        let seen = resources
            .iter()
            .filter(|r| !ZONED.contains(&r.kind) && r.kind != K::SecurityGroupRule)
            .map(|r| {
                let properties = r
                    .properties
                    .iter()
                    .map(|(k, v)| match ZONE_PROPERTIES.contains(&k.as_str()) {
                        true => (k.clone(), Value::Null),
                        false => (k.clone(), v.clone()),
                    })
                    .collect();
                (r.address.to_string(), r.name.clone(), properties)
            })
            .collect();
        let rule_groups = resources
            .iter()
            .filter(|r| r.kind == K::SecurityGroupRule)
            .filter_map(|r| {
                r.properties
                    .get("securityGroup")?
                    .as_str()
                    .map(str::to_string)
            })
            .collect();
        (seen, rule_groups)
    }

    #[test]
    fn the_reads_view_of_the_blueprint_does_not_depend_on_the_zones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
        let mut zoned = 0;
        for entry in std::fs::read_dir(dir).expect("blueprints/") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            let loaded = load_str("b.yaml", &text).expect("loads");
            let bp = &loaded.blueprint;
            let Some(count) = loaded.zones.as_ref().map(|z| z.names.len()) else {
                continue;
            };
            let region = &bp.metadata.region;
            let zones = |first: u8| -> Vec<String> {
                (0..count)
                    .map(|i| format!("{region}{}", char::from(first + i as u8)))
                    .collect()
            };
            let desired = |zones: &[String]| {
                crate::plan::catalog::desired_with(bp, Some("123456789012"), Some(zones))
            };
            let (assumed, chosen) = (desired(&zones(b'a')), desired(&zones(b'c')));
            assert_ne!(
                assumed,
                chosen,
                "{}: the zones place something",
                path.display()
            );
            assert_eq!(view(&assumed), view(&chosen), "{}", path.display());
            zoned += 1;
        }
        assert!(zoned >= 5, "blueprints with subnets: {zoned}");
    }
}

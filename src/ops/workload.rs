//! The proxy workload in the live flows: what the cluster has (fetched by the ownership labels)
//! joins the live plan as `workload.*` resources; apply installs the controllers as soon as what
//! they need exists, beside the rest of its AWS side, and deploys ShinyProxy once all of it
//! succeeded, as steps of their own in the same progress view and summary (`ops::run`); destroy
//! removes it before the cluster.
//!
//! Facts (endpoints, ids, ARNs) come from the live state: before the AWS side exists, the
//! placeholders stand in, so a first plan lists every object as a create with placeholder hosts;
//! apply renders again from what AWS reports after its run and deploys that.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::apply::{ErrorClass, Event, EventSink, Failure, Operation, Skip, StepError, StepRef};
use crate::apply::{Outputs, Summary};
use crate::aws::ecr_images::{EcrImage, Presence};
use crate::aws::eks_token::cluster_access;
use crate::aws::{Connection, LiveState, Target};
use crate::blueprint::Blueprint;
use crate::load::Loaded;
use crate::plan::catalog::Names;
use crate::plan::{
    Action, Address, Change, ObservedResource, ObservedState, Plan, Resource, ResourceKind, diff,
};
use crate::workload::deploy::{self, DeployError, Keep, RolloutWait};
use crate::workload::facts::{DatabaseFacts, EfsFacts, RedisFacts};
use crate::workload::{self, PlatformFacts, Workload, plan as wplan};

/// What the cluster has of the blueprint's workload, as far as the plan is concerned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ClusterState {
    /// The blueprint has no EKS cluster in AWS yet: every object is a create.
    NoCluster,
    /// The objects carrying the blueprint's labels.
    Objects(Vec<Value>),
    /// The cluster exists but could not be read (the sentence says why); planned as if empty.
    Unreachable(String),
}

impl ClusterState {
    pub(crate) fn objects(&self) -> &[Value] {
        match self {
            ClusterState::Objects(objects) => objects,
            _ => &[],
        }
    }

    /// A line for the user when the cluster could not be read.
    pub(crate) fn note(&self) -> Option<String> {
        match self {
            ClusterState::Unreachable(why) => Some(format!(
                "warning: could not read the workload on the cluster ({why}); its objects are \
                 planned as if the cluster had none"
            )),
            _ => None,
        }
    }
}

/// The facts the workload needs, from what AWS reports (`live`) in the connection's account;
/// what is not there yet is `(known after apply)`. Pure.
pub(crate) fn facts(bp: &Blueprint, conn: &Connection, live: &LiveState) -> PlatformFacts {
    facts_in(bp, &conn.account, live)
}

/// [`facts`] for `account` in the blueprint's region.
pub(crate) fn facts_in(bp: &Blueprint, account: &str, live: &LiveState) -> PlatformFacts {
    let region = bp.metadata.region.as_str();
    let partition = crate::plan::catalog::partition(region);
    let mut facts = PlatformFacts::known_after_apply(bp);
    facts.registry_host = format!("{account}.dkr.ecr.{region}.{}", partition.dns_suffix());
    let first = |kinds: &[ResourceKind]| -> Option<(&ObservedResource, Option<&Outputs>)> {
        live.observed
            .resources
            .iter()
            .find(|r| kinds.contains(&r.kind))
            .map(|r| (r, live.outputs.get(&r.address)))
    };
    let text = |outputs: Option<&Outputs>, key: &str| {
        outputs
            .and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let port = |outputs: Option<&Outputs>| {
        outputs
            .and_then(|o| o.get("port"))
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
    };
    if let (Some(redis), Some((_, outputs))) = (
        facts.redis.as_mut(),
        first(&[ResourceKind::CacheReplicationGroup]),
    ) && let Some(host) = text(outputs, "endpoint")
    {
        *redis = RedisFacts {
            host,
            port: port(outputs).unwrap_or(redis.port),
            ..redis.clone()
        };
    }
    // An Aurora cluster's writer endpoint and master secret are the cluster's, not an instance's.
    if let (Some(db), Some((_, outputs))) = (
        facts.database.as_mut(),
        first(&[ResourceKind::DbCluster]).or_else(|| first(&[ResourceKind::DbInstance])),
    ) && let Some(host) = text(outputs, "endpoint")
    {
        *db = DatabaseFacts {
            host,
            port: port(outputs).unwrap_or(db.port),
            credentials_secret: text(outputs, "masterUserSecretArn")
                .unwrap_or_else(|| db.credentials_secret.clone()),
            ..db.clone()
        };
    }
    if let (Some(efs), Some((fs, _))) = (facts.efs.as_mut(), first(&[ResourceKind::EfsFileSystem]))
    {
        let mut access_points = efs.access_points.clone();
        for (name, id) in access_points.iter_mut() {
            let address = format!("storage.efs_access_point[{name}]");
            if let Some(ap) = live
                .observed
                .resources
                .iter()
                .find(|r| r.address.as_str() == address)
            {
                *id = ap.id.clone();
            }
        }
        *efs = EfsFacts {
            file_system_id: fs.id.clone(),
            access_points,
        };
    }
    if let Some((tg, outputs)) = first(&[ResourceKind::TargetGroup])
        && facts.target_group_arn.is_some()
    {
        facts.target_group_arn = Some(text(outputs, "arn").unwrap_or_else(|| tg.id.clone()));
    }
    if let Some((vpc, _)) = first(&[ResourceKind::Vpc]) {
        facts.vpc_id = vpc.id.clone();
    }
    // The controllers' IRSA roles exist only when someone made them under these names.
    let names = Names::new(&bp.metadata.name);
    let role = |what: &str| {
        let name = names.label(what);
        live.observed
            .resources
            .iter()
            .find(|r| r.kind == ResourceKind::IamRole && r.name == name)
            .map(|r| {
                text(live.outputs.get(&r.address), "arn").unwrap_or_else(|| {
                    format!("{}:iam::{account}:role/{name}", partition.arn_prefix())
                })
            })
    };
    facts.load_balancer_controller_role_arn = facts
        .load_balancer_controller_role_arn
        .as_ref()
        .and_then(|_| role("aws-load-balancer-controller"));
    facts
}

/// The AWS resources the workload needs before it can run (its plan resources depend on them).
fn needs(resources: &[Resource]) -> Vec<Address> {
    use ResourceKind::*;
    resources
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                EksCluster
                    | NodeGroup
                    | FargateProfile
                    | DbInstance
                    | DbCluster
                    | CacheReplicationGroup
                    | EfsAccessPoint
                    | TargetGroup
            )
        })
        .map(|r| r.address.clone())
        .collect()
}

/// The workload's desired and observed plan resources. Pure.
pub(crate) fn plan_resources(
    loaded: &Loaded,
    rendered: Option<&Workload>,
    cluster: &ClusterState,
) -> (Vec<Resource>, Vec<ObservedResource>) {
    let live = cluster.objects();
    // The usage-statistics user's Job only when the user is not made yet for this password.
    let mut settled: Vec<Value> = rendered.map(|w| w.objects.clone()).unwrap_or_default();
    workload::usage_user::settle(&mut settled, live);
    let objects: &[Value] = &settled;
    let addresses = wplan::Addresses::new(objects.iter().chain(live));
    (
        wplan::desired(objects, &addresses, &needs(&loaded.resources)),
        wplan::observed(objects, live, &addresses),
    )
}

/// The blueprint's AWS resources plus its workload, diffed against AWS plus the cluster. Pure.
pub(crate) fn full_plan(
    loaded: &Loaded,
    observed: &ObservedState,
    rendered: Option<&Workload>,
    cluster: &ClusterState,
) -> Plan {
    let (desired, live) = plan_resources(loaded, rendered, cluster);
    let mut resources = loaded.resources.clone();
    resources.extend(desired);
    let mut state = observed.clone();
    state.resources.extend(live);
    diff(&resources, &state)
}

/// The plan without its workload changes: what the AWS executor runs.
pub(crate) fn aws_part(plan: &Plan) -> Plan {
    let mut aws = plan.clone();
    aws.changes
        .retain(|c| c.kind != ResourceKind::KubernetesObject);
    aws.summary = crate::plan::Summary::count(&aws.changes);
    aws
}

/// The workload changes of `plan`.
pub(crate) fn workload_changes(plan: &Plan) -> Vec<&Change> {
    plan.changes
        .iter()
        .filter(|c| c.kind == ResourceKind::KubernetesObject && c.action.is_change())
        .collect()
}

/// The name of the blueprint's EKS cluster as observed, if it exists.
fn observed_cluster(live: &LiveState) -> Option<String> {
    live.observed
        .resources
        .iter()
        .find(|r| r.kind == ResourceKind::EksCluster)
        .map(|r| r.name.clone())
}

/// A client for the blueprint's cluster, or `None` when it does not exist.
async fn cluster_client(
    conn: &Connection,
    target: &Target,
    live: &LiveState,
) -> Result<Option<kube::Client>, String> {
    let Some(name) = observed_cluster(live) else {
        return Ok(None);
    };
    // The read's DescribeCluster answered the endpoint: asking again would be a round trip
    // more before the workload's lists.
    let known = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == ResourceKind::EksCluster)
        .and_then(|r| live.outputs.get(&r.address))
        .and_then(|o| {
            let endpoint = o.get("endpoint")?.as_str()?.to_string();
            let authority = o.get("certificateAuthority")?.as_str()?.to_string();
            Some((endpoint, Some(authority)))
        });
    let access = match known {
        Some((endpoint, authority)) => {
            crate::aws::eks_token::access_at(conn, target, &name, endpoint, authority).await?
        }
        None => cluster_access(conn, target, &name).await?,
    };
    let client = deploy::client_with_retries(
        &access.endpoint,
        access.certificate_authority_data.as_deref(),
        &access.token,
        target.call_retries(),
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(Some(client))
}

/// What the cluster has of the blueprint's workload (see [`ClusterState`]).
pub(crate) async fn read_cluster(
    conn: &Connection,
    target: &Target,
    blueprint: &str,
    live: &LiveState,
) -> ClusterState {
    match cluster_client(conn, target, live).await {
        Ok(None) => ClusterState::NoCluster,
        Ok(Some(client)) => match deploy::list_owned(&client, blueprint).await {
            Ok(objects) => ClusterState::Objects(objects),
            Err(e) => ClusterState::Unreachable(e.to_string()),
        },
        Err(e) => ClusterState::Unreachable(e),
    }
}

/// How long to wait for the rollout, scaled like the executor's waits.
fn rollout_wait(time_scale: f64) -> RolloutWait {
    let scale = crate::apply::limits::positive_or(time_scale, 1.0).min(1.0);
    let default = RolloutWait::default();
    RolloutWait {
        timeout: default.timeout.mul_f64(scale).max(Duration::from_secs(30)),
        schedule: default.schedule.scaled(scale),
    }
}

fn step(change: &Change) -> StepRef {
    StepRef {
        address: change.address.clone(),
        kind: ResourceKind::KubernetesObject,
        operation: match change.action {
            Action::Delete => Operation::Delete,
            Action::Update => Operation::Update,
            _ => Operation::Create,
        },
        replacing: false,
    }
}

/// Marks the workload steps of `planned` as not attempted: skipped after a failure of the AWS
/// side, cancelled after Ctrl-C.
pub(crate) fn not_attempted(planned: &[Change], summary: &mut Summary, sink: &EventSink) {
    let because = summary.failed.first().map(|f| f.step.address.clone());
    for change in planned {
        let step = step(change);
        match (&because, summary.interrupted) {
            (Some(because), false) => {
                sink.emit(Event::StepSkipped {
                    step: step.clone(),
                    because: because.clone(),
                });
                summary.skipped.push(Skip {
                    step,
                    because: because.clone(),
                });
            }
            _ => {
                sink.emit(Event::StepCancelled { step: step.clone() });
                summary.cancelled.push(step);
            }
        }
    }
}

/// Everything apply needs to deploy the workload after its AWS run.
pub(crate) struct DeployInput<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) target: &'a Target,
    pub(crate) loaded: &'a Loaded,
    pub(crate) time_scale: f64,
    /// What AWS has now, when the caller knows it (apply: the state read before its run with the
    /// run's results); `None` reads AWS.
    pub(crate) live: Option<&'a LiveState>,
}

/// Whether `change` is of a controller's object (its `app.kubernetes.io/part-of` label names
/// one of [`workload::controllers::CONTROLLERS`]).
fn is_controller_change(change: &Change) -> bool {
    change
        .after
        .as_ref()
        .or(change.before.as_ref())
        .and_then(|o| o.get("metadata"))
        .is_some_and(|metadata| {
            workload::controllers::is_controller(&serde_json::json!({ "metadata": metadata }))
        })
}

/// The workload changes of `planned` the controllers' phase makes: the controllers' objects
/// that are created or updated (one the blueprint no longer has is pruned with the rest, after
/// what it manages).
pub(crate) fn controller_changes(planned: &[Change]) -> Vec<Change> {
    planned
        .iter()
        .filter(|c| c.action != Action::Delete && is_controller_change(c))
        .cloned()
        .collect()
}

/// The AWS resources the controllers need before they are installed, from the plan's resources
/// and their dependencies: the cluster, somewhere to run (its node groups and Fargate profiles),
/// DNS (the `coredns` add-on, when the blueprint configures it), what their objects are rendered
/// from (the VPC, and each controller's IRSA role, found by the name [`facts_in`] looks it up
/// by); everything those depend on; and what completes them: the security group rules and role
/// policy attachments that depend on any of them (the API server reaches the controllers'
/// webhooks through the nodes' rules). Pure.
pub(crate) fn controllers_need(loaded: &Loaded) -> std::collections::BTreeSet<Address> {
    use std::collections::BTreeSet;
    let resources = &loaded.resources;
    let names = Names::new(&loaded.blueprint.metadata.name);
    let roles: Vec<String> = workload::controllers::CONTROLLERS
        .iter()
        .map(|controller| names.label(controller))
        .collect();
    let seed = |r: &Resource| match r.kind {
        ResourceKind::EksCluster
        | ResourceKind::NodeGroup
        | ResourceKind::FargateProfile
        | ResourceKind::Vpc => true,
        ResourceKind::EksAddon => {
            r.properties.get("addonName").and_then(Value::as_str)
                == Some(crate::plan::catalog::cluster::COREDNS_ADDON)
        }
        ResourceKind::IamRole => roles.contains(&r.name),
        _ => false,
    };
    let by_address: BTreeMap<&Address, &Resource> =
        resources.iter().map(|r| (&r.address, r)).collect();
    let close = |set: &mut BTreeSet<Address>| {
        let mut stack: Vec<Address> = set.iter().cloned().collect();
        while let Some(address) = stack.pop() {
            if let Some(resource) = by_address.get(&address) {
                for dependency in &resource.depends_on {
                    if set.insert(dependency.clone()) {
                        stack.push(dependency.clone());
                    }
                }
            }
        }
    };
    let mut need: BTreeSet<Address> = resources
        .iter()
        .filter(|r| seed(r))
        .map(|r| r.address.clone())
        .collect();
    if need.is_empty() {
        return need;
    }
    close(&mut need);
    let completing: Vec<Address> = resources
        .iter()
        .filter(|r| {
            matches!(
                r.kind,
                ResourceKind::SecurityGroupRule | ResourceKind::IamRolePolicyAttachment
            ) && r.depends_on.iter().any(|d| need.contains(d))
        })
        .map(|r| r.address.clone())
        .collect();
    need.extend(completing);
    close(&mut need);
    need
}

/// Whether apply's controllers' phase may have something to do: the approved plan changes a
/// controller's object, or the plan rendered none (their IRSA role was not made yet: once it is,
/// they are). When the plan rendered them and changes none, they are in place.
pub(crate) fn controllers_wanted(
    input: &DeployInput<'_>,
    before: &LiveState,
    planned: &[Change],
) -> bool {
    let bp = &input.loaded.blueprint;
    if bp.cluster.is_none() {
        return false;
    }
    !controller_changes(planned).is_empty()
        || workload::controllers::objects(bp, &facts(bp, input.conn, before)).is_empty()
}

/// The controllers' phase of apply, as soon as what they need exists ([`controllers_need`]),
/// beside the rest of the AWS side: renders the workload from what AWS has now (`live`), diffs
/// it against the cluster, and installs the controllers when their objects are created or
/// updated (`deploy::install_controllers`), each such object a step in `sink` and in the summary
/// it returns with their addresses. `None` when nothing was done or reported: no controller to
/// install or change, or the cluster could not be read (the deploy after the AWS side then tries
/// again and reports what fails).
pub(crate) async fn install_controllers(
    input: &DeployInput<'_>,
    live: &LiveState,
    sink: &EventSink,
) -> Option<(Summary, std::collections::BTreeSet<Address>)> {
    let started = Instant::now();
    let loaded = input.loaded;
    let bp = &loaded.blueprint;
    let facts = facts(bp, input.conn, live);
    if workload::controllers::objects(bp, &facts).is_empty() {
        return None;
    }
    // The whole workload, so that addresses are the same as the deploy after the AWS side
    // gives (only the controllers' objects are applied here).
    let rendered = workload::render(bp, &facts)?;
    let client = cluster_client(input.conn, input.target, live)
        .await
        .ok()
        .flatten()?;
    let objects = deploy::list_owned(&client, &bp.metadata.name).await.ok()?;
    let plan = full_plan(
        loaded,
        &live.observed,
        Some(&rendered),
        &ClusterState::Objects(objects),
    );
    let changes: Vec<&Change> = workload_changes(&plan)
        .into_iter()
        .filter(|c| c.action != Action::Delete && is_controller_change(c))
        .collect();
    if changes.is_empty() {
        return None;
    }
    let order: Vec<StepRef> = changes.iter().map(|c| step(c)).collect();
    for step in &order {
        sink.emit(Event::StepStarted { step: step.clone() });
    }
    let result =
        deploy::install_controllers(&client, &rendered.objects, rollout_wait(input.time_scale))
            .await;
    let mut summary = Summary::default();
    report(result, &order, &changes, &mut summary, sink, started);
    Some((summary, changes.iter().map(|c| c.address.clone()).collect()))
}

/// Deploys the workload once the AWS side is in place: takes the facts from what AWS has (read
/// again unless the caller knows it), renders, diffs against the cluster for the steps, resolves
/// the secrets, applies, prunes and waits for the rollout. Every changed object not `reported`
/// already (by the controllers' phase, [`install_controllers`]) is a step in `sink`'s events and
/// in `summary`. The controllers are installed first only when some of theirs are among those
/// changes.
pub(crate) async fn deploy_after_aws(
    input: &DeployInput<'_>,
    reported: &std::collections::BTreeSet<Address>,
    summary: &mut Summary,
    sink: &EventSink,
) {
    let started = Instant::now();
    let bp = &input.loaded.blueprint;
    let name = &bp.metadata.name;
    let prepared = prepare(input, reported).await;
    let (workload, plan, client, values) = match prepared {
        Ok(Some(prepared)) => prepared,
        Ok(None) => return,
        Err((error, at)) => {
            let step = StepRef {
                address: Address::new(at),
                kind: ResourceKind::KubernetesObject,
                operation: Operation::Create,
                replacing: false,
            };
            fail(summary, sink, step, error, started);
            return;
        }
    };
    let changes: Vec<&Change> = unreported(&plan, reported);
    let order: Vec<StepRef> = changes.iter().map(|c| step(c)).collect();
    for step in &order {
        sink.emit(Event::StepStarted { step: step.clone() });
    }
    let wait = rollout_wait(input.time_scale);
    let result = if changes
        .iter()
        .any(|c| c.action != Action::Delete && is_controller_change(c))
    {
        deploy::deploy(&client, name, &workload, &values, wait).await
    } else {
        deploy::deploy_workload(&client, name, &workload, &values, wait).await
    };
    drop(values);
    report(result.map(|_| ()), &order, &changes, summary, sink, started);
}

/// The workload changes of `plan` not `reported` yet.
fn unreported<'p>(
    plan: &'p Plan,
    reported: &std::collections::BTreeSet<Address>,
) -> Vec<&'p Change> {
    workload_changes(plan)
        .into_iter()
        .filter(|c| !reported.contains(&c.address))
        .collect()
}

/// Reports how a deploy of `changes` (their steps in `order`, all started) ended: the step its
/// error belongs to failed, those after it skipped (a rollout that failed leaves the others
/// applied: they succeeded), every other succeeded.
fn report(
    result: Result<(), DeployError>,
    order: &[StepRef],
    changes: &[&Change],
    summary: &mut Summary,
    sink: &EventSink,
    started: Instant,
) {
    let ids: BTreeMap<Address, String> = changes
        .iter()
        .map(|c| {
            let id = c
                .after
                .as_ref()
                .map(object_id_of)
                .or_else(|| c.before.as_ref().map(object_id_of))
                .unwrap_or_default();
            (c.address.clone(), id)
        })
        .collect();
    let rollout = matches!(result, Err(DeployError::Rollout { .. }));
    let failed_at: Option<(usize, StepError)> = match &result {
        Ok(()) => None,
        Err(e) => Some(locate_failure(e, order, &ids, changes)),
    };
    for (i, step) in order.iter().enumerate() {
        match &failed_at {
            Some((at, error)) if *at == i => {
                fail(summary, sink, step.clone(), error.clone(), started);
            }
            Some((at, _)) if i > *at && !rollout => {
                let because = order[*at].address.clone();
                sink.emit(Event::StepSkipped {
                    step: step.clone(),
                    because: because.clone(),
                });
                summary.skipped.push(Skip {
                    step: step.clone(),
                    because,
                });
            }
            _ => {
                sink.emit(Event::StepSucceeded {
                    step: step.clone(),
                    elapsed: started.elapsed(),
                });
                summary.record_success(step);
            }
        }
    }
}

fn object_id_of(properties: &serde_json::Map<String, Value>) -> String {
    let text = |k: &str| properties.get(k).and_then(Value::as_str).unwrap_or("");
    format!(
        "{}/{}/{}/{}",
        text("apiVersion"),
        text("kind"),
        text("metadata.namespace"),
        text("metadata.name")
    )
}

/// Which step a deploy error belongs to: the object it names, the Deployment for a rollout, the
/// Secret for missing values; otherwise the first step.
fn locate_failure(
    error: &DeployError,
    order: &[StepRef],
    ids: &BTreeMap<Address, String>,
    changes: &[&Change],
) -> (usize, StepError) {
    let (code, index) = match error {
        DeployError::Api { what, .. } => (
            "KubernetesApiError",
            order.iter().position(|s| {
                ids.get(&s.address)
                    .is_some_and(|id| what.ends_with(id.as_str()))
            }),
        ),
        DeployError::Rollout { .. } => (
            "RolloutFailed",
            changes
                .iter()
                .position(|c| c.address.as_str().starts_with("workload.deployment[")),
        ),
        DeployError::Job { .. } => (
            "JobFailed",
            changes
                .iter()
                .position(|c| c.address.as_str().starts_with("workload.job[")),
        ),
        DeployError::MissingSecrets(_) => (
            "SecretUnresolved",
            changes
                .iter()
                .position(|c| c.address.as_str().starts_with("workload.secret[")),
        ),
        DeployError::Connect(_) => ("ClusterUnreachable", None),
        DeployError::Certificate(_) => ("CertificateFailed", None),
        DeployError::UnknownKind(_) => ("UnknownKind", None),
    };
    (
        index.unwrap_or(0),
        StepError::new(ErrorClass::Fatal, code, error.to_string()),
    )
}

fn fail(summary: &mut Summary, sink: &EventSink, step: StepRef, error: StepError, since: Instant) {
    sink.emit(Event::StepFailed {
        step: step.clone(),
        error: error.clone(),
        elapsed: since.elapsed(),
    });
    summary.failed.push(Failure {
        step,
        error,
        attempts: 1,
    });
}

type Prepared = (Workload, Plan, kube::Client, BTreeMap<String, String>);

/// Everything deploy needs, or the error and the address to report it at. `None`: nothing to do.
async fn prepare(
    input: &DeployInput<'_>,
    reported: &std::collections::BTreeSet<Address>,
) -> Result<Option<Prepared>, (StepError, String)> {
    let loaded = input.loaded;
    let bp = &loaded.blueprint;
    let at_cluster = |code: &str, message: String| {
        (
            StepError::new(ErrorClass::Fatal, code, message),
            "workload.deployment[shinyproxy]".to_string(),
        )
    };
    let read;
    let live = match input.live {
        Some(live) => live,
        None => {
            read = crate::aws::read(input.conn, &bp.metadata.name, &loaded.resources)
                .await
                .map_err(|e| at_cluster("ReadFailed", e.to_string()))?;
            &read
        }
    };
    let facts = facts(bp, input.conn, live);
    let Some(mut rendered) = workload::render(bp, &facts) else {
        return Ok(None);
    };
    let client = cluster_client(input.conn, input.target, live)
        .await
        .map_err(|e| at_cluster("ClusterUnreachable", e))?
        .ok_or_else(|| {
            at_cluster(
                "ClusterMissing",
                "the blueprint's EKS cluster does not exist".into(),
            )
        })?;
    // What the cluster has and the secrets' versions, asked together.
    let (listed, versioned) = tokio::join!(
        deploy::list_owned(&client, &bp.metadata.name),
        add_secret_versions(input.conn, bp, &facts, &mut rendered)
    );
    let objects = listed.map_err(|e| at_cluster("ClusterUnreachable", e.to_string()))?;
    versioned.map_err(|e| {
        (
            StepError::new(ErrorClass::Fatal, "SecretUnresolved", e),
            format!("workload.secret[{}]", workload::secrets::SECRET_NAME),
        )
    })?;
    // The version a changed pod template runs with: now, as the ShinyProxy operator does
    // (rollout.rs).
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    workload::rollout::stamp(&mut rendered.objects, &objects, now_ms);
    workload::usage_user::settle(&mut rendered.objects, &objects);
    let plan = full_plan(
        loaded,
        &live.observed,
        Some(&rendered),
        &ClusterState::Objects(objects),
    );
    if unreported(&plan, reported).is_empty() {
        return Ok(None);
    }
    let mut sources = secret_sources(bp, &facts);
    // The master credentials only when the usage-statistics user's Job runs.
    sources.extend(
        workload::usage_user::sources(&rendered.objects)
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string()))),
    );
    // Nothing the deploy's pods pull is missing from the blueprint's ECR (else they would sit in
    // ImagePullBackOff): checked before anything is applied, while the secrets are resolved (a
    // missing image is said first).
    let (checked, resolved) = tokio::join!(
        check_images(input, &facts, &rendered),
        crate::aws::secrets::resolve(input.conn, &sources)
    );
    checked?;
    let values = resolved.map_err(|e| {
        (
            StepError::new(ErrorClass::Fatal, "SecretUnresolved", e),
            format!("workload.secret[{}]", workload::secrets::SECRET_NAME),
        )
    })?;
    Ok(Some((rendered, plan, client, values)))
}

/// One `registry:` image the workload pulls from the blueprint's ECR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryImage {
    /// Where the blueprint says it (`proxy.image`, `proxy.apps[0].image`, ...).
    pub(crate) path: String,
    /// The repository's name in the blueprint (`registry.repositories[].name`).
    pub(crate) name: String,
    pub(crate) version: crate::blueprint::images::Version,
    /// Whether `shinyctl images mirror` copies it (its repository says `mirrorOf`).
    pub(crate) mirrored: bool,
}

impl RegistryImage {
    /// The image as the nodes pull it.
    pub(crate) fn uri(&self, bp: &Blueprint, facts: &PlatformFacts) -> String {
        format!(
            "{}/{}{}",
            facts.registry_host,
            Names::new(&bp.metadata.name).repository(&self.name),
            self.version.suffix()
        )
    }
}

/// The `registry:` images among `uses` (a `registry:NAME` without a tag is `:latest`, as the
/// workload renders it).
pub(crate) fn registry_images(
    bp: &Blueprint,
    uses: &[crate::blueprint::images::ImageUse],
) -> Vec<RegistryImage> {
    use crate::blueprint::images::Version;
    let mirrored: Vec<String> = crate::blueprint::images::mirror_copies(bp)
        .into_iter()
        .map(|c| c.repository)
        .collect();
    uses.iter()
        .filter_map(|u| {
            let (name, version) = u.in_registry()?;
            Some(RegistryImage {
                path: u.path.clone(),
                name: name.to_string(),
                version: version.unwrap_or_else(|| Version::Tag("latest".into())),
                mirrored: mirrored.iter().any(|m| m == name),
            })
        })
        .collect()
}

/// The images the deploy's own pods pull: ShinyProxy's, and the usage-statistics Job's when it
/// runs (apps' images are pulled later, when a user starts one).
fn deploy_pulls(bp: &Blueprint, objects: &[Value]) -> Vec<crate::blueprint::images::ImageUse> {
    let Some(proxy) = &bp.proxy else {
        return Vec::new();
    };
    let mut uses = vec![crate::blueprint::images::proxy_image(proxy)];
    if objects
        .iter()
        .any(|o| o["kind"] == "Job" && o["metadata"]["name"] == workload::usage_user::JOB_NAME)
    {
        uses.extend(crate::blueprint::images::usage_stats_user_image(bp));
    }
    uses
}

/// The sentence that says which images are missing from the blueprint's ECR and what to do.
pub(crate) fn missing_images_message(
    bp: &Blueprint,
    facts: &PlatformFacts,
    file: &str,
    missing: &[&RegistryImage],
) -> String {
    let mut text = String::from("not in the blueprint's ECR:");
    for image in missing {
        text.push_str(&format!(
            "
  {} ({})",
            image.uri(bp, facts),
            image.path
        ));
    }
    let mirror = missing.iter().any(|i| i.mirrored);
    let push: Vec<String> = missing
        .iter()
        .filter(|i| !i.mirrored)
        .map(|i| i.uri(bp, facts))
        .collect();
    if mirror {
        text.push_str(&format!(
            "
  copy the public images into it with `shinyctl images mirror -f {file}`"
        ));
    }
    if !push.is_empty() {
        text.push_str(&format!(
            "
  push {}",
            push.join(", ")
        ));
    }
    text
}

/// Stops the deploy before anything is applied when an image its pods pull from the blueprint's
/// ECR is not there (the pods would sit in ImagePullBackOff). The AWS side, the repositories among
/// it, is in place by now: the user mirrors (or pushes) and runs apply again.
async fn check_images(
    input: &DeployInput<'_>,
    facts: &PlatformFacts,
    rendered: &Workload,
) -> Result<(), (StepError, String)> {
    let bp = &input.loaded.blueprint;
    let wanted = registry_images(bp, &deploy_pulls(bp, &rendered.objects));
    if wanted.is_empty() {
        return Ok(());
    }
    let asked = ecr_images(bp, &wanted);
    let at = "workload.deployment[shinyproxy]".to_string();
    let presence = crate::aws::ecr_images::presence(input.conn, &asked)
        .await
        .map_err(|e| {
            (
                StepError::new(ErrorClass::Fatal, "ImageCheckFailed", e),
                at.clone(),
            )
        })?;
    let missing: Vec<&RegistryImage> = wanted
        .iter()
        .zip(&presence)
        .filter(|(_, p)| **p != Presence::There)
        .map(|(i, _)| i)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let message = format!(
        "the workload was not deployed: the images its pods pull are {}
  then run apply again",
        missing_images_message(bp, facts, &input.loaded.source.name, &missing)
    );
    Err((
        StepError::new(ErrorClass::Fatal, "ImageNotInRegistry", message),
        at,
    ))
}

/// Where each `registry:` image of the workload stands in the blueprint's ECR, as a live plan
/// asks beside its read (it needs none of the read's answers: a repository not there yet is
/// `NoRepository`); `None` without a proxy.
pub(crate) type AskedImages = Option<Result<Vec<(EcrImage, Presence)>, String>>;

fn ecr_images(bp: &Blueprint, wanted: &[RegistryImage]) -> Vec<EcrImage> {
    let names = Names::new(&bp.metadata.name);
    wanted
        .iter()
        .map(|i| EcrImage {
            repository: names.repository(&i.name),
            version: i.version.clone(),
        })
        .collect()
}

/// Asks ECR about every `registry:` image the workload uses (see [`AskedImages`]).
pub(crate) async fn ask_images(conn: &Connection, bp: &Blueprint) -> AskedImages {
    bp.proxy.as_ref()?;
    let wanted = registry_images(bp, &crate::blueprint::images::workload_images(bp));
    if wanted.is_empty() {
        return Some(Ok(Vec::new()));
    }
    let asked = ecr_images(bp, &wanted);
    Some(
        crate::aws::ecr_images::presence(conn, &asked)
            .await
            .map(|presence| asked.into_iter().zip(presence).collect()),
    )
}

/// For a live plan: a warning for each `registry:` image the workload uses whose repository
/// exists but lacks it. The answers come from [`ask_images`] beside the read; an image the
/// blueprint names only after the read (an unpinned proxy kept at the version it runs) is asked
/// now.
pub(crate) async fn image_notes(
    conn: &Connection,
    loaded: &Loaded,
    facts: &PlatformFacts,
    asked: AskedImages,
) -> Vec<crate::plan::Note> {
    let bp = &loaded.blueprint;
    let warning = |message: String| crate::plan::Note {
        level: crate::plan::NoteLevel::Warning,
        about: "proxy".into(),
        message,
        hint: None,
    };
    let wanted = registry_images(bp, &crate::blueprint::images::workload_images(bp));
    let images = ecr_images(bp, &wanted);
    let answered = match asked.unwrap_or_else(|| Ok(Vec::new())) {
        Ok(answered) => answered,
        Err(why) => {
            return vec![warning(format!(
                "could not ask ECR whether the workload's images are there ({why})"
            ))];
        }
    };
    let unasked: Vec<EcrImage> = images
        .iter()
        .filter(|i| !answered.iter().any(|(a, _)| a == *i))
        .cloned()
        .collect();
    let late = if unasked.is_empty() {
        Vec::new()
    } else {
        match crate::aws::ecr_images::presence(conn, &unasked).await {
            Ok(presence) => unasked.into_iter().zip(presence).collect(),
            Err(why) => {
                return vec![warning(format!(
                    "could not ask ECR whether the workload's images are there ({why})"
                ))];
            }
        }
    };
    let missing: Vec<&RegistryImage> = wanted
        .iter()
        .zip(&images)
        .filter(|(_, image)| {
            answered
                .iter()
                .chain(&late)
                .find(|(a, _)| a == *image)
                .is_some_and(|(_, p)| *p == Presence::Missing)
        })
        .map(|(i, _)| i)
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    vec![warning(format!(
        "images the workload pulls are {}
  apply stops before deploying ShinyProxy while its own image (or its usage-statistics Job's) is missing",
        missing_images_message(bp, facts, &loaded.source.name, &missing)
    ))]
}

/// Puts the current versions of the secrets the pods read on the Deployment's pod template
/// (`workload::rollout::SECRET_VERSIONS`), read from AWS without any value.
pub(crate) async fn add_secret_versions(
    conn: &Connection,
    bp: &Blueprint,
    facts: &PlatformFacts,
    rendered: &mut Workload,
) -> Result<(), String> {
    let sources = secret_sources(bp, facts);
    if sources.is_empty() {
        return Ok(());
    }
    let versions = crate::aws::secrets::versions(conn, &sources).await?;
    set_versions(rendered, &sources, &versions);
    Ok(())
}

/// The secrets' versions on the pod template, and the usage-statistics password's on the
/// fingerprint that decides whether its Job runs again.
fn set_versions(
    rendered: &mut Workload,
    sources: &BTreeMap<String, String>,
    versions: &BTreeMap<String, String>,
) {
    let keys: Vec<String> = sources.keys().cloned().collect();
    workload::rollout::set_secret_versions(&mut rendered.objects, &keys, versions);
    workload::usage_user::set_password_version(
        &mut rendered.objects,
        versions
            .get(workload::secrets::DATABASE_PASSWORD)
            .map(String::as_str),
    );
}

/// The current versions of the secrets ShinyProxy's pods read, asked beside the live read
/// rather than after it: which secrets they read is the blueprint's (`workload::secrets::needed`
/// asks the facts only whether there is a database, which the blueprint says), so the read's
/// answer is not needed to ask.
#[derive(Debug, Clone)]
pub(crate) struct SecretVersions {
    sources: BTreeMap<String, String>,
    versions: Result<BTreeMap<String, String>, String>,
}

impl Default for SecretVersions {
    fn default() -> Self {
        SecretVersions {
            sources: BTreeMap::new(),
            versions: Ok(BTreeMap::new()),
        }
    }
}

/// See [`SecretVersions`]; nothing is asked when the pods read no secret.
pub(crate) async fn secret_versions(conn: &Connection, bp: &Blueprint) -> SecretVersions {
    let sources = secret_sources(bp, &PlatformFacts::known_after_apply(bp));
    let versions = if sources.is_empty() {
        Ok(BTreeMap::new())
    } else {
        crate::aws::secrets::versions(conn, &sources).await
    };
    SecretVersions { sources, versions }
}

/// [`add_secret_versions`] with the versions asked beside the read (`asked`); they are asked
/// again only if the read's facts name other secrets than the blueprint did.
pub(crate) async fn add_asked_secret_versions(
    conn: &Connection,
    bp: &Blueprint,
    facts: &PlatformFacts,
    rendered: &mut Workload,
    asked: SecretVersions,
) -> Result<(), String> {
    let sources = secret_sources(bp, facts);
    if sources.is_empty() {
        return Ok(());
    }
    let versions = if sources == asked.sources {
        asked.versions?
    } else {
        crate::aws::secrets::versions(conn, &sources).await?
    };
    set_versions(rendered, &sources, &versions);
    Ok(())
}

fn secret_sources(bp: &Blueprint, facts: &PlatformFacts) -> BTreeMap<String, String> {
    bp.proxy
        .as_ref()
        .map(|proxy| {
            workload::secrets::needed(proxy, facts)
                .into_iter()
                .map(|s| (s.key, s.source))
                .collect()
        })
        .unwrap_or_default()
}

/// Destroy's first step: deletes every object shinyctl applied for the blueprint but the
/// controllers, waits until its Services and TargetGroupBindings are gone (so the LB controller has
/// deregistered what it made for them), then deletes the controllers. Returns the ids deleted, or
/// a sentence saying why the cluster was left alone.
pub(crate) async fn remove(
    conn: &Connection,
    target: &Target,
    blueprint: &str,
    live: &LiveState,
    time_scale: f64,
) -> Result<Vec<String>, String> {
    let client = match cluster_client(conn, target, live).await {
        Ok(Some(client)) => client,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => return Err(format!("the cluster is unreachable: {e}")),
    };
    let mut deleted = deploy::prune(&client, blueprint, &[], Keep::ListedAndControllers)
        .await
        .map_err(|e| e.to_string())?;
    let wait = rollout_wait(time_scale);
    let started = Instant::now();
    let mut polls = 0;
    loop {
        match deploy::any_left(&client, blueprint, &["Service", "TargetGroupBinding"]).await {
            Ok(false) => break,
            Ok(true) if started.elapsed() >= wait.timeout => {
                return Err(format!(
                    "its Service or TargetGroupBinding is still there after {} s",
                    wait.timeout.as_secs()
                ));
            }
            Ok(true) => {
                // The controllers' cleanup is looked at on the rollout's schedule.
                tokio::time::sleep(wait.schedule.delay(polls, started.elapsed())).await;
                polls += 1;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    // Nothing left for the controllers to manage: they go too.
    let controllers = deploy::prune(&client, blueprint, &[], Keep::Listed)
        .await
        .map_err(|e| e.to_string())?;
    deleted.extend(controllers);
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollout_waits_scale_but_stay_sensible() {
        let wait = rollout_wait(0.01);
        assert_eq!(wait.timeout, Duration::from_secs(30));
        // Looked at on the executor's schedule for a one-minute estimate, scaled.
        assert_eq!(wait.schedule.first, Duration::from_millis(240));
        assert_eq!(wait.schedule.near_interval, Duration::from_micros(7500));
        assert_eq!(rollout_wait(1.0).timeout, Duration::from_secs(600));
        assert_eq!(rollout_wait(f64::NAN).timeout, Duration::from_secs(600));
    }

    /// A live plan before AWS made the data stores shows `(known after apply)` where their
    /// endpoints and ids go, never the offline placeholders.
    #[test]
    fn a_live_plan_shows_known_after_apply_for_what_aws_assigns() {
        let loaded = crate::load::shipped("shinyproxy-eks.yaml");
        let bp = &loaded.blueprint;
        let nothing = LiveState {
            observed: ObservedState::empty(&bp.metadata.name, &bp.metadata.region),
            outputs: BTreeMap::new(),
            duplicates: Vec::new(),
        };
        let facts = facts_in(bp, "123456789012", &nothing);
        assert!(!facts.offline);
        assert!(
            facts
                .registry_host
                .starts_with("123456789012.dkr.ecr.cn-northwest-1.")
        );
        let rendered = workload::render(bp, &facts).expect("a proxy");
        let text = serde_json::to_string(&rendered.objects).unwrap();
        assert!(
            text.contains(crate::workload::facts::KNOWN_AFTER_APPLY),
            "{text}"
        );
        assert!(!text.contains("offline"), "{text}");
        assert!(
            !text.contains(crate::workload::facts::OFFLINE_ACCOUNT),
            "{text}"
        );
    }

    /// `blueprints/shinyproxy-eks.yaml`, its workload rendered offline and its plan on an empty
    /// account.
    fn first_plan_of_the_example() -> (Loaded, Option<Workload>, Plan) {
        let loaded = crate::load::shipped("shinyproxy-eks.yaml");
        let bp = &loaded.blueprint;
        let rendered = workload::render(bp, &PlatformFacts::placeholders(bp));
        let observed = ObservedState::empty(&bp.metadata.name, &bp.metadata.region);
        let plan = full_plan(
            &loaded,
            &observed,
            rendered.as_ref(),
            &ClusterState::NoCluster,
        );
        (loaded, rendered, plan)
    }

    #[test]
    fn the_aws_part_leaves_the_workload_out() {
        let (loaded, _, plan) = first_plan_of_the_example();
        let workload = workload_changes(&plan);
        assert!(
            workload
                .iter()
                .any(|c| c.address.as_str() == "workload.deployment[shinyproxy]")
        );
        assert!(workload.iter().all(|c| c.action == Action::Create));
        let aws = aws_part(&plan);
        assert_eq!(aws.changes.len(), plan.changes.len() - workload.len());
        assert!(crate::apply::Schedule::from_plan(&aws, &loaded.resources, false).is_ok());
    }

    /// The controllers wait for the cluster, where they run, DNS, what they are rendered from
    /// and what that depends on, never for the data stores or what ShinyProxy alone needs.
    #[test]
    fn the_controllers_need_the_cluster_its_compute_and_their_role_only() {
        let loaded = crate::load::shipped("shinyproxy-eks.yaml");
        let need = controllers_need(&loaded);
        let has = |a: &str| need.contains(&Address::new(a));
        for wanted in [
            "cluster.eks_cluster",
            "cluster.node_group[proxy]",
            "cluster.fargate_profile[apps]",
            "cluster.iam_role.load_balancer_controller",
            "cluster.iam_oidc_provider",
            "cluster.security_group_rule[nodes_from_cluster_https]",
            "network.route.private_default[a]",
            "network.vpc",
        ] {
            assert!(has(wanted), "{wanted} in {need:?}");
        }
        for unwanted in [
            "database.db_cluster",
            "cache.cache_replication_group",
            "cluster.eks_addon[aws-efs-csi-driver]",
            "storage.efs_file_system",
            "ingress.target_group",
            "ingress.load_balancer",
            "monitoring.canary[login]",
        ] {
            assert!(!has(unwanted), "{unwanted} in {need:?}");
        }
        // Every need is a resource of the plan.
        assert!(
            need.iter()
                .all(|a| loaded.resources.iter().any(|r| &r.address == a))
        );
    }

    /// On a cluster without nodes (seed 004), CoreDNS runs once its add-on moved it to Fargate:
    /// the controllers wait for the add-on and the Fargate profiles, not for EFS or the database.
    #[test]
    fn on_fargate_alone_the_controllers_need_the_coredns_add_on() {
        let loaded = crate::load::shipped("dolphinscheduler-fargate.yaml");
        let addon = loaded
            .resources
            .iter()
            .find(|r| {
                r.kind == ResourceKind::EksAddon
                    && r.properties.get("addonName").and_then(Value::as_str) == Some("coredns")
            })
            .expect("CoreDNS's add-on on a Fargate-only cluster");
        let need = controllers_need(&loaded);
        assert!(need.contains(&addon.address), "{need:?}");
        for profile in loaded
            .resources
            .iter()
            .filter(|r| r.kind == ResourceKind::FargateProfile)
        {
            assert!(need.contains(&profile.address), "{need:?}");
        }
        assert!(
            !need
                .iter()
                .any(|a| a.as_str().starts_with("storage.") || a.as_str().starts_with("database.")),
            "{need:?}"
        );
    }

    #[test]
    fn the_controllers_phase_makes_their_created_and_updated_objects_only() {
        let (_, rendered, plan) = first_plan_of_the_example();
        let planned: Vec<Change> = workload_changes(&plan).into_iter().cloned().collect();
        let early = controller_changes(&planned);
        let addresses: Vec<&str> = early.iter().map(|c| c.address.as_str()).collect();
        assert!(
            addresses.contains(&"workload.deployment[aws-load-balancer-controller]"),
            "{addresses:?}"
        );
        assert!(!addresses.contains(&"workload.deployment[shinyproxy]"));
        assert!(
            !addresses
                .iter()
                .any(|a| a.starts_with("workload.target_group_binding"))
        );
        let controllers = rendered
            .unwrap()
            .objects
            .iter()
            .filter(|o| workload::controllers::is_controller(o))
            .count();
        assert_eq!(early.len(), controllers);
        // One the blueprint no longer has goes with the rest, after what it manages.
        let mut gone = early[0].clone();
        gone.action = Action::Delete;
        gone.before = gone.after.take();
        assert!(controller_changes(&[gone]).is_empty());
    }
}

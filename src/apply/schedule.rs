//! From a Plan to the graph of steps the executor walks.
//!
//! Each change becomes one step, except a replace, which becomes two: delete the old resource,
//! then create the new one. If resource R depends on D:
//! - R's create/update waits for D's create/update (D must exist first);
//! - D's delete waits for R's delete (R must be gone before what it uses goes);
//! - a replaced resource's create waits for its own delete.
//!
//! A resource the catalog no longer describes (removed from the blueprint) has no catalog
//! dependencies; its observed properties name them instead, as the live reader maps ids back to
//! addresses (`"vpc": "network.vpc"`, `${address#attribute}` in strings). Its delete is ordered
//! like any other by those references: the subnet's delete goes before its VPC's, rather than
//! the VPC's delete waiting out `DependencyViolation` retries.
//!
//! No-op changes are no steps: what dependents need from them (ids, ARNs) comes from the observed
//! state the caller hands to the executor.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

#[cfg(test)]
use crate::graph::CriticalPath;
use crate::graph::{Cycle, Dag, Walk};
use crate::plan::catalog::embedded;
use crate::plan::{Action, Address, Change, Plan, PropertyChange, Resource, ResourceKind};

/// What one step does to AWS. A replace is a `Delete` step and a `Create` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

impl Operation {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A step's key in the execution graph: one resource and what is done to it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepId {
    pub(crate) address: Address,
    pub(crate) operation: Operation,
}

impl fmt::Display for StepId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.address, self.operation)
    }
}

/// How events and summaries name a step: enough to display it without the schedule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StepRef {
    pub address: Address,
    pub(crate) kind: ResourceKind,
    pub(crate) operation: Operation,
    /// This step is one half of a replacement.
    pub(crate) replacing: bool,
}

impl StepRef {
    pub(crate) fn id(&self) -> StepId {
        StepId {
            address: self.address.clone(),
            operation: self.operation,
        }
    }
}

/// One unit of work for the operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub(crate) address: Address,
    pub(crate) kind: ResourceKind,
    /// The AWS name (desired for creates and updates, observed for deletes).
    pub(crate) name: String,
    pub(crate) operation: Operation,
    /// One half of a replacement.
    pub(crate) replacing: bool,
    /// Desired properties (creates and updates).
    pub(crate) desired: Option<Map<String, Value>>,
    /// Observed properties (updates and deletes).
    pub(crate) observed: Option<Map<String, Value>>,
    /// What differs, for updates and replacements.
    pub(crate) changes: Vec<PropertyChange>,
    /// The resources this one uses; their outputs are handed to the operator.
    pub(crate) depends_on: Vec<Address>,
}

impl Step {
    pub(crate) fn id(&self) -> StepId {
        StepId {
            address: self.address.clone(),
            operation: self.operation,
        }
    }

    pub(crate) fn as_ref(&self) -> StepRef {
        StepRef {
            address: self.address.clone(),
            kind: self.kind,
            operation: self.operation,
            replacing: self.replacing,
        }
    }
}

/// Why a plan cannot be executed.
#[derive(Debug, Clone, PartialEq)]
pub enum ScheduleError {
    /// The plan deletes or replaces data-holding resources and the caller did not allow it.
    DataLoss(Vec<Address>),
    /// The steps' dependencies form a cycle (the load pipeline should have refused it earlier).
    Cycle(Cycle<StepId>),
    /// The plan restarts a whole cluster at once and the caller did not allow it.
    ClusterRestart(Vec<crate::plan::document::ClusterRestart>),
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::DataLoss(addresses) => {
                let list: Vec<&str> = addresses.iter().map(Address::as_str).collect();
                write!(
                    f,
                    "this plan would delete data held by {}; pass --allow-data-loss to proceed",
                    list.join(", ")
                )
            }
            ScheduleError::Cycle(cycle) => write!(f, "the steps depend on each other: {cycle}"),
            ScheduleError::ClusterRestart(restarts) => {
                let list: Vec<&str> = restarts.iter().map(|r| r.address.as_str()).collect();
                write!(
                    f,
                    "this plan restarts a whole cluster at once ({}); pass --allow-cluster-restart to proceed",
                    list.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ScheduleError {}

/// The steps of a plan and the order constraints between them. Step `i` is graph node `i`.
#[derive(Debug, Clone)]
pub struct Schedule {
    steps: Vec<Step>,
    graph: Dag<StepId>,
}

impl Schedule {
    /// Refuses a plan that restarts a whole cluster at once (`Plan::cluster_restarts`) unless
    /// the caller allowed it: such a change signs every user out or suspends every session.
    pub(crate) fn check_restarts(
        plan: &Plan,
        allow_cluster_restart: bool,
    ) -> Result<(), ScheduleError> {
        if allow_cluster_restart || plan.cluster_restarts.is_empty() {
            return Ok(());
        }
        Err(ScheduleError::ClusterRestart(plan.cluster_restarts.clone()))
    }

    /// Schedules `plan`, taking dependencies from `resources` (the catalog's desired resources; for
    /// a destroy, the catalog of what is being destroyed). Refuses data loss unless allowed.
    ///
    /// A delete of something the catalog no longer describes is ordered by the references in its
    /// observed properties. If those form a cycle (stale or mutual references), they are dropped
    /// and such deletes are not ordered: AWS refuses one while a dependent still exists
    /// (`DependencyViolation`) and the executor retries it as a conflict until the dependent's
    /// own delete has gone through.
    pub fn from_plan(
        plan: &Plan,
        resources: &[Resource],
        allow_data_loss: bool,
    ) -> Result<Schedule, ScheduleError> {
        if !allow_data_loss && !plan.data_loss.is_empty() {
            return Err(ScheduleError::DataLoss(plan.data_loss.clone()));
        }
        let dependencies: HashMap<&Address, &Vec<Address>> = resources
            .iter()
            .map(|r| (&r.address, &r.depends_on))
            .collect();
        let steps = expand(&plan.changes, |address| {
            dependencies
                .get(address)
                .map(|deps| deps.to_vec())
                .unwrap_or_default()
        });
        let removed = removed_references(&plan.changes, |a| dependencies.contains_key(a));
        let drained = routed_away(&plan.changes);
        if removed.is_empty() && drained.is_empty() {
            return Schedule::from_steps(steps);
        }
        match Schedule::ordered(steps.clone(), &removed, &drained) {
            Err(ScheduleError::Cycle(_)) => Schedule::from_steps(steps),
            scheduled => scheduled,
        }
    }

    /// Schedules `changes`; `depends_on` gives each resource's dependencies (addresses).
    #[cfg(test)]
    pub(crate) fn new(
        changes: &[Change],
        depends_on: impl Fn(&Address) -> Vec<Address>,
    ) -> Result<Schedule, ScheduleError> {
        Schedule::from_steps(expand(changes, depends_on))
    }

    /// Orders already expanded steps by the rules in the module documentation.
    pub(crate) fn from_steps(steps: Vec<Step>) -> Result<Schedule, ScheduleError> {
        Schedule::ordered(steps, &HashMap::new(), &HashMap::new())
    }

    /// [`Schedule::from_steps`], with `removed` giving, for deletes of resources the catalog no
    /// longer describes, the resources their observed properties refer to: each of those
    /// resources' deletes waits for theirs, as if they depended on it; and `drained` giving, for
    /// a delete, the updates it waits for (`routed_away`).
    fn ordered(
        steps: Vec<Step>,
        removed: &HashMap<Address, Vec<Address>>,
        drained: &HashMap<Address, Vec<Address>>,
    ) -> Result<Schedule, ScheduleError> {
        let mut graph = Dag::new();
        for step in &steps {
            graph.add_node(step.id());
        }
        // Where each resource is built (create/update) and torn down (delete).
        let mut builds: HashMap<&Address, StepId> = HashMap::new();
        let mut teardowns: HashMap<&Address, StepId> = HashMap::new();
        for step in &steps {
            match step.operation {
                Operation::Create | Operation::Update => builds.insert(&step.address, step.id()),
                Operation::Delete => teardowns.insert(&step.address, step.id()),
            };
        }
        for step in &steps {
            let id = step.id();
            match step.operation {
                Operation::Create | Operation::Update => {
                    for dependency in &step.depends_on {
                        if let Some(build) = builds.get(dependency) {
                            graph.add_dependency(id.clone(), build.clone());
                        }
                    }
                    if let Some(own_delete) = teardowns.get(&step.address) {
                        graph.add_dependency(id.clone(), own_delete.clone());
                    }
                }
                Operation::Delete => {
                    let observed = removed.get(&step.address).into_iter().flatten();
                    for dependency in step.depends_on.iter().chain(observed) {
                        if let Some(dependency_delete) = teardowns.get(dependency) {
                            graph.add_dependency(dependency_delete.clone(), id.clone());
                        }
                    }
                    for update in drained.get(&step.address).into_iter().flatten() {
                        if let Some(build) = builds.get(update) {
                            graph.add_dependency(id.clone(), build.clone());
                        }
                    }
                }
            }
        }
        for (before, after) in rolling_edges(&steps) {
            graph.add_dependency(after, before);
        }
        if let Some(cycle) = graph.find_cycle() {
            return Err(ScheduleError::Cycle(cycle));
        }
        Ok(Schedule { steps, graph })
    }

    pub(crate) fn steps(&self) -> &[Step] {
        &self.steps
    }

    pub(crate) fn len(&self) -> usize {
        self.steps.len()
    }

    #[cfg(test)]
    pub(crate) fn step(&self, id: &StepId) -> Option<&Step> {
        self.graph.index_of(id).map(|i| &self.steps[i])
    }

    /// Indices of the steps step `index` waits for.
    pub(crate) fn prerequisites(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph.dependency_indices(index)
    }

    /// Indices of the steps that wait for step `index`.
    pub(crate) fn followers(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph.dependent_indices(index)
    }

    /// A fresh walk over the steps (graph node `i` is step `i`): the executor's bookkeeping of
    /// what is ready, running, done or skipped.
    pub(crate) fn walk(&self) -> Walk {
        Walk::new(&self.graph)
    }

    /// The steps that must finish before `id` may start, directly.
    #[cfg(test)]
    pub(crate) fn waits_for(&self, id: &StepId) -> Vec<&StepId> {
        self.graph.dependencies(id)
    }

    /// For each step, the seconds from its start to the end of the slowest chain it begins: its
    /// own estimate plus the longest tail among the steps that wait for it. The executor serves
    /// the longest tails first when steps queue for a slot.
    pub(crate) fn tails(&self, estimate: impl Fn(&Step) -> f64) -> Vec<f64> {
        // Followers before the steps they wait for: Kahn's order on followers, reversed.
        let n = self.steps.len();
        let mut waiting: Vec<usize> = (0..n).map(|i| self.prerequisites(i).count()).collect();
        let mut order: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
        let mut next = 0;
        while next < order.len() {
            let i = order[next];
            next += 1;
            for f in self.followers(i) {
                waiting[f] -= 1;
                if waiting[f] == 0 {
                    order.push(f);
                }
            }
        }
        let mut tails = vec![0.0; n];
        for &i in order.iter().rev() {
            let own = estimate(&self.steps[i]);
            let own = if own.is_finite() { own.max(0.0) } else { 0.0 };
            let after = self.followers(i).map(|f| tails[f]).fold(0.0, f64::max);
            tails[i] = own + after;
        }
        tails
    }

    /// The slowest chain of steps given per-step durations in seconds: with unlimited parallelism,
    /// the makespan of the whole apply.
    #[cfg(test)]
    pub(crate) fn critical_path(&self, estimate: impl Fn(&Step) -> f64) -> CriticalPath<StepId> {
        let by_id: BTreeMap<&StepId, &Step> = self
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| (self.graph.node(i), s))
            .collect();
        self.graph
            .critical_path(|id| by_id.get(id).map_or(0.0, |s| estimate(s)))
            // from_steps refused cycles, so this cannot fail; an empty path is the safe answer.
            .unwrap_or(CriticalPath {
                total: 0.0,
                chain: Vec::new(),
            })
    }

    /// The makespan with at most `parallelism` steps at once: a list-scheduling simulation that
    /// starts ready steps in schedule order whenever a slot is free (what the executor does,
    /// without rate limits, retries or serialisations). Lets benchmarks compare parallelism
    /// settings (e.g. Terraform's 10) on the same plan.
    #[cfg(test)]
    pub(crate) fn simulated_makespan(
        &self,
        estimate: impl Fn(&Step) -> f64,
        parallelism: usize,
    ) -> f64 {
        let parallelism = parallelism.max(1);
        let duration: Vec<f64> = self
            .steps
            .iter()
            .map(|s| {
                let x = estimate(s);
                if x.is_finite() && x > 0.0 { x } else { 0.0 }
            })
            .collect();
        let mut waiting: Vec<usize> = (0..self.len())
            .map(|i| self.prerequisites(i).count())
            .collect();
        let mut ready: std::collections::BTreeSet<usize> =
            (0..self.len()).filter(|&i| waiting[i] == 0).collect();
        // Running steps as (finish time, index).
        let mut running: Vec<(f64, usize)> = Vec::new();
        let mut now = 0.0_f64;
        loop {
            while running.len() < parallelism {
                let Some(i) = ready.pop_first() else { break };
                running.push((now + duration[i], i));
            }
            // The next step to finish (ties by index, so the simulation is deterministic).
            let Some(next) = (0..running.len()).min_by(|&a, &b| {
                running[a]
                    .0
                    .total_cmp(&running[b].0)
                    .then(running[a].1.cmp(&running[b].1))
            }) else {
                break;
            };
            let (finish, i) = running.swap_remove(next);
            now = finish;
            for follower in self.followers(i) {
                waiting[follower] -= 1;
                if waiting[follower] == 0 {
                    ready.insert(follower);
                }
            }
        }
        now
    }
}

/// Each change as its steps (none for a no-op, delete and create for a replace), in plan order.
fn expand(changes: &[Change], depends_on: impl Fn(&Address) -> Vec<Address>) -> Vec<Step> {
    let mut steps = Vec::new();
    for change in changes {
        let deps = depends_on(&change.address);
        let step = |operation, replacing| Step {
            address: change.address.clone(),
            kind: change.kind,
            name: change.name.clone(),
            operation,
            replacing,
            desired: change.after.clone(),
            observed: change.before.clone(),
            changes: change.changes.clone(),
            depends_on: deps.clone(),
        };
        match change.action {
            Action::NoOp => {}
            Action::Create => steps.push(step(Operation::Create, false)),
            Action::Update => steps.push(step(Operation::Update, false)),
            Action::Delete => steps.push(step(Operation::Delete, false)),
            Action::Replace => {
                let mut delete = step(Operation::Delete, true);
                delete.desired = None;
                steps.push(delete);
                let mut create = step(Operation::Create, true);
                create.observed = None;
                steps.push(create);
            }
        }
    }
    steps
}

/// The order a rolling replacement adds (kinds with `rolls_by`, `plan::kind`): replaced resources
/// of one kind with the same `rolls_by` value go one at a time, in address order. The next one's
/// teardown — its own delete and the deletes of what uses it (a server's target-group
/// registration: drained first) — waits until the one before is back: its create and the
/// creates and updates of what uses it (its registration, which waits until it is healthy).
/// `(before, after)`: `after` waits for `before`.
fn rolling_edges(steps: &[Step]) -> Vec<(StepId, StepId)> {
    let mut rolls: BTreeMap<(ResourceKind, String), BTreeSet<&Address>> = BTreeMap::new();
    for step in steps
        .iter()
        .filter(|s| s.replacing && s.operation == Operation::Create)
    {
        let Some(key) = step.kind.spec().rolls_by else {
            continue;
        };
        let value = step
            .desired
            .as_ref()
            .and_then(|p| p.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default();
        rolls
            .entry((step.kind, value.to_string()))
            .or_default()
            .insert(&step.address);
    }
    let users = |address: &Address, operations: &[Operation]| -> Vec<StepId> {
        steps
            .iter()
            .filter(|s| operations.contains(&s.operation) && s.depends_on.contains(address))
            .map(Step::id)
            .collect()
    };
    let mut edges = Vec::new();
    for members in rolls.values() {
        let members: Vec<&&Address> = members.iter().collect();
        for pair in members.windows(2) {
            let (previous, next) = (*pair[0], *pair[1]);
            let mut back = users(previous, &[Operation::Create, Operation::Update]);
            back.push(StepId {
                address: previous.clone(),
                operation: Operation::Create,
            });
            let mut teardown = users(next, &[Operation::Delete]);
            teardown.push(StepId {
                address: next.clone(),
                operation: Operation::Delete,
            });
            for before in &back {
                for after in &teardown {
                    edges.push((before.clone(), after.clone()));
                }
            }
        }
    }
    edges
}

/// Traffic goes first: for each delete, the updates that stop referring to a resource this plan
/// deletes which the deleted resource's observed properties also refer to. Removing an ECS
/// service behind a path, the listener rule that forwarded to its target group is rewritten for
/// another route (rules are known by priority) before the service goes, so its last requests are
/// not answered by a service being torn down; the same for a server group's registrations.
fn routed_away(changes: &[Change]) -> HashMap<Address, Vec<Address>> {
    let deleted: HashSet<&str> = changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.address.as_str())
        .collect();
    // Per update, the deleted resources it stops referring to.
    let let_go: Vec<(&Address, BTreeSet<String>)> = changes
        .iter()
        .filter(|c| c.action == Action::Update)
        .filter_map(|c| {
            let before = references(c.before.as_ref()?, &deleted, &c.address);
            let after = references(c.after.as_ref()?, &deleted, &c.address);
            let gone: BTreeSet<String> = before.difference(&after).cloned().collect();
            (!gone.is_empty()).then_some((&c.address, gone))
        })
        .collect();
    let mut drained: HashMap<Address, Vec<Address>> = HashMap::new();
    if let_go.is_empty() {
        return drained;
    }
    for change in changes.iter().filter(|c| c.action == Action::Delete) {
        let Some(observed) = &change.before else {
            continue;
        };
        let served = references(observed, &deleted, &change.address);
        for (update, gone) in &let_go {
            if !served.is_disjoint(gone) {
                drained
                    .entry(change.address.clone())
                    .or_default()
                    .push((*update).clone());
            }
        }
    }
    drained
}

/// The addresses among `candidates` (but `own`) that `properties` refer to outside `tags`: a
/// string that is an address, an address with an attribute, or that embeds `${address...}`.
fn references(
    properties: &Map<String, Value>,
    candidates: &HashSet<&str>,
    own: &Address,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut note = |candidate: &str| {
        if candidate != own.as_str() && candidates.contains(candidate) {
            found.insert(candidate.to_string());
        }
    };
    for (_, value) in properties.iter().filter(|(key, _)| *key != "tags") {
        visit_strings(value, &mut |text, is_key| {
            if !is_key {
                note(text.split_once('#').map_or(text, |(address, _)| address));
            }
            for reference in embedded::references_in(text) {
                note(reference.address);
            }
        });
    }
    found
}

/// For each delete of a resource `described` does not know (gone from the blueprint), the other
/// resources this plan deletes that its observed properties refer to: a string that is an
/// address (`"network.vpc"`), an address with an attribute (`"cluster.eks#arn"`), or that embeds
/// `${address}` / `${address#attribute}` (see `plan::catalog::embedded`), in values and keys —
/// outside `tags`. Addresses sorted, each once.
fn removed_references(
    changes: &[Change],
    described: impl Fn(&Address) -> bool,
) -> HashMap<Address, Vec<Address>> {
    let deleted: HashSet<&str> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .map(|c| c.address.as_str())
        .collect();
    let mut removed = HashMap::new();
    for change in changes {
        if change.action != Action::Delete || described(&change.address) {
            continue;
        }
        let Some(observed) = &change.before else {
            continue;
        };
        // Tags are the user's text: the reader turns no ids into addresses there.
        let found = references(observed, &deleted, &change.address);
        if !found.is_empty() {
            removed.insert(
                change.address.clone(),
                found.into_iter().map(Address::new).collect(),
            );
        }
    }
    removed
}

/// Calls `f` with every string in `value`, and whether it is an object key.
fn visit_strings(value: &Value, f: &mut impl FnMut(&str, bool)) {
    match value {
        Value::String(text) => f(text, false),
        Value::Array(items) => items.iter().for_each(|item| visit_strings(item, f)),
        Value::Object(map) => map.iter().for_each(|(key, item)| {
            f(key, true);
            visit_strings(item, f);
        }),
        _ => {}
    }
}

/// Typical seconds a step takes, from the kind's published estimates. Updates in place are mostly
/// quick API calls; a tenth of the creation time (at least a second) stands in for the few that
/// wait (node-group scaling, parameter changes).
pub fn default_estimate(step: &Step) -> f64 {
    match step.operation {
        Operation::Create => step.kind.create_seconds(),
        Operation::Delete => step.kind.delete_seconds(),
        Operation::Update => (step.kind.create_seconds() / 10.0).max(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(address: &str, kind: ResourceKind, action: Action) -> Change {
        Change {
            address: Address::new(address),
            kind,
            name: address.to_string(),
            action,
            before: (action != Action::Create).then(Map::new),
            after: (action != Action::Delete).then(Map::new),
            changes: Vec::new(),
            holds_data: kind.holds_data(),
            replaced_because: None,
        }
    }

    fn deps<'a>(edges: &'a [(&'a str, &'a str)]) -> impl Fn(&Address) -> Vec<Address> + 'a {
        move |address| {
            edges
                .iter()
                .filter(|(from, _)| *from == address.as_str())
                .map(|(_, to)| Address::new(*to))
                .collect()
        }
    }

    fn id(address: &str, operation: Operation) -> StepId {
        StepId {
            address: Address::new(address),
            operation,
        }
    }

    #[test]
    fn a_whole_cluster_restart_needs_its_flag() {
        let mut plan =
            crate::plan::diff(&[], &crate::plan::ObservedState::empty("demo", "eu-west-1"));
        assert!(Schedule::check_restarts(&plan, false).is_ok());
        plan.cluster_restarts
            .push(crate::plan::document::ClusterRestart {
                address: Address::new("servers.ssm_document[rsw-workbench]"),
                what: "every server restarts".into(),
            });
        let refused = Schedule::check_restarts(&plan, false).unwrap_err();
        assert!(
            refused.to_string().contains("--allow-cluster-restart"),
            "{refused}"
        );
        assert!(Schedule::check_restarts(&plan, true).is_ok());
    }

    #[test]
    fn creates_follow_dependencies() {
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::Create),
            change("subnet", ResourceKind::Subnet, Action::Create),
            change("nat", ResourceKind::NatGateway, Action::Create),
        ];
        let s = Schedule::new(&changes, deps(&[("subnet", "vpc"), ("nat", "subnet")]))
            .expect("acyclic");
        assert_eq!(s.len(), 3);
        assert_eq!(
            s.waits_for(&id("nat", Operation::Create)),
            [&id("subnet", Operation::Create)]
        );
        assert!(s.waits_for(&id("vpc", Operation::Create)).is_empty());
    }

    #[test]
    fn deletes_run_in_reverse_dependency_order() {
        let changes = [
            change("nat", ResourceKind::NatGateway, Action::Delete),
            change("subnet", ResourceKind::Subnet, Action::Delete),
            change("vpc", ResourceKind::Vpc, Action::Delete),
        ];
        let s = Schedule::new(&changes, deps(&[("subnet", "vpc"), ("nat", "subnet")]))
            .expect("acyclic");
        assert_eq!(
            s.waits_for(&id("vpc", Operation::Delete)),
            [&id("subnet", Operation::Delete)]
        );
        assert_eq!(
            s.waits_for(&id("subnet", Operation::Delete)),
            [&id("nat", Operation::Delete)]
        );
        assert!(s.waits_for(&id("nat", Operation::Delete)).is_empty());
    }

    /// A server group's new instance type: its servers are replaced one at a time, each drained
    /// (its registration deleted) only once the one before is back in its target group; another
    /// group's servers roll on their own.
    #[test]
    fn replaced_servers_of_one_template_roll_one_at_a_time() {
        let server = |address: &str, template: &str| {
            let mut c = change(address, ResourceKind::Ec2Instance, Action::Replace);
            c.after = Some(
                serde_json::json!({ "launchTemplate": template })
                    .as_object()
                    .unwrap()
                    .clone(),
            );
            c
        };
        let changes = [
            server("a1", "lt-app"),
            server("b1", "lt-app"),
            server("c1", "lt-app"),
            server("x1", "lt-other"),
            change(
                "reg-a1",
                ResourceKind::TargetGroupAttachment,
                Action::Replace,
            ),
            change(
                "reg-b1",
                ResourceKind::TargetGroupAttachment,
                Action::Replace,
            ),
            change(
                "reg-c1",
                ResourceKind::TargetGroupAttachment,
                Action::Replace,
            ),
        ];
        let s = Schedule::new(
            &changes,
            deps(&[("reg-a1", "a1"), ("reg-b1", "b1"), ("reg-c1", "c1")]),
        )
        .expect("acyclic");
        let waits = |address: &str, operation| {
            let mut w: Vec<String> = s
                .waits_for(&id(address, operation))
                .iter()
                .map(|i| i.to_string())
                .collect();
            w.sort();
            w
        };
        assert_eq!(
            waits("reg-b1", Operation::Delete),
            ["a1 (create)", "reg-a1 (create)"],
            "b1 is drained once a1 is back in its target group"
        );
        assert_eq!(
            waits("b1", Operation::Delete),
            ["a1 (create)", "reg-a1 (create)", "reg-b1 (delete)"]
        );
        assert_eq!(
            waits("c1", Operation::Delete),
            ["b1 (create)", "reg-b1 (create)", "reg-c1 (delete)"]
        );
        assert!(waits("a1", Operation::Delete) == ["reg-a1 (delete)"]);
        assert!(
            waits("x1", Operation::Delete).is_empty(),
            "another template's server rolls alone"
        );
    }

    #[test]
    fn replace_expands_to_delete_then_create_around_its_dependents() {
        // The subnet is replaced; the NAT gateway in it too; the VPC stays.
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::NoOp),
            change("subnet", ResourceKind::Subnet, Action::Replace),
            change("nat", ResourceKind::NatGateway, Action::Replace),
        ];
        let s = Schedule::new(&changes, deps(&[("subnet", "vpc"), ("nat", "subnet")]))
            .expect("acyclic");
        assert_eq!(s.len(), 4, "no step for the no-op, two per replace");
        let subnet_delete = s.step(&id("subnet", Operation::Delete)).expect("step");
        assert!(subnet_delete.replacing && subnet_delete.desired.is_none());
        // nat delete -> subnet delete -> subnet create -> nat create.
        assert_eq!(
            s.waits_for(&id("subnet", Operation::Delete)),
            [&id("nat", Operation::Delete)]
        );
        assert_eq!(
            s.waits_for(&id("subnet", Operation::Create)),
            [&id("subnet", Operation::Delete)]
        );
        assert_eq!(
            s.waits_for(&id("nat", Operation::Create)),
            [
                &id("nat", Operation::Delete),
                &id("subnet", Operation::Create)
            ]
        );
    }

    /// A delete of a resource gone from the blueprint, observed with `properties`.
    fn removed(address: &str, kind: ResourceKind, properties: Value) -> Change {
        let mut change = change(address, kind, Action::Delete);
        change.before = properties.as_object().cloned();
        change
    }

    fn catalog_resource(address: &str, kind: ResourceKind, depends_on: &[&str]) -> Resource {
        Resource {
            address: Address::new(address),
            kind,
            name: address.to_string(),
            properties: Map::new(),
            depends_on: depends_on.iter().map(|a| Address::new(*a)).collect(),
            origin: String::new(),
            restarts: None,
        }
    }

    #[test]
    fn removed_resources_are_deleted_in_the_order_their_observed_references_give() {
        use serde_json::json;
        // Nothing of the network is in the catalog any more: only what was observed orders it.
        let plan = Plan::of(vec![
            removed(
                "network.vpc",
                ResourceKind::Vpc,
                json!({"cidr": "10.0.0.0/16"}),
            ),
            removed(
                "network.subnet.a",
                ResourceKind::Subnet,
                json!({"vpc": "network.vpc", "cidr": "10.0.1.0/24"}),
            ),
            removed(
                "network.nat.a",
                ResourceKind::NatGateway,
                json!({"subnet": "network.subnet.a", "allocation": "network.eip.a#allocationId"}),
            ),
            removed("network.eip.a", ResourceKind::ElasticIp, json!({})),
        ]);
        let s = Schedule::from_plan(&plan, &[], false).expect("acyclic");
        assert_eq!(
            s.waits_for(&id("network.vpc", Operation::Delete)),
            [&id("network.subnet.a", Operation::Delete)]
        );
        assert_eq!(
            s.waits_for(&id("network.subnet.a", Operation::Delete)),
            [&id("network.nat.a", Operation::Delete)]
        );
        assert_eq!(
            s.waits_for(&id("network.eip.a", Operation::Delete)),
            [&id("network.nat.a", Operation::Delete)],
            "an address#attribute reference counts"
        );
        assert!(
            s.waits_for(&id("network.nat.a", Operation::Delete))
                .is_empty()
        );
        // The operator's inputs are unchanged: observed references only order.
        assert!(s.steps().iter().all(|step| step.depends_on.is_empty()));
    }

    #[test]
    fn a_removed_service_goes_after_the_rule_that_routed_to_it_is_rewritten() {
        use serde_json::json;
        let mut rule = change(
            "ecs.listener_rule[app_80]",
            ResourceKind::ListenerRule,
            Action::Update,
        );
        rule.before = json!({"action": {"forward": "ecs.target_group[reports]"}})
            .as_object()
            .cloned();
        rule.after = json!({"action": {"forward": "ecs.target_group[app]"}})
            .as_object()
            .cloned();
        let plan = Plan::of(vec![
            rule,
            removed(
                "ecs.ecs_service[reports]",
                ResourceKind::EcsService,
                json!({"loadBalancers": [{"targetGroup": "ecs.target_group[reports]"}]}),
            ),
            removed(
                "ecs.target_group[reports]",
                ResourceKind::TargetGroup,
                json!({}),
            ),
        ]);
        let s = Schedule::from_plan(&plan, &[], false).expect("acyclic");
        assert_eq!(
            s.waits_for(&id("ecs.ecs_service[reports]", Operation::Delete)),
            [&id("ecs.listener_rule[app_80]", Operation::Update)]
        );
        // The target group goes last: after the service, so after the rule too.
        assert_eq!(
            s.waits_for(&id("ecs.target_group[reports]", Operation::Delete)),
            [&id("ecs.ecs_service[reports]", Operation::Delete)]
        );
    }

    #[test]
    fn embedded_references_and_lists_order_removed_deletes_too() {
        use serde_json::json;
        let plan = Plan::of(vec![
            removed("cluster.oidc", ResourceKind::IamOidcProvider, json!({})),
            removed("app.sg", ResourceKind::SecurityGroup, json!({})),
            removed(
                "app.role",
                ResourceKind::IamRole,
                json!({"assume_role_policy": {"Condition": {"StringEquals": {
                    "${cluster.oidc#issuerHost}:sub": "system:serviceaccount:app:app"
                }}}}),
            ),
            removed(
                "app.lambda",
                ResourceKind::IamRole,
                json!({
                    "security_groups": ["app.sg"],
                    "note": "uses ${app.sg} and ${aws:username}",
                    "tags": {"Owner": "cluster.oidc"}
                }),
            ),
        ]);
        let s = Schedule::from_plan(&plan, &[], false).expect("acyclic");
        assert_eq!(
            s.waits_for(&id("cluster.oidc", Operation::Delete)),
            [&id("app.role", Operation::Delete)]
        );
        assert_eq!(
            s.waits_for(&id("app.sg", Operation::Delete)),
            [&id("app.lambda", Operation::Delete)]
        );
    }

    #[test]
    fn observed_references_order_only_removed_resources_and_only_deletes() {
        use serde_json::json;
        // The subnet is still in the catalog (replaced): its catalog dependencies rule, whatever
        // it was observed with. The removed NAT gateway in it goes before its delete.
        let mut subnet = change("network.subnet", ResourceKind::Subnet, Action::Replace);
        subnet.before = json!({"vpc": "network.vpc", "route": "network.nat"})
            .as_object()
            .cloned();
        let plan = Plan::of(vec![
            change("network.vpc", ResourceKind::Vpc, Action::NoOp),
            subnet,
            removed(
                "network.nat",
                ResourceKind::NatGateway,
                json!({"subnet": "network.subnet", "vpc": "network.vpc"}),
            ),
        ]);
        let resources = [
            catalog_resource("network.vpc", ResourceKind::Vpc, &[]),
            catalog_resource("network.subnet", ResourceKind::Subnet, &["network.vpc"]),
        ];
        let s = Schedule::from_plan(&plan, &resources, false).expect("acyclic");
        assert_eq!(
            s.waits_for(&id("network.subnet", Operation::Delete)),
            [&id("network.nat", Operation::Delete)]
        );
        assert_eq!(
            s.waits_for(&id("network.subnet", Operation::Create)),
            [&id("network.subnet", Operation::Delete)],
            "replace stays delete-then-create"
        );
        assert!(
            s.waits_for(&id("network.nat", Operation::Delete))
                .is_empty()
        );
    }

    #[test]
    fn mutual_observed_references_leave_removed_deletes_unordered() {
        use serde_json::json;
        // Stale or mutual references cannot order anything: the deletes run as before, and AWS's
        // DependencyViolation (retried as a conflict) sorts them out.
        let plan = Plan::of(vec![
            removed("a", ResourceKind::SecurityGroup, json!({"peer": "b"})),
            removed("b", ResourceKind::SecurityGroup, json!({"peer": "a"})),
        ]);
        let s = Schedule::from_plan(&plan, &[], false).expect("not refused");
        assert!(s.waits_for(&id("a", Operation::Delete)).is_empty());
        assert!(s.waits_for(&id("b", Operation::Delete)).is_empty());
    }

    #[test]
    fn data_loss_is_refused_unless_allowed() {
        let changes = vec![change("db", ResourceKind::DbInstance, Action::Delete)];
        let plan = Plan {
            data_loss: vec![Address::new("db")],
            ..Plan::of(changes)
        };
        let refused = Schedule::from_plan(&plan, &[], false).map(|s| s.len());
        assert_eq!(
            refused,
            Err(ScheduleError::DataLoss(vec![Address::new("db")]))
        );
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("--allow-data-loss")
        );
        assert_eq!(
            Schedule::from_plan(&plan, &[], true).map(|s| s.len()),
            Ok(1)
        );
    }

    #[test]
    fn cycle_is_reported() {
        let changes = [
            change("a", ResourceKind::Vpc, Action::Create),
            change("b", ResourceKind::Vpc, Action::Create),
        ];
        let result = Schedule::new(&changes, deps(&[("a", "b"), ("b", "a")]));
        assert!(matches!(result, Err(ScheduleError::Cycle(_))));
    }

    /// vpc(2) <- subnet a(2), subnet b(2) <- nat a(105), nat b(105); eks(600) needs both subnets.
    fn network() -> Schedule {
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::Create),
            change("subnet.a", ResourceKind::Subnet, Action::Create),
            change("subnet.b", ResourceKind::Subnet, Action::Create),
            change("nat.a", ResourceKind::NatGateway, Action::Create),
            change("nat.b", ResourceKind::NatGateway, Action::Create),
            change("eks", ResourceKind::EksCluster, Action::Create),
        ];
        Schedule::new(
            &changes,
            deps(&[
                ("subnet.a", "vpc"),
                ("subnet.b", "vpc"),
                ("nat.a", "subnet.a"),
                ("nat.b", "subnet.b"),
                ("eks", "subnet.a"),
                ("eks", "subnet.b"),
            ]),
        )
        .expect("acyclic")
    }

    #[test]
    fn critical_path_is_the_slowest_chain() {
        let path = network().critical_path(default_estimate);
        assert_eq!(path.total, 604.0);
        assert_eq!(
            path.chain,
            [
                id("vpc", Operation::Create),
                id("subnet.a", Operation::Create),
                id("eks", Operation::Create)
            ]
        );
    }

    #[test]
    fn simulated_makespan_matches_the_critical_path_when_unbounded_and_grows_when_bounded() {
        let s = network();
        assert_eq!(s.simulated_makespan(default_estimate, 32), 604.0);
        // One slot: everything in sequence.
        assert_eq!(s.simulated_makespan(default_estimate, 1), 816.0);
        // Two slots: the NAT gateways start before EKS is ready (schedule order), so EKS waits.
        assert_eq!(s.simulated_makespan(default_estimate, 2), 709.0);
        assert_eq!(
            Schedule::new(&[], |_| vec![]).map(|s| s.simulated_makespan(default_estimate, 4)),
            Ok(0.0)
        );
    }

    #[test]
    fn tails_are_the_slowest_chain_each_step_begins() {
        let changes = [
            change("vpc", ResourceKind::Vpc, Action::Create),
            change("subnet", ResourceKind::Subnet, Action::Create),
            change("eks", ResourceKind::EksCluster, Action::Create),
            change("repo", ResourceKind::EcrRepository, Action::Create),
        ];
        let s = Schedule::new(&changes, |a| match a.as_str() {
            "subnet" => vec![Address::new("vpc")],
            "eks" => vec![Address::new("subnet")],
            _ => Vec::new(),
        })
        .unwrap();
        let tails = s.tails(default_estimate);
        let of = |address: &str| {
            let i = s
                .steps()
                .iter()
                .position(|st| st.address.as_str() == address)
                .unwrap();
            tails[i]
        };
        assert_eq!(of("eks"), 600.0);
        assert_eq!(of("subnet"), 602.0);
        assert_eq!(of("vpc"), 604.0);
        assert_eq!(of("repo"), 2.0);
    }
}

//! The bookkeeping of a parallel walk over a [`Dag`], without the work itself: which nodes are
//! ready, running, done or failed, which are skipped because something they need failed (and
//! which failure), and what becomes ready when a node finishes. The caller runs the nodes (as
//! futures, threads, a simulation) and reports each end here; the walk never decides when.
//!
//! A node is ready once every node it depends on has succeeded. A failure skips everything that
//! depends on the failed node, directly or not, while independent branches carry on (Terraform's
//! walker calls these "upstream failed" and keeps their errors out of the result).

use super::Dag;

/// Where one node is in the walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeState {
    /// Some node it depends on has not succeeded yet.
    Waiting,
    /// Everything it depends on succeeded; not started.
    Ready,
    Running,
    Succeeded,
    Failed,
    /// Never runs: it needs node `because`, which failed.
    Skipped {
        because: usize,
    },
    /// Started, then given up without an outcome (a cancelled run).
    Abandoned,
}

/// One walk over a graph's nodes, by their dense indices.
#[derive(Debug, Clone)]
pub(crate) struct Walk {
    /// `dependents[i]`: the nodes that depend on node `i` (ascending).
    dependents: Vec<Vec<usize>>,
    /// How many of node `i`'s dependencies have not succeeded yet.
    unmet: Vec<usize>,
    states: Vec<NodeState>,
}

impl Walk {
    /// A walk over `dag` where nothing has run: the nodes without dependencies are ready.
    pub(crate) fn new<N: Ord + Clone>(dag: &Dag<N>) -> Self {
        let n = dag.len();
        let unmet: Vec<usize> = (0..n).map(|i| dag.dependency_indices(i).count()).collect();
        let states = unmet
            .iter()
            .map(|&u| {
                if u == 0 {
                    NodeState::Ready
                } else {
                    NodeState::Waiting
                }
            })
            .collect();
        Walk {
            dependents: (0..n).map(|i| dag.dependent_indices(i).collect()).collect(),
            unmet,
            states,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn state(&self, node: usize) -> NodeState {
        self.states[node]
    }

    /// The nodes ready to start, ascending.
    pub(crate) fn ready(&self) -> Vec<usize> {
        self.in_state(|s| s == NodeState::Ready)
    }

    /// The nodes started and not yet finished, ascending.
    pub(crate) fn running(&self) -> Vec<usize> {
        self.in_state(|s| s == NodeState::Running)
    }

    /// The nodes never started and never skipped (ready or waiting), ascending: what a walk that
    /// stops early leaves behind.
    pub(crate) fn unstarted(&self) -> Vec<usize> {
        self.in_state(|s| matches!(s, NodeState::Ready | NodeState::Waiting))
    }

    /// Every node has an outcome (succeeded, failed, skipped or abandoned).
    #[cfg(test)]
    pub(crate) fn is_finished(&self) -> bool {
        self.unstarted().is_empty() && self.running().is_empty()
    }

    fn in_state(&self, wanted: impl Fn(NodeState) -> bool) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| wanted(self.states[i]))
            .collect()
    }

    /// Marks a ready node as running.
    ///
    /// # Panics
    /// If the node is not ready: starting it would break the order the walk exists to keep.
    pub(crate) fn start(&mut self, node: usize) {
        self.transition(node, NodeState::Ready, NodeState::Running);
    }

    /// Records that a running node succeeded; returns the nodes that became ready, ascending.
    pub(crate) fn succeed(&mut self, node: usize) -> Vec<usize> {
        self.transition(node, NodeState::Running, NodeState::Succeeded);
        let mut ready = Vec::new();
        for &dependent in &self.dependents[node] {
            self.unmet[dependent] -= 1;
            if self.unmet[dependent] == 0 && self.states[dependent] == NodeState::Waiting {
                self.states[dependent] = NodeState::Ready;
                ready.push(dependent);
            }
        }
        ready
    }

    /// Records that a running node failed; returns the nodes this skips (everything still
    /// waiting that depends on it, directly or not), ascending.
    pub(crate) fn fail(&mut self, node: usize) -> Vec<usize> {
        self.transition(node, NodeState::Running, NodeState::Failed);
        let mut downstream = vec![false; self.len()];
        let mut stack = vec![node];
        while let Some(j) = stack.pop() {
            for &dependent in &self.dependents[j] {
                if !downstream[dependent] {
                    downstream[dependent] = true;
                    stack.push(dependent);
                }
            }
        }
        let skipped: Vec<usize> = (0..self.len())
            .filter(|&i| downstream[i] && self.states[i] == NodeState::Waiting)
            .collect();
        for &i in &skipped {
            self.states[i] = NodeState::Skipped { because: node };
        }
        skipped
    }

    /// Records that a running node was given up without an outcome; nothing becomes ready.
    pub(crate) fn abandon(&mut self, node: usize) {
        self.transition(node, NodeState::Running, NodeState::Abandoned);
    }

    fn transition(&mut self, node: usize, from: NodeState, to: NodeState) {
        let state = &mut self.states[node];
        assert!(
            *state == from,
            "walk: node {node} is {state:?}, expected {from:?}"
        );
        *state = to;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// a <- b <- d, a <- c <- d, e alone (x <- y: y depends on x).
    fn diamond() -> (Dag<&'static str>, Walk) {
        let mut dag = Dag::new();
        for node in ["a", "b", "c", "d", "e"] {
            dag.add_node(node);
        }
        dag.add_dependency("b", "a");
        dag.add_dependency("c", "a");
        dag.add_dependency("d", "b");
        dag.add_dependency("d", "c");
        let walk = Walk::new(&dag);
        (dag, walk)
    }

    #[test]
    fn nodes_become_ready_when_everything_they_need_succeeded() {
        let (_, mut walk) = diamond();
        assert_eq!(walk.ready(), [0, 4]);
        walk.start(0);
        walk.start(4);
        assert_eq!(walk.running(), [0, 4]);
        assert_eq!(walk.succeed(0), [1, 2]);
        walk.start(1);
        walk.start(2);
        assert!(walk.succeed(2).is_empty(), "d still needs b");
        assert_eq!(walk.state(3), NodeState::Waiting);
        assert_eq!(walk.succeed(1), [3]);
        walk.start(3);
        assert!(walk.succeed(3).is_empty());
        assert!(walk.succeed(4).is_empty());
        assert!(walk.is_finished());
        assert!((0..5).all(|i| walk.state(i) == NodeState::Succeeded));
    }

    #[test]
    fn a_failure_skips_everything_downstream_and_names_itself() {
        let (_, mut walk) = diamond();
        walk.start(0);
        walk.start(4);
        assert_eq!(walk.fail(0), [1, 2, 3]);
        for i in 1..4 {
            assert_eq!(walk.state(i), NodeState::Skipped { because: 0 });
        }
        // The independent branch carries on.
        assert_eq!(walk.state(4), NodeState::Running);
        assert!(walk.succeed(4).is_empty());
        assert!(walk.is_finished());
    }

    #[test]
    fn a_later_failure_skips_only_what_is_still_waiting() {
        let (_, mut walk) = diamond();
        walk.start(0);
        walk.succeed(0);
        walk.start(1);
        walk.start(2);
        assert_eq!(walk.fail(1), [3]);
        assert_eq!(walk.state(3), NodeState::Skipped { because: 1 });
        // The sibling's own end does not revive the skipped node, nor skip it twice.
        assert!(walk.fail(2).is_empty());
        assert_eq!(walk.state(3), NodeState::Skipped { because: 1 });
    }

    #[test]
    fn a_walk_stopped_early_leaves_its_unstarted_nodes() {
        let (_, mut walk) = diamond();
        walk.start(0);
        walk.abandon(0);
        assert_eq!(walk.state(0), NodeState::Abandoned);
        assert_eq!(walk.unstarted(), [1, 2, 3, 4]);
        assert!(!walk.is_finished());
    }

    #[test]
    #[should_panic(expected = "expected Ready")]
    fn starting_a_node_that_is_not_ready_is_a_bug() {
        let (_, mut walk) = diamond();
        walk.start(3);
    }

    #[test]
    fn an_empty_graph_is_finished_at_once() {
        let walk = Walk::new(&Dag::<u8>::new());
        assert!(walk.is_empty() && walk.is_finished());
    }
}

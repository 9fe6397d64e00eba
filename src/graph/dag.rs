//! The graph structure and its neighbourhood queries.

use std::collections::{BTreeMap, BTreeSet};

/// A directed graph of dependencies between nodes of type `N`.
#[derive(Debug, Clone)]
pub(crate) struct Dag<N> {
    nodes: Vec<N>,
    index: BTreeMap<N, usize>,
    /// `dependencies[i]`: indices node `i` depends on.
    dependencies: Vec<BTreeSet<usize>>,
    /// `dependents[i]`: indices that depend on node `i`.
    dependents: Vec<BTreeSet<usize>>,
}

impl<N> Default for Dag<N> {
    fn default() -> Self {
        Dag {
            nodes: Vec::new(),
            index: BTreeMap::new(),
            dependencies: Vec::new(),
            dependents: Vec::new(),
        }
    }
}

impl<N: Ord + Clone> Dag<N> {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds a node (no-op if present) and returns its index.
    pub(crate) fn add_node(&mut self, node: N) -> usize {
        if let Some(&i) = self.index.get(&node) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(node.clone(), i);
        self.nodes.push(node);
        self.dependencies.push(BTreeSet::new());
        self.dependents.push(BTreeSet::new());
        i
    }

    /// Records that `node` depends on `on` (adding either node if missing).
    pub(crate) fn add_dependency(&mut self, node: N, on: N) {
        let from = self.add_node(node);
        let to = self.add_node(on);
        self.dependencies[from].insert(to);
        self.dependents[to].insert(from);
    }

    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, node: &N) -> bool {
        self.index.contains_key(node)
    }

    #[cfg(test)]
    pub(crate) fn index_of(&self, node: &N) -> Option<usize> {
        self.index.get(node).copied()
    }

    /// The node at `index`; panics only on an index this graph never handed out.
    pub(crate) fn node(&self, index: usize) -> &N {
        &self.nodes[index]
    }

    /// Every edge as `(node, dependency)`, sorted by the nodes' order.
    #[cfg(test)]
    pub(crate) fn edges(&self) -> Vec<(&N, &N)> {
        let mut edges: Vec<(&N, &N)> = self
            .dependencies
            .iter()
            .enumerate()
            .flat_map(|(i, deps)| deps.iter().map(move |&d| (i, d)))
            .map(|(i, d)| (&self.nodes[i], &self.nodes[d]))
            .collect();
        edges.sort();
        edges
    }

    /// Indices node `index` depends on (ascending index).
    pub(crate) fn dependency_indices(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.dependencies[index].iter().copied()
    }

    /// Indices that depend on node `index` (ascending index).
    pub(crate) fn dependent_indices(&self, index: usize) -> impl Iterator<Item = usize> + '_ {
        self.dependents[index].iter().copied()
    }

    /// Direct dependencies of `node`, sorted; empty for an unknown node.
    #[cfg(test)]
    pub(crate) fn dependencies(&self, node: &N) -> Vec<&N> {
        self.neighbours(node, &self.dependencies)
    }

    /// Direct dependents of `node`, sorted; empty for an unknown node.
    #[cfg(test)]
    pub(crate) fn dependents(&self, node: &N) -> Vec<&N> {
        self.neighbours(node, &self.dependents)
    }

    /// Everything that depends on `node`, directly or not, sorted (what a failure must skip).
    #[cfg(test)]
    pub(crate) fn transitive_dependents(&self, node: &N) -> Vec<&N> {
        self.reachable(node, &self.dependents)
    }

    /// Everything `node` needs, directly or not, sorted.
    #[cfg(test)]
    pub(crate) fn transitive_dependencies(&self, node: &N) -> Vec<&N> {
        self.reachable(node, &self.dependencies)
    }

    #[cfg(test)]
    fn neighbours(&self, node: &N, adjacency: &[BTreeSet<usize>]) -> Vec<&N> {
        let Some(i) = self.index_of(node) else {
            return Vec::new();
        };
        let mut out: Vec<&N> = adjacency[i].iter().map(|&j| &self.nodes[j]).collect();
        out.sort();
        out
    }

    #[cfg(test)]
    fn reachable(&self, node: &N, adjacency: &[BTreeSet<usize>]) -> Vec<&N> {
        let Some(start) = self.index_of(node) else {
            return Vec::new();
        };
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            for &j in &adjacency[i] {
                if !seen[j] {
                    seen[j] = true;
                    stack.push(j);
                }
            }
        }
        let mut out: Vec<&N> = (0..self.nodes.len())
            .filter(|&i| seen[i] && i != start)
            .map(|i| &self.nodes[i])
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// d depends on b and c, which both depend on a.
    fn diamond() -> Dag<&'static str> {
        let mut g = Dag::new();
        g.add_dependency("b", "a");
        g.add_dependency("c", "a");
        g.add_dependency("d", "b");
        g.add_dependency("d", "c");
        g
    }

    #[test]
    fn nodes_are_added_once() {
        let mut g = diamond();
        assert_eq!(g.len(), 4);
        assert_eq!(g.add_node("a"), 1, "b was added first");
        g.add_dependency("d", "b");
        assert_eq!(g.len(), 4);
        assert_eq!(g.edges().len(), 4);
        assert!(g.contains(&"c") && !g.contains(&"z"));
    }

    #[test]
    fn direct_neighbours() {
        let g = diamond();
        assert_eq!(g.dependencies(&"d"), [&"b", &"c"]);
        assert_eq!(g.dependents(&"a"), [&"b", &"c"]);
        assert!(g.dependencies(&"a").is_empty());
        assert!(g.dependents(&"unknown").is_empty());
    }

    #[test]
    fn transitive_neighbours() {
        let g = diamond();
        assert_eq!(g.transitive_dependents(&"a"), [&"b", &"c", &"d"]);
        assert_eq!(g.transitive_dependencies(&"d"), [&"a", &"b", &"c"]);
        assert!(g.transitive_dependents(&"d").is_empty());
    }

    #[test]
    fn edges_are_sorted() {
        let g = diamond();
        assert_eq!(
            g.edges(),
            [(&"b", &"a"), (&"c", &"a"), (&"d", &"b"), (&"d", &"c")]
        );
    }
}

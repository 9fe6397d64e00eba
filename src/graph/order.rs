//! Cycle detection and topological orders.

use std::collections::BTreeSet;
use std::fmt;

use super::dag::Dag;

/// A dependency cycle: each node depends on the next, and the last on the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle<N>(pub(crate) Vec<N>);

impl<N: fmt::Display> fmt::Display for Cycle<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for node in &self.0 {
            write!(f, "{node} -> ")?;
        }
        match self.0.first() {
            Some(first) => write!(f, "{first}"),
            None => Ok(()),
        }
    }
}

impl<N: Ord + Clone> Dag<N> {
    /// One dependency cycle, if any, found by depth-first search. Deterministic: the search
    /// starts from the smallest node and visits dependencies in the nodes' order, and the cycle
    /// is rotated to start at its smallest node.
    pub(crate) fn find_cycle(&self) -> Option<Cycle<N>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnPath,
            Done,
        }
        let mut marks = vec![Mark::New; self.len()];
        for root in self.sorted_indices() {
            if marks[root] != Mark::New {
                continue;
            }
            // Iterative DFS: the path and, per path entry, the dependencies still to visit.
            let mut path: Vec<usize> = vec![root];
            let mut pending: Vec<Vec<usize>> = vec![self.sorted_dependencies(root)];
            marks[root] = Mark::OnPath;
            while let Some(todo) = pending.last_mut() {
                match todo.pop() {
                    Some(next) => match marks[next] {
                        Mark::OnPath => {
                            let start = path.iter().position(|&i| i == next).unwrap_or(0);
                            return Some(self.rotated_cycle(&path[start..]));
                        }
                        Mark::New => {
                            marks[next] = Mark::OnPath;
                            path.push(next);
                            pending.push(self.sorted_dependencies(next));
                        }
                        Mark::Done => {}
                    },
                    None => {
                        if let Some(done) = path.pop() {
                            marks[done] = Mark::Done;
                        }
                        pending.pop();
                    }
                }
            }
        }
        None
    }

    /// Dependencies first: every node comes after all it depends on. Among nodes that are ready
    /// at the same time the smallest comes first, so the order is stable.
    pub(crate) fn topological_order(&self) -> Result<Vec<N>, Cycle<N>> {
        self.topological_indices()
            .map(|order| order.into_iter().map(|i| self.node(i).clone()).collect())
    }

    /// Dependents first: the order to destroy in.
    #[cfg(test)]
    pub(crate) fn reverse_topological_order(&self) -> Result<Vec<N>, Cycle<N>> {
        let mut order = self.topological_order()?;
        order.reverse();
        Ok(order)
    }

    /// Kahn's algorithm over indices; on a cycle, returns the cycle.
    pub(crate) fn topological_indices(&self) -> Result<Vec<usize>, Cycle<N>> {
        let mut waiting: Vec<usize> = (0..self.len())
            .map(|i| self.dependency_indices(i).count())
            .collect();
        let mut ready: BTreeSet<(&N, usize)> = (0..self.len())
            .filter(|&i| waiting[i] == 0)
            .map(|i| (self.node(i), i))
            .collect();
        let mut order = Vec::with_capacity(self.len());
        while let Some((_, i)) = ready.pop_first() {
            order.push(i);
            for d in self.dependent_indices(i) {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    ready.insert((self.node(d), d));
                }
            }
        }
        if order.len() == self.len() {
            Ok(order)
        } else {
            Err(self.find_cycle().unwrap_or(Cycle(Vec::new())))
        }
    }

    fn sorted_indices(&self) -> Vec<usize> {
        let mut all: Vec<usize> = (0..self.len()).collect();
        all.sort_by(|&a, &b| self.node(a).cmp(self.node(b)));
        all
    }

    /// Dependencies of `i`, largest first, so that popping visits the smallest first.
    fn sorted_dependencies(&self, i: usize) -> Vec<usize> {
        let mut deps: Vec<usize> = self.dependency_indices(i).collect();
        deps.sort_by(|&a, &b| self.node(b).cmp(self.node(a)));
        deps
    }

    fn rotated_cycle(&self, indices: &[usize]) -> Cycle<N> {
        let mut nodes: Vec<N> = indices.iter().map(|&i| self.node(i).clone()).collect();
        if let Some(min) = (0..nodes.len()).min_by(|&a, &b| nodes[a].cmp(&nodes[b])) {
            nodes.rotate_left(min);
        }
        Cycle(nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&'static str, &'static str)]) -> Dag<&'static str> {
        let mut g = Dag::new();
        for &(node, on) in edges {
            g.add_dependency(node, on);
        }
        g
    }

    #[test]
    fn diamond_orders_dependencies_first() {
        let g = graph(&[("d", "b"), ("d", "c"), ("b", "a"), ("c", "a")]);
        assert_eq!(g.topological_order(), Ok(vec!["a", "b", "c", "d"]));
        assert_eq!(g.reverse_topological_order(), Ok(vec!["d", "c", "b", "a"]));
        assert_eq!(g.find_cycle(), None);
    }

    #[test]
    fn order_is_independent_of_insertion_order() {
        let one = graph(&[("z", "m"), ("b", "a"), ("m", "a")]);
        let two = graph(&[("m", "a"), ("b", "a"), ("z", "m")]);
        assert_eq!(one.topological_order(), two.topological_order());
        assert_eq!(one.topological_order(), Ok(vec!["a", "b", "m", "z"]));
    }

    #[test]
    fn isolated_nodes_are_ordered_too() {
        let mut g = graph(&[("b", "a")]);
        g.add_node("0");
        assert_eq!(g.topological_order(), Ok(vec!["0", "a", "b"]));
    }

    #[test]
    fn cycle_is_named_in_dependency_order() {
        // a -> b -> c -> a, with a tail x -> a that is not part of the cycle.
        let g = graph(&[("x", "a"), ("b", "c"), ("a", "b"), ("c", "a")]);
        let cycle = g.find_cycle().expect("cycle");
        assert_eq!(cycle, Cycle(vec!["a", "b", "c"]));
        assert_eq!(cycle.to_string(), "a -> b -> c -> a");
        assert_eq!(g.topological_order(), Err(cycle));
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let g = graph(&[("a", "a")]);
        assert_eq!(g.find_cycle(), Some(Cycle(vec!["a"])));
    }

    #[test]
    fn cycle_behind_a_diamond_is_found() {
        let g = graph(&[
            ("d", "b"),
            ("d", "c"),
            ("b", "a"),
            ("c", "a"),
            ("a", "e"),
            ("e", "c"),
        ]);
        assert_eq!(g.find_cycle(), Some(Cycle(vec!["a", "e", "c"])));
    }

    #[test]
    fn empty_graph() {
        let g: Dag<u32> = Dag::new();
        assert_eq!(g.topological_order(), Ok(vec![]));
        assert_eq!(g.find_cycle(), None);
    }

    #[test]
    fn long_chain_does_not_overflow_the_stack() {
        let mut g = Dag::new();
        for i in 1..100_000u32 {
            g.add_dependency(i, i - 1);
        }
        assert_eq!(g.find_cycle(), None);
        assert_eq!(g.topological_order().map(|o| o.len()), Ok(100_000));
    }
}

//! The critical path: the chain of dependencies that takes longest, given each node's duration.
//! With unlimited parallelism its total is how long the whole walk takes.

use super::dag::Dag;
use super::order::Cycle;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CriticalPath<N> {
    /// Sum of the chain's weights.
    pub(crate) total: f64,
    /// From the first node to start (no dependencies) to the last to finish.
    pub(crate) chain: Vec<N>,
}

impl<N: Ord + Clone> Dag<N> {
    /// Longest weighted chain. Negative or NaN weights count as zero. Ties go to the chain whose
    /// nodes come first in the topological order, so the result is deterministic.
    pub(crate) fn critical_path(
        &self,
        weight: impl Fn(&N) -> f64,
    ) -> Result<CriticalPath<N>, Cycle<N>> {
        let order = self.topological_indices()?;
        let w: Vec<f64> = (0..self.len())
            .map(|i| {
                let x = weight(self.node(i));
                if x.is_finite() && x > 0.0 { x } else { 0.0 }
            })
            .collect();
        // finish[i]: earliest finish of node i; via[i]: the dependency that finishes last.
        let mut finish = vec![0.0_f64; self.len()];
        let mut via: Vec<Option<usize>> = vec![None; self.len()];
        let mut position = vec![0usize; self.len()];
        for (p, &i) in order.iter().enumerate() {
            position[i] = p;
        }
        for &i in &order {
            let mut best: Option<usize> = None;
            for d in self.dependency_indices(i) {
                best = match best {
                    Some(b) if finish[b] > finish[d] => Some(b),
                    Some(b) if finish[b] == finish[d] && position[b] < position[d] => Some(b),
                    _ => Some(d),
                };
            }
            finish[i] = best.map_or(0.0, |b| finish[b]) + w[i];
            via[i] = best;
        }
        let mut end: Option<usize> = None;
        for &i in &order {
            if end.is_none_or(|e| finish[i] > finish[e]) {
                end = Some(i);
            }
        }
        let Some(end) = end else {
            return Ok(CriticalPath {
                total: 0.0,
                chain: Vec::new(),
            });
        };
        let mut chain = vec![end];
        while let Some(prev) = chain.last().and_then(|&i| via[i]) {
            chain.push(prev);
        }
        chain.reverse();
        Ok(CriticalPath {
            total: finish[end],
            chain: chain.into_iter().map(|i| self.node(i).clone()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weight(n: &&str) -> f64 {
        match *n {
            "slow" => 10.0,
            "mid" => 5.0,
            _ => 1.0,
        }
    }

    #[test]
    fn diamond_takes_the_slower_branch() {
        let mut g = Dag::new();
        g.add_dependency("fast", "root");
        g.add_dependency("slow", "root");
        g.add_dependency("end", "fast");
        g.add_dependency("end", "slow");
        let path = g.critical_path(weight).expect("acyclic");
        assert_eq!(path.chain, ["root", "slow", "end"]);
        assert_eq!(path.total, 12.0);
    }

    #[test]
    fn longest_chain_wins_over_a_heavy_single_node() {
        let mut g = Dag::new();
        g.add_node("mid");
        g.add_dependency("b", "a");
        g.add_dependency("c", "b");
        g.add_dependency("slow", "c");
        let path = g.critical_path(weight).expect("acyclic");
        assert_eq!(path.chain, ["a", "b", "c", "slow"]);
        assert_eq!(path.total, 13.0);
    }

    #[test]
    fn ties_are_deterministic() {
        let mut g = Dag::new();
        g.add_dependency("y", "x");
        g.add_dependency("b", "a");
        let path = g.critical_path(|_| 1.0).expect("acyclic");
        assert_eq!(path.chain, ["a", "b"]);
    }

    #[test]
    fn bad_weights_count_as_zero_and_empty_graph_is_zero() {
        let mut g = Dag::new();
        g.add_dependency("b", "a");
        let path = g.critical_path(|_| f64::NAN).expect("acyclic");
        assert_eq!(path.total, 0.0);
        let empty: Dag<u8> = Dag::new();
        assert_eq!(empty.critical_path(|_| 1.0).map(|p| p.chain), Ok(vec![]));
    }

    #[test]
    fn cycle_is_an_error() {
        let mut g = Dag::new();
        g.add_dependency("a", "b");
        g.add_dependency("b", "a");
        assert_eq!(
            g.critical_path(weight).map(|p| p.total),
            Err(Cycle(vec!["a", "b"]))
        );
    }
}

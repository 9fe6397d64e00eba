//! Pinned engine versions against the running ones (RDS, Aurora, ElastiCache). Pure.
//!
//! AWS moves a running engine within its major version by itself (automatic minor version
//! upgrades, on by default) and answers with the full version (ElastiCache: `7.1.0` for a `7.1`
//! pin). So a pin is a prefix: a running version inside it is no change. A running version newer
//! than the pin is never "fixed" by a downgrade, which AWS cannot do in place: nothing is
//! planned, with a note saying so. Terraform's AWS provider keeps a prefix pin for RDS too
//! (`compareActualEngineVersion` in `internal/service/rds`: `8.0` vs `8.0.27` is no diff), but
//! plans the older version otherwise, which AWS refuses; for ElastiCache it plans a replacement
//! (`customizeDiffEngineVersionForceNewOnDowngrade`), which loses the cache's data. shinyctl
//! does neither: only an upgrade is planned.

use std::cmp::Ordering;

/// How a running version stands against the blueprint's pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Exactly the pin.
    Same,
    /// Inside the pin (`7.1.0` for `7.1`): no change.
    WithinPin,
    /// Newer than the pin in the same major version (an automatic minor upgrade): no change.
    NewerMinor,
    /// Newer than the pin in a newer major version: no change (AWS cannot downgrade a major).
    NewerMajor,
    /// Older than the pin (or not comparable): an update to the pin.
    Upgrade,
}

impl Standing {
    /// Whether the plan changes the engine version.
    #[cfg(test)]
    pub(crate) fn is_change(self) -> bool {
        self == Standing::Upgrade
    }
}

/// Compares the running version with the pin, part by part (numbers as numbers; Aurora MySQL's
/// `8.0.mysql_aurora.3.05.2` has a word in it).
pub(crate) fn standing(pinned: &str, running: &str) -> Standing {
    if pinned == running {
        return Standing::Same;
    }
    let pin: Vec<&str> = pinned.split('.').collect();
    let run: Vec<&str> = running.split('.').collect();
    if running.starts_with(&format!("{pinned}.")) {
        return Standing::WithinPin;
    }
    for (i, (p, r)) in pin.iter().zip(&run).enumerate() {
        match compare_part(p, r) {
            Ordering::Equal => continue,
            Ordering::Greater => return Standing::Upgrade,
            Ordering::Less if i == 0 => return Standing::NewerMajor,
            Ordering::Less => return Standing::NewerMinor,
        }
    }
    // One is a prefix of the other: `7.1.0` pinned, `7.1` running is the same version.
    if pin[run.len().min(pin.len())..]
        .iter()
        .all(|p| p.trim_start_matches('0').is_empty())
    {
        Standing::WithinPin
    } else {
        Standing::Upgrade
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_is_a_prefix_and_never_asks_for_a_downgrade() {
        assert_eq!(standing("7.1", "7.1"), Standing::Same);
        assert_eq!(standing("7.1", "7.1.0"), Standing::WithinPin);
        assert_eq!(standing("8.4", "8.4.7"), Standing::WithinPin);
        assert_eq!(standing("16", "16.6"), Standing::WithinPin);
        assert_eq!(standing("7.1.0", "7.1"), Standing::WithinPin);
        assert_eq!(standing("16.4", "16.6"), Standing::NewerMinor);
        assert_eq!(standing("8.4.3", "8.4.10"), Standing::NewerMinor);
        assert_eq!(standing("15.4", "16.1"), Standing::NewerMajor);
        assert_eq!(standing("16.6", "16.4"), Standing::Upgrade);
        assert_eq!(standing("8.4", "8.0.39"), Standing::Upgrade);
        assert_eq!(standing("7.1.1", "7.1"), Standing::Upgrade);
        assert_eq!(
            standing("8.0.mysql_aurora.3.05.2", "8.0.mysql_aurora.3.08.0"),
            Standing::NewerMinor
        );
        assert!(!standing("7.1", "7.1.0").is_change());
        assert!(standing("16.6", "16.4").is_change());
    }
}

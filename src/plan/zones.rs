//! Which availability zones the subnets go into. Pure: a live plan passes in what EC2 lists
//! for the account (`aws::zones`), an offline plan assumes.
//!
//! - Offline, a count `n` is assumed to mean `<region>a`, `<region>b`, ... and a list is taken as
//!   written; the plan says so in a note. A region's zones need not be a, b, c (cn-north-1 has a, b
//!   and d; most Tokyo accounts a, c and d), and zone names map to different physical zones in
//!   different accounts, so only the account's own answer is sure.
//! - Live, the zones are those `DescribeAvailabilityZones` lists for the account (zone type
//!   `availability-zone`: no Local or Wavelength Zones), by name. With a cluster, zones whose
//!   zone id EKS does not support for the control plane are left out of a count and refused in
//!   a list. A zone's momentary state is not looked at: choosing by it would move the subnets
//!   during an incident in one zone.

use crate::blueprint::model::AvailabilityZones;
use crate::blueprint::problem::item;
use crate::blueprint::{Problem, defaults};
use crate::plan::{Note, NoteLevel};

/// Zone ids EKS does not support for clusters: use1-az3 (us-east-1), usw1-az2 (us-west-1),
/// cac1-az3 (ca-central-1) (EKS user guide, network-reqs.html#network-requirements-subnets;
/// `CreateCluster` answers `UnsupportedAvailabilityZoneException` with the valid zones, botocore
/// `eks` model). EKS offers no call that lists them, hence the table. Zone ids, not names: names
/// map to different physical zones per account.
pub(crate) const EKS_UNSUPPORTED_ZONE_IDS: &[&str] = &["use1-az3", "usw1-az2", "cac1-az3"];

const PATH: &str = "network.availabilityZones";

/// One zone as EC2 lists it for the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OfferedZone {
    /// `us-east-1a`: per account.
    pub(crate) name: String,
    /// `use1-az6`: the same physical zone in every account.
    pub(crate) id: String,
}

/// The zones a plan uses, and where they come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Zones {
    pub(crate) names: Vec<String>,
    pub(crate) source: ZoneSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ZoneSource {
    /// Not asked of AWS (offline, or the credentials may not ask).
    Assumed { written: bool },
    /// Chosen from EC2's answer, with the ids of the chosen zones and what was left out why.
    Aws {
        ids: Vec<String>,
        left_out: Vec<(OfferedZone, &'static str)>,
    },
}

/// The zones an offline plan assumes.
pub(crate) fn assumed(region: &str, asked: &AvailabilityZones) -> Zones {
    Zones {
        names: defaults::zone_names(region, asked),
        source: ZoneSource::Assumed {
            written: matches!(asked, AvailabilityZones::Names(_)),
        },
    }
}

fn eks_refuses(zone: &OfferedZone) -> bool {
    EKS_UNSUPPORTED_ZONE_IDS.contains(&zone.id.as_str())
}

fn listing(zones: &[&OfferedZone]) -> String {
    zones
        .iter()
        .map(|z| format!("{} ({})", z.name, z.id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The zones for `asked` in `region` from the account's `offered` zones; with a cluster, none
/// EKS refuses. Every problem at once.
pub(crate) fn choose(
    region: &str,
    asked: &AvailabilityZones,
    with_cluster: bool,
    offered: &[OfferedZone],
) -> Result<Zones, Vec<Problem>> {
    let mut offered: Vec<&OfferedZone> = offered.iter().collect();
    offered.sort_by(|a, b| a.name.cmp(&b.name));
    let usable: Vec<&OfferedZone> = offered
        .iter()
        .copied()
        .filter(|z| !(with_cluster && eks_refuses(z)))
        .collect();
    let mut problems = Vec::new();
    let chosen: Vec<&OfferedZone> = match asked {
        AvailabilityZones::Count(n) => {
            let n = usize::from(*n);
            if usable.len() < n {
                problems.push(
                    Problem::new(
                        PATH,
                        format!(
                            "{n} availability zones asked, but {region} has {} this account can use{}: {}",
                            usable.len(),
                            if with_cluster { " for an EKS cluster" } else { "" },
                            listing(&usable)
                        ),
                    )
                    .hint(format!("set availabilityZones to {} or fewer", usable.len())),
                );
            }
            usable.iter().copied().take(n).collect()
        }
        AvailabilityZones::Names(names) => {
            let mut chosen = Vec::new();
            for (i, name) in names.iter().enumerate() {
                match offered.iter().find(|z| &z.name == name) {
                    None => problems.push(
                        Problem::new(
                            item(PATH, i),
                            format!(
                                "{name} is not an availability zone of {region} for this account"
                            ),
                        )
                        .hint(format!("its zones: {}", listing(&offered))),
                    ),
                    Some(zone) if with_cluster && eks_refuses(zone) => problems.push(
                        Problem::new(
                            item(PATH, i),
                            format!("EKS does not support {name} ({}) for clusters", zone.id),
                        )
                        .hint(format!("choose from: {}", listing(&usable))),
                    ),
                    Some(zone) => chosen.push(*zone),
                }
            }
            chosen
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let left_out = match asked {
        AvailabilityZones::Count(_) => offered
            .iter()
            .filter(|z| with_cluster && eks_refuses(z))
            .filter(|z| z.name < chosen.last().map_or(String::new(), |c| c.name.clone()))
            .map(|z| ((*z).clone(), "EKS does not support it for clusters"))
            .collect(),
        AvailabilityZones::Names(_) => Vec::new(),
    };
    Ok(Zones {
        names: chosen.iter().map(|z| z.name.clone()).collect(),
        source: ZoneSource::Aws {
            ids: chosen.iter().map(|z| z.id.clone()).collect(),
            left_out,
        },
    })
}

/// What a reviewer should know about the zones: that they were assumed, or (live) which zone
/// was left out and why. Nothing when EC2's first zones were simply taken.
pub(crate) fn note(zones: &Zones) -> Option<Note> {
    let names = zones.names.join(", ");
    match &zones.source {
        ZoneSource::Assumed { written } => Some(Note {
            level: NoteLevel::Info,
            about: PATH.into(),
            message: if *written {
                format!("zones as written, not checked with AWS: {names}")
            } else {
                format!("zones assumed, not asked of AWS: {names}")
            },
            hint: Some(
                "a live plan takes the zones EC2 lists for the account (DescribeAvailabilityZones), \
                 leaving out those EKS does not support; a region's zones need not be a, b, c"
                    .into(),
            ),
        }),
        ZoneSource::Aws { ids, left_out } if !left_out.is_empty() => Some(Note {
            level: NoteLevel::Info,
            about: PATH.into(),
            message: format!(
                "zones from EC2: {}; left out: {}",
                zones
                    .names
                    .iter()
                    .zip(ids)
                    .map(|(n, i)| format!("{n} ({i})"))
                    .collect::<Vec<_>>()
                    .join(", "),
                left_out
                    .iter()
                    .map(|(z, why)| format!("{} ({}): {why}", z.name, z.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            hint: None,
        }),
        ZoneSource::Aws { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offered(pairs: &[(&str, &str)]) -> Vec<OfferedZone> {
        pairs
            .iter()
            .map(|(name, id)| OfferedZone {
                name: name.to_string(),
                id: id.to_string(),
            })
            .collect()
    }

    /// As the emulator lists us-east-1 (zones.py), shuffled.
    fn us_east_1() -> Vec<OfferedZone> {
        offered(&[
            ("us-east-1c", "use1-az2"),
            ("us-east-1a", "use1-az6"),
            ("us-east-1b", "use1-az1"),
            ("us-east-1d", "use1-az4"),
            ("us-east-1e", "use1-az3"),
            ("us-east-1f", "use1-az5"),
        ])
    }

    fn names(zones: &Zones) -> Vec<&str> {
        zones.names.iter().map(String::as_str).collect()
    }

    #[test]
    fn a_count_takes_the_first_zones_the_account_has() {
        let tokyo = offered(&[
            ("ap-northeast-1a", "apne1-az4"),
            ("ap-northeast-1c", "apne1-az1"),
            ("ap-northeast-1d", "apne1-az2"),
        ]);
        let zones = choose("ap-northeast-1", &AvailabilityZones::Count(3), true, &tokyo)
            .expect("three zones");
        assert_eq!(
            names(&zones),
            ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]
        );
        assert_eq!(note(&zones), None);
        let assumed = assumed("ap-northeast-1", &AvailabilityZones::Count(3));
        assert_eq!(
            names(&assumed),
            ["ap-northeast-1a", "ap-northeast-1b", "ap-northeast-1c"],
            "what an offline plan assumes, and a live one corrects"
        );
    }

    #[test]
    fn a_cluster_count_skips_the_zones_eks_refuses_and_says_so() {
        let zones = choose(
            "us-east-1",
            &AvailabilityZones::Count(5),
            true,
            &us_east_1(),
        )
        .expect("five zones");
        assert_eq!(
            names(&zones),
            [
                "us-east-1a",
                "us-east-1b",
                "us-east-1c",
                "us-east-1d",
                "us-east-1f"
            ]
        );
        let found = note(&zones).expect("a note");
        assert_eq!(found.level, NoteLevel::Info);
        assert!(
            found
                .message
                .ends_with("left out: us-east-1e (use1-az3): EKS does not support it for clusters"),
            "{}",
            found.message
        );
        // Without a cluster every zone serves.
        let zones = choose(
            "us-east-1",
            &AvailabilityZones::Count(6),
            false,
            &us_east_1(),
        )
        .expect("six zones");
        assert_eq!(zones.names.len(), 6);
        // A count that stops before the refused zone leaves nothing out.
        let zones = choose(
            "us-east-1",
            &AvailabilityZones::Count(2),
            true,
            &us_east_1(),
        )
        .expect("two zones");
        assert_eq!(note(&zones), None);
    }

    #[test]
    fn too_many_zones_name_the_usable_ones() {
        let problems = choose(
            "us-east-1",
            &AvailabilityZones::Count(6),
            true,
            &us_east_1(),
        )
        .expect_err("five usable");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "network.availabilityZones");
        assert!(
            problems[0].message.starts_with(
                "6 availability zones asked, but us-east-1 has 5 this account can use for an EKS cluster: us-east-1a (use1-az6)"
            ),
            "{}",
            problems[0].message
        );
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("set availabilityZones to 5 or fewer")
        );
    }

    #[test]
    fn a_listed_zone_must_exist_and_suit_eks() {
        let china = offered(&[
            ("cn-north-1a", "cnn1-az1"),
            ("cn-north-1b", "cnn1-az2"),
            ("cn-north-1d", "cnn1-az4"),
        ]);
        let listed = |names: &[&str]| {
            AvailabilityZones::Names(names.iter().map(|n| n.to_string()).collect())
        };
        let problems = choose(
            "cn-north-1",
            &listed(&["cn-north-1a", "cn-north-1c"]),
            false,
            &china,
        )
        .expect_err("no 1c");
        assert_eq!(problems[0].path, "network.availabilityZones[1]");
        assert_eq!(
            problems[0].message,
            "cn-north-1c is not an availability zone of cn-north-1 for this account"
        );
        assert_eq!(
            problems[0].hint.as_deref(),
            Some(
                "its zones: cn-north-1a (cnn1-az1), cn-north-1b (cnn1-az2), cn-north-1d (cnn1-az4)"
            )
        );
        let problems = choose(
            "us-east-1",
            &listed(&["us-east-1a", "us-east-1e"]),
            true,
            &us_east_1(),
        )
        .expect_err("EKS refuses 1e here");
        assert_eq!(
            problems[0].message,
            "EKS does not support us-east-1e (use1-az3) for clusters"
        );
        let zones = choose(
            "cn-north-1",
            &listed(&["cn-north-1d", "cn-north-1a"]),
            true,
            &china,
        )
        .expect("as listed");
        assert_eq!(
            names(&zones),
            ["cn-north-1d", "cn-north-1a"],
            "in the order written"
        );
    }

    #[test]
    fn an_offline_plan_says_its_zones_are_assumed() {
        let counted = note(&assumed("cn-north-1", &AvailabilityZones::Count(2))).expect("note");
        assert_eq!(
            counted.message,
            "zones assumed, not asked of AWS: cn-north-1a, cn-north-1b"
        );
        assert_eq!(counted.about, "network.availabilityZones");
        let listed = AvailabilityZones::Names(vec!["cn-north-1d".into()]);
        let written = note(&assumed("cn-north-1", &listed)).expect("note");
        assert_eq!(
            written.message,
            "zones as written, not checked with AWS: cn-north-1d"
        );
    }
}

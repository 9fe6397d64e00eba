//! Automatic subnet carving: one public, one private and one data subnet per availability zone,
//! all inside the VPC CIDR, deterministic and non-overlapping.
//!
//! Scheme (for a VPC of prefix `/p` and `n` zones, `z = ceil(log2(n))` bits name a zone):
//! - the first half of the VPC holds the private subnets, each `/(p+1+z)`: pods get VPC addresses
//!   on EKS, so private subnets need by far the most room;
//! - the third quarter holds the public subnets (load balancers, NAT gateways), each `/(p+2+z)`;
//! - the last quarter holds the data subnets (databases, cache, EFS), each `/(p+2+z)`.
//!
//! Zone `i` takes the `i`-th block of each area. With `10.9.0.0/16` and 2 zones: private
//! `10.9.0.0/18`, `10.9.64.0/18`; public `10.9.128.0/19`, `10.9.160.0/19`; data `10.9.192.0/19`,
//! `10.9.224.0/19`. When `n` is not a power of two the unused blocks stay free for later zones.

use ipnet::Ipv4Net;

/// The smallest subnet AWS allows (and the smallest VPC).
const AWS_SMALLEST_PREFIX: u8 = 28;
/// The largest VPC block AWS allows.
const AWS_LARGEST_VPC_PREFIX: u8 = 16;

/// Subnets per zone, in zone order (index `i` belongs to the `i`-th zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubnetLayout {
    pub(crate) public: Vec<Ipv4Net>,
    pub(crate) private: Vec<Ipv4Net>,
    pub(crate) data: Vec<Ipv4Net>,
}

/// Carves the VPC into public, private and data subnets for `zones` availability zones.
/// The error says why the CIDR has no room and which prefix would.
pub(crate) fn carve(vpc: Ipv4Net, zones: usize) -> Result<SubnetLayout, String> {
    if zones == 0 {
        return Err("at least one availability zone is needed to carve subnets".into());
    }
    let vpc = vpc.trunc();
    let p = vpc.prefix_len();
    if !(AWS_LARGEST_VPC_PREFIX..=AWS_SMALLEST_PREFIX).contains(&p) {
        return Err(format!(
            "a /{p} cannot be a VPC: AWS allows VPC blocks from /{AWS_LARGEST_VPC_PREFIX} to /{AWS_SMALLEST_PREFIX}; use /16 to /20"
        ));
    }
    let zone_bits = zone_bits(zones);
    let private_prefix = u32::from(p) + 1 + zone_bits;
    let small_prefix = u32::from(p) + 2 + zone_bits;
    if small_prefix > u32::from(AWS_SMALLEST_PREFIX) {
        let needed = u32::from(AWS_SMALLEST_PREFIX) - 2 - zone_bits;
        return Err(format!(
            "a /{p} cannot hold 3 subnets (public, private, data) per zone for {zones} zones: \
             the public and data subnets would be /{small_prefix}, smaller than AWS's smallest subnet /{AWS_SMALLEST_PREFIX}; \
             use /{needed} or larger (/20 or larger leaves room for EKS pods)"
        ));
    }
    // Both prefixes are now at most 28, so the conversions and the subnet iterators cannot fail.
    let (private_prefix, small_prefix) = (private_prefix as u8, small_prefix as u8);
    let halves = split(vpc, p + 1)?;
    let quarters = split(halves[1], p + 2)?;
    let take = |area: Ipv4Net, prefix: u8| -> Result<Vec<Ipv4Net>, String> {
        Ok(split(area, prefix)?.into_iter().take(zones).collect())
    };
    Ok(SubnetLayout {
        private: take(halves[0], private_prefix)?,
        public: take(quarters[0], small_prefix)?,
        data: take(quarters[1], small_prefix)?,
    })
}

/// Bits needed to give each of `zones` zones its own block: ceil(log2(zones)).
fn zone_bits(zones: usize) -> u32 {
    zones.next_power_of_two().trailing_zeros()
}

fn split(net: Ipv4Net, prefix: u8) -> Result<Vec<Ipv4Net>, String> {
    net.subnets(prefix)
        .map(|s| s.collect())
        .map_err(|_| format!("cannot split {net} into /{prefix} blocks"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().expect("test CIDR")
    }

    fn strings(nets: &[Ipv4Net]) -> Vec<String> {
        nets.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn two_zones_in_a_slash_16() {
        let layout = carve(net("10.9.0.0/16"), 2).expect("room");
        assert_eq!(strings(&layout.private), ["10.9.0.0/18", "10.9.64.0/18"]);
        assert_eq!(strings(&layout.public), ["10.9.128.0/19", "10.9.160.0/19"]);
        assert_eq!(strings(&layout.data), ["10.9.192.0/19", "10.9.224.0/19"]);
    }

    #[test]
    fn three_zones_leave_the_fourth_block_free() {
        let layout = carve(net("10.0.0.0/16"), 3).expect("room");
        assert_eq!(
            strings(&layout.private),
            ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
        );
        assert_eq!(
            strings(&layout.public),
            ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"]
        );
        assert_eq!(
            strings(&layout.data),
            ["10.0.192.0/20", "10.0.208.0/20", "10.0.224.0/20"]
        );
    }

    #[test]
    fn subnets_never_overlap_and_stay_inside() {
        for prefix in 16..=26u8 {
            for zones in 1..=6usize {
                let vpc = Ipv4Net::new("10.20.0.0".parse().expect("ip"), prefix).expect("net");
                let Ok(layout) = carve(vpc, zones) else {
                    continue;
                };
                let all: Vec<Ipv4Net> = [&layout.public, &layout.private, &layout.data]
                    .into_iter()
                    .flatten()
                    .copied()
                    .collect();
                assert_eq!(all.len(), 3 * zones);
                for (i, a) in all.iter().enumerate() {
                    assert!(vpc.contains(a), "{a} outside {vpc}");
                    for b in &all[i + 1..] {
                        assert!(!a.contains(b) && !b.contains(a), "{a} overlaps {b}");
                    }
                }
                for private in &layout.private {
                    assert!(private.prefix_len() < layout.public[0].prefix_len());
                }
            }
        }
    }

    #[test]
    fn host_bits_in_the_vpc_cidr_are_ignored() {
        let layout = carve(net("10.9.1.7/16"), 1).expect("room");
        assert_eq!(strings(&layout.private), ["10.9.0.0/17"]);
    }

    #[test]
    fn too_small_a_vpc_says_what_would_fit() {
        let err = carve(net("10.0.0.0/26"), 2).expect_err("no room");
        assert!(err.contains("a /26 cannot hold 3 subnets"), "{err}");
        assert!(err.contains("use /25 or larger"), "{err}");
    }

    #[test]
    fn vpc_limits_and_zero_zones_are_errors() {
        assert!(carve(net("10.0.0.0/8"), 2).is_err());
        assert!(carve(net("10.0.0.0/29"), 1).is_err());
        assert!(carve(net("10.0.0.0/16"), 0).is_err());
    }
}

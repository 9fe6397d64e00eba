//! The prices shipped in the binary: the offline fallback when the AWS Price List Query API cannot
//! be asked (an offline plan, or Pricing unreachable and nothing cached). On-demand list prices of
//! US East (N. Virginia) in USD from AWS's public pricing pages (aws.amazon.com/eks/pricing,
//! /ec2/pricing/on-demand, /ebs/pricing, /vpc/pricing (public IPv4, NAT gateway),
//! /elasticloadbalancing/pricing, /rds/mysql/pricing, /rds/postgresql/pricing,
//! /elasticache/pricing, /cloudwatch/pricing (alarms, Synthetics canary runs), /fargate/pricing
//! (Linux/x86 per vCPU-hour and per GB-hour), /secrets-manager/pricing) as the authors knew
//! them on [`TAKEN`]: the machine this was written on cannot reach those pages, so the figures were
//! not re-read there that day. They are an estimate's fallback; a live plan's Price List answer
//! replaces them, and docs/commands.md says so. Other regions have no offline prices: their lines say so, and a live plan asks the
//! Price List (the China endpoint, in CNY, for `cn-*` regions). A price missing here is never
//! guessed from another region's.

use std::collections::BTreeMap;

use super::PriceBook;
use crate::blueprint::support::Date;

/// The day this table was written (see the module's note on where its figures come from).
pub(crate) const TAKEN: Date = Date::ymd(2026, 12, 5);

/// The region the table's prices are for.
pub(crate) const REGION: &str = "us-east-1";

/// `(PriceKey::id, USD per unit)`.
const US_EAST_1: &[(&str, f64)] = &[
    // EKS: $0.10 per cluster hour in standard support.
    ("eks-cluster", 0.10),
    // EC2 Linux on-demand, per hour.
    ("instance:t3.small", 0.0208),
    ("instance:t3.medium", 0.0416),
    ("instance:t3.large", 0.0832),
    ("instance:t3.xlarge", 0.1664),
    ("instance:m5.large", 0.096),
    ("instance:m5.xlarge", 0.192),
    ("instance:m6i.large", 0.096),
    ("instance:m6i.xlarge", 0.192),
    ("instance:m6i.2xlarge", 0.384),
    ("instance:c6i.large", 0.085),
    ("instance:r6i.large", 0.126),
    // EBS gp3, per GB-month.
    ("ebs:gp3", 0.08),
    // NAT gateway, per hour (data processed: $0.045/GB, usage-based).
    ("nat-gateway", 0.045),
    // Public IPv4 address in use, per hour (since 2024-02-01).
    ("public-ipv4", 0.005),
    // Load balancers, per hour (capacity units usage-based).
    ("load-balancer:application", 0.0225),
    ("load-balancer:network", 0.0225),
    // RDS on-demand instances, per hour.
    ("db-instance:MySQL:db.t3.micro:Single-AZ", 0.017),
    ("db-instance:MySQL:db.t3.micro:Multi-AZ", 0.034),
    ("db-instance:MySQL:db.t3.small:Single-AZ", 0.034),
    ("db-instance:MySQL:db.t3.small:Multi-AZ", 0.068),
    ("db-instance:MySQL:db.t3.medium:Single-AZ", 0.068),
    ("db-instance:MySQL:db.t3.medium:Multi-AZ", 0.136),
    ("db-instance:PostgreSQL:db.t3.micro:Single-AZ", 0.018),
    ("db-instance:PostgreSQL:db.t3.micro:Multi-AZ", 0.036),
    ("db-instance:PostgreSQL:db.t3.medium:Single-AZ", 0.072),
    ("db-instance:PostgreSQL:db.t3.medium:Multi-AZ", 0.144),
    // RDS general purpose (gp2) storage, per GB-month.
    ("db-storage:gp2:Single-AZ", 0.115),
    ("db-storage:gp2:Multi-AZ", 0.23),
    // ElastiCache for Redis OSS on-demand nodes, per hour.
    ("cache-node:redis:cache.t3.micro", 0.017),
    ("cache-node:redis:cache.t3.small", 0.034),
    ("cache-node:redis:cache.t3.medium", 0.068),
    // CloudWatch standard-resolution alarm, per month; Synthetics, per canary run.
    ("cloudwatch-alarm", 0.10),
    ("canary-run", 0.0012),
    // Fargate, Linux/x86: per vCPU-hour and per GB-hour of memory.
    ("fargate:vcpu", 0.04048),
    ("fargate:memory", 0.004445),
    // Secrets Manager: per secret per month (API calls, $0.05 per 10,000, usage-based).
    ("secretsmanager-secret", 0.40),
];

/// The shipped prices for `region`: US East (N. Virginia)'s, or none (in the region's currency)
/// for any other region.
pub fn offline(region: &str) -> PriceBook {
    let prices: BTreeMap<String, f64> = if region == REGION {
        US_EAST_1.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    } else {
        BTreeMap::new()
    };
    let source = if region == REGION {
        format!("shinyctl's price table of {TAKEN} (AWS's on-demand list prices for {REGION})")
    } else {
        format!("shinyctl's price table of {TAKEN}, which has prices for {REGION} only")
    };
    PriceBook {
        region: region.to_string(),
        currency: currency(region).to_string(),
        source,
        prices,
    }
}

/// The currency AWS prices a region in: CNY in the China regions (the Price List's China
/// endpoint answers in CNY), USD everywhere else.
pub(crate) fn currency(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "CNY"
    } else {
        "USD"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::cost::PriceKey;

    #[test]
    fn every_entry_is_a_key_the_estimate_asks_for() {
        let known = |id: &str| {
            let (kind, rest) = id.split_once(':').unwrap_or((id, ""));
            matches!(
                kind,
                "eks-cluster"
                    | "instance"
                    | "ebs"
                    | "nat-gateway"
                    | "public-ipv4"
                    | "load-balancer"
                    | "db-instance"
                    | "db-storage"
                    | "cache-node"
                    | "cloudwatch-alarm"
                    | "canary-run"
                    | "fargate"
                    | "secretsmanager-secret"
            ) && (rest.is_empty() || !rest.ends_with(':'))
        };
        for (id, price) in US_EAST_1 {
            assert!(known(id), "{id}");
            assert!(*price > 0.0, "{id}");
        }
        let book = offline("us-east-1");
        assert_eq!(book.price(&PriceKey::EksCluster), Some(0.10));
        assert_eq!(
            book.price(&PriceKey::DbInstance {
                engine: "MySQL".into(),
                instance_class: "db.t3.medium".into(),
                multi_az: true
            }),
            Some(0.136)
        );
    }

    #[test]
    fn other_regions_have_no_offline_prices_and_china_is_in_yuan() {
        let ningxia = offline("cn-northwest-1");
        assert!(ningxia.prices.is_empty());
        assert_eq!(ningxia.currency, "CNY");
        assert_eq!(offline("eu-west-1").currency, "USD");
    }
}

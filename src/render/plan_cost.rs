//! The plan's cost estimate for people: one row per cost line (the resource's address on its
//! first), the month's amount or `usage-based`, how it was computed, then the total and the
//! change, `+$412.34/month`, as Infracost shows it.

use std::fmt::Write;

use crate::plan::cost::{Cost, CostLine, ResourceCost};

/// The cost section, ending in a blank line; empty when nothing in the plan costs anything.
pub(crate) fn render(cost: &Cost) -> String {
    let mut out = String::new();
    if cost.resources.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "Estimated monthly cost ({}, on-demand; prices: {}):",
        cost.currency, cost.source
    );
    let address_width = cost
        .resources
        .iter()
        .map(|r| r.address.as_str().chars().count())
        .max()
        .unwrap_or(0);
    let what_width = cost
        .resources
        .iter()
        .flat_map(|r| &r.lines)
        .map(|l| l.what.chars().count())
        .max()
        .unwrap_or(0);
    let amounts: Vec<String> = cost
        .resources
        .iter()
        .flat_map(|r| &r.lines)
        .map(|l| amount(l, &cost.currency))
        .collect();
    let amount_width = amounts.iter().map(|a| a.chars().count()).max().unwrap_or(0);
    let mut amounts = amounts.into_iter();
    for resource in &cost.resources {
        for (i, line) in resource.lines.iter().enumerate() {
            let address = if i == 0 {
                resource.address.as_str()
            } else {
                ""
            };
            let shown = amounts.next().unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {} {}  {}",
                pad(address, address_width),
                pad(&line.what, what_width),
                pad_left(&shown, amount_width),
                line.basis
            );
        }
        if let Some(change) = resource_change(resource, &cost.currency) {
            let _ = writeln!(
                out,
                "  {} {change}",
                pad("", address_width + what_width + 1)
            );
        }
    }
    let total = if cost.unpriced > 0 {
        "Total of the priced lines"
    } else {
        "Total"
    };
    let _ = writeln!(
        out,
        "  {total}: {}/month ({}/month)",
        money(cost.monthly_after, &cost.currency),
        signed(cost.monthly_change, &cost.currency),
    );
    if cost.unpriced > 0 {
        let _ = writeln!(
            out,
            "  {} line(s) have no price here and are left out; a live plan asks the AWS Price List.",
            cost.unpriced
        );
    }
    out.push('\n');
    out
}

/// `was $148.16, now $222.24/month (+$74.08)` for a resource whose cost the plan changes.
fn resource_change(r: &ResourceCost, currency: &str) -> Option<String> {
    match (r.monthly_before, r.monthly_after) {
        (Some(before), Some(after)) if (before - after).abs() >= 0.005 => Some(format!(
            "was {}, now {}/month ({})",
            money(before, currency),
            money(after, currency),
            signed(after - before, currency)
        )),
        (Some(before), None) => Some(format!("saves {}/month", money(before, currency))),
        _ => None,
    }
}

fn amount(line: &CostLine, currency: &str) -> String {
    match line.monthly {
        Some(monthly) => money(monthly, currency),
        None if line.usage_based => "usage-based".into(),
        None => "no price".into(),
    }
}

fn symbol(currency: &str) -> &str {
    match currency {
        "USD" => "$",
        "CNY" => "¥",
        other => other,
    }
}

/// `$1,234.50`, `¥88.00`.
pub(crate) fn money(amount: f64, currency: &str) -> String {
    let cents = (amount.abs() * 100.0).round() as u64;
    let whole = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}{}{grouped}.{:02}", symbol(currency), cents % 100)
}

/// `+$412.00`, `-$32.85`, `±$0.00`.
pub(crate) fn signed(amount: f64, currency: &str) -> String {
    let cents = (amount.abs() * 100.0).round();
    if cents == 0.0 {
        return format!("±{}", money(0.0, currency));
    }
    let sign = if amount > 0.0 { "+" } else { "-" };
    format!("{sign}{}", money(amount.abs(), currency))
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

fn pad_left(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{}{text}", " ".repeat(width.saturating_sub(len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::cost::{estimate, table};
    use crate::plan::{ObservedResource, ObservedState, Resource, ResourceKind, diff};
    use serde_json::json;

    #[test]
    fn money_is_grouped_and_signed() {
        assert_eq!(money(1234.5, "USD"), "$1,234.50");
        assert_eq!(money(88.0, "CNY"), "¥88.00");
        assert_eq!(signed(412.0, "USD"), "+$412.00");
        assert_eq!(signed(-32.85, "USD"), "-$32.85");
        assert_eq!(signed(0.001, "USD"), "±$0.00");
    }

    #[test]
    fn rows_show_amounts_usage_and_the_change() {
        let nat = Resource::new(
            "network.nat_gateway[a]",
            ResourceKind::NatGateway,
            "x-nat-a",
            "network",
        );
        let group = |n: u32| {
            Resource::new(
                "cluster.node_group[proxy]",
                ResourceKind::NodeGroup,
                "x-proxy",
                "cluster",
            )
            .with("instanceTypes", json!(["m6i.large"]))
            .with("diskSizeGib", 50)
            .with("scaling", json!({"desiredSize": n}))
        };
        let mut state = ObservedState::empty("x", "us-east-1");
        let old = group(2);
        state.resources.push(ObservedResource {
            address: old.address.clone(),
            kind: old.kind,
            id: "x".into(),
            name: old.name.clone(),
            properties: old.properties.clone(),
        });
        let plan = diff(&[nat, group(3)], &state);
        let text = render(&estimate(&plan, &table::offline("us-east-1")));
        insta::assert_snapshot!(text);
    }
}

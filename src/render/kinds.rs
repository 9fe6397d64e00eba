//! `shinyctl kinds --json`: every kind's spec row (`plan::kind::SPECS`) as JSON, for the bench
//! (`xtask`), which reads the kinds from the binary instead of keeping its own list.

use serde_json::{Value, json};

use crate::plan::kind::{KindSpec, Serialise};

/// One object per kind, in `ResourceKind::ALL`'s order.
pub fn kinds_json(specs: &[KindSpec]) -> Value {
    Value::Array(specs.iter().map(kind_json).collect())
}

fn kind_json(spec: &KindSpec) -> Value {
    let calls = |calls: &[(&str, &str)]| -> Value {
        calls
            .iter()
            .map(|(service, action)| json!({"service": service, "action": action}))
            .collect()
    };
    json!({
        "kind": spec.kind.as_str(),
        "service": spec.service,
        "holdsData": spec.holds_data,
        "replaceOn": spec.replace_on,
        "replaceWhenRemoved": spec.replace_when_removed,
        "brokenMarkers": spec.broken_markers,
        "takesTags": spec.takes_tags(),
        "identityKeys": spec.identity_keys(),
        "nameRule": spec.name_rule.map(|rule| json!({
            "maxLen": rule.max_len,
            "charset": rule.charset,
            "startsWithLetter": rule.starts_with_letter,
            "noDoubleOrTrailingHyphen": rule.no_double_or_trailing_hyphen,
        })),
        "createSeconds": spec.create_seconds,
        "deleteSeconds": spec.delete_seconds,
        "serialise": spec.serialise.map(|Serialise { scope, by }| json!({"scope": scope, "by": by})),
        "reads": spec.reads.map(|reads| json!({
            "furtherListing": calls(reads.further_listing),
            "perResource": calls(reads.per_resource),
            "why": reads.why,
        })),
        "prices": {
            "perResource": spec.prices.per_resource,
            "perKind": spec.prices.per_kind,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind;
    use crate::plan::kind::SPECS;

    #[test]
    fn every_kind_is_listed_with_its_reads() {
        let json = kinds_json(SPECS);
        let kinds = json.as_array().expect("an array");
        assert_eq!(kinds.len(), ResourceKind::ALL.len());
        let vpc = &kinds[0];
        assert_eq!(vpc["kind"], "vpc");
        assert_eq!(vpc["service"], "ec2");
        assert_eq!(vpc["takesTags"], true);
        assert_eq!(
            vpc["reads"]["perResource"][0],
            json!({"service": "ec2", "action": "DescribeVpcAttribute"})
        );
        let fargate = kinds
            .iter()
            .find(|k| k["kind"] == "fargate_profile")
            .expect("fargate");
        assert_eq!(
            fargate["serialise"],
            json!({"scope": "eks-fargate-profiles", "by": "cluster"})
        );
        let route = kinds.iter().find(|k| k["kind"] == "route").expect("route");
        assert_eq!(route["takesTags"], false);
        assert_eq!(route["identityKeys"], json!(["routeTable", "destination"]));
        assert_eq!(kinds.last().expect("last")["reads"], Value::Null);
    }
}

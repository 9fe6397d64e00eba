//! Catalog tests on the reference blueprint (the shape of `blueprints/shinyproxy-eks.yaml`), built
//! in code so that these tests do not depend on the YAML loader.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::blueprint::model::*;

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `blueprints/lowcode-ha.yaml` (seed 001: server groups), loaded as `shinyctl` loads it.
pub(crate) fn lowcode_servers() -> Blueprint {
    crate::load::shipped("lowcode-ha.yaml").blueprint
}

/// `blueprints/rstudio-lb.yaml` (seed 002: load-balanced Workbench), loaded as `shinyctl` loads it.
pub(crate) fn rstudio_lb() -> Blueprint {
    crate::load::shipped("rstudio-lb.yaml").blueprint
}

/// The reference example, field by field.
pub(crate) fn example() -> Blueprint {
    Blueprint {
        api_version: API_VERSION.into(),
        kind: KIND.into(),
        metadata: Metadata {
            name: "analytics".into(),
            region: "cn-northwest-1".into(),
            tags: tags(&[("team", "data-science"), ("cost-center", "4711")]),
        },
        network: Some(Network {
            cidr: "10.9.0.0/16".into(),
            availability_zones: AvailabilityZones::Count(2),
            nat_gateway: NatGateway::Single,
        }),
        cluster: Some(Cluster {
            version: "1.31".into(),
            endpoint_access: EndpointAccess::default(),
            logging: vec![
                ControlPlaneLog::Api,
                ControlPlaneLog::Audit,
                ControlPlaneLog::Authenticator,
            ],
            fargate_profiles: vec![FargateProfile {
                name: "apps".into(),
                selectors: vec![FargateSelector {
                    namespace: "shiny-apps".into(),
                    labels: BTreeMap::new(),
                }],
            }],
            node_groups: vec![NodeGroup {
                name: "proxy".into(),
                instance_types: vec!["m6i.large".into()],
                desired: 2,
                min: 2,
                max: 4,
                disk_size_gib: 50,
                capacity_type: CapacityType::OnDemand,
                labels: BTreeMap::new(),
            }],
        }),
        storage: Some(Storage {
            efs: Some(Efs {
                encrypted: true,
                performance_mode: EfsPerformanceMode::GeneralPurpose,
                throughput_mode: EfsThroughputMode::Elastic,
                access_points: vec![AccessPoint {
                    name: "shared-data".into(),
                    path: "/shiny/data".into(),
                    uid: 1000,
                    gid: 1000,
                    permissions: "0755".into(),
                }],
            }),
            buckets: Vec::new(),
        }),
        database: Some(Database {
            engine: DatabaseEngine::AuroraPostgresql,
            version: "16.4".into(),
            instance_class: None,
            serverless: Some(ServerlessCapacity {
                min_capacity: 0.5,
                max_capacity: 8.0,
            }),
            multi_az: true,
            database_name: Some("shinyproxy".into()),
            storage_gib: None,
            parameters: tags(&[("log_min_duration_statement", "500")]),
            backup_retention_days: 7,
            deletion_protection: true,
            master_username: "shinyadmin".into(),
        }),
        cache: Some(Cache {
            engine: CacheEngine::Redis,
            version: "7.1".into(),
            node_type: "cache.t3.medium".into(),
            cluster_mode: ClusterMode::Enabled,
            shards: 2,
            replicas_per_shard: 1,
            transit_encryption: true,
            at_rest_encryption: true,
            parameters: BTreeMap::new(),
        }),
        registry: Some(Registry {
            repositories: vec![Repository {
                name: "shiny/covid19-tracker".into(),
                scan_on_push: true,
                keep_last_images: Some(20),
                immutable_tags: false,
                mirror_of: None,
            }],
        }),
        ingress: Some(Ingress {
            kind: LoadBalancerType::Alb,
            scheme: Scheme::InternetFacing,
            domain: Some("shiny.example.com".into()),
            listeners: vec![
                Listener {
                    port: 443,
                    protocol: ListenerProtocol::Https,
                    certificate_arn: Some(
                        "arn:aws-cn:acm:cn-northwest-1:123456789012:certificate/0f1e2d3c".into(),
                    ),
                    redirect_to: None,
                },
                Listener {
                    port: 80,
                    protocol: ListenerProtocol::Http,
                    certificate_arn: None,
                    redirect_to: Some(443),
                },
            ],
            idle_timeout_seconds: Some(3600),
            stickiness: Some(Stickiness {
                kind: StickinessType::LbCookie,
                duration_seconds: 3600,
                cookie_name: None,
            }),
            health_check: HealthCheck {
                path: "/login".into(),
                interval_seconds: 15,
                healthy_threshold: 2,
                ..HealthCheck::default()
            },
        }),
        monitoring: Some(Monitoring {
            alarm_email: Some("ops@example.com".into()),
            canaries: vec![Canary {
                name: "login".into(),
                path: "/login".into(),
                every: "5m".into(),
            }],
            alarms: vec![
                Alarm {
                    metric: AlarmMetric::CanaryFailed,
                    threshold: 1.0,
                    period: "15m".into(),
                },
                Alarm {
                    metric: AlarmMetric::UnhealthyTargets,
                    threshold: 1.0,
                    period: "5m".into(),
                },
            ],
        }),
        // The proxy section produces Kubernetes objects (workload issue), no AWS resources.
        proxy: None,
        servers: vec![],
        ecs: None,
    }
}

fn minimal() -> Blueprint {
    Blueprint {
        network: None,
        cluster: None,
        storage: None,
        database: None,
        cache: None,
        registry: None,
        ingress: None,
        monitoring: None,
        proxy: None,
        ..example()
    }
}

fn find<'r>(resources: &'r [Resource], address: &str) -> &'r Resource {
    resources
        .iter()
        .find(|r| r.address.as_str() == address)
        .unwrap_or_else(|| panic!("no resource {address}"))
}

fn prop<'r>(resources: &'r [Resource], address: &str, key: &str) -> &'r Value {
    find(resources, address)
        .properties
        .get(key)
        .unwrap_or_else(|| panic!("{address} has no {key}"))
}

/// The address list and dependency edges, one line per resource.
fn outline(resources: &[Resource]) -> String {
    resources
        .iter()
        .map(|r| {
            let deps: Vec<&str> = r.depends_on.iter().map(|d| d.as_str()).collect();
            if deps.is_empty() {
                format!("{} ({})", r.address, r.kind.as_str())
            } else {
                format!("{} ({}) <- {}", r.address, r.kind.as_str(), deps.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn example_outline() {
    insta::assert_snapshot!(outline(&desired(&example())));
}

#[test]
fn desired_is_deterministic_and_sorted() {
    let one = desired(&example());
    let two = desired(&example());
    assert_eq!(one, two);
    let addresses: Vec<&Address> = one.iter().map(|r| &r.address).collect();
    let mut sorted = addresses.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(addresses, sorted, "sorted and unique");
}

#[test]
fn every_dependency_exists_and_every_reference_is_a_dependency() {
    let resources = desired(&example());
    let known: BTreeSet<&str> = resources.iter().map(|r| r.address.as_str()).collect();
    for r in &resources {
        for d in &r.depends_on {
            assert!(
                known.contains(d.as_str()),
                "{} depends on missing {d}",
                r.address
            );
        }
        let mut refs = BTreeSet::new();
        let owned: BTreeSet<String> = known.iter().map(|s| s.to_string()).collect();
        for (key, value) in &r.properties {
            if key != "tags" {
                collect_references(value, &owned, &mut refs);
            }
        }
        for reference in refs {
            assert!(
                r.depends_on.iter().any(|d| d.as_str() == reference),
                "{} references {reference} without depending on it",
                r.address
            );
        }
    }
}

#[test]
fn example_has_no_cycle_and_its_critical_path_runs_through_eks() {
    let resources = desired(&example());
    assert_eq!(dependency_graph(&resources).find_cycle(), None);
    let path = critical_path(&resources).expect("acyclic");
    let chain: Vec<&str> = path.chain.iter().map(|a| a.as_str()).collect();
    // The control plane dominates. What precedes it is the slower of its prerequisites: the
    // cluster role and its policy (5 s + 2 s by the kind estimates) beat VPC -> subnet (2 s + 2 s).
    assert_eq!(
        chain,
        [
            addresses::CLUSTER_ROLE,
            "cluster.iam_role_policy_attachment.cluster[AmazonEKSClusterPolicy]",
            addresses::EKS_CLUSTER,
            "cluster.node_group[proxy]",
            "cluster.eks_addon[aws-efs-csi-driver]",
        ]
    );
    // The EFS CSI driver add-on runs on the nodes, so it comes last.
    assert_eq!(path.total, 5.0 + 2.0 + 600.0 + 150.0 + 60.0);
    // The network is still a prerequisite of the cluster.
    let dag = dependency_graph(&resources);
    let needs = dag.transitive_dependencies(&Address::new(addresses::EKS_CLUSTER));
    assert!(needs.iter().any(|a| a.as_str() == addresses::VPC));
}

#[test]
fn replace_on_keys_are_present() {
    let resources = desired(&example());
    for r in &resources {
        for key in r.kind.replace_on() {
            if r.kind.broken_markers().contains(key) {
                assert!(!r.properties.contains_key(*key), "{} sets {key}", r.address);
                continue;
            }
            assert!(
                r.properties.contains_key(*key),
                "{} lacks replace-on key {key}",
                r.address
            );
        }
    }
}

#[test]
fn tags_carry_ownership_where_aws_takes_them() {
    let resources = desired(&example());
    let vpc = prop(&resources, addresses::VPC, "tags");
    assert_eq!(vpc["Name"], "analytics-vpc");
    assert_eq!(vpc[BLUEPRINT_TAG], "analytics");
    assert_eq!(vpc[ADDRESS_TAG], "network.vpc");
    assert_eq!(vpc["team"], "data-science");
    let public = prop(&resources, "network.subnet.public[a]", "tags");
    assert_eq!(public["kubernetes.io/role/elb"], "1");
    let route = find(&resources, addresses::PUBLIC_DEFAULT_ROUTE);
    assert!(!route.properties.contains_key("tags"));
}

#[test]
fn china_partition_shows_in_principals_and_policy_arns() {
    let resources = desired(&example());
    let node_trust = prop(&resources, addresses::NODE_ROLE, "assumeRolePolicy");
    assert_eq!(
        node_trust["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com.cn"
    );
    let cluster_trust = prop(&resources, addresses::CLUSTER_ROLE, "assumeRolePolicy");
    assert_eq!(
        cluster_trust["Statement"][0]["Principal"]["Service"],
        "eks.amazonaws.com"
    );
    assert_eq!(
        prop(
            &resources,
            "cluster.iam_role_policy_attachment.cluster[AmazonEKSClusterPolicy]",
            "policyArn"
        ),
        "arn:aws-cn:iam::aws:policy/AmazonEKSClusterPolicy"
    );
}

#[test]
fn subnets_are_carved_per_zone() {
    let resources = desired(&example());
    assert_eq!(
        prop(&resources, "network.subnet.private[a]", "cidr"),
        "10.9.0.0/18"
    );
    assert_eq!(
        prop(&resources, "network.subnet.public[b]", "cidr"),
        "10.9.160.0/19"
    );
    assert_eq!(
        prop(&resources, "network.subnet.data[b]", "availabilityZone"),
        "cn-northwest-1b"
    );
}

#[test]
fn nat_modes() {
    let mut bp = example();
    let count =
        |bp: &Blueprint, kind: ResourceKind| desired(bp).iter().filter(|r| r.kind == kind).count();
    assert_eq!(count(&bp, ResourceKind::NatGateway), 1);
    let resources = desired(&bp);
    assert_eq!(
        prop(&resources, "network.route.private_default[b]", "target"),
        "network.nat_gateway[a]"
    );
    if let Some(n) = bp.network.as_mut() {
        n.nat_gateway = NatGateway::PerAz;
    }
    assert_eq!(count(&bp, ResourceKind::NatGateway), 2);
    assert_eq!(count(&bp, ResourceKind::ElasticIp), 2);
    if let Some(n) = bp.network.as_mut() {
        n.nat_gateway = NatGateway::None;
    }
    assert_eq!(count(&bp, ResourceKind::NatGateway), 0);
    // Only the public default route is left.
    assert_eq!(count(&bp, ResourceKind::Route), 1);
}

#[test]
fn aurora_serverless_multi_az_has_two_serverless_instances_and_a_managed_password() {
    let resources = desired(&example());
    for (n, zone) in [(1, "cn-northwest-1a"), (2, "cn-northwest-1b")] {
        let address = addresses::db_cluster_instance(n);
        assert_eq!(prop(&resources, &address, "instanceClass"), "db.serverless");
        assert_eq!(prop(&resources, &address, "availabilityZone"), zone);
    }
    assert_eq!(
        prop(&resources, addresses::DB_CLUSTER_PARAMETER_GROUP, "family"),
        "aurora-postgresql16"
    );
    assert_eq!(
        prop(
            &resources,
            addresses::DB_CLUSTER,
            "manageMasterUserPassword"
        ),
        &json!(true)
    );
    let text = serde_json::to_string(&resources).unwrap_or_default();
    assert!(!text.to_lowercase().contains("masteruserpassword\":\""));
}

#[test]
fn mysql_instance_with_parameter_group() {
    let mut bp = example();
    if let Some(db) = bp.database.as_mut() {
        db.engine = DatabaseEngine::Mysql;
        db.version = "8.0.35".into();
        db.serverless = None;
        db.instance_class = Some("db.t4g.large".into());
        db.parameters = tags(&[("log_bin_trust_function_creators", "1")]);
    }
    let resources = desired(&bp);
    assert_eq!(
        prop(&resources, addresses::DB_PARAMETER_GROUP, "family"),
        "mysql8.0"
    );
    assert_eq!(
        prop(&resources, addresses::DB_PARAMETER_GROUP, "parameters"),
        &json!({"log_bin_trust_function_creators": "1"})
    );
    assert_eq!(
        prop(&resources, addresses::DB_INSTANCE, "multiAz"),
        &json!(true)
    );
    assert!(!resources.iter().any(|r| r.kind == ResourceKind::DbCluster));
}

#[test]
fn cache_parameter_group_matches_cluster_mode() {
    let resources = desired(&example());
    assert_eq!(
        prop(&resources, addresses::CACHE_PARAMETER_GROUP, "family"),
        "redis7"
    );
    assert_eq!(
        prop(&resources, addresses::CACHE_PARAMETER_GROUP, "parameters")["cluster-enabled"],
        "yes"
    );
}

#[test]
fn listeners_and_alarms() {
    let resources = desired(&example());
    let redirect = prop(&resources, "ingress.listener[80]", "defaultAction");
    assert_eq!(redirect["type"], "redirect");
    let https = find(&resources, "ingress.listener[443]");
    assert_eq!(
        https.properties["certificates"][0],
        "arn:aws-cn:acm:cn-northwest-1:123456789012:certificate/0f1e2d3c"
    );
    let failed = find(
        &resources,
        "monitoring.cloudwatch_alarm[canary-failed-login]",
    );
    assert_eq!(failed.properties["namespace"], "CloudWatchSynthetics");
    assert_eq!(failed.properties["periodSeconds"], 900);
    assert!(
        failed
            .depends_on
            .iter()
            .any(|d| d.as_str() == "monitoring.canary[login]")
    );
    let unhealthy = find(&resources, "monitoring.cloudwatch_alarm[unhealthy-targets]");
    assert_eq!(unhealthy.properties["namespace"], "AWS/ApplicationELB");
    assert_eq!(unhealthy.properties["metricName"], "UnHealthyHostCount");
}

#[test]
fn minimal_blueprint_has_no_resources_and_sections_imply_a_network() {
    assert!(desired(&minimal()).is_empty());
    let bp = Blueprint {
        registry: example().registry,
        ..minimal()
    };
    let resources = desired(&bp);
    assert_eq!(resources.len(), 2, "{}", outline(&resources));
    let bp = Blueprint {
        cache: example().cache,
        ..minimal()
    };
    let resources = desired(&bp);
    assert!(
        resources
            .iter()
            .any(|r| r.address.as_str() == addresses::VPC)
    );
    // Without a cluster, the private subnets are the cache's clients.
    assert!(
        resources
            .iter()
            .any(|r| r.address.as_str() == "cache.security_group_rule[from_private_a]")
    );
}

#[test]
fn buckets_are_private_and_named_after_the_blueprint() {
    let bp = Blueprint {
        storage: Some(Storage {
            efs: None,
            buckets: vec![Bucket {
                name: "resources".into(),
                versioning: true,
            }],
        }),
        ..minimal()
    };
    let resources = desired(&bp);
    assert_eq!(resources.len(), 1, "a bucket needs no VPC");
    let bucket = find(&resources, "storage.s3_bucket[resources]");
    assert_eq!(bucket.name, "analytics-resources-<account>-cn-northwest-1");
    // Live, the account comes from the connection.
    let live = desired_in(&bp, Some("123456789012"));
    assert_eq!(
        find(&live, "storage.s3_bucket[resources]").name,
        "analytics-resources-123456789012-cn-northwest-1"
    );
    assert_eq!(
        bucket.properties["publicAccessBlock"]["blockPublicPolicy"],
        true
    );
}

#[test]
fn example_names_fit_aws() {
    assert_eq!(name_problems(&desired(&example())), vec![]);
}

#[test]
fn long_blueprint_name_is_caught() {
    let mut bp = example();
    bp.metadata.name = "a-rather-long-analytics-platform-xyz".into();
    let problems = name_problems(&desired(&bp));
    assert!(problems.iter().any(|p| p.path == "ingress"), "{problems:?}");
    assert!(problems.iter().any(|p| p.path == "cache"), "{problems:?}");
}

#[test]
fn durations() {
    assert_eq!(duration_seconds("5m"), Some(300));
    assert_eq!(duration_seconds("1h"), Some(3600));
    assert_eq!(duration_seconds("30"), Some(30));
    assert_eq!(duration_seconds("5x"), None);
    assert_eq!(duration_seconds(""), None);
    assert_eq!(monitoring::rate_expression(300), "rate(5 minutes)");
    assert_eq!(monitoring::rate_expression(3600), "rate(1 hour)");
    assert_eq!(monitoring::rate_expression(10), "rate(1 minute)");
}

/// Every subset of the example's sections: no dangling dependency, no cycle, unique addresses.
#[test]
fn every_combination_of_sections_is_a_sound_graph() {
    let full = example();
    for mask in 0u32..(1 << 8) {
        let on = |bit: u32| mask & (1 << bit) != 0;
        let bp = Blueprint {
            network: full.network.clone().filter(|_| on(0)),
            cluster: full.cluster.clone().filter(|_| on(1)),
            storage: full.storage.clone().filter(|_| on(2)),
            database: full.database.clone().filter(|_| on(3)),
            cache: full.cache.clone().filter(|_| on(4)),
            registry: full.registry.clone().filter(|_| on(5)),
            ingress: full.ingress.clone().filter(|_| on(6)),
            monitoring: full.monitoring.clone().filter(|_| on(7)),
            ..minimal()
        };
        let resources = desired(&bp);
        let known: BTreeSet<&Address> = resources.iter().map(|r| &r.address).collect();
        assert_eq!(
            known.len(),
            resources.len(),
            "mask {mask:08b}: duplicate address"
        );
        for r in &resources {
            for d in &r.depends_on {
                assert!(
                    known.contains(d),
                    "mask {mask:08b}: {} needs missing {d}",
                    r.address
                );
            }
        }
        assert_eq!(
            dependency_graph(&resources).find_cycle(),
            None,
            "mask {mask:08b}"
        );
    }
}

#[test]
fn odd_networks_never_panic() {
    let odd = [
        ("not a cidr", AvailabilityZones::Count(2)),
        ("10.0.0.0/27", AvailabilityZones::Count(3)),
        ("10.0.0.0/16", AvailabilityZones::Count(0)),
        ("10.0.0.0/16", AvailabilityZones::Count(255)),
        ("10.0.0.0/16", AvailabilityZones::Names(vec![])),
        (
            "10.0.0.0/16",
            AvailabilityZones::Names(vec!["elsewhere".into(), "".into()]),
        ),
    ];
    for (cidr, zones) in odd {
        let mut bp = example();
        bp.network = Some(Network {
            cidr: cidr.into(),
            availability_zones: zones,
            nat_gateway: NatGateway::PerAz,
        });
        let resources = desired(&bp);
        assert!(!resources.is_empty());
        let _ = name_problems(&resources);
        let _ = critical_path(&resources);
    }
}

#[test]
fn controllers_get_irsa_roles_trusting_the_clusters_issuer() {
    let resources = desired(&example());
    let get = |address: &str| {
        resources
            .iter()
            .find(|r| r.address.as_str() == address)
            .unwrap_or_else(|| panic!("{address} missing"))
    };
    let lb = get(addresses::LB_CONTROLLER_ROLE);
    assert_eq!(lb.name, "analytics-aws-load-balancer-controller");
    let statement = &lb.properties["assumeRolePolicy"]["Statement"][0];
    assert_eq!(
        statement["Principal"]["Federated"],
        "${cluster.iam_oidc_provider}"
    );
    assert_eq!(statement["Action"], "sts:AssumeRoleWithWebIdentity");
    let conditions = &statement["Condition"]["StringEquals"];
    assert_eq!(
        conditions["${cluster.iam_oidc_provider#issuerHost}:sub"],
        "system:serviceaccount:kube-system:aws-load-balancer-controller"
    );
    assert_eq!(
        conditions["${cluster.iam_oidc_provider#issuerHost}:aud"],
        "sts.amazonaws.com"
    );
    // The embedded references are dependencies like any other.
    assert_eq!(lb.depends_on, vec![Address::new(addresses::OIDC_PROVIDER)]);
    // Partition-correct, narrowed to this blueprint's target group.
    let policy = &lb.properties["inlinePolicies"]["load-balancer-controller"];
    assert_eq!(
        policy["Statement"][1]["Resource"],
        "arn:aws-cn:elasticloadbalancing:cn-northwest-1:*:targetgroup/analytics-proxy/*"
    );

    let efs = get(addresses::EFS_CSI_DRIVER_ROLE);
    assert_eq!(efs.name, "analytics-efs-csi-driver");
    assert_eq!(
        efs.properties["assumeRolePolicy"]["Statement"][0]["Condition"]["StringEquals"]["${cluster.iam_oidc_provider#issuerHost}:sub"],
        "system:serviceaccount:kube-system:efs-csi-controller-sa"
    );
    let attachment =
        get("cluster.iam_role_policy_attachment.efs_csi_driver[AmazonEFSCSIDriverPolicy]");
    assert_eq!(
        attachment.properties["policyArn"],
        "arn:aws-cn:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"
    );
    let addon = get("cluster.eks_addon[aws-efs-csi-driver]");
    assert_eq!(
        addon.properties["serviceAccountRoleArn"],
        addresses::EFS_CSI_DRIVER_ROLE
    );
    assert!(
        addon
            .depends_on
            .contains(&Address::new("cluster.node_group[proxy]"))
    );

    // Fargate only: the driver is built in, so neither the add-on nor its role.
    let mut fargate = example();
    if let Some(cluster) = fargate.cluster.as_mut() {
        cluster.node_groups.clear();
    }
    let resources = desired(&fargate);
    assert!(!resources.iter().any(|r| r.address.as_str()
        == "cluster.eks_addon[aws-efs-csi-driver]"
        || r.address.as_str() == addresses::EFS_CSI_DRIVER_ROLE));
    assert!(
        resources
            .iter()
            .any(|r| r.address.as_str() == addresses::LB_CONTROLLER_ROLE)
    );
}

/// Every tag shinyctl writes, for every blueprint in `blueprints/` and the reference example,
/// passes every tagged service's rules at once (`address_tag::strictest`): the ownership tags on
/// the catalog's `tags` and on the kinds tagged with the ownership tags alone (security group
/// rules), with the address tag decoding back to its address.
#[test]
fn every_tag_shinyctl_writes_passes_the_strictest_aws_rules() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    let mut blueprints = vec![example()];
    for entry in std::fs::read_dir(&dir).expect("blueprints/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|x| x == "yaml") {
            let loaded =
                crate::load::load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            blueprints.push(loaded.blueprint);
        }
    }
    assert!(blueprints.len() > 1, "no blueprints found");
    let mut refused = Vec::new();
    let mut checked = 0;
    for bp in &blueprints {
        for r in desired(bp) {
            let mut written: Vec<(String, String)> = vec![
                (BLUEPRINT_TAG.into(), bp.metadata.name.clone()),
                (ADDRESS_TAG.into(), address_tag::encode(r.address.as_str())),
            ];
            if let Some(Value::Object(tags)) = r.properties.get("tags") {
                for (key, value) in tags {
                    written.push((key.clone(), value.as_str().unwrap_or_default().into()));
                }
                assert_eq!(
                    address_tag::decode(tags[ADDRESS_TAG].as_str().unwrap()),
                    r.address.as_str()
                );
            }
            for (key, value) in written {
                checked += 1;
                if let Some(why) = address_tag::strictest::refusal(&key, &value) {
                    refused.push(format!("{} {}: {why}", bp.metadata.name, r.address));
                }
            }
        }
    }
    assert!(checked > 100);
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}

/// The HTTPS canary requests the ingress's domain (its certificate's name), not the load
/// balancer's DNS name; without a domain (plain HTTP) the load balancer's name serves.
#[test]
fn canaries_request_the_ingress_domain() {
    let resources = desired(&example());
    let canary = find(&resources, "monitoring.canary[login]");
    assert_eq!(canary.properties["target"]["host"], "shiny.example.com");
    assert_eq!(canary.properties["target"]["protocol"], "https");
    let mut bp = example();
    bp.ingress.as_mut().unwrap().domain = None;
    let resources = desired(&bp);
    let canary = find(&resources, "monitoring.canary[login]");
    assert_eq!(
        canary.properties["target"]["host"],
        "ingress.load_balancer#dnsName"
    );
}

/// Unset, the idle timeout is AWS's own default for the load balancer's type: an NLB's TCP
/// listener keeps 350 s rather than the ALB's 60 s.
#[test]
fn an_unset_idle_timeout_is_aws_default_for_the_type() {
    let mut bp = example();
    let ingress = bp.ingress.as_mut().unwrap();
    ingress.idle_timeout_seconds = None;
    let lb = |bp: &Blueprint| {
        desired(bp)
            .into_iter()
            .find(|r| r.kind == ResourceKind::LoadBalancer)
            .unwrap()
    };
    assert_eq!(lb(&bp).properties["idleTimeoutSeconds"], json!(60));

    let ingress = bp.ingress.as_mut().unwrap();
    ingress.kind = LoadBalancerType::Nlb;
    ingress.listeners = vec![Listener {
        port: 80,
        protocol: ListenerProtocol::Tcp,
        certificate_arn: None,
        redirect_to: None,
    }];
    ingress.stickiness = None;
    let listener = desired(&bp)
        .into_iter()
        .find(|r| r.kind == ResourceKind::Listener)
        .unwrap();
    assert_eq!(listener.properties["idleTimeoutSeconds"], json!(350));
}

#[test]
fn coredns_runs_on_fargate_when_the_cluster_has_no_nodes() {
    let mut fargate = example();
    if let Some(cluster) = fargate.cluster.as_mut() {
        cluster.node_groups.clear();
    }
    let resources = desired(&fargate);
    // No profile of the example selects kube-system: one is added for CoreDNS's pods and, the
    // example having an ingress, the load balancer controller's.
    let profile = find(&resources, "cluster.fargate_profile[kube-system]");
    assert_eq!(
        profile.properties["selectors"],
        serde_json::json!([
            {"namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
            {"namespace": "kube-system", "labels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}},
        ])
    );
    let addon = find(&resources, "cluster.eks_addon[coredns]");
    assert_eq!(
        addon.properties["configurationValues"],
        r#"{"computeType":"Fargate"}"#
    );
    assert!(addon.depends_on.contains(&profile.address));

    // A profile that already takes kube-system is enough.
    if let Some(cluster) = fargate.cluster.as_mut() {
        cluster.fargate_profiles[0]
            .selectors
            .push(crate::blueprint::model::FargateSelector {
                namespace: "kube-system".into(),
                labels: BTreeMap::new(),
            });
    }
    let resources = desired(&fargate);
    assert!(
        !resources
            .iter()
            .any(|r| r.address.as_str() == "cluster.fargate_profile[kube-system]")
    );
    assert!(
        resources
            .iter()
            .any(|r| r.address.as_str() == "cluster.eks_addon[coredns]")
    );

    // With node groups, EKS's CoreDNS runs on them as shipped.
    assert!(
        !desired(&example())
            .iter()
            .any(|r| r.address.as_str() == "cluster.eks_addon[coredns]")
    );
}

/// Seed 001's servers: one group takes `/` (the listeners' default, no ShinyProxy target group),
/// groups under paths get listener rules, the most specific path first; data services open to
/// the groups that connect to them, not to whole subnets.
#[test]
fn server_groups_route_by_path_most_specific_first() {
    let mut bp = lowcode_servers();
    for (name, path) in [("reports", "/reports"), ("admin", "/reports/admin")] {
        let mut group = bp.servers[0].clone();
        group.name = name.into();
        group.connect.clear();
        group.http.as_mut().unwrap().path = path.into();
        bp.servers.push(group);
    }
    assert_eq!(crate::blueprint::validate::validate(&bp), vec![]);
    let resources = desired(&bp);
    let find = |address: &str| {
        resources
            .iter()
            .find(|r| r.address.as_str() == address)
            .unwrap_or_else(|| panic!("{address}"))
    };
    assert!(
        !resources
            .iter()
            .any(|r| r.address.as_str() == addresses::TARGET_GROUP),
        "no ShinyProxy target group without a cluster"
    );
    assert_eq!(
        find("ingress.listener[8000]").properties["defaultAction"],
        json!({"type": "forward", "targetGroup": "servers.target_group[app]"})
    );
    let rule = |name: &str| &find(&format!("servers.listener_rule[{name}_8000]")).properties;
    assert_eq!(rule("admin")["priority"], json!(1));
    assert_eq!(rule("reports")["priority"], json!(2));
    assert_eq!(
        rule("reports")["pathPatterns"],
        json!(["/reports", "/reports/*"])
    );
    assert!(
        resources
            .iter()
            .any(|r| r.address.as_str() == "database.security_group_rule[from_servers_app]")
    );
    assert!(
        !resources
            .iter()
            .any(|r| r.address.as_str() == "database.security_group_rule[from_servers_reports]"),
        "a group that does not connect gets no rule"
    );
}

/// A server set up before it takes traffic (`inService: false`, the seed's per-node console
/// setup): made, configured and watched, but not registered in the target group.
#[test]
fn a_server_out_of_service_is_not_registered() {
    let mut bp = lowcode_servers();
    bp.servers[0].instances[1].in_service = false;
    let addresses: Vec<String> = desired(&bp)
        .into_iter()
        .map(|r| r.address.0)
        .filter(|a| a.contains("[app-"))
        .collect();
    assert_eq!(
        addresses,
        [
            "servers.cloudwatch_alarm[app-a1]",
            "servers.cloudwatch_alarm[app-b1]",
            "servers.ec2_instance[app-a1]",
            "servers.ec2_instance[app-b1]",
            "servers.target_group_attachment[app-a1]",
        ]
    );
}

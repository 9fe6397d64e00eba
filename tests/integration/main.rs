//! The one integration-test binary: runs the real `shinyctl` binary and the library's pipeline
//! end to end. One module per suite.

mod blueprints;
mod cli;
mod e2e;
mod e2e_ecs;
mod e2e_workbench;
mod e2e_workload;
mod emulator;
mod images_mirror;
mod kubeconfig;
mod layering;
mod live;
mod live_autoscaling;
mod live_common;
mod live_cost;
mod live_hooks;
mod live_irsa;
mod live_retries;
mod live_scaling;
mod live_secrets;
mod live_servers;
mod live_servers_parts;
mod live_services;
mod live_ssm;
mod live_unpinned;
mod live_versions;
mod live_zones;
mod malformed;
mod model_validation;
mod never_panics;
mod plan_calls;
mod status_doctor;
mod support;
mod versions;
mod workload;
mod workload_faults;

//! An Auto Scaling group's lifecycle hook (kind `autoscaling_lifecycle_hook`): its typed
//! properties. A hook on `autoscaling:EC2_INSTANCE_TERMINATING` keeps an instance the group
//! scales in (or an instance refresh replaces) in `Terminating:Wait` — after it is deregistered
//! from the group's target groups — until its lifecycle action is completed or the hook's
//! heartbeat timeout passes (EC2 Auto Scaling user guide, "How lifecycle hooks work").

use serde::{Deserialize, Serialize};

/// The two transitions a hook can act on (botocore `autoscaling` PutLifecycleHook
/// LifecycleTransition).
pub(crate) const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";
pub(crate) const LAUNCHING: &str = "autoscaling:EC2_INSTANCE_LAUNCHING";

/// A lifecycle hook of an Auto Scaling group. PutLifecycleHook creates and updates it: the
/// heartbeat timeout and default result change in place; its name, group and transition are
/// what it is (a change replaces it). Auto Scaling takes no tags on a hook: it is known by its
/// group and name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AutoScalingLifecycleHookProps {
    /// 1 to 255 of `[A-Za-z0-9\-_\/]` (botocore `autoscaling` LifecycleHookName), unique within
    /// its group.
    pub(crate) name: String,
    /// The `autoscaling_group` resource's address (the group's name once resolved: a group's id
    /// is its name).
    pub(crate) auto_scaling_group: String,
    /// [`TERMINATING`] or [`LAUNCHING`].
    pub(crate) lifecycle_transition: String,
    /// How long an instance waits for its lifecycle action before the default result applies:
    /// 30 to 7,200 seconds ("The range is from 30 to 7200 seconds. The default value is 3600",
    /// botocore `autoscaling` PutLifecycleHook HeartbeatTimeout; the model states no bounds,
    /// AWS refuses others).
    pub(crate) heartbeat_timeout_seconds: i64,
    /// `CONTINUE` or `ABANDON`: what happens when the heartbeat timeout passes (for a
    /// terminating instance both end in its termination; ABANDON stops any other hooks' actions).
    pub(crate) default_result: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind as K;
    use crate::plan::props::{check_spec_fields, field_names};

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<AutoScalingLifecycleHookProps>(K::AutoScalingLifecycleHook);
        assert_eq!(
            field_names::<AutoScalingLifecycleHookProps>(),
            [
                "name",
                "autoScalingGroup",
                "lifecycleTransition",
                "heartbeatTimeoutSeconds",
                "defaultResult"
            ]
        );
    }
}

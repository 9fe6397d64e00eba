"""EKS add-ons (moto has none): lifecycle, idempotent create, updates, tags, going with the cluster."""

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for


def code_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def cluster(emu, account, **durations):
    eks = emu.client("eks", account)
    emu.set_profile(account, {"durations": {"eks_cluster_create": 0, "eks_cluster_delete": 0, **durations}})
    eks.create_cluster(name="c", version="1.35", roleArn=f"arn:aws:iam::{account}:role/eks",
                       resourcesVpcConfig={"subnetIds": []})
    return eks


def test_addon_lifecycle(emu, account):
    eks = cluster(emu, account, eks_addon_create=0.6, eks_addon_update=0.6, eks_addon_delete=0.6)
    role = f"arn:aws:iam::{account}:role/efs"
    addon = eks.create_addon(clusterName="c", addonName="aws-efs-csi-driver", serviceAccountRoleArn=role,
                             resolveConflicts="OVERWRITE", clientRequestToken="t1",
                             tags={"shinyctl.dev/blueprint": "c"})["addon"]
    assert addon["status"] == "CREATING" and addon["serviceAccountRoleArn"] == role
    assert addon["addonArn"].startswith(f"arn:aws:eks:us-east-1:{account}:addon/c/aws-efs-csi-driver/")
    assert addon["addonVersion"]
    # The same token with the same parameters is the same request; another token is a conflict.
    again = eks.create_addon(clusterName="c", addonName="aws-efs-csi-driver", serviceAccountRoleArn=role,
                             resolveConflicts="OVERWRITE", clientRequestToken="t1",
                             tags={"shinyctl.dev/blueprint": "c"})["addon"]
    assert again["addonArn"] == addon["addonArn"]
    assert code_of(eks.create_addon, clusterName="c", addonName="aws-efs-csi-driver",
                   clientRequestToken="t2") == "ResourceInUseException"
    status = lambda: eks.describe_addon(clusterName="c", addonName="aws-efs-csi-driver")["addon"]["status"]  # noqa: E731
    assert wait_for(status, "ACTIVE") == ["CREATING", "ACTIVE"]
    assert eks.list_addons(clusterName="c")["addons"] == ["aws-efs-csi-driver"]

    update = eks.update_addon(clusterName="c", addonName="aws-efs-csi-driver",
                              serviceAccountRoleArn=f"{role}2")["update"]
    assert update["type"] == "AddonUpdate" and update["status"] == "InProgress"
    assert wait_for(status, "ACTIVE") == ["UPDATING", "ACTIVE"]
    got = eks.describe_addon(clusterName="c", addonName="aws-efs-csi-driver")["addon"]
    assert got["serviceAccountRoleArn"] == f"{role}2" and got["tags"] == {"shinyctl.dev/blueprint": "c"}

    eks.tag_resource(resourceArn=addon["addonArn"], tags={"Team": "x"})
    eks.untag_resource(resourceArn=addon["addonArn"], tagKeys=["shinyctl.dev/blueprint"])
    assert eks.list_tags_for_resource(resourceArn=addon["addonArn"])["tags"] == {"Team": "x"}

    assert eks.delete_addon(clusterName="c", addonName="aws-efs-csi-driver")["addon"]["status"] == "DELETING"
    gone = lambda: code_of(eks.describe_addon, clusterName="c", addonName="aws-efs-csi-driver")  # noqa: E731
    wait_for(lambda: eks.list_addons(clusterName="c")["addons"], [])
    assert gone() == "ResourceNotFoundException"


def test_addons_need_their_cluster_and_go_with_it(emu, account):
    eks = cluster(emu, account, eks_addon_create=0)
    assert code_of(eks.create_addon, clusterName="nope", addonName="x") == "ResourceNotFoundException"
    assert code_of(eks.list_addons, clusterName="nope") == "ResourceNotFoundException"
    eks.create_addon(clusterName="c", addonName="aws-efs-csi-driver")
    assert eks.describe_addon(clusterName="c", addonName="aws-efs-csi-driver")["addon"]["status"] == "ACTIVE"
    eks.delete_cluster(name="c")
    wait_for(lambda: [c for c in eks.list_clusters()["clusters"] if c == "c"], [])
    eks.create_cluster(name="c", version="1.35", roleArn=f"arn:aws:iam::{account}:role/eks",
                       resourcesVpcConfig={"subnetIds": []})
    assert eks.list_addons(clusterName="c")["addons"] == []

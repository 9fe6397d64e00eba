"""The tagging API lists ECR repositories by tag, as AWS's does (and moto's does not)."""


def test_get_resources_lists_tagged_ecr_repositories(emu, zero_account):
    ecr = emu.client("ecr", zero_account)
    ours = ecr.create_repository(repositoryName="demo/app", tags=[
        {"Key": "shinyctl.dev/blueprint", "Value": "demo"},
        {"Key": "shinyctl.dev/address", "Value": "registry.ecr_repository[app]"}])["repository"]["repositoryArn"]
    ecr.create_repository(repositoryName="other/app", tags=[{"Key": "shinyctl.dev/blueprint", "Value": "other"}])
    ecr.create_repository(repositoryName="untagged/app")
    sns_arn = emu.client("sns", zero_account).create_topic(
        Name="demo-alarms", Tags=[{"Key": "shinyctl.dev/blueprint", "Value": "demo"}])["TopicArn"]

    tagging = emu.client("resourcegroupstaggingapi", zero_account)
    found = tagging.get_resources(TagFilters=[{"Key": "shinyctl.dev/blueprint", "Values": ["demo"]}])
    by_arn = {m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]}
              for m in found["ResourceTagMappingList"]}
    assert set(by_arn) == {ours, sns_arn}
    assert by_arn[ours]["shinyctl.dev/address"] == "registry.ecr_repository[app]"

    only_sns = tagging.get_resources(TagFilters=[{"Key": "shinyctl.dev/blueprint", "Values": ["demo"]}],
                                     ResourceTypeFilters=["sns"])
    assert [m["ResourceARN"] for m in only_sns["ResourceTagMappingList"]] == [sns_arn]
    only_ecr = tagging.get_resources(ResourceTypeFilters=["ecr:repository"],
                                     TagFilters=[{"Key": "shinyctl.dev/blueprint"}])
    assert len(only_ecr["ResourceTagMappingList"]) == 2


def test_resources_per_page_is_not_cut_by_tags(emu, zero_account):
    sns = emu.client("sns", zero_account)
    tags = [{"Key": "shinyctl.dev/blueprint", "Value": "paged"}] + [
        {"Key": f"k{i}", "Value": "v"} for i in range(9)]
    for i in range(30):
        sns.create_topic(Name=f"paged-{i}", Tags=tags)
    tagging = emu.client("resourcegroupstaggingapi", zero_account)
    page = tagging.get_resources(TagFilters=[{"Key": "shinyctl.dev/blueprint", "Values": ["paged"]}],
                                 ResourcesPerPage=100)
    assert len(page["ResourceTagMappingList"]) == 30
    assert not page.get("PaginationToken")


def test_rds_and_cache_groups_are_listed_with_their_tags(emu, zero_account):
    owned = [{"Key": "shinyctl.dev/blueprint", "Value": "groups"}]
    rds = emu.client("rds", zero_account)
    pg = rds.create_db_parameter_group(DBParameterGroupName="groups-pg", DBParameterGroupFamily="postgres16",
                                       Description="d", Tags=owned)["DBParameterGroup"]["DBParameterGroupArn"]
    cpg = rds.create_db_cluster_parameter_group(
        DBClusterParameterGroupName="groups-cpg", DBParameterGroupFamily="aurora-postgresql16", Description="d",
        Tags=owned)["DBClusterParameterGroup"]["DBClusterParameterGroupArn"]
    ec = emu.client("elasticache", zero_account)
    cache = ec.create_cache_parameter_group(CacheParameterGroupName="groups-cache", CacheParameterGroupFamily="redis7",
                                            Description="d", Tags=owned)["CacheParameterGroup"]["ARN"]
    assert ec.list_tags_for_resource(ResourceName=cache)["TagList"] == owned
    ec.add_tags_to_resource(ResourceName=cache, Tags=[{"Key": "team", "Value": "data"}])
    assert len(ec.list_tags_for_resource(ResourceName=cache)["TagList"]) == 2

    tagging = emu.client("resourcegroupstaggingapi", zero_account)
    found = tagging.get_resources(TagFilters=[{"Key": "shinyctl.dev/blueprint", "Values": ["groups"]}],
                                  ResourcesPerPage=100)
    by_arn = {m["ResourceARN"]: m["Tags"] for m in found["ResourceTagMappingList"]}
    assert {pg, cpg, cache} <= set(by_arn), by_arn
    ec.delete_cache_parameter_group(CacheParameterGroupName="groups-cache")
    found = tagging.get_resources(TagFilters=[{"Key": "shinyctl.dev/blueprint", "Values": ["groups"]}])
    assert cache not in {m["ResourceARN"] for m in found["ResourceTagMappingList"]}

"""The aws-cn partition: arn:aws-cn: ARNs and .amazonaws.com.cn hostnames in cn-* regions."""

REGION = "cn-north-1"


def test_ec2_arns_in_china(emu, zero_account):
    ec2 = emu.client("ec2", zero_account, region=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="cn-north-1a")["Subnet"]
    assert subnet["SubnetArn"].startswith(f"arn:aws-cn:ec2:{REGION}:{zero_account}:subnet/")
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    described = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
    assert described["SecurityGroupArn"].startswith("arn:aws-cn:ec2:")


def test_elasticache_arns_and_tags_in_china(emu, zero_account):
    ec = emu.client("elasticache", zero_account, region=REGION)
    rg = ec.create_replication_group(
        ReplicationGroupId="sessions", ReplicationGroupDescription="shiny sessions",
        Engine="redis", CacheNodeType="cache.t3.micro", NumNodeGroups=2, ReplicasPerNodeGroup=1,
        ClusterMode="enabled",
    )["ReplicationGroup"]
    arn = rg["ARN"]
    assert arn.startswith(f"arn:aws-cn:elasticache:{REGION}:{zero_account}:replicationgroup:sessions")
    # The partition's ARN works as a key, too.
    ec.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "app", "Value": "shiny"}])
    assert ec.list_tags_for_resource(ResourceName=arn)["TagList"] == [{"Key": "app", "Value": "shiny"}]
    endpoint = ec.describe_replication_groups(ReplicationGroupId="sessions")["ReplicationGroups"][0]
    address = endpoint["ConfigurationEndpoint"]["Address"]
    assert address.endswith(".amazonaws.com.cn"), address


def test_hostnames_in_china(emu, zero_account):
    rds = emu.client("rds", zero_account, region=REGION)
    db = rds.create_db_instance(DBInstanceIdentifier="db1", DBInstanceClass="db.t3.micro", Engine="mysql",
                                MasterUsername="admin", MasterUserPassword="password123", AllocatedStorage=20)
    assert db["DBInstance"]["DBInstanceArn"].startswith("arn:aws-cn:rds:")
    address = rds.describe_db_instances(DBInstanceIdentifier="db1")["DBInstances"][0]["Endpoint"]["Address"]
    assert address.endswith(".rds.amazonaws.com.cn"), address

    ec2 = emu.client("ec2", zero_account, region=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"cn-north-1{az}")
               ["Subnet"]["SubnetId"] for i, az in ((1, "a"), (2, "b"))]
    elb = emu.client("elbv2", zero_account, region=REGION)
    lb = elb.create_load_balancer(Name="shiny", Subnets=subnets)["LoadBalancers"][0]
    assert lb["LoadBalancerArn"].startswith("arn:aws-cn:elasticloadbalancing:")
    assert lb["DNSName"].endswith(".elb.amazonaws.com.cn"), lb["DNSName"]


def test_iam_policies_keep_service_principals(emu, zero_account):
    iam = emu.client("iam", zero_account, region=REGION)
    doc = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    role = iam.create_role(RoleName="eks", AssumeRolePolicyDocument=doc)["Role"]
    assert role["Arn"] == f"arn:aws-cn:iam::{zero_account}:role/eks"
    got = iam.get_role(RoleName="eks")["Role"]["AssumeRolePolicyDocument"]
    assert got["Statement"][0]["Principal"]["Service"] == "eks.amazonaws.com"


def test_us_regions_unchanged(emu, zero_account):
    ec2 = emu.client("ec2", zero_account)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]
    assert subnet["SubnetArn"].startswith("arn:aws:ec2:us-east-1:")

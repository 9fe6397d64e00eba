"""AWS's public image parameters, and launches that name an image by one (`resolve:ssm:`).

AWS publishes the current AMI of its and Canonical's images as public SSM parameters in every
region, the China regions included: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-
default-x86_64` (and `-arm64`; "Query for the latest Amazon Linux AMI IDs using AWS Systems
Manager Parameter Store", AWS), and `/aws/service/canonical/ubuntu/server/22.04/stable/current/
amd64/hvm/ebs-gp2/ami-id` (and `arm64`; Canonical, "Find Ubuntu images on AWS"). moto has the
Amazon Linux ones for some commercial regions only and Canonical's nowhere: this module answers
them in every region with one of moto's own images of that architecture.

A launch template may name its image `resolve:ssm:<parameter>`; EC2 resolves it at each launch,
and the instance's ImageId is the AMI the parameter held ("Use a Systems Manager parameter instead
of an AMI ID", EC2 user guide). A parameter that does not exist fails the launch (same page); the
error code, `InvalidParameterValue`, is the emulator's choice (the page names none, and it is
EC2's code for a bad parameter value). moto keeps the text as the instance's image.
"""

from __future__ import annotations

PREFIX = "resolve:ssm:"

# parameter -> the architecture of the image it names
PUBLIC = {
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "x86_64",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64": "arm64",
    "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id": "x86_64",
    "/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id": "arm64",
}


def _image_of(account: str, region: str, architecture: str) -> str | None:
    from moto.ec2.models import ec2_backends

    amis = ec2_backends[account][region].amis
    for ami in sorted(amis.values(), key=lambda a: a.id):
        if getattr(ami, "architecture", "x86_64") == architecture:
            return ami.id
    return None


def install() -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.models.instances import Instance
    from moto.ssm.models import Parameter, ParameterDict

    if getattr(ParameterDict, "_emu_public_images", False):
        return
    ParameterDict._emu_public_images = True

    check = ParameterDict._check_loading_status

    def loading(self, key):
        check(self, key)
        key = str(key or "")
        architecture = PUBLIC.get(key)
        if architecture is None or defaultdict_has(self, key):
            return
        image = _image_of(self.account_id, self.region_name, architecture)
        if image is None:
            return
        # Written past ParameterDict's own __getitem__ (which would load again).
        dict_get(self, key).append(
            Parameter(
                account_id=self.account_id,
                name=key,
                value=image,
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=0,
                version=1,
                data_type="aws:ec2:image",
            )
        )

    def defaultdict_has(d, key):
        return dict.__contains__(d, key) and len(dict.__getitem__(d, key)) > 0

    def dict_get(d, key):
        if not dict.__contains__(d, key):
            dict.__setitem__(d, key, [])
        return dict.__getitem__(d, key)

    ParameterDict._check_loading_status = loading

    launch = Instance.__init__

    def launched(self, ec2_backend, image_id, *args, **kwargs):
        template_arg = kwargs.get("launch_template")
        named = image_id
        if not named and template_arg:
            named = ec2_backend._get_template_from_args(template_arg).image_id
        if isinstance(named, str) and named.startswith(PREFIX):
            parameter = named[len(PREFIX):]
            from moto.ssm.models import ssm_backends

            ssm = ssm_backends[ec2_backend.account_id][ec2_backend.region_name]
            found = ssm.get_parameter(parameter)
            if found is None:
                raise EC2ClientError(
                    "InvalidParameterValue",
                    f"Invalid value for parameter imageId: the Systems Manager parameter {parameter} does not exist",
                )
            image_id = found.value
        launch(self, ec2_backend, image_id, *args, **kwargs)

    Instance.__init__ = launched

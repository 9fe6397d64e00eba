"""Builds and runs the emulator: moto's WSGI dispatcher wrapped by EmulatorApp."""

from __future__ import annotations

import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from .app import EmulatorApp
from .faults import Faults
from .state import EmulatorState


def install_extensions() -> None:
    """Registers every handler module (importing them registers their hooks)."""
    # Handlers run in the order their modules are imported: a remembered idempotency token answers
    # first, then AWS's refusals, before the handlers that answer on their own.
    from . import idempotency  # noqa: F401, I001
    from . import elasticache_members, iam_propagation, versions, zones  # noqa: F401

    from . import (  # noqa: F401
        appautoscaling_ext,
        autoscaling_ext,
        autoscaling_hooks,
        cbor_cloudwatch,
        dependencies,
        ec2_filters,
        ecr_auth,
        ecr_images,
        ecs_capacity,
        ecs_ext,
        ecs_placement,
        ecs_tasks,
        eks_addons,
        ec2_instances,
        eks_cluster_sg,
        elasticache_ext,
        elbv2_targets,
        iam_simulate,
        kube_endpoint,
        lifecycle,
        logs_ext,
        missing_ops,
        partition,
        pricing,
        s3_buckets,
        s3_shapes,
        secretsmanager_ext,
        service_quotas,
        ssm_associations,
        ssm_documents,
        ssm_public_images,
        synthetics,
        tagging_ext,
        update_ops,
    )

    lifecycle.install()
    ec2_instances.install()
    ec2_filters.install()
    autoscaling_ext.install()
    zones.install()
    eks_cluster_sg.install()
    kube_endpoint.install()
    ssm_documents.install()
    ssm_public_images.install()


class Emulator:
    def __init__(self, port: int = 0, profile: str | None = None, faults: str | None = None) -> None:
        install_extensions()
        self.state = EmulatorState(profile, Faults.load(faults))
        moto_app = DomainDispatcherApplication(create_backend_app)
        self.app = EmulatorApp(moto_app, self.state)
        # Loopback only, by design.
        self.server = make_server("127.0.0.1", port, self.app, threaded=True,
                                  request_handler=MotoRequestHandler)
        self.port = self.server.server_address[1]
        self.state.base_url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return self.state.base_url

    def serve_forever(self) -> None:
        self.server.serve_forever()

    def start(self) -> "Emulator":
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

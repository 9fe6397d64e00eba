"""shinyemu: the project's local AWS, built on moto.

moto speaks the real AWS wire protocols; this package wraps moto's WSGI server with
middleware that adds what shinyctl relies on and moto lacks: lifecycles with time,
dependency rules on delete, the rpcv2-CBOR CloudWatch protocol, Synthetics shapes,
the aws-cn partition, missing operations, faults, a call log, a Kubernetes API
stand-in, and the AWS behaviours peers must survive (zones, versions, IAM propagation,
idempotency tokens, ElastiCache member clusters). See docs/emulator.md.
"""

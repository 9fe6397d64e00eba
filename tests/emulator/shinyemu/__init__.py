"""shinyemu: the project's local AWS, built on moto.

moto speaks the real AWS wire protocols; this package wraps moto's WSGI server with
middleware that adds what shinyctl relies on and moto lacks: lifecycles with time,
dependency rules on delete, the rpcv2-CBOR CloudWatch protocol, Synthetics shapes,
the aws-cn partition, missing operations, faults, a call log and a Kubernetes API
stand-in. See docs/emulator.md.
"""

"""CloudWatch Logs where moto 5.2.5 accepts what AWS refuses:

- **Retention.** `PutRetentionPolicy` takes only the days botocore `logs` Days lists ("Possible
  values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
  2557, 2922, 3288, and 3653"); the model has no enum, so model validation cannot catch another,
  and moto stores any. AWS answers 400 `InvalidParameterException` "1 validation error detected:
  Value '<n>' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value
  set: [...]" (the Terraform AWS provider validates `retention_in_days` against the same list,
  aws_cloudwatch_log_group).
"""

from __future__ import annotations

from .errors import AwsError
from .hooks import on

RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                  2922, 3288, 3653)


@on("logs", "PutRetentionPolicy")
def put_retention_policy(ctx, call_next):
    days = ctx.params().get("retentionInDays")
    if days not in RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in RETENTION_DAYS)
        raise AwsError("InvalidParameterException",
                       f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                       f"satisfy constraint: Member must satisfy enum value set: [{allowed}]")
    return call_next()

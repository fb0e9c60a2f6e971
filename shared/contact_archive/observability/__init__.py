"""Logger and metrics, one of each per container. Logs carry ids, never names or emails.

Every metric is in the `POWERTOOLS_METRICS_NAMESPACE` namespace (ContactArchive) with the one
dimension `service`; those about a vendor also carry `vendor` (one of four names, never a tenant
or a contact: a dimension is a CloudWatch series, paid for per value). The dashboard and the
alarms in template.yaml name them; tests/unit/test_dashboard_metrics.py keeps the two in step.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

logger = Logger()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def milliseconds(name: str, value: float) -> None:
    """A duration (the sync lag): CloudWatch keeps its distribution, for p50 and p99."""
    metrics.add_metric(name=name, unit=MetricUnit.Milliseconds, value=value)


def count_for_vendor(name: str, vendor: str) -> None:
    """One count with a `vendor` dimension besides `service`. The container's `metrics` gives
    all its metrics one dimension set, so this one is written apart, at once (one EMF line):
    only failures are counted this way, which are few. Outside a function (a script, a
    benchmark: no namespace configured) nothing is written, where Powertools would raise."""
    if not metrics.namespace:
        return
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name="vendor", value=vendor)

"""Retention for contacts archived before it existed: each archived contact that no longer waits
in the due index is put back in it, due now, so that the sweeper looks at it once and from then
on leaves it due when its retention ends (`sync/retention.py`).

`make run` runs it on a kept local table. A deployed table needs the same run once, with an
operator's credentials (it scans): `.venv/bin/python -m devtools.retention_backfill TABLE`.
"""

from __future__ import annotations

import sys
from typing import Any

from devtools import REPO_ROOT

LAYER_DIR = REPO_ROOT / "shared"


def schedule_retention(client: Any, table_name: str) -> int:
    """Put every archived contact outside the due index in it, due now; how many were put."""
    if str(LAYER_DIR) not in sys.path:
        sys.path.insert(0, str(LAYER_DIR))  # the keys are the layer's store's
    from contact_archive.ledger.encoding import to_attribute
    from contact_archive.ledger.models import iso, utc_now
    from contact_archive.ledger.store.keys import CONTACT_TYPE, DUE_UPDATES, due_values
    from contact_archive.ledger.store.table import ConditionFailed, Table

    table = Table(client, table_name)
    scan: dict[str, Any] = {
        "TableName": table_name,
        "FilterExpression": "#type = :contact AND #status = :archived AND attribute_not_exists(due_pk)",
        "ExpressionAttributeNames": {"#type": "type", "#status": "status"},
        "ExpressionAttributeValues": {
            ":contact": {"S": CONTACT_TYPE},
            ":archived": {"S": "archived"},
        },
        "ProjectionExpression": "pk, sk, tenant_id, contact_id",
    }
    scheduled = 0
    now = iso(utc_now())
    while True:
        page = client.scan(**scan)
        for item in page.get("Items", []):
            values = due_values(item["tenant_id"]["S"], item["contact_id"]["S"], now)
            try:  # unless it changed meanwhile (a change puts it in the index itself)
                table.update(
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET " + ", ".join(DUE_UPDATES),
                    ConditionExpression="#status = :archived AND attribute_not_exists(due_pk)",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":archived": {"S": "archived"},
                        **{name: to_attribute(value) for name, value in values.items()},
                    },
                )
                scheduled += 1
            except ConditionFailed:
                continue
        if "LastEvaluatedKey" not in page:
            return scheduled
        scan["ExclusiveStartKey"] = page["LastEvaluatedKey"]


if __name__ == "__main__":  # pragma: no cover - an operator's one-off run on a deployed table
    import boto3

    count = schedule_retention(boto3.client("dynamodb"), sys.argv[1])
    print(f"{count} archived contacts put back in the due index for their retention")

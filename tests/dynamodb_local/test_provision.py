"""`make run` and `make invoke` keep DynamoDB Local's data between runs: a table made by an
earlier version of the template gains the indexes added since."""

from __future__ import annotations

import uuid

from devtools.dynamodb_local import local_client, provision_table
from devtools.template import load_template, table_definition


def test_a_table_from_an_earlier_template_gains_the_new_indexes(
    dynamodb_local_endpoint: str,
) -> None:
    # Given a table made before the due and external id indexes existed
    name = f"earlier-{uuid.uuid4().hex[:8]}"
    client = local_client(dynamodb_local_endpoint)  # the local stack's own account and region
    earlier = table_definition(load_template(), table_name=name)
    earlier["GlobalSecondaryIndexes"] = [
        index
        for index in earlier["GlobalSecondaryIndexes"]
        if index["IndexName"] not in ("by_due", "by_external_id")
    ]
    newer_keys = {"due_pk", "due_sk", "external_pk", "external_sk"}
    earlier["AttributeDefinitions"] = [
        attribute
        for attribute in earlier["AttributeDefinitions"]
        if attribute["AttributeName"] not in newer_keys
    ]
    client.create_table(**earlier)
    # When the local stack provisions it
    created = provision_table(dynamodb_local_endpoint, name)
    # Then it is kept, with every index the template has
    assert created is False
    indexes = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
    wanted = table_definition(load_template(), table_name=name)["GlobalSecondaryIndexes"]
    assert {index["IndexName"] for index in indexes} == {index["IndexName"] for index in wanted}

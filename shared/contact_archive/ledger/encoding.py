"""DynamoDB attribute values to Python values and back, for the store.

boto3's TypeSerializer would do, but importing boto3 costs a Lambda cold start over 100 ms that
botocore alone does not; these few lines cover the types the ledger stores.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def to_attribute(value: Any) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, dict):
        return {"M": {str(key): to_attribute(item) for key, item in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(item) for item in value]}
    raise TypeError(f"cannot store a {type(value).__name__} in DynamoDB")


def from_attribute(attribute: dict[str, Any]) -> Any:
    if not attribute:
        # DynamoDB Local's stream images carry an empty map as a bare `{}`, where GetItem answers
        # `{"M": {}}`: read both as the empty map.
        return {}
    ((kind, value),) = attribute.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: from_attribute(item) for key, item in value.items()}
    if kind == "L":
        return [from_attribute(item) for item in value]
    if kind == "SS":
        return list(value)
    raise TypeError(f"unexpected DynamoDB type {kind}")


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {name: to_attribute(value) for name, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {name: from_attribute(value) for name, value in item.items()}

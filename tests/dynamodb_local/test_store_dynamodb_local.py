"""The same ledger store cases, on DynamoDB Local's real semantics."""

from tests.store_cases import StoreCases


class TestStoreOnDynamoDBLocal(StoreCases):
    pass

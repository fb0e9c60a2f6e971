"""The same ledger store cases, on DynamoDB Local's real semantics."""

from tests.erasure_store_cases import ErasureStoreCases
from tests.link_store_cases import LinkStoreCases
from tests.store_cases import StoreCases


class TestStoreOnDynamoDBLocal(StoreCases, LinkStoreCases, ErasureStoreCases):
    pass

"""The ledger store's behaviour on moto."""

from tests.erasure_store_cases import ErasureStoreCases
from tests.link_store_cases import LinkStoreCases
from tests.store_cases import StoreCases


class TestStoreOnMoto(StoreCases, LinkStoreCases, ErasureStoreCases):
    pass

"""The ledger store's behaviour on moto."""

from tests.store_cases import StoreCases


class TestStoreOnMoto(StoreCases):
    pass

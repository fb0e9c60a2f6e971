"""Stateful fakes of the four vendor APIs, for tests and the local stack (never deployed).

Each sandbox is an `httpx.MockTransport` handler: `httpx.Client(transport=sandbox.transport())`.
"""

"""Built-in authentication: API Gateway's TOKEN authorizer over the ledger's API keys.

Owns the authorization decision (`authorizer.py`): a bearer key to its tenant, as the policy and
context API Gateway caches and passes to the functions (`requestContext.authorizer`). The keys'
text, hash and items are the ledger's (`ledger/api_keys.py`); the operator CLI creates them.
Unused when the deployer brings their own authorizer (`TenantAuthorizerArn`).
"""

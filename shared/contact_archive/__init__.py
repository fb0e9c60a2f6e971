"""contact-archive: one soft-delete ledger for contacts held by several SaaS vendors."""

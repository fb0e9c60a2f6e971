"""The vendor accounts a fleet of containers shares: one token per account, one rate limit per
key (`contact_archive.vendors.fleet`)."""

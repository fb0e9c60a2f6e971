"""`make bench`: DynamoDB requests per operation, cold starts and warm invokes -> docs/benchmarks.md."""

"""Local tooling: template loader, DynamoDB Local launcher, local API (`make run`), invoke."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

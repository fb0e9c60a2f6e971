"""Send a signed webhook delivery to the local API (`make run`), as Intercom or Sequence would:

    .venv/bin/python -m devtools.send_webhook intercom contact.unarchived <intercom contact id>
    .venv/bin/python -m devtools.send_webhook sequence CUSTOMER_ARCHIVED <sequence customer id>

Signed with the documented test secret (`devtools.webhooks.TEST_WEBHOOK_SECRET`), which the local
stack gives `dev-tenant`; `--tenant`, `--url` and `--secret` change the defaults.
"""

from __future__ import annotations

import sys

from devtools import REPO_ROOT

if str(REPO_ROOT / "shared") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "shared"))  # the layer, as in the Lambda runtime
from devtools.webhooks import main

if __name__ == "__main__":
    sys.exit(main())

"""``python -m qbwc_server`` (and the ``jobdesk-server`` script): see ``qbwc_server.cli``."""

from __future__ import annotations

import sys

from qbwc_server.cli import main

if __name__ == "__main__":
    sys.exit(main())

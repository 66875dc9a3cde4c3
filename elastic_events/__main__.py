"""``python -m elastic_events``: the ``elastic-events`` command."""

import sys

from elastic_events._cli import main

if __name__ == "__main__":
    sys.exit(main())

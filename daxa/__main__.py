"""``python -m daxa``: the same as the ``daxa`` command."""

import sys

from daxa.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""`python -m carnet.cli`: the same commands as the `carnet` script."""

import sys

from carnet.cli import main

sys.exit(main())

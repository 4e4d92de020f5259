"""``python -m qa ...``: the ``qa`` command line (:mod:`qa.apps.cli`)."""

import sys

from qa.apps.cli import main

sys.exit(main())

"""``python -m eels_autoid.cli``: the ``eels-autoid`` command."""

import sys

from . import main

sys.exit(main())

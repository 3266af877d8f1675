"""`python -m viz` runs the deltagrad command."""

import sys

from .cli import main

sys.exit(main())

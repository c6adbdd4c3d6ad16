"""`python -m service.cli`: the `rekap` command."""

import sys

from service.cli.main import main

sys.exit(main())

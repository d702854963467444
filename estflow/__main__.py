"""`python -m estflow`: the `estflow` command line."""

import sys

from estflow.cli.main import main

sys.exit(main())

"""`python -m estflow`: the `estflow` command line."""

import sys

from estflow.cli.main import main

if __name__ == "__main__":  # importing this module (pkgutil.walk_packages does) runs nothing
    sys.exit(main())

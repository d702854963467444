"""`python -m estflow.model_server`: TensorFlow Serving's tensorflow_model_server command line."""

import sys

from estflow.model_server.server import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

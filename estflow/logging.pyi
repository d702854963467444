"""`tf.logging`: TF1's logging functions on the Python logger "tensorflow" (re-exports only)."""

from estflow.library.tf_logging import DEBUG as DEBUG
from estflow.library.tf_logging import ERROR as ERROR
from estflow.library.tf_logging import FATAL as FATAL
from estflow.library.tf_logging import INFO as INFO
from estflow.library.tf_logging import WARN as WARN
from estflow.library.tf_logging import TaskLevelStatusMessage as TaskLevelStatusMessage
from estflow.library.tf_logging import debug as debug
from estflow.library.tf_logging import error as error
from estflow.library.tf_logging import fatal as fatal
from estflow.library.tf_logging import flush as flush
from estflow.library.tf_logging import get_verbosity as get_verbosity
from estflow.library.tf_logging import info as info
from estflow.library.tf_logging import log as log
from estflow.library.tf_logging import log_every_n as log_every_n
from estflow.library.tf_logging import log_first_n as log_first_n
from estflow.library.tf_logging import log_if as log_if
from estflow.library.tf_logging import set_verbosity as set_verbosity
from estflow.library.tf_logging import vlog as vlog
from estflow.library.tf_logging import warn as warn
from estflow.library.tf_logging import warning as warning

"""estflow's model server: TensorFlow Serving's REST and gRPC APIs over SavedModels.

    python -m estflow.model_server --model_name=NAME --model_base_path=DIR --port=8500 --rest_api_port=8501

`ServerOptions` holds TF Serving's flags, `ModelServer(options).start()` runs a server in
this process (`grpc_port`, `rest_api_port`, `stop()`), `main(argv)` is the command line.
The server needs the engine and the SavedModel loader only: it never imports the
estimator layer.
"""

from estflow.model_server.server import ModelServer, ServerOptions, main, options_from_argv, serve

__all__ = ["ModelServer", "ServerOptions", "main", "options_from_argv", "serve"]

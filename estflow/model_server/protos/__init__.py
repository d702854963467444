"""TensorFlow Serving's wire format (package `tensorflow.serving`) and its generated modules.

The `.proto` files follow TensorFlow Serving's public `tensorflow_serving/apis` and
`tensorflow_serving/config` definitions: same packages, message names, field numbers and
gRPC services, so clients built on the `tensorflow-serving-api` package talk to estflow's
model server unchanged. Tensors, signatures and examples are core's `tensorflow` protos
(estflow/core/protos/). Regenerate the `*_pb2.py` / `*_pb2_grpc.py` modules with
`scripts/gen_model_server_protos.sh`.
"""

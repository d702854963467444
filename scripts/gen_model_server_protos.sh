#!/usr/bin/env bash
# Regenerate estflow/model_server/protos/*_pb2.py (and *_pb2_grpc.py for the two services)
# from the .proto files next to them. Needs grpcio-tools (pip install -e ".[dev]"). Import
# paths are repository-relative, as in scripts/gen_protos.sh, so the generated code imports
# core's messages as `from estflow.core.protos import tensor_pb2`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python}"
if [[ -x "$root/.venv/bin/python" && -z "${PYTHON:-}" ]]; then
  python="$root/.venv/bin/python"
fi

cd "$root"
rm -f estflow/model_server/protos/*_pb2.py estflow/model_server/protos/*_pb2_grpc.py
"$python" -m grpc_tools.protoc -I . --python_out=. estflow/model_server/protos/*.proto
"$python" -m grpc_tools.protoc -I . --grpc_python_out=. \
  estflow/model_server/protos/prediction_service.proto estflow/model_server/protos/model_service.proto
echo "generated: $(ls estflow/model_server/protos/*_pb2*.py | wc -l) modules in estflow/model_server/protos/"

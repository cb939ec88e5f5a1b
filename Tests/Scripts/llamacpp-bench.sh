#!/usr/bin/env bash
# Benchmark anchor: measures llama.cpp (PyPI llama-cpp-python) decode and prefill tokens/s on
# the same llama2.c checkpoint our model runs, so its numbers can stand beside `proctor model bench`.
# Benchmark-only: never run in CI. It builds llama.cpp from source (20-30 min on one core).
#   bash Tests/Scripts/llamacpp-bench.sh MODEL.bin TOKENIZER.bin [--threads 1,2] [--tokens 64] \
#        [--prompt-tokens 200] [--types f32,q8_0] [--json]
# The virtualenv (default /tmp/proctor-llamacpp-venv, or $LLAMACPP_VENV) is reused once
# llama_cpp imports from it. The build is held to ONE core (CMAKE_BUILD_PARALLEL_LEVEL=1).
set -euo pipefail
venv=${LLAMACPP_VENV:-/tmp/proctor-llamacpp-venv}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if ! "$venv/bin/python" -c 'import llama_cpp, gguf, numpy' 2>/dev/null; then
  echo "llamacpp-bench: installing numpy, gguf, llama-cpp-python into $venv (one core)" >&2
  python3 -m venv "$venv"
  export CMAKE_BUILD_PARALLEL_LEVEL=1 MAKEFLAGS=-j1
  # CPU-only build for this machine; no GPU backends.
  export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=ON -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet numpy gguf
  "$venv/bin/python" -m pip install --verbose llama-cpp-python
fi

exec "$venv/bin/python" "$here/llamacpp_bench.py" "$@"

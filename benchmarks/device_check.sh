#!/bin/bash
# The GPU checks on a GPU machine (the `device` tool: an H200 image with PyTorch, pandas and scikit-learn,
# no network). Run `make device-wheels` here first (Optuna and its needs, LightGBM, as Python 3.12 wheels in
# .whl/, about 10 MB), then, in two calls that name .whl in carry:
#   bash benchmarks/device_check.sh gpu   # CUDA tests, MLP timings (one fit; 5 folds on 1 and 16 threads and
#                                         # CUDA), the 60,000 x 40 MLP search on CUDA: about 6-8 minutes
#   bash benchmarks/device_check.sh cpu   # the same search on 16 CPU threads, capped at 180 s: about 4 minutes
# Results land in $OUT (copy them to benchmarks/results/).
set -u
phase=${1:-gpu}
export PYTHONUNBUFFERED=1 OUT=${OUT:-/tmp/device_out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/src
nvidia-smi -L
python3 -c "import torch, optuna, sklearn, pandas; print('torch', torch.__version__, torch.cuda.get_device_name(0), 'optuna', optuna.__version__, 'sklearn', sklearn.__version__, 'pandas', pandas.__version__)"
lscpu | grep -E "Model name|^CPU\(s\)"
if [ "$phase" = gpu ]; then
  python3 -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_mlp_training.py 2>&1 | tail -20 | tee "$OUT/tests.log"
  python3 benchmarks/bench_device.py --rows 200000 --epochs 2 --shapes 128x128,512x512 --threads 1 --out "$OUT/device_mlp.csv"
  python3 benchmarks/bench_device.py --rows 200000 --epochs 2 --shapes 128x128 --folds 5 --threads 1 --out "$OUT/device_mlp_folds.csv"
  python3 benchmarks/bench_device.py --rows 200000 --epochs 2 --shapes 128x128 --folds 5 --threads 16 --devices cpu --out "$OUT/device_mlp_folds_16.csv"
  python3 benchmarks/bench_device.py --search 60000x40 --trials 8 --cv 3 --time-limit 60 --devices cuda --out "$OUT/device_search_cuda.csv"
else
  python3 benchmarks/bench_device.py --search 60000x40 --trials 8 --cv 3 --time-limit 60 --threads 16 --devices cpu --search-budget 180 --out "$OUT/device_search_cpu.csv"
fi

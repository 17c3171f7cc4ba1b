#!/bin/bash
# The GPU checks of issue #6 in one short call on a lent CUDA machine (about 5 minutes on an H100):
# the GPU-marked tests, batched forward throughput and one LOSO fold (bench_fold_speed), spot throughput
# (bench_spot). The machine's own python3 (with torch + torch-geometric) runs the working tree as is;
# nothing is installed. Logs and the RESULTS.md sections the benchmarks append land in $OUT (or ./device_out).
#
#   device run:  bash scripts/device_check.sh        (timeout_s 540 leaves time for a rerun)
set -u -o pipefail
OUT=${OUT:-device_out}
mkdir -p "$OUT"
export PYTHONPATH=$PWD:$PWD/cli PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}
cp benchmarks/RESULTS.md "$OUT/RESULTS.before.md"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1 | tee "$OUT/device.log"
$PY -c "import torch, torch_geometric; print('torch', torch.__version__, 'pyg', torch_geometric.__version__, \
torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'NO CUDA')" 2>&1 | tee -a "$OUT/device.log"
timeout 120 $PY -m pytest -q -m gpu -p no:cacheprovider tests/test_gpu.py tests/test_discover_engines.py 2>&1 \
  | tee "$OUT/gpu_tests.log"
timeout 240 $PY benchmarks/bench_fold_speed.py --gpu 2>&1 | tee "$OUT/fold_speed.log"
timeout 150 $PY benchmarks/bench_spot.py --gpu --minutes 10 --repeats 3 2>&1 | tee "$OUT/spot.log"
diff benchmarks/RESULTS.md "$OUT/RESULTS.before.md" | sed -n 's/^< //p' > "$OUT/RESULTS.appended.md"
rm -f "$OUT/RESULTS.before.md"
echo "appended sections: $OUT/RESULTS.appended.md ($(wc -l < "$OUT/RESULTS.appended.md") lines)"

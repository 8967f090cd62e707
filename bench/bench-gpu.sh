#!/bin/sh
# SPDX-License-Identifier: MIT
# bench-gpu.sh - asgml training steps on the GPU at the CREMA-D shape
# (audio 1x257x188, visual 3x224x224, T = 1 and T = 3, ResNet18 width 64,
# batch 64, 6 classes), and the same model in PyTorch when python3 with
# torch.cuda is available; prints samples/s and the asgml/PyTorch ratio.
#
# Usage (from the build directory, after ./configure --with-cuda --with-cudnn):
#     sh bench/bench-gpu.sh [STEPS]
# Environment: PYTHON3 (default python3), BENCH_GPU_ARGS (extra bench-gpu flags).
set -e
steps=${1:-20}
top_srcdir=${top_srcdir:-`dirname "$0"`/..}
py=${PYTHON3:-python3}

make bench/bench-gpu >/dev/null

have_torch=no
if "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    have_torch=yes
fi

for frames in 1 3; do
    line=`./bench/bench-gpu --device cuda --frames $frames --batch 64 --steps "$steps" $BENCH_GPU_ARGS`
    echo "$line"
    ours=`echo "$line" | sed -n 's/.*samples_per_s=\([0-9.]*\).*/\1/p'`
    if test $have_torch = yes; then
        tline=`"$py" - "$top_srcdir/bench" "$frames" "$steps" <<'PYEOF'
import sys, time
sys.path.insert(0, sys.argv[1])
import torch
import torch.nn.functional as F
from bench_train_torch import AVClassifier   # the same model as bench-train
frames, steps, batch, classes = int(sys.argv[2]), int(sys.argv[3]), 64, 6
torch.backends.cudnn.benchmark = True          # asgml also searches algorithms
dev = torch.device("cuda")
torch.manual_seed(0)
model = AVClassifier(64, classes, frames).to(dev)
opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
a = torch.randn(batch, 1, 257, 188, device=dev)
v = torch.randn(batch * frames, 3, 224, 224, device=dev)
y = torch.randint(0, classes, (batch,), device=dev)
model.train()
def step():
    opt.zero_grad(set_to_none=True)
    F.cross_entropy(model(a, v), y).backward()
    opt.step()
for _ in range(3):
    step()
torch.cuda.synchronize()
t0 = time.perf_counter()
for _ in range(steps):
    step()
torch.cuda.synchronize()
dt = time.perf_counter() - t0
print("torch cuda cremad frames=%d batch=%d steps=%d samples_per_s=%.1f ms_per_step=%.2f"
      % (frames, batch, steps, batch * steps / dt, 1e3 * dt / steps))
PYEOF
`
        echo "$tline"
        theirs=`echo "$tline" | sed -n 's/.*samples_per_s=\([0-9.]*\).*/\1/p'`
        awk -v a="$ours" -v b="$theirs" -v t="$frames" \
            'BEGIN { if (b > 0) printf "ratio asgml/torch frames=%d %.3f\n", t, a / b }'
    fi
done
test $have_torch = yes || echo "# PyTorch with CUDA not found ($py): no ratio"

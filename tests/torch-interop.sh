#!/bin/sh
# SPDX-License-Identifier: MIT
# torch-interop.sh - runs tests/torch-interop.py (python/asgml_torch.py with
# PyTorch: round trip and logits) with $PYTHON3, else /usr/bin/python3, else
# python3; prints "1..0 # SKIP" when none of them imports torch, numpy and
# h5py.  Called by `make check-python`, never by `make check`.
: "${top_srcdir:=.}" "${top_builddir:=.}"
export top_srcdir top_builddir
py=
for p in "$PYTHON3" /usr/bin/python3 python3; do
    test -n "$p" || continue
    if "$p" -c 'import torch, numpy, h5py' >/dev/null 2>&1; then py=$p; break; fi
done
if test -z "$py"; then
    echo "1..0 # SKIP no python3 with torch, numpy and h5py"
    exit 0
fi
exec "$py" "$top_srcdir/tests/torch-interop.py"

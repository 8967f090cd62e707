# SPDX-License-Identifier: MIT
"""asgml_torch - asgml checkpoints <-> PyTorch state_dicts (asgml-python(7)).

asgml names every tensor as PyTorch's state_dict does for the official
OGM-GE model (github.com/GeWu-Lab/OGM-GE_CVPR2022, models/basic_model.py
AVClassifier): ``audio_net.*`` and ``visual_net.*`` (models/backbone.py
ResNet: conv1, bn1, layer1..layer4, BasicBlock conv1/bn1/conv2/bn2,
downsample.0/.1), ``fusion_module.fc_out.*`` (models/fusion_modules.py
ConcatFusion; SumFusion fc_x/fc_y, FiLM fc/fc_out, GatedFusion
fc_x/fc_y/fc_out).  Conv weights are OIHW, linear weights (out, in), all
float32.

    import asgml_torch
    sd = asgml_torch.load_checkpoint("run/ckpt/last.h5")     # -> state_dict
    model.load_state_dict(sd)                                # OGM-GE names
    asgml_torch.save_init(model.state_dict(), "init.h5")     # -> --init
    # asgml-train --init init.h5 ...

Only numpy and h5py are needed; torch is imported when tensors are asked
for (load_checkpoint(..., as_torch=True), the default when torch is
installed).  Keys with a DataParallel/DistributedDataParallel ``module.``
prefix are accepted everywhere and stripped.
"""
# SPDX-License-Identifier: MIT
from collections import OrderedDict

import h5py
import numpy as np

__all__ = ["load_checkpoint", "save_init", "strip_module", "read_info",
           "BUFFER_SUFFIXES", "INIT_MAGIC", "CHECKPOINT_MAGIC"]

CHECKPOINT_MAGIC = "asgml-checkpoint"
INIT_MAGIC = "asgml-init"
# state_dict entries that are BN buffers, not parameters (asgml keeps no
# num_batches_tracked: it is dropped on writing and made up on reading)
BUFFER_SUFFIXES = (".running_mean", ".running_var")
_NBT = ".num_batches_tracked"


def strip_module(state_dict):
    """The state_dict with one leading ``module.`` removed from every key
    that has it (models saved from nn.DataParallel / DDP)."""
    out = OrderedDict()
    for k, v in state_dict.items():
        k2 = k[len("module."):] if k.startswith("module.") else k
        if k2 in out:
            raise ValueError("key %r appears with and without 'module.'" % k2)
        out[k2] = v
    return out


def _numpy(v):
    """float32 numpy copy of a tensor, array or number (no torch import)."""
    if hasattr(v, "detach"):
        v = v.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(v, dtype=np.float32))


def _decode(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


def read_info(path):
    """The root attributes of an asgml checkpoint or init file (dict);
    config_json and train_state_json stay JSON text."""
    with h5py.File(path, "r") as f:
        return {k: (_decode(v) if isinstance(v, (bytes, str)) else v.item()
                    if hasattr(v, "item") else v) for k, v in f.attrs.items()}


def load_checkpoint(path, as_torch=None, buffers=True, num_batches_tracked=True):
    """An asgml checkpoint (or init file) as an OrderedDict state_dict.

    path                 HDF5 file with /params/<name> (and /buffers/<name>)
    as_torch             torch tensors (True), numpy arrays (False) or
                         torch when it can be imported (None, default)
    buffers              include BN running_mean / running_var
    num_batches_tracked  add a 0-d int64 ``....num_batches_tracked`` (= 0)
                         beside every running_mean, so that
                         ``load_state_dict(sd)`` of a PyTorch model with
                         BatchNorm is strict-clean; asgml does not count
                         batches (its BN momentum is fixed, 0.1)

    Parameters come first in the file's order of names, then buffers."""
    if as_torch is None:
        try:
            import torch  # noqa: F401
            as_torch = True
        except ImportError:
            as_torch = False
    sd = OrderedDict()
    with h5py.File(path, "r") as f:
        if "params" not in f:
            raise ValueError("%s: no /params group (not an asgml checkpoint or init file)"
                             % path)
        groups = ["params"] + (["buffers"] if buffers and "buffers" in f else [])
        for g in groups:
            for name in f[g]:
                sd[name] = np.asarray(f[g][name][()], dtype=np.float32)
                if num_batches_tracked and name.endswith(".running_mean"):
                    sd[name[:-len(".running_mean")] + _NBT] = np.array(0, dtype=np.int64)
    sd = strip_module(sd)
    if as_torch:
        import torch
        sd = OrderedDict((k, torch.from_numpy(v)) for k, v in sd.items())
    return sd


def save_init(state_dict, path, source=None):
    """Writes a PyTorch state_dict (tensors or arrays; ``module.`` prefixes
    stripped) as an asgml init file for ``asgml-train --init PATH``:
    running_mean/running_var under /buffers, every other entry under
    /params, num_batches_tracked dropped, all float32; root attributes
    magic="asgml-init", format_version=1 and source (free text, e.g. the
    PyTorch file it came from).  Written to PATH + ".tmp" and renamed.
    Returns the number of tensors written."""
    import os
    sd = strip_module(state_dict)
    tmp = path + ".tmp"
    n = 0
    with h5py.File(tmp, "w") as f:
        f.attrs["magic"] = INIT_MAGIC
        f.attrs["format_version"] = np.int32(1)
        f.attrs["source"] = source or ""
        params, bufs = f.create_group("params"), f.create_group("buffers")
        for k, v in sd.items():
            if k.endswith(_NBT):
                continue
            (bufs if k.endswith(BUFFER_SUFFIXES) else params).create_dataset(k, data=_numpy(v))
            n += 1
    os.replace(tmp, path)
    return n


def _main(argv=None):
    """python3 -m asgml_torch export CKPT OUT.pt | import IN.pt OUT.h5"""
    import argparse
    ap = argparse.ArgumentParser(prog="python3 -m asgml_torch",
                                 description="asgml checkpoints <-> PyTorch state_dicts")
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="asgml checkpoint -> torch.save'd state_dict")
    e.add_argument("checkpoint")
    e.add_argument("out")
    i = sub.add_parser("import", help="torch.save'd state_dict -> asgml init file")
    i.add_argument("state_dict")
    i.add_argument("out")
    a = ap.parse_args(argv)
    import torch
    if a.cmd == "export":
        torch.save(load_checkpoint(a.checkpoint, as_torch=True), a.out)
    else:
        obj = torch.load(a.state_dict, map_location="cpu")
        for key in ("model", "state_dict"):   # OGM-GE main.py saves {"model": ..., ...}
            if isinstance(obj, dict) and hasattr(obj.get(key), "items"):
                obj = obj[key]
                break
        print("%d tensors written to %s" % (save_init(obj, a.out, source=a.state_dict), a.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())

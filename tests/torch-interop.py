#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""torch-interop.py - python/asgml_torch.py against asgml-train --init and
asgml-eval (run by tests/torch-interop.sh from `make check-python`, never
by `make check`).  TAP on stdout.

The PyTorch model is the official OGM-GE AVClassifier
(github.com/GeWu-Lab/OGM-GE_CVPR2022: models/basic_model.py forward,
models/backbone.py ResNet/BasicBlock, models/fusion_modules.py
ConcatFusion) at asgml's tiny-test size: ResNet18 layout of width 4
(blocks 2,2,2,2, D = 32), 1-channel 8x8 audio and visual inputs (the
tests/probe-mkstore store), concat fusion, 4 classes; wrapped in
nn.DataParallel so that its state_dict carries the ``module.`` prefix.

1. Round trip PyTorch -> asgml -> PyTorch: a randomised state_dict is
   written with asgml_torch.save_init, asgml-train --init trains one epoch
   with optim.lr=1e-30 (every update far below a float's ulp), and
   asgml_torch.load_checkpoint of its checkpoint gives back every parameter
   bit for bit; the BN running statistics equal PyTorch's own update of the
   loaded values over the same batches (the checkpoint's /data/order), and
   the file loads strictly into the OGM-GE model.
2. Logits: a model trained by asgml (3 epochs, lr 0.05), loaded into the
   PyTorch model, gives on the store's test samples the fused logits and
   the unimodal logits (asgml-methods(7) split provider:
   u_m = f_m W[:, mD:(m+1)D]^T + b/2) that asgml-eval --predictions wrote."""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.environ.get("top_srcdir", "."), "python"))
import asgml_torch  # noqa: E402

TOP_BUILD = os.environ.get("top_builddir", ".")
TOOLS = os.path.join(TOP_BUILD, "tools")
torch.manual_seed(17)
torch.set_num_threads(1)
N_TESTS = 11
count = 0
failed = 0


def ok(cond, msg):
    global count, failed
    count += 1
    if not cond:
        failed += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", count, msg), flush=True)


# ---- the OGM-GE model (read from the official code, written here) -------------

class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class ResNet(nn.Module):
    def __init__(self, cin, width):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        c = width
        for s in range(4):
            blocks = []
            for j in range(2):
                blocks.append(BasicBlock(c, width << s, 2 if (j == 0 and s > 0) else 1))
                c = width << s
            setattr(self, "layer%d" % (s + 1), nn.Sequential(*blocks))

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        for s in range(4):
            x = getattr(self, "layer%d" % (s + 1))(x)
        return x


class ConcatFusion(nn.Module):
    def __init__(self, input_dim, output_dim):
        super().__init__()
        self.fc_out = nn.Linear(input_dim, output_dim)

    def forward(self, x, y):
        return x, y, self.fc_out(torch.cat((x, y), dim=1))


class AVClassifier(nn.Module):
    """OGM-GE models/basic_model.py AVClassifier, concat fusion."""

    def __init__(self, width=4, n_classes=4):
        super().__init__()
        self.fusion_module = ConcatFusion(16 * width, n_classes)
        self.audio_net = ResNet(1, width)
        self.visual_net = ResNet(1, width)

    def forward(self, audio, visual):
        a = self.audio_net(audio)
        v = self.visual_net(visual)
        (_, C, H, W) = v.size()
        B = a.size()[0]
        v = v.view(B, -1, C, H, W).permute(0, 2, 1, 3, 4)
        a = torch.flatten(F.adaptive_avg_pool2d(a, 1), 1)
        v = torch.flatten(F.adaptive_avg_pool3d(v, 1), 1)
        return self.fusion_module(a, v)


def unimodal(model, a, v):
    """asgml's split unimodal logits of a concat head."""
    fc = model.fusion_module.fc_out
    d = a.shape[1]
    return (a @ fc.weight[:, :d].t() + fc.bias / 2, v @ fc.weight[:, d:].t() + fc.bias / 2)


def inputs(store, idx):
    """asgml's evaluation transform of the probe-mkstore store: audio/spec as
    is, visual/image (v / 255 - 0.1307) / 0.3081 in float32 (loader.c)."""
    with h5py.File(store, "r") as f:
        a = f["audio/spec"][:][idx].astype(np.float32)[:, None]
        v = f["visual/image"][:][idx].astype(np.float32)
    v = (v / np.float32(255.0) - np.float32(0.1307)) / np.float32(0.3081)
    return torch.from_numpy(a), torch.from_numpy(v.astype(np.float32)[:, None])


def run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        print("# %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r


def main():
    print("1..%d" % N_TESTS, flush=True)
    tmp = tempfile.mkdtemp(prefix="torch-interop.")
    store = os.path.join(tmp, "tiny.h5")
    subprocess.run([os.path.join(TOP_BUILD, "tests", "probe-mkstore"), store, "64"],
                   stdout=subprocess.DEVNULL, check=True)
    common = ["--store", store, "--batch-size", "16", "--quiet", "--set", "model.width=4",
              "--set", "backend.threads=2", "--set", "train.keep-checkpoints=0"]

    # ---- 1. round trip ----------------------------------------------------------
    model = nn.DataParallel(AVClassifier())
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    sd = model.state_dict()
    ok(all(k.startswith("module.") for k in sd), "the DataParallel state_dict has module. keys")
    init = os.path.join(tmp, "init.h5")
    n_written = asgml_torch.save_init(sd, init, source="torch-interop.py")
    r = run([os.path.join(TOOLS, "asgml-train")] + common +
            ["--epochs", "1", "--set", "optim.lr=1e-30", "--init", init,
             "--out", os.path.join(tmp, "rt")])
    ckpt = os.path.join(tmp, "rt", "ckpt", "last.h5")
    summ = json.load(open(os.path.join(tmp, "rt", "summary.json"))) if r.returncode == 0 else {}
    ok(r.returncode == 0 and summ.get("init", {}).get("loaded") == n_written and
       summ["init"].get("missing") == 0,
       "asgml-train --init loads all %d tensors of the PyTorch file" % n_written)
    back = asgml_torch.load_checkpoint(ckpt) if r.returncode == 0 else {}
    plain = asgml_torch.strip_module(sd)
    params = [k for k in plain if not k.endswith(("running_mean", "running_var",
                                                  "num_batches_tracked"))]
    same = [k for k in params if k in back and back[k].dtype == plain[k].dtype and
            torch.equal(back[k], plain[k])]
    ok(len(params) > 0 and len(same) == len(params),
       "round trip PyTorch -> asgml -> PyTorch: %d/%d parameters identical (bit for bit)"
       % (len(same), len(params)))
    ok(set(back) == set(plain), "the checkpoint's keys are exactly the OGM-GE model's "
       "(%d, module. stripped, num_batches_tracked supplied)" % len(back))
    # BN running statistics: PyTorch's own update of the loaded values over
    # asgml's batches of that epoch
    with h5py.File(ckpt, "r") as f:
        order = f["data/order"][()]
    ref = AVClassifier()
    ref.load_state_dict(plain)
    ref.train()
    with torch.no_grad():
        for s in range(0, len(order), 16):
            a, v = inputs(store, order[s:s + 16])
            ref(a, v)
    rsd = ref.state_dict()
    bufs = [k for k in rsd if k.endswith(("running_mean", "running_var"))]
    worst = max(float((back[k] - rsd[k]).abs().max() / (rsd[k].abs().max() + 1e-12))
                for k in bufs)
    ok(worst < 1e-4, "BN buffers: asgml's update of the loaded statistics = PyTorch's over "
       "the same %d batches (worst relative difference %.3g)" % ((len(order) + 15) // 16, worst))

    # the command line: an OGM-GE main.py checkpoint {"model": DataParallel
    # state_dict, ...} -> init file; a checkpoint -> torch.save'd state_dict
    mod = os.path.join(os.environ.get("top_srcdir", "."), "python", "asgml_torch.py")
    pth = os.path.join(tmp, "best_model.pth")
    torch.save({"saved_epoch": 1, "model": sd, "optimizer": {}}, pth)
    r = run([sys.executable, mod, "import", pth, os.path.join(tmp, "cli.h5")])
    cli = asgml_torch.load_checkpoint(os.path.join(tmp, "cli.h5")) if r.returncode == 0 else {}
    ok(set(cli) == set(plain) and all(torch.equal(cli[k].to(plain[k].dtype), plain[k])
                                      for k in plain),
       "python3 asgml_torch.py import: an OGM-GE {'model': ...} checkpoint -> init file, "
       "every tensor identical")
    r = run([sys.executable, mod, "export", ckpt, os.path.join(tmp, "cli.pt")])
    exp = torch.load(os.path.join(tmp, "cli.pt")) if r.returncode == 0 else {}
    ok(set(exp) == set(back) and all(torch.equal(exp[k], back[k]) for k in back),
       "python3 asgml_torch.py export: the checkpoint as a torch.save'd state_dict")

    # ---- 2. logits of an asgml-trained model in PyTorch --------------------------
    r = run([os.path.join(TOOLS, "asgml-train")] + common +
            ["--epochs", "3", "--set", "optim.lr=0.05", "--out", os.path.join(tmp, "tr")])
    pred = os.path.join(tmp, "pred.h5")
    r2 = run([os.path.join(TOOLS, "asgml-eval"), "--store", store, "--predictions", pred,
              os.path.join(tmp, "tr")]) if r.returncode == 0 else r
    ok(r.returncode == 0 and r2.returncode == 0, "asgml trains 3 epochs; asgml-eval writes "
       "its test predictions")
    net = nn.DataParallel(AVClassifier())
    missing = net.load_state_dict(
        {"module." + k: v for k, v in
         asgml_torch.load_checkpoint(os.path.join(tmp, "tr", "ckpt", "last.h5")).items()})
    ok(not missing.missing_keys and not missing.unexpected_keys,
       "the checkpoint loads strictly into nn.DataParallel(AVClassifier)")
    net.eval()
    with h5py.File(pred, "r") as f:
        samples = f["sample"][()]
        z_asgml = f["logits/fused"][()]
        u_asgml = [f["logits/audio"][()], f["logits/visual"][()]]
    a, v = inputs(store, samples)
    with torch.no_grad():
        fa, fv, z = net.module(a, v)
        ua, uv = unimodal(net.module, fa, fv)
    dz = float(np.abs(z.numpy() - z_asgml).max())
    du = max(float(np.abs(ua.numpy() - u_asgml[0]).max()),
             float(np.abs(uv.numpy() - u_asgml[1]).max()))
    scale = float(np.abs(z_asgml).max())
    print("# fused logits: max |PyTorch - asgml| = %.3g (max |z| %.3g); unimodal: %.3g"
          % (dz, scale, du))
    ok(dz <= 1e-4 * max(scale, 1.0), "fused logits of the asgml-trained model in PyTorch = "
       "asgml-eval's on %d test samples (max abs diff %.3g)" % (len(samples), dz))
    ok(du <= 1e-4 * max(scale, 1.0) and
       np.array_equal(z.argmax(1).numpy(), z_asgml.argmax(1)),
       "unimodal (split) logits equal too (max abs diff %.3g), the same predicted classes" % du)
    subprocess.run(["rm", "-rf", tmp])
    return 1 if failed or count != N_TESTS else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench_train_torch.py - the PyTorch side of bench/bench-train.

Times full training steps (forward, cross-entropy, backward, SGD step) of
the OGM-GE reference model -- two ResNet18 encoders (audio: 1 input channel,
visual: 3 channels, frames folded into the batch and averaged), concat
fusion -- at a given shape, and prints one line:

    torch SHAPE samples_per_s=X.X threads=N batch=B steps=S width=W frames=F
          flops_per_sample=F peak_rss_kb=K step_bytes_per_sample=M

flops_per_sample counts the model's dense FLOPs of a training step as
bench/bench-train does: per Conv2d and Linear, 2 x output elements x
(input channels / groups) x kernel taps for the forward pass, the same for
the weight gradient, and again for the input gradient where the input
requires one.  peak_rss_kb is the process's peak resident set (getrusage,
the interpreter and libtorch included); step_bytes_per_sample its growth
over the training steps (the peak after them minus the peak before), per
sample.

Usage: bench_train_torch.py --shape cremad|avdigits [--threads 2]
                            [--steps N] [--warmup N] [--width 64]
"""
import argparse
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    # name: (audio (C,H,W), visual (C,H,W), frames, classes, batch)
    "cremad": ((1, 257, 188), (3, 224, 224), 1, 6, 16),
    "avdigits": ((1, 129, 64), (3, 32, 32), 1, 10, 64),
}


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
        sc = x if self.downsample is None else self.downsample(x)
        return F.relu(out + sc)


class ResNet18(nn.Module):
    def __init__(self, cin, width):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers, c = [], width
        for i, mult in enumerate((1, 2, 4, 8)):
            cout = width * mult
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(c, cout, stride), BasicBlock(cout, cout, 1)))
            c = cout
        self.layer1, self.layer2, self.layer3, self.layer4 = layers

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x


class AVClassifier(nn.Module):
    def __init__(self, width, classes, frames):
        super().__init__()
        self.frames = frames
        self.audio_net = ResNet18(1, width)
        self.visual_net = ResNet18(3, width)
        self.fc_out = nn.Linear(2 * 8 * width, classes)

    def forward(self, a, v):
        fa = F.adaptive_avg_pool2d(self.audio_net(a), 1).flatten(1)
        b = a.shape[0]
        fv = self.visual_net(v)                       # (B*T, D, h, w)
        fv = fv.view(b, self.frames, fv.shape[1], -1).mean(dim=(1, 3))
        return self.fc_out(torch.cat([fa, fv], 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps (at least 1)")
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--frames", type=int, default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    ashape, vshape, frames, classes, batch = SHAPES[args.shape]
    if args.frames:
        frames = args.frames
    model = AVClassifier(args.width, classes, frames)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
    a = torch.randn(batch, *ashape)
    v = torch.randn(batch * frames, *vshape)
    y = torch.randint(0, classes, (batch,))
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(a, v), y)
        loss.backward()
        opt.step()

    flops = [0.0]

    def count(mod, inp, out):
        x = inp[0]
        if isinstance(mod, nn.Conv2d):
            f = 2.0 * out.numel() * (mod.in_channels // mod.groups) \
                * mod.kernel_size[0] * mod.kernel_size[1]
        else:
            f = 2.0 * out.numel() * mod.in_features
        flops[0] += f * (3 if x.requires_grad else 2)

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hooks = [m.register_forward_hook(count) for m in model.modules()
             if isinstance(m, (nn.Conv2d, nn.Linear))]
    step()  # the step whose FLOPs are counted (untimed)
    for h in hooks:
        h.remove()
    for _ in range(args.warmup - 1):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dt = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("torch %s samples_per_s=%.1f threads=%d batch=%d steps=%d width=%d frames=%d "
          "flops_per_sample=%.4g peak_rss_kb=%d step_bytes_per_sample=%.0f"
          % (args.shape, batch * args.steps / dt, args.threads, batch, args.steps,
             args.width, frames, flops[0] / batch, rss1, (rss1 - rss0) * 1024.0 / batch))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench_train_torch.py - the PyTorch side of bench/bench-train.

Times full training steps (forward, cross-entropy, backward, SGD step) of
the OGM-GE reference model -- two ResNet18 encoders (audio: 1 input channel,
visual: 3 channels, frames folded into the batch and averaged), concat
fusion -- at a given shape, and prints one line:

    torch SHAPE samples_per_s=X.X threads=N batch=B steps=S

Usage: bench_train_torch.py --shape cremad|avdigits [--threads 2]
                            [--steps N] [--warmup N] [--width 64]
"""
import argparse
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
    ap.add_argument("--warmup", type=int, default=2)
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

    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dt = time.perf_counter() - t0
    print("torch %s samples_per_s=%.1f threads=%d batch=%d steps=%d width=%d frames=%d"
          % (args.shape, batch * args.steps / dt, args.threads, batch, args.steps,
             args.width, frames))


if __name__ == "__main__":
    main()

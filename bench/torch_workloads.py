"""PyTorch's half of bench/compare: the same workloads as dev.kiln.bench.Compare.

Prints one JSON object per line: {"workload", "unit", "value", "flops", "config"}. The thread
configuration comes from the environment (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, read when the
libraries load) and --torch-threads (torch.set_num_threads); bench/compare runs this script once per
configuration and keeps PyTorch's best.
"""

import argparse
import gzip
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn

FASHION = "/usr/share/datasets/fashion-mnist"


def emit(config, workload, unit, value, flops=0.0):
    print(json.dumps({"workload": workload, "unit": unit, "value": value, "flops": flops,
                      "config": config}), flush=True)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion(split):
    images = read_idx(os.path.join(FASHION, split + "-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(FASHION, split + "-labels-idx1-ubyte.gz"))
    # The same scaling as Kiln's FashionMnist: pixel / 255 as float32.
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) * np.float32(1 / 255))
    return x, torch.from_numpy(labels.astype(np.int64))


def mlp():
    # FashionMlp: 784-256-128-10 ReLU; softmax folded into the cross-entropy loss.
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                         nn.Linear(128, 10))


def gemm(config, m, k, n):
    g = torch.Generator().manual_seed(7)
    a = torch.rand(m, k, generator=g) - 0.5
    b = torch.rand(k, n, generator=g) - 0.5
    c = torch.empty(m, n)
    flops = 2.0 * m * n * k
    reps = int(max(1, min(100_000, 2e9 / flops)))
    end = time.perf_counter() + 1.5
    while time.perf_counter() < end:
        torch.mm(a, b, out=c)
    samples = []
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        samples.append(flops * reps / (time.perf_counter() - t0) / 1e9)
    emit(config, "gemm %dx%dx%d" % (m, k, n), "GFLOP/s", statistics.median(samples), flops)


def train_epoch(model, opt, loss_fn, x, y, batch, seed):
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    t0 = time.perf_counter()
    loss_sum = 0.0
    correct = 0
    for start in range(0, len(x), batch):
        idx = perm[start:start + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
        correct += int((logits.argmax(1) == yb).sum())
    return len(x) / (time.perf_counter() - t0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-threads", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)
    config = "torch threads %d, OpenBLAS threads %s" % (
        args.torch_threads, os.environ.get("OPENBLAS_NUM_THREADS", "default"))
    if os.environ.get("OPENBLAS_CORETYPE"):
        config += " (%s kernels)" % os.environ["OPENBLAS_CORETYPE"]
    torch.manual_seed(1)

    for m, k, n in ((128, 784, 256), (128, 256, 128), (1024, 1024, 1024)):
        gemm(config, m, k, n)

    x, y = fashion("train")
    xt, yt = fashion("t10k")
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    train_epoch(model, opt, loss_fn, x, y, 128, 0)  # warm-up epoch, also trains
    rates = [train_epoch(model, opt, loss_fn, x, y, 128, e) for e in range(1, args.epochs + 1)]
    emit(config, "FashionMlp train", "samples/s", statistics.median(rates))
    model.eval()
    with torch.inference_mode():
        accuracy = float((model(xt).argmax(1) == yt).float().mean())
    emit(config, "FashionMlp test accuracy after %d epochs" % (args.epochs + 1), "accuracy", accuracy)

    with torch.inference_mode():
        samples = [x[i:i + 1].clone() for i in range(256)]
        for i in range(2000):
            model(samples[i % 256])
        times = []
        for i in range(5000):
            t0 = time.perf_counter()
            model(samples[i % 256])
            times.append((time.perf_counter() - t0) * 1e6)
        emit(config, "FashionMlp latency b1", "us", statistics.median(times))

        xb = x[:128].clone()
        for _ in range(200):
            model(xb)
        rates = []
        for _ in range(100):
            t0 = time.perf_counter()
            for _ in range(10):
                model(xb)
            rates.append(10 * 128 / (time.perf_counter() - t0))
        emit(config, "FashionMlp inference b128", "samples/s", statistics.median(rates))


if __name__ == "__main__":
    sys.exit(main())

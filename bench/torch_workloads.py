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
SHAKESPEARE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "samples/src/main/resources/dev/kiln/samples/data/tinyshakespeare.txt")


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


def cnn():
    # FashionCnn: conv 32 3x3 ReLU, max pool 2, conv 64 3x3 ReLU, max pool 2, flatten, 128 ReLU, 10.
    return nn.Sequential(nn.Unflatten(1, (1, 28, 28)),
                         nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))


# The CNN throughput protocol (Compare/EndToEnd.CNN_THROUGHPUT_*): fewer batches than the MLP's.
CNN_THROUGHPUT_WARM_UP = 50
CNN_THROUGHPUT_GROUPS = 30


def conv_kernels(config, n=128):
    """FashionCnn's conv2 kernels (32x13x13 -> 64x11x11, 3x3) at batch n, as Compare times them:
    forward with bias and ReLU; backward-input (dx from dy and w); backward-weights (dw and db from
    x and dy), the two halves of aten.convolution_backward that autograd runs for this layer. Each
    counts the forward's multiply-adds."""
    g = torch.Generator().manual_seed(7)
    x = torch.rand(n, 32, 13, 13, generator=g)
    w = (torch.rand(64, 32, 3, 3, generator=g) - 0.5) * 0.1
    b = torch.zeros(64)
    dy = torch.rand(n, 64, 11, 11, generator=g) - 0.5
    flops = 2.0 * n * 64 * 11 * 11 * 32 * 9
    reps = int(max(1, min(100_000, 2e10 / flops)))

    def backward(mask):
        return lambda: torch.ops.aten.convolution_backward(
            dy, x, w, [64], [1, 1], [0, 0], [1, 1], False, [0, 0], 1, mask)

    kernels = [("forward", lambda: torch.relu_(torch.nn.functional.conv2d(x, w, b))),
               ("backward-input", backward([True, False, False])),
               ("backward-weights", backward([False, True, True]))]
    with torch.inference_mode():
        for name, run in kernels:
            end = time.perf_counter() + 1.5
            while time.perf_counter() < end:
                run()
            samples = []
            for _ in range(15):
                t0 = time.perf_counter()
                for _ in range(reps):
                    run()
                samples.append(flops * reps / (time.perf_counter() - t0) / 1e9)
            emit(config, "conv2 %s b128" % name, "GFLOP/s", statistics.median(samples), flops)


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
        l, c = train_step(model, opt, loss_fn, x, y, perm[start:start + batch])
        loss_sum += l
        correct += c
    return len(x) / (time.perf_counter() - t0)


def train_step(model, opt, loss_fn, x, y, idx):
    """One optimizer step on the rows idx; returns (summed loss, correct predictions), read as the
    metrics of a training loop are."""
    xb, yb = x[idx], y[idx]
    opt.zero_grad(set_to_none=True)
    logits = model(xb)
    loss = loss_fn(logits, yb)
    loss.backward()
    opt.step()
    return loss.item() * len(idx), int((logits.argmax(1) == yb).sum())


# The FashionCnn training protocol (Compare.CNN_*): a warm-up pass over the first 6000 images, then
# --cnn-segments segments of 40 batches of 128 timed one by one; the row is the median segment.
CNN_WARM_UP_IMAGES = 6000
CNN_SEGMENT_BATCHES = 40


def train_segments(model, opt, loss_fn, x, y, batch, segments, seed):
    """Samples/s of each segment of CNN_SEGMENT_BATCHES batches of one pass over a permutation of
    x[:segments * CNN_SEGMENT_BATCHES * batch]: from the start of its first batch to the end of its last
    (the step, the loss and accuracy bookkeeping), as Kiln's SegmentTimer."""
    images = min(len(x), segments * CNN_SEGMENT_BATCHES * batch)
    perm = torch.randperm(images, generator=torch.Generator().manual_seed(seed))
    rates = []
    loss_sum = 0.0
    correct = 0
    for s in range(images // (CNN_SEGMENT_BATCHES * batch)):
        t0 = time.perf_counter()
        for b in range(CNN_SEGMENT_BATCHES):
            start = (s * CNN_SEGMENT_BATCHES + b) * batch
            l, c = train_step(model, opt, loss_fn, x, y, perm[start:start + batch])
            loss_sum += l
            correct += c
        rates.append(CNN_SEGMENT_BATCHES * batch / (time.perf_counter() - t0))
    return rates, images


def latency_us(model, samples, warm_up, calls):
    """Median microseconds of one single-sample call, over `calls` calls after `warm_up` (in inference_mode)."""
    for i in range(warm_up):
        model(samples[i % len(samples)])
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        model(samples[i % len(samples)])
        times.append((time.perf_counter() - t0) * 1e6)
    return statistics.median(times)


def throughput(model, xb, warm_up, groups):
    """Median samples/s of `groups` timed groups of 10 calls on the batch xb, after `warm_up` calls."""
    for _ in range(warm_up):
        model(xb)
    rates = []
    for _ in range(groups):
        t0 = time.perf_counter()
        for _ in range(10):
            model(xb)
        rates.append(10 * len(xb) / (time.perf_counter() - t0))
    return statistics.median(rates)


def inference_rows(config, name, model, x, warm_up=200, groups=100):
    with torch.inference_mode():
        samples = [x[i:i + 1].clone() for i in range(256)]
        emit(config, name + " latency b1", "us", latency_us(model, samples, 2000, 5000))
        emit(config, name + " inference b128", "samples/s", throughput(model, x[:128].clone(), warm_up, groups))


# The CharLstm protocol (Compare.CHAR_LSTM_*): windows of 64 characters of tiny Shakespeare, a warm-up
# pass over the first 512, then the median of 3 epochs over the first 1536; generation with 200 warm-up
# tokens and 30 timed groups of 10.
CHAR_STEPS = 64
CHAR_VOCABULARY = 65
CHAR_WINDOWS = 1536
CHAR_WARM_UP_WINDOWS = 512
CHAR_EPOCHS = 3
CHAR_GENERATE_WARM_UP = 200
CHAR_GENERATE_GROUPS = 30
CHAR_CARRIED_WARM_UP = 5000  # the carried-state row (Compare.CHAR_LSTM_CARRIED_*): a token is 64 times cheaper
CHAR_CARRIED_GROUPS = 200


class CharLstm(nn.Module):
    """Kiln's bench CharLstm: Embedding(65, 64), LSTM(256) over every step, Linear(65) (softmax in the loss)."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(CHAR_VOCABULARY, 64)
        self.lstm = nn.LSTM(64, 256, batch_first=True)
        self.output = nn.Linear(256, CHAR_VOCABULARY)

    def forward(self, x, state=None):
        y, state = self.lstm(self.embedding(x), state)
        return self.output(y), state


def char_windows():
    """The first CHAR_WINDOWS non-overlapping windows and their next characters, ids in code-point order as
    Kiln's Vocabulary.ofCharacters numbers them."""
    with open(SHAKESPEARE, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text[:CHAR_WINDOWS * CHAR_STEPS + 1]], dtype=torch.int64)
    x = ids[:-1].reshape(CHAR_WINDOWS, CHAR_STEPS)
    y = ids[1:].reshape(CHAR_WINDOWS, CHAR_STEPS)
    return x, y


def char_train_epoch(model, opt, loss_fn, x, y, seed, batch=32):
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    t0 = time.perf_counter()
    loss_sum = 0.0
    for start in range(0, len(x), batch):
        idx = perm[start:start + batch]
        xb, yb = x[idx], y[idx]
        opt.zero_grad(set_to_none=True)
        logits, _ = model(xb)
        loss = loss_fn(logits.reshape(-1, CHAR_VOCABULARY), yb.reshape(-1))
        loss.backward()
        opt.step()
        loss_sum += loss.item() * len(idx)
    return len(x) * CHAR_STEPS / (time.perf_counter() - t0)


def timed_tokens(step, warm_up=CHAR_GENERATE_WARM_UP, groups=CHAR_GENERATE_GROUPS):
    """Tokens/s of step() (one generated token): warm-up, then the median of groups of 10."""
    for _ in range(warm_up):
        step()
    rates = []
    for _ in range(groups):
        t0 = time.perf_counter()
        for _ in range(10):
            step()
        rates.append(10 / (time.perf_counter() - t0))
    return statistics.median(rates)


def char_lstm(config):
    torch.manual_seed(1)
    x, y = char_windows()
    model = CharLstm()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    char_train_epoch(model, opt, loss_fn, x[:CHAR_WARM_UP_WINDOWS], y[:CHAR_WARM_UP_WINDOWS], 0)
    rates = [char_train_epoch(model, opt, loss_fn, x, y, e) for e in range(1, CHAR_EPOCHS + 1)]
    emit(config, "CharLstm train", "tokens/s", statistics.median(rates))

    model.eval()
    with torch.inference_mode():
        # Kiln's way: every token is a 64-step forward of the last 64 characters, greedy next one shifted in.
        window = x[:1].clone()

        def windowed():
            logits, _ = model(window)
            nxt = logits[0, -1].argmax()
            window[0, :-1] = window[0, 1:].clone()
            window[0, -1] = nxt

        emit(config, "CharLstm generate b1, 64-step window", "tokens/s", timed_tokens(windowed))

        # PyTorch's natural way: one token per forward, (h, c) carried over.
        token = x[:1, :1].clone()
        state = [None]

        def carried():
            logits, state[0] = model(token, state[0])
            token[0, 0] = logits[0, -1].argmax()

        emit(config, "CharLstm generate b1, carried state", "tokens/s",
             timed_tokens(carried, CHAR_CARRIED_WARM_UP, CHAR_CARRIED_GROUPS))


# --serve: PyTorch's side of bench/compare --paired (dev.kiln.bench.PairedPeer). The process keeps its
# models warm and runs one segment of a workload per request, so that Kiln and PyTorch take turns
# segment by segment and both see the same machine states. Requests are lines naming a workload;
# each answer is one JSON line {"workload", "value"}. The segments (PairedPeer.SEGMENTS, the same on
# both sides): training, the next CNN_SEGMENT_BATCHES (CNN) or MLP_SEGMENT_BATCHES (MLP) batches of
# 128 of a permutation of the training set (a warm-up pass first: 6000 images for the CNN, one
# epoch for the MLP); latency b1, the median of LATENCY_SEGMENT_CALLS single-sample calls (20000
# warm-up calls first); inference b128, the median samples/s of THROUGHPUT_SEGMENT_GROUPS groups of
# 10 batches of 128 (the rows' warm-up batches first). Inference runs on the model trained so far.
MLP_SEGMENT_BATCHES = 100
LATENCY_SEGMENT_CALLS = 2000
MLP_THROUGHPUT_SEGMENT_GROUPS = 20
CNN_THROUGHPUT_SEGMENT_GROUPS = 5


class Served:
    """One network (mlp or cnn) with its optimizer, trained segment by segment."""

    def __init__(self, name, x, y):
        torch.manual_seed(1)
        self.model = mlp() if name == "FashionMlp" else cnn()
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        self.loss_fn = nn.CrossEntropyLoss()
        self.x, self.y = x, y
        self.batches = MLP_SEGMENT_BATCHES if name == "FashionMlp" else CNN_SEGMENT_BATCHES
        self.model.train()
        warm = len(x) if name == "FashionMlp" else CNN_WARM_UP_IMAGES
        train_epoch(self.model, self.opt, self.loss_fn, x[:warm], y[:warm], 128, 0)
        self.perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(1))
        self.next = 0
        self.samples = [x[i:i + 1].clone() for i in range(256)]
        self.xb = x[:128].clone()
        self.latency_warm = False
        self.throughput_warm = False
        self.throughput_groups = (MLP_THROUGHPUT_SEGMENT_GROUPS if name == "FashionMlp"
                                  else CNN_THROUGHPUT_SEGMENT_GROUPS)
        self.throughput_warm_up = 2000 if name == "FashionMlp" else CNN_THROUGHPUT_WARM_UP

    def train(self):
        self.model.train()
        images = self.batches * 128
        if self.next + images > len(self.x):
            self.next = 0
        t0 = time.perf_counter()
        for b in range(self.batches):
            start = self.next + b * 128
            train_step(self.model, self.opt, self.loss_fn, self.x, self.y, self.perm[start:start + 128])
        rate = images / (time.perf_counter() - t0)
        self.next += images
        return rate

    def latency(self):
        self.model.eval()
        with torch.inference_mode():
            warm_up = 0 if self.latency_warm else 20000
            self.latency_warm = True
            return latency_us(self.model, self.samples, warm_up, LATENCY_SEGMENT_CALLS)

    def throughput(self):
        self.model.eval()
        with torch.inference_mode():
            warm_up = 0 if self.throughput_warm else self.throughput_warm_up
            self.throughput_warm = True
            return throughput(self.model, self.xb, warm_up, self.throughput_groups)


def serve():
    x, y = fashion("train")
    served = {}
    for line in sys.stdin:
        workload = line.strip()
        if not workload:
            continue
        name, _, row = workload.partition(" ")
        if name not in ("FashionMlp", "FashionCnn") or row not in ("train", "latency b1", "inference b128"):
            print(json.dumps({"workload": workload, "error": "unknown workload"}), flush=True)
            continue
        if name not in served:
            served[name] = Served(name, x, y)
        s = served[name]
        value = s.train() if row == "train" else s.latency() if row == "latency b1" else s.throughput()
        print(json.dumps({"workload": workload, "value": value}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-threads", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--cnn-segments", type=int, default=10)
    parser.add_argument("--workloads", choices=("all", "mlp", "cnn", "charlstm"), default="all")
    parser.add_argument("--serve", action="store_true", help="answer segment requests on stdin (bench/compare --paired)")
    args = parser.parse_args()
    torch.set_num_threads(args.torch_threads)
    if args.serve:
        serve()
        return
    config = "torch threads %d, OpenBLAS threads %s" % (
        args.torch_threads, os.environ.get("OPENBLAS_NUM_THREADS", "default"))
    if os.environ.get("OPENBLAS_CORETYPE"):
        config += " (%s kernels)" % os.environ["OPENBLAS_CORETYPE"]
    torch.manual_seed(1)

    if args.workloads == "charlstm":
        char_lstm(config)
        return
    x, y = fashion("train")
    xt, yt = fashion("t10k")
    loss_fn = nn.CrossEntropyLoss()
    if args.workloads in ("all", "mlp"):
        for m, k, n in ((128, 784, 256), (128, 256, 128), (1024, 1024, 1024)):
            gemm(config, m, k, n)

        model = mlp()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        model.train()
        train_epoch(model, opt, loss_fn, x, y, 128, 0)  # warm-up epoch, also trains
        rates = [train_epoch(model, opt, loss_fn, x, y, 128, e) for e in range(1, args.epochs + 1)]
        emit(config, "FashionMlp train", "samples/s", statistics.median(rates))
        model.eval()
        with torch.inference_mode():
            accuracy = float((model(xt).argmax(1) == yt).float().mean())
        emit(config, "FashionMlp test accuracy after %d epochs" % (args.epochs + 1), "accuracy", accuracy)

        inference_rows(config, "FashionMlp", model, x)

    if args.workloads in ("all", "cnn"):
        conv_kernels(config)
        # FashionCnn: a warm-up pass over the first 6000 images (also trains), then --cnn-segments
        # segments of 40 batches timed one by one, as Compare does.
        torch.manual_seed(1)
        model = cnn()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        model.train()
        train_epoch(model, opt, loss_fn, x[:CNN_WARM_UP_IMAGES], y[:CNN_WARM_UP_IMAGES], 128, 0)
        rates, images = train_segments(model, opt, loss_fn, x, y, 128, args.cnn_segments, 1)
        emit(config, "FashionCnn train", "samples/s", statistics.median(rates))
        print("FashionCnn train segments (%s): %s samples/s"
              % (config, ", ".join("%.0f" % r for r in rates)), file=sys.stderr, flush=True)
        model.eval()
        with torch.inference_mode():
            accuracy = float((model(xt).argmax(1) == yt).float().mean())
        emit(config, "FashionCnn test accuracy after %d + %d images" % (CNN_WARM_UP_IMAGES, images), "accuracy",
             accuracy)
        inference_rows(config, "FashionCnn", model, x, CNN_THROUGHPUT_WARM_UP, CNN_THROUGHPUT_GROUPS)

    if args.workloads == "all":
        char_lstm(config)


if __name__ == "__main__":
    sys.exit(main())

"""Reference input gradients for PyTorchInputGradientTest, in float64 with torch autograd.

For each case named on the command line, reads from the directory given first:
  <case>.json      the layers (kind and attributes) and parameter tensors (name, offset, shape)
  <case>.params    Kiln's parameter arena, float32 little-endian
  <case>.x         the inputs [rows, inputs], float32
  <case>.labels    one int32 label per row
  <case>.seed      a seed at the logits [rows, outputs], float32
builds the network as a torch.nn.Sequential in eval() mode (Dropout the identity, BatchNorm with
its running statistics), and writes <case>.ref: float64 little-endian, x.grad of the sum of the
per-sample losses, then the vector-Jacobian product of the logits with the seed, then the loss sum.
"""
import json
import sys

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float64)


def tensor(params, spec):
    t = params[spec["offset"]:spec["offset"] + int(np.prod(spec["shape"]))]
    return torch.tensor(t.astype(np.float64)).reshape(spec["shape"])


def activation(name, slope):
    return {
        "LINEAR": nn.Identity(),
        "RELU": nn.ReLU(),
        "LEAKY_RELU": nn.LeakyReLU(slope),
        "TANH": nn.Tanh(),
        "SIGMOID": nn.Sigmoid(),
        "GELU": nn.GELU(),
    }[name]


def build(layers, params, head):
    modules = []
    for i, layer in enumerate(layers):
        kind, a, p = layer["kind"], layer["attributes"], {q["key"]: q for q in layer["params"]}
        last = i == len(layers) - 1
        if kind == "Dense":
            linear = nn.Linear(p["kernel"]["shape"][0], p["kernel"]["shape"][1], bias="bias" in p)
            linear.weight.data = tensor(params, p["kernel"]).T.contiguous()
            if "bias" in p:
                linear.bias.data = tensor(params, p["bias"])
            modules.append(linear)
            if not (last and head):  # the loss applies the head to the logits
                modules.append(activation(a["activation"], a["negativeSlope"]))
        elif kind == "Conv2D":
            w = tensor(params, p["kernel"])
            assert a["stride"] == [1, 1] and a["dilation"] == [1, 1] and a["groups"] == 1
            pad = a["pad"]
            assert pad[0] == pad[2] and pad[1] == pad[3], "symmetric padding only"
            conv = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]), padding=(pad[0], pad[1]), bias="bias" in p)
            conv.weight.data = w
            if "bias" in p:
                conv.bias.data = tensor(params, p["bias"])
            modules.append(conv)
            modules.append(activation(a["activation"], a["negativeSlope"]))
        elif kind == "BatchNorm":
            g = tensor(params, p["gamma"])
            bn = nn.BatchNorm2d(g.shape[0], eps=a["epsilon"], momentum=a["momentum"])
            bn.weight.data, bn.bias.data = g, tensor(params, p["beta"])
            bn.running_mean.data = tensor(params, p["running_mean"])
            bn.running_var.data = tensor(params, p["running_var"])
            modules.append(bn)
        elif kind == "Activate":
            modules.append(activation(a["activation"], a.get("negativeSlope", 0.01)))
        elif kind == "MaxPool2D":
            assert a["pad"] == [0, 0, 0, 0]
            modules.append(nn.MaxPool2d(tuple(a["size"]), tuple(a["stride"])))
        elif kind == "Dropout":
            modules.append(nn.Dropout(a["rate"]))
        elif kind == "Flatten":
            modules.append(nn.Flatten())
        else:
            raise ValueError("no reference for " + kind)
    return nn.Sequential(*modules)


def main():
    directory = sys.argv[1]
    for case in sys.argv[2:]:
        base = directory + "/" + case
        with open(base + ".json") as f:
            meta = json.load(f)
        params = np.fromfile(base + ".params", dtype="<f4")
        rows, shape = meta["rows"], meta["inputShape"]
        x0 = torch.tensor(np.fromfile(base + ".x", dtype="<f4").astype(np.float64)).reshape([rows] + shape)
        labels = torch.tensor(np.fromfile(base + ".labels", dtype="<i4").astype(np.int64))
        seed = torch.tensor(np.fromfile(base + ".seed", dtype="<f4").astype(np.float64)).reshape(rows, -1)
        loss_kind = meta["loss"]
        model = build(meta["layers"], params, loss_kind != "MEAN_SQUARED_ERROR")
        model.eval()

        x = x0.clone().requires_grad_(True)
        logits = model(x)
        if loss_kind == "SOFTMAX_CROSS_ENTROPY":
            loss = nn.functional.cross_entropy(logits, labels, reduction="sum")
        elif loss_kind == "BINARY_CROSS_ENTROPY":
            loss = nn.functional.binary_cross_entropy_with_logits(
                logits.reshape(-1), labels.to(torch.float64), reduction="sum")
        else:
            raise ValueError(loss_kind)
        loss.backward()
        loss_grad = x.grad.reshape(-1).clone()

        x = x0.clone().requires_grad_(True)
        logits = model(x)
        (vjp,) = torch.autograd.grad(logits, x, seed.reshape(logits.shape))
        # FGSM (L-infinity) and the fast gradient method (L2) at eps, clipped to [-1, 1], from x.grad.
        eps = meta["epsilon"]
        g = loss_grad.reshape(rows, -1)
        x_flat = x0.reshape(rows, -1)
        fgsm = torch.clamp(x_flat + eps * torch.sign(g), -1, 1)
        fgm = torch.clamp(x_flat + eps * g / g.norm(dim=1, keepdim=True), -1, 1)
        out = torch.cat([loss_grad, vjp.reshape(-1), loss.detach().reshape(1), fgsm.reshape(-1), fgm.reshape(-1)])
        out.numpy().astype("<f8").tofile(base + ".ref")


if __name__ == "__main__":
    main()

"""PyTorch reference for PyTorchGraphReferenceTest: graph networks (convolution, pooling, BatchNorm, Add, Concat).

Usage: python3 torch_graph_reference.py DIR CASE...

For each CASE it reads DIR/CASE.data.safetensors (inputs, labels, and in its metadata the layer list as
JSON: name, type, inputs, per-sample output shape, typed attributes and parameter tensors, written by the
test from `ModelSpec.layers()`) and DIR/CASE.weights.safetensors (Kiln's `model.save`: every parameter,
BatchNorm's running statistics included), rebuilds the network with torch.nn.functional in float64 and
writes DIR/CASE.torch.safetensors:

  predict, eval_loss            evaluation mode (BatchNorm uses its running statistics)
  grad.<param>, grad_loss       mean loss over all rows in training mode (batch statistics); the running
                                statistics are restored afterwards, as Kiln's trainingLoss does
  step<k>.<param>, step_losses  every parameter (running statistics too) after each Adam step of
                                train() with shuffle off: batches are consecutive rows
  predict_after, eval_loss_after  evaluation mode after those steps

The metadata `mistakes` names deliberate semantic mistakes (see MISTAKES); for each the same results are
written again under the prefix `mistake.<name>.`, so the test can show that its tolerances reject them.

Independent of Kiln's code: each op is written from PyTorch's definition; SAME padding is recomputed
here from the TensorFlow/PyTorch rule for the layers the test names in `same_padding` and must equal the
pads Kiln reports; every output shape must equal Kiln's.
"""

import json
import math
import struct
import sys

import torch
import torch.nn.functional as F

from torch_reference import make_optimizer, read_safetensors, write_safetensors

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

# Each is a plausible real mistake in one op; the test requires every one to be rejected.
MISTAKES = {
    'same_extra_top': 'SAME padding puts the odd cell at the top/left instead of the bottom/right',
    'pad_mirrored': 'explicit conv padding read as {bottom, right, top, left}',
    'pool_pad_mirrored': 'explicit pooling padding read as {bottom, right, top, left}',
    'conv_flipped': 'true convolution (flipped kernel) instead of cross-correlation',
    'leaky_default_slope': 'LEAKY_RELU with the default slope 0.01 instead of the declared one',
    'max_zero_pad': 'max pooling pads with zeros (a padded cell can win)',
    'avg_exclude_pad': 'average pooling divides by the valid cells only (count_include_pad=False)',
    'bn_biased_running_var': 'BatchNorm running variance updated with the biased batch variance',
    'bn_momentum_complement': 'running = momentum * running + (1 - momentum) * batch (Keras convention)',
    'bn_eval_batch_stats': 'evaluation normalizes with the batch statistics instead of the running ones',
    'add_once': 'an Add that names one tensor twice counts it once',
    'concat_reversed': 'Concat joins its inputs in reverse order',
    'flatten_hwc': 'Flatten in [H, W, C] order instead of [C, H, W]',
    'partial_batch_over_capacity': "train()'s last, partial batch averages its loss over the full batch size",
}


def f32(v):
    return struct.unpack('<f', struct.pack('<f', v))[0]


def same_pads(size, kernel, stride, dilation):
    """[before, after] of SAME padding on one axis: out = ceil(in / s), the odd cell after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return [total // 2, total - total // 2]


def act(name, slope, z):
    if name == 'LINEAR':
        return z
    if name == 'RELU':
        return F.relu(z)
    if name == 'LEAKY_RELU':
        return F.leaky_relu(z, slope)
    if name == 'SIGMOID':
        return torch.sigmoid(z)
    if name == 'TANH':
        return torch.tanh(z)
    if name == 'GELU':
        return F.gelu(z)  # exact erf form
    if name == 'SOFTMAX':
        return torch.softmax(z, dim=1)
    raise ValueError('unknown activation ' + name)


def check_architecture(text, layers):
    """The saved architecture text names the same layers, in the same order, with the same kinds."""
    parts = [p.strip() for p in text.split('->')]
    assert parts[0].startswith('input['), parts[0]
    assert len(parts) == len(layers), (len(parts), len(layers))
    for part, layer in zip(parts[1:], layers[1:]):
        name, spec = part.split('=', 1)
        assert name == layer['name'] and spec.startswith(layer['type']), (part, layer['name'], layer['type'])


class GraphNet:
    """The network of a layer list; forward returns the last layer's pre-activation (the logits)."""

    def __init__(self, layers, weights, meta, flags):
        self.layers = layers
        self.flags = flags
        self.same = set(filter(None, meta.get('same_padding', '').split(',')))
        self.trained = []  # (Kiln name, tensor) in arena order
        self.state = {}
        self.all = []  # (Kiln name, tensor) in arena order, state included
        for layer in layers:
            for p in layer['params']:
                t = weights[p['name']].clone()
                assert list(t.shape) == p['shape'], (p, t.shape)
                if p['role'] == 'TRAINED':
                    t.requires_grad_(True)
                    self.trained.append((p['name'], t))
                else:
                    self.state[p['name']] = t
                self.all.append((p['name'], t))
        self.p = dict(self.all)
        self.training = False

    def forward(self, x):
        env = {}
        z = None
        previous = None
        for L in self.layers:
            kind, name, a = L['type'], L['name'], L['attributes']
            ins = [env[i] for i in L['inputs'] or ([previous] if previous else [])]
            z = None
            if kind == 'Input':
                h = x.reshape([x.shape[0]] + L['shape'])
            elif kind == 'Conv2D':
                z = self.conv(L, ins[0])
                h = act(a['activation'], self.slope(a), z)
            elif kind == 'Dense':
                w = self.p[name + '.kernel']  # Kiln's [in, units]: torch's Linear.weight transposed
                assert list(w.shape) == [ins[0].shape[1], a['units']], (name, w.shape)
                z = F.linear(ins[0], w.t(), self.p[name + '.bias'] if a['useBias'] else None)
                h = act(a['activation'], self.slope(a), z)
            elif kind == 'Activate':
                h = act(a['activation'], self.slope(a), ins[0])
            elif kind == 'MaxPool2D':
                h = self.pool(L, ins[0], True)
            elif kind == 'AvgPool2D':
                h = self.pool(L, ins[0], False)
            elif kind == 'GlobalAveragePool2D':
                h = ins[0].mean(dim=(2, 3))
            elif kind == 'Flatten':
                h = ins[0].permute(0, 2, 3, 1).flatten(1) if 'flatten_hwc' in self.flags else ins[0].flatten(1)
            elif kind == 'BatchNorm':
                h = self.batch_norm(L, ins[0])
            elif kind == 'Add':
                terms = ins
                if 'add_once' in self.flags:
                    terms = [env[i] for i in dict.fromkeys(L['inputs'])]
                h = terms[0]
                for t in terms[1:]:
                    h = h + t
            elif kind == 'Concat':
                h = torch.cat(list(reversed(ins)) if 'concat_reversed' in self.flags else ins, dim=1)
            else:
                raise ValueError('no reference for ' + kind)
            assert list(h.shape[1:]) == L['shape'], (name, list(h.shape), L['shape'])
            env[name] = h
            previous = name
        assert z is not None, 'the last layer must be dense or a convolution'
        return z

    def slope(self, a):
        if a['activation'] != 'LEAKY_RELU':
            return 0.0
        return 0.01 if 'leaky_default_slope' in self.flags else a['negativeSlope']

    def conv(self, L, h):
        name, a = L['name'], L['attributes']
        kh, kw = a['kernel']
        sh, sw = a['stride']
        dh, dw = a['dilation']
        g = a['groups']
        w = self.p[name + '.kernel']
        assert list(w.shape) == [a['filters'], h.shape[1] // g, kh, kw], (name, w.shape)
        top, left, bottom, right = a['pad']
        if name in self.same:
            expected = [same_pads(h.shape[2], kh, sh, dh), same_pads(h.shape[3], kw, sw, dw)]
            assert [top, bottom] == expected[0] and [left, right] == expected[1], (name, a['pad'], expected)
            if 'same_extra_top' in self.flags:
                top, bottom, left, right = bottom, top, right, left
        elif 'pad_mirrored' in self.flags:
            top, bottom, left, right = bottom, top, right, left
        if 'conv_flipped' in self.flags:
            w = w.flip(2, 3)
        b = self.p[name + '.bias'] if a['useBias'] else None
        if top == bottom and left == right:
            return F.conv2d(h, w, b, (sh, sw), (top, left), (dh, dw), g)
        return F.conv2d(F.pad(h, (left, right, top, bottom)), w, b, (sh, sw), 0, (dh, dw), g)

    def pool(self, L, h, is_max):
        a = L['attributes']
        k, s = a['size'], a['stride']
        top, left, bottom, right = a['pad']
        if L['name'] in self.same:
            expected = [same_pads(h.shape[2], k[0], s[0], 1), same_pads(h.shape[3], k[1], s[1], 1)]
            assert [top, bottom] == expected[0] and [left, right] == expected[1], (L['name'], a['pad'], expected)
        if 'pool_pad_mirrored' in self.flags:
            top, bottom, left, right = bottom, top, right, left
        if is_max:
            if 'max_zero_pad' in self.flags:
                return F.max_pool2d(F.pad(h, (left, right, top, bottom)), k, s)
            if top == bottom and left == right:
                return F.max_pool2d(h, k, s, (top, left))
            return F.max_pool2d(F.pad(h, (left, right, top, bottom), value=-math.inf), k, s)
        if top == bottom and left == right:
            return F.avg_pool2d(h, k, s, (top, left), count_include_pad='avg_exclude_pad' not in self.flags)
        assert 'avg_exclude_pad' not in self.flags, 'that mistake is only defined for symmetric padding'
        return F.avg_pool2d(F.pad(h, (left, right, top, bottom)), k, s)  # padded zeros count

    def batch_norm(self, L, h):
        name, a = L['name'], L['attributes']
        gamma, beta = self.p[name + '.gamma'], self.p[name + '.beta']
        rm, rv = self.state[name + '.running_mean'], self.state[name + '.running_var']
        momentum, eps = f32(a['momentum']), f32(a['epsilon'])  # Kiln's kernels take them as floats
        if not self.training:
            if 'bn_eval_batch_stats' in self.flags:
                return F.batch_norm(h, None, None, gamma, beta, True, 0.0, eps)
            return F.batch_norm(h, rm, rv, gamma, beta, False, momentum, eps)
        if 'bn_biased_running_var' in self.flags or 'bn_momentum_complement' in self.flags:
            dims = [0] + list(range(2, h.dim()))
            count = h.numel() // h.shape[1]
            var = h.detach().var(dim=dims, unbiased=False)
            if 'bn_biased_running_var' not in self.flags:
                var = var * count / (count - 1)
            mean = h.detach().mean(dim=dims)
            keep = momentum if 'bn_momentum_complement' in self.flags else 1 - momentum
            rm.mul_(keep).add_((1 - keep) * mean)
            rv.mul_(keep).add_((1 - keep) * var)
            return F.batch_norm(h, None, None, gamma, beta, True, 0.0, eps)
        # PyTorch's own: batch mean and biased variance normalize; the unbiased one enters running_var.
        return F.batch_norm(h, rm, rv, gamma, beta, True, momentum, eps)


def run(layers, weights, meta, data, flags):
    net = GraphNet(layers, weights, meta, flags)
    x, labels = data['x'], data['y'][:, 0].long()
    rows, batch, epochs = x.shape[0], int(meta['batch']), int(meta['epochs'])
    assert meta['loss'] == 'SOFTMAX_CROSS_ENTROPY' and layers[-1]['attributes']['activation'] == 'SOFTMAX'
    tensors, scalars = [], {}

    def evaluate(suffix):
        net.training = False
        with torch.no_grad():
            z = net.forward(x)
            tensors.append(('predict' + suffix, torch.softmax(z, dim=1)))
            scalars['eval_loss' + suffix] = repr(F.cross_entropy(z, labels).item())

    evaluate('')

    # Gradient of the mean loss over all rows, training mode; the running statistics are put back.
    saved = {k: v.clone() for k, v in net.state.items()}
    net.training = True
    loss = F.cross_entropy(net.forward(x), labels)
    grads = torch.autograd.grad(loss, [t for _, t in net.trained])
    scalars['grad_loss'] = repr(loss.item())
    for (name, _), g in zip(net.trained, grads):
        tensors.append(('grad.' + name, g))
    for k, v in saved.items():
        net.state[k].copy_(v)

    # train(): Adam, shuffle off, consecutive batches (the last one partial), state recorded after each step.
    opt = make_optimizer([t for _, t in net.trained], meta)
    step_losses = []
    step = 0
    for _ in range(epochs):
        for start in range(0, rows, batch):
            opt.zero_grad()
            loss = F.cross_entropy(net.forward(x[start:start + batch]), labels[start:start + batch])
            if 'partial_batch_over_capacity' in flags:
                loss = loss * min(batch, rows - start) / batch
            loss.backward()
            opt.step()
            step += 1
            step_losses.append(loss.item())
            for name, t in net.all:
                tensors.append(('step%d.%s' % (step, name), t.detach().clone()))
    scalars['step_losses'] = ','.join(repr(v) for v in step_losses)

    evaluate('_after')
    return tensors, scalars


def run_case(directory, case):
    meta, data = read_safetensors('%s/%s.data.safetensors' % (directory, case))
    wmeta, weights = read_safetensors('%s/%s.weights.safetensors' % (directory, case))
    layers = json.loads(meta['layers'])
    check_architecture(wmeta['kiln.architecture'], layers)
    tensors, scalars = run(layers, weights, meta, data, ())
    scalars['torch_version'] = torch.__version__
    for mistake in filter(None, meta.get('mistakes', '').split(',')):
        assert mistake in MISTAKES, mistake
        more, more_scalars = run(layers, weights, meta, data, (mistake,))
        prefix = 'mistake.%s.' % mistake
        tensors += [(prefix + n, t) for n, t in more]
        scalars.update({prefix + k: v for k, v in more_scalars.items()})
    write_safetensors('%s/%s.torch.safetensors' % (directory, case), scalars, tensors)


def main():
    directory = sys.argv[1]
    for case in sys.argv[2:]:
        run_case(directory, case)
        print('done', case)


if __name__ == '__main__':
    main()

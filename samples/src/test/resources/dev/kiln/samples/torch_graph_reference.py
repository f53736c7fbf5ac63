"""PyTorch reference for PyTorchGraphReferenceTest: graph networks (convolution, pooling, BatchNorm, Add,
Concat) and the recurrent family (Embedding, SimpleRNN, LSTM, GRU, Dense on every step, per-step labels).

Usage: python3 torch_graph_reference.py DIR CASE...

For each CASE it reads DIR/CASE.data.safetensors (inputs, labels, and in its metadata the layer list as
JSON: name, type, inputs, per-sample output shape, typed attributes and parameter tensors, written by the
test from `ModelSpec.layers()`) and DIR/CASE.weights.safetensors (Kiln's `model.save`: every parameter,
BatchNorm's running statistics included), rebuilds the network with torch.nn.functional in float64 and
writes DIR/CASE.torch.safetensors:

  predict, eval_loss            evaluation mode (BatchNorm uses its running statistics); per step on a
                                sequence output, over the labelled steps (label -1 ignored)
  eval_accuracy                 correct/labelled, samples or steps (classification)
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

Recurrent layers run as torch.nn.RNN / LSTM / GRU modules whose parameters are the tensors Kiln saved
(Kiln's `<layer>.weight_ih[_reverse]` is the module's `weight_ih_l0[_reverse]`, and so on). Sequences
of token ids end at their first padding id (Embedding.paddingIndex); every recurrent layer reading
the embedding, directly or through layers that keep the steps, gets those lengths through
pack_padded_sequence(enforce_sorted=False), its last state is h_n (both directions), and padded steps
of a sequence output are zeros (pad_packed_sequence). The deliberate recurrent mistakes need cells
PyTorch does not have, so they run on a step loop written here from the cell equations of the
torch.nn documentation; in every correct run that loop must reproduce the modules to 1e-9 first, so a
mistake's difference is the mistake's alone.
"""

import json
import math
import struct
import sys

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

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
    'lstm_gate_order_ifog': "LSTM gates read in the order i, f, o, g instead of PyTorch's i, f, g, o",
    'gru_reset_before_matmul': 'GRU reset gate applied to h before the hidden matmul, b_hn outside (Keras reset_after=False)',
    'gru_bhn_outside_reset': 'GRU hidden bias b_hn added outside the reset product: r * (W_hn h) + b_hn',
    'padding_unmasked': 'padded steps are processed like real ones (no lengths), the last state is that of the last step',
    'reverse_from_padded_end': 'the backward direction starts at the padded end of the sequence, not at its last real step',
    'embedding_padding_trained': "the padding id's embedding row gets a gradient and is trained",
    'steps_mean_per_sample': 'the per-step loss averaged over each sample\'s labelled steps, then over samples',
    'rnn_relu_as_tanh': 'SimpleRNN RELU computed with tanh',
}

# The recurrent cells: gates per unit and the torch.nn module of each.
RECURRENT = {'SimpleRNN': 1, 'LSTM': 4, 'GRU': 3}
# Mistakes that need the step loop (the others run on the torch.nn modules).
LOOP_MISTAKES = {'lstm_gate_order_ifog', 'gru_reset_before_matmul', 'gru_bhn_outside_reset',
                 'reverse_from_padded_end', 'rnn_relu_as_tanh'}


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
        return torch.softmax(z, dim=-1)  # per step on a sequence
    raise ValueError('unknown activation ' + name)


def check_architecture(text, layers):
    """The saved architecture text names the same layers, in the same order, with the same kinds."""
    parts = [p.strip() for p in text.split('->')]
    assert parts[0].startswith('tokens[' if layers[0]['attributes'].get('type') == 'tokens' else 'input['), parts[0]
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
                    t = torch.nn.Parameter(t)  # a leaf; a torch.nn module can hold it as its own parameter
                    self.trained.append((p['name'], t))
                else:
                    self.state[p['name']] = t
                self.all.append((p['name'], t))
        self.p = dict(self.all)
        self.training = False
        # The torch.nn module of each recurrent layer, holding Kiln's tensors as its parameters.
        self.modules = {}
        for layer in layers:
            if layer['type'] in RECURRENT:
                self.modules[layer['name']] = self.module(layer)
            if layer['type'] == 'Embedding' and layer['attributes']['paddingIndex'] >= 0:
                row = self.p[layer['name'] + '.weight'][layer['attributes']['paddingIndex']]
                assert torch.all(row == 0), (layer['name'], 'the padding row does not start at zero', row)

    def forward(self, x):
        """The last layer's pre-activation z (the logits) and its output h."""
        env = {}
        lengths = {}  # real steps per sample of each sequence that ends at an embedding's padding
        z = None
        previous = None
        for L in self.layers:
            kind, name, a = L['type'], L['name'], L['attributes']
            in_names = L['inputs'] or ([previous] if previous else [])
            ins = [env[i] for i in in_names]
            z = None
            if kind == 'Input':
                if a.get('type') == 'tokens':
                    ids = x.round().long()
                    assert torch.all(ids.double() == x), 'token ids must be whole numbers'
                    h = ids.reshape([x.shape[0]] + L['shape'])
                else:
                    h = x.reshape([x.shape[0]] + L['shape'])
            elif kind == 'Embedding':
                h = self.embedding(L, ins[0], lengths)
            elif kind in RECURRENT:
                h = self.recurrent(L, ins[0], lengths.get(in_names[0]))
            elif kind == 'Dropout':
                # Identity: a non-zero rate draws masks PyTorch cannot reproduce.
                assert a['rate'] == 0, (name, 'dropout must have rate 0 in a reference network')
                h = ins[0]
            elif kind == 'Conv2D':
                z = self.conv(L, ins[0])
                h = act(a['activation'], self.slope(a), z)
            elif kind == 'Dense':
                w = self.p[name + '.kernel']  # Kiln's [in, units]: torch's Linear.weight transposed
                # On a sequence [B, T, F] the same weights act on every step.
                assert list(w.shape) == [ins[0].shape[-1], a['units']], (name, w.shape)
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
            # Layers of one input that keep its steps (recurrent layers returning sequences, Dense on
            # every step, Dropout) keep its lengths.
            if (name not in lengths and len(in_names) == 1 and in_names[0] in lengths and h.dim() == 3
                    and ins[0].dim() == 3 and h.shape[1] == ins[0].shape[1]):
                lengths[name] = lengths[in_names[0]]
        assert z is not None, 'the last layer must be dense or a convolution'
        return z, h

    # ------------------------------------------------------------ embedding and recurrent layers

    def embedding(self, L, ids, lengths):
        name, a = L['name'], L['attributes']
        w = self.p[name + '.weight']
        assert list(w.shape) == [a['vocabulary'], a['dim']] and ids.dim() == 2, (name, w.shape, ids.shape)
        assert torch.all((ids >= 0) & (ids < a['vocabulary'])), (name, 'token id outside the vocabulary')
        pad = a['paddingIndex']
        if pad < 0:
            return F.embedding(ids, w)
        if 'padding_unmasked' not in self.flags:
            # Sequences are padded at the end: a sequence ends at its first padding id.
            is_pad = ids == pad
            first = torch.where(is_pad.any(dim=1), is_pad.long().argmax(dim=1), torch.full_like(ids[:, 0], ids.shape[1]))
            assert torch.all(first >= 1), (name, 'a sequence of no real step')
            assert torch.all(is_pad == (torch.arange(ids.shape[1]).unsqueeze(0) >= first.unsqueeze(1))), \
                (name, 'padding must fill the end of each sequence')
            lengths[name] = first
        return F.embedding(ids, w, padding_idx=None if 'embedding_padding_trained' in self.flags else pad)

    def module(self, L):
        name, a, kind = L['name'], L['attributes'], L['type']
        features = self.p[name + '.weight_ih'].shape[1]
        common = dict(input_size=features, hidden_size=a['units'], num_layers=1, bias=True, batch_first=True,
                      bidirectional=a['bidirectional'], dtype=torch.float64)
        if kind == 'LSTM':
            m = torch.nn.LSTM(**common)
        elif kind == 'GRU':
            m = torch.nn.GRU(**common)
        else:
            assert a['activation'] in ('TANH', 'RELU'), a
            m = torch.nn.RNN(nonlinearity=a['activation'].lower(), **common)
        expected = {n for n, _ in m.named_parameters()}
        ours = set()
        for suffix in self.directions(L):
            for w in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'):
                t = self.p[name + '.' + w + suffix]
                torch_name = w + '_l0' + suffix  # Kiln's weight_ih_reverse is torch.nn's weight_ih_l0_reverse
                assert list(getattr(m, torch_name).shape) == list(t.shape), (name, torch_name, t.shape)
                setattr(m, torch_name, t)  # RNNBase.__setattr__ keeps its _flat_weights in step
                ours.add(torch_name)
        assert ours == expected, (name, ours, expected)
        assert all(p is self.p[name + '.' + n.replace('_l0', '')] for n, p in m.named_parameters())
        return m

    @staticmethod
    def directions(L):
        return ['', '_reverse'] if L['attributes']['bidirectional'] else ['']

    def recurrent(self, L, x, lengths):
        """[B, T, F] -> [B, T, dirs*units] (returnSequences) or [B, dirs*units] (the last state)."""
        name, a, kind = L['name'], L['attributes'], L['type']
        assert x.dim() == 3, (name, x.shape)
        if self.flags & LOOP_MISTAKES:
            seq, last = self.loop(L, x, lengths)
        else:
            seq, last = self.run_module(L, x, lengths)
            # The loop the mistakes run on must be torch.nn's cell to rounding first.
            with torch.no_grad():
                seq2, last2 = self.loop(L, x, lengths)
                err = max((seq - seq2).abs().max().item(), (last - last2).abs().max().item())
            assert err < 1e-9, (name, 'the step loop differs from torch.nn by', err)
        return seq if a['returnSequences'] else last

    def run_module(self, L, x, lengths):
        m, kind, T = self.modules[L['name']], L['type'], x.shape[1]
        if lengths is None:
            seq, hidden = m(x)
        else:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, hidden = m(packed)
            seq, _ = pad_packed_sequence(out, batch_first=True, total_length=T)  # zeros on padded steps
        h_n = hidden[0] if kind == 'LSTM' else hidden  # [dirs, B, H], batch in the input's order
        last = torch.cat([h_n[0], h_n[1]], dim=1) if L['attributes']['bidirectional'] else h_n[0]
        return seq, last

    def loop(self, L, x, lengths):
        """The cells step by step from torch.nn's equations, with this run's mistakes."""
        name, a, kind = L['name'], L['attributes'], L['type']
        outs, lasts = [], []
        for suffix in self.directions(L):
            w_ih, w_hh, b_ih, b_hh = (self.p[name + '.' + w + suffix] for w in ('weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'))
            seq, last = self.direction(kind, a.get('activation'), x, w_ih, w_hh, b_ih, b_hh, lengths, suffix != '')
            outs.append(seq)
            lasts.append(last)
        return torch.cat(outs, dim=2), torch.cat(lasts, dim=1)

    def direction(self, kind, activation, x, w_ih, w_hh, b_ih, b_hh, lengths, reverse):
        B, T, _ = x.shape
        H = w_hh.shape[1]
        xp = x @ w_ih.t() + b_ih  # the input projection of every step
        h = x.new_zeros(B, H)
        c = x.new_zeros(B, H)
        outs = [None] * T
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            hp = h @ w_hh.t() + b_hh
            if kind == 'SimpleRNN':
                pre = xp[:, t] + hp
                h2 = torch.relu(pre) if activation == 'RELU' and 'rnn_relu_as_tanh' not in self.flags else torch.tanh(pre)
                c2 = c
            elif kind == 'LSTM':
                i, f, g, o = (xp[:, t] + hp).chunk(4, dim=1)
                if 'lstm_gate_order_ifog' in self.flags:
                    g, o = o, g
                c2 = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h2 = torch.sigmoid(o) * torch.tanh(c2)
            else:
                xr, xz, xn = xp[:, t].chunk(3, dim=1)
                hr, hz, hn = hp.chunk(3, dim=1)
                r = torch.sigmoid(xr + hr)
                zg = torch.sigmoid(xz + hz)
                if 'gru_reset_before_matmul' in self.flags:
                    n = torch.tanh(xn + (r * h) @ w_hh[2 * H:].t() + b_hh[2 * H:])
                elif 'gru_bhn_outside_reset' in self.flags:
                    n = torch.tanh(xn + r * (hn - b_hh[2 * H:]) + b_hh[2 * H:])
                else:
                    n = torch.tanh(xn + r * hn)
                h2 = (1 - zg) * n + zg * h
                c2 = c
            if lengths is None:
                real = torch.ones(B, 1, dtype=torch.bool)
            else:
                real = (t < lengths).unsqueeze(1)
            # Padded steps leave the state alone, unless the backward direction (wrongly) starts at the padded end.
            moves = torch.ones_like(real) if reverse and 'reverse_from_padded_end' in self.flags else real
            h = torch.where(moves, h2, h)
            c = torch.where(moves, c2, c)
            outs[t] = torch.where(real, h2, torch.zeros_like(h2))
        return torch.stack(outs, dim=1), h

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


def predictions(z, h, loss):
    """What Kiln's predict returns per sample, flattened: probabilities (per step on a sequence), or the output."""
    if loss == 'SOFTMAX_CROSS_ENTROPY':
        return torch.softmax(z, dim=-1).flatten(1)
    assert loss == 'MEAN_SQUARED_ERROR', loss
    return h.flatten(1)


def mean_loss(z, h, y, loss, flags):
    """The mean loss of a batch: per sample, or over the labelled steps of a sequence output (label -1 ignored)."""
    if loss == 'MEAN_SQUARED_ERROR':
        return F.mse_loss(h, y)  # mean over samples and outputs
    assert loss == 'SOFTMAX_CROSS_ENTROPY'
    if z.dim() == 2:
        assert y.shape[1] == 1
        return F.cross_entropy(z, y[:, 0])
    classes = z.shape[2]
    assert y.shape == z.shape[:2], (y.shape, z.shape)
    if 'steps_mean_per_sample' in flags:
        per_step = F.cross_entropy(z.reshape(-1, classes), y.reshape(-1), ignore_index=-1, reduction='none')
        labelled = (y != -1).double()
        return ((per_step.reshape(y.shape) * labelled).sum(dim=1) / labelled.sum(dim=1)).mean()
    return F.cross_entropy(z.reshape(-1, classes), y.reshape(-1), ignore_index=-1)


def run(layers, weights, meta, data, flags):
    net = GraphNet(layers, weights, meta, set(flags))
    loss_kind = meta['loss']
    x = data['x']
    # Labels (one per sample or per step, -1 for none) or regression targets.
    y = data['y'].long() if loss_kind == 'SOFTMAX_CROSS_ENTROPY' else data['y']
    rows, batch, epochs = x.shape[0], int(meta['batch']), int(meta['epochs'])
    assert loss_kind == 'MEAN_SQUARED_ERROR' or layers[-1]['attributes']['activation'] == 'SOFTMAX'
    tensors, scalars = [], {}

    def evaluate(suffix):
        net.training = False
        with torch.no_grad():
            z, h = net.forward(x)
            tensors.append(('predict' + suffix, predictions(z, h, loss_kind)))
            scalars['eval_loss' + suffix] = repr(mean_loss(z, h, y, loss_kind, flags).item())
            if loss_kind == 'SOFTMAX_CROSS_ENTROPY':
                # Accuracy over the labelled samples or steps: the arg max of the logits is the label.
                labels = y.reshape(z.shape[:-1])
                labelled = labels != -1
                correct = (z.argmax(dim=-1) == labels) & labelled
                scalars['eval_accuracy' + suffix] = '%d/%d' % (correct.sum().item(), labelled.sum().item())

    evaluate('')

    # Gradient of the mean loss over all rows, training mode; the running statistics are put back.
    saved = {k: v.clone() for k, v in net.state.items()}
    net.training = True
    loss = mean_loss(*net.forward(x), y, loss_kind, flags)
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
            loss = mean_loss(*net.forward(x[start:start + batch]), y[start:start + batch], loss_kind, flags)
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

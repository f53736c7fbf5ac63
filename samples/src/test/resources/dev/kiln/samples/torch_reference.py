"""PyTorch reference for PyTorchReferenceTest.

Usage: python3 torch_reference.py DIR CASE...

Independent of Kiln's code: safetensors files are parsed and written with struct + json, networks are
rebuilt from the `kiln.architecture` string saved with the weights, and everything is computed in
float64 with torch.nn / torch.nn.functional / torch.optim.

For each CASE it reads DIR/CASE.data.safetensors (inputs and settings written by the test; metadata
`kind` is `model` or `optimizer`) and, for models, DIR/CASE.weights.safetensors (written by Kiln's
`model.save`), and writes DIR/CASE.torch.safetensors (F32 tensors, scalars in the metadata).
"""

import json
import re
import struct
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)

DTYPES = {'F32': ('f', 4), 'F64': ('d', 8)}


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack_from('<Q', raw, 0)
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    meta = header.pop('__metadata__', {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        code, size = DTYPES[info['dtype']]
        begin, end = info['data_offsets']
        count = 1
        for d in info['shape']:
            count *= d
        assert end - begin == size * count, name
        values = struct.unpack_from('<%d%s' % (count, code), raw, base + begin)
        tensors[name] = torch.tensor(values, dtype=torch.float64).reshape(info['shape'])
    return meta, tensors


def write_safetensors(path, meta, tensors):
    header = {'__metadata__': {k: str(v) for k, v in meta.items()}}
    blobs = []
    offset = 0
    for name, t in tensors:
        values = t.detach().reshape(-1).tolist()
        blob = struct.pack('<%df' % len(values), *values)
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def parse_architecture(text):
    """'input[64] -> hidden=Dense(64,RELU) -> drop=Dropout -> output=Dense(10,SOFTMAX)'."""
    parts = [p.strip() for p in text.split('->')]
    m = re.fullmatch(r'input\[(\d+)\]', parts[0])
    if not m:
        raise ValueError('bad architecture start: ' + parts[0])
    inputs = int(m.group(1))
    layers = []
    for part in parts[1:]:
        name, spec = part.split('=', 1)
        if spec == 'Dropout':
            layers.append({'kind': 'dropout', 'name': name})
            continue
        m = re.fullmatch(r'Dense\((\d+),([A-Z_]+)(?:\(([0-9.eE+-]+)\))?(,nobias)?\)', spec)
        if not m:
            raise ValueError('bad layer: ' + part)
        layer = {'kind': 'dense', 'name': name, 'units': int(m.group(1)), 'activation': m.group(2),
                 'bias': m.group(4) is None}
        if m.group(3) is not None:
            layer['slope'] = float(m.group(3))  # LEAKY_RELU(slope)
        layers.append(layer)
    return inputs, layers


class Net(torch.nn.Module):
    """The network of an architecture string; forward returns (last pre-activation z, last activation(z))."""

    def __init__(self, architecture, weights, meta):
        super().__init__()
        inputs, layers = parse_architecture(architecture)
        self.specs = []
        self.mods = torch.nn.ModuleList()
        width = inputs
        for layer in layers:
            if layer['kind'] == 'dropout':
                # Only ever run in eval mode here (identity); the rate does not matter.
                self.mods.append(torch.nn.Dropout(0.5))
                self.specs.append(layer)
                continue
            lin = torch.nn.Linear(width, layer['units'], bias=layer['bias'])
            with torch.no_grad():
                kernel = weights[layer['name'] + '.kernel']
                assert list(kernel.shape) == [width, layer['units']], (layer, kernel.shape)
                lin.weight.copy_(kernel.t())  # Kiln kernel [in, out] = torch weight [out, in] transposed
                if layer['bias']:
                    lin.bias.copy_(weights[layer['name'] + '.bias'])
                else:
                    assert layer['name'] + '.bias' not in weights
            if layer['activation'] == 'LEAKY_RELU':
                # The architecture string carries the slope; the test also states it, and both must agree.
                stated = float(meta['slope.' + layer['name']])
                assert abs(layer['slope'] - stated) < 1e-7, (layer, stated)
            self.mods.append(lin)
            self.specs.append(layer)
            width = layer['units']
        self.last = self.specs[-1]
        assert self.last['kind'] == 'dense'

    @staticmethod
    def act(spec, z):
        a = spec['activation']
        if a == 'LINEAR':
            return z
        if a == 'RELU':
            return F.relu(z)
        if a == 'LEAKY_RELU':
            return F.leaky_relu(z, spec['slope'])
        if a == 'SIGMOID':
            return torch.sigmoid(z)
        if a == 'TANH':
            return torch.tanh(z)
        if a == 'GELU':
            return F.gelu(z)  # exact erf form
        if a == 'SOFTMAX':
            return torch.softmax(z, dim=1)
        raise ValueError('unknown activation ' + a)

    def forward(self, x):
        h = x
        z = None
        for spec, mod in zip(self.specs, self.mods):
            if spec['kind'] == 'dropout':
                h = mod(h)
                continue
            z = mod(h)
            h = self.act(spec, z)
        return z, h

    def named_kiln_params(self):
        """(Kiln tensor name, torch parameter, is kernel) in Kiln's arena order."""
        out = []
        for spec, mod in zip(self.specs, self.mods):
            if spec['kind'] == 'dense':
                out.append((spec['name'] + '.kernel', mod.weight, True))
                if spec['bias']:
                    out.append((spec['name'] + '.bias', mod.bias, False))
        return out


def outputs(net, loss, x):
    """What Kiln's predict returns: probabilities for classification, the last activation for MSE."""
    z, h = net(x)
    if loss == 'SOFTMAX_CROSS_ENTROPY':
        return torch.softmax(z, dim=1)
    if loss == 'BINARY_CROSS_ENTROPY':
        return torch.sigmoid(z)
    return h


def mean_loss(net, loss, x, y):
    z, h = net(x)
    if loss == 'SOFTMAX_CROSS_ENTROPY':
        # A SOFTMAX head or LINEAR logits: either way z are the logits.
        assert net.last['activation'] in ('SOFTMAX', 'LINEAR')
        return F.cross_entropy(z, y[:, 0].long())
    if loss == 'BINARY_CROSS_ENTROPY':
        assert net.last['activation'] in ('SIGMOID', 'LINEAR') and z.shape[1] == 1
        return F.binary_cross_entropy_with_logits(z, y)
    if loss == 'MEAN_SQUARED_ERROR':
        return F.mse_loss(h, y)
    raise ValueError('unknown loss ' + loss)


def make_optimizer(params, meta):
    kind = meta['optimizer']
    lr = float(meta['lr'])
    wd = float(meta['weight_decay'])
    if kind == 'SGD':
        return torch.optim.SGD(params, lr=lr, momentum=float(meta['momentum']),
                               nesterov=meta['nesterov'] == 'true', weight_decay=wd)
    betas = (float(meta['beta1']), float(meta['beta2']))
    eps = float(meta['epsilon'])
    if kind == 'ADAM':
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, weight_decay=wd)
    if kind == 'ADAMW':
        return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps, weight_decay=wd)
    raise ValueError('unknown optimizer ' + kind)


def char_language_model(w, cell, units):
    """nn.Embedding -> nn.LSTM/GRU/RNN(batch_first) -> nn.Linear with the weights of Kiln's save() of a
    network emb -> rnn -> out (cell one of LSTM, GRU, RNN_TANH): (emb, rnn, out)."""
    import torch.nn as nn
    vocabulary, dim = w['emb.weight'].shape
    emb = nn.Embedding(vocabulary, dim)
    rnn = {'LSTM': lambda: nn.LSTM(dim, units, batch_first=True),
           'GRU': lambda: nn.GRU(dim, units, batch_first=True),
           'RNN_TANH': lambda: nn.RNN(dim, units, nonlinearity='tanh', batch_first=True)}[cell]()
    out = nn.Linear(units, vocabulary)
    with torch.no_grad():
        emb.weight.copy_(w['emb.weight'])
        rnn.weight_ih_l0.copy_(w['rnn.weight_ih'])
        rnn.weight_hh_l0.copy_(w['rnn.weight_hh'])
        rnn.bias_ih_l0.copy_(w['rnn.bias_ih'])
        rnn.bias_hh_l0.copy_(w['rnn.bias_hh'])
        out.weight.copy_(w['out.kernel'].t())  # Kiln's dense kernel is [in, out]
        out.bias.copy_(w['out.bias'])
    return emb, rnn, out


def kiln_layout(t, is_kernel):
    return t.t() if is_kernel else t


def run_model(directory, case):
    meta, data = read_safetensors('%s/%s.data.safetensors' % (directory, case))
    wmeta, weights = read_safetensors('%s/%s.weights.safetensors' % (directory, case))
    net = Net(wmeta['kiln.architecture'], weights, meta)
    has_dropout = any(s['kind'] == 'dropout' for s in net.specs)
    loss = meta['loss']
    x, y = data['x'], data['y']
    result_meta = {'torch_version': torch.__version__}
    result = []

    net.eval()
    with torch.no_grad():
        result.append(('predict', outputs(net, loss, x)))
        result_meta['eval_loss'] = repr(mean_loss(net, loss, x, y).item())

    if has_dropout:
        write_safetensors('%s/%s.torch.safetensors' % (directory, case), result_meta, result)
        return

    net.train()
    net.zero_grad()
    l = mean_loss(net, loss, x, y)
    l.backward()
    result_meta['grad_loss'] = repr(l.item())
    for name, p, is_kernel in net.named_kiln_params():
        result.append(('grad.' + name, kiln_layout(p.grad.detach().clone(), is_kernel)))

    # Training: one optimizer step per batch, batches taken from the epoch orders the test sent.
    order = data['order'].long()
    batch = int(meta['batch'])
    rows = x.shape[0]
    opt = make_optimizer([p for _, p, _ in net.named_kiln_params()], meta)
    epoch_losses = []
    for epoch in range(order.shape[0]):
        total = 0.0
        for start in range(0, rows, batch):
            idx = order[epoch, start:start + batch]
            opt.zero_grad()
            l = mean_loss(net, loss, x[idx], y[idx])
            l.backward()
            opt.step()
            total += l.item() * idx.shape[0]
        epoch_losses.append(total / rows)
    result_meta['epoch_losses'] = ','.join(repr(v) for v in epoch_losses)
    for name, p, is_kernel in net.named_kiln_params():
        result.append(('trained.' + name, kiln_layout(p.detach().clone(), is_kernel)))
    write_safetensors('%s/%s.torch.safetensors' % (directory, case), result_meta, result)


def run_optimizer(directory, case):
    meta, data = read_safetensors('%s/%s.data.safetensors' % (directory, case))
    p = torch.nn.Parameter(data['p0'].clone())
    grads = data['grads']
    opt = make_optimizer([p], meta)
    trajectory = []
    for k in range(grads.shape[0]):
        p.grad = grads[k].clone()
        opt.step()
        trajectory.append(p.detach().clone())
    write_safetensors('%s/%s.torch.safetensors' % (directory, case), {'torch_version': torch.__version__},
                      [('trajectory', torch.stack(trajectory))])


def main():
    directory = sys.argv[1]
    for case in sys.argv[2:]:
        with open('%s/%s.data.safetensors' % (directory, case), 'rb') as f:
            (n,) = struct.unpack('<Q', f.read(8))
            kind = json.loads(f.read(n).decode('utf-8'))['__metadata__']['kind']
        if kind == 'model':
            run_model(directory, case)
        elif kind == 'optimizer':
            run_optimizer(directory, case)
        else:
            raise ValueError('unknown case kind ' + kind)
        print('done', case)


if __name__ == '__main__':
    main()

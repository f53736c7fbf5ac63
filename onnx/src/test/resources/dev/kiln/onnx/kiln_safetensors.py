"""Reads a Kiln weights file (safetensors) with the Python standard library only, and can run the
network it describes. Written from the format description, independently of Kiln's Java writer.

    python3 kiln_safetensors.py WEIGHTS [--head softmax|sigmoid|none] [--inputs ROWS.txt]

Prints, one item per line:
    meta KEY JSON_VALUE                       each __metadata__ entry, in file order
    sha256 HEX                                SHA-256 of the kiln.architecture string, computed here
    tensor NAME DTYPE D1,D2,... COUNT SUM     each tensor in file order (SUM: exact sum, math.fsum)
    values NAME V1 V2 ...                     all values of that tensor (repr of the float32 value)
    output ROW V1 V2 ...                      with --inputs: the network's output for each input row

The forward pass follows the layout the README documents: a Dense layer's NAME.kernel is [in, out]
row-major and NAME.bias is [out], y = act(x @ kernel + bias); Dropout is the identity at inference;
--head replaces the last layer's activation by what predict() returns for classification losses.
"""

import array
import hashlib
import json
import math
import re
import struct
import sys


def read(path):
    with open(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError('%s: %d bytes, too short for a header length' % (path, len(raw)))
    (n,) = struct.unpack('<Q', raw[:8])
    if 8 + n > len(raw):
        raise ValueError('%s: header of %d bytes runs past the end of the file' % (path, n))
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    data = raw[8 + n:]
    metadata = header.pop('__metadata__', {})
    tensors = []
    end = 0
    for name, info in header.items():
        dtype, shape, (begin, stop) = info['dtype'], info['shape'], info['data_offsets']
        if dtype != 'F32':
            raise ValueError('%s: tensor %s has dtype %s; Kiln writes F32' % (path, name, dtype))
        count = 1
        for d in shape:
            count *= d
        if begin != end or stop - begin != 4 * count:
            raise ValueError('%s: tensor %s has byte range [%d, %d), expected [%d, %d)'
                             % (path, name, begin, stop, end, end + 4 * count))
        values = array.array('f')
        values.frombytes(data[begin:stop])
        if sys.byteorder != 'little':
            values.byteswap()
        tensors.append((name, dtype, shape, values))
        end = stop
    if end != len(data):
        raise ValueError('%s: %d data bytes, tensors cover %d' % (path, len(data), end))
    return metadata, tensors


def parse_architecture(text):
    """'input[64] -> hidden=Dense(64,RELU) -> drop=Dropout -> out=Dense(10,SOFTMAX,nobias)'"""
    parts = text.split(' -> ')
    inputs = int(re.fullmatch(r'input\[(\d+)\]', parts[0]).group(1))
    layers = []
    for part in parts[1:]:
        name, kind = part.split('=', 1)
        if kind == 'Dropout':
            layers.append((name, 'Dropout', None, None, None))
            continue
        m = re.fullmatch(r'Dense\((\d+),([A-Z_]+)(?:\(([^)]*)\))?(,nobias)?\)', kind)
        if not m:
            raise ValueError('unknown layer %r' % part)
        slope = float(m.group(3)) if m.group(3) else None
        layers.append((name, 'Dense', int(m.group(1)), m.group(2), slope))
    return inputs, layers


def activate(name, slope, row):
    if name == 'LINEAR':
        return row
    if name == 'RELU':
        return [z if z > 0 else 0.0 for z in row]
    if name == 'LEAKY_RELU':
        return [z if z > 0 else slope * z for z in row]
    if name == 'SIGMOID':
        return [1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z)) for z in row]
    if name == 'TANH':
        return [math.tanh(z) for z in row]
    if name == 'GELU':
        return [0.5 * z * (1.0 + math.erf(z / math.sqrt(2.0))) for z in row]
    if name == 'SOFTMAX':
        top = max(row)
        e = [math.exp(z - top) for z in row]
        s = math.fsum(e)
        return [v / s for v in e]
    raise ValueError('unknown activation ' + name)


def forward(architecture, tensors, head, x):
    byname = {name: (shape, values) for name, _, shape, values in tensors}
    _, layers = parse_architecture(architecture)
    dense = [l for l in layers if l[1] == 'Dense']
    for name, kind, units, act, slope in layers:
        if kind == 'Dropout':
            continue
        (n_in, n_out), w = byname[name + '.kernel']
        assert n_out == units and len(x) == n_in, (name, n_in, n_out, len(x))
        b = byname[name + '.bias'][1] if name + '.bias' in byname else [0.0] * n_out
        z = [math.fsum([x[i] * w[i * n_out + j] for i in range(n_in)]) + b[j] for j in range(n_out)]
        if name == dense[-1][0] and head != 'none':
            act = head.upper()
        x = activate(act, slope, z)
    return x


def main(argv):
    path = argv[1]
    head = 'none'
    inputs = None
    i = 2
    while i < len(argv):
        if argv[i] == '--head':
            head = argv[i + 1]
        elif argv[i] == '--inputs':
            inputs = argv[i + 1]
        else:
            raise SystemExit('unknown argument ' + argv[i])
        i += 2
    metadata, tensors = read(path)
    for key, value in metadata.items():
        print('meta', key, json.dumps(value))
    architecture = metadata.get('kiln.architecture')
    if architecture is not None:
        print('sha256', hashlib.sha256(architecture.encode('utf-8')).hexdigest())
    for name, dtype, shape, values in tensors:
        print('tensor', name, dtype, ','.join(str(d) for d in shape), len(values), repr(math.fsum(values)))
        print('values', name, ' '.join(repr(v) for v in values))
    if inputs is not None:
        with open(inputs) as f:
            for r, line in enumerate(f):
                # Round to float32, as Kiln holds its inputs.
                x = [struct.unpack('<f', struct.pack('<f', float(t)))[0] for t in line.split()]
                y = forward(architecture, tensors, head, x)
                print('output', r, ' '.join(repr(v) for v in y))


if __name__ == '__main__':
    main(sys.argv)

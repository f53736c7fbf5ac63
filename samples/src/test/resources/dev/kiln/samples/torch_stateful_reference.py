"""PyTorch reference for stateful recurrent language models (StatefulRecurrentReferenceTest).

Usage: torch_stateful_reference.py <dir> <cell> <units>, cell one of LSTM, GRU, RNN_TANH. Reads
<dir>/init.safetensors (Kiln's save(): emb.weight, rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh,
out.kernel [units, vocabulary], out.bias) and <dir>/data.safetensors (x1, y1, x2, y2: token ids and next-token
labels, [B, T] as floats), builds nn.Embedding -> nn.LSTM/GRU/RNN(batch_first) -> nn.Linear in float64 and runs two
consecutive batches the way truncated back-propagation through time is written in PyTorch: the final state of batch 1,
detached, is the initial state of batch 2; each batch does zero_grad, cross-entropy over every step, backward and one
SGD step (lr from the command line). Writes <dir>/reference.safetensors: probabilities, loss and every gradient of
each batch at the initial weights (p1, loss1, g1.<name>, and p2, loss2, g2.<name> from batch 1's detached state),
the carried state after batch 1 (h1, and c1 for the LSTM), and the weights after the two SGD steps (w.<name>).
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import char_language_model, read_safetensors, write_safetensors  # noqa: E402 (float64, one thread)

directory, cell, units, lr = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
_, w = read_safetensors(os.path.join(directory, 'init.safetensors'))
_, d = read_safetensors(os.path.join(directory, 'data.safetensors'))
vocabulary = w['emb.weight'].shape[0]

emb, rnn, out = char_language_model(w, cell, units)
params = {'emb.weight': emb.weight, 'rnn.weight_ih': rnn.weight_ih_l0, 'rnn.weight_hh': rnn.weight_hh_l0,
          'rnn.bias_ih': rnn.bias_ih_l0, 'rnn.bias_hh': rnn.bias_hh_l0, 'out.kernel': out.weight,
          'out.bias': out.bias}
optimizer = torch.optim.SGD(list(emb.parameters()) + list(rnn.parameters()) + list(out.parameters()), lr=lr)



def two_batches(step, results):
    """Batch 1 from zeros, batch 2 from batch 1's final state, detached; with step, an SGD step after each."""
    state = None  # zeros, as Kiln's first batch after a reset
    for k in (1, 2):
        x = d['x%d' % k].long()
        y = d['y%d' % k].long()
        optimizer.zero_grad()
        seq, final = rnn(emb(x), state)
        logits = out(seq)
        loss = F.cross_entropy(logits.reshape(-1, vocabulary), y.reshape(-1))
        loss.backward()
        # Truncated back-propagation through time: the next batch starts from this one's final state, detached.
        state = tuple(s.detach() for s in final) if cell == 'LSTM' else final.detach()
        if step:
            optimizer.step()
            continue
        results.append(('p%d' % k, F.softmax(logits, dim=-1).detach()))
        results.append(('loss%d' % k, loss.detach().reshape(1)))
        for name, p in params.items():
            g = (p.grad.t() if name == 'out.kernel' else p.grad).clone()  # zero_grad may zero it in place
            results.append(('g%d.%s' % (k, name), g))
        if k == 1:
            results.append(('h1', (state[0] if cell == 'LSTM' else state)[0]))
            if cell == 'LSTM':
                results.append(('c1', state[1][0]))


results = []
two_batches(False, results)  # at the initial weights: what each batch computes
two_batches(True, results)   # training: two SGD steps
for name, p in params.items():
    results.append(('w.' + name, (p.t() if name == 'out.kernel' else p).detach().clone()))
write_safetensors(os.path.join(directory, 'reference.safetensors'), {'cell': cell}, results)

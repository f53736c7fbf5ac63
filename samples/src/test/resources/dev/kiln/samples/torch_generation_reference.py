"""PyTorch reference for carried-state generation (SequenceGeneratorTest).

Usage: torch_generation_reference.py <dir> <cell> <units>, cell one of LSTM, GRU, RNN_TANH. Reads
<dir>/init.safetensors (Kiln's save(): emb.weight, rnn.weight_ih, rnn.weight_hh, rnn.bias_ih, rnn.bias_hh,
out.kernel [units, vocabulary], out.bias) and <dir>/data.safetensors (x: token ids as floats, [N]), builds
nn.Embedding -> nn.LSTM/GRU/RNN(batch_first) -> nn.Linear in float64 and feeds the ids one at a time, carrying the
state ((h, c) for the LSTM) from each call to the next, as char-rnn generation is written in PyTorch. Writes
<dir>/reference.safetensors: p [N, vocabulary], the softmax after each token.
"""

import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_reference import char_language_model, read_safetensors, write_safetensors  # noqa: E402 (float64, one thread)

directory, cell, units = sys.argv[1], sys.argv[2], int(sys.argv[3])
_, w = read_safetensors(os.path.join(directory, 'init.safetensors'))
_, d = read_safetensors(os.path.join(directory, 'data.safetensors'))

emb, rnn, out = char_language_model(w, cell, units)

probabilities = []
state = None  # zeros
with torch.no_grad():
    for token in d['x'].long():
        seq, state = rnn(emb(token.reshape(1, 1)), state)
        probabilities.append(F.softmax(out(seq[0, 0]), dim=-1))
write_safetensors(os.path.join(directory, 'reference.safetensors'), {'cell': cell},
                  [('p', torch.stack(probabilities))])

"""Can a Llama the size of the demo's learn in-context associative recall at all, in the demo's step
budget? The stage-2 bottleneck with everything else stripped away: no images, no language.

Each sequence lists 1-5 (value, key) pairs — like "red star;" in a scene's object list — from 6 key
and 8 value tokens, then asks `--queries` times "Q key A" and is trained (next-token loss on every
token, AdamW with --weight-decay, clip 1.0, no schedule) to answer with that key's value. Every --eval-every steps it
prints the accuracy of the last answer on 400 fresh sequences, by the number of pairs. With one pair
the answer is the only value in context (copying); with k pairs, naming a random listed value
scores (1 + (k-1)/8)/k: 56%, 42%, 34%, 30% for 2-5.

    python Tools/analysis/recall_probe.py [--steps 2000] [--batch 32] [--lr 1e-3] [--layers 4] ...

Needs the fixture venv (Tools/fixtures/requirements.txt).
"""
import argparse, random
import torch, torch.nn.functional as F
from transformers import LlamaConfig, LlamaForCausalLM

torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument('--steps', type=int, default=2000)
p.add_argument('--batch', type=int, default=32)
p.add_argument('--lr', type=float, default=1e-3)
p.add_argument('--layers', type=int, default=4)
p.add_argument('--hidden', type=int, default=128)
p.add_argument('--heads', type=int, default=4)
p.add_argument('--kv', type=int, default=2)
p.add_argument('--pairs', type=int, default=5)
p.add_argument('--queries', type=int, default=1)
p.add_argument('--eval-every', type=int, default=500)
p.add_argument('--weight-decay', type=float, default=0.0)
p.add_argument('--seed', type=int, default=0)
a = p.parse_args()
torch.manual_seed(a.seed); random.seed(a.seed)
KEYS, VALUES = list(range(300, 306)), list(range(400, 408))
SEP, Q, A, V = 50, 60, 61, 702


def sample():
    k = random.randint(1, min(a.pairs, len(KEYS)))
    keys = random.sample(KEYS, k)
    vals = [random.choice(VALUES) for _ in keys]
    seq = [1]
    for key, val in zip(keys, vals):
        seq += [val, key, SEP]
    for _ in range(a.queries):
        i = random.randrange(k)
        seq += [Q, keys[i], A, vals[i]]
    return seq, k


model = LlamaForCausalLM(LlamaConfig(
    vocab_size=V, hidden_size=a.hidden, intermediate_size=int(a.hidden * 2.6875), num_hidden_layers=a.layers,
    num_attention_heads=a.heads, num_key_value_heads=a.kv, head_dim=a.hidden // a.heads, max_position_embeddings=384,
    rms_norm_eps=1e-5, tie_word_embeddings=False))
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
for step in range(1, a.steps + 1):
    batch = [sample()[0] for _ in range(a.batch)]
    L = max(map(len, batch))
    ids = torch.zeros(a.batch, L, dtype=torch.long)
    labels = torch.full((a.batch, L), -100)
    for b, s in enumerate(batch):
        ids[b, :len(s)] = torch.tensor(s); labels[b, :len(s)] = torch.tensor(s)
    logits = model(input_ids=ids).logits[:, :-1]
    loss = F.cross_entropy(logits.reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
    if step % a.eval_every == 0:
        acc = {}
        with torch.no_grad():
            for _ in range(400):
                s, k = sample()
                pred = model(input_ids=torch.tensor([s[:-1]])).logits[0, -1].argmax().item()
                acc.setdefault(k, []).append(pred == s[-1])
        print(f'step {step} loss {loss.item():.3f}: ' + ', '.join(
            f'{k} pair{"s" if k > 1 else ""} {100 * sum(v) / len(v):.0f}%' for k, v in sorted(acc.items())), flush=True)

"""Can the demo's small Llama answer a question from a scene given as *text*? A diagnostic for the
stage-2 bottleneck that needs no image at all.

Trains a fresh Llama with the demo's shape (or --layers/--hidden/--heads/--kv) in PyTorch on a
`llava demo` run's lm_corpus.txt (or --corpus FILE, one training text per line) with the demo's
LM recipe (AdamW, 3% warmup, cosine, clip 1.0), and every --eval-every steps reports:
  - generated answers to the run's held-out test questions (colour, shape, count, existence) after
    "Scene: <object list>. Human: <question> Assistant:", parsed like `llava demo` does;
  - with --teacher-forced: for every test-scene object whose shape is unique in its scene, the
    accuracy of "red" given "Scene: <list>. Human: What color is the star? Assistant: The star is",
    by the number of objects in the scene (how retrieval degrades with distractors).
--answer-only trains on the grounded dialogues alone, with loss only on the Assistant answers (as
stage 2 trains; measured on the seed-1 default run, 1,000 steps: teacher-forced colour with 2/3/4/5
objects 73/71/54/20%, against 73/71/57/20% with loss on every token, so unlike recall_probe.py's fused
layout, text recall does not speed up with it). Or, with --checkpoint DIR, evaluates an existing
LLaVA/Llama checkpoint (e.g. RUN/lm) without training.

    python Tools/analysis/lm_text_binding.py --run DEMO_OUTPUT_DIR [--steps 1000] [--batch 32]

Needs the fixture venv (Tools/fixtures/requirements.txt).
"""
import argparse, json, math, random, re, time
import torch, torch.nn.functional as F
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, LlavaForConditionalGeneration

torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument('--run', required=True)
p.add_argument('--corpus', default='')
p.add_argument('--checkpoint', default='')
p.add_argument('--steps', type=int, default=1000)
p.add_argument('--batch', type=int, default=32)
p.add_argument('--lr', type=float, default=3e-3)
p.add_argument('--layers', type=int, default=4)
p.add_argument('--hidden', type=int, default=128)
p.add_argument('--heads', type=int, default=4)
p.add_argument('--kv', type=int, default=2)
p.add_argument('--mlp', type=int, default=344)
p.add_argument('--eval-every', type=int, default=500)
p.add_argument('--teacher-forced', action='store_true')
p.add_argument('--answer-only', action='store_true', help='train on the grounded dialogues only, with loss on the Assistant answers')
p.add_argument('--seed', type=int, default=0)
a = p.parse_args()
torch.manual_seed(a.seed); random.seed(a.seed)
R = a.run
tok = Tokenizer.from_file(f'{R}/tokenizer/tokenizer.json')
scenes = {s['image']: s for s in json.load(open(f'{R}/data/scenes.json'))}
tests = [json.loads(l) for l in open(f'{R}/data/eval.jsonl')]
tests = [r for r in tests if r['split'] == 'test' and r['kind'] in ('colour', 'shape', 'count', 'existence')]

COL = 'red green blue yellow purple orange white black'.split()
SH = 'circle square triangle diamond cross star'.split()
NUM = 'zero one two three four five six seven eight nine ten'.split()


def parse(text, form):
    w = re.findall(r"[a-z0-9']+", text.lower())
    if form == 'color':
        return next((x for x in w if x in COL), None)
    if form == 'shape':
        for x in w:
            s = 'cross' if x in ('cross', 'crosses') else (x[:-1] if x.endswith('s') else x)
            if s in SH:
                return s
        return None
    if form == 'number':
        for x in w:
            if x.isdigit():
                return str(int(x))
            if x in NUM:
                return str(NUM.index(x))
        return '0' if 'no' in w else None
    if form == 'yes_no':
        return w[0] if w and w[0] in ('yes', 'no') else None


if a.checkpoint:
    cfg = json.load(open(f'{a.checkpoint}/config.json'))
    if cfg.get('model_type') == 'llava':
        full = LlavaForConditionalGeneration.from_pretrained(a.checkpoint, torch_dtype=torch.float32)
        model = LlamaForCausalLM(full.config.text_config)
        model.model = full.model.language_model; model.lm_head = full.lm_head
    else:
        model = AutoModelForCausalLM.from_pretrained(a.checkpoint, torch_dtype=torch.float32)
else:
    model = LlamaForCausalLM(LlamaConfig(
        vocab_size=tok.get_vocab_size(), hidden_size=a.hidden, intermediate_size=a.mlp, num_hidden_layers=a.layers,
        num_attention_heads=a.heads, num_key_value_heads=a.kv, head_dim=a.hidden // a.heads,
        max_position_embeddings=384, rms_norm_eps=1e-5, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False))


@torch.no_grad()
def evaluate():
    model.eval()
    res = {}
    for r in tests:
        prompt = f"Scene: {scenes[r['image']]['captions']['list']}. Human: {r['question']} Assistant:"
        x = torch.tensor([[1] + tok.encode(prompt, add_special_tokens=False).ids])
        out, past = [], None
        for _ in range(16):
            o = model(input_ids=x, past_key_values=past, use_cache=True)
            past = o.past_key_values
            nxt = o.logits[0, -1].argmax().item()
            if nxt == 2:
                break
            out.append(nxt); x = torch.tensor([[nxt]])
        text = tok.decode(out).split('Human:')[0]
        res.setdefault(r['kind'], []).append(parse(text, r['form']) == r['expected'])
    if a.teacher_forced:
        for sc in scenes.values():
            if sc['split'] != 'test':
                continue
            shapes = [o['shape'] for o in sc['objects']]
            for o in sc['objects']:
                if shapes.count(o['shape']) > 1:
                    continue
                line = (f"Scene: {sc['captions']['list']}. Human: What color is the {o['shape']}? "
                        f"Assistant: The {o['shape']} is {o['color']}")
                ids = [1] + tok.encode(line, add_special_tokens=False).ids
                pred = model(input_ids=torch.tensor([ids[:-1]])).logits[0, -1].argmax().item()
                res.setdefault(f'teacher-forced colour, {len(shapes)} objects', []).append(pred == ids[-1])
    model.train()
    return ', '.join(f'{k} {100 * sum(v) / len(v):.0f}% ({len(v)})' for k, v in sorted(res.items()))


if a.checkpoint:
    print(evaluate())
    raise SystemExit
lines = [l for l in open(a.corpus or f'{R}/data/lm_corpus.txt').read().split('\n') if l]
data = [[1] + tok.encode(l, add_special_tokens=False).ids[:382] + [2] for l in lines]
ASSISTANT, HUMAN = tok.token_to_id('▁Assistant:'), tok.token_to_id('▁Human:')


def targets(s):
    """The tokens that carry loss: all, or (--answer-only) those after each 'Assistant:' up to the next 'Human:'."""
    if not a.answer_only:
        return s
    out, inside = [], False
    for t in s:
        out.append(t if inside and t != HUMAN else -100)
        inside = (inside or t == ASSISTANT) and t != HUMAN
    return out


if a.answer_only:
    assert ASSISTANT is not None and HUMAN is not None, 'the tokenizer has no single "▁Assistant:" / "▁Human:" token'
    data = [s for s in data if ASSISTANT in s]
print(f'{len(data)} texts, mean {sum(map(len, data)) / len(data):.1f} tokens', flush=True)
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=0)
warm = math.ceil(0.03 * a.steps)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, warm) if s < warm else
                                          0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, a.steps - warm))))
t0, order = time.time(), []
for step in range(1, a.steps + 1):
    if len(order) < a.batch:
        order += random.sample(range(len(data)), len(data))
    batch, order = [data[i] for i in order[:a.batch]], order[a.batch:]
    L = max(map(len, batch))
    ids = torch.zeros(len(batch), L, dtype=torch.long)
    labels = torch.full((len(batch), L), -100)
    for b, s in enumerate(batch):
        ids[b, :len(s)] = torch.tensor(s); labels[b, :len(s)] = torch.tensor(targets(s))
    logits = model(input_ids=ids).logits[:, :-1]
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1), ignore_index=-100)
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sched.step()
    if step % a.eval_every == 0 or step == a.steps:
        print(f'step {step} loss {loss.item():.3f} ({time.time() - t0:.0f} s): {evaluate()}', flush=True)

"""Stage 2 of a `llava demo` run re-done in PyTorch, to tell a feature problem from a learning problem.

Trains the run's stage-1 LLaVA (or --modeldir) on the run's instruct.json the way `llava train` does
(llava_v1 template, answers only, AdamW, cosine with 3% warmup) and evaluates exact match on
eval.jsonl like `llava demo`, with the image tokens given by:
  --feat clip    the run's CLIP features (hidden_states[--layer]), as the demo does;
  --feat oracle  perfect per-patch one-hot colour / shape / size of the object(s) on each patch
                 (--center: only the patch holding the object's centre), through a fresh MLP;
  --feat text    no image: the scene's object list as text in the prompt.
--dense K replaces the data with K conversations of up to 8 templated questions per scene and
evaluates on the same kind of questions about test scenes (--demo-eval: then on eval.jsonl too). --save / --load keep the language model
between runs (e.g. text pretraining, then stage 2). Measurements quoted in docs/tutorial.md §2.2:

    python Tools/analysis/stage2_oracle.py --run OUT --feat oracle --epochs 3            # old 64-token data
    python Tools/analysis/stage2_oracle.py --run OUT --feat text --textkey list --nosys --dense 3 --epochs 2 --grid 4 --save lm.pt
    python Tools/analysis/stage2_oracle.py --run OUT --feat clip --nosys --dense 1 --epochs 3 --grid 4 [--load lm.pt]

--grid is the patch grid side (8 for 64 px / 8-px patches, 4 for 16-px patches). Needs the fixture
venv (Tools/fixtures/requirements.txt). Minutes per run on 2 cores.
"""
import json, math, sys, time, argparse
import torch, torch.nn as nn, torch.nn.functional as F
from tokenizers import Tokenizer
from transformers import LlavaForConditionalGeneration
from PIL import Image
import numpy as np
from answers import COL, SH, parse  # the demo's vocabulary and scoring (QA.canonicalAnswer)
torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument('--run', required=True, help='a llava demo output directory')
p.add_argument('--feat', default='oracle')  # oracle | clip
p.add_argument('--epochs', type=float, default=3)
p.add_argument('--lr', type=float, default=2e-3)
p.add_argument('--batch', type=int, default=16)
p.add_argument('--grid', type=int, default=8)
p.add_argument('--nosys', action='store_true')
p.add_argument('--maxtrain', type=int, default=0)
p.add_argument('--center', action='store_true')
p.add_argument('--only', default='')
p.add_argument('--lmrandom', action='store_true')
p.add_argument('--evaltrain', action='store_true')
p.add_argument('--textkey', default='boxes')
p.add_argument('--dense', type=int, default=0)
p.add_argument('--modeldir', default='')
p.add_argument('--heads', type=int, default=0)
p.add_argument('--kvheads', type=int, default=0)
p.add_argument('--layers', type=int, default=0)
p.add_argument('--hidden', type=int, default=0)
p.add_argument('--layer', type=int, default=-2)
p.add_argument('--freshproj', action='store_true')
p.add_argument('--save', default='')
p.add_argument('--load', default='')
p.add_argument('--noeval', action='store_true')
p.add_argument('--seed', type=int, default=0)
p.add_argument('--sizerefs', action='store_true', help='--dense also asks colour by size + shape ("the small star") when the shape alone is ambiguous')
p.add_argument('--demo-eval', action='store_true', help='after the --dense evaluation, also the demo eval.jsonl one')
a = p.parse_args()
torch.manual_seed(a.seed)
R = a.run
tok = Tokenizer.from_file(f'{R}/tokenizer/tokenizer.json')
model = LlavaForConditionalGeneration.from_pretrained(a.modeldir or f'{R}/stage1', torch_dtype=torch.float32)
if a.heads or a.layers or a.hidden:
    from transformers import LlamaForCausalLM
    tc = model.config.text_config
    if a.hidden: tc.hidden_size = a.hidden; tc.intermediate_size = int(a.hidden * 2.6875)
    if a.heads: tc.num_attention_heads = a.heads; tc.num_key_value_heads = a.kvheads or a.heads
    if a.layers: tc.num_hidden_layers = a.layers
    tc.head_dim = tc.hidden_size // tc.num_attention_heads
    new = LlamaForCausalLM(tc)
    model.model.language_model = new.model; model.lm_head = new.lm_head
    print('new LM', sum(p.numel() for p in new.parameters()), flush=True)
if a.lmrandom:
    for m in model.model.language_model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)): nn.init.normal_(m.weight, std=0.02)
    nn.init.normal_(model.lm_head.weight, std=0.02)
if a.load:
    sd = torch.load(a.load); model.model.language_model.load_state_dict(sd['lm']); model.lm_head.load_state_dict(sd['head']); print('loaded', a.load, flush=True)
lm = model.model.language_model; head = model.lm_head; emb = lm.embed_tokens
cfg = model.config
IMG = cfg.image_token_index
scenes = {s['image']: s for s in json.load(open(f'{R}/data/scenes.json'))}
G = a.grid
def oracle(img):
    s = scenes[img]; f = torch.zeros(G * G, 17)
    for o in s['objects']:
        x1, y1, x2, y2 = o['box']
        if a.center:
            cx, cy = o['center']; x1 = x2 = cx; y1 = y2 = cy
        for r in range(G):
            for c in range(G):
                if x1 < (c + 1) / G and x2 >= c / G and y1 < (r + 1) / G and y2 >= r / G:
                    v = f[r * G + c]; v[COL.index(o['color'])] += 1; v[8 + SH.index(o['shape'])] += 1
                    v[14 + (o['size'] == 'large')] += 1; v[16] += 1
    return f
mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(3, 1, 1); std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(3, 1, 1)
@torch.no_grad()
def clipfeat(img):
    x = torch.tensor(np.array(Image.open(f'{R}/data/images/{img}').convert('RGB')), dtype=torch.float32).permute(2, 0, 1) / 255
    x = ((x - mean) / std)[None]
    h = model.model.vision_tower(x, output_hidden_states=True).hidden_states[a.layer][0, 1:]
    return h
if a.feat in ('oracle', 'text'):
    proj = nn.Sequential(nn.Linear(17, 128), nn.GELU(), nn.Linear(128, 128)); featf = oracle
else:
    proj = model.model.multi_modal_projector if not a.freshproj else nn.Sequential(nn.Linear(model.config.vision_config.hidden_size, 128), nn.GELU(), nn.Linear(128, 128)); featf = clipfeat
cache = {}
def feats(img):
    if img not in cache: cache[img] = featf(img)
    return cache[img]
SYS = '' if a.nosys else "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, and polite answers to the user's questions. "
NI = G * G
def encode(conv, img=None):
    ids, lab = [1], [-100]
    def add(t, sup):
        e = tok.encode(t, add_special_tokens=False).ids
        ids.extend(e); lab.extend(e if sup else [-100] * len(e))
    add(SYS, False)
    for i, t in enumerate(conv):
        v = t['value']
        if t['from'] == 'human':
            if i == 0:
                v = v.replace('<image>', '').strip()
                add('USER: ', False)
                if a.feat == 'text': add(scenes[img]['captions'][a.textkey] + ' ', False)
                else: ids.extend([IMG] * NI); lab.extend([-100] * NI)
                add('\n' + v + ' ', False)
            else: add('USER: ' + v + ' ', False)
        else:
            add('ASSISTANT:', False); add(' ' + v + '</s>', True)
    return ids, lab
data = json.load(open(f'{R}/data/instruct.json'))
if a.maxtrain: data = data[:a.maxtrain]
if a.only: data = [d for d in data if d['id'].split('-')[-1] in a.only.split(',')]

import random
def dense_qas(sc, rnd):
    objs = sc['objects']; qs = []
    shapes = [o['shape'] for o in objs]; cols = [o['color'] for o in objs]
    for o in objs:
        if shapes.count(o['shape']) == 1: qs.append(('colour', f"What color is the {o['shape']}?", f"The {o['shape']} is {o['color']}."))
        elif a.sizerefs and sum(1 for x in objs if x['shape'] == o['shape'] and x['size'] == o['size']) == 1:
            qs.append(('colour-size', f"What color is the {o['size']} {o['shape']}?", f"The {o['size']} {o['shape']} is {o['color']}."))
        if cols.count(o['color']) == 1: qs.append(('shape', f"What shape is the {o['color']} object?", f"The {o['color']} object is a {o['shape']}."))
    o = rnd.choice(objs); qs.append(('existence', f"Is there a {o['color']} {o['shape']}?", f"Yes, there is a {o['color']} {o['shape']}."))
    while True:
        c, sh = rnd.choice(COL), rnd.choice(SH)
        if not any(x['color'] == c and x['shape'] == sh for x in objs): break
    qs.append(('existence', f"Is there a {c} {sh}?", f"No, there is no {c} {sh}."))
    sh = rnd.choice(SH); n = shapes.count(sh); qs.append(('count', f"How many {sh}s are there?", f"There are {n} {sh}s."))
    rnd.shuffle(qs); return qs
if a.dense:
    rnd = random.Random(a.seed); data = []
    for sc in json.load(open(f'{R}/data/scenes.json')):
        if sc['split'] != 'train': continue
        for rep in range(a.dense):
            qs = dense_qas(sc, rnd)[:8]; conv = []
            for i, (k, q, ans) in enumerate(qs):
                conv += [{'from': 'human', 'value': ('<image>\n' if i == 0 else '') + q}, {'from': 'gpt', 'value': ans}]
            data.append({'id': sc['id'] + '-dense', 'image': sc['image'], 'conversations': conv})
samples = [(d['image'], *encode(d['conversations'], d['image'])) for d in data]
print('train samples', len(samples), 'mean len', sum(len(s[1]) for s in samples) / len(samples), flush=True)
def embed(ids_list, imgs):
    L = max(len(i) for i in ids_list); B = len(ids_list)
    ids = torch.full((B, L), 0, dtype=torch.long); mask = torch.zeros(B, L, dtype=torch.long)
    for b, i in enumerate(ids_list): ids[b, :len(i)] = torch.tensor(i); mask[b, :len(i)] = 1
    isimg = ids == IMG
    e = emb(torch.where(isimg, 0, ids))
    if isimg.any():
        f = proj(torch.stack([feats(im) for im in imgs]))
        e = e.clone(); e[isimg] = f.reshape(-1, f.shape[-1])
    return e, mask
params = list(proj.parameters()) + list(lm.parameters()) + list(head.parameters())
opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0, betas=(0.9, 0.999))
steps = int(math.ceil(len(samples) / a.batch) * a.epochs); warm = math.ceil(0.03 * steps)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: s / max(1, warm) if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
g = torch.Generator().manual_seed(a.seed)
t0 = time.time(); step = 0
while step < steps:
    perm = torch.randperm(len(samples), generator=g).tolist()
    for k in range(0, len(perm) - a.batch + 1, a.batch):
        if step >= steps: break
        bt = [samples[j] for j in perm[k:k + a.batch]]
        e, mask = embed([b[1] for b in bt], [b[0] for b in bt])
        L = e.shape[1]; lab = torch.full((len(bt), L), -100)
        for b, s in enumerate(bt): lab[b, :len(s[2])] = torch.tensor(s[2])
        out = lm(inputs_embeds=e, attention_mask=mask).last_hidden_state
        logits = head(out)[:, :-1]; loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), lab[:, 1:].reshape(-1), ignore_index=-100)
        opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step(); step += 1
        if step % 100 == 0: print(f'step {step}/{steps} loss {loss.item():.3f} {time.time()-t0:.0f}s', flush=True)
print('train s', time.time() - t0, flush=True)
if a.save: torch.save({'lm': lm.state_dict(), 'head': head.state_dict()}, a.save)
# eval
@torch.no_grad()
def answer(q, img, maxt, blank=False):
    ids, _ = encode([{'from': 'human', 'value': '<image>\n' + q}], img)
    ids = ids + tok.encode('ASSISTANT:', add_special_tokens=False).ids
    if blank:
        global featf
        e, mask = embed([ids], ['__blank__'])
    else:
        e, mask = embed([ids], [img])
    out = []; past = None; x = e
    for _ in range(maxt):
        o = lm(inputs_embeds=x, past_key_values=past, use_cache=True); past = o.past_key_values
        nxt = head(o.last_hidden_state[:, -1]).argmax(-1).item()
        if nxt == 2: break
        out.append(nxt); x = emb(torch.tensor([[nxt]]))
    return tok.decode(out, skip_special_tokens=True)
if a.feat in ('oracle', 'text'): cache['__blank__'] = torch.zeros(NI, 17)
else:
    x = torch.zeros(1, 3, 64, 64)
    with torch.no_grad(): cache['__blank__'] = model.model.vision_tower(x, output_hidden_states=True).hidden_states[a.layer][0, 1:]
if a.evaltrain:
    n = ok = 0
    for d in data[:300]:
        c = d['conversations']
        if not d['id'].endswith('conv'): continue
        q = c[0]['value'].replace('<image>', '').strip()
        n += 1; ok += answer(q, d['image'], 40) == c[1]['value']
    print('train first-answer exact', ok, '/', n, flush=True)
    n = ok = 0
    for l in open(f'{R}/data/eval.jsonl'):
        r = json.loads(l)
        if r['split'] != 'test' or r['kind'] in ('reasoning',): continue
        n += 1; ok += answer(r['question'], r['image'], 40) == r['answer']
    print('test answer exact', ok, '/', n, flush=True)

if a.dense and not a.noeval:
    rnd = random.Random(99); res = {}
    for sc in json.load(open(f'{R}/data/scenes.json')):
        if sc['split'] not in ('test',): continue
        for k, q, ans in dense_qas(sc, rnd):
            res.setdefault(k, []).append(answer(q, sc['image'], 30) == ans)
            res.setdefault('blank-' + k, []).append(answer(q, sc['image'], 30, blank=True) == ans)
    print('DENSE', ' '.join(f"{k} {100*sum(v)/len(v):.1f}({len(v)})" for k, v in sorted(res.items())), flush=True)
    if not a.demo_eval: sys.exit(0)
recs = [json.loads(l) for l in open(f'{R}/data/eval.jsonl')]
res = {}
wrong = {}
for r in recs:
    if r['split'] not in ('test', 'unseen_combinations'): continue
    mt = 112 if r['kind'] == 'reasoning' else 40
    txt = answer(r['question'], r['image'], mt)
    ok = parse(txt, r['form']) == r['expected']
    if not ok and r['split'] == 'test' and r['kind'] in ('colour', 'existence') and wrong.setdefault(r['kind'], 0) < 8:
        wrong[r['kind']] += 1; print('WRONG', r['kind'], r['question'], '->', txt, '| exp', r['expected'], '| objs', [(o['color'], o['shape'], o['size']) for o in scenes[r['image']]['objects']])
    res.setdefault((r['split'], r['kind']), []).append(ok)
    if r['split'] == 'test':
        okb = parse(answer(r['question'], r['image'], mt, blank=True), r['form']) == r['expected']
        res.setdefault(('blank', r['kind']), []).append(okb)
for sp in ('test', 'unseen_combinations', 'blank'):
    ks = [k for k in res if k[0] == sp]; tot = sum(len(res[k]) for k in ks); cor = sum(sum(res[k]) for k in ks)
    print(sp, ' '.join(f"{k[1]} {100*sum(res[k])/len(res[k]):.1f}" for k in sorted(ks)), f'overall {100*cor/tot:.1f}', flush=True)
print('total s', time.time() - t0)

"""How a `llava demo` model looks up an object: attention at the answer position, per layer and head.

For each test-split colour question (short-answer prompt, as LLaVA-1.5 asks), with the model's
attention weights (transformers, eager attention) at the position that predicts the answer word:
  1. hop 1 — the mean weight on the question's shape word ("star" in "What color is the star?"),
     which carries what to look for;
  2. hop 2 — on scenes of 3–5 objects whose asked-for object is unique, the mean weight on the
     asked-for object's patch, on the other objects' patches, on background patches and on text,
     separately for questions answered right and wrong. A head that looks the object up puts more on
     the target than on all others together; one that averages the objects puts about 1/n on each.
A last line sums up: the strongest hop-1 head, and of the heads with at least half their weight on
objects the one with the largest share on the target.
Scoring is the demo's (answers.py). Needs the fixture venv (Tools/fixtures/requirements.txt).

    python Tools/analysis/lookup_attention.py OUT [--model DIR]
"""
import argparse, json
import numpy as np, torch
from PIL import Image
from transformers import AutoProcessor, LlavaForConditionalGeneration

from answers import SH, parse, prompt

torch.set_num_threads(1)
p = argparse.ArgumentParser()
p.add_argument('run', help='a llava demo output directory')
p.add_argument('--model', default='', help='checkpoint (default RUN/llava)')
a = p.parse_args()
M, D = a.model or f'{a.run}/llava', f'{a.run}/data'
proc = AutoProcessor.from_pretrained(M)
model = LlavaForConditionalGeneration.from_pretrained(M, dtype=torch.float32, attn_implementation='eager').eval()
scenes = {s['image']: s for s in json.load(open(f'{D}/scenes.json'))}
image_id = model.config.image_token_id
L, H = model.config.text_config.num_hidden_layers, model.config.text_config.num_attention_heads
grid = model.config.vision_config.image_size // model.config.vision_config.patch_size

hop1, n1 = np.zeros((L, H)), 0
hop2 = {True: np.zeros((L, H, 4)), False: np.zeros((L, H, 4))}
n2 = {True: 0, False: 0}
for line in open(f'{D}/eval.jsonl'):
    r = json.loads(line)
    if r['split'] != 'test' or r['kind'] != 'colour':
        continue
    image = Image.open(f"{D}/images/{r['image']}").convert('RGB')
    inputs = proc(images=image, text=prompt(r['question'], short_answer=True), return_tensors='pt')
    ids = inputs['input_ids'][0]
    images = (ids == image_id).nonzero()[:, 0]
    words = [i for i in range(int(images[-1]) + 1, len(ids)) if any(s in proc.tokenizer.decode(ids[i]) for s in SH)]
    if not words:
        continue
    with torch.no_grad():
        out = model(**inputs, output_attentions=True)
    att = torch.stack([x[0, :, -1] for x in out.attentions]).numpy()  # layers × heads × positions
    hop1 += att[:, :, words[-1]]
    n1 += 1

    objs = scenes[r['image']]['objects']
    ql = r['question'].lower()
    size = 'small' if 'small' in ql else 'large' if 'large' in ql else None
    target = [o for o in objs if o['shape'] in ql and (size is None or o['size'] == size)]
    if len(objs) < 3 or len(target) != 1:
        continue
    cell = lambda o: min(grid - 1, int(o['center'][1] * grid)) * grid + min(grid - 1, int(o['center'][0] * grid))
    t = cell(target[0])
    others = {cell(o) for o in objs if o is not target[0]}
    ok = parse(proc.tokenizer.decode(out.logits[0, -1].argmax()), r['form']) == r['expected']
    on_image = att[:, :, images.numpy()]
    on_target = on_image[:, :, t]
    on_others = sum(on_image[:, :, c] for c in others)
    total = on_image.sum(-1)
    hop2[ok] += np.stack([on_target, on_others, total - on_target - on_others, 1 - total], -1)
    n2[ok] += 1

print(f'hop 1: weight on the question\'s shape word ({n1} colour questions), heads 0..{H - 1}')
for l in range(L):
    print(f'  layer {l}  ' + '  '.join(f'{x / n1:.2f}' for x in hop1[l]))
print(f'hop 2: weight on target / other objects / background / text (3-5 objects, unique target; '
      f'{n2[True]} answered right, {n2[False]} wrong)')
for l in range(L):
    for h in range(H):
        cols = [f"{'right' if ok else 'wrong'} " + ' '.join(f'{x / max(1, n2[ok]):.2f}' for x in hop2[ok][l, h])
                for ok in (True, False)]
        print(f'  layer {l} head {h}  ' + '   '.join(cols))
# Summary: of the heads that put at least half their weight on objects (over all questions), the one
# whose weight on the target is the largest share of it.
both = (hop2[True] + hop2[False]) / max(1, n2[True] + n2[False])
heads = [(both[l, h, 0] / (both[l, h, 0] + both[l, h, 1]), l, h) for l in range(L) for h in range(H)
         if both[l, h, 0] + both[l, h, 1] >= 0.5]
l1, h1 = np.unravel_index(hop1.argmax(), hop1.shape)
print(f'summary: hop 1 layer {l1} head {h1} weight {hop1[l1, h1] / n1:.2f}; ', end='')
if heads:
    _, l, h = max(heads)
    print(f'most selective object-reading head layer {l} head {h}: target {both[l, h, 0]:.2f}, '
          f'other objects {both[l, h, 1]:.2f}; colour right on 3-5 objects {n2[True]}/{n2[True] + n2[False]}')
else:
    print('no head puts half its weight on objects')

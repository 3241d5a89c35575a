"""Does a `llava demo` run's pretrained Llama find an object by its size in text? Before stage 2 the
Llama has only read the LM corpus, where each dialogue follows its scene's object list. This asks it
every test-split colour question that names a size ("What color is the small star?", short-answer
prompt) with that list in front ("Scene: small red star (top left); large blue star (center). Human:
... Assistant:"), counts how often its next token is the right colour, and prints, per layer and
head, the mean attention weight that the answer position puts on the question's size word and shape
word.

    python Tools/analysis/lm_text_sized.py OUT [--model llava-assembled]

`--model` is a directory of OUT holding a LLaVA checkpoint: llava-assembled (the pretrained Llama
with a fresh projector, the default), stage1, stage2 or llava. Needs the fixture venv
(Tools/fixtures/requirements.txt).
"""
import argparse, json
import numpy as np, torch
from transformers import AutoTokenizer, LlavaForConditionalGeneration

from answers import SH

torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument('run', help='a llava demo output directory')
p.add_argument('--model', default='llava-assembled', help='checkpoint directory inside RUN')
a = p.parse_args()
tok = AutoTokenizer.from_pretrained(f'{a.run}/{a.model}')
model = LlavaForConditionalGeneration.from_pretrained(f'{a.run}/{a.model}', dtype=torch.float32, attn_implementation='eager').eval()
scenes = {s['image']: s for s in json.load(open(f'{a.run}/data/scenes.json'))}
L, H = model.config.text_config.num_hidden_layers, model.config.text_config.num_attention_heads
weight = {'size': np.zeros((L, H)), 'shape': np.zeros((L, H))}
n = right = 0
for line in open(f'{a.run}/data/eval.jsonl'):
    r = json.loads(line)
    if r['split'] != 'test' or r['kind'] != 'colour':
        continue
    q = r['question'].lower()
    size = 'small' if 'small' in q else 'large' if 'large' in q else None
    if size is None:
        continue
    text = (f"Scene: {scenes[r['image']]['captions']['list']}. Human: {r['question']} "
            "Answer the question using a single word or phrase. Assistant:")
    ids = tok(text, return_tensors='pt').input_ids
    toks = [tok.decode(i).strip() for i in ids[0]]
    human = max(i for i, t in enumerate(toks) if t == 'Human')
    size_at = [i for i in range(human, len(toks)) if toks[i] == size]
    shape_at = [i for i in range(human, len(toks)) if toks[i] in SH]
    if not size_at or not shape_at:
        continue
    with torch.no_grad():
        out = model(input_ids=ids, output_attentions=True)
    att = torch.stack([x[0, :, -1] for x in out.attentions]).numpy()  # [layer, head, key]
    weight['size'] += att[:, :, size_at[-1]]
    weight['shape'] += att[:, :, shape_at[-1]]
    n += 1
    right += tok.decode(out.logits[0, -1].argmax()).strip() == r['expected']
print(f'{n} colour questions that name a size, asked as text: {right} right ({100 * right / max(n, 1):.1f}%)')
for k in weight:
    print(f'weight on the {k} word, per layer (heads left to right)')
    for l in range(L):
        print(f'  layer {l} ' + ' '.join(f'{x / max(n, 1):.2f}' for x in weight[k][l]))

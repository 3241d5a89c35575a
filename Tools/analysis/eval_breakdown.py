"""Where a `llava demo` model goes wrong: its test questions re-asked with transformers, broken down.

Loads OUT/llava (or --model) as a LlavaForConditionalGeneration, asks each test-split colour, shape,
count and existence question of OUT/data/eval.jsonl with the prompt `llava demo` uses (Vicuna v1,
greedy), scores it as the demo does (exact match of the answer word) and prints accuracy
  - per kind and number of objects in the scene;
  - for colour and shape questions, with and without a size in the reference ("the small star");
  - for existence, per kind of question: "yes" with colour + shape or shape only; "no" with the
    colour present, the shape present, both present on different objects, neither, or shape only;
    and how often the model said yes or no.
The per-kind totals match the demo's results.md. Needs the fixture venv
(Tools/fixtures/requirements.txt); ~15 s for 200 scenes per split on 2 cores.

    python Tools/analysis/eval_breakdown.py OUT [--model DIR] [--data DIR] [--show-wrong] [--short-answer]
"""
import argparse, json, re
import torch
from PIL import Image
from transformers import AutoProcessor, LlavaForConditionalGeneration

from answers import COL, SH, parse, prompt  # the demo's prompt and scoring (QA.canonicalAnswer)

torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument('run', help='a llava demo output directory')
p.add_argument('--model', default='', help='checkpoint (default RUN/llava)')
p.add_argument('--data', default='', help='dataset directory (default RUN/data)')
p.add_argument('--show-wrong', action='store_true')
p.add_argument('--short-answer', action='store_true',
               help="append LLaVA-1.5's response-format prompt to each question, as in its short-answer training data")
a = p.parse_args()
M = a.model or f'{a.run}/llava'
D = a.data or f'{a.run}/data'
proc = AutoProcessor.from_pretrained(M)
model = LlavaForConditionalGeneration.from_pretrained(M, dtype=torch.float32).eval()
scenes = {s['image']: s for s in json.load(open(f'{D}/scenes.json'))}


def existence_kind(q, expected, objs):
    qc = [c for c in COL if re.search(rf'\b{c}\b', q)]
    qs = [s for s in SH if re.search(rf'\b{s}\b', q)]
    if expected == 'yes':
        return 'yes, colour + shape' if qc else 'yes, shape only'
    if not qc:
        return 'no, shape only'
    c = any(o['color'] == qc[0] for o in objs)
    s = any(o['shape'] == qs[0] for o in objs)
    return 'no, ' + ('both on different objects' if c and s else 'colour present' if c else 'shape present' if s else 'neither present')


table = {}
def add(key, ok):
    table.setdefault(key, [0, 0])
    table[key][0] += ok
    table[key][1] += 1

for line in open(f'{D}/eval.jsonl'):
    r = json.loads(line)
    if r['split'] != 'test' or r['kind'] not in ('colour', 'shape', 'count', 'existence'):
        continue
    image = Image.open(f"{D}/images/{r['image']}").convert('RGB')
    inputs = proc(images=image, text=prompt(r['question'], a.short_answer), return_tensors='pt')
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=40, do_sample=False)
    text = proc.tokenizer.decode(out[0, inputs['input_ids'].shape[1]:], skip_special_tokens=True)
    ok = parse(text, r['form']) == r['expected']
    objs = scenes[r['image']]['objects']
    k = r['kind']
    add((k, 'all'), ok)
    add((k, f'{len(objs)} objects'), ok)
    if k in ('colour', 'shape'):
        add((k, 'size in the reference' if re.search(r'\b(small|large)\b', r['question']) else 'no size in the reference'), ok)
    if k == 'existence':
        add((k, existence_kind(r['question'], r['expected'], objs)), ok)
        add((k, f"model said {parse(text, 'yes_no')}"), True)
    if a.show_wrong and not ok:
        print('WRONG', k, '|', r['question'], '->', text, '| expected', r['expected'], '|',
              ', '.join(f"{o['size']} {o['color']} {o['shape']}" for o in objs))

for (k, part), (right, n) in sorted(table.items()):
    share = f'{100 * right / n:5.1f}%' if not part.startswith('model said') else '      '
    print(f'{k:10s} {part:32s} {share} of {n}')

"""Which words of a question a `llava demo` model fetches: attention at the answer position on each
word that names the asked-about object, per layer and head, split by whether the question names a size.

A colour question names its object by shape ("the star") or by size and shape ("the small star"), a
shape question by colour or by size and colour. To answer, the position that predicts the answer must
gather those words from the question (hop 1) before it can pick the object's image token (hop 2; see
lookup_attention.py). For each test-split colour and shape question (short-answer prompt, as LLaVA-1.5
asks), this prints the mean weight the answer position puts on the question's size word, colour word
and shape word in layers 0 and 1, and accuracy with and without a size in the question, scored as the
demo scores (answers.py). With --checkpoints DIR it does the same for every DIR/N, in order of N:
stage-2 checkpoints of step N (the trainer keeps only its newest checkpoint-N, so copy each aside as
it appears), to see when each fetch forms.
Needs the fixture venv (Tools/fixtures/requirements.txt).

    python Tools/analysis/reference_words.py OUT [--model DIR] [--checkpoints DIR] [--layers 2]
"""
import argparse, json, os
import numpy as np, torch
from PIL import Image
from transformers import AutoProcessor, LlavaForConditionalGeneration

from answers import COL, SH, parse, prompt

torch.set_num_threads(2)
p = argparse.ArgumentParser()
p.add_argument('run', help='a llava demo output directory')
p.add_argument('--model', default='', help='checkpoint (default RUN/llava)')
p.add_argument('--checkpoints', default='', help='a directory of checkpoints named by step')
p.add_argument('--layers', type=int, default=2, help='layers to print (from 0)')
a = p.parse_args()
records = [json.loads(l) for l in open(f'{a.run}/data/eval.jsonl')]
records = [r for r in records if r['split'] == 'test' and r['kind'] in ('colour', 'shape')]
ROLES = [('size', ('small', 'large')), ('colour', tuple(COL)), ('shape', tuple(SH))]


def analyse(model_dir):
    proc = AutoProcessor.from_pretrained(model_dir)
    model = LlavaForConditionalGeneration.from_pretrained(model_dir, dtype=torch.float32, attn_implementation='eager').eval()
    L, H = model.config.text_config.num_hidden_layers, model.config.text_config.num_attention_heads
    weights, right = {}, {}
    for r in records:
        image = Image.open(f"{a.run}/data/images/{r['image']}").convert('RGB')
        inputs = proc(images=image, text=prompt(r['question'], short_answer=True), return_tensors='pt')
        ids = inputs['input_ids'][0]
        toks = [proc.tokenizer.decode(i).strip() for i in ids]
        last_image = int((ids == model.config.image_token_id).nonzero()[-1, 0])
        with torch.no_grad():
            out = model(**inputs, output_attentions=True)
        att = torch.stack([x[0, :, -1] for x in out.attentions]).numpy()  # layers × heads × positions
        sized = any(t in ROLES[0][1] for t in toks[last_image:])
        ok = parse(proc.tokenizer.decode(out.logits[0, -1].argmax()), r['form']) == r['expected']
        c = right.setdefault((r['kind'], sized), [0, 0])
        c[0] += ok
        c[1] += 1
        for role, vocab in ROLES:
            pos = [i for i in range(last_image + 1, len(toks)) if toks[i] in vocab]
            if pos:
                w = weights.setdefault((r['kind'], sized, role), [np.zeros((L, H)), 0])
                w[0] += att[:, :, pos[-1]]
                w[1] += 1
    print('  accuracy: ' + ', '.join(f"{k}{' naming a size' if z else ''} {100 * n / t:.1f}% of {t}"
                                    for (k, z), (n, t) in sorted(right.items())))
    for (kind, sized, role), (w, n) in sorted(weights.items()):
        print(f"  {kind} questions{' naming a size' if sized else ''}: weight on the {role} word, heads 0..{H - 1}")
        for l in range(min(a.layers, L)):
            print(f'    layer {l}  ' + '  '.join(f'{x / n:.2f}' for x in w[l]))


if a.checkpoints:
    steps = sorted((int(d) for d in os.listdir(a.checkpoints) if d.isdigit()))
    for s in steps:
        print(f'step {s}')
        analyse(f'{a.checkpoints}/{s}')
else:
    analyse(a.model or f'{a.run}/llava')

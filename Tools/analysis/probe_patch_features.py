"""Linear probes on a `llava demo` run: how well can a patch token's vision features predict the
shape / colour of the object on that patch? Loads the run's final LLaVA with transformers, takes the
vision tower's hidden states for the first 1,500 scenes, one patch per object (the patch holding the
object's centre), fits a multinomial logistic regression on 80% and reports accuracy on the rest.

    python Tools/analysis/probe_patch_features.py DEMO_OUTPUT_DIR

hidden_states[-1] is the last layer, [-2] what LLaVA feeds the projector, [-4] the embeddings.
Needs the fixture venv (Tools/fixtures/requirements.txt).
"""
import json, sys, numpy as np, torch
from PIL import Image
from transformers import LlavaForConditionalGeneration, AutoImageProcessor
d = sys.argv[1]; model_dir = d + "/llava"
m = LlavaForConditionalGeneration.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
proc = AutoImageProcessor.from_pretrained(model_dir)
scenes = json.load(open(d + "/data/scenes.json"))
shapes = ["circle","square","triangle","diamond","cross","star"]; colours=["red","green","blue","yellow","purple","orange","white","black"]
feats = {k: [] for k in ["l-1", "l-2", "l-3", "l-4"]}; ys=[]; yc=[]
for s in scenes[:1500]:
    img = Image.open(d + "/data/images/" + s["image"]).convert("RGB")
    px = proc(img, return_tensors="pt").pixel_values
    with torch.no_grad():
        hs = m.model.vision_tower(px, output_hidden_states=True).hidden_states
    g = m.config.vision_config.image_size // m.config.vision_config.patch_size  # patches per side
    for o in s["objects"]:
        cx, cy = o["center"]; gx, gy = min(g - 1, int(cx * g)), min(g - 1, int(cy * g))
        i = gy * g + gx
        [feats[f"l-{j}"].append(hs[-j][0, 1 + i].numpy()) for j in (1, 2, 3, 4)]
        ys.append(shapes.index(o["shape"])); yc.append(colours.index(o["color"]))
ys = np.array(ys); yc=np.array(yc); n = len(ys); tr = int(n * 0.8)
for k, F in feats.items():
    X = torch.tensor(np.stack(F))
    for name, y in [("shape", ys), ("colour", yc)]:
        Y = torch.tensor(y)
        W = torch.zeros(X.shape[1], y.max()+1, requires_grad=True); b = torch.zeros(y.max()+1, requires_grad=True)
        mu, sd = X[:tr].mean(0), X[:tr].std(0) + 1e-6; Xn = (X - mu) / sd
        opt = torch.optim.Adam([W, b], lr=1e-2)
        for _ in range(500):
            loss = torch.nn.functional.cross_entropy(Xn[:tr] @ W + b, Y[:tr]) + 1e-4 * (W**2).sum(); opt.zero_grad(); loss.backward(); opt.step()
        acc = ((Xn[tr:] @ W + b).argmax(-1) == Y[tr:]).float().mean().item()
        print(f"{k} {name} linear probe at centre patch: {acc:.3f} (n={n})")

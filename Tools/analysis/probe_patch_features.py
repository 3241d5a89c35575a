"""Linear probes on a `llava demo` run: how well can a patch token's vision features predict the
shape / colour / size of the object on that patch? Loads the run's final LLaVA with transformers (or,
when the run stopped before there was one, its CLIP from clip/), takes the vision tower's hidden
states for the first 1,500 scenes, one patch per object (the patch holding the object's centre), fits
a multinomial logistic regression on 80% and reports accuracy on the rest; then the same for shape
with a 2-layer GELU MLP (the projector's form) on hidden_states[-2].

    python Tools/analysis/probe_patch_features.py DEMO_OUTPUT_DIR

hidden_states[-1] is the last layer, [-2] what LLaVA feeds the projector, [-4] the embeddings.
Needs the fixture venv (Tools/fixtures/requirements.txt).
"""
import json, os, sys, numpy as np, torch
from PIL import Image
from transformers import AutoImageProcessor, CLIPModel, LlavaForConditionalGeneration
torch.set_num_threads(2)
d = sys.argv[1]
if os.path.isdir(d + "/llava"):
    m = LlavaForConditionalGeneration.from_pretrained(d + "/llava", dtype=torch.float32).eval()
    tower, vision_config = m.model.vision_tower, m.config.vision_config
    proc = AutoImageProcessor.from_pretrained(d + "/llava")
else:  # a run stopped after CLIP pretraining: its CLIP (the tower LLaVA would get) and the demo's processor
    m = CLIPModel.from_pretrained(d + "/clip", dtype=torch.float32).eval()
    tower, vision_config = m.vision_model, m.config.vision_config
    proc = AutoImageProcessor.from_pretrained(d + "/tokenizer")
scenes = json.load(open(d + "/data/scenes.json"))
shapes = ["circle","square","triangle","diamond","cross","star"]; colours=["red","green","blue","yellow","purple","orange","white","black"]
feats = {k: [] for k in ["l-1", "l-2", "l-3", "l-4"]}; ys=[]; yc=[]; yz=[]
for s in scenes[:1500]:
    img = Image.open(d + "/data/images/" + s["image"]).convert("RGB")
    px = proc(img, return_tensors="pt").pixel_values
    with torch.no_grad():
        hs = tower(px, output_hidden_states=True).hidden_states
    g = vision_config.image_size // vision_config.patch_size  # patches per side
    for o in s["objects"]:
        cx, cy = o["center"]; gx, gy = min(g - 1, int(cx * g)), min(g - 1, int(cy * g))
        i = gy * g + gx
        [feats[f"l-{j}"].append(hs[-j][0, 1 + i].numpy()) for j in (1, 2, 3, 4)]
        ys.append(shapes.index(o["shape"])); yc.append(colours.index(o["color"])); yz.append(int(o["size"] == "large"))
ys = np.array(ys); yc=np.array(yc); yz = np.array(yz); n = len(ys); tr = int(n * 0.8)
for k, F in feats.items():
    X = torch.tensor(np.stack(F))
    for name, y in [("shape", ys), ("colour", yc), ("size", yz)]:
        Y = torch.tensor(y)
        W = torch.zeros(X.shape[1], y.max()+1, requires_grad=True); b = torch.zeros(y.max()+1, requires_grad=True)
        mu, sd = X[:tr].mean(0), X[:tr].std(0) + 1e-6; Xn = (X - mu) / sd
        opt = torch.optim.Adam([W, b], lr=1e-2)
        for _ in range(500):
            loss = torch.nn.functional.cross_entropy(Xn[:tr] @ W + b, Y[:tr]) + 1e-4 * (W**2).sum(); opt.zero_grad(); loss.backward(); opt.step()
        acc = ((Xn[tr:] @ W + b).argmax(-1) == Y[tr:]).float().mean().item()
        print(f"{k} {name} linear probe at centre patch: {acc:.3f} (n={n})")

# Shape through an MLP the size of the projector's first layer: is the information there, only not linearly?
X = torch.tensor(np.stack(feats["l-2"])); mu, sd = X[:tr].mean(0), X[:tr].std(0) + 1e-6; Xn = (X - mu) / sd
Y = torch.tensor(ys); torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 256), torch.nn.GELU(), torch.nn.Linear(256, len(shapes)))
opt = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=1e-4)
for _ in range(1500):
    loss = torch.nn.functional.cross_entropy(net(Xn[:tr]), Y[:tr]); opt.zero_grad(); loss.backward(); opt.step()
with torch.no_grad():
    print(f"l-2 shape MLP probe at centre patch: {(net(Xn[tr:]).argmax(-1) == Y[tr:]).float().mean().item():.3f} (n={n})")

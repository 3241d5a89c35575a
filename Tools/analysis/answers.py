"""The prompt `llava demo` asks a question with (Vicuna v1, ChatTemplate.llavaV1) and the answer word
of a generated reply, as it scores it (QA.canonicalAnswer in Sources/ShapesWorld/QA.swift): shared by
the analysis scripts that re-ask and re-score ShapesWorld questions."""
import re

SYSTEM = ("A chat between a curious user and an artificial intelligence assistant. "
          "The assistant gives helpful, detailed, and polite answers to the user's questions.")
# LLaVA-1.5's response-format prompt (InstructionGenerator.shortAnswerQuestion).
SHORT_ANSWER = '\nAnswer the question using a single word or phrase.'


def prompt(question, short_answer=False):
    """The demo's prompt for one question about one image."""
    q = question + (SHORT_ANSWER if short_answer else '')
    return f"{SYSTEM} USER: <image>\n{q} ASSISTANT:"

COL = 'red green blue yellow purple orange white black'.split()
SH = 'circle square triangle diamond cross star'.split()
NUM = 'zero one two three four five six seven eight nine ten'.split()


def words(t):
    return re.findall(r"[a-z0-9']+", t.lower())


# QA.shapeWords: each shape's name and plural.
SHAPE_WORDS = {**{s: s for s in SH}, **{s + ('es' if s == 'cross' else 's'): s for s in SH}}


def shape_word(x):
    return SHAPE_WORDS.get(x)


def parse(t, form):
    """The canonical answer of reply `t` for an answer form (color, shape, number, region, yes_no,
    object), or None. A reasoning answer is read after its last "answer is"."""
    t = t.lower()
    i = t.rfind('answer is')
    w = words(t[i + 9:] if i >= 0 else t)
    if form == 'color':
        return next((x for x in w if x in COL), None)
    if form == 'shape':
        return next((s for s in map(shape_word, w) if s), None)
    if form == 'number':
        for x in w:
            if x.isdigit():
                return str(int(x))
            if x in NUM:
                return str(NUM.index(x))
        return '0' if ('no' in w or 'none' in w) else None
    if form == 'region':
        v = 'top' if ('top' in w or 'upper' in w) else ('bottom' if ('bottom' in w or 'lower' in w) else None)
        h = 'left' if 'left' in w else ('right' if 'right' in w else None)
        if v and h:
            return v + ' ' + h
        if v or h:
            return v or h
        return 'center' if any(x in ('center', 'centre', 'middle') for x in w) else None
    if form == 'yes_no':
        if w and w[0] in ('yes', 'no'):
            return w[0]
        if any(x in ('no', 'not', "isn't") for x in w):
            return 'no'
        return 'yes' if 'yes' in w else None
    if form == 'object':
        for i, x in enumerate(w):
            if x in COL:
                s = next((s for s in map(shape_word, w[i + 1:]) if s), None)
                return x + ' ' + s if s else None
        return None

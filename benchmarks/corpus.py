"""Deterministic synthetic projects for the benchmarks: interview-like text and keyword codebooks.

Nothing here is random at run time: a seeded generator makes the same corpus on every machine, so
figures from two runs (or two machines) compare the same work.
"""

from __future__ import annotations

import random
from pathlib import Path

_SYLLABLES = [
    "ka", "ri", "mo", "te", "lu", "sa", "ne", "vi", "do", "pa", "gre", "sto", "ban", "mer", "col",
    "tra", "ven", "hos", "pi", "tal", "land", "trust", "co", "op", "work", "er", "hou", "sing",
]  # fmt: skip
_COMMON = [
    "the",
    "and",
    "we",
    "they",
    "it",
    "was",
    "that",
    "of",
    "to",
    "in",
    "a",
    "for",
    "with",
    "on",
    "our",
    "you",
    "so",
    "but",
    "what",
    "really",
    "think",
    "about",
    "people",
    "this",
    "just",
    "there",
    "when",
    "like",
    "know",
    "because",
    "were",
    "had",
    "have",
    "been",
    "had",
    "they're",
    "it's",
    "i'd",
    "you",
    "know",
    "um",
    "yeah",
    "well",
    "then",
    "said",
    "would",
    "could",
    "money",
    "city",
    "board",
    "hospital",
    "community",
    "housing",
    "homes",
    "families",
]
_ACCENTED = ["café", "José", "Anaïs", "naïve", "résumé", "co‑op", "don’t", "it’s", "self-interest"]


def vocabulary(seed: int = 7, size: int = 6000) -> list[str]:
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _sentence(rng: random.Random, vocab: list[str]) -> str:
    n = rng.randint(6, 22)
    words = []
    for _ in range(n):
        r = rng.random()
        if r < 0.55:
            words.append(rng.choice(_COMMON))
        elif r < 0.99:
            words.append(
                vocab[min(int(rng.paretovariate(1.1)) - 1, len(vocab) - 1)]
                if rng.random() < 0.5
                else rng.choice(vocab)
            )
        else:
            words.append(rng.choice(_ACCENTED))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice([".", ".", ".", "?", ","]) + ""


def transcript_text(rng: random.Random, vocab: list[str], target_bytes: int) -> str:
    parts = ["[Synthetic benchmark transcript.]", ""]
    size = 0
    informant = rng.choice(["Dana Okafor", "R", "Marcus Bell", "A"])
    interviewer = {"R": "I", "A": "Q"}.get(informant, "Interviewer")
    while size < target_bytes:
        question = f"{interviewer}: " + " ".join(
            _sentence(rng, vocab) for _ in range(rng.randint(1, 2))
        )
        answer_sentences = [_sentence(rng, vocab) for _ in range(rng.randint(3, 14))]
        answer = f"{informant}: " + " ".join(answer_sentences)
        if rng.random() < 0.3:
            answer += "\n\n" + " ".join(_sentence(rng, vocab) for _ in range(rng.randint(2, 6)))
        parts += [question, "", answer, ""]
        size += len(question) + len(answer) + 2
    return "\n".join(parts)


def write_corpus(folder: Path, total_mb: float, *, file_kb: int = 50, seed: int = 11) -> int:
    """Write transcripts totalling about `total_mb` MB into folder; returns the byte count."""
    rng = random.Random(seed)
    vocab = vocabulary()
    folder.mkdir(parents=True, exist_ok=True)
    total = 0
    n = 0
    while total < total_mb * 1_000_000:
        text = transcript_text(rng, vocab, file_kb * 1000)
        data = text.encode("utf-8")
        (folder / f"t{n:05d}.txt").write_bytes(data)
        total += len(data)
        n += 1
    return total


def keywords(count: int, seed: int = 3) -> list[str]:
    """`count` distinct keywords: mostly words of the corpus (so they hit), some phrases and stems."""
    rng = random.Random(seed)
    vocab = vocabulary()
    chosen: list[str] = []
    seen: set[str] = set()
    while len(chosen) < count:
        r = rng.random()
        if r < 0.8:
            kw = rng.choice(vocab)
        elif r < 0.9:
            kw = rng.choice(vocab) + " " + rng.choice(vocab)
        else:
            kw = rng.choice(vocab)[:5] + "*"
        if kw not in seen:
            seen.add(kw)
            chosen.append(kw)
    return chosen


def codebook_yaml(kws: list[str], per_code: int = 10) -> str:
    lines = ["codebook: {id: bench, title: Benchmark}", "codes:"]
    for i in range(0, len(kws), per_code):
        chunk = kws[i : i + per_code]
        quoted = ", ".join('"' + k.replace('"', "") + '"' for k in chunk)
        lines += [
            f"  - id: code-{i // per_code:04d}",
            f"    name: Code {i // per_code:04d}",
            "    definition: Synthetic benchmark code.",
            "    rules:",
            f"      - keywords: [{quoted}]",
        ]
    return "\n".join(lines) + "\n"


def make_project(
    root: Path, total_mb: float, n_keywords: int, *, corpus: Path | None = None
) -> Path:
    """A qualcode project; `corpus` (an existing transcripts folder) is symlinked to save disk."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "qualcode.yaml").write_text(
        "codebooks: [codebooks/*.yaml]\ntranscripts: {folder: transcripts}\n", encoding="utf-8"
    )
    (root / "codebooks").mkdir(exist_ok=True)
    (root / "codebooks" / "bench.yaml").write_text(
        codebook_yaml(keywords(n_keywords)), encoding="utf-8"
    )
    target = root / "transcripts"
    if corpus is not None:
        if not target.exists():
            target.symlink_to(corpus.resolve(), target_is_directory=True)
    else:
        write_corpus(target, total_mb)
    return root

"""The codebook as plain, frozen data.

Several YAML files may be loaded into one `Codebook`: ids are unique across all of them, so a code is
found by id alone wherever it was defined.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

RuleKind = Literal["keywords", "regex", "near"]

DEFAULT_SPEAKERS: tuple[str, ...] = ("informant",)
ANY_SPEAKER = "*"


@dataclass(frozen=True)
class Location:
    """Where something was defined: file and 1-based line/column (0 when unknown)."""

    path: str
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Rule:
    """One automatic-coding rule of a code.

    Exactly one of `keywords`, `regex` or `near_terms` is set, according to `kind`. `id` is unique in
    the codebook (`<code>/<n>` unless the author named it) and is what codings cite as their origin.
    """

    id: str
    code_id: str
    kind: RuleKind
    keywords: tuple[str, ...] = ()
    regex: str | None = None
    near_terms: tuple[str, ...] = ()
    near_within: int = 0
    exclude: tuple[str, ...] = ()
    speakers: tuple[str, ...] = DEFAULT_SPEAKERS
    location: Location = field(default_factory=lambda: Location(""))

    def describe(self) -> str:
        """Short human text for `--why` output, the codebook tree and exports: the whole rule,
        since a methods appendix built from it must not drop an exclude list or a speaker limit."""
        if self.kind == "keywords":
            text = "keywords: " + ", ".join(self.keywords)
        elif self.kind == "regex":
            text = f"regex: {self.regex}"
        else:
            text = f"near({self.near_within}): " + ", ".join(self.near_terms)
        if self.exclude:
            text += " (exclude: " + ", ".join(self.exclude) + ")"
        if self.speakers != DEFAULT_SPEAKERS:
            text += " (speakers: " + ", ".join(self.speakers) + ")"
        return text


@dataclass(frozen=True)
class Code:
    id: str
    name: str
    codebook_id: str
    parent_id: str | None = None
    codable: bool = True
    description: str = ""
    definition: str = ""
    use_when: str = ""
    do_not_use_when: str = ""
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    color: str | None = None
    memo: str = ""
    rules: tuple[Rule, ...] = ()
    children_ids: tuple[str, ...] = ()
    depth: int = 0
    location: Location = field(default_factory=lambda: Location(""))


@dataclass(frozen=True)
class CodebookInfo:
    """The `codebook:` header of one file."""

    id: str
    title: str = ""
    version: str = ""
    description: str = ""
    path: str = ""


@dataclass(frozen=True)
class Codebook:
    """All loaded codebook files as one tree; `codes` are in file order, depth-first (pre-order)."""

    books: tuple[CodebookInfo, ...]
    codes: tuple[Code, ...]

    def __post_init__(self) -> None:
        # First definition wins; duplicates are reported by `qualcode check`.
        index: dict[str, Code] = {}
        for code in self.codes:
            index.setdefault(code.id, code)
        object.__setattr__(self, "_index", index)

    @property
    def by_id(self) -> dict[str, Code]:
        """Every code by its id (the first definition of an id that is defined twice)."""
        return self._index  # type: ignore[attr-defined,no-any-return]

    def __contains__(self, code_id: object) -> bool:
        return code_id in self.by_id

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, code_id: str) -> Code:
        return self.get(code_id)

    def __repr__(self) -> str:  # the generated one prints every code: pages in a notebook
        titles = ", ".join(f"{b.id} {b.version}" for b in self.books)
        return f"<Codebook {titles}: {len(self.codes)} codes>"

    def get(self, code_id: str) -> Code:
        """The code with this id; an unknown id is a KeyError that suggests the nearest."""
        try:
            return self.by_id[code_id]
        except KeyError:
            from qualcode.diagnostics import did_you_mean

            raise KeyError(f"no code {code_id!r}{did_you_mean(code_id, self.by_id)}") from None

    def roots(self) -> list[Code]:
        """The top-level codes, in file order."""
        return [c for c in self.codes if c.parent_id is None]

    def children(self, code_id: str) -> list[Code]:
        """The direct children of a code, in file order."""
        return [self.by_id[c] for c in self.by_id[code_id].children_ids if c in self.by_id]

    def descendants(self, code_id: str) -> Iterator[Code]:
        """Children, grandchildren...: depth-first, in file order."""
        for child in self.children(code_id):
            yield child
            yield from self.descendants(child.id)

    def ancestors(self, code_id: str) -> list[Code]:
        """From the parent up to the root."""
        chain = []
        parent = self.by_id[code_id].parent_id
        while parent is not None and parent in self.by_id:
            chain.append(self.by_id[parent])
            parent = self.by_id[parent].parent_id
        return chain

    def path_of(self, code_id: str) -> str:
        """`roles/convener`: the id path from the root, for exports that flatten the tree."""
        return "/".join([c.id for c in reversed(self.ancestors(code_id))] + [code_id])

    @property
    def rules(self) -> list[Rule]:
        """Every automatic-coding rule, in code order."""
        return [rule for code in self.codes for rule in code.rules]

    @property
    def codable(self) -> list[Code]:
        """The codes a segment can be coded with (`codable: false` groups are left out)."""
        return [c for c in self.codes if c.codable]

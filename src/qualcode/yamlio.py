"""Safe YAML loading that remembers where every value came from.

PyYAML's `safe_load` loses positions and silently keeps the last of two duplicate keys; both matter to
a researcher whose codebook lives in git. So we compose the node graph with the safe (C when available)
loader, then build plain dicts and lists ourselves:

- `YamlMap` / `YamlSeq` are dict / list subclasses carrying 1-based (line, column) of keys and values;
- duplicate keys are collected, not silently dropped;
- aliases are expanded with a budget, so a "billion laughs" file is refused before it explodes;
- nesting depth is capped; `!!python/...` and other non-standard tags are refused (never constructed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qualcode.errors import YamlError

try:  # libyaml is ~10x faster; fall back to the pure-Python loader where the wheel lacks it.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

MAX_DEPTH = 64
MAX_NODES = 200_000

Pos = tuple[int, int]

_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}


class YamlMap(dict):  # type: ignore[type-arg]
    """A mapping that knows the position of itself, its keys and its values."""

    pos: Pos
    key_pos: dict[str, Pos]
    value_pos: dict[str, Pos]


class YamlSeq(list):  # type: ignore[type-arg]
    """A sequence that knows the position of itself and of each item."""

    pos: Pos
    item_pos: list[Pos]


@dataclass(frozen=True)
class DuplicateKey:
    key: str
    pos: Pos
    first_pos: Pos


@dataclass
class LoadedYaml:
    """The document (None for an empty file) and the duplicate keys found on the way."""

    data: Any
    duplicates: list[DuplicateKey] = field(default_factory=list)


def _pos(node: yaml.Node) -> Pos:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


_TAB_HINT = "YAML does not allow tabs for indentation: indent with spaces"
# a single-quoted text closed by a letter's apostrophe: 'l'économie', 'don't'
_APOSTROPHE_IN_QUOTES = re.compile(r"(?:^|[\s\[,:])'[^'\n]*\w'\w")


def _line_of(text: str, index: int) -> str:
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    return text[start : end if end >= 0 else len(text)]


def _syntax_error(exc: yaml.MarkedYAMLError, text: str, path: str | Path) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if "maximum nesting depth" in str(problem):
        # libyaml 0.2.6 (PyYAML 6.0.3+) stops at 1,000 flow levels while it scans ahead of
        # the event walk in _check_depth: the same refusal, so the same message.
        return _too_deep(path, mark)
    at_tab = mark is not None and text[mark.index : mark.index + 1] == "\t"
    if at_tab or "'\\t'" in str(problem):
        hint = _TAB_HINT
    elif any(
        p in str(problem)
        for p in ("expected key", "mapping values are not allowed", "expected '-' indicator")
    ):
        # what a line indented one step too far or too little does to YAML
        hint = (
            "check the indentation there against the lines above: keys of one mapping line up "
            "exactly, and a list item's keys line up under the first one after its '- '"
        )
    elif mark is not None and _APOSTROPHE_IN_QUOTES.search(_line_of(text, mark.index)):
        # `['l'économie']`: the apostrophe closed the single-quoted string
        hint = (
            "an apostrophe inside single quotes ends the text: double it ('l''économie') or use "
            'double quotes ("l\'économie")'
        )
    else:
        hint = "fix the YAML syntax there"
    if mark is None:
        return YamlError(f"invalid YAML: {problem}", path=path, hint=hint)
    return YamlError(
        f"invalid YAML: {problem}",
        path=path,
        line=mark.line + 1,
        column=mark.column + 1,
        hint=hint,
    )


def _too_deep(path: str | Path, mark: Any = None) -> YamlError:
    return YamlError(
        f"nested too deeply (more than {MAX_DEPTH} levels)",
        path=path,
        line=None if mark is None else mark.line + 1,
        column=None if mark is None else mark.column + 1,
        hint="flatten the structure",
    )


def _check_depth(text: str, path: str | Path) -> None:
    """Refuse deep nesting before composing: libyaml's composer recurses in C and would crash.

    The event parser keeps its own stack, so walking the events is safe at any depth.
    """
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(path, event.start_mark)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def load_yaml(text: str, path: str | Path) -> LoadedYaml:
    """Parse one YAML document from `text`; `path` is only used in messages."""
    try:
        _check_depth(text, path)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, path) from exc
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", path=path) from exc
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, text, path) from exc
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {exc}", path=path) from exc
    except RecursionError as exc:
        raise _too_deep(path) from exc
    finally:
        loader.dispose()
    if node is None:
        return LoadedYaml(None)
    builder = _Builder(path)
    return LoadedYaml(builder.build(node, 0), builder.duplicates)


class _Builder:
    """Turns a composed node graph into YamlMap/YamlSeq/scalars, within depth and size budgets."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.nodes = 0
        self.duplicates: list[DuplicateKey] = []
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            line, col = _pos(node)
            raise YamlError(
                f"document expands to more than {MAX_NODES:,} values "
                "(an alias bomb, or far too large for a qualcode file)",
                path=self.path,
                line=line,
                column=col,
                hint="remove the YAML aliases (*name) that repeat large structures",
            )
        if depth > MAX_DEPTH:
            line, col = _pos(node)
            raise YamlError(
                f"nested too deeply (more than {MAX_DEPTH} levels)",
                path=self.path,
                line=line,
                column=col,
                hint="flatten the structure",
            )
        if node.tag not in _SAFE_TAGS:
            line, col = _pos(node)
            raise YamlError(
                f"tag {node.tag!r} is not allowed",
                path=self.path,
                line=line,
                column=col,
                hint="qualcode files hold plain data: remove the tag (it is never executed)",
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            seq = YamlSeq()
            seq.pos = _pos(node)
            seq.item_pos = []
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.item_pos.append(_pos(item))
            return seq
        try:
            return self._scalars.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            line, col = _pos(node)
            raise YamlError(f"bad value: {exc}", path=self.path, line=line, column=col) from exc

    def _mapping(self, node: yaml.MappingNode, depth: int) -> YamlMap:
        mapping = YamlMap()
        mapping.pos = _pos(node)
        mapping.key_pos = {}
        mapping.value_pos = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                line, col = _pos(key_node)
                raise YamlError(
                    "merge keys (<<) are not supported",
                    path=self.path,
                    line=line,
                    column=col,
                    hint="write the keys out",
                )
            key = self.build(key_node, depth + 1)
            if isinstance(key, (dict, list)):
                line, col = _pos(key_node)
                raise YamlError("a mapping key must be a plain value", path=self.path, line=line)
            key = str(key) if not isinstance(key, str) else key
            if key in mapping:
                self.duplicates.append(DuplicateKey(key, _pos(key_node), mapping.key_pos[key]))
                continue
            mapping[key] = self.build(value_node, depth + 1)
            mapping.key_pos[key] = _pos(key_node)
            mapping.value_pos[key] = _pos(value_node)
        return mapping


def position_of(container: Any, key: str | int | None = None) -> Pos | None:
    """Position of `container[key]` (or of the container itself) if it was loaded from YAML."""
    if key is None:
        return getattr(container, "pos", None)
    if isinstance(container, YamlMap) and isinstance(key, str):
        return container.value_pos.get(key) or container.pos
    if isinstance(container, YamlSeq) and isinstance(key, int) and key < len(container.item_pos):
        return container.item_pos[key]
    return getattr(container, "pos", None)


def key_position(container: Any, key: str) -> Pos | None:
    """Position of the key itself (where an 'unknown key' message should point)."""
    if isinstance(container, YamlMap):
        return container.key_pos.get(key) or container.pos
    return getattr(container, "pos", None)

"""Ideas: named groups of aliases (queries) with exclusions, from the command line or a YAML file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from policypulse.errors import QuerySyntaxError, UsageError
from policypulse.query.parser import And, Node, Not, Or, parse


@dataclass(frozen=True)
class Idea:
    """A named idea: a document counts when it matches any alias and no exclusion."""

    name: str
    aliases: tuple[str, ...]
    exclude: tuple[str, ...] = field(default=())

    @property
    def query(self) -> Node:
        """The idea as one AST: (alias OR alias ...) AND NOT (exclusion OR ...)."""
        alias_nodes = [parse(a) for a in self.aliases]
        node: Node = alias_nodes[0] if len(alias_nodes) == 1 else Or(tuple(alias_nodes))
        if self.exclude:
            ex = [parse(e) for e in self.exclude]
            node = And((node, Not(ex[0] if len(ex) == 1 else Or(tuple(ex)))))
        return node

    def to_dict(self) -> dict[str, object]:
        """As written in an ideas file."""
        return {"name": self.name, "aliases": list(self.aliases), "exclude": list(self.exclude)}


def idea_from_query(query: str) -> Idea:
    """An IDEA given on the command line: its own single alias, named by itself."""
    idea = Idea(query.strip(), (query,))
    idea.query  # parse now so that syntax errors surface before any work
    return idea


def load_ideas(path: str | Path) -> list[Idea]:
    """Read an ideas file: ``ideas: [{name, aliases: [...], exclude: [...]}]``."""
    p = Path(path)
    try:
        body = yaml.safe_load(p.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise UsageError(f"{p}: cannot read ideas file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
    items = body.get("ideas") if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        raise UsageError(f"{p}: expected 'ideas:' followed by a list of ideas")
    ideas: list[Idea] = []
    names: set[str] = set()
    for i, item in enumerate(items, 1):
        if isinstance(item, str):
            item = {"name": item, "aliases": [item]}
        if not isinstance(item, dict) or "name" not in item:
            raise UsageError(f"{p}: idea {i} needs a 'name'")
        name = str(item["name"])
        aliases = item.get("aliases") or [name]
        exclude = item.get("exclude") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        if isinstance(exclude, str):
            exclude = [exclude]
        if name in names:
            raise UsageError(f"{p}: idea {name!r} is named twice")
        names.add(name)
        idea = Idea(name, tuple(str(a) for a in aliases), tuple(str(e) for e in exclude))
        try:
            idea.query
        except QuerySyntaxError as exc:
            raise UsageError(f"{p}: idea {name!r}: {exc}") from None
        ideas.append(idea)
    return ideas


def resolve_ideas(queries: list[str] | None, ideas_file: str | Path | None) -> list[Idea]:
    """Ideas from command-line queries and/or an ideas file, in that order."""
    ideas = [idea_from_query(q) for q in (queries or [])]
    if ideas_file:
        ideas.extend(load_ideas(ideas_file))
    if not ideas:
        raise UsageError("name at least one IDEA or give --ideas FILE.yaml")
    return ideas

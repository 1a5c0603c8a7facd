"""The TorchLeet problem set: ids, titles, difficulty tiers and where each notebook lives."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

import yaml

CATALOG_PATH = Path(__file__).with_name("catalog.yaml")
TIERS = ("basic", "easy", "medium", "hard", "expert")
# Where TorchLeet keeps its problem notebooks; `question` paths are relative to it.
TORCHLEET_BLOB = "https://github.com/Exorust/TorchLeet/blob/main/"


@dataclass(frozen=True)
class Problem:
    id: str
    title: str
    difficulty: str
    question: str | None = None

    @property
    def url(self) -> str | None:
        return TORCHLEET_BLOB + self.question if self.question else None


@dataclass(frozen=True)
class Catalog:
    problems: dict[str, Problem]

    def suggest(self, problem_id: str) -> str:
        """What to tell someone who named an id the catalog lacks: the closest ids, if any."""
        close = difflib.get_close_matches(problem_id, self.problems, n=3, cutoff=0.5)
        return f"did you mean {', '.join(close)}?" if close else "see torchleet_journal/model/catalog.yaml for ids"

    def in_tier(self, tier: str) -> list[Problem]:
        return [p for p in self.problems.values() if p.difficulty == tier]


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    problems = {}
    for item in data["problems"]:
        problem = Problem(item["id"], item["title"], item["difficulty"], item.get("question"))
        problems[problem.id] = problem
    return Catalog(problems)

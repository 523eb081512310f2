"""The domain modules' part of the demo army, loaded after the core demo (units, catalog, values).

Each module ships `haucan/demo/<name>.py` with `load(ctx: DemoContext) -> None` and, when it needs
people beyond the five personas, `EXTRA_PERSONAS: list[Persona]` (created by its `load`, printed by
`haucan demo`). Modules load in the order below: the domain modules first, since their postings and
registries raise domain alerts and feed report values, then the alert rules and their first run.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from types import ModuleType
from typing import Any

from haucan.core.scope import Scope

MODULES = ["petroleum", "barracks", "medical", "alerts_demo"]


@dataclass
class DemoContext:
    scope: Scope
    today: date
    seed: int
    months: int
    say: Callable[[str], None]

    def rng(self, name: str) -> random.Random:
        """A generator of the module's own, so adding one module never changes another's data."""
        return random.Random(f"{self.seed}:{name}")


def _present() -> list[ModuleType]:
    found = []
    for name in MODULES:
        qualified = f"haucan.demo.{name}"
        if importlib.util.find_spec(qualified) is not None:
            found.append(importlib.import_module(qualified))
    return found


def load_all(ctx: DemoContext) -> None:
    for module in _present():
        module.load(ctx)
        ctx.say(f"{module.__name__.rsplit('.', 1)[-1]} demo data")


def extra_personas() -> list[Any]:
    personas: list[Any] = []
    for module in _present():
        personas += getattr(module, "EXTRA_PERSONAS", [])
    return personas

"""The layout's rules, as import-linter contracts (pyproject.toml, [tool.importlinter]).

The first test checks the project as it is. The others plant one violation each in a copy of the
project and check that the contracts catch it and name the offending import, so a contract that
stopped biting (a typo in a module name, a rule loosened by accident) fails here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "storage", "cases")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH puts this copy's packages ahead of the installed (editable) ones.
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(project / "pyproject.toml")],
                          cwd=project, env=env, capture_output=True, text=True, timeout=120)  # fmt: skip


def test_the_project_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    # Every contract ran: none silently skipped because of a misspelt module.
    assert result.stdout.count(" KEPT") == 7, result.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "locale", "data"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(project: Path, module: str, line: str) -> None:
    """Add an import at the top of a module (after its docstring and `from __future__`)."""
    path = project / (module.replace(".", "/") + ".py")
    if not path.exists():
        path.write_text(f'"""A module that should not be here."""\n\n{line}\n')
        return
    source = path.read_text()
    anchor = "from __future__ import annotations\n"
    assert anchor in source, path
    path.write_text(source.replace(anchor, f"{anchor}\n{line}\n", 1))


VIOLATIONS = [
    pytest.param("handlers.core.events", "import telegram", "No Telegram framework", "handlers.core.events -> telegram",
                 id="framework-in-handlers"),
    pytest.param("storage.repo", "import aiogram", "No Telegram framework", "storage.repo -> aiogram",
                 id="framework-in-storage"),
    pytest.param("bot.dispatcher", "from telegram import InputFile", "Only bot.telegram imports", "bot.dispatcher -> telegram",
                 id="framework-outside-the-seam"),
    pytest.param("handlers.citizen.menu", "from handlers.whistleblower import channel", "Conversations by audience",
                 "handlers.citizen.menu -> handlers.whistleblower.channel", id="audience-imports-audience"),
    pytest.param("handlers.core.text", "from handlers.casework import keyboards", "Conversations by audience",
                 "handlers.core.text -> handlers.casework.keyboards", id="core-imports-casework"),
    pytest.param("handlers.casework.cards", "from handlers.staff import admin", "Conversations by audience",
                 "handlers.casework.cards -> handlers.staff.admin", id="casework-imports-staff"),
    pytest.param("storage.cases", "from handlers.core.text import esc", "Layers: bot -> handlers", "storage.cases -> handlers.core.text",
                 id="storage-imports-handlers"),
    pytest.param("cases.workflow", "from storage import models", "Layers: bot -> handlers", "cases.workflow -> storage.models",
                 id="rules-import-storage"),
    pytest.param("handlers.citizen.lapor", "from sqlalchemy import select", "Queries live in storage/",
                 "handlers.citizen.lapor -> sqlalchemy", id="sql-in-a-conversation"),
    pytest.param("handlers.stray", "from handlers.core import text", "Conversations by audience", "handlers.stray",
                 id="module-outside-the-layout"),
]


@pytest.mark.parametrize(("module", "line", "contract", "named"), VIOLATIONS)
def test_a_violation_breaks_its_contract_and_names_the_import(copy: Path, module: str, line: str, contract: str, named: str) -> None:
    assert lint_imports(copy).returncode == 0  # the copy is clean before the plant
    plant(copy, module, line)
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Broken contracts" in result.stdout, result.stdout
    report = result.stdout.split("Broken contracts", 1)[1]
    assert contract in report, result.stdout
    assert named in report, result.stdout


@pytest.mark.parametrize(("importer", "imported"), [
    ("handlers.casework.cards", "from handlers.casework import facts"),  # facts already imports cards
    ("bot.outbox", "from bot import processor"),  # processor already imports outbox
    ("handlers.core.events", "from handlers.core import questions"),  # a longer circle: questions -> context -> events
])  # fmt: skip
def test_an_import_cycle_is_caught(copy: Path, importer: str, imported: str) -> None:
    plant(copy, importer, imported)
    result = lint_imports(copy)
    assert result.returncode == 1, result.stdout
    assert "No import cycles, at any depth BROKEN" in " ".join(result.stdout.split()), result.stdout

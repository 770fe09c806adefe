"""The README's security section shows the attack catalogue exactly as the tests run it."""

from __future__ import annotations

from pathlib import Path

from tests.support.attacks import markdown_table

README = Path(__file__).resolve().parents[3] / "README.md"


def between(text: str, name: str) -> str:
    start, end = f"<!-- {name}:start -->\n", f"\n<!-- {name}:end -->"
    return text[text.index(start) + len(start) : text.index(end)]


def test_the_readme_shows_the_attack_catalogue() -> None:
    assert between(README.read_text(encoding="utf-8"), "attack-catalogue") == markdown_table()


def test_the_readme_quotes_the_security_figures() -> None:
    figures = between(README.read_text(encoding="utf-8"), "security-figures")
    for what in ("POST /token", "jwt-session", "proxied", "restart", "doctor", "secret scan"):
        assert what in figures

"""The lock files pin everything pyproject.toml declares (`make lock` re-makes them).

requirements.lock is the site's (the Dockerfile's); requirements-dev.lock is the same pins plus
the dev extra (what `make` installs). A dependency added to or re-ranged in pyproject.toml without
re-locking fails here instead of going unnoticed: the installs use --no-deps for the project.
The s3 extra is deliberately left out of both (installed from its range).
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _declared(*groups: str) -> list[Requirement]:
    project = _pyproject()["project"]
    requirements = [Requirement(text) for text in project["dependencies"]]
    for group in groups:
        requirements += [Requirement(text) for text in project["optional-dependencies"][group]]
    return [req for req in requirements if req.marker is None or req.marker.evaluate()]


def _build_requires() -> list[Requirement]:
    return [Requirement(text) for text in _pyproject()["build-system"]["requires"]]


def _pins(path: Path) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes) for every requirement in a pip-compile lock."""
    pins: dict[str, tuple[Version, int]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = _PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            assert current not in pins, f"{path.name}: {current} pinned twice"
            pins[current] = (Version(match[2]), 0)
        elif line.strip().startswith("--hash=") and current is not None:
            version, hashes = pins[current]
            pins[current] = (version, hashes + line.count("--hash="))
        elif line and not line[0].isspace() and not line.startswith("#"):
            assert line.startswith("-"), f"{path.name}: not a pin: {line!r}"
            current = None
    return pins


def _unpinned(requirements: list[Requirement], pins: dict[str, tuple[Version, int]]) -> list[str]:
    """The requirements the lock lacks, or pins at a version outside the declared range."""
    problems = []
    for req in requirements:
        pinned = pins.get(canonicalize_name(req.name))
        if pinned is None:
            problems.append(f"{req.name}: not in the lock")
        elif not req.specifier.contains(pinned[0], prereleases=True):
            problems.append(f"{req.name}: locked {pinned[0]}, pyproject.toml says {req.specifier}")
    return problems


@pytest.mark.parametrize(
    ("lock", "groups"), [(LOCK, ()), (DEV_LOCK, ("dev",))], ids=["runtime", "dev"]
)
def test_lock_pins_every_declared_dependency_within_its_range(lock, groups):
    pins = _pins(lock)
    assert _unpinned(_declared(*groups), pins) == [], f"run `make lock`: {lock.name} is stale"
    # The project installs with --no-build-isolation: its build backend comes from the lock too.
    assert _unpinned(_build_requires(), pins) == [], f"run `make lock`: {lock.name} is stale"


@pytest.mark.parametrize("lock", [LOCK, DEV_LOCK], ids=["runtime", "dev"])
def test_every_pin_has_a_hash(lock):
    pins = _pins(lock)
    assert len(pins) > 20
    assert [name for name, (_, hashes) in pins.items() if hashes == 0] == []


def test_dev_lock_has_the_runtime_pins():
    """The tests run against exactly the versions the image installs."""
    runtime = {name: version for name, (version, _) in _pins(LOCK).items()}
    dev = {name: version for name, (version, _) in _pins(DEV_LOCK).items()}
    assert {
        name: (version, dev.get(name))
        for name, version in runtime.items()
        if dev.get(name) != version
    } == {}


def test_the_parser_sees_a_stale_lock(tmp_path):
    stale = tmp_path / "stale.lock"
    stale.write_text(
        "#\n# header\n#\ndjango==5.1.4 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        "    # via dvc-portal (pyproject.toml)\nrequests==2.32.3\n"
    )
    pins = _pins(stale)
    assert pins == {"django": (Version("5.1.4"), 2), "requests": (Version("2.32.3"), 0)}
    problems = _unpinned([Requirement("Django>=5.2,<5.3"), Requirement("weasyprint>=70")], pins)
    assert problems == [
        "Django: locked 5.1.4, pyproject.toml says <5.3,>=5.2",
        "weasyprint: not in the lock",
    ]

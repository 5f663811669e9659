"""Working copies of the lessons (labkit.copies, ``labkit lessons``), from a checkout and from an installed wheel."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from labkit import copies

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A lesson and a manifest of the test's own, standing for the committed ones."""
    lessons = tmp_path / "shipped"
    (lessons / "manifests").mkdir(parents=True)
    (lessons / "00_a.ipynb").write_text("lesson v1")
    (lessons / "manifests" / "ns.yaml").write_text("kind: Namespace")
    monkeypatch.setattr(copies, "LESSONS_DIR", lessons)
    monkeypatch.setattr(copies, "MANIFEST_DIR", lessons / "manifests")
    return lessons


def actions(outcomes):
    return {o.name: o.action for o in outcomes}


def test_missing_copies_are_made_with_the_manifests_beside_them(tmp_path):
    folder = tmp_path / "my-lessons"
    assert set(actions(copies.make_copies(folder)).values()) == {"created"}
    for name in [p.name for p in (ROOT / "notebooks").glob("*.ipynb")]:
        assert (folder / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
    for name in [p.name for p in (ROOT / "manifests").glob("*.yaml")]:
        assert (folder / "manifests" / name).read_bytes() == (ROOT / "manifests" / name).read_bytes()


def test_your_work_stays_while_the_lesson_is_unchanged(shipped, tmp_path):
    folder = tmp_path / "mine"
    copies.make_copies(folder)
    (folder / "00_a.ipynb").write_text("lesson v1, run with my outputs")
    assert actions(copies.make_copies(folder, replace=lambda name: pytest.fail("asked"))) == {
        "00_a.ipynb": "unchanged", "manifests/ns.yaml": "unchanged"}
    assert (folder / "00_a.ipynb").read_text() == "lesson v1, run with my outputs"


def test_a_copy_you_never_changed_follows_a_changed_lesson(shipped, tmp_path):
    folder = tmp_path / "mine"
    copies.make_copies(folder)
    (shipped / "00_a.ipynb").write_text("lesson v2")
    assert actions(copies.make_copies(folder))["00_a.ipynb"] == "updated"
    assert (folder / "00_a.ipynb").read_text() == "lesson v2"


def test_a_copy_you_changed_of_a_changed_lesson_is_replaced_only_if_you_agree(shipped, tmp_path):
    folder = tmp_path / "mine"
    copies.make_copies(folder)
    (folder / "00_a.ipynb").write_text("my work")
    (shipped / "00_a.ipynb").write_text("lesson v2")
    asked = []
    assert actions(copies.make_copies(folder, replace=lambda name: asked.append(name) or False))["00_a.ipynb"] == "kept"
    assert (folder / "00_a.ipynb").read_text() == "my work"
    outcome = next(o for o in copies.make_copies(folder, replace=lambda name: asked.append(name) or True)
                   if o.name == "00_a.ipynb")
    assert asked == ["00_a.ipynb", "00_a.ipynb"], "a kept copy is asked about again"
    assert outcome.action == "replaced" and outcome.backup.read_text() == "my work"
    assert outcome.backup.name.startswith("00_a.mine-") and outcome.backup.suffix == ".ipynb"
    assert (folder / "00_a.ipynb").read_text() == "lesson v2"


def test_an_unreadable_record_loses_nothing(shipped, tmp_path):
    folder = tmp_path / "mine"
    copies.make_copies(folder)
    (folder / "00_a.ipynb").write_text("my work")
    (folder / copies.RECORD).write_text("{not json")
    assert actions(copies.make_copies(folder))["00_a.ipynb"] == "kept"
    assert (folder / "00_a.ipynb").read_text() == "my work"


def test_labkit_lessons_works_from_an_installed_wheel(tmp_path):
    """The wheel carries the lessons and manifests: ``labkit lessons`` and ``labkit manifest`` work without a checkout.

    The wheel is installed without its dependencies into a new venv that borrows them from this one (a .pth file),
    so that the test stays fast and offline but for pip's build requirements.
    """
    source = tmp_path / "source"  # a clean tree: pip builds in place
    for name in ("labkit", "notebooks", "manifests"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(source)], check=True)
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "--no-deps", *map(str, (tmp_path / "dist").glob("*.whl"))],
                   check=True)
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    lessons = tmp_path / "lessons"
    made = subprocess.run([target / "bin" / "labkit", "lessons", str(lessons)], capture_output=True, text=True, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for name in [p.name for p in (ROOT / "notebooks").glob("*.ipynb")]:
        assert (lessons / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
    for name in [p.name for p in (ROOT / "manifests").glob("*.yaml")]:
        assert (lessons / "manifests" / name).read_bytes() == (ROOT / "manifests" / name).read_bytes()
    where = subprocess.run([python, "-c", "import labkit.shipped as s; print(s.LESSONS_DIR)"], capture_output=True,
                           text=True, cwd=tmp_path, check=True).stdout.strip()
    assert Path(where).is_relative_to(site), "the wheel's own copy of the lessons"
    manifest = subprocess.run([target / "bin" / "labkit", "manifest", "namespace.yaml", "--lab-id", "wheel"],
                              capture_output=True, text=True, cwd=tmp_path)
    assert manifest.returncode == 0 and "labkit.io/lab: wheel" in manifest.stdout, manifest.stderr

"""coral_inference/dists.py: versions from .dist-info folder names and the plain-release specifier fast
path agree with importlib.metadata and packaging (which they stand in for at start-up)."""

import itertools
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as metadata_version

import pytest
from packaging.specifiers import SpecifierSet

from coral_inference import dists
from plugin_dists import write_dist

VERSIONS = ["4.5", "4.5.0", "4.12.0.88", "6", "6.0", "5.99", "4.4.9", "6.0.0rc1", "4.5.post1", "1!2.0",
            "5.0+local", "4.5.dev0"]
SPECS = [">=4.5,<6", "==4.5", "!=4.5", ">4.5", "<=6", "<6", ">=4.5.0.0", "~=4.5", "==4.*", "", " >= 4.5 , < 6 "]


@pytest.mark.parametrize("found,spec", list(itertools.product(VERSIONS, SPECS)))
def test_satisfies_agrees_with_packaging(found, spec):
    assert dists.satisfies(found, spec) == (found in SpecifierSet(spec, prereleases=True))


@pytest.mark.parametrize("name", ["numpy", "hydra-core", "omegaconf", "ai-edge-litert", "coral_inference",
                                  "PyYAML", "tflite-runtime", "no-such-dist-xyz"])
def test_version_agrees_with_importlib_metadata(name):
    try:
        expected = metadata_version(name)
    except PackageNotFoundError:
        expected = None
    assert dists.version(name) == expected


def test_version_takes_the_first_on_sys_path_and_asks_the_metadata_for_an_egg_info(tmp_path, monkeypatch):
    write_dist(tmp_path / "a", "coral-test-first", "2.0", {}, {})
    write_dist(tmp_path / "b", "coral-test-first", "1.0", {}, {})
    egg = tmp_path / "c" / "coral_test_egg.egg-info"
    egg.mkdir(parents=True)
    (egg / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: coral-test-egg\nVersion: 3.1\n")
    for folder in ("c", "b", "a"):
        monkeypatch.syspath_prepend(str(tmp_path / folder))
    assert dists.version("coral_test_first") == "2.0"
    assert dists.version("coral-test-egg") == "3.1"

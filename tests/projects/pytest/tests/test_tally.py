import sys

from tally import tally


def test_counts():
    assert tally(["a", "b", "a"]) == {"a": 2, "b": 1}


def test_runs_in_the_venv():
    assert sys.prefix != sys.base_prefix

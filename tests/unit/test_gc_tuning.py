"""The serving process's collector: start-up objects frozen, the young threshold raised."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from availability_service.config import Settings
from availability_service.gc_tuning import tune_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_tuning_freezes_the_startup_objects_and_raises_the_young_threshold() -> None:
    gc.unfreeze()
    _, older, oldest = gc.get_threshold()
    tune_collector(25_000)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (25_000, older, oldest)


@pytest.mark.usefixtures("restored_collector")
def test_a_zero_threshold_leaves_the_interpreter_defaults() -> None:
    gc.unfreeze()
    before = gc.get_threshold()
    tune_collector(0)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


def test_the_threshold_is_a_setting_with_its_environment_twin(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().gc_gen0_threshold == 20_000
    monkeypatch.setenv("AVAILABILITY_GC_GEN0_THRESHOLD", "0")
    assert Settings.from_env().gc_gen0_threshold == 0

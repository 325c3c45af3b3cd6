"""The server freezes its start-up objects out of the garbage collector's walks."""

from __future__ import annotations

import gc

from availability_service.serving import freeze_startup_objects


def test_freezing_moves_every_object_alive_at_start_up_out_of_the_collectors_walks() -> None:
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() > 0
        assert gc.get_count()[2] == 0  # the oldest generation is empty: nothing to walk
    finally:
        gc.unfreeze()

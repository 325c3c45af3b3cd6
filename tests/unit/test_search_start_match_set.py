"""A standing search's match set, shared at its start with the searches of equal criteria:
each stream's own changes stay its own."""

from __future__ import annotations

from availability_service.watch.search_start import MatchSet


def test_streams_sharing_a_starting_set_each_keep_their_own_entries_and_exits() -> None:
    shared = frozenset({1, 2, 3})
    one, other = MatchSet(shared, {3, 9}), MatchSet(shared, set())
    one.discard(2)
    one.add(7)
    other.discard(9)  # never inside: nothing to undo
    assert [x in one for x in (1, 2, 3, 7, 9)] == [True, False, True, True, True]
    assert [x in other for x in (1, 2, 3, 7, 9)] == [True, True, True, False, False]
    one.add(2)
    one.discard(9)
    assert (2 in one, 9 in one, len(one), len(other)) == (True, False, 4, 3)
    assert shared == frozenset({1, 2, 3})

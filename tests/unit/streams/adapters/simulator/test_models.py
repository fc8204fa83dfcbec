"""The queue models refuse impossible values."""

from __future__ import annotations

import pytest

from streams.adapters.simulator import QueueModel


@pytest.mark.parametrize("kwargs", [{"arrivals_per_min": -1, "agents": 1},
                                    {"arrivals_per_min": 1, "agents": 1, "mean_talk_s": 0}])
def test_invalid_models_are_rejected(kwargs):
    with pytest.raises(ValueError, match="queue q"):
        QueueModel("q", **kwargs)

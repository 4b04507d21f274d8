"""The default reviewer with the embedded model (opt-in: ``--runslow``; minutes on a CPU)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from proctor.llm import LOCAL_MODEL, LLMSettings
from proctor.review import ReviewForm, ReviewSettings, review_paper
from proctor.settings import Settings

PAPER = """Warm Restarts for Linear Probes

Abstract. We restart the learning rate of a linear probe trained on frozen ResNet-18 features
every 10 epochs. On CIFAR-10 the probe reaches 91.2% test accuracy against 90.8% for a cosine
schedule, averaged over 3 seeds. We discuss why restarts may help escape flat regions.

1 Method. A logistic-regression head is trained with SGD (lr 0.1, momentum 0.9, batch 256).
2 Results. Table 1 reports accuracy; the gain is 0.4 points with a standard deviation of 0.3.
3 Limitations. One data set, one backbone; no tuning of the baseline schedule.
"""


@pytest.mark.slow
def test_embedded_model_reviews_a_short_paper(tmp_path: Path) -> None:
    settings = Settings(llm=LLMSettings(reviewer=LOCAL_MODEL))
    review = ReviewSettings(num_reflections=1)  # one draft and one reflection round
    result = anyio.run(lambda: review_paper(PAPER, settings, out_dir=tmp_path, review=review))
    assert isinstance(result.review, ReviewForm) and result.model == LOCAL_MODEL
    assert 1 <= result.calls <= 1 + review.num_reflections
    assert result.review.decision == ("Accept" if result.review.overall >= 6 else "Reject")
    assert (tmp_path / "review.json").is_file() and (tmp_path / "review.md").is_file()
    print(f"\n{result.seconds:.0f} s, {result.calls} calls\n{result.to_markdown()}")

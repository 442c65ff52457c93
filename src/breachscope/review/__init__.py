"""Review: the reviewers' corrections (``decisions``), re-applied after every resolution, and
quality control by sampling (``qc``). See docs/review.md."""

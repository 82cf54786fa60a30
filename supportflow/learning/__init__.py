"""Learning from hand-offs: the articles agents confirm become retrieval's learned examples."""

from __future__ import annotations

from supportflow.learning.examples import LearnedExamples, ListedExample
from supportflow.learning.notifier import LearningNotifier

__all__ = ["LearnedExamples", "LearningNotifier", "ListedExample"]

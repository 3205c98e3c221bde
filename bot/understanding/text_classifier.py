"""A small text classifier trained from our own labelled examples over character n-grams
(scikit-learn). Character n-grams work across scripts, spellings without diacritics and mixed
languages, and train in seconds, so every process builds it at start-up from data/.

Naive Bayes by default; with `class_weight` ("balanced", or a weight per label) logistic
regression, for labels whose examples are few beside a large ordinary one (bot.understanding.vulnerability)."""

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline


class TextClassifier:
    def __init__(
        self,
        examples: Mapping[str, Sequence[str]],
        ngrams: tuple[int, int] = (1, 4),
        class_weight: str | Mapping[str, float] | None = None,
    ) -> None:
        texts = [text for label in sorted(examples) for text in examples[label]]
        labels = [label for label in sorted(examples) for _ in examples[label]]
        estimator = (
            MultinomialNB(alpha=0.01)
            if class_weight is None
            else LogisticRegression(C=10, class_weight=class_weight, max_iter=3000)
        )
        self._model = make_pipeline(
            TfidfVectorizer(analyzer="char_wb", ngram_range=ngrams, sublinear_tf=True), estimator
        )
        self._model.fit(texts, labels)
        self.labels = sorted(examples)

    def probabilities(self, text: str) -> dict[str, float]:
        [row] = self._model.predict_proba([text])
        return dict(zip(self._model.classes_, (float(p) for p in row), strict=True))


def labelled_examples(folder: Path) -> dict[str, list[str]]:
    """Examples per label from every `<lang>.yml` in a folder (`label: [texts]`), all languages together."""
    examples: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for label, texts in data.items():
            if label != "language" and isinstance(texts, list):
                examples.setdefault(label, []).extend(str(t) for t in texts)
    return examples

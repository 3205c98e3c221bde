"""Intent classification with a linear support vector machine over the pipeline's features
(Rasa 3.6): TF-IDF weighted n-gram counts beside a sentence embedding.

Why not DIET: on the same features and data, a linear SVM over their TF-IDF weights recognised
more of the held-out messages of the eleven languages (README, "Understanding"), as it usually
does for short texts with a few hundred examples an intent, and it trains in seconds, always
to the same model.

The SVM's scores are margins, not probabilities. FallbackClassifier needs a confidence, so the
scores go through a softmax whose temperature is fitted on out-of-fold scores during training
(temperature scaling): a confidence of 0.6 then means right about 60% of the time.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

import numpy as np
import scipy.sparse
import skops.io
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

_MODEL_FILE = "model.skops"
_TEMPERATURE_FILE = "temperature.json"
_TRUSTED_TYPES = ["scipy.sparse._csr.csr_matrix"]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    """The likeliest intent of a message and a ranking with calibrated confidences."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 1.0,  # inverse regularisation strength of the SVM
            "folds": 5,  # for the out-of-fold scores the temperature is fitted on
            "random_seed": 1,
            # Sounds that say no more than a pause ("hmm", "umm", "うーん"): alone in a message
            # they are no intent at all, so "hmm" never agrees to a plan. Regular expressions,
            # matched against the whole message without punctuation, case folded.
            "sounds_without_meaning": [],
            RANKING_LENGTH: LABEL_RANKING_LENGTH,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Pipeline | None = None,
        temperature: float = 1.0,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._model = model
        self._temperature = temperature
        self._sounds = re.compile(
            "|".join(f"(?:{p})" for p in self._config["sounds_without_meaning"]) or "(?!)"
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    def _new_model(self, sparse_width: int, width: int) -> Pipeline:
        """TF-IDF weights for the counted n-grams; dense features (a sentence embedding) as they are."""
        counted = np.arange(width) < sparse_width
        return make_pipeline(
            ColumnTransformer(
                [("tfidf", TfidfTransformer(sublinear_tf=True), counted)],
                remainder="passthrough",
                sparse_threshold=1.0,
            ),
            LinearSVC(C=self._config["C"], random_state=self._config["random_seed"]),
        )

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and not _empty(e)]
        if not examples:
            self.persist()
            return self._resource
        features = _features(examples)
        sparse_width = examples[0].get_sparse_features(TEXT)[1].features.shape[1]
        intents = np.array([e.get(INTENT) for e in examples])
        folds = StratifiedKFold(self._config["folds"], shuffle=True, random_state=self._config["random_seed"])
        held_out_scores = cross_val_predict(
            self._new_model(sparse_width, features.shape[1]),
            features,
            intents,
            cv=folds,
            method="decision_function",
        )
        self._model = self._new_model(sparse_width, features.shape[1]).fit(features, intents)
        self._temperature = _fitted_temperature(
            held_out_scores, np.searchsorted(self._model.classes_, intents)
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None or not messages:
            return messages
        features = _features(messages, width=self._model.n_features_in_)
        confidences = softmax(self._model.decision_function(features) / self._temperature, axis=1)
        names = self._model.classes_
        # Nothing to read (a photo without a caption, a "hmm"): no intent stands out, so the
        # fallback answers.
        confidences[[_empty(m) or self._only_sounds(m) for m in messages]] = 1 / len(names)
        for message, row in zip(messages, confidences, strict=True):
            ranking = [{"name": str(names[i]), "confidence": float(row[i])} for i in np.argsort(-row)]
            message.set(INTENT, ranking[0], add_to_output=True)
            if self._config[RANKING_LENGTH] > 0:
                ranking = ranking[: self._config[RANKING_LENGTH]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def _only_sounds(self, message: Message) -> bool:
        said = "".join(
            c for c in (message.get(TEXT) or "").casefold() if c == " " or unicodedata.category(c)[0] in "LMN"
        )
        return bool(self._sounds.fullmatch(" ".join(said.split())))

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as folder:
            if self._model is None:  # no intent examples: an empty folder says so to load()
                return
            skops.io.dump(self._model, folder / _MODEL_FILE)
            (folder / _TEMPERATURE_FILE).write_text(json.dumps({"temperature": self._temperature}))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> LinearIntentClassifier:
        with model_storage.read_from(resource) as folder:
            if not (folder / _MODEL_FILE).exists():
                return cls(config, model_storage, resource)
            # Only scikit-learn's own types and the sparse matrix TF-IDF keeps its weights in;
            # a file holding anything else is refused, not executed.
            model = skops.io.load(folder / _MODEL_FILE, trusted=_TRUSTED_TYPES)
            temperature = json.loads((folder / _TEMPERATURE_FILE).read_text())["temperature"]
        return cls(config, model_storage, resource, model, temperature)


def _features(messages: list[Message], width: int | None = None) -> scipy.sparse.csr_matrix:
    """Each message's sentence-level features from the featurizers before this component. Some
    featurizers add nothing for an empty message (a photo with no caption), so it gets a row of
    zeros `width` wide."""
    rows = []
    for message in messages:
        if _empty(message):
            rows.append(scipy.sparse.csr_matrix((1, width)))
            continue
        sparse = message.get_sparse_features(TEXT)[1]
        dense = message.get_dense_features(TEXT)[1]
        parts = [scipy.sparse.csr_matrix(sparse.features)] if sparse else []
        parts += [scipy.sparse.csr_matrix(dense.features)] if dense else []
        rows.append(scipy.sparse.hstack(parts))
    return scipy.sparse.vstack(rows).tocsr()


def _empty(message: Message) -> bool:
    return not (message.get(TEXT) or "").strip()


def _fitted_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that makes softmax(scores / T) the likeliest account of the truth."""

    def negative_log_likelihood(log_temperature: float) -> float:
        log_p = log_softmax(scores / np.exp(log_temperature), axis=1)
        return -float(np.mean(log_p[np.arange(len(truth)), truth]))

    best = minimize_scalar(negative_log_likelihood, bounds=(-5.0, 3.0), method="bounded")
    return float(np.exp(best.x))

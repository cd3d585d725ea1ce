"""实干家助手: a cited, offline question-answering assistant for the 「实干家」 Opinion and its commentary."""

from .answering.answer import Answer, Citation, Draft, StreamEvent
from .answering.support import Grade, SupportFeatures, SupportRule
from .assistant import Assistant, SearchMatch
from .base.config import LLMConfig, Settings
from .base.errors import (
    AssistantError,
    ConfigError,
    CorpusError,
    EmbedderUnavailableError,
    IndexStoreError,
    OutputError,
    QuestionError,
    UnitNotFoundError,
)
from .question.normalize import Correction, NormalizedQuestion, Normalizer
from .question.query import QuestionKind
from .search.retrieve import Fusion
from .text.corpus import Corpus, Document, Sentence, Unit, load_corpus

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "ConfigError",
    "Corpus",
    "CorpusError",
    "Correction",
    "Document",
    "Draft",
    "EmbedderUnavailableError",
    "Fusion",
    "Grade",
    "IndexStoreError",
    "LLMConfig",
    "NormalizedQuestion",
    "Normalizer",
    "OutputError",
    "QuestionError",
    "QuestionKind",
    "SearchMatch",
    "Sentence",
    "Settings",
    "StreamEvent",
    "SupportFeatures",
    "SupportRule",
    "Unit",
    "UnitNotFoundError",
    "load_corpus",
]

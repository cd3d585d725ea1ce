"""实干家助手: a cited, offline question-answering assistant for the 「实干家」 Opinion and its commentary."""

from .answer import Answer, Citation, Draft, StreamEvent
from .assistant import Assistant, SearchMatch
from .config import LLMConfig, Settings
from .corpus import Corpus, Document, Sentence, Unit, load_corpus
from .errors import (
    AssistantError,
    ConfigError,
    CorpusError,
    EmbedderUnavailableError,
    IndexStoreError,
    OutputError,
    QuestionError,
    UnitNotFoundError,
)
from .normalize import Correction, NormalizedQuestion, Normalizer
from .query import QuestionKind
from .retrieve import Fusion
from .support import Grade, SupportFeatures, SupportRule

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

"""实干家助手: a cited, offline question-answering assistant for the 「实干家」 Opinion and its commentary."""

from .answer import Answer, Citation, RefusalRule, StreamEvent
from .assistant import Assistant, SearchMatch
from .config import LLMConfig, Settings
from .corpus import Corpus, Document, Sentence, Unit, load_corpus
from .errors import (
    AssistantError,
    CorpusError,
    EmbedderUnavailableError,
    IndexStoreError,
    QuestionError,
    UnitNotFoundError,
)
from .retrieve import Fusion

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "Citation",
    "Corpus",
    "CorpusError",
    "Document",
    "EmbedderUnavailableError",
    "Fusion",
    "IndexStoreError",
    "LLMConfig",
    "QuestionError",
    "RefusalRule",
    "SearchMatch",
    "Sentence",
    "Settings",
    "StreamEvent",
    "Unit",
    "UnitNotFoundError",
    "load_corpus",
]

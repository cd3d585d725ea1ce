"""The assistant's parts as LangChain objects (an embedder's own ``Embeddings`` is ``search.langchain_embeddings``,
reached by ``as_langchain()``).

- ``AssistantRetriever``: a ``BaseRetriever`` whose ``Document``s are the units the assistant ranks for a question
  (their best sentences, with document, article or paragraph, label, score and the answer's support).
- ``answer_chain``: a runnable from ``{"question": …, "history": […]}`` to the cited ``Answer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import BaseMessage
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from .answering.answer import Answer

__all__ = ["AssistantRetriever", "answer_chain", "user_questions"]


class AssistantRetriever(BaseRetriever):
    """The units the assistant ranks for a question, best first, as LangChain ``Document``s.

    ``page_content`` is the unit's ``sentences`` best sentences in reading order (the whole unit when it is shorter);
    ``metadata`` holds ``doc``, ``document`` (its short name), ``article``, ``paragraph``, ``label``, ``unit_id``,
    ``score`` and ``support`` (how fully the text answers the question: full, partial or none).

    Args:
        assistant: an ``Assistant`` (``Assistant.from_settings()``).
        k: how many units.
        sentences: how many sentences of each unit.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    k: int = 4
    sentences: int = 3

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        answer, evidence = self.assistant.answer_with_evidence(query)
        documents = []
        for hit in evidence.hits[: self.k]:
            unit = hit.unit
            chosen = sorted(hit.best_sentences(self.sentences))
            text = (
                "".join(unit.sentences[i].text for i in chosen) if len(unit.sentences) > self.sentences else unit.text
            )
            metadata = {
                "doc": unit.doc,
                "document": self.assistant.corpus.document_of(unit).short,
                "article": unit.article,
                "paragraph": unit.paragraph,
                "label": unit.label,
                "unit_id": unit.id,
                "score": round(float(hit.score), 4),
                "support": answer.support,
            }
            documents.append(Document(page_content=text, metadata=metadata))
        return documents


def user_questions(history: Sequence[Any]) -> list[str]:
    """The user's questions in a chat history: strings, LangChain messages (``human`` ones), ``(role, text)`` pairs
    or ``{"role": …, "content": …}`` dicts; other turns are left out."""
    turns = [_role_and_text(turn) for turn in history]
    return [text for role, text in turns if role in ("user", "human") and isinstance(text, str)]


def _role_and_text(turn: Any) -> tuple[Any, Any]:
    if isinstance(turn, str):
        return "user", turn
    if isinstance(turn, BaseMessage):
        return turn.type, turn.content
    if isinstance(turn, dict):
        return turn.get("role"), turn.get("content")
    if isinstance(turn, (tuple, list)) and len(turn) == 2:
        return turn[0], turn[1]
    return None, None


def answer_chain(assistant: Any) -> Runnable[Any, Answer]:
    """A runnable from ``{"question": …, "history": […]}`` (or a bare question string) to the cited ``Answer``.

    The history is the earlier turns in any form ``user_questions`` reads; they are asked again in turn, so a
    follow-up such as 那第十一条呢？ is read in their context.
    """

    def answer(inputs: Any) -> Answer:
        if isinstance(inputs, str):
            return assistant.ask(inputs)
        if not isinstance(inputs, dict) or not isinstance(inputs.get("question"), str):
            raise TypeError('give {"question": "…"} (and optionally "history": [...]) or a question string')
        earlier = assistant.conversation(user_questions(inputs.get("history") or []))
        return assistant.ask(inputs["question"], earlier)

    return RunnableLambda(answer, name="shiganjia_answer")

"""Command-line options the two edges share: the --llm-* flags of ``ask`` and of the web app, and what they mean."""

from __future__ import annotations

import argparse

from .base.config import LLMConfig, parse_seconds

__all__ = ["add_llm_flags", "llm_config"]


def add_llm_flags(parser: argparse.ArgumentParser) -> None:
    """The --llm-* flags shared by ``ask`` and the web app."""
    parser.add_argument("--llm-base-url", help="OpenAI-compatible endpoint (default $ASSISTANT_LLM_BASE_URL)")
    parser.add_argument("--llm-model", help="model name (default $ASSISTANT_LLM_MODEL)")
    parser.add_argument("--llm-api-key", help="API key (default $ASSISTANT_LLM_API_KEY)")
    parser.add_argument("--llm-timeout", type=_seconds, help="seconds to wait for the LLM's first token (default 120)")
    parser.add_argument(
        "--llm-idle-timeout", type=_seconds, help="seconds to wait for each next token of the LLM (default 30)"
    )
    parser.add_argument("--no-llm", action="store_true", help="extractive answers even when an LLM is configured")


def llm_config(args: argparse.Namespace | None) -> LLMConfig | None:
    """ASSISTANT_LLM_* settings, overridden by --llm-* flags; --no-llm turns generation off."""
    return LLMConfig.resolve(
        base_url=getattr(args, "llm_base_url", None),
        model=getattr(args, "llm_model", None),
        api_key=getattr(args, "llm_api_key", None),
        timeout=getattr(args, "llm_timeout", None),
        disabled=getattr(args, "no_llm", False),
        idle_timeout=getattr(args, "llm_idle_timeout", None),
    )


def _seconds(text: str) -> float:
    value = parse_seconds(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text!r}")
    return value

"""Measuring the assistant: the eval set, reports, the LLM eval and benchmarks."""

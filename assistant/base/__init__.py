"""The foundation every layer stands on: error types, safe file reads and writes, settings, sharded tables."""

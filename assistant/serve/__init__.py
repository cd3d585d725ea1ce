"""The servers: the JSON route and its gate, the OpenAI-compatible endpoint, the MCP server."""

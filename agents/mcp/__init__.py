"""The MCP server (every skill, status and findings as read-only tools) and its bearer tokens.
Uses the skills, the runtime and the protocol; only the CLI sits above it."""

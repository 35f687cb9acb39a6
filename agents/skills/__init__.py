"""The agents' skills: plain functions that turn logs, stack exports and the agents' own history
into compact, budgeted reports for an LLM (issue 10). One module per skill; `tokens` is the o200k
accounting they share."""

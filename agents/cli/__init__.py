"""`python -m agents`: the command line, on top of every other room. `main` parses and
dispatches; `commands` holds the protocol's commands, `skills` the skills' commands."""

"""The bot: knowledge, an answerer and the escalation rules wired into one `Responder`.

It sits above the parts it assembles (`knowledge/`, `llm/`, `escalation/`), none of which
imports it, so each part can be changed and tested alone.
"""

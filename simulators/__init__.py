"""Simulated users that pursue a scenario's goal against an agent (plug-ins resolved through
``coalm_env.registry.USERS``; ``coalm_env`` never imports this package at module level)."""

"""Agent policies: ``oracle`` (the env's self-test), ``rule`` and ``random`` baselines.

Policies resolve by name through :data:`coalm_env.registry.POLICIES`; the core never imports this package.
"""

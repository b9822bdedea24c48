"""Decision and evolution rules, one module per area, each with two dispatch tables.

Each area module exports ``DECIDERS`` (command class -> decider) and ``APPLIERS`` (event class
-> applier); ``domain.decide`` and ``domain.evolve`` merge them.
"""

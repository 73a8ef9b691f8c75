"""Speech engines. Found through the ``narrate.engines`` entry-point group; see base.py."""

"""ccengine: api."""

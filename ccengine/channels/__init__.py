"""ccengine: channels."""

"""IVR flows as data (ivr/*.yaml): the loader/validator and the runner."""

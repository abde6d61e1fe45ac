"""For every test: the API checks its own answers against its OpenAPI description
(ccengine/api/openapi/validate.py), so a test that gets an answer the description does
not allow fails with a 500 naming the difference."""

import os

os.environ["CCENGINE_CHECK_RESPONSES"] = "1"

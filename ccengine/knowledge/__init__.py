"""The knowledge base: articles in the store (ccengine/store/knowledge.py), rendered safely
(render.py), served by the API (ccengine/api/knowledge.py) and started by part.py."""

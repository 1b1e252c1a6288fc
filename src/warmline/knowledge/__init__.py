"""Knowledge: the company's own documents read into sections and chunks, ranked by BM25 and by
the encoder's embeddings, and the rankings fused. Pure: no database, no web (storage and the
use cases are in ``storage/knowledge.py`` and ``services/knowledge.py``)."""

"""The knowledge base: articles in Russian and English, their search, the editor and the public pages.

docs/knowledge-base.md. Writes go through :mod:`kb.actions`; reads through :mod:`kb.search` and
:mod:`kb.selectors`. ``chat`` knows nothing of this app.
"""

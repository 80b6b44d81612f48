"""The offline tools: lexicon training and the retrieval evaluations.

Why a package of its own, above ``search``: these modules build what the
runtime loads (the lexicon file) and measure the product from outside, so
they may import ``search`` and ``index`` but nothing on the run-time path
(``index``, ``search``, ``web``) imports them — only the ``lexicon`` and
``eval`` commands of :mod:`web.cli`, lazily, inside the command functions
(``tests/test_architecture.py`` checks both rules). A server never loads
Model 1 or the evaluation harness.

Modules: :mod:`lab.lexicon_build` (``fihris lexicon build``), :mod:`lab.model1`
(IBM Model 1 training), :mod:`lab.clir_eval` (``fihris eval clir``),
:mod:`lab.engine_eval` (the engine as a known-item retriever; linking),
:mod:`lab.known_items` and :mod:`lab.ranking_eval` (``fihris eval ranking``).
"""

"""Cross-language French⇄Arabic search: lexicon, query translation, PSQ, evaluation.

Entry points: :class:`Lexicon` (``Lexicon.load()``), :class:`QueryTranslator`,
:class:`PSQTerm` / :func:`psq_query`; ``build.main_build`` and
``evaluate.main_eval`` back the CLI commands.
"""

from search.translate.lexicon import Lexicon, Translation
from search.translate.psq import PSQTerm, psq_query
from search.translate.translator import QueryTranslator, WordTranslation

__all__ = ["Lexicon", "PSQTerm", "QueryTranslator", "Translation", "WordTranslation", "psq_query"]

"""Cross-language French⇄Arabic search at run time: lexicon, query translation, PSQ.

Entry points: :class:`Lexicon` (``Lexicon.load()``), :class:`QueryTranslator`,
:class:`PSQTerm` / :func:`psq_query`. Building the lexicon (Model 1 and the
recipe) and evaluating it are offline tools in :mod:`lab`, above this package.
"""

from search.translate.lexicon import Lexicon, Translation
from search.translate.psq import PSQTerm, psq_query
from search.translate.translator import QueryTranslator, WordTranslation

__all__ = ["Lexicon", "PSQTerm", "QueryTranslator", "Translation", "WordTranslation", "psq_query"]

"""Interface labels in French and Arabic, and how a request chooses between them.

Labels live here rather than in the templates so both languages stay side by side
(a missing Arabic label is caught by a test) and so error pages can use them too.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Request

from web.settings import UI_LANGS

UI_COOKIE: Final = "fihris_ui"

LABELS: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "tagline": "Archives de presse en français et en arabe",
        "search": "Rechercher",
        "placeholder": "Rechercher dans les archives…",
        "query_label": "Recherche",
        "results": "résultats",
        "result": "résultat",
        "no_results": "Aucun document ne correspond à votre recherche.",
        "did_you_mean": "Vouliez-vous dire",
        "language": "Langue",
        "year": "Année",
        "all": "Toutes",
        "lang_fr": "Français",
        "lang_ar": "Arabe",
        "sort": "Tri",
        "sort_relevance": "Pertinence",
        "sort_date": "Date",
        "date_from": "Du",
        "date_to": "Au",
        "date_hint": "AAAA, AAAA-MM ou AAAA-MM-JJ",
        "cross": "Recherche croisée français ⇄ arabe",
        "cross_on": "Activée",
        "cross_off": "Désactivée",
        "also_searched": "Aussi cherché :",
        "drop": "retirer cette traduction",
        "restore": "rétablir",
        "dropped": "Traductions retirées :",
        "cross_disable": "désactiver la recherche croisée",
        "cross_enable": "activer la recherche croisée",
        "via_translation": "trouvé par traduction",
        "close_in_meaning": "proche par le sens",
        "close_in_meaning_why": "aucun mot de la recherche : "
        "ce passage est le plus proche par le sens",
        "mode": "Classement",
        "mode_hybrid": "mots et sens",
        "mode_lexical": "mots seulement",
        "mode_semantic": "sens seulement",
        "also_in_ar": "aussi en arabe",
        "also_in_fr": "aussi en français",
        "previous": "Précédent",
        "next": "Suivant",
        "page": "Page",
        "pagination": "Pagination",
        "filters": "Filtres",
        "apply": "Appliquer",
        "clear_filter": "retirer le filtre",
        "json": "Ces résultats en JSON",
        "api_docs": "Documentation de l’API",
        "help": "Syntaxe de recherche",
        "status": "État de l’index",
        "documents": "documents",
        "generation": "Génération",
        "last_update": "Dernière mise à jour",
        "next_run": "Prochaine mise à jour",
        "last_run": "Dernière exécution",
        "semantic": "Recherche par le sens",
        "semantic_on": "encodeur %(encoder)s",
        "semantic_off": "désactivée : recherche lexicale seulement",
        "run_counts": "%(added)s ajoutés, %(updated)s modifiés, %(deleted)s supprimés, "
        "%(failed)s en échec",
        "summary": "L’index contient",
        "interpreted": "Requête interprétée :",
        "required_words": "Obligatoires :",
        "optional_words": "Comptent s’ils sont présents :",
        "back": "Retour à la recherche",
        "source": "Source",
        "original": "Lien d’origine",
        "translations_doc": "Ce récit dans l’autre langue",
        "doc_part": "Texte long, affiché par parties : caractères %(start)s à %(end)s "
        "sur %(length)s.",
        "doc_next": "Partie suivante",
        "doc_first": "Début du texte",
        "no_date": "sans date",
        "ui_switch": "العربية",
        "error_title": "Une erreur est survenue",
        "home": "Accueil",
        "took": "ms",
    },
    "ar": {
        "tagline": "أرشيف صحفي بالفرنسية والعربية",
        "search": "بحث",
        "placeholder": "ابحث في الأرشيف…",
        "query_label": "البحث",
        "results": "نتيجة",
        "result": "نتيجة",
        "no_results": "لا توجد وثائق تطابق بحثك.",
        "did_you_mean": "هل تقصد",
        "language": "اللغة",
        "year": "السنة",
        "all": "الكل",
        "lang_fr": "الفرنسية",
        "lang_ar": "العربية",
        "sort": "الترتيب",
        "sort_relevance": "الصلة",
        "sort_date": "التاريخ",
        "date_from": "من",
        "date_to": "إلى",
        "date_hint": "سنة، أو سنة-شهر، أو سنة-شهر-يوم",
        "cross": "البحث عبر اللغتين الفرنسية ⇄ العربية",
        "cross_on": "مفعّل",
        "cross_off": "معطّل",
        "also_searched": "بحثنا أيضاً عن:",
        "drop": "إزالة هذه الترجمة",
        "restore": "استعادة",
        "dropped": "ترجمات مُزالة:",
        "cross_disable": "تعطيل البحث عبر اللغتين",
        "cross_enable": "تفعيل البحث عبر اللغتين",
        "via_translation": "عُثر عليه عبر الترجمة",
        "close_in_meaning": "قريب في المعنى",
        "close_in_meaning_why": "لا كلمة من البحث: هذا المقطع هو الأقرب في المعنى",
        "mode": "الترتيب",
        "mode_hybrid": "الكلمات والمعنى",
        "mode_lexical": "الكلمات فقط",
        "mode_semantic": "المعنى فقط",
        "also_in_ar": "متوفر أيضاً بالعربية",
        "also_in_fr": "متوفر أيضاً بالفرنسية",
        "previous": "السابق",
        "next": "التالي",
        "page": "صفحة",
        "pagination": "التصفح",
        "filters": "عوامل التصفية",
        "apply": "تطبيق",
        "clear_filter": "إزالة عامل التصفية",
        "json": "هذه النتائج بصيغة JSON",
        "api_docs": "توثيق واجهة البرمجة",
        "help": "صيغة البحث",
        "status": "حالة الفهرس",
        "documents": "وثيقة",
        "generation": "الجيل",
        "last_update": "آخر تحديث",
        "next_run": "التحديث القادم",
        "last_run": "آخر تشغيل",
        "semantic": "البحث بالمعنى",
        "semantic_on": "المُرمِّز %(encoder)s",
        "semantic_off": "معطّل: بحث لفظي فقط",
        "run_counts": "أضيف %(added)s، عُدّل %(updated)s، حُذف %(deleted)s، فشل %(failed)s",
        "summary": "يحتوي الفهرس على",
        "interpreted": "فُهم الطلب على أنه:",
        "required_words": "إلزامية:",
        "optional_words": "تُحتسب إن وُجدت:",
        "back": "العودة إلى البحث",
        "source": "المصدر",
        "original": "الرابط الأصلي",
        "translations_doc": "هذا الخبر باللغة الأخرى",
        "doc_part": "نص طويل يُعرض على أجزاء: الأحرف من %(start)s إلى %(end)s من أصل %(length)s.",
        "doc_next": "الجزء التالي",
        "doc_first": "بداية النص",
        "no_date": "بدون تاريخ",
        "ui_switch": "Français",
        "error_title": "حدث خطأ",
        "home": "الرئيسية",
        "took": "ملّي ثانية",
    },
}


def ui_lang(request: Request[Any, Any, Any], default: str) -> str:
    """The interface language: ``?ui=`` first, then the cookie, then the server default.

    An unknown value falls back silently: the interface language is a preference,
    not a search parameter, so it never causes a 400.
    """
    for candidate in (request.query_params.get("ui"), request.cookies.get(UI_COOKIE)):
        if candidate in UI_LANGS:
            return candidate
    return default if default in UI_LANGS else "fr"


def text_dir(lang: str) -> str:
    return "rtl" if lang == "ar" else "ltr"

"""A small English stopword list: no discovered phrase starts or ends with one of these tokens.

Function words (articles, pronouns, prepositions, conjunctions, auxiliaries and modal verbs), the
contraction fragments the matching rule leaves behind ("s" of "Big Society's", "t" of "don't"), and
reporting filler of news text ("said", "says"). Stopwords may sit *inside* a phrase ("war on poverty",
"alliance for progress"); they only may not bound it. Besides these words, every single-character token
and every token made of digits only is a boundary stopword too (see ``is_boundary``): a year ("1963") or
a number would otherwise be "born" every year. Words that open policy names are deliberately *not*
stopwords: "no" ("no child left behind"), "every" ("every child matters"), "one" ("one nation"),
"new" ("new deal"), "last", "next", "whole", "well".

Written by hand for this package (about 180 words, in the spirit of the SMART and Snowball lists, which
are larger and tuned for retrieval rather than for phrase boundaries).
"""

from __future__ import annotations

STOPWORDS: frozenset[str] = frozenset(
    """
    a about above across after afterwards again against all almost along already also although always am
    among amongst an and another any anyhow anyone anything anyway anywhere are around as at be became
    because become becomes been before beforehand being below beside besides between beyond both but by
    can cannot could did do does doing done down during each either else elsewhere enough etc even ever
    few for from further had has have having he hence her here hers herself him himself his how
    however i ie if in indeed into is it its itself just least less many may me meanwhile might
    mine more moreover most mostly much must my myself namely neither never nevertheless nobody
    none nor not nothing now nowhere of off often on once only onto or other others otherwise our ours
    ourselves out over own per perhaps please quite rather re really said same say says several shall she
    should since so some somehow someone something sometime sometimes somewhere still such than that the
    their theirs them themselves then thence there thereafter thereby therefore therein thereupon these
    they this those though through throughout thru thus to together too toward towards under until unto
    up upon us very via was like we were what whatever when whence whenever where whereas whereby
    wherein whether which while whither who whoever whom whose why will with within without would
    yet you your yours yourself yourselves
    ll ve re d s t m don doesn didn isn aren wasn weren won wouldn shouldn couldn
    mr mrs ms dr
    """.split()  # noqa: SIM905  (a word list reads better as text)
)


def is_boundary(token: str) -> bool:
    """True when a phrase may not start or end with ``token`` (stopword, one character, or digits)."""
    return token in STOPWORDS or len(token.lstrip("#")) <= 1 or token.isdigit()

"""Offline speech recognition: PocketSphinx 5 (en-US model from its wheel) against a grammar.

Why a grammar and not the wheel's general language model: the offline engine only has to
understand a receptionist conversation, and PocketSphinx with an open vocabulary is poor on
8 kHz telephone audio (and on eSpeak's synthetic voice in particular). A finite-state grammar
of what a caller may say turns that into a choice among a few hundred phrases.

Phrases are small templates, compiled here straight into a PocketSphinx finite-state grammar
(``Decoder.create_fsg``)::

    "[i'd like to] (book | schedule) [an] oil change [please]"

``[...]`` is optional, ``( a | b )`` is a choice; everything else is words. Words are
normalised with :func:`pitstop.local.speech.words.normalize_words` (lowercase, digits and
times spelled out) and looked up in CMUdict; a word missing from it is tried as two dictionary
words ("pitstop" → "pit stop"), else dropped with a logged warning.

The grammar's top rule accepts a sequence of phrases (``max_phrases`` in a row, default 3),
each extra phrase costing ``phrase_penalty`` so that one long phrase matching the whole
utterance wins over a patchwork of short ones. Why not JSGF ``(<phrase>)+``: PocketSphinx
compiles the closure into a mesh of null transitions that made decoding 30-100x slower than
real time with a few hundred phrases; the hand-built FSG below decodes in ~0.1x real time.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from pitstop.local.speech import codec
from pitstop.local.speech.words import normalize_words

log = logging.getLogger(__name__)

#: PocketSphinx's en-US acoustic model is 16 kHz; phone audio is upsampled to it.
ASR_RATE = 16000

# Decoder settings measured on eSpeak-spoken domain sentences through 8 kHz μ-law (see
# tests/unit/speech): narrower beams than the defaults cut CPU ~6x at no accuracy cost
# for grammars of this size.
_DECODER_OPTIONS = {
    "beam": 1e-20,
    "pbeam": 1e-20,
    "wbeam": 1e-15,
    "loglevel": "FATAL",
}


# ---------------------------------------------------------------------------- templates
@dataclass
class _Word:
    text: str


@dataclass
class _Alt:
    branches: list[list[object]]  # each branch: a sequence of _Word/_Alt
    optional: bool = False


_TOKEN_RE = re.compile(r"\s*([\[\]()|]|[^\s\[\]()|]+)")


def _parse(template: str) -> list[object]:
    tokens = _TOKEN_RE.findall(template)
    pos = 0

    def seq(closer: str | None) -> list[list[object]]:
        nonlocal pos
        branches: list[list[object]] = [[]]
        while pos < len(tokens):
            tok = tokens[pos]
            pos += 1
            if tok == "|":
                branches.append([])
            elif tok in "([":
                inner = seq(")" if tok == "(" else "]")
                branches[-1].append(_Alt(inner, optional=(tok == "[")))
            elif tok in ")]":
                if tok != closer:
                    raise ValueError(f"unbalanced {tok!r} in phrase {template!r}")
                return branches
            else:
                branches[-1].extend(_Word(w) for w in normalize_words(tok))
        if closer is not None:
            raise ValueError(f"missing {closer!r} in phrase {template!r}")
        return branches

    top = seq(None)
    return [_Alt(top)] if len(top) > 1 else top[0]


# ---------------------------------------------------------------------------- recogniser
class Recognizer:
    """Recognises 8 kHz μ-law (or 16 kHz PCM) utterances against a phrase grammar.

    ``phrases``: templates (see module doc), e.g. service names, "tuesday", "nine thirty",
    "[i'd like to] book [an] oil change". ``max_phrases``: how many phrases one utterance
    may chain ("yes" + "tuesday morning" + "please"). ``phrase_penalty``: probability
    (0-1] of chaining one more phrase; lower favours one long phrase.

    Building costs ~0.2-0.5 s (acoustic model load + grammar); build one per grammar and
    reuse it. Decoding is serialised by an internal lock (a PocketSphinx decoder is not
    thread-safe); use one Recognizer per concurrent call if decoding must run in parallel.
    """

    def __init__(
        self,
        phrases: Iterable[str],
        *,
        max_phrases: int = 3,
        phrase_penalty: float = 0.05,
        **decoder_options: object,
    ) -> None:
        from pocketsphinx import Decoder

        options = {**_DECODER_OPTIONS, **decoder_options}
        self._decoder = Decoder(lm=None, **options)
        self._lock = threading.Lock()
        self._pron_cache: dict[str, list[str] | None] = {}
        self.dropped_words: set[str] = set()
        self.phrases: list[list[object]] = []
        for template in phrases:
            parsed = self._resolve(_parse(template))
            if parsed:
                self.phrases.append(parsed)
        if not self.phrases:
            raise ValueError("grammar has no recognisable phrase")
        if self.dropped_words:
            log.warning(
                "words not in the pronunciation dictionary, left out of the grammar: %s",
                ", ".join(sorted(self.dropped_words)),
            )
        self.words = sorted(self._collect_words(self.phrases))
        self._build_fsg(max(1, max_phrases), phrase_penalty)

    # -- vocabulary
    def _spell(self, word: str) -> list[str] | None:
        """Dictionary words for ``word``: itself, or a split into two dictionary words."""
        if word in self._pron_cache:
            return self._pron_cache[word]
        result: list[str] | None = None
        lookup = self._decoder.lookup_word
        if lookup(word):
            result = [word]
        else:
            for cut in range(2, len(word) - 1):
                if lookup(word[:cut]) and lookup(word[cut:]):
                    result = [word[:cut], word[cut:]]
                    break
        self._pron_cache[word] = result
        return result

    def _resolve(self, seq: list[object]) -> list[object]:
        out: list[object] = []
        for item in seq:
            if isinstance(item, _Word):
                spelled = self._spell(item.text)
                if spelled is None:
                    self.dropped_words.add(item.text)
                else:
                    out.extend(_Word(w) for w in spelled)
            else:
                assert isinstance(item, _Alt)
                branches = [self._resolve(b) for b in item.branches]
                nonempty = [b for b in branches if b]
                if not nonempty:
                    continue
                optional = item.optional or len(nonempty) < len(branches)
                out.append(_Alt(nonempty, optional=optional))
        return out

    def _collect_words(self, seqs: Iterable[list[object]]) -> set[str]:
        words: set[str] = set()
        for seq in seqs:
            for item in seq:
                if isinstance(item, _Word):
                    words.add(item.text)
                else:
                    words |= self._collect_words(item.branches)  # type: ignore[union-attr]
        return words

    # -- grammar
    def _build_fsg(self, max_phrases: int, phrase_penalty: float) -> None:
        transitions: list[tuple] = []
        counter = iter(range(10**9))

        def new_state() -> int:
            return next(counter)

        def emit(seq: list[object], src: int, dst: int) -> None:
            """Add transitions for ``seq`` from ``src`` ending exactly in ``dst``."""
            if not seq:
                transitions.append((src, dst, 1.0))
                return
            cur = src
            for i, item in enumerate(seq):
                end = dst if i == len(seq) - 1 else new_state()
                if isinstance(item, _Word):
                    transitions.append((cur, end, 1.0, item.text))
                else:
                    assert isinstance(item, _Alt)
                    for branch in item.branches:
                        emit(branch, cur, end)
                    if item.optional:
                        transitions.append((cur, end, 1.0))
                cur = end

        start = new_state()
        final = new_state()
        entry = 1.0 / len(self.phrases)
        # hubs[k]: "k phrases heard"; from hub k>=1 one may stop or (k < max) chain another.
        hubs = [start] + [new_state() for _ in range(max_phrases)]
        for k in range(max_phrases):
            weight = entry * (phrase_penalty if k else 1.0)
            for seq in self.phrases:
                first = new_state()
                transitions.append((hubs[k], first, weight))
                emit(seq, first, hubs[k + 1])
            transitions.append((hubs[k + 1], final, 1.0))
        word_transitions, to_final = _remove_null_transitions(transitions, start, final)
        word_transitions, to_final, start, final = _determinize_minimize(
            word_transitions, to_final, start
        )
        # create_fsg() stores log(prob) without the language weight that the JSGF and FSG
        # file readers apply (log(prob) * lw): apply it here so grammar weights count.
        lw = float(self._decoder.config["lw"])
        fsg = self._decoder.create_fsg(
            "pitstop",
            start,
            final,
            [(s, d, p**lw, w) for s, d, p, w in word_transitions]
            + [(s, final, p**lw) for s, p in to_final],
        )
        self._decoder.add_fsg("pitstop", fsg)
        self._decoder.activate_search("pitstop")
        self.fsg_size = (len({t[0] for t in word_transitions}), len(word_transitions))

    # -- decoding
    def decode_pcm16(self, pcm16k: bytes) -> str:
        """Decode one utterance of 16 kHz PCM16; lowercase words, "" when nothing matched."""
        if len(pcm16k) < 2 * ASR_RATE // 10:  # < 100 ms: nothing a person says
            return ""
        with self._lock:
            d = self._decoder
            d.start_utt()
            d.process_raw(pcm16k, full_utt=True)
            d.end_utt()
            hyp = d.hyp()
        return _clean_hyp(hyp.hypstr if hyp is not None else "")

    def decode_mulaw(self, mulaw: bytes) -> str:
        """Decode one utterance of 8 kHz μ-law (as cut by ``UtteranceDetector``)."""
        return self.decode_pcm16(codec.mulaw8k_to_pcm16(mulaw, ASR_RATE))


def _remove_null_transitions(
    transitions: list[tuple], start: int, final: int
) -> tuple[list[tuple[int, int, float, str]], list[tuple[int, float]]]:
    """Epsilon-eliminate the grammar graph.

    Why: ``Decoder.create_fsg`` accepts null transitions but does not compute their
    transitive closure (only the JSGF compiler does), so a chain of two nulls - e.g. an
    optional word at the start of a phrase - would be a dead end. Here every state gets
    direct word transitions to whatever its null-closure reaches (keeping the most likely
    path's probability), and a single null transition to ``final`` where it may stop.
    Unreachable states are pruned.
    """
    nulls: dict[int, list[tuple[int, float]]] = {}
    words: dict[int, list[tuple[int, float, str]]] = {}
    for t in transitions:
        if len(t) == 3:
            nulls.setdefault(t[0], []).append((t[1], t[2]))
        else:
            words.setdefault(t[0], []).append((t[1], t[2], t[3]))

    closure_cache: dict[int, dict[int, float]] = {}

    def closure(state: int) -> dict[int, float]:
        if state not in closure_cache:
            best = {state: 1.0}
            for nxt, p in nulls.get(state, ()):
                for reached, q in closure(nxt).items():
                    if p * q > best.get(reached, 0.0):
                        best[reached] = p * q
            closure_cache[state] = best
        return closure_cache[state]

    out: dict[tuple[int, int, str], float] = {}
    to_final: list[tuple[int, float]] = []
    seen, todo = {start}, [start]
    while todo:
        state = todo.pop()
        for mid, p in closure(state).items():
            if mid == final and state != final:
                to_final.append((state, p))
            for dst, q, word in words.get(mid, ()):
                key = (state, dst, word)
                if p * q > out.get(key, 0.0):
                    out[key] = p * q
                if dst not in seen:
                    seen.add(dst)
                    todo.append(dst)
    word_transitions = [(s, d, p, w) for (s, d, w), p in out.items()]
    return word_transitions, to_final


def _determinize_minimize(
    word_transitions: list[tuple[int, int, float, str]],
    to_final: list[tuple[int, float]],
    start: int,
) -> tuple[list[tuple[int, int, float, str]], list[tuple[int, float]], int, int]:
    """Shrink the (acyclic) grammar graph: subset-construct it so that no state has two
    transitions on the same word, then merge states with identical futures.

    Why: the FSG decoder's cost grows with the number of states and their out-degree
    (each word exit fans out into the lextree of the next state); templates expanded
    into a flat graph repeat the same prefixes ("i'd like to …") and suffixes ("[please]")
    hundreds of times. Weights are combined by max, which is exact here because all
    transitions leaving one state on one word carry the same weight, except where one
    word sequence parses as different numbers of chained phrases (then the best wins).
    """
    out: dict[int, list[tuple[int, float, str]]] = {}
    for s, d, p, w in word_transitions:
        out.setdefault(s, []).append((d, p, w))
    fin = dict(to_final)

    # Subset construction.
    dstates: dict[frozenset[int], int] = {frozenset([start]): 0}
    dtrans: dict[int, list[tuple[str, float, int]]] = {}
    dfinal: dict[int, float] = {}
    todo = [frozenset([start])]
    while todo:
        subset = todo.pop()
        sid = dstates[subset]
        final_p = max((fin.get(s, 0.0) for s in subset), default=0.0)
        if final_p > 0.0:
            dfinal[sid] = final_p
        by_word: dict[str, tuple[set[int], float]] = {}
        for s in subset:
            for d, p, w in out.get(s, ()):
                dsts, best = by_word.setdefault(w, (set(), 0.0))
                dsts.add(d)
                by_word[w] = (dsts, max(best, p))
        edges = []
        for w, (dsts, p) in by_word.items():
            key = frozenset(dsts)
            if key not in dstates:
                dstates[key] = len(dstates)
                todo.append(key)
            edges.append((w, p, dstates[key]))
        dtrans[sid] = edges

    # Merge equivalent states, successors first (the graph is acyclic).
    order: list[int] = []
    visited: set[int] = set()
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        sid, expanded = stack.pop()
        if expanded:
            order.append(sid)
            continue
        if sid in visited:
            continue
        visited.add(sid)
        stack.append((sid, True))
        stack.extend((d, False) for _, _, d in dtrans[sid] if d not in visited)
    cls: dict[int, int] = {}
    signatures: dict[tuple, int] = {}
    for sid in order:
        sig = (
            dfinal.get(sid, 0.0),
            tuple(sorted((w, p, cls[d]) for w, p, d in dtrans[sid])),
        )
        cls[sid] = signatures.setdefault(sig, len(signatures))

    new_final = len(signatures)
    transitions: list[tuple[int, int, float, str]] = []
    finals: list[tuple[int, float]] = []
    for sig, c in signatures.items():
        final_p, edges = sig
        transitions.extend((c, d, p, w) for w, p, d in edges)
        if final_p > 0.0:
            finals.append((c, final_p))
    return transitions, finals, cls[0], new_final


def _clean_hyp(text: str) -> str:
    # Alternate pronunciations come back as "word(2)"; fillers as "<sil>" / "[noise]".
    words = [re.sub(r"\(\d+\)$", "", w) for w in text.split()]
    return " ".join(w for w in words if w and not w.startswith(("<", "[", "+")))


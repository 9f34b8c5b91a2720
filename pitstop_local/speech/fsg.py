"""Phrase templates → a compact finite-state grammar for PocketSphinx (``Decoder.create_fsg``).

Template syntax: ``[optional words]``, ``( a | b )`` choices (nestable), plain words. Words are
normalised with :func:`pitstop_local.speech.words.normalize_words` (lowercase; digits, times
and ordinals spelled out), so "9:30" in a template means "nine thirty".

Why compile ourselves instead of handing PocketSphinx a JSGF grammar ``<phrase>+``: its
JSGF compiler turns the closure and the optional/alternative groups into a mesh of null
transitions, which made decoding 30-100x slower than real time with a few hundred phrases.
``create_fsg`` on the other hand does not compute the closure of null transitions at all
(a chain of two nulls is a dead end), so the graph built here has:

* no null transitions inside phrases (epsilon-eliminated),
* one state per distinct prefix and per distinct future (determinised and minimised),
* single null hops only: accepting state → final, and accepting state → "chain" hub from
  which another phrase may follow at a cost (``chain_penalty``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pitstop_local.speech.words import normalize_words


@dataclass
class _Word:
    text: str


@dataclass
class _Alt:
    branches: list[list[object]]  # each branch: a sequence of _Word / _Alt
    optional: bool = False


_TOKEN_RE = re.compile(r"\s*([\[\]()|]|[^\s\[\]()|]+)")


def parse_template(template: str) -> list[object]:
    """Parse one template into a sequence of ``_Word``/``_Alt``; ``ValueError`` if unbalanced."""
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
            elif tok in ("(", "["):
                inner = seq(")" if tok == "(" else "]")
                branches[-1].append(_Alt(inner, optional=(tok == "[")))
            elif tok in (")", "]"):
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


@dataclass
class CompiledGrammar:
    """A grammar ready for ``Decoder.create_fsg(name, start, final, transitions)``.
    Probabilities are plain (not yet raised to the decoder's language weight)."""

    start: int
    final: int
    transitions: list[tuple] = field(default_factory=list)  # (src, dst, p[, word])
    words: set[str] = field(default_factory=set)
    dropped_words: set[str] = field(default_factory=set)
    n_phrases: int = 0

    @property
    def n_states(self) -> int:
        return self.final + 1

    def accepts(self, text: str) -> bool:
        """Whether the word sequence ``text`` is a sentence of this grammar (chained
        phrases included) - a pure-Python check, no decoder needed."""
        out: dict[int, list[tuple[str, int]]] = {}
        nulls: dict[int, list[int]] = {}
        for t in self.transitions:
            if len(t) == 4:
                out.setdefault(t[0], []).append((t[3], t[1]))
            else:
                nulls.setdefault(t[0], []).append(t[1])

        def closed(states: set[int]) -> set[int]:
            return states | {h for s in states for h in nulls.get(s, ())}

        states = closed({self.start})
        for word in normalize_words(text):
            states = closed({d for s in states for w, d in out.get(s, ()) if w == word})
        return self.final in states


def compile_phrases(
    phrases: Iterable[str],
    spell: Callable[[str], list[str] | None],
    *,
    chain_penalty: float | None = None,
) -> CompiledGrammar:
    """Compile templates. ``spell(word)`` returns the dictionary words for ``word`` (itself,
    or a split like ["pit", "stop"]) or None to drop it. ``chain_penalty``: probability
    factor for each extra phrase chained in one utterance; None forbids chaining."""
    dropped: set[str] = set()
    parsed = [r for r in (_resolve(parse_template(p), spell, dropped) for p in phrases) if r]
    if not parsed:
        raise ValueError("grammar has no recognisable phrase")
    nfa = _Nfa()
    for seq in parsed:
        nfa.emit(seq, _Nfa.START, _Nfa.ACCEPT)
    dtrans, accepting = _determinise(nfa)
    start, signatures = _minimise(dtrans, accepting)
    grammar = _emit(start, signatures, chain_penalty)
    grammar.dropped_words, grammar.n_phrases = dropped, len(parsed)
    return grammar


def _resolve(
    seq: list[object], spell: Callable[[str], list[str] | None], dropped: set[str]
) -> list[object]:
    """Spell every word with the dictionary; words it cannot spell are dropped (and noted),
    and a choice whose branch is left empty becomes optional."""
    out: list[object] = []
    for item in seq:
        if isinstance(item, _Word):
            spelled = spell(item.text)
            if spelled is None:
                dropped.add(item.text)
            else:
                out.extend(_Word(w) for w in spelled)
            continue
        assert isinstance(item, _Alt)
        branches = [_resolve(b, spell, dropped) for b in item.branches]
        nonempty = [b for b in branches if b]
        if nonempty:
            optional = item.optional or len(nonempty) < len(branches)
            out.append(_Alt(nonempty, optional=optional))
    return out


class _Nfa:
    """1. Thompson-style NFA of the phrase union: START --phrase--> ACCEPT."""

    START, ACCEPT = 0, 1

    def __init__(self) -> None:
        self.nulls: dict[int, list[int]] = {}
        self.words: dict[int, list[tuple[int, str]]] = {}
        self.n_states = 2
        self._closures: dict[int, frozenset[int]] = {}

    def new_state(self) -> int:
        self.n_states += 1
        return self.n_states - 1

    def emit(self, seq: list[object], src: int, dst: int) -> None:
        if not seq:
            self.nulls.setdefault(src, []).append(dst)
            return
        cur = src
        for i, item in enumerate(seq):
            end = dst if i == len(seq) - 1 else self.new_state()
            if isinstance(item, _Word):
                self.words.setdefault(cur, []).append((end, item.text))
            else:
                assert isinstance(item, _Alt)
                for branch in item.branches:
                    self.emit(branch, cur, end)
                if item.optional:
                    self.nulls.setdefault(cur, []).append(end)
            cur = end

    def closure(self, state: int) -> frozenset[int]:
        """The states reachable from `state` by null transitions alone (itself included)."""
        if state not in self._closures:
            reached, todo = {state}, [state]
            while todo:
                for nxt in self.nulls.get(todo.pop(), ()):
                    if nxt not in reached:
                        reached.add(nxt)
                        todo.append(nxt)
            self._closures[state] = frozenset(reached)
        return self._closures[state]

    def close(self, states: Iterable[int]) -> frozenset[int]:
        out: set[int] = set()
        for s in states:
            out |= self.closure(s)
        return frozenset(out)


def _determinise(nfa: _Nfa) -> tuple[dict[int, list[tuple[str, int]]], dict[int, bool]]:
    """2+3. Epsilon elimination fused with subset construction: a DFA state is the
    null-closure of a set of NFA states. Returns (word edges, accepting) per DFA state."""
    first = nfa.close([_Nfa.START])
    dstates: dict[frozenset[int], int] = {first: 0}
    dtrans: dict[int, list[tuple[str, int]]] = {}
    accepting: dict[int, bool] = {}
    todo = [first]
    while todo:
        subset = todo.pop()
        sid = dstates[subset]
        accepting[sid] = _Nfa.ACCEPT in subset
        by_word: dict[str, set[int]] = {}
        for s in subset:
            for dst, word in nfa.words.get(s, ()):
                by_word.setdefault(word, set()).add(dst)
        edges = []
        for word, dsts in sorted(by_word.items()):
            key = nfa.close(dsts)
            if key not in dstates:
                dstates[key] = len(dstates)
                todo.append(key)
            edges.append((word, dstates[key]))
        dtrans[sid] = edges
    return dtrans, accepting


def _minimise(
    dtrans: dict[int, list[tuple[str, int]]], accepting: dict[int, bool]
) -> tuple[int, dict[tuple, int]]:
    """4. Merge states with identical futures, successors first (phrases are acyclic).
    Returns (the start state's class, signature -> class)."""
    cls: dict[int, int] = {}
    signatures: dict[tuple, int] = {}
    for sid in _successors_first(dtrans):
        sig = (accepting[sid], tuple(sorted((w, cls[d]) for w, d in dtrans[sid])))
        cls[sid] = signatures.setdefault(sig, len(signatures))
    return cls[0], signatures


def _successors_first(dtrans: dict[int, list[tuple[str, int]]]) -> list[int]:
    """DFA states in post-order from state 0 (iterative: phrases can be long)."""
    order: list[int] = []
    visited: set[int] = set()
    stack: list[tuple[int, bool]] = [(0, False)]
    while stack:
        sid, expanded = stack.pop()
        if expanded:
            order.append(sid)
        elif sid not in visited:
            visited.add(sid)
            stack.append((sid, True))
            stack.extend((d, False) for _, d in dtrans[sid] if d not in visited)
    return order


def _emit(start: int, signatures: dict[tuple, int], chain_penalty: float | None) -> CompiledGrammar:
    """5. Emit: start = class of DFA state 0; optional chain hub; final state last."""
    n = len(signatures)
    hub = n if chain_penalty is not None else None
    final = n + 1 if hub is not None else n
    grammar = CompiledGrammar(start=start, final=final)
    start_edges: list[tuple[str, int]] = []
    for (is_accepting, edges), c in signatures.items():
        for word, dst in edges:
            grammar.transitions.append((c, dst, 1.0, word))
            grammar.words.add(word)
        if c == start:
            start_edges = list(edges)
        if is_accepting:
            grammar.transitions.append((c, final, 1.0))
            if hub is not None:
                grammar.transitions.append((c, hub, 1.0))
    if hub is not None and chain_penalty is not None:
        for word, dst in start_edges:
            grammar.transitions.append((hub, dst, chain_penalty, word))
    return grammar

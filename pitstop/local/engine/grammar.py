"""What the offline engine can hear: caller phrases generated from the shop's vocabulary.

Why a closed grammar: PocketSphinx with a free language model mishears telephone audio badly;
against a grammar of the phrases a caller of a service centre says (built from the shop's
services, weekdays, dates, clock times, yes/no, names, cars…) it is fast and accurate.

The phrase list stays in the hundreds, not the tens of thousands: slots are combined only
where a caller combines them in one breath ("book an oil change on tuesday", "tuesday
morning"); everything else is its own short phrase, and the policy fills slots across turns.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from pitstop.local.engine.context import Context
from pitstop.local.speech.words import MONTHS, WEEKDAYS, spell_ordinal, spell_time

FIRST_NAMES = (
    "alex", "jordan", "taylor", "casey", "riley", "morgan", "jamie", "avery", "quinn", "drew",
    "sam", "charlie", "robin", "logan", "cameron", "blake", "jesse", "john", "jane", "mary",
    "james", "michael", "sarah", "david", "emily", "maria", "chris", "pat", "lisa", "mark",
)  # fmt: skip
LAST_NAMES = (
    "morgan", "rivera", "chen", "patel", "johnson", "nguyen", "garcia", "smith", "kim", "brown",
    "davis", "lopez", "wilson", "martin", "clark", "lewis", "walker", "hall", "young", "king",
    "wright", "scott", "green", "baker", "adams", "nelson", "hill", "miller", "jones", "taylor",
)  # fmt: skip
YES = ("yes", "yes please", "yeah", "yep", "sure", "that works", "sounds good", "correct",
       "yes that works", "yes i will be there", "yes i'll be there", "yes that's right", "okay")
NO = ("no", "no thanks", "no thank you", "nope", "no that's all", "that's all", "nothing else",
      "no that's it", "that's it", "no that's all thank you", "that's all thank you")
GOODBYE = ("goodbye", "bye", "bye bye", "thanks goodbye", "thank you goodbye", "okay goodbye")
HANDOFF = ("i'd like to talk to a person", "can i talk to a person", "talk to a person",
           "i want to speak to a person", "operator", "representative", "i want a human",
           "let me speak to someone", "i'd like to speak to a manager")
DNC = ("don't call me again", "please don't call me again", "stop calling me",
       "do not call me again", "take me off your list")
MOVE = ("i need to move my appointment", "i'd like to move my appointment",
        "i need to reschedule my appointment", "i'd like to reschedule", "can i move it",
        "i need to move it", "move it", "reschedule")
CANCEL = ("i need to cancel my appointment", "i'd like to cancel my appointment",
          "cancel my appointment", "please cancel it", "cancel it", "i need to cancel it")
HISTORY = ("what's my service history", "when was my last service", "my service history",
           "what was done last time")
BOOK_LEADS = ("i'd like to book", "i need", "i want to book", "can i book", "book",
              "i'd like to schedule", "i need to book")
TOD = ("morning", "afternoon", "in the morning", "in the afternoon", "any time",
       "the morning", "the afternoon", "morning please", "afternoon please")
YEARS = tuple(range(2008, 2027))
OTHER = ("hello", "hi", "help", "what", "sorry", "i don't know", "maybe", "the first one",
         "the second one", "something else", "my car", "that one")


def _article(phrase: str) -> str:
    return "an" if phrase[:1] in "aeiou" else "a"


def _year_words(year: int) -> list[str]:
    from pitstop.local.speech.words import spell_number

    if 2000 <= year < 2010:
        return [f"two thousand {spell_number(year - 2000)}", f"twenty oh {spell_number(year - 2000)}"]
    return [f"{spell_number(year // 100)} {spell_number(year % 100)}"]


def _days(today: dt.date) -> list[str]:
    days = ["today", "tomorrow", "the day after tomorrow", "next week"]
    for name in WEEKDAYS:
        days += [name, f"on {name}", f"next {name}", f"this {name}"]
    for offset in range(0, 21):
        day = today + dt.timedelta(days=offset)
        days += [f"{MONTHS[day.month - 1]} {spell_ordinal(day.day)}", f"the {spell_ordinal(day.day)}"]
    return list(dict.fromkeys(days))


def _times() -> list[str]:
    times = []
    for hour in range(8, 18):
        for minute in (0, 30):
            plain = spell_time(hour, minute)
            times += [plain, f"at {plain}", spell_time(hour, minute, am_pm=True),
                      f"at {spell_time(hour, minute, am_pm=True)}"]
    times += ["noon", "at noon"]
    return list(dict.fromkeys(times))


def build_phrases(ctx: Context) -> tuple[str, ...]:
    """All phrases for this context (deterministic, so equal contexts share a recogniser)."""
    return _build(tuple(sorted(ctx.services)), tuple(sorted(ctx.makes.items())),
                  tuple(sorted(ctx.models.items())), ctx.today)


def makes_map(makes: tuple) -> dict[str, str]:
    return dict(makes)


def models_map(models: tuple) -> dict[str, str]:
    """spoken model → canonical make."""
    return {spoken: make_model[0] for spoken, make_model in models}


@lru_cache(maxsize=16)
def _build(services: tuple[str, ...], makes: tuple, models: tuple,
           today: dt.date) -> tuple[str, ...]:
    phrases: list[str] = []
    add = phrases.extend
    add(YES + NO + GOODBYE + HANDOFF + DNC + MOVE + CANCEL + HISTORY + TOD + OTHER)
    weekdays = [f"on {d}" for d in WEEKDAYS] + ["tomorrow"]
    for service in services:
        art = _article(service)
        add([service, f"{art} {service}", f"i need {art} {service}", f"{service} please"])
        for lead in BOOK_LEADS:
            add([f"{lead} {art} {service}"])
        for day in weekdays:
            add([f"i'd like to book {art} {service} {day}", f"i need {art} {service} {day}",
                 f"book {art} {service} {day}"])
    days = _days(today)
    add(days)
    for day in WEEKDAYS + ("tomorrow",):
        add([f"{day} morning", f"{day} afternoon", f"{day} in the morning", f"{day} in the afternoon"])
    for day in WEEKDAYS:
        add([f"can we do {day}", f"how about {day}", f"move it to {day}", f"{day} please",
             f"next {day} please"])
    add(_times())
    for first in FIRST_NAMES:
        add([first])
        for last in LAST_NAMES:
            add([f"my name is {first} {last}"])
    spoken_years = [w for y in YEARS for w in _year_words(y)]
    add(spoken_years)
    make_of = {canonical: spoken for spoken, canonical in sorted(makes_map(makes).items())}
    for model, make in models_map(models).items():
        spoken_make = make_of.get(make)
        add([model, f"a {model}"])
        if spoken_make:
            add([f"{spoken_make} {model}", f"a {spoken_make} {model}"])
            add([f"a {year} {spoken_make} {model}" for year in spoken_years])
        else:
            add([f"a {year} {model}" for year in spoken_years])
    add([spoken for spoken, _ in makes])
    return tuple(dict.fromkeys(p for p in phrases if p))


# --- the same language as a structured JSGF grammar ------------------------------------------
#
# Why also JSGF: PocketSphinx compiles a flat list of thousands of phrases slowly and searches
# it poorly; the same language written as rules (optional openers and closers, slots as
# sub-rules) compiles in a fraction of a second, decodes an utterance in ~0.2 s and lets a
# caller combine slots freely ("hi, I'd like to book an oil change for friday morning please").

_HOURS = ("one two three four five six seven eight nine ten eleven twelve").split()


def _alt(items) -> str:
    items = [i for i in dict.fromkeys(items) if i]
    return "(" + " | ".join(items) + ")" if items else "<VOID>"


def build_jsgf(ctx: Context) -> str:
    """The caller language for this context as a JSGF grammar (public rule `<utterance>`)."""
    return _build_jsgf(tuple(sorted(ctx.services)), tuple(sorted(ctx.makes.items())),
                       tuple(sorted(ctx.models.items())), ctx.today)


@lru_cache(maxsize=16)
def _build_jsgf(services: tuple[str, ...], makes: tuple, models: tuple, today: dt.date) -> str:
    ordinals = [spell_ordinal(n) for n in range(1, 32)]
    months = [MONTHS[(today.month - 1 + k) % 12] for k in range(3)]
    years = sorted({w for y in YEARS for w in _year_words(y)})
    rules = {
        "utterance": "<body> [<closer>]",
        "opener": _alt(["hi", "hello", "sorry", "well", "okay", "yes", "yeah", "um", "oh"]),
        "closer": _alt(["please", "thanks", "thank you", "goodbye", "bye", "thanks goodbye",
                        "thank you goodbye", "bye bye", "then", "instead", "please thank you"]),
        "body": _alt(["<yes>", "<no>", "<book>", "<when>", "<move>", "<cancel>", "<handoff>",
                      "<dnc>", "<bye>", "<name>", "<vehicle>", "<history>", "<misc>",
                      "[can we do | how about] <when>"]),
        "yes": _alt(["yes [please]", "yes that works", "yes that's right", "yes that's fine",
                     "yes i'll be there", "yes i will be there", "yeah", "yep", "sure",
                     "that works", "sounds good", "correct", "okay", "that's fine", "go ahead",
                     "please do", "book it", "i'll be there", "i will be there", "absolutely"]),
        "no": _alt(["no [thanks | thank you]", "no that's all", "no that's it", "nope",
                    "that's all", "that's it", "nothing else", "not really", "i'm good",
                    "that's all for today"]),
        "bye": _alt(["goodbye", "bye", "bye bye", "have a good day", "talk to you later"]),
        "book_lead": _alt(["i'd like to book", "i'd like", "i need", "i want", "i want to book",
                           "can i book", "can i get", "book", "i'd like to schedule",
                           "i need to book", "i'd like to get", "i need to schedule",
                           "i'd like to make an appointment for", "i need to bring my car in for",
                           "i'd like to make an appointment", "i need an appointment"]),
        "book": "[<opener>] [<book_lead>] [a | an | my] <service> [on | for] [<when>]",
        "service": _alt(list(services) + ["oil", "brakes", "tires", "alignment", "inspection",
                                          "battery", "tire rotation", "oil change"]),
        "when": _alt(["<day> [<tod> | <clock>]", "<tod>", "<clock>"]),
        "day": _alt(["[on | for | next | this] <weekday>", "tomorrow", "today",
                     "the day after tomorrow", "next week", "[on] <month> <ordinal>",
                     "[on] the <ordinal>"]),
        "weekday": _alt(WEEKDAYS),
        "month": _alt(months),
        "ordinal": _alt(ordinals),
        "tod": _alt(["[in the] (morning | afternoon)", "any time", "anytime", "whenever"]),
        "clock": _alt(["at <hour> [<minute>] [a m | p m]", "<hour> [<minute>] (a m | p m)",
                       "<hour> o'clock", "[at] noon"]),
        "hour": _alt(_HOURS),
        "minute": _alt(["fifteen", "thirty", "forty five"]),
        "move": "[<opener>] [i need to | i'd like to | can i | i want to | could i | i have to | please] "
                "(move | reschedule | change) [my appointment | it | the appointment] [to <when>]",
        "cancel": _alt(["[<opener>] [i need to | i'd like to | can i | i want to | please | i have to] "
                        "cancel [my appointment | it | the appointment | that]"]),
        "handoff": _alt(["[<opener>] [can i | i'd like to | i want to | let me | could i] (talk | speak) to "
                         "[a | the | someone | somebody] [real] [person | human | manager | "
                         "representative | mechanic | operator]", "operator", "representative",
                         "[i want] a human", "a real person", "a person"]),
        "dnc": _alt(["[please] (don't | do not) call me [again | anymore]", "stop calling [me]",
                     "take me off your [call] list", "remove me from your list"]),
        "history": _alt(["what's my service history", "[what's | what is] my service history",
                         "when was my last (service | visit | oil change)",
                         "what was done last time", "my service history", "service history"]),
        "name": "[my name is | this is | it's | i'm | my name's] <first> [<last>]",
        "first": _alt(FIRST_NAMES),
        "last": _alt(LAST_NAMES),
        "vehicle": _alt(["[it's | i drive | i have | it is] [a | an] [<year>] <car>", "<year>"]),
        "car": _alt(["[<make>] <model>", "<make>"]),
        "year": _alt(years),
        "make": _alt([spoken for spoken, _ in makes]),
        "model": _alt([spoken for spoken, _ in models]),
        "misc": _alt(["hello", "hi", "help", "what", "sorry", "i don't know", "maybe",
                      "the first one", "the second one", "something else", "that one",
                      "can you repeat that", "say that again", "hold on", "one moment"]),
    }
    body = "\n".join(f"{'public ' if name == 'utterance' else ''}<{name}> = {rule};"
                     for name, rule in rules.items())
    return "#JSGF V1.0;\n\ngrammar pitstop;\n\n" + body + "\n"

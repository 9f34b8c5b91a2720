"""The offline engine: a local stand-in for the OpenAI Realtime API, for development and tests.

It speaks the Realtime GA protocol (every event valid against `openai.types.realtime`), hears
with PocketSphinx against a domain grammar, speaks with eSpeak NG, and thinks with a small
slot-filling dialogue policy that acts only through the real tool calls, exactly as the model
would. It is Pitstop's *offline test voice* (its greeting says so), never the production brain.

Entry points: `serve_engine(host, port)` (asyncio) and `run(host, port)` (blocking);
`python -m pitstop_local.engine --port 8766`.
"""

__all__ = ["run", "serve_engine"]


def __getattr__(name: str):
    # Lazy: importing the policy or NLU for a unit test should not load the speech stack.
    if name in __all__:
        from pitstop_local.engine import server

        return getattr(server, name)
    raise AttributeError(name)

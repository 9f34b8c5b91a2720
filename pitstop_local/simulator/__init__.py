"""The Twilio call simulator: places calls against a Pitstop webhook the way Twilio does.

Why a simulator rather than mocks: the webhook, the bridge and the engine must be exercised
through the same wire protocols (signed form posts, TwiML, Media Streams JSON frames) that
Twilio uses in production, so a passing local call means the real call path works.
"""

from pitstop_local.simulator.scenario import Scenario, load_scenario, shipped_scenarios
from pitstop_local.simulator.twilio_sim import CallResult, TwilioSimulator

__all__ = ["CallResult", "Scenario", "TwilioSimulator", "load_scenario", "shipped_scenarios"]

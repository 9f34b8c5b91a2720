"""`python -m pitstop_local.engine`: run the offline Realtime engine on its own."""

import sys

from pitstop_local.engine.server import main

sys.exit(main())

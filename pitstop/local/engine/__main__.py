"""`python -m pitstop.local.engine`: run the offline Realtime engine on its own."""

import sys

from pitstop.local.engine.server import main

sys.exit(main())

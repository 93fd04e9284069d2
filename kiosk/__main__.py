from __future__ import annotations

from kiosk.entry import main

raise SystemExit(main())

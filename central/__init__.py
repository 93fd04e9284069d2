"""The subdistrict's central endpoint: sync API, Open311, tracking page."""

"""The front-desk staff terminal (``kiosk staff``)."""

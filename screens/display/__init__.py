"""``kiosk display``: the waiting room's TV (screens/display/app.py)."""

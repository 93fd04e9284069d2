"""Writing without an input method: pinyin and English words from a numeric
keypad (T9, as on a feature phone) or a tapped letter keyboard.

dictionary.py reads assets/pinyin/ and finds candidates; composer.py is what
one resident is writing (the keys, the modes, the candidates on offer).
"""

"""The whistleblower (pelapor anonim) speaking: /anonim, its form, the one-time token, /lacak, /lupakan."""

"""The citizen (pelapor) speaking: the menu and commands, the /lapor form, their reports after filing."""

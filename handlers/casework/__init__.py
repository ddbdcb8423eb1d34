"""The case itself, shared by every audience: who someone is for a case, how it reads (cards),
its buttons, acting on it through the rules, texts written with a preview, and who hears of it."""

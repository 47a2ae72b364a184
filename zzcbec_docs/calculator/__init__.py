"""The policy calculator: what may this enterprise claim, how much, and how far is it from the rest."""

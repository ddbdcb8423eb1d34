"""What every conversation is made of: the neutral event, the actions, the step's context, texts
and HTML, the flood gate, the form engine and the questions both report forms ask."""

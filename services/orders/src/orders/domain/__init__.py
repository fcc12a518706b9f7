"""Pure order logic: status ranks and derivation from line facts, promised dates, the human
wording of timeline entries. No I/O."""

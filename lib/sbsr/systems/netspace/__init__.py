"""NetSpace: an encoder-decoder over trained networks (thesis ch. 5, App. C)."""

"""District population projections from the 2012 and 2022 censuses, and CBHI targets."""

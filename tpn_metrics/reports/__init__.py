"""Reports sent to district teams: rendering of the weekly CBHI progress email."""

"""Where things are: geohash cells and ZIP centroids (pure, no domain)."""

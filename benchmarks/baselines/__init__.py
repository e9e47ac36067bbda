"""What a hobbyist writes instead of Back Station: the figures' baselines."""

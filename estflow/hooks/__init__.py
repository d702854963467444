"""Session hooks, the standard hooks and the monitored sessions behind `tf.train` (TF1's contracts)."""

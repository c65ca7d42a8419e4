"""Model tasks: one decoder per task (classification, detection, segmentation, pose, raw), labels and drawing."""

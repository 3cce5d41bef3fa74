"""AI analyses of stored notes and images: diagnoses, summaries and image findings."""
